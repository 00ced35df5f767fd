#!/bin/bash
# The whole test suite: unit tests (plain, then under ASan/UBSan), a short
# run of each fuzz harness (FUZZ_SECONDS, default 3) and the namespace tests.
# Prints one line per test and ends with "N passed, N failed, N skipped".
# ONLY=test_name runs one namespace test; KEEP_LOGS=1 keeps the logs.
cd "$(dirname "$0")/.." || exit 1
export LOGDIR
LOGDIR=$(mktemp -d /tmp/halfopen-logs.XXXXXX)
results=$(mktemp)

if make -s format-check >/dev/null 2>&1; then
	echo "PASS format: clang-format" | tee -a "$results"
else
	echo "FAIL format: clang-format (run make format)" | tee -a "$results"
fi

# the rules of docs/design.md "Where things live": includes, no circle among daemon modules
if out=$(/usr/bin/python3 tests/layout.py 2>&1); then
	echo "PASS layout: $out" | tee -a "$results"
else
	echo "FAIL layout: folders and daemon modules (tests/layout.py)" | tee -a "$results"
	echo "$out" | sed 's/^/    /'
fi

for t in build/test_* build/asan/test_*; do
	[ -x "$t" ] || continue
	if out=$("$t" 2>&1); then
		echo "PASS unit:${t#build/}"
	else
		echo "FAIL unit:${t#build/}"
		echo "$out" | tail -20 | sed 's/^/    /'
	fi
done | tee -a "$results"

# the parsers fuzzed a few seconds each (make fuzz runs them longer)
tests/fuzz/run.sh "${FUZZ_SECONDS:-3}" | tee -a "$results"

if [ "$(id -u)" != 0 ]; then
	echo "SKIP namespace tests: they need root" | tee -a "$results"
else
	mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
	for f in tests/net/test_*.sh; do
		bash "$f"
	done | tee -a "$results"
fi

pass=$(grep -c '^PASS' "$results")
failed=$(grep -c '^FAIL' "$results")
skipped=$(grep -c '^SKIP' "$results")
rm -f "$results"
[ -n "${KEEP_LOGS:-}" ] || rm -rf "$LOGDIR"
echo "$pass passed, $failed failed, $skipped skipped"
[ "$failed" = 0 ]
