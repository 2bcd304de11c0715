#!/bin/sh
# The core knows no API family: every file under server/core/ includes only headers of the core
# (and system headers). One line per core file that breaks the rule, then "N passed, N failed"
# (one check per core file), as scripts/test.sh expects. Run from anywhere.
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
for f in server/core/*.c server/core/*.h; do
    bad=""
    for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
        case "$h" in
        */*) bad="$bad $h" ;; # a path may leave the folder
        *) [ -f "server/core/$h" ] || bad="$bad $h" ;;
        esac
    done
    if [ -n "$bad" ]; then
        echo "$f includes what is not the core's:$bad"
        failed=$((failed + 1))
    else
        passed=$((passed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
