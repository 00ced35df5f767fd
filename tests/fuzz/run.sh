#!/bin/bash
# Run each fuzz harness (build/fuzz/fuzz_*) for SECONDS, from its seed corpus
# (tests/fuzz/corpus/NAME, never written) and what earlier runs found
# (build/fuzz/corpus/NAME). One line each: PASS, FAIL (with the input that
# failed, in build/fuzz/) or SKIP when the harness could not be built.
#   tests/fuzz/run.sh SECONDS [NAME...]      (make fuzz FUZZ_TIME=SECONDS)
cd "$(dirname "$0")/../.." || exit 1
secs=${1:-60}
shift
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(fuzz_config fuzz_policy fuzz_ctl_proto fuzz_packet)
rc=0
for n in "${names[@]}"; do
	h=build/fuzz/$n
	if [ ! -x "$h" ]; then
		echo "SKIP fuzz:$n: not built (make fuzz-build; needs clang's libFuzzer)"
		continue
	fi
	mkdir -p "build/fuzz/corpus/$n"
	log=build/fuzz/$n.log
	if "$h" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="build/fuzz/$n-" "build/fuzz/corpus/$n" "tests/fuzz/corpus/$n" \
		>"$log" 2>&1; then
		echo "PASS fuzz:$n ($(grep -o 'Done [0-9]* runs' "$log" | cut -d' ' -f2) runs in ${secs} s)"
	else
		echo "FAIL fuzz:$n (see $log)"
		grep -E 'ERROR|SUMMARY|Test unit written' "$log" | head -5 | sed 's/^/    /'
		rc=1
	fi
done
exit $rc
