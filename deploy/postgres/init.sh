#!/bin/sh
# Runs once, when the PostgreSQL volume is first initialised (docker-entrypoint-initdb.d): one role and
# one database per service, each database owned by its role and closed to everyone else, so no service
# can read another's tables. Passwords come from the environment (<NAME>_DB_PASSWORD), never from this file.
set -eu

for service in auth menu orders kitchen bar bakery; do
  upper=$(printf '%s' "$service" | tr '[:lower:]' '[:upper:]')
  eval "password=\${${upper}_DB_PASSWORD:?${upper}_DB_PASSWORD is required}"
  psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
    -v role="$service" -v password="$password" <<'SQL'
CREATE ROLE :"role" LOGIN PASSWORD :'password';
CREATE DATABASE :"role" OWNER :"role";
REVOKE ALL ON DATABASE :"role" FROM PUBLIC;
SQL
done
