#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: sampled processes in uninterruptible sleep (state D), with WSS
# scanning on.  Sources of D (tests/stress/mt-dstate, busybox dd):
#  1. a vfork parent: clone(CLONE_VM | CLONE_VFORK) waits in
#     wait_for_vfork_done(), TASK_KILLABLE (shown as D), while its child --
#     a process of its own that shares the parent's mm -- sleeps;
#  2. mmap_lock contention: one thread holds mmap_lock for writing over long
#     stretches (mprotect of 64 MiB back and forth) while two threads fault,
#     waiting for the lock in D -- the WSS scanner must skip (trylock), never
#     wait;
#  3. block I/O that takes seconds (null_blk with a 2 s completion time, read
#     with O_DIRECT: TASK_UNINTERRUPTIBLE in the block layer), when the
#     null_blk module is in the guest (MEMTRACE_VM_KMODS=null_blk); skipped
#     otherwise.
# Checks: the processes really are in D while sampled; each is sampled in
# every tick; the ticks keep their pace (the tick never waits for a sleeping
# process); their figures match /proc; the vfork parent and child, two
# thread groups with one mm, report the same mm figures in every tick; the
# scanner skipped rather than waited on the contended mmap_lock; nothing
# lost (CSV rows per CPU = records written).
. /extra/vm/lib.sh

state() { awk '{ print $3 }' "/proc/$1/stat" 2> /dev/null; }
# rows_of CSV PID: records of PID
rows_of() { awk -F, -v p="$2" 'NR > 1 && $5 == p' "$1" | wc -l; }
ticks_of() { awk -F, 'NR > 1 { print $4 }' "$1" | sort -u | wc -l; }

DST=$(stress_bin mt-dstate) || { fail "helper mt-dstate missing: build tests/stress/mt-dstate.c into build/stress and --add build/stress"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }
echo 100 > $MT/wss_interval_ms

# --- 1. the vfork parent -----------------------------------------------------
# the pair lives 8 s; 20 s on the debug kernel, where the checks below take
# longer than 8 s (KASAN, lockdep, kmemleak)
life=8
[ -e /sys/kernel/debug/kmemleak ] && life=20
"$DST" vfork $life 32 > /tmp/v.out 2>&1 &
P=$!
T_PIDS="$T_PIDS $P"
i=0
while ! grep -q '^ready' /tmp/v.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
C=$(sed -n 's/^ready pid=[0-9]* child=\([0-9]*\)/\1/p' /tmp/v.out)
check "vfork child running (${C:-none})" [ -n "$C" ]
sleep 0.2
check_eq "the vfork parent is in D" "$(state $P)" D
cp $MT/stats /tmp/s0
memtrace-reader -p $P -p $C -I 20 -W 100 -d 3 -o /tmp/v.csv --system /tmp/v.sys 2> /tmp/reader.err
check_eq "reader exits 0" "$?" 0
cp $MT/stats /tmp/s1
check_eq "the vfork parent still in D after the session" "$(state $P)" D
t=$(ticks_of /tmp/v.csv)
check "ticks kept their pace (20 ms): $t in 3 s" [ "$t" -ge 120 ]
check_eq "the D parent sampled in every tick" "$(rows_of /tmp/v.csv $P)" "$t"
check_eq "the child sampled in every tick" "$(rows_of /tmp/v.csv $C)" "$t"
# one mm, two thread groups: the same mm figures, tick by tick
diffs=$(awk -F, -v p="$P" -v c="$C" 'NR > 1 && ($5 == p || $5 == c) {
		k = $7 "," $8 "," $9 "," $10 "," $11 "," $12
		if ($4 in m && m[$4] != k) d++
		m[$4] = k
	} END { print d + 0 }' /tmp/v.csv)
check_eq "parent and child (one mm) report identical vsz/rss figures in each tick" "$diffs" 0
check_within "the D parent's rss_anon_kb = RssAnon" "$(csv_last /tmp/v.csv $P rss_anon_kb)" \
	"$(status_kb $P RssAnon)" 256
check_within "the D parent's vsz_kb = VmSize" "$(csv_last /tmp/v.csv $P vsz_kb)" "$(status_kb $P VmSize)" 256
check_eq "the D parent's minflt = /proc/PID/stat" "$(csv_last /tmp/v.csv $P minflt)" "$(stat_field $P 10)"
account "vfork" /tmp/v.csv /tmp/s0 /tmp/s1 /tmp/v.sys
wait $P
check_eq "the vfork pair ends normally" "$?" 0

# --- 2. mmap_lock contention ---------------------------------------------------
echo 50 > $MT/wss_interval_ms
sk0=$(stat_val wss_scans_skipped)
sc0=$(stat_val wss_scans_completed)
"$DST" mmaplock 8 64 > /tmp/l.out 2>&1 &
M=$!
T_PIDS="$T_PIDS $M"
i=0
while ! grep -q '^ready' /tmp/l.out && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
cp $MT/stats /tmp/s0
memtrace-reader -p $M -I 20 -W 50 -d 4 -o /tmp/l.csv --system /tmp/l.sys 2> /tmp/reader.err &
R=$!
seen=0
looks=0
while kill -0 $R 2> /dev/null; do
	for s in /proc/$M/task/*/stat; do
		looks=$((looks + 1))
		[ "$(awk '{ print $3 }' "$s" 2> /dev/null)" = D ] && seen=$((seen + 1))
	done
	sleep 0.05
done
wait $R
check_eq "reader exits 0" "$?" 0
cp $MT/stats /tmp/s1
diag "threads seen in D: $seen of $looks looks"
check "threads of the sampled process were in D during the session ($seen)" [ "$seen" -gt 0 ]
t=$(ticks_of /tmp/l.csv)
check "ticks kept their pace (20 ms): $t in 4 s" [ "$t" -ge 140 ]
check_eq "the contended process sampled in every tick" "$(rows_of /tmp/l.csv $M)" "$t"
sk=$(($(stat_val wss_scans_skipped) - sk0))
sc=$(($(stat_val wss_scans_completed) - sc0))
diag "WSS: $sc scans completed, $sk skipped on the contended mmap_lock; tick_max_ns $(stat_val tick_max_ns)"
check "the WSS scanner skipped the contended mmap_lock rather than waiting ($sk)" [ "$sk" -gt 0 ]
account "mmap_lock" /tmp/l.csv /tmp/s0 /tmp/s1 /tmp/l.sys
wait $M
check_eq "the contended process ends normally" "$?" 0

# --- 3. slow block I/O (null_blk) -------------------------------------------------
if modprobe null_blk nr_devices=1 irqmode=2 completion_nsec=2000000000 2> /dev/null &&
	[ -b /dev/nullb0 ]; then
	dd if=/dev/nullb0 of=/dev/null bs=4096 count=3 iflag=direct 2> /dev/null &
	B=$!
	sleep 0.3
	check_eq "a reader of the slow block device is in D" "$(state $B)" D
	cp $MT/stats /tmp/s0
	memtrace-reader -p $B -I 20 -W 50 -d 2 -o /tmp/b.csv --system /tmp/b.sys 2> /tmp/reader.err
	check_eq "reader exits 0" "$?" 0
	cp $MT/stats /tmp/s1
	check_eq "still in D after the session" "$(state $B)" D
	t=$(ticks_of /tmp/b.csv)
	check "ticks kept their pace (20 ms): $t in 2 s" [ "$t" -ge 80 ]
	check_eq "the process in block I/O sampled in every tick" "$(rows_of /tmp/b.csv $B)" "$t"
	account "block I/O" /tmp/b.csv /tmp/s0 /tmp/s1 /tmp/b.sys
	wait $B
	check_eq "dd ends normally" "$?" 0
else
	skip "uninterruptible block I/O" "null_blk not available in the guest (MEMTRACE_VM_KMODS=null_blk adds it)"
fi
rmmod memtrace
check "rmmod" [ ! -d /sys/module/memtrace ]
finish
