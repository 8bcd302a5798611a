#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: the system rows (memtrace-reader --system) against the kernel's
# own files, /proc/meminfo, /proc/vmstat, /proc/stat, /proc/pressure/* and
# /proc/buddyinfo, read while the reader samples a quiet guest at 10 ms.
# The snapshot is bracketed by CLOCK_MONOTONIC (/proc/timer_list "now at")
# read before and after it; row A is the last row stamped before, row B the
# first after.  Bounds:
#  - event counters (/proc/vmstat) only grow: A <= proc <= B, exactly;
#  - memory figures (/proc/meminfo): within 64 pages (256 kB) of the range
#    of A and B (4 MiB on the debug kernel); Committed_AS within the error
#    of the percpu_counter both read (percpu_counter_read_positive() of
#    vm_committed_as: per CPU up to its batch, max(2 * CPUs, MemTotal
#    pages / CPUs / 256) pages, is not yet folded in, and a fold between
#    two reads moves it by that much);
#  - CPU times (/proc/stat, USER_HZ = 10 ms): A - 1 tick per CPU <= proc
#    <= B + 1 tick per CPU (clock_t truncation; iowait is not monotonic);
#  - PSI totals (filled by the reader from /proc/pressure when it reads the
#    record, within a read period): within 250 ms of the range of A and B;
#  - free blocks per order (/proc/buddyinfo summed over zones): within 256
#    blocks of that range (the allocator moves order-0 pages in batches).
# Also: one row a tick (consecutive ticks), SwapTotal = the zram swap, and
# the memstat_system trace event.
. /extra/vm/lib.sh

setup_swap 64 || { fail "zram swap set-up"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }
mono() { awk '/^now at/ { print $3; exit }' /proc/timer_list; }

# rows in the system CSV (the reader flushes it every read round)
rows_now() { echo $(($(wc -l < /tmp/s.csv 2> /dev/null || echo 1) - 1)); }
# rows stamped after ts_ns $t1
rows_after() { awk -F, -v t="$t1" 'NR > 1 && $1 > t { n++ } END { print n + 0 }' /tmp/s.csv; }
rows_before_snapshot() { [ "$(rows_now)" -ge 20 ]; }
rows_after_snapshot() { [ "$(rows_after)" -ge 20 ]; }
# wait_until CMD...: until CMD succeeds (run afresh each time), up to 30 s
wait_until() {
	i=0
	while ! "$@" && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
}

memtrace-reader -I 10 -d 60 -o /dev/null --system /tmp/s.csv 2> /tmp/r.err &
rpid=$!
reader_ready $rpid || fail "reader ready"
wait_until rows_before_snapshot
t0=$(mono)
cat /proc/meminfo > /tmp/p.meminfo
cat /proc/vmstat > /tmp/p.vmstat
cat /proc/stat > /tmp/p.stat
for r in memory io cpu; do
	cat /proc/pressure/$r > /tmp/p.psi.$r 2> /dev/null
done
cat /proc/buddyinfo > /tmp/p.buddy
t1=$(mono)
# a row stamped after the snapshot, and 20 more
wait_until rows_after_snapshot
kill -INT $rpid
wait $rpid
check_eq "reader exits 0 at SIGINT" "$?" 0
diag "snapshot between ts_ns $t0 and $t1"

# /proc's figures under the CSV's column names, one "name value" a line
{
	awk '{ sub(":", "", $1); k = $1; v = $2 }
	     k == "MemTotal" { print "memtotal_kb", v } k == "MemFree" { print "memfree_kb", v }
	     k == "MemAvailable" { print "memavailable_kb", v } k == "Buffers" { print "buffers_kb", v }
	     k == "Cached" { print "cached_kb", v } k == "Shmem" { print "shmem_kb", v }
	     k == "SwapTotal" { print "swaptotal_kb", v } k == "SwapFree" { print "swapfree_kb", v }
	     k == "Committed_AS" { print "committed_as_kb", v }
	     k == "CommitLimit" { print "commitlimit_kb", v }
	     k == "AnonPages" { print "anonpages_kb", v } k == "Slab" { print "slab_kb", v }' \
		/tmp/p.meminfo
	awk '$1 ~ /^allocstall_/ { a += $2; next }
	     $1 == "compact_stall" || $1 == "pgfault" || $1 == "pgmajfault" ||
	     $1 == "pswpin" || $1 == "pswpout" || $1 == "pgscan_kswapd" ||
	     $1 == "pgscan_direct" || $1 == "pgsteal_kswapd" ||
	     $1 == "pgsteal_direct" || $1 == "oom_kill" ||
	     $1 ~ /^workingset_(refault|activate)_(anon|file)$/ ||
	     $1 == "thp_fault_alloc" { print $1, $2 }
	     END { print "allocstall", a }' /tmp/p.vmstat
	awk '$1 == "cpu" { print "cpu_user_ns", $2; print "cpu_nice_ns", $3
	     print "cpu_system_ns", $4; print "cpu_idle_ns", $5
	     print "cpu_iowait_ns", $6; print "cpu_irq_ns", $7
	     print "cpu_softirq_ns", $8; print "cpu_steal_ns", $9 }' /tmp/p.stat
	for r in memory io cpu; do
		[ -s /tmp/p.psi.$r ] || continue
		awk -v r=$r '{ for (i = 2; i <= NF; i++)
			if ($i ~ /^total=/) { sub("total=", "", $i)
				if (r != "cpu" || $1 == "some") print "psi_" r "_" $1 "_us", $i } }' \
			/tmp/p.psi.$r
	done
	awk '{ for (i = 5; i <= NF; i++) f[i - 5] += $i; if (NF - 5 > n) n = NF - 5 }
	     END { for (o = 0; o <= n; o++) print "free_order" o, f[o] }' /tmp/p.buddy
} > /tmp/p.all
ncpu=$(grep -c '^cpu[0-9]' /tmp/p.stat)

rows=$(($(wc -l < /tmp/s.csv) - 1))
check "system rows ($rows)" [ "$rows" -ge 40 ]
gaps=$(awk -F, 'NR > 2 && $2 != t + 1 { n++ } NR > 1 { t = $2 } END { print n + 0 }' /tmp/s.csv)
check_eq "one row a tick: consecutive ticks" "$gaps" 0

# rows A and B around the snapshot, as "name value" lines
awk -F, -v t0="$t0" -v t1="$t1" '
	NR == 1 { for (i = 1; i <= NF; i++) name[i] = $i; nf = NF; next }
	$1 < t0 { split($0, a, ",") }
	$1 > t1 && !got { split($0, b, ","); got = 1 }
	END { for (i = 1; i <= nf; i++) print name[i], a[i], b[i] }' \
	/tmp/s.csv > /tmp/ab
diag "row A ts_ns $(awk '$1 == "ts_ns" { print $2 }' /tmp/ab), row B ts_ns $(awk '$1 == "ts_ns" { print $3 }' /tmp/ab)"
check "rows on both sides of the snapshot" \
	[ -n "$(awk '$1 == "ts_ns" { print $2 }' /tmp/ab)" -a -n "$(awk '$1 == "ts_ns" { print $3 }' /tmp/ab)" ]

# compare: one line per figure "ok|bad name a proc b rule"
# vm_committed_as's batch (mm_compute_batch(), mm/util.c), kB, for all CPUs
mt_pages=$(($(awk '$1 == "MemTotal:" { print $2 }' /tmp/p.meminfo) / 4))
batch=$((mt_pages / ncpu / 256))
[ $batch -lt $((2 * ncpu)) ] && batch=$((2 * ncpu))
ctol=$((batch * ncpu * 4))
# memory figures: 256 kB; 4 MiB on the debug kernel, where KASAN's
# quarantine and kmemleak's scans allocate and free MiBs between two ticks
# (MemFree 1.5 MiB outside rows A..B seen on debug-6.12, Slab 1 MiB)
mtol=256
[ -e /sys/kernel/debug/kmemleak ] && mtol=4096
awk -v ncpu="$ncpu" -v ctol=$ctol -v mtol=$mtol 'NR == FNR { p[$1] = $2; next }
	# how far x is outside the range of rows A and B (0: between them)
	function dist(x) { lo = a < b ? a : b; hi = a < b ? b : a
			   return x < lo ? lo - x : (x > hi ? x - hi : 0) }
	$1 in p {
		n = $1; a = $2; b = $3; x = p[n]
		if (a == "" || b == "") { print "bad", n, "empty", x; next }
		if (n == "committed_as_kb") { r = "within " ctol " kB"; good = dist(x) <= ctol }
		else if (n ~ /_kb$/) { r = "within " mtol " kB"; good = dist(x) <= mtol }
		else if (n ~ /^cpu_/) { r = "A-" ncpu " <= proc <= B+" ncpu " ticks"
			good = int(a / 10000000) - ncpu <= x && x <= int(b / 10000000) + ncpu }
		else if (n ~ /^psi_/) { r = "within 250000 us"; good = dist(x) <= 250000 }
		else if (n ~ /^free_order/) { r = "within 256 blocks"; good = dist(x) <= 256 }
		else { r = "A <= proc <= B"; good = a <= x && x <= b }
		print (good ? "ok" : "bad"), n, a, x, b, r
	}' /tmp/p.all /tmp/ab > /tmp/cmp
diag "$(awk '{ print "  " $0 }' /tmp/cmp)"
checked=$(wc -l < /tmp/cmp)
check "figures compared with /proc ($checked of 52; fewer without PSI, THP or compaction)" [ "$checked" -ge 40 ]
for n in $(awk '{ print $2 }' /tmp/cmp); do
	line=$(awk -v n=$n '$2 == n' /tmp/cmp)
	case "$line" in
	ok*) ok "$n: $line" ;;
	*) fail "$n: $line" ;;
	esac
done
# a figure this kernel's /proc does not print (thp_fault_alloc without THP,
# as on PREEMPT_RT 6.1) must be an empty cell, never 0
notin=$(awk 'NR == FNR { p[$1] = 1; next }
	$1 !~ /^(ts_ns|tick|ticks_missed|cpu|seq)$/ && !($1 in p) && $2 != "" { print $1 }' \
	/tmp/p.all /tmp/ab)
check_eq "figures /proc lacks are empty cells" "$notin" ""
sw=$(awk '$1 == "swaptotal_kb" { print $2 }' /tmp/ab)
check "swaptotal_kb is the 64 MiB zram swap ($sw)" [ "${sw:-0}" -ge 60000 -a "${sw:-0}" -le 65536 ]

# the trace event, without the reader
T=/sys/kernel/tracing
[ -d $T/events ] || T=/sys/kernel/debug/tracing
echo 0 > $T/tracing_on
echo > $T/trace
echo 1 > $T/events/memstat/memstat_system/enable
echo 1 > $T/tracing_on
sleep 0.5
echo 0 > $T/tracing_on
echo 0 > $T/events/memstat/memstat_system/enable
ev=$(grep -m 1 'memstat_system:' $T/trace)
mt=$(awk '$1 == "MemTotal:" { print $2 }' /proc/meminfo)
check "memstat_system event with memtotal_kb=$mt" \
	sh -c "echo '$ev' | grep -q ' memtotal_kb=$mt '"
check "memstat_system event: swaptotal_kb=-1 (not readable in the kernel)" \
	sh -c "echo '$ev' | grep -q ' swaptotal_kb=-1 '"
rmmod memtrace
finish
