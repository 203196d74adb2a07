# Sourced by the peer benchmarks: starts the installed PostgreSQL when it is not running,
# installs Debian's PostGIS for it when missing, and defines `postgis_database NAME`, which
# (re)creates database NAME owned by a role NAME (password NAME) with PostGIS. Sets $version.
version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_isready -q -h 127.0.0.1 -p 5432; then
  # After an unclean stop PostgreSQL syncs its data directory first, which can outlast
  # pg_ctlcluster's own wait: wait here instead.
  pg_ctlcluster "$version" main start || true
  for _ in $(seq 1 600); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "PostgreSQL did not start" >&2; exit 1; }
fi
if [[ ! -f /usr/share/postgresql/$version/extension/postgis.control ]]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$version-postgis-3" >/dev/null
fi
psql_admin() { runuser -u postgres -- psql -v ON_ERROR_STOP=1 -q "$@"; }
postgis_database() { # name
  psql_admin -c "DO \$\$ BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '$1') THEN
      CREATE ROLE $1 LOGIN PASSWORD '$1';
    END IF; END \$\$;"
  runuser -u postgres -- dropdb --if-exists "$1"
  runuser -u postgres -- createdb -O "$1" "$1"
  psql_admin -d "$1" -c "create extension postgis"
}
