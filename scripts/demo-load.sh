#!/usr/bin/env bash
# demo-load.sh BIN DEMO — the demo catalogue (DEMO/catalog.json) loaded into $DATABASE_URL once
# (remembered in system_info as demo.loaded), then each CSV/XML file of DEMO/data that a
# catalogue resource points to (its downloadURL ends in /demo/data/FILE) into that resource's
# DataStore table, unless it is loaded already. BIN holds opendata-import. Used by `make run`
# (scripts/run.sh) and the container (docker/entrypoint.sh).
set -euo pipefail
bin=${1:?usage: demo-load.sh BIN DEMO}
demo=${2:?usage: demo-load.sh BIN DEMO}
: "${DATABASE_URL:?DATABASE_URL must be set}"

loaded=$(psql "$DATABASE_URL" -qAtXc "SELECT value FROM system_info WHERE key = 'demo.loaded'")
if [ -z "$loaded" ]; then
    echo "loading the demo catalogue ($demo/catalog.json)"
    "$bin/opendata-import" catalog "$demo/catalog.json"
    psql "$DATABASE_URL" -qXc "INSERT INTO system_info VALUES ('demo.loaded', now()::text)"
fi
psql "$DATABASE_URL" -qAtXF ' ' -c "SELECT id, regexp_replace(download_url, '^.*/', '')
    FROM resource WHERE download_url LIKE '%/demo/data/%' AND NOT datastore_active ORDER BY id" |
while read -r rid file; do
    case "$file" in
    *.csv) kind=csv ;;
    *.xml) kind=xml ;;
    *) continue ;;
    esac
    [ -f "$demo/data/$file" ] || continue
    "$bin/opendata-import" "$kind" "$demo/data/$file" --resource-id "$rid" </dev/null ||
        echo "warning: $demo/data/$file was not loaded"
done
