#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: address-space churn during WSS scans.  tests/stress/mt-mmchurn
# keeps writing a stable 8 MiB hot set while other threads mmap, munmap
# parts of, mprotect, mremap, MADV_DONTNEED/MADV_FREE and fork over regions
# of their own, and one more thread collapses a 16 MiB THP region
# (MADV_COLLAPSE) and splits it again (mprotect of one page per huge page,
# MADV_DONTNEED of a page), with khugepaged scanning flat out (every 100 ms
# on the debug kernel) -- all while
# the WSS scanner walks the process's page tables every 5 ms tick (200 ms
# windows).  Two bystanders are sampled too: an idle 16 MiB process and one
# with a 4 MiB hot set.  Checks, besides a clean kernel log:
#  - THP collapses and PMD splits really happened during the session
#    (/proc/vmstat), and the churning process survived (exit 0);
#  - the scanner ran (scans completed), never over its per-tick budget;
#  - the churning process's WSS windows: none above its VmPeak (no page
#    counted twice, none from outside the process), and at least 80% of
#    them >= 90% of its hot set (see below why not all);
#  - the bystanders' windows stay right: 90% of them 4 MiB +-10%, idle
#    always < 1 MiB;
#  - nothing lost: CSV rows per CPU = records written in stats.
. /extra/vm/lib.sh

vmstat_val() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
# wss_windows CSV PID: "wss_kb" of each completed window of PID
wss_windows() {
	awk -F, -v pid="$2" -v w="$(csv_col "$1" wss_kb)" \
		'NR > 1 && $5 == pid && $w != "" { printf "%s ", $w }' "$1"
}
# wss_detail CSV PID: per window "kb/window_ms/cpu_ms", cpu_ms being the
# process's user + system time since the previous window ended
wss_detail() {
	awk -F, -v pid="$2" -v w="$(csv_col "$1" wss_kb)" -v l="$(csv_col "$1" wss_window_ms)" \
		'NR > 1 && $5 == pid && $w != "" {
			t = $16 + $17
			printf "%s/%s/%d ", $w, l == "" ? "?" : $l, prev ? (t - prev) / 1000000 : -1
			prev = t
		}' "$1"
}

CHURN=$(stress_bin mt-mmchurn) || { fail "helper mt-mmchurn missing: build tests/stress/mt-mmchurn.c into build/stress and --add build/stress"; finish; }
# THP: absent on PREEMPT_RT kernels (TRANSPARENT_HUGEPAGE depends on
# !PREEMPT_RT); then the churn runs without huge pages and the THP checks
# are skipped
# On the debug kernel (KASAN, lockdep, kmemleak) khugepaged pauses 100 ms
# between its rounds instead of none: a round there holds the churner's
# mmap_lock for read so long that, with a churning thread queued behind it
# for write, the lock was free at 1 of 500 ticks; the churner then had no
# WSS window at all.  The churner's own MADV_COLLAPSE thread collapses on.
# Its session is 20 s instead of 12 s: its 5 ms ticks take 50-150 ms there
# (a tenth of the ticks; fewer still beside the other guest CI runs).
secs=12
minwin=5
kh_sleep=0
[ -e /sys/kernel/debug/kmemleak ] && secs=20 minwin=3 kh_sleep=100
KH=/sys/kernel/mm/transparent_hugepage
thp=1
if [ ! -e $KH/enabled ] || grep -q '\[never\]' $KH/enabled; then
	thp=0
else
	echo $kh_sleep > $KH/khugepaged/scan_sleep_millisecs
	echo $kh_sleep > $KH/khugepaged/alloc_sleep_millisecs
	echo 4096 > $KH/khugepaged/pages_to_scan
fi

modprobe memtrace || { fail "modprobe memtrace"; finish; }
start_memload /tmp/idle.out -a 16 || { fail "memload idle"; finish; }
idle=$MEMLOAD_PID
start_memload /tmp/hot.out -a 64 -w 4 || { fail "memload hot"; finish; }
hot=$MEMLOAD_PID
# it runs until SIGTERM (after the session); -d is only a safety net
"$CHURN" -d 120 -H 8 -c 2 -T 16 -s 7 > /tmp/churn.out 2> /tmp/churn.err &
ch=$!
T_PIDS="$T_PIDS $ch"
i=0
while ! grep -q '^ready' /tmp/churn.out && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "churner ready" grep -q '^ready' /tmp/churn.out
diag "$(head -n 2 /tmp/churn.out | tr '\n' ' ')"

split0=$(vmstat_val thp_split_pmd)
coll0=$(vmstat_val thp_collapse_alloc)
: "${split0:=0}" "${coll0:=0}"
sc0=$(stat_val wss_scans_completed)
sk0=$(stat_val wss_scans_skipped)
echo 200 > $MT/wss_interval_ms
cp $MT/stats /tmp/s0
memtrace-reader -p $ch -p $idle -p $hot -I 5 -W 200 -d $secs -o /tmp/c.csv --system /tmp/c.sys 2> /tmp/reader.err &
R=$!
sleep 6
ahp=$(awk '/^AnonHugePages:/ { print $2 }' /proc/$ch/smaps_rollup)
wait $R
rrc=$?
cp $MT/stats /tmp/s1
peak=$(status_kb $ch VmPeak)
kill -TERM $ch
wait $ch
crc=$?
check_eq "reader exits 0" "$rrc" 0
sed 's/^/# reader: /' /tmp/reader.err | head -4
check_eq "churning process exits 0 at SIGTERM (survived the scans)" "$crc" 0
diag "$(tail -n 1 /tmp/churn.out) $(cat /tmp/churn.err)"

diag "AnonHugePages of the churner mid-run: ${ahp:-?} KiB; VmPeak $peak KiB"
if [ $thp = 1 ]; then
	dsplit=$(($(vmstat_val thp_split_pmd) - split0))
	dcoll=$(($(vmstat_val thp_collapse_alloc) - coll0))
	check "huge PMDs split during the session ($dsplit)" [ "$dsplit" -gt 0 ]
	check "huge pages collapsed during the session ($dcoll)" [ "$dcoll" -gt 0 ]
else
	skip "THP split/collapse during the scans" "no transparent huge pages on this kernel"
fi
dsc=$(($(stat_val wss_scans_completed) - sc0))
diag "WSS: $dsc scans completed, $(($(stat_val wss_scans_skipped) - sk0)) skipped on a contended mmap_lock," \
	"$(stat_val wss_tlb_flushes) TLB flush rounds"
check "WSS scans completed during the churn ($dsc)" [ "$dsc" -gt 10 ]
check "no tick scanned more than the budget ($(stat_val wss_tick_max_pages) <= $(cat /sys/module/memtrace/parameters/wss_budget_pages))" \
	[ "$(stat_val wss_tick_max_pages)" -le "$(cat /sys/module/memtrace/parameters/wss_budget_pages)" ]

ws=$(wss_windows /tmp/c.csv $ch)
n=0
low=0
high=0
for kb in $ws; do
	n=$((n + 1))
	[ "$kb" -ge $((8192 * 9 / 10)) ] || low=$((low + 1))
	[ "$kb" -le "$peak" ] || high=$((high + 1))
done
# Under mmap_lock contention a pass stretches (skipped ticks) and the next
# one starts as soon as it ends, so pages seen late in the stretched pass
# get a much shorter window than wss_window_ms says, and can read low: only
# most windows are held to the hot set.
check "churner: $n windows (at least $minwin), none above VmPeak $peak KiB ($ws)" \
	sh -c "[ $n -ge $minwin ] && [ $high = 0 ]"
check "churner: $((n - low)) of $n windows >= 90% of the 8 MiB hot set (at least 80%)" \
	[ $((low * 5)) -le "$n" ]
[ $low = 0 ] || diag "churner windows as kb/window_ms/cpu_ms: $(wss_detail /tmp/c.csv $ch)"
n=0
bad=0
ws=$(wss_windows /tmp/c.csv $hot)
for kb in $ws; do
	n=$((n + 1))
	[ $n = 1 ] && continue # the first window may still see memload's initial touch
	d=$((kb - 4096))
	[ $d -lt 0 ] && d=$((-d))
	[ $((d * 10)) -le 4096 ] || bad=$((bad + 1))
done
# the budget is shared round robin, so the churner's stretched passes
# stretch the bystander's too (same effect as above): allow one in ten off
check "bystander with a 4 MiB hot set: $((n - bad)) of $n windows within 10% (at least 90%: $ws)" \
	sh -c "[ $n -ge 5 ] && [ $((bad * 10)) -le $n ]"
[ $bad = 0 ] || diag "bystander windows as kb/window_ms/cpu_ms: $(wss_detail /tmp/c.csv $hot)"
ws=$(wss_windows /tmp/c.csv $idle)
n=0
bad=0
for kb in $ws; do
	n=$((n + 1))
	[ "$kb" -lt 1024 ] || bad=$((bad + 1))
done
check "idle bystander: $n windows under 1 MiB ($ws)" sh -c "[ $n -ge 5 ] && [ $bad = 0 ]"
account "mm churn" /tmp/c.csv /tmp/s0 /tmp/s1 /tmp/c.sys
rmmod memtrace
check "rmmod" [ ! -d /sys/module/memtrace ]
finish
