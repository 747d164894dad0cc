#!/bin/sh
# The postgres image runs this once, when it creates the database (docker-entrypoint-initdb.d).
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v owner=oncodir_owner -v owner_password="$ONCODIR_OWNER_PASSWORD" \
  -v app=oncodir_app -v app_password="$ONCODIR_APP_PASSWORD" \
  -v dbname="$POSTGRES_DB" -f /docker-entrypoint-initdb.d/roles.psql
