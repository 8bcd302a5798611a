#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: the cgroup rows (memtrace-reader --cgroups).  Two quiescent
# workloads of known size in the nested cgroups /p/q (16 MiB anon) and /p/r
# (8 MiB anon, 4 MiB shmem); the reader, with --cgroup /p, writes one row a
# tick for /p, /p/q and /p/r, whose last rows must agree with what cgroupfs
# shows right after (memory.current, memory.swap.current, memory.stat's
# anon/file/shmem within 64 pages; memory.events and the workingset
# counters exactly; memory.pressure's totals not past it); cgroup_id is the
# directory's inode number; -i of the trace writes the same CSV byte for
# byte.  With -p only, the rows are those of the sampled process's cgroup.
. /extra/vm/lib.sh

CG=/sys/fs/cgroup
[ -f $CG/cgroup.controllers ] || mount -t cgroup2 none $CG ||
	{ fail "mount cgroup2"; finish; }
setup_swap 64 || { fail "zram swap set-up"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }
echo +memory > $CG/cgroup.subtree_control || { fail "memory controller"; finish; }
mkdir -p $CG/p
echo +memory > $CG/p/cgroup.subtree_control
mkdir -p $CG/p/q $CG/p/r
# in_cgroup DIR OUT ARGS...: memload ARGS in cgroup DIR, ready in OUT; pid in $ML
in_cgroup() {
	d=$1 out=$2
	shift 2
	sh -c "echo \$\$ > $d/cgroup.procs && exec $MEMLOAD $*" > "$out" &
	ML=$!
	T_PIDS="$T_PIDS $ML"
	i=0
	while ! grep -q ready "$out" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}
in_cgroup $CG/p/q /tmp/q.out -a 16
pq=$ML
in_cgroup $CG/p/r /tmp/r.out -a 8 -s 4
pr=$ML
check "workloads ready" grep -q ready /tmp/r.out

# 2 s; 8 s on the debug kernel, where reading the cgroup files takes
# ~140 ms a tick and the reader's 1/10-of-a-CPU budget gives rows to one
# tick in 14 or so (2 ticks with rows in 2 s seen on debug-6.12)
dur=2
[ -e /sys/kernel/debug/kmemleak ] && dur=8
memtrace-reader --cgroup $CG/p -I 100 -d $dur -o /tmp/p.csv --cgroups /tmp/cg.csv \
	-w /tmp/cg.trace 2> /tmp/r.err
check_eq "reader exits 0" "$?" 0
diag "$(grep -v note: /tmp/r.err)"
head -1 /tmp/cg.csv | grep -q '^ts_ns,tick,cgroup_id,path,memory_current_kb,' ||
	fail "cgroup CSV header: $(head -1 /tmp/cg.csv)"
paths=$(awk -F, 'NR > 1 { print $4 }' /tmp/cg.csv | sort -u | tr '\n' ' ')
check_eq "rows of /p and its children, nothing else" "$paths" "/p /p/q /p/r "
nt=$(awk -F, 'NR > 1 { print $2 }' /tmp/cg.csv | sort -u | wc -l)
nq=$(awk -F, 'NR > 1 && $4 == "/p/q"' /tmp/cg.csv | wc -l)
check "one /p/q row in each tick with rows ($nq rows, $nt ticks)" [ "$nq" -eq "$nt" -a "$nq" -ge 3 ]
# the reader gives cgroupfs at most a tenth of a CPU: ticks it had to skip
# are said in the summary, never silently missing
nsys=$(awk -F, -v c="$(csv_col /tmp/p.csv tick)" 'NR > 1 { print $c }' /tmp/p.csv | sort -u | wc -l)
if [ "$nt" -lt "$nsys" ]; then
	check "ticks without cgroup rows ($((nsys - nt)) of $nsys) are reported" \
		grep -q "cgroup rows: $((nsys - nt)) of $nsys ticks have none" /tmp/r.err
else
	ok "every tick has cgroup rows ($nt)"
fi

# last row of cgroup PATH, column NAME
last() { awk -F, -v p="$1" -v c="$(csv_col /tmp/cg.csv "$2")" '$4 == p { v = $c } END { print v }' /tmp/cg.csv; }
# memory.stat / memory.events key of cgroup PATH (lib.sh's check_within
# uses $d: the loop below names its cgroup $cg)
kv() { awk -v k="$3" '$1 == k { print $2 }' "$CG$1/$2"; }
for cg in /p /p/q /p/r; do
	check_eq "$cg: cgroup_id = inode number" "$(last $cg cgroup_id)" "$(stat -c %i $CG$cg)"
	check_within "$cg: memory_current_kb = memory.current" "$(last $cg memory_current_kb)" \
		$(($(cat $CG$cg/memory.current) / 1024)) 256
	if [ -r $CG$cg/memory.swap.current ]; then
		check_within "$cg: memory_swap_current_kb = memory.swap.current" \
			"$(last $cg memory_swap_current_kb)" \
			$(($(cat $CG$cg/memory.swap.current) / 1024)) 256
	else
		check_eq "$cg: no swap accounting: memory_swap_current_kb empty" \
			"$(last $cg memory_swap_current_kb)" ""
	fi
	for k in anon file shmem; do
		check_within "$cg: ${k}_kb = memory.stat $k" "$(last $cg ${k}_kb)" \
			$(($(kv $cg memory.stat $k) / 1024)) 256
	done
	for k in workingset_refault_anon workingset_refault_file; do
		check_eq "$cg: $k = memory.stat" "$(last $cg $k)" "$(kv $cg memory.stat $k)"
	done
	check_eq "$cg: memory_high_events = memory.events high" "$(last $cg memory_high_events)" \
		"$(kv $cg memory.events high)"
	check_eq "$cg: memory_max_events = memory.events max" "$(last $cg memory_max_events)" \
		"$(kv $cg memory.events max)"
	check_eq "$cg: oom_kill = memory.events oom_kill" "$(last $cg oom_kill)" \
		"$(kv $cg memory.events oom_kill)"
	if [ -r $CG$cg/memory.pressure ] && cat $CG$cg/memory.pressure > /dev/null 2>&1; then
		s=$(sed -n 's/^some .*total=\([0-9]*\).*/\1/p' $CG$cg/memory.pressure)
		check "$cg: psi_memory_some_us not past memory.pressure ($(last $cg psi_memory_some_us) <= $s)" \
			[ -n "$(last $cg psi_memory_some_us)" -a "$(last $cg psi_memory_some_us)" -le "$s" ]
	else
		check_eq "$cg: no PSI: psi_memory_some_us empty" "$(last $cg psi_memory_some_us)" ""
	fi
done
check "/p/q: anon_kb >= the 16 MiB written" [ "$(last /p/q anon_kb)" -ge 16000 ]
check "/p/r: shmem_kb >= the 4 MiB written" [ "$(last /p/r shmem_kb)" -ge 4000 ]

memtrace-reader -i /tmp/cg.trace -o /tmp/p2.csv --cgroups /tmp/cg2.csv 2> /tmp/i.err
check_eq "-i exits 0" "$?" 0
check "-i: the cgroup CSV byte for byte" cmp /tmp/cg.csv /tmp/cg2.csv
check "-i: the process CSV byte for byte" cmp /tmp/p.csv /tmp/p2.csv

memtrace-reader -p $pr -I 100 -d 1 -o /dev/null --cgroups /tmp/cgp.csv 2> /dev/null
check_eq "-p only: rows of that process's cgroup" \
	"$(awk -F, 'NR > 1 { print $4 }' /tmp/cgp.csv | sort -u | tr '\n' ' ')" "/p/r "
rmmod memtrace
finish
