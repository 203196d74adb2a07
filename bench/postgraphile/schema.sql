-- PostGraphile's side of bench/postgraphile.sh: the facilities in a PostGIS table with a GiST
-- index on a geography column, and the nearby search as a SQL function that PostGraphile
-- exposes as a query field. Loaded with `psql -f schema.sql < FILE`, FILE being the CSV of
-- `service-circle export facilities --format csv` (lon,lat,kind,name,...).
\set ON_ERROR_STOP on
create extension if not exists postgis;
drop schema if exists bench cascade;
create schema bench;

create table bench.facility (
  id serial primary key,
  lon float8 not null,
  lat float8 not null,
  kind text not null,
  name text not null,
  geog geography(Point, 4326)
);

create temporary table import (
  lon float8, lat float8, kind text, name text, address text, community_code text,
  opening_hours text, phone text, capacity int, services text, canteen text, elder_care text,
  rest_station text
);
\copy import from pstdin with (format csv, header true)
insert into bench.facility (lon, lat, kind, name) select lon, lat, kind, name from import;
update bench.facility set geog = st_setsrid(st_makepoint(lon, lat), 4326)::geography;
alter table bench.facility alter column geog set not null;
create index facility_geog on bench.facility using gist (geog);
-- PostGraphile has no codec for geography without a plugin; the column is for the index only.
comment on column bench.facility.geog is E'@behavior -*';
analyze bench.facility;

create type bench.nearby_hit as (
  distance_meters float8,
  travel_minutes float8,
  facility_id int,
  name text,
  kind text,
  lon float8,
  lat float8
);

-- The service's answer: hits within the radius, nearest first by ellipsoid distance, then id;
-- minutes at the elderly walking speed (0.75 m/s) times the detour factor (1.3). The index
-- orders by sphere distance (<->), so a few more candidates than asked are re-sorted by the
-- ellipsoid distance, as the service measures.
create function bench.nearby_facilities(lon float8, lat float8, radius_meters float8, max_hits int)
returns setof bench.nearby_hit
language sql stable parallel safe as $$
  with here as (select st_setsrid(st_makepoint(lon, lat), 4326)::geography as point),
  candidates as (
    select f.id, f.name, f.kind, f.lon, f.lat, st_distance(f.geog, here.point, true) as meters
    from bench.facility f, here
    where st_dwithin(f.geog, here.point, radius_meters, true)
    order by f.geog <-> here.point
    limit max_hits * 2 + 8
  )
  select meters, meters * 1.3 / 0.75 / 60, id, name, kind, lon, lat
  from candidates
  where meters <= radius_meters
  order by meters, id
  limit max_hits
$$;
comment on function bench.nearby_facilities(float8, float8, float8, int) is E'@behavior -connection +list';
