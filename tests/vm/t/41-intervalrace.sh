#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: interval_ms rewritten in a tight loop from two CPUs at once (the
# debugfs file and the module parameter) while the sampler ticks every 1 ms.
# A new interval must restart the timer without racing its callback on the
# other CPU: hrtimer_start() on a timer whose callback runs makes the
# callback's hrtimer_forward_now() find it enqueued, WARN_ON(timer->state &
# HRTIMER_STATE_ENQUEUED) in kernel/time/hrtimer.c, which the runner's log
# check fails.  Ground truth: the kernel log, and the sampler still ticking
# at the interval last written.
. /extra/vm/lib.sh

modprobe memtrace interval_ms=1 || { fail "modprobe memtrace"; finish; }
echo 1 > $MT/enable
# hammer DURATION FILE CPU: write 1 to FILE for DURATION s from CPU, with
# a pause after each write that sweeps from none to a few ms, so that writes
# fall at every phase of the 1 ms timer (back-to-back writes would only push
# its expiry out, and never meet its callback on the other CPU)
hammer() {
	taskset $((1 << $3)) sh -c '
		end=$(($(date +%s) + $1)); n=0
		while [ "$(date +%s)" -lt "$end" ]; do
			k=0
			while [ $k -lt 40 ]; do
				echo 1 > "$2"
				j=0
				while [ $j -lt $k ]; do j=$((j + 1)); done
				k=$((k + 1))
			done
			n=$((n + 40))
		done
		echo $n' sh "$1" "$2"
}
hammer 8 $MT/interval_ms 0 > /tmp/w0 &
w0=$!
hammer 8 /sys/module/memtrace/parameters/interval_ms 1 > /tmp/w1 &
w1=$!
wait $w0 $w1
diag "writes: $(cat /tmp/w0) to debugfs, $(cat /tmp/w1) to the parameter"
check "both writers ran (>= 100 writes each; ~200 on the debug kernel under load)" \
	[ "$(cat /tmp/w0)" -ge 100 -a "$(cat /tmp/w1)" -ge 100 ]

# still ticking, at the interval written last (100 expected in 2 s; the
# bounds allow for a slow TCG guest, and fail a stopped or stuck timer)
echo 20 > $MT/interval_ms
t0=$(stat_val ticks)
sleep 2
t1=$(stat_val ticks)
check "ticks continue at 20 ms after the storm ($t0 -> $t1 in 2 s)" \
	[ $((t1 - t0)) -ge 20 -a $((t1 - t0)) -le 150 ]
echo 0 > $MT/enable
rmmod memtrace
check "rmmod after the storm" [ ! -d $MT ]
finish
