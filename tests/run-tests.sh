#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs each test program given as an argument, counts the results it reports
# (each line with its wall-clock seconds: CI's time is bounded) and prints
# "N passed, M failed" as the last line.
#
# A program reports TAP ("ok N ..." / "not ok N ..."), or check's summary
# ("Checks: N, Failures: F, Errors: E"). A program that exits non-zero
# without reporting a failure counts one failure; one that reports nothing at
# all counts one failure too: a test that ran nothing has not passed.
# A failed program's "not ok" lines are printed with the comments under
# each (at most 40 apiece, 150 lines in all).
set -u
logdir=${TEST_LOGS:-build/test-logs}
mkdir -p "$logdir"
pass=0
fail=0
for t in "$@"; do
	name=$(basename "$t")
	log="$logdir/$name.log"
	t0=$SECONDS
	CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$log" 2>&1
	rc=$?
	secs=$((SECONDS - t0))
	p=$(grep -cE '^ok [0-9]+' "$log")
	f=$(grep -cE '^not ok [0-9]+' "$log")
	if summary=$(grep -oE 'Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$log" | tail -n 1) &&
		[ -n "$summary" ]; then
		read -r n fl er <<<"$(echo "$summary" | tr -dc '0-9 ' | tr -s ' ')"
		p=$((p + n - fl - er))
		f=$((f + fl + er))
	fi
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL $name: exit status $rc without a failed test reported"
	elif [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		f=1
		echo "FAIL $name: reported no test results"
	fi
	if [ "$f" -eq 0 ]; then
		printf 'PASS %-28s %3d passed %5d s\n' "$name" "$p" "$secs"
	else
		printf 'FAIL %-28s %3d passed, %d failed %5d s (log: %s)\n' "$name" "$p" "$f" "$secs" "$log"
		# Each failure with the comment lines under it (what the test
		# saw): CI keeps this output, not the logs.
		awk '/^not ok [0-9]+/ { n = 0; show = 1; print; next }
			show && /^#/ && n < 40 { n++; print; next }
			{ show = 0 }
			/Failure|ERROR|error/ && m < 20 { m++; print }' "$log" |
			head -n 150 | sed 's/^/    /'
	fi
	pass=$((pass + p))
	fail=$((fail + f))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
