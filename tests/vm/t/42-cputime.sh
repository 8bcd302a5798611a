#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: utime_ns and stime_ns never decrease.  A 4-thread CPU-bound
# process that moves between user and system mode (tests/stress/mt-cpuburn)
# is sampled at 1 ms for 10 s; between consecutive records of it neither
# field may step back.  Ground truth: the kernel's own guarantee for
# /proc/PID/stat fields 14 and 15 (cputime_adjust() in
# kernel/sched/cputime.c clamps the scaled split against the previous one,
# kept in signal_struct::prev_cputime), which a split computed afresh from
# the tick-sampled counters each tick does not have.  (Equality with
# /proc/PID/stat on a quiescent process: 10-figures.)
# The same pairs must be in tick order: the reader merges the CPUs' streams
# by ts_ns, so a record stamped earlier than one written before it (two
# CPUs' local clocks disagree by up to a jiffy under TCG) would put a later
# tick's figures first.
. /extra/vm/lib.sh

BURN=$(stress_bin mt-cpuburn) || { fail "helper mt-cpuburn missing (build/stress)"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }
"$BURN" 4 12 > /tmp/burn.out &
burn=$!
i=0
while ! grep -q ready /tmp/burn.out && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
memtrace-reader -p $burn -I 1 -d 10 -o /tmp/c.csv 2> /tmp/c.err
check "reader ran (exit $?)" [ -s /tmp/c.csv ]
wait $burn

awk -F, -v pc="$(csv_col /tmp/c.csv pid)" -v uc="$(csv_col /tmp/c.csv utime_ns)" \
	-v sc="$(csv_col /tmp/c.csv stime_ns)" -v tc="$(csv_col /tmp/c.csv tick)" \
	-v pid=$burn '
	NR > 1 && $pc == pid {
		if (n++) {
			if ($uc < u) { ud++; if (u - $uc > umax) umax = u - $uc }
			if ($sc < s) { sd++; if (s - $sc > smax) smax = s - $sc }
			if ($tc <= t) tb++
		}
		u = $uc; s = $sc; t = $tc
	}
	END { printf "%d %d %d %.0f %.0f %.0f %.0f %d\n", n - 1, ud, sd, umax, smax, u, s, tb }' \
	/tmp/c.csv > /tmp/dec
read pairs ud sd umax smax u s tb < /tmp/dec
diag "$pairs sample pairs; last utime_ns=$u stime_ns=$s"
check "at least 500 consecutive sample pairs ($pairs)" [ "$pairs" -ge 500 ]
check "both modes accumulated time (utime $u ns, stime $s ns >= 100 ms each)" \
	[ "$u" -ge 100000000 -a "$s" -ge 100000000 ]
check_eq "pairs out of tick order (merged by ts_ns)" "$tb" 0
check_eq "utime_ns decreases (largest $umax ns)" "$ud" 0
check_eq "stime_ns decreases (largest $smax ns)" "$sd" 0
echo 0 > $MT/enable 2> /dev/null
rmmod memtrace
finish
