#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: per-process delay accounting and cgroup ids.  A workload whose
# 40 MiB hot set is written round after round inside a cgroup whose
# memory.max is 32 MiB swaps to zram all the time: the system rows' pswpout
# must grow, the cgroup's rows (--cgroups) must show its swap (over 4 MiB),
# and the process's swapin_delay_ns and thrashing_delay_ns must grow
# (kernel.task_delayacct=1).  Ground truth: the kernel's own taskstats
# client, getdelays -d -t TGID (tools/accounting/), read while the workload
# is stopped (SIGSTOP) so that nothing moves between it and
# memtrace's record; each figure within 1% (and 1 ms).  cgroup_id must be
# the cgroup directory's inode number.  A process started while delay
# accounting was off has empty delay cells, never 0; a kernel without delay
# accounting (the debug kernel) has them empty for every process.
. /extra/vm/lib.sh

GD=$(stress_bin getdelays) || { fail "helper getdelays missing (build/stress)"; finish; }
ML=$MEMLOAD
[ -x $ML ] || { fail "memload missing"; finish; }
CG=/sys/fs/cgroup
[ -f $CG/cgroup.controllers ] || mount -t cgroup2 none $CG ||
	{ fail "mount cgroup2"; finish; }
setup_swap 256 || { fail "zram swap set-up"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }

# a process started before delay accounting is switched on (5.14+: off by
# default; 5.10 has no sysctl and counts from boot)
sleep 1000 &
early=$!
T_PIDS="$T_PIDS $early"
DA=/proc/sys/kernel/task_delayacct
[ -w $DA ] && echo 1 > $DA
delayacct=1
# the kernel has delay accounting if taskstats answers for this shell
"$GD" -d -p $$ > /tmp/gd.self 2>&1 || delayacct=0
grep -q "SWAP" /tmp/gd.self || delayacct=0
diag "delay accounting: $delayacct"

echo +memory > $CG/cgroup.subtree_control || { fail "enable the memory controller"; finish; }
mkdir -p $CG/mt
echo 32M > $CG/mt/memory.max || { fail "memory.max"; finish; }
sh -c "echo \$\$ > $CG/mt/cgroup.procs && exec $ML -a 48 -w 40" > /tmp/ml.out &
pid=$!
T_PIDS="$T_PIDS $pid"
i=0
while ! grep -q ready /tmp/ml.out && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
check "workload ready in the cgroup" grep -q ready /tmp/ml.out

memtrace-reader -p $pid -p $early -I 50 -o /tmp/d.csv --system /tmp/d.sys \
	--cgroups /tmp/d.cg 2> /tmp/r.err &
rpid=$!
reader_ready $rpid || fail "reader ready"
sleep 3
kill -STOP $pid
sleep 0.5	# ticks of the stopped workload
"$GD" -d -t $pid > /tmp/gd.out 2>&1
gd_rc=$?
sleep 0.3
kill -INT $rpid
wait $rpid
check_eq "reader exits 0" "$?" 0
diag "$(grep -v '^$' /tmp/r.err | head -3)"
kill -CONT $pid

first() { awk -F, -v c="$(csv_col "$1" "$3")" -v p="$2" -v pc="$(csv_col "$1" pid)" \
	'NR > 1 && $pc == p { print $c; exit }' "$1"; }
sys_delta() { awk -F, -v c="$(csv_col /tmp/d.sys "$1")" 'NR == 2 { a = $c } NR > 1 { b = $c }
	END { print b - a }' /tmp/d.sys; }
check "pswpout grows in the system rows ($(sys_delta pswpout))" [ "$(sys_delta pswpout)" -gt 0 ]
check "pswpin grows in the system rows ($(sys_delta pswpin))" [ "$(sys_delta pswpin)" -gt 0 ]

# the cgroup's swap grows too (its rows, from memory.swap.current)
cgsw() { awk -F, -v c="$(csv_col /tmp/d.cg memory_swap_current_kb)" '$4 == "/mt" { print $c }' /tmp/d.cg; }
sw_first=$(cgsw | head -n 1)
sw_last=$(cgsw | tail -n 1)
if [ -r $CG/mt/memory.swap.current ]; then
	check "the cgroup's memory_swap_current_kb holds the overflow ($sw_first -> $sw_last kB)" \
		[ "${sw_last:-0}" -gt 4096 ]
else
	skip "the cgroup's swap" "no memory.swap.current (swap accounting off)"
fi
cg=$(stat -c %i $CG/mt)
check_eq "cgroup_id = inode number of $CG/mt" "$(csv_last /tmp/d.csv $pid cgroup_id)" "$cg"
check_eq "cgroup_id of a process in the root cgroup = inode of $CG" \
	"$(csv_last /tmp/d.csv $early cgroup_id)" "$(stat -c %i $CG)"

if [ $delayacct = 0 ]; then
	for f in thrashing_delay_ns swapin_delay_ns reclaim_delay_ns compact_delay_ns; do
		check_eq "no delay accounting in this kernel: $f empty" \
			"$(csv_last /tmp/d.csv $pid $f)" ""
	done
	rmmod memtrace
	finish
fi
if [ -e $DA ]; then
	check_eq "started while delay accounting was off: swapin_delay_ns empty, not 0" \
		"$(csv_last /tmp/d.csv $early swapin_delay_ns)" ""
else
	check_eq "5.10 counts from boot: the early process has figures" \
		"$(csv_last /tmp/d.csv $early swapin_delay_ns)" 0
fi
check_eq "getdelays exits 0" "$gd_rc" 0
diag "$(cat /tmp/gd.out)"
# the delay total of getdelays' section NAME: the second field of the line
# after the section's header
gd() { awk -v s="$1" '$1 == s { getline; print $2; exit }' /tmp/gd.out; }
sw0=$(first /tmp/d.csv $pid swapin_delay_ns)
sw1=$(csv_last /tmp/d.csv $pid swapin_delay_ns)
th0=$(first /tmp/d.csv $pid thrashing_delay_ns)
th1=$(csv_last /tmp/d.csv $pid thrashing_delay_ns)
# growth, where the kernel counted any (5.10 counts a swap-in delay only
# across a block I/O wait, and zram completes synchronously; thrashing
# needs a refault of a page evicted from the working set, which a run
# need not have)
grows() { # DESC FIRST LAST KERNEL_TOTAL
	if [ "${4:-0}" = 0 ]; then
		skip "$1" "the kernel's own total (getdelays) is 0 on $(uname -r)"
	else
		check "$1 ($2 -> $3)" [ "${3:-0}" -gt "${2:-0}" ]
	fi
}
grows "swapin_delay_ns grows in the session" "$sw0" "$sw1" "$(gd SWAP)"
# thrashing comes in bursts: it grew from 0 when the process started
grows "thrashing_delay_ns grew from 0" 0 "$th1" "$(gd THRASHING)"
# within 1% of getdelays, or 1 ms
within() { # DESC GOT WANT
	t=$(($3 / 100))
	[ $t -lt 1000000 ] && t=1000000
	check_within "$1" "$2" "$3" $t
}
within "swapin_delay_ns = getdelays SWAP delay total" "$sw1" "$(gd SWAP)"
within "thrashing_delay_ns = getdelays THRASHING delay total" "$th1" "$(gd THRASHING)"
within "reclaim_delay_ns = getdelays RECLAIM delay total" \
	"$(csv_last /tmp/d.csv $pid reclaim_delay_ns)" "$(gd RECLAIM)"
# compaction delays per task exist from 5.19 on (getdelays, built from
# 6.1's source, prints a zeroed COMPACT section on older kernels)
case $(uname -r) in
5.*)	check_eq "compact_delay_ns empty: $(uname -r) keeps no compaction delays" \
		"$(csv_last /tmp/d.csv $pid compact_delay_ns)" "" ;;
*)	within "compact_delay_ns = getdelays COMPACT delay total" \
		"$(csv_last /tmp/d.csv $pid compact_delay_ns)" "$(gd COMPACT)" ;;
esac
rmmod memtrace
finish
