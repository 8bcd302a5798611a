#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: a reader stalled inside read() stalls nothing else.  Samples
# are left in the cpuN buffers, then tests/stress/mt-uffdread read()s each
# cpuN file into a buffer registered with userfaultfd and never resolves
# the fault: the kernel's copy to user space waits inside relay's read()
# for as long as the reader lives (a reader paging from FUSE or slow swap
# does the same).  With that reader stuck: the sampler keeps ticking (the
# stats file's ticks), "echo 0 > enable" returns within a second, and so
# does rmmod -- refused, "in use": an open cpuN file pins the module --;
# once the stuck readers are killed, rmmod unloads it and the kernel log is
# clean.  Ground truth: the clock and the kernel's own view of the module
# (/sys/module/memtrace).
. /extra/vm/lib.sh

UFFD=$(stress_bin mt-uffdread) || { fail "helper mt-uffdread missing (build/stress)"; finish; }
"$UFFD" /dev/null > /tmp/uffd.probe 2>&1
if [ $? = 4 ]; then
	skip "a reader stalled inside read()" "$(cat /tmp/uffd.probe) (the debug kernel's config has none)"
	finish
fi
modprobe memtrace || { fail "modprobe memtrace"; finish; }
echo 10 > $MT/interval_ms
echo 1 > $MT/enable
sleep 0.5
echo 0 > $MT/enable

rd=""
nst=0
for f in $MT/cpu[0-9]*; do
	c=${f##*/}
	"$UFFD" "$f" > /tmp/uffd.$c.out 2> /tmp/uffd.$c.err &
	rd="$rd $!"
	i=0
	while [ ! -s /tmp/uffd.$c.out ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	diag "$c: $(cat /tmp/uffd.$c.out /tmp/uffd.$c.err)"
	grep -q '^stalled' /tmp/uffd.$c.out && nst=$((nst + 1))
done
check "a reader is stalled inside read() of a cpuN file ($nst)" [ "$nst" -gt 0 ]

echo 1 > $MT/enable &
en=$!
sleep 1
check "echo 1 > enable returned within a second" sh -c "! kill -0 $en 2> /dev/null"
t0=$(stat_val ticks)
sleep 1
t1=$(stat_val ticks)
check "the sampler keeps ticking at 10 ms ($t0 -> $t1 in 1 s)" [ $((t1 - t0)) -ge 20 ]

echo 0 > $MT/enable &
en=$!
sleep 1
check "echo 0 > enable returned within a second" sh -c "! kill -0 $en 2> /dev/null"
rmmod memtrace 2> /tmp/rmmod.err &
rm_pid=$!
sleep 1
check "rmmod returned within a second" sh -c "! kill -0 $rm_pid 2> /dev/null"
wait $rm_pid
rc=$?
check "rmmod was refused while the stuck readers hold cpuN open ($(cat /tmp/rmmod.err))" \
	sh -c "[ $rc -ne 0 ] && grep -q 'in use\|temporarily unavailable' /tmp/rmmod.err"

# shellcheck disable=SC2086 # rd is a list of pids
kill -KILL $rd 2> /dev/null
wait 2> /dev/null
check "rmmod after the stuck readers were killed" rmmod memtrace
check "the module is gone" sh -c "[ ! -e /sys/module/memtrace ]"
finish
