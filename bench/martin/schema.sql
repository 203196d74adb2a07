-- Martin's side of bench/tiles.sh: the facilities in a PostGIS table (WGS-84 points with a
-- GiST index, as facilities are usually stored), loaded with `psql -f schema.sql < FILE`,
-- FILE the CSV of bench/martin/tiles.py generate (name,kind,lon,lat).
\set ON_ERROR_STOP on
create extension if not exists postgis;
drop table if exists facility;
create table facility (
  id serial primary key,
  name text not null,
  kind text not null,
  category text not null,
  geom geometry(Point, 4326)
);
create temporary table import (name text, kind text, lon float8, lat float8);
\copy import from pstdin with (format csv, header true)
insert into facility (name, kind, category, geom)
select name, kind,
       case when kind in ('MEAL_POINT', 'COMMUNITY_CANTEEN') then 'CANTEEN'
            when kind = 'OUTDOOR_WORKER_STATION' then 'REST_STATION' else 'ELDER_CARE' end,
       st_setsrid(st_makepoint(lon, lat), 4326)
from import;
create index facility_geom on facility using gist (geom);
analyze facility;
