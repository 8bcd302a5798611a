#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: a control-file writer racing loads that fail.  On kernels with
# fault injection (the debug flavour; skipped with the reason elsewhere),
# tests/stress/mt-failnth loads the module with one of the last points of
# its load failing -- memtrace's own init: relay channel, control files --
# again and again (-r over the last 40 points, 4 rounds), while a second
# thread writes a live tgid to pids as fast as it can (-w), as a tool
# started beside modprobe would.  A write that lands in a module whose
# init then fails registers a struct pid reference and an xarray node that
# nothing frees, and leaves a file open on memory that is freed (init's
# unwinding used to skip the pid filter; now no control file opens before
# init has succeeded: EAGAIN).  Ground truth: the writes' own results and
# kmemleak (checked after this file on kmemleak kernels).  Checks: the
# racing writer reached control files during failing loads (its opens
# were refused or its writes landed); no write landed during a load that
# failed; every failed load left nothing behind.  Multi-threaded TCG (no
# trace events here), so that the writer runs beside the loader.
. /extra/vm/lib.sh

FI=/sys/kernel/debug
if [ ! -d $FI/failslab ] || [ ! -e /proc/self/fail-nth ]; then
	skip "a control-file writer racing failing loads" "this kernel has no fault injection (failslab, /proc/PID/fail-nth: CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAULT_INJECTION_DEBUG_FS)"
	finish
fi
FN=$(stress_bin mt-failnth) || { fail "helper mt-failnth missing (build/stress)"; finish; }
KO=$(find /lib/modules/"$(uname -r)" -name memtrace.ko | head -n 1)
[ -n "$KO" ] || { fail "memtrace.ko not found under /lib/modules/$(uname -r)"; finish; }
failnth_setup

sleep 3600 &
SL=$!
lvl=$(awk '{ print $1 }' /proc/sys/kernel/printk)
echo "memtrace-test: fault injection begins (control-file race)" > /dev/kmsg
dmesg -n 1
: > /tmp/race.out
rounds=$(test_param race_rounds 4)
r=0
while [ $r -lt "$rounds" ]; do
	"$FN" -r -m 40 -w "$MT/pids=+$SL" "$KO" >> /tmp/race.out 2>> /tmp/race.err
	r=$((r + 1))
done
echo "memtrace-test: fault injection ends" > /dev/kmsg
dmesg -n "$lvl"
kill $SL
sed 's/^/# /' /tmp/race.err | head -5
# over the loads that failed creating the control files (some exist then)
awk '/^nth=/ && /msg=memtrace: cannot create control files/ {
		n++
		for (i = 1; i <= NF; i++) {
			split($i, kv, "=")
			if (kv[1] == "race_hits") h += kv[2]
			if (kv[1] == "race_refused") f += kv[2]
		}
	}
	END { printf "%d %d %d\n", n, h, f }' /tmp/race.out > /tmp/race.sum
read -r nctl hits refused < /tmp/race.sum
diag "$(grep -c '^nth=' /tmp/race.out) loads with a racing writer, $nctl failed in the control files: $hits writes landed, $refused opens refused"
check "loads failed while creating the control files ($nctl)" [ "$nctl" -gt 0 ]
check "the racing writer reached the control files ($((hits + refused)) times)" [ $((hits + refused)) -gt 0 ]
check_eq "no write to a control file landed during a load that failed" "$hits" 0
check_eq "every failed load left nothing behind" \
	"$(grep '^nth=' /tmp/race.out | grep -v 'left=none' | grep -v 'load=ok' | head -n 5)" ""
check "modprobe memtrace after the faults" modprobe memtrace
rmmod memtrace
finish
