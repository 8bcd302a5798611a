#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm: mem=7168  (20,000 processes and 4 GiB resident; see below)
# Scenario: a tick never holds its CPU for long.  20,000 idle processes
# (tests/stress/mt-procs, each with an address space) are sampled at 1 ms
# in all-process mode with WSS over 1 s windows, and a process with 4 GiB
# of 4 KiB pages (memload) is scanned with wss_budget_pages at its maximum
# (2^30: a whole pass in one tick), while the soft-lockup watchdog runs
# with watchdog_thresh=2 and softlockup_panic=1.  Meanwhile rt-tests'
# cyclictest measures the wake-up latency of a SCHED_FIFO thread on every
# CPU: the sampler's worker shares those CPUs, and on a kernel without full
# preemption (Debian's generic: PREEMPT_DYNAMIC, voluntary) a FIFO task
# waits for it to reach a scheduling point.
# Ground truth: cyclictest, and the kernel's watchdog (the runner fails on
# "BUG: soft lockup").  Checks: the tick sampled every process
# (procs_last_tick), a WSS pass covered the 4 GiB in one tick
# (wss_tick_max_pages), the reader's accounting held (exit status 0), and
# the worst latency stays under 10 ms on generic kernels and under 1 ms on
# PREEMPT_RT; under emulation (TCG), whose own floor is tens of ms, under 4
# times the same cyclictest's worst in this boot without memtrace and at
# least 100 ms (250 ms on the debug kernel; the old code: 939 ms on 6.1)
# -- the baseline is reported either way.
# Scale: a guest with less than 6.5 GiB (the debug kernel's batch: its
# kmemleak checks scan all of memory, tests/run) runs 4,000 processes and
# 512 MiB, and says so with a skip of the full scale.
. /extra/vm/lib.sh

PROCS=$(stress_bin mt-procs) || { fail "helper mt-procs missing (build/stress)"; finish; }
command -v cyclictest > /dev/null || { fail "cyclictest missing in the guest (rt-tests)"; finish; }
mem_mb=$(awk '/^MemTotal:/ { print int($2 / 1024) }' /proc/meminfo)
if [ "$mem_mb" -ge 6500 ]; then
	nprocs=20000 wss_mb=4096
	ok "full scale: $nprocs processes, $wss_mb MiB scanned (guest $mem_mb MiB)"
else
	nprocs=4000 wss_mb=512
	skip "full scale (20,000 processes, 4 GiB)" "guest of $mem_mb MiB: $nprocs processes, $wss_mb MiB"
fi
case $(uname -v) in
*PREEMPT_RT*) limit_us=1000 kind=rt ;;
*) limit_us=10000 kind=generic ;;
esac

echo 4194304 > /proc/sys/kernel/pid_max
echo 2 > /proc/sys/kernel/watchdog_thresh
echo 1 > /proc/sys/kernel/softlockup_panic

"$PROCS" "$nprocs" > /tmp/procs.out 2> /tmp/procs.err &
pp=$!
T_PIDS="$T_PIDS $pp"
i=0
while ! grep -q '^ready' /tmp/procs.out 2> /dev/null && [ $i -lt 1800 ]; do
	sleep 0.1
	i=$((i + 1))
done
check_eq "mt-procs started them all ($(cat /tmp/procs.err))" "$(cat /tmp/procs.out)" "ready $nprocs"
# 4 GiB of faults beside 20,000 processes: 60 s was not always enough
# under TCG on a loaded CI machine (6.1-rt, 2026-12-03)
MEMLOAD_READY_S=300 start_memload /tmp/ml.out -a "$wss_mb" || fail "memload -a $wss_mb"

# cyclictest's worst wake-up latency over all CPUs, in us, for SECONDS
worst_us() {
	cyclictest -m -S -p 90 -i 1000 -D "$1" -q > /tmp/ct.out 2>&1
	awk '/Max:/ { for (i = 1; i < NF; i++) if ($i == "Max:") { v = $(i + 1) + 0; if (v > m) m = v } }
		END { print m + 0 }' /tmp/ct.out
}
base_us=$(worst_us 5)
diag "baseline without memtrace: worst $base_us us ($(grep -c 'Max:' /tmp/ct.out) threads)"

# 16 MiB per CPU: a tick of 20,000 records fits (the default holds 12,483).
# wss_nonleaf_young=N: every pass reads every page table of the idle 4 GiB
# (skipping them, only the first pass would), the worst case every second
modprobe memtrace wss_budget_pages=1073741824 subbuf_size=1048576 n_subbufs=16 \
	wss_nonleaf_young=N ||
	{ fail "modprobe memtrace"; finish; }
memtrace-reader -I 1 -W 1000 -d 14 -o /dev/null 2> /tmp/y.err &
rd=$!
sleep 3
load_us=$(worst_us 8)
wait $rd
rc=$?
sed 's/^/#   /' /tmp/y.err | head -n 6
diag "with memtrace: worst $load_us us; tick_max_ns $(stat_val tick_max_ns), procs_last_tick $(stat_val procs_last_tick), wss_tick_max_pages $(stat_val wss_tick_max_pages), ticks $(stat_val ticks), ticks_missed $(stat_val ticks_missed)"
check_eq "reader exit status" "$rc" 0
check "ticks sampled every process (procs_last_tick $(stat_val procs_last_tick) >= $nprocs)" \
	[ "$(stat_val procs_last_tick)" -ge "$nprocs" ]
pages=$((wss_mb * 256))
check "a tick scanned the whole $wss_mb MiB (wss_tick_max_pages $(stat_val wss_tick_max_pages) >= $pages)" \
	[ "$(stat_val wss_tick_max_pages)" -ge "$pages" ]
# Under emulation (TCG) the floor is tens of ms and moves from run to run
# (12 to 42 ms seen in one day, more while the host is busy): there the
# bound is 4 times this boot's baseline, and at least 100 ms -- a tick that
# held its CPU measured 939 ms here.  On the debug kernel (KASAN, lockdep,
# kmemleak: every sample several times slower) at least 250 ms: 89 ms
# seen there, against a tick of 13.7 s that, not yielding, would hold the
# CPU throughout.
bound=$limit_us
if grep -q 'TCG' /proc/cpuinfo; then
	floor=100000
	[ -e /sys/kernel/debug/kmemleak ] && floor=250000
	[ $((base_us * 4)) -gt "$bound" ] && bound=$((base_us * 4))
	[ "$floor" -gt "$bound" ] && bound=$floor
fi
check "worst wake-up latency on $kind: $load_us us <= $bound us (limit $limit_us us, baseline $base_us us)" \
	[ "$load_us" -le "$bound" ]

echo 0 > /proc/sys/kernel/softlockup_panic
echo 10 > /proc/sys/kernel/watchdog_thresh
kill "$pp" "$MEMLOAD_PID" 2> /dev/null
wait 2> /dev/null
rmmod memtrace
finish
