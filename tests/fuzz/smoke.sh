#!/bin/sh
# Run libFuzzer drivers over their seed corpora only (no fuzzing), so that they cannot rot:
# tests/fuzz/smoke.sh TARGET... (bin/fuzz_TARGET over tests/fuzz/corpus/TARGET). Prints one
# line per target and "N passed, N failed" last, as scripts/test.sh expects.
cd "$(dirname "$0")/../.." || exit 1
passed=0
failed=0
for t in "$@"; do
    if out=$(bin/fuzz_"$t" -runs=0 tests/fuzz/corpus/"$t" 2>&1); then
        echo "fuzz_$t: $(ls tests/fuzz/corpus/"$t" | wc -l) seeds clean"
        passed=$((passed + 1))
    else
        printf '%s\n' "$out" | tail -n 30
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
