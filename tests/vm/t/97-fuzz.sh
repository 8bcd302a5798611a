#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: hostile input to every control file.  tests/stress/mt-fuzz writes
# thousands of generated inputs (valid, mutated, limit and overflowing
# numbers with signs/prefixes/white space, random bytes with NULs and 0xa0,
# overlong writes up to 1 MiB, EFAULT buffers, zero-length writes, pwrite,
# writev, several writes on one open file) to enable, interval_ms,
# wss_interval_ms, pids, stats, cpu0 and the run-time module parameters, and
# checks each result (return value, errno) against the documented behaviour
# and, after each write, that every file reads back the state a model of the
# documented semantics predicts (bad input changes nothing).  Then writer
# threads hammer the same files concurrently (shared and private file
# descriptors) while a reader thread checks pids/stats syntax; the final
# state must be one the writers produced.  Seed: fixed (printed), override
# with MEMTRACE_VM_APPEND=memtrace_test.seed=N.  Afterwards the module must
# still sample correctly and unload.
. /extra/vm/lib.sh

# stress_bin NAME: the helper built from tests/stress/NAME.c (the runner
# adds build/stress as /extra/stress)
# test_param NAME DEFAULT: memtrace_test.NAME=VALUE from the kernel command
# line (MEMTRACE_VM_APPEND), else DEFAULT

FUZZ=$(stress_bin mt-fuzz) || { fail "helper mt-fuzz missing: build tests/stress/mt-fuzz.c into build/stress and --add build/stress"; finish; }
seed=$(test_param seed 1)
ops=$(test_param fuzz_ops 3000)

modprobe memtrace interval_ms=5 || { fail "modprobe memtrace"; finish; }
start_memload /tmp/m.out -a 8 -l 1 || { fail "memload"; finish; }

diag "mt-fuzz -s $seed -n $ops -t 4 -T 5"
"$FUZZ" -s "$seed" -n "$ops" -t 4 -T 5 > /tmp/fuzz.out 2> /tmp/fuzz.err
rc=$?
check "fuzzer ran to the end (exit $rc: 0 clean, 1 mismatches)" [ $rc -le 1 ] && grep -q '^fuzz: ops=' /tmp/fuzz.out
sed 's/^/# /' /tmp/fuzz.err | head -5
grep -E '^(seed|# )' /tmp/fuzz.out
while read -r tag file o m a; do
	[ "$tag" = result ] || continue
	n=${o#ops=}
	mis=${m#mismatches=}
	if [ "$mis" = 0 ] && [ "$n" -gt 0 ]; then
		ok "$file: $n hostile writes, results and read-back state as documented (${a#accepted=} accepted)"
	else
		fail "$file: $mis of $n writes differ from the documented behaviour"
		grep "^mismatch $file:" /tmp/fuzz.out | sed 's/^/# /'
	fi
done < /tmp/fuzz.out
diag "$(tail -n 1 /tmp/fuzz.out)"

# --- still a working module: known values, a clean session, unload ------------
echo clear > $MT/pids
echo 0 > $MT/wss_interval_ms
echo 0 > $MT/enable
check_eq "interval_ms 20 accepted after the fuzzing" "$( (echo 20 > $MT/interval_ms) 2>&1)" ""
check_eq "interval_ms reads 20" "$(cat $MT/interval_ms)" 20
w0=$(stat_val records_written)
memtrace-reader -p "$MEMLOAD_PID" -d 1 -o /tmp/after.csv --system /tmp/after.sys \
	2> /tmp/reader.err
check_eq "reader session after the fuzzing exits 0" "$?" 0
rows=$(($(wc -l < /tmp/after.csv) - 1))
srows=$(($(wc -l < /tmp/after.sys) - 1))
check "reader got records of the workload ($rows)" [ "$rows" -ge 20 ]
check_eq "CSV rows (processes and system) = records written in stats" \
	$((rows + srows)) $(($(stat_val records_written) - w0))
check_eq "pids empty after the session" "$(cat $MT/pids)" ""
kill "$MEMLOAD_PID"
wait "$MEMLOAD_PID" 2> /dev/null
T_PIDS=""
rmmod memtrace
check "rmmod after the fuzzing (no file left open, no reference leaked)" [ ! -d /sys/module/memtrace ]
finish
