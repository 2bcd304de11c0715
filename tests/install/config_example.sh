#!/usr/bin/env bash
# docs/opendatad.conf.example lists every setting of the server's table (as `opendatad serve
# --help` prints it: the serve and db settings) commented out with its default, as
# "# name = default"; the file itself is accepted by serve and db init (all commented), and
# with every line uncommented it parses too. One check per setting, then "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
BIN=${OPENDATA_BIN:-bin}
EXAMPLE=docs/opendatad.conf.example
passed=0
failed=0
ok() { passed=$((passed + 1)); }
bad() { failed=$((failed + 1)); echo "FAIL: $*"; }

help=$("$BIN/opendatad" serve --help) || bad "opendatad serve --help"
# "  --name   help" then "  [ENV, default]" ("none" for an empty default)
settings=$(printf '%s\n' "$help" | /usr/bin/python3 -c '
import re, sys
lines = sys.stdin.read().split("\n")
for i, l in enumerate(lines):
    m = re.match(r"  --(\S+)\s", l)
    if m and i + 1 < len(lines):
        d = re.match(r"\s+\[(?:[^,\]]*, )?(.*)\]$", lines[i + 1])
        if d:
            v = d.group(1)
            print(m.group(1) + "\t" + ("" if v == "none" else v))
')
n=$(printf '%s\n' "$settings" | grep -c .)
[ "$n" -ge 40 ] && ok || bad "settings read from --help: $n"
while IFS=$'\t' read -r name def; do
    [ "$name" = config ] && continue # names the file itself
    want="# $name =${def:+ $def}"
    # --help prints "none" for an empty default; db-pooler's default is the word none itself
    if grep -qxF -- "$want" "$EXAMPLE" || { [ -z "$def" ] && grep -qxF -- "$want none" "$EXAMPLE"; }; then
        ok
    else
        bad "$EXAMPLE lacks the line \"$want\""
    fi
done <<<"$settings"
# No line for a setting the server does not have.
while read -r name; do
    if printf '%s\n' "$settings" | cut -f1 | grep -qxF -- "$name"; then ok; else
        bad "$EXAMPLE lists \"$name\", which is not a setting"; fi
done < <(sed -n 's/^# \([a-z][a-z0-9-]*\) =.*/\1/p' "$EXAMPLE")

# The file as shipped, and with every setting uncommented (the defaults, db given).
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
sed -n 's/^# \([a-z][a-z0-9-]* =.*\)/\1/p' "$EXAMPLE" | sed 's/^db =$/db = postgresql:\/\/\/nowhere/' >"$tmp"
for f in "$EXAMPLE" "$tmp"; do
    # a help request after the file is read: exits 0 when the file parsed
    if "$BIN/opendatad" serve --config "$f" --help >/dev/null 2>&1; then ok; else
        bad "opendatad serve --config $f"; "$BIN/opendatad" serve --config "$f" --help 2>&1 | tail -2; fi
done
out=$("$BIN/opendatad" db init --config "$tmp" --db "postgresql://127.0.0.1:1/none?connect_timeout=1" 2>&1)
if printf '%s\n' "$out" | grep -q "cannot connect"; then ok; else
    bad "db init reads the uncommented example (skipping the server's settings): $out"; fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
