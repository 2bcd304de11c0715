#!/bin/sh
# The container's start: the schema made or upgraded (`opendatad db init`), the demo catalogue
# and its data files loaded on the first start only (OPENDATAD_DEMO=0: never), then the server
# in the foreground on every address of the container (port 5000). Arguments are added to
# `opendatad serve`; settings come from the environment (DATABASE_URL, OPENDATAD_*).
set -eu
: "${DATABASE_URL:?set DATABASE_URL}"
opendatad db init
if [ "${OPENDATAD_DEMO:-1}" != 0 ]; then
    /usr/share/opendatad/demo-load.sh /usr/bin /usr/share/opendatad/demo
fi
exec opendatad serve --listen "${OPENDATAD_LISTEN:-0.0.0.0:5000}" "$@"
