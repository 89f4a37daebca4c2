#!/usr/bin/env bash
# Installs (if missing) and starts a PostgreSQL server on 127.0.0.1 for the warehouse tests,
# creates the `pqlsync` role and database, and prints the connection URL on stdout (the only
# line on stdout; progress goes to stderr). Idempotent: run it again and it prints the same URL.
#
#   export PQLSYNC_POSTGRES_URL="$(.ci/postgres.sh)"
#
# Settings: PQLSYNC_PG_PORT (default 5432), PQLSYNC_PG_PASSWORD (default 'pqlsync': a throwaway
# local test database, reachable on loopback only). Needs root (apt-get, pg_ctlcluster).
set -euo pipefail

port="${PQLSYNC_PG_PORT:-5432}"
password="${PQLSYNC_PG_PASSWORD:-pqlsync}"
cluster=pqlsync
log() { echo "postgres.sh: $*" >&2; }

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  log "installing Debian's postgresql package"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
fi
version="$(ls /usr/lib/postgresql | sort -V | tail -n1)"

# A cluster of our own, so the port and settings never fight the distribution's `main` cluster.
if ! pg_lsclusters -h | awk '{print $1" "$2}' | grep -qx "$version $cluster"; then
  log "creating cluster $version/$cluster on port $port"
  pg_createcluster "$version" "$cluster" -p "$port" -- --auth-local=peer --auth-host=scram-sha-256 >&2
fi
# Settings in conf.d (included by Debian's postgresql.conf), rewritten on every run.
cat >"/etc/postgresql/$version/$cluster/conf.d/pqlsync.conf" <<CONF
port = $port
listen_addresses = '127.0.0.1'
# Tests only: no durability needed, and faster on small CI machines.
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
sed -i -E '/^(port|listen_addresses) = /d' "/etc/postgresql/$version/$cluster/postgresql.conf"

status="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}')"
current_port="$(pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $3}')"
if [ "$status" = online ] && [ "$current_port" != "$port" ]; then
  pg_ctlcluster "$version" "$cluster" restart >&2
elif [ "$status" != online ]; then
  log "starting cluster $version/$cluster"
  pg_ctlcluster "$version" "$cluster" start >&2
fi

for _ in $(seq 1 30); do
  if runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$port"; then break; fi
  sleep 1
done
runuser -u postgres -- pg_isready -q -h 127.0.0.1 -p "$port" || { log "server did not start"; exit 1; }

psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$port" -d postgres "$@"; }
psql_admin -v pw="$password" >&2 <<'SQL'
select format('create role pqlsync login password %L', :'pw')
  where not exists (select 1 from pg_roles where rolname = 'pqlsync') \gexec
select format('alter role pqlsync login password %L', :'pw') \gexec
select 'create database pqlsync owner pqlsync'
  where not exists (select 1 from pg_database where datname = 'pqlsync') \gexec
SQL

echo "postgres://pqlsync:${password}@127.0.0.1:${port}/pqlsync"
