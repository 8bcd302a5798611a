#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# bench/guest.sh - the measuring side of memtrace's benchmark (bench/run).
# Runs as root where memtrace can be loaded: in the test VM (busybox sh), or
# natively (bench/run --native).  Prints "metric: value" lines on stdout and
# its progress on stderr.
#
# Usage: guest.sh ITEM...   ITEM: idle wss pss sampling transport decode workload
#
# Environment (bench/run sets it):
#   BENCH_TOOLS    directory of benchutil, poller and microbench (required)
#   BENCH_MEMLOAD  memload (required for wss)
#   BENCH_READER   memtrace-reader (default: the one on PATH)
#   BENCH_PIDSTAT  sysstat's pidstat; empty: the pidstat peer is skipped
#                  (BENCH_PIDSTAT_WHY says why)
#   BENCH_LOAD     command that loads the module (default: modprobe memtrace)
#   BENCH_UNLOAD   command that unloads it (default: rmmod memtrace)
#   BENCH_OUT      directory for the decode item's recordings (default /tmp)
#   BENCH_EMIT=1   print the decode recordings on stdout after the metrics,
#                  gzip'ed and base64-encoded between "=== bench-file NAME"
#                  and "=== bench-end" lines (the VM's only way out)
#   BENCH_SMOKE=1  tiny sizes (a check that the harness works, not figures)
#   BENCH_REPS     repeats of the sampling measurements (default 3)
#   BENCH_WL_BIN   directory of sysbench and stress-ng, their libraries in
#                  lib/ (workload); BENCH_WL_WHY: why there is none
#   BENCH_WL_SECS, BENCH_WL_ROUNDS  length of a workload run (10 s) and
#                  rounds of the conditions (5)
#
# Every figure is the median of its repeats.  What is counted:
#   memtrace kernel   the sum of memstat_tick's duration_ns (the tick's wall
#                     time in its kworker, no preemption inside it) over the
#                     ticks that wrote relay records, over the processes they
#                     sampled; cross-checked with the run time
#                     (/proc/PID/schedstat) of the kworkers that ran the ticks,
#                     over the processes of all ticks (the trace-only ticks
#                     around the reader's run included): an upper bound, as
#                     those kworkers also run other unbound work
#   memtrace reader   memtrace-reader's user+sys time (wait4) writing CSV
#   poller            bench/poller's getrusage: poller_ns_per_sample without
#                     the CPU time it spends formatting CSV (measured apart),
#                     poller_csv_ns_per_sample with it
#   pidstat           pidstat -r -p ALL 1 COUNT under wait4 (COUNT = 10 for
#                     1,000 processes, 2 for 5,000); COUNT + 1 reads of every
#                     process (the first one plus one per interval)
set -u

MT=/sys/kernel/debug/memtrace
TR=/sys/kernel/tracing
T=${BENCH_TOOLS:?BENCH_TOOLS is not set}
U=$T/benchutil
READER=${BENCH_READER:-memtrace-reader}
PIDSTAT=${BENCH_PIDSTAT:-}
LOAD=${BENCH_LOAD:-modprobe memtrace}
UNLOAD=${BENCH_UNLOAD:-rmmod memtrace}
OUT=${BENCH_OUT:-/tmp}
SMOKE=${BENCH_SMOKE:-0}
REPS=${BENCH_REPS:-3}
W=/tmp/memtrace-bench.$$
SLEEPERS_PID=""
SLEEPERS_N=0
FAILED=0

mkdir -p "$W" "$OUT" || exit 1

say() { echo "bench: $*" >&2; }
metric() { echo "$1: $2"; }
fail() {
	say "error: $*"
	FAILED=1
}

# median: the median of the numbers on stdin (one per line), "nan" if none
median() {
	sort -n | awk '{ v[n++] = $1 } END {
		if (!n) { print "nan"; exit }
		if (n % 2) print v[int(n / 2)]; else printf "%.6g\n", (v[n / 2 - 1] + v[n / 2]) / 2 }'
}
# halfrange: half of max - min of the numbers on stdin (one per line), 0 if
# none: the spread of repeated runs
halfrange() {
	awk '{ if (!n++) lo = hi = $1; if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
		END { printf "%.10g\n", n ? (hi - lo) / 2 : 0 }'
}
# calc EXPR: awk arithmetic, printed with 4 significant digits ("nan" on
# division by zero or missing operands)
calc() {
	awk "BEGIN { x = $1; printf \"%.4g\n\", x }" 2> /dev/null || echo nan
}
# div A B: A / B, "nan" when B is 0 or either is not a number
div() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a !~ /^[-0-9.e+]+$/ || b !~ /^[-0-9.e+]+$/ || b + 0 == 0) print "nan"
		else printf "%.4g\n", a / b }'
}
kv() { awk -v k="$1:" '$1 == k { print $2 }' "$2"; }
stat_val() { awk -v k="$1:" '$1 == k { print $2 }' $MT/stats; }
now() { $U now; }

load() {
	[ -d $MT ] && return 0
	$LOAD "$@" || { fail "cannot load the module ($LOAD)"; return 1; }
	[ -d $MT ] || { fail "$MT missing after loading the module"; return 1; }
}
unload() {
	[ -d /sys/module/memtrace ] || return 0
	[ -d $MT ] && echo 0 > $MT/enable 2> /dev/null
	for e in $TR/events/memstat/*/enable; do [ -f "$e" ] && echo 0 > "$e"; done
	$UNLOAD || { fail "cannot unload the module ($UNLOAD)"; return 1; }
}

# sleepers N: have exactly N sleeping processes (bench's own), in one group
sleepers() {
	[ "$SLEEPERS_N" = "$1" ] && return 0
	stop_sleepers
	[ "$1" -gt 0 ] || return 0
	say "starting $1 sleeping processes"
	rm -f $W/spawn.out # not to see the previous "ready" before the shell truncates it
	$U spawn "$1" > $W/spawn.out &
	SLEEPERS_PID=$!
	while ! grep -q '^ready' $W/spawn.out 2> /dev/null; do
		kill -0 $SLEEPERS_PID 2> /dev/null || { fail "spawn $1 failed"; return 1; }
		sleep 0.2
	done
	SLEEPERS_N=$(awk '{ print $2 }' $W/spawn.out)
	[ "$SLEEPERS_N" = "$1" ] || fail "only $SLEEPERS_N of $1 sleepers started"
}
stop_sleepers() {
	[ -n "$SLEEPERS_PID" ] || return 0
	kill $SLEEPERS_PID 2> /dev/null
	wait $SLEEPERS_PID 2> /dev/null
	SLEEPERS_PID=""
	SLEEPERS_N=0
}

# restore_sysctls: kernel.pid_max and kernel.threads-max as they were
# before the sampling item raised them
restore_sysctls() {
	[ -z "${PID_MAX0:-}" ] || echo "$PID_MAX0" > /proc/sys/kernel/pid_max
	[ -z "${THREADS_MAX0:-}" ] || echo "$THREADS_MAX0" > /proc/sys/kernel/threads-max
}

cleanup() {
	stop_sleepers
	restore_sysctls
	[ -n "${WSS_PID:-}" ] && kill "$WSS_PID" 2> /dev/null
	[ -n "${PSS_PID:-}" ] && kill "$PSS_PID" 2> /dev/null
	[ -d $MT ] && echo 0 > $MT/enable 2> /dev/null
	[ -d $MT ] && echo 0 > $MT/wss_interval_ms 2> /dev/null
	for e in $TR/events/memstat/*/enable; do [ -f "$e" ] && echo 0 > "$e"; done
	rm -rf "$W"
}
trap 'cleanup; exit 130' INT TERM

# kworker_snap: "PID RUNTIME_NS" of every unbound kworker (the sampler's
# work runs in one of them)
kworker_snap() {
	for c in $(grep -l '^kworker/u' /proc/[0-9]*/comm 2> /dev/null); do
		c=${c%/comm}
		echo "${c#/proc/} $(cut -d' ' -f1 $c/schedstat 2> /dev/null)"
	done
}

# ---------------------------------------------------------------- 5. idle ---
# fork/exec/page-fault micro-benchmark: module not loaded, loaded with
# nothing enabled, loaded after the memstat events were enabled and disabled
# again (their static keys switched on and back off).  Rounds interleave the
# three states (rotating their order); each op's figure is the median over
# the rounds, its noise the half-range of the rounds without the module.  A
# difference counts as measurable ("separated: 1") only when every round of
# one state is beyond every round of the other (with 7 rounds each, chance
# alone does that with p = 2/3432).
bench_idle() {
	local rounds mbargs r s order op base v
	if [ "$SMOKE" = 1 ]; then
		rounds=1 mbargs="-f 20 -e 5 -p 4 -r 1"
	else
		rounds=7 mbargs="-f 200 -e 60 -p 64 -r 1"
	fi
	say "idle: $rounds rounds of microbench $mbargs in 3 states"
	: > $W/idle
	r=1
	while [ $r -le $rounds ]; do
		case $((r % 3)) in
		1) order="none loaded toggled" ;;
		2) order="loaded toggled none" ;;
		0) order="toggled none loaded" ;;
		esac
		for s in $order; do
			case $s in
			none) unload || return ;;
			loaded) unload && load || return ;;
			toggled)
				unload && load || return
				echo 1 > $TR/events/memstat/enable && echo 0 > $TR/events/memstat/enable ||
					{ fail "cannot toggle the memstat events"; return; }
				;;
			esac
			sync
			$T/microbench $mbargs > $W/mb.out || { fail "microbench failed"; return; }
			awk -v s=$s '{ sub(":", ""); print s, $1, $2 }' $W/mb.out >> $W/idle
		done
		r=$((r + 1))
	done
	unload
	for op in fork exec fault; do
		awk -v o=${op}_ns '$2 == o { print $1, $3 }' $W/idle > $W/idle.$op
		base=$(awk '$1 == "none" { print $2 }' $W/idle.$op | median)
		metric idle_${op}_ns_unloaded "$base"
		metric idle_${op}_noise_pct "$(awk -v h="$(awk '$1 == "none" { print $2 }' $W/idle.$op | halfrange)" \
			-v m="$base" 'BEGIN { printf "%.1f\n", m ? h / m * 100 : 0 }')"
		for s in loaded toggled; do
			v=$(awk -v s=$s '$1 == s { print $2 }' $W/idle.$op | median)
			metric idle_${op}_ns_$s "$v"
			metric idle_${op}_${s}_diff_pct "$(calc "($v - $base) / $base * 100")"
			metric idle_${op}_${s}_ratio "$(div "$base" "$v")"
			metric idle_${op}_${s}_separated "$(awk -v s=$s '
				$1 == "none" { if (!nb++ || $2 < blo) blo = $2; if ($2 > bhi) bhi = $2 }
				$1 == s { if (!ns++ || $2 < slo) slo = $2; if ($2 > shi) shi = $2 }
				END { print (nb > 1 && ns > 1 && (slo > bhi || shi < blo)) ? 1 : 0 }' $W/idle.$op)"
		done
	done
}

# start_memload OUT ARG...: memload with ARGs in the background, its output
# to OUT; waits for its "ready" line.  MEMLOAD_PID is its pid (set even when
# it fails, so that the caller's cleanup can kill it).  Status 1 (reported)
# when it exits or is not ready within MEMLOAD_WAIT_S (default 60) s.
start_memload() {
	local out=$1 i=0
	shift
	"$BENCH_MEMLOAD" "$@" > "$out" &
	MEMLOAD_PID=$!
	while ! grep -q '^ready' "$out" 2> /dev/null; do
		i=$((i + 1))
		if [ $i -ge $((${MEMLOAD_WAIT_S:-60} * 10)) ] || ! kill -0 $MEMLOAD_PID 2> /dev/null; then
			fail "memload did not start"
			kill $MEMLOAD_PID 2> /dev/null
			return 1
		fi
		sleep 0.1
	done
}

# ----------------------------------------------------------------- 3. wss ---
# One process (memload) with RSS of 384 MiB, of which it keeps writing the
# first 32 MiB.  memtrace scans it with 1 s windows (default budget: a whole
# pass fits one tick, so wss_tick_max_pages = entries per pass), with and
# without TLB flush; then the kernel's clear_refs + smaps_rollup over the same
# 1 s windows of the same process.  Accuracy: median window / hot set.
# The cost is that of the steady state: the passes after the first completed
# window.  The first pass of a process only primes (it clears every Accessed
# bit the process set since it started: here all 384 MiB of the initial
# touch) and the first window may still see it; both are one-time costs of
# registering a process, as clear_refs's first window is one of its own
# (which the median over its windows leaves out).  When no pass completes
# after the first window (a smoke run on a slow machine) the whole run counts.
wss_memtrace() { # TAG SECONDS
	local s0 p0 c0 k0 s1 p1 c1 k1 ds dp dc dk col npw rp i
	echo 1000 > $MT/wss_interval_ms || { fail "cannot set wss_interval_ms"; return 1; }
	s0=$(stat_val wss_scan_ns) p0=$(stat_val wss_pages_scanned) c0=$(stat_val wss_scans_completed)
	k0=$(stat_val wss_tables_skipped)
	# -W: the session sets its own window (a reader without -W turns WSS off)
	"$READER" -p $WSS_PID -I 100 -W 1000 -d "$2" -o $W/wss.csv -q 2> $W/wss.err &
	rp=$!
	i=0
	while [ "$(stat_val wss_scans_completed)" -le "$c0" ] && [ $i -lt $(($2 * 10)) ] &&
	      kill -0 $rp 2> /dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	# two equal reads of stats 20 ms apart: the three figures come from
	# between the same ticks (wss_scans_completed moves mid-tick, the
	# others at its end)
	i=0
	while cat $MT/stats > $W/wss.stats && sleep 0.02 &&
	      [ "$(cat $MT/stats)" != "$(cat $W/wss.stats)" ] && [ $i -lt 50 ]; do
		i=$((i + 1))
	done
	s1=$(kv wss_scan_ns $W/wss.stats) p1=$(kv wss_pages_scanned $W/wss.stats)
	c1=$(kv wss_scans_completed $W/wss.stats) k1=$(kv wss_tables_skipped $W/wss.stats)
	wait $rp || { fail "memtrace-reader (wss) failed: $(cat $W/wss.err)"; return 1; }
	echo 0 > $MT/wss_interval_ms
	if [ "$c1" -gt "$c0" ] && [ "$(stat_val wss_scans_completed)" -gt "$c1" ]; then
		s0=$s1 p0=$p1 c0=$c1 k0=$k1
	else
		say "wss $1: no pass completed after the first window: the priming pass counts"
	fi
	ds=$(($(stat_val wss_scan_ns) - s0))
	dp=$(($(stat_val wss_pages_scanned) - p0))
	dc=$(($(stat_val wss_scans_completed) - c0))
	dk=$(($(stat_val wss_tables_skipped) - ${k0:-0}))
	col=$(head -n 1 $W/wss.csv | tr ',' '\n' | grep -n -x wss_kb | cut -d: -f1)
	# skip the first window: it may still see the initial touch
	awk -F, -v c="$col" 'NR > 1 && $c != "" && ++n > 1 { print $c }' $W/wss.csv > $W/wss.win
	say "wss $1: $(tr '\n' ' ' < $W/wss.win)KiB; $dp entries in $dc windows, $dk tables skipped, $ds ns"
	# the scan time of one window (one pass: the callers let a pass fit a
	# tick), per resident page and per GiB, as clear_refs's below
	npw=$(div "$ds" "$dc")
	metric wss_memtrace${1}_ns_per_page "$(div "$npw" "$((WSS_RSS / 4))")"
	metric wss_memtrace${1}_ms_per_gib "$(calc "$npw / ($WSS_RSS / 1048576) / 1e6")" |
		tee -a $W/wss.metrics
	metric wss_memtrace${1}_ns_per_entry "$(div "$ds" "$dp")"
	metric wss_memtrace${1}_entries_per_pass "$(div "$dp" "$dc")"
	metric wss_memtrace${1}_tables_skipped_per_pass "$(div "$dk" "$dc")"
	metric wss_memtrace${1}_accuracy_pct "$(calc "$(median < $W/wss.win) / $WSS_HOT * 100")"
	metric wss_memtrace${1}_windows "$(wc -l < $W/wss.win)"
}
# wss_clearrefs TAG WINDOWS: the clear_refs + smaps_rollup peer on WSS_PID,
# and wss${TAG}_ratio against wss_memtrace${TAG} (in $W/wss.metrics)
wss_clearrefs() {
	local cost rss cr
	$U clearrefs $WSS_PID 1000 $2 > $W/cr.out || { fail "clearrefs failed"; return 1; }
	say "wss$1 clear_refs: $(awk '{ printf "%s ", $4 }' $W/cr.out)KiB Referenced"
	cost=$(awk '{ print $8 + $10 }' $W/cr.out | median)
	rss=$(awk '{ print $6 }' $W/cr.out | median)
	cr=$(calc "$cost / ($rss / 1048576) / 1e6")
	metric wss_clearrefs${1}_ns_per_page "$(calc "$cost / ($rss / 4)")"
	metric wss_clearrefs${1}_ms_per_gib "$cr" | tee -a $W/wss.metrics
	metric wss_clearrefs${1}_accuracy_pct "$(calc "$(awk '{ print $4 }' $W/cr.out | median) / $WSS_HOT * 100")"
	metric wss_clearrefs${1}_windows "$2"
	metric wss_clearrefs${1}_clear_ms_per_gib "$(calc "$(awk '{ print $8 }' $W/cr.out | median) / ($rss / 1048576) / 1e6")"
	metric wss_clearrefs${1}_rollup_ms_per_gib "$(calc "$(awk '{ print $10 }' $W/cr.out | median) / ($rss / 1048576) / 1e6")"
	metric wss${1}_ratio "$(div "$cr" "$(kv wss_memtrace${1}_ms_per_gib $W/wss.metrics)")"
}
bench_wss() {
	local anon hot secs wins
	: > $W/wss.metrics
	if [ "$SMOKE" = 1 ]; then
		anon=64 hot=8 secs=3 wins=2
	else
		anon=384 hot=32 secs=8 wins=5
	fi
	unload && load || return
	WSS_HOT=$((hot * 1024))
	start_memload $W/memload.out -a $anon -w $hot || return
	WSS_PID=$MEMLOAD_PID
	WSS_RSS=$(awk '$1 == "VmRSS:" { print $2 }' /proc/$WSS_PID/status)
	say "wss: memload -a $anon -w $hot, VmRSS $WSS_RSS KiB"
	metric wss_rss_kb "$WSS_RSS"
	metric wss_hot_kb "$WSS_HOT"
	wss_memtrace "" $secs
	# every page table read (wss_nonleaf_young=N): the cost when every
	# table of the process is in use, as it was before tables were skipped
	echo N > /sys/module/memtrace/parameters/wss_nonleaf_young
	wss_memtrace _allread $secs
	echo Y > /sys/module/memtrace/parameters/wss_nonleaf_young
	echo N > /sys/module/memtrace/parameters/wss_tlb_flush
	wss_memtrace _noflush $secs
	echo Y > /sys/module/memtrace/parameters/wss_tlb_flush

	wss_clearrefs "" $wins || return
	for v in allread noflush; do
		metric wss_${v}_ratio "$(div "$(kv wss_clearrefs_ms_per_gib $W/wss.metrics)" \
			"$(kv wss_memtrace_${v}_ms_per_gib $W/wss.metrics)")"
	done
	kill $WSS_PID
	wait $WSS_PID 2> /dev/null
	WSS_PID=""
	unload
}

# bench_wss_scale: the same at RSS of G GiB for each G of BENCH_WSS_GIB
# (bench/run passes the sizes the VM's memory allows), hot set G x 64 MiB,
# wss_budget_pages at its maximum so that a pass fits one tick, TLB flush
# on; memtrace and clear_refs on the same process: wss_*_gG_* figures.
bench_wss_scale() {
	local g secs=8 wins=5
	[ "$SMOKE" = 1 ] && return
	for g in ${BENCH_WSS_GIB:-}; do
		unload && load || return
		echo 1073741824 > /sys/module/memtrace/parameters/wss_budget_pages ||
			{ fail "cannot raise wss_budget_pages"; return; }
		WSS_HOT=$((g * 64 * 1024))
		MEMLOAD_WAIT_S=$((60 + g * 60)) start_memload $W/memload.out -a $((g * 1024)) -w $((g * 64)) ||
			return
		WSS_PID=$MEMLOAD_PID
		WSS_RSS=$(awk '$1 == "VmRSS:" { print $2 }' /proc/$WSS_PID/status)
		say "wss scale: memload -a $((g * 1024)) -w $((g * 64)), VmRSS $WSS_RSS KiB"
		metric wss_g${g}_rss_kb "$WSS_RSS"
		metric wss_g${g}_hot_kb "$WSS_HOT"
		: > $W/wss.metrics
		for v in "" _allread; do
			[ "$v" ] && echo N > /sys/module/memtrace/parameters/wss_nonleaf_young
			wss_memtrace _g$g$v $secs
			# one window's scan, in % of one CPU (1 s windows)
			metric wss_memtrace_g$g${v}_cpu_pct "$(calc "$(kv wss_memtrace_g$g${v}_ms_per_gib $W/wss.metrics) * $WSS_RSS / 1048576 / 1000 * 100")"
		done
		echo Y > /sys/module/memtrace/parameters/wss_nonleaf_young
		wss_clearrefs _g$g $wins || return
		metric wss_g${g}_allread_ratio "$(div "$(kv wss_clearrefs_g${g}_ms_per_gib $W/wss.metrics)" \
			"$(kv wss_memtrace_g${g}_allread_ms_per_gib $W/wss.metrics)")"
		kill $WSS_PID
		wait $WSS_PID 2> /dev/null
		WSS_PID=""
	done
	unload
}

# ---------------------------------------------------------------- 3b. pss ---
# PSS of one process (memload) with RSS of 384 MiB (64 MiB in a smoke run),
# copy-on-write shared with one forked child: every page is mapped twice,
# so both sides take the per-page mapcount path of smaps_account().
# memtrace sums it every second (--pss 1000, WSS off, default budget: a
# pass fits one tick); its cost per pass is the tick's scan time
# (wss_scan_ns) over the passes completed (pss_scans_completed), the first
# one included.  The peer reads /proc/PID/smaps_rollup (the same sum, in
# the reader's own thread: its CPU time).  Both per GiB of RSS; accuracy:
# memtrace's last pss_kb against smaps_rollup's Pss.
bench_pss() {
	local anon secs reads i s0 c0 ds dc rss mt ro col
	if [ "$SMOKE" = 1 ]; then
		anon=64 secs=3 reads=3
	else
		anon=384 secs=8 reads=9
	fi
	unload && load || return
	start_memload $W/pss.out -a $anon -k 1 || return
	PSS_PID=$MEMLOAD_PID
	rss=$(awk '$1 == "VmRSS:" { print $2 }' /proc/$PSS_PID/status)
	say "pss: memload -a $anon -k 1, VmRSS $rss KiB"
	metric pss_rss_kb "$rss"
	s0=$(stat_val wss_scan_ns) c0=$(stat_val pss_scans_completed)
	if [ -z "$c0" ]; then
		fail "this module has no pss_scans_completed in stats"
		kill $PSS_PID
		return
	fi
	"$READER" -p $PSS_PID -I 100 --pss 1000 -d $secs -o $W/pss.csv -q 2> $W/pss.err ||
		{ fail "memtrace-reader (pss) failed: $(cat $W/pss.err)"; kill $PSS_PID; return; }
	ds=$(($(stat_val wss_scan_ns) - s0))
	dc=$(($(stat_val pss_scans_completed) - c0))
	col=$(head -n 1 $W/pss.csv | tr ',' '\n' | grep -n -x pss_kb | cut -d: -f1)
	mt=$(awk -F, -v c="$col" -v p=$PSS_PID 'NR > 1 && $5 == p && $c != "" { v = $c } END { print v }' $W/pss.csv)
	say "pss memtrace: $dc sums in $ds ns, last pss_kb $mt"
	$U rollup $PSS_PID $reads > $W/ro.out || { fail "benchutil rollup failed"; kill $PSS_PID; return; }
	ro=$(awk '{ print $8 }' $W/ro.out | median)
	say "pss smaps_rollup: $(awk '{ printf "%s ", $8 }' $W/ro.out)ns, Pss $(awk '{ print $4 }' $W/ro.out | median) KiB"
	metric pss_memtrace_ns_per_page "$(calc "$ds / $dc / ($rss / 4)")"
	metric pss_memtrace_ms_per_gib "$(calc "$ds / $dc / ($rss / 1048576) / 1e6")"
	metric pss_rollup_ns_per_page "$(calc "$ro / ($rss / 4)")"
	metric pss_rollup_ms_per_gib "$(calc "$ro / ($rss / 1048576) / 1e6")"
	metric pss_ratio "$(div "$(calc "$ro / ($rss / 1048576) / 1e6")" "$(calc "$ds / $dc / ($rss / 1048576) / 1e6")")"
	metric pss_memtrace_vs_rollup_pct "$(calc "$mt / $(awk '{ print $4 }' $W/ro.out | median) * 100")"
	kill $PSS_PID
	wait $PSS_PID 2> /dev/null
	PSS_PID=""
	unload
}

# ------------------------------------------------------------ 1. sampling ---
# footprint_snap: "SUnreclaim_kb vmalloc_kb relay_kb states": unreclaimable slab
# (/proc/meminfo), vmalloc areas of memtrace's own code ([memtrace] in
# /proc/vmallocinfo) and of relay's buffers (vmap()ed by relay_alloc_buf(),
# inlined in relay_create_buf() or relay_open_buf(): memtrace is relay's
# only user in the VM), in KiB (a vmalloc area's size counts its guard
# page); and the bytes of per-process state that stats counts
# (cputime_state_bytes + wss_state_bytes: 0 on a module without them)
footprint_snap() {
	echo "$(awk '$1 == "SUnreclaim:" { print $2 }' /proc/meminfo)" \
		"$(awk '/\[memtrace\]/ { s += $2 } END { printf "%.0f", s / 1024 }' /proc/vmallocinfo)" \
		"$(awk '/ relay_/ { s += $2 } END { printf "%.0f", s / 1024 }' /proc/vmallocinfo)" \
		"$(awk '$1 == "cputime_state_bytes:" || $1 == "wss_state_bytes:" { s += $2 } END { print s + 0 }' $MT/stats)"
}
sampling_memtrace() { # SECONDS INTERVAL_MS
	local d0 kw dd ticks ns procs allprocs rows rns tick_ns fp
	echo "$2" > $MT/interval_ms
	echo 0 > $TR/tracing_on
	echo > $TR/trace
	echo 1 > $TR/events/memstat/memstat_tick/enable || { fail "cannot enable memstat_tick"; return 1; }
	echo 1 > $TR/tracing_on
	d0=$(stat_val records_dropped)
	kworker_snap > $W/kw0
	footprint_snap > $W/fp0
	# the module's memory in mid-session, with every process's state made
	(sleep $(($1 / 2)); footprint_snap > $W/fp1) &
	fp=$!
	$U rusage -o $W/reader.rus -- "$READER" -I "$2" -d "$1" -o $W/mt.csv -q 2> $W/reader.err ||
		{ fail "memtrace-reader failed: $(cat $W/reader.err)"; return 1; }
	wait $fp
	kworker_snap > $W/kw1
	echo 0 > $TR/events/memstat/memstat_tick/enable
	dd=$(($(stat_val records_dropped) - d0))
	# ticks that wrote relay records: their duration and processes
	# (and each one's duration in $W/tickns, for their median)
	: > $W/tickns
	awk -v durs=$W/tickns '/memstat_tick:/ {
		for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] }
		all += f["procs"]
		if (f["written"] > 0) {
			n++; ns += f["duration_ns"]; p += f["procs"]
			print f["duration_ns"] > durs
		}
	} END { printf "%d %.0f %d %d\n", n, ns, p, all }' $TR/trace > $W/ticks
	read -r ticks ns procs allprocs < $W/ticks
	tick_ns=$(median < $W/tickns)
	# run time of the kworkers that ran ticks (from the events' "comm-PID")
	awk '/memstat_tick:/ { n = split($1, a, "-"); print a[n] }' $TR/trace > $W/kwt
	kw=$(awk 'FILENAME == ARGV[1] { t[$1] = 1; next }
		FILENAME == ARGV[2] { a[$1] = $2; next }
		{ d[$1] = $2 - ($1 in a ? a[$1] : 0) }
		END { for (p in t) s += d[p]; printf "%.0f\n", s }' $W/kwt $W/kw0 $W/kw1)
	rows=$(($(wc -l < $W/mt.csv) - 1))
	rns=$(kv cpu_ns $W/reader.rus)
	say "  memtrace: $ticks ticks, $procs samples, $rows rows, $dd dropped, kernel $ns ns, their kworkers $kw ns, reader $rns ns"
	[ "$dd" = 0 ] || say "  warning: $dd records dropped"
	# fields: kernel/sample kworker/sample reader/row dropped procs/tick
	# ticks tick_ns slab_delta_kb vmalloc_kb relay_kb state_bytes
	# reader_maxrss_kb
	echo "$(div "$ns" "$procs") $(div "$kw" "$allprocs") $(div "$rns" "$rows") $dd $((procs / (ticks > 0 ? ticks : 1))) $ticks $tick_ns" \
		"$(awk 'NR == FNR { s = $1; next } { print $1 - s, $2, $3, $4 }' $W/fp0 $W/fp1)" \
		"$(kv maxrss_kb $W/reader.rus)" >> $W/s.mt
	rm -f $W/mt.csv
}
sampling_poller() { # SECONDS INTERVAL_MS
	local n cpu emit
	$T/poller -i "$2" -d "$1" -o $W/poll.csv > $W/poll.out || { fail "poller failed"; return 1; }
	n=$(kv samples $W/poll.out)
	cpu=$(kv cpu_ns $W/poll.out)
	emit=$(kv emit_ns $W/poll.out)
	say "  poller: $(kv intervals $W/poll.out) intervals ($(kv overruns $W/poll.out) overran), $n samples, cpu $cpu ns (CSV $emit ns)"
	echo "$(div "$((cpu - emit))" "$n") $(div "$cpu" "$n") $(kv overruns $W/poll.out) $(kv intervals $W/poll.out)" >> $W/s.poll
	rm -f $W/poll.csv
}
sampling_pidstat() { # COUNT PROCS
	local cpu n
	[ -n "$2" ] || return 1
	$U rusage -o $W/ps.rus -- "$PIDSTAT" -r -p ALL 1 "$1" > $W/ps.out 2> $W/ps.err ||
		{ fail "pidstat failed: $(cat $W/ps.err)"; return 1; }
	cpu=$(kv cpu_ns $W/ps.rus)
	n=$((($1 + 1) * $2))
	say "  pidstat: $(($1 + 1)) reads of $2 processes, cpu $cpu ns, $(wc -l < $W/ps.out) lines"
	div "$cpu" "$n" >> $W/s.ps
	rm -f $W/ps.out
}
# bench_sampling N: N sleepers, memtrace against the poller and pidstat.
# At 10,000 processes and more the interval is 1 s (a tick of 50,000
# processes takes longer than 100 ms under TCG) and the module's relay
# buffers are 16 x 1 MiB per CPU (a tick's records, 312 bytes each, go to
# one CPU's buffer); pidstat, which takes about 30 s per read of 50,000
# processes here, runs up to 10,000.
bench_sampling() { # N
	local secs pscount reps n r p mk mr pc pf ps iv
	n=$1 iv=100
	if [ "$SMOKE" = 1 ]; then
		secs=2 pscount=1 reps=1
	else
		secs=10 reps=$REPS
		# 1 s intervals; fewer of them for many processes, where one pass
		# over /proc takes seconds in the VM
		pscount=$((10000 / n))
		[ $pscount -le 10 ] || pscount=10
		[ $pscount -ge 2 ] || pscount=2
	fi
	if [ "$n" -ge 10000 ]; then
		iv=1000
		# room for the sleepers: pids and threads (put back at the end
		# of the item, and by cleanup: --native runs on a real machine)
		[ -n "${PID_MAX0:-}" ] || PID_MAX0=$(cat /proc/sys/kernel/pid_max)
		[ -n "${THREADS_MAX0:-}" ] || THREADS_MAX0=$(cat /proc/sys/kernel/threads-max)
		[ "$(cat /proc/sys/kernel/pid_max)" -gt $((n * 2)) ] ||
			echo $((n * 4)) > /proc/sys/kernel/pid_max
		[ "$(cat /proc/sys/kernel/threads-max)" -gt $((n * 2)) ] ||
			echo $((n * 4)) > /proc/sys/kernel/threads-max
		stop_sleepers
		unload && load subbuf_size=1048576 n_subbufs=16 || return
	else
		load || return
	fi
	sleepers $n || return
	say "sampling: $n sleepers, $reps x $secs s each at $iv ms"
	: > $W/s.mt
	: > $W/s.poll
	: > $W/s.ps
	r=1
	while [ $r -le $reps ]; do
		sampling_memtrace $secs $iv
		sampling_poller $secs $iv
		if [ -n "$PIDSTAT" ] && [ "$n" -le 10000 ]; then
			sampling_pidstat $pscount "$(tail -n 1 $W/s.mt | awk '{ print $5 }')"
		fi
		r=$((r + 1))
	done
	p=sampling_n$n
	mk=$(awk '{ print $1 }' $W/s.mt | median)
	mr=$(awk '{ print $3 }' $W/s.mt | median)
	pc=$(awk '{ print $1 }' $W/s.poll | median)
	pf=$(awk '{ print $2 }' $W/s.poll | median)
	metric ${p}_procs "$(awk '{ print $5 }' $W/s.mt | median)"
	metric ${p}_interval_ms "$iv"
	metric ${p}_memtrace_kernel_ns_per_sample "$mk"
	metric ${p}_memtrace_kworker_ns_per_sample "$(awk '{ print $2 }' $W/s.mt | median)"
	metric ${p}_memtrace_reader_ns_per_sample "$mr"
	metric ${p}_memtrace_ticks "$(awk '{ print $6 }' $W/s.mt | median)"
	metric ${p}_memtrace_tick_ms "$(calc "$(awk '{ print $7 }' $W/s.mt | median) / 1e6")"
	metric ${p}_memtrace_dropped "$(awk '{ s += $4 } END { print s + 0 }' $W/s.mt)"
	# the module's memory: its code (/sys/module/memtrace/coresize), its
	# vmalloc areas, relay's buffers, its per-process state (stats), and
	# the unreclaimable slab a session adds in mid-session (a cross-check
	# of the state: other kernel objects come and go with it)
	metric ${p}_module_core_kb "$(($(cat /sys/module/memtrace/coresize) / 1024))"
	metric ${p}_module_vmalloc_kb "$(awk '{ print $9 }' $W/s.mt | median)"
	metric ${p}_module_relay_kb "$(awk '{ print $10 }' $W/s.mt | median)"
	metric ${p}_module_slab_delta_kb "$(awk '{ print $8 }' $W/s.mt | median)"
	metric ${p}_module_state_kb "$(calc "$(awk '{ print $11 }' $W/s.mt | median) / 1024")"
	metric ${p}_reader_maxrss_kb "$(awk '{ print $12 }' $W/s.mt | median)"
	metric ${p}_poller_ns_per_sample "$pc"
	metric ${p}_poller_csv_ns_per_sample "$pf"
	metric ${p}_poller_intervals "$(awk '{ print $4 }' $W/s.poll | median)"
	metric ${p}_poller_overruns "$(awk '{ print $3 }' $W/s.poll | median)"
	metric ${p}_poller_ratio "$(div "$pc" "$mk")"
	metric ${p}_poller_e2e_ratio "$(div "$pf" "$(calc "$mk + $mr")")"
	if [ -n "$PIDSTAT" ] && [ "$n" -le 10000 ]; then
		ps=$(median < $W/s.ps)
		metric ${p}_pidstat_ns_per_sample "$ps"
		metric ${p}_pidstat_ratio "$(div "$ps" "$mk")"
		metric ${p}_pidstat_e2e_ratio "$(div "$ps" "$(calc "$mk + $mr")")"
	elif [ -n "$PIDSTAT" ]; then
		metric ${p}_pidstat_skipped "not run above 10,000 processes (about 30 s per read of 50,000)"
	else
		metric ${p}_pidstat_skipped "${BENCH_PIDSTAT_WHY:-pidstat not available}"
	fi
	if [ "$n" -ge 10000 ]; then
		stop_sleepers
		unload
		restore_sysctls
	fi
}

# ----------------------------------------------------------- 2. transport ---
# N sleepers; the interval goes down a ladder until two runs in a row drop
# records.  Each run: memtrace-reader -I MS -d SECONDS writing CSV to a file
# (tmpfs in the VM).  Rate achieved = records written (stats) / SECONDS.
# The zero-drop setting with the highest rate is run twice more; if either
# run drops, the next one is tried the same way.  The figure is the median
# rate of its three runs.
transport_run() { # INTERVAL_MS SECONDS MODE -> "rate dropped cpu_ns records missed"
	local w0 d0 m0 dw dd dm rows rate cpu out
	w0=$(stat_val records_written) d0=$(stat_val records_dropped) m0=$(stat_val ticks_missed)
	# csv: the CSV and the system CSV; raw: a raw trace file (-w)
	if [ "$3" = raw ]; then
		out="-w $W/tr.mtr"
	else
		out="-o $W/tr.csv --system $W/tr.sys"
	fi
	# shellcheck disable=SC2086 # $out is two or four words
	$U rusage -o $W/tr.rus -- "$READER" -I "$1" -d "$2" $out -q \
		2> $W/tr.err || { fail "memtrace-reader failed: $(cat $W/tr.err)"; return 1; }
	dw=$(($(stat_val records_written) - w0))
	dd=$(($(stat_val records_dropped) - d0))
	dm=$(($(stat_val ticks_missed) - m0))
	# every record the module writes: a row of the CSV or of the system CSV
	rows=$dw
	[ "$3" = raw ] || rows=$(($(wc -l < $W/tr.csv) + $(wc -l < $W/tr.sys) - 2))
	rm -f $W/tr.csv $W/tr.sys $W/tr.mtr
	rate=$(awk -v w=$dw -v s="$2" 'BEGIN { printf "%.0f\n", w / s }')
	cpu=$(kv cpu_ns $W/tr.rus)
	say "  $3 -I $1: $rate records/s achieved ($((SLEEPERS_N * 1000 / $1)) nominal), $dd dropped, $dm ticks missed, $rows rows, reader $cpu ns"
	[ "$dd" -gt 0 ] || [ "$rows" = "$dw" ] || say "  warning: $rows CSV rows for $dw records written"
	echo "$rate $dd $cpu $dw $dm" > $W/tr.last
}
# transport_mode MODE PREFIX: the ladder for one output mode (csv, raw)
transport_mode() {
	local ladder confirm iv rate dd cpu dw dm best ok c bad
	if [ "$SMOKE" = 1 ]; then
		ladder="20 10" confirm=0
	else
		ladder="20 10 9 8 7 5 4 3 2 1" confirm=2
	fi
	: > $W/tr.ok
	bad=0
	for iv in $ladder; do
		transport_run "$iv" "$TR_SECS" $1 || return
		read -r rate dd cpu dw dm < $W/tr.last
		if [ "$dd" = 0 ]; then
			echo "$iv $rate $cpu $dw $dm" >> $W/tr.ok
			bad=0
		else
			# one dropping step may be a stall of the machine; two end it
			bad=$((bad + 1))
			[ $bad -lt 2 ] || break
		fi
	done
	best=""
	# from the zero-drop setting with the highest rate achieved down: it
	# must hold in every confirmation
	for iv in $(sort -k2,2nr $W/tr.ok | awk '{ print $1 }'); do
		grep "^$iv " $W/tr.ok > $W/tr.conf
		ok=1 c=0
		while [ $c -lt $confirm ]; do
			transport_run "$iv" "$TR_SECS" $1 || return
			read -r rate dd cpu dw dm < $W/tr.last
			[ "$dd" = 0 ] || { ok=0; break; }
			echo "$iv $rate $cpu $dw $dm" >> $W/tr.conf
			c=$((c + 1))
		done
		[ $ok = 1 ] && { best=$iv; break; }
	done
	if [ -z "$best" ]; then
		metric ${2}max_rate 0
		metric ${2}note "every setting dropped records"
		return
	fi
	metric ${2}procs "$SLEEPERS_N"
	metric ${2}interval_ms "$best"
	metric ${2}runs_at_max "$(wc -l < $W/tr.conf)"
	metric ${2}max_rate "$(awk '{ print $2 }' $W/tr.conf | median)"
	metric ${2}reader_cpu_s_per_mrec "$(awk '{ print $3 / $4 * 1e6 / 1e9 }' $W/tr.conf | median)"
	metric ${2}reader_cpu_pct_at_max "$(awk -v s=$TR_SECS '{ print $3 / (s * 1e9) * 100 }' $W/tr.conf | median)"
	# what stopped the ladder: ticks missed at the best setting (the
	# sampler could not tick faster) or records dropped (the reader)
	metric ${2}ticks_missed_at_max "$(awk '{ print $5 }' $W/tr.conf | median)"
}
bench_transport() {
	local n
	if [ "$SMOKE" = 1 ]; then
		n=200 TR_SECS=1
	else
		n=1000 TR_SECS=5
	fi
	load || return
	sleepers $n || return
	say "transport: $n sleepers, $TR_SECS s per step, CSV then raw"
	transport_mode csv transport_
	transport_mode raw transport_raw_
}

# -------------------------------------------------------------- 4. decode ---
# Record the same ticks two ways at once: relay records with
# "memtrace-reader -w" and memstat_sample events in the ftrace ring buffer
# (then "trace-cmd extract"), both holding the same ticks.  Decoding them is timed by
# bench/run, on the host when in the VM.
bench_decode() {
	local n secs f rpid i bufkb
	if ! "$READER" --help 2>&1 | grep -q -- '--write'; then
		metric decode_skipped "memtrace-reader has no -w/--write (raw trace files)"
		return
	fi
	if ! command -v trace-cmd > /dev/null; then
		metric decode_skipped "trace-cmd not found"
		return
	fi
	if [ "$SMOKE" = 1 ]; then
		n=100 secs=1
	else
		n=1000 secs=3
	fi
	load || return
	sleepers $n || return
	say "decode: recording $n processes at 10 ms for $secs s, relay and trace events"
	echo 0 > $TR/tracing_on
	echo > $TR/trace
	# "1408", or "7 (expanded: 1408)" before the buffer was first used
	bufkb=$(sed 's/.*expanded: *\([0-9]*\).*/\1/; s/ .*//' $TR/buffer_size_kb)
	echo 98304 > $TR/buffer_size_kb || { fail "cannot size the trace buffer"; return; }
	echo 1 > $TR/tracing_on
	rm -f "$OUT"/decode.mtr "$OUT"/decode.dat "$OUT"/decode-empty.*
	# Both consumers on, with no tick in between: the event starts the
	# sampler (one tick at once, then one a minute), the reader turns the
	# relay path on, the buffer loses that first tick, then 10 ms ticks.
	echo 60000 > $MT/interval_ms
	echo 1 > $TR/events/memstat/memstat_sample/enable || { fail "cannot enable memstat_sample"; return; }
	"$READER" -w "$OUT/decode.mtr" -q 2> $W/dec.err &
	rpid=$!
	i=0
	while [ "$(cat $MT/enable)" != 1 ]; do
		i=$((i + 1))
		[ $i -lt 200 ] && kill -0 $rpid 2> /dev/null ||
			{ fail "memtrace-reader -w did not start: $(cat $W/dec.err)"; return; }
		sleep 0.05
	done
	echo > $TR/trace
	echo 10 > $MT/interval_ms
	sleep $secs
	echo 60000 > $MT/interval_ms
	sleep 0.1
	echo 0 > $TR/events/memstat/memstat_sample/enable
	kill -TERM $rpid
	wait $rpid || { fail "memtrace-reader -w failed: $(cat $W/dec.err)"; return; }
	echo 100 > $MT/interval_ms
	echo 0 > $TR/tracing_on
	metric decode_trace_overrun "$(cat $TR/per_cpu/cpu*/stats | awk '$1 == "overrun:" { s += $2 } END { print s + 0 }')"
	# uncompressed (trace-cmd 3 compresses with zstd by default): the
	# cheapest input for trace-cmd report (older trace-cmd has no option)
	(cd "$OUT" && { trace-cmd extract --compression none -o decode.dat ||
		trace-cmd extract -o decode.dat; } > $W/extract.out 2>&1) ||
		{ fail "trace-cmd extract failed: $(cat $W/extract.out)"; return; }
	# The same with no record at all, for the decoders' fixed costs
	echo 0 > $TR/events/memstat/memstat_sample/enable
	echo > $TR/trace
	echo 1 > $TR/tracing_on
	echo 1 > $TR/events/memstat/memstat_sample/enable
	"$READER" -w "$OUT/decode-empty.mtr" -q 2> $W/dec.err &
	rpid=$!
	i=0
	while [ "$(cat $MT/enable)" != 1 ]; do
		i=$((i + 1))
		[ $i -lt 200 ] && kill -0 $rpid 2> /dev/null || { fail "memtrace-reader -w (empty) did not start"; return; }
		sleep 0.05
	done
	echo > $TR/trace
	echo 0 > $TR/events/memstat/memstat_sample/enable
	kill -TERM $rpid
	wait $rpid || { fail "memtrace-reader -w (empty) failed: $(cat $W/dec.err)"; return; }
	echo 0 > $TR/tracing_on
	(cd "$OUT" && { trace-cmd extract --compression none -o decode-empty.dat ||
		trace-cmd extract -o decode-empty.dat; } > $W/extract.out 2>&1) ||
		{ fail "trace-cmd extract (empty) failed: $(cat $W/extract.out)"; return; }
	echo 100 > $MT/interval_ms
	echo "$bufkb" > $TR/buffer_size_kb
	echo > $TR/trace
	metric decode_raw_bytes "$(wc -c < "$OUT/decode.mtr")"
	metric decode_dat_bytes "$(wc -c < "$OUT/decode.dat")"
	if [ "${BENCH_EMIT:-0}" = 1 ]; then
		for f in decode.mtr decode.dat decode-empty.mtr decode-empty.dat; do
			gzip -1 -c "$OUT/$f" > $W/$f.gz
			say "decode: sending $f ($(wc -c < "$OUT/$f") bytes, $(wc -c < $W/$f.gz) gzip'ed)"
			echo "=== bench-file $f" >> $W/emit
			base64 $W/$f.gz >> $W/emit
			echo "=== bench-end" >> $W/emit
			rm -f $W/$f.gz "$OUT/$f"
		done
	fi
}

# ------------------------------------------------------------ 7. workload ---
# What an observer costs a real workload: two memory-bound programs from
# Debian's packages, each with its own throughput figure, run for WL_SECS
# under each condition, the conditions interleaved in WL_ROUNDS rounds
# (rotating order) in one boot:
#   sysbench  sysbench memory, 1 thread, sequential writes over a 32 MiB
#             block (MiB/s): one vCPU busy, the other free for the observer
#   vm        stress-ng --vm 2 --vm-keep --vm-method write64: 2 instances
#             each writing 64 MiB over and over (bogo ops/s, real time):
#             both vCPUs busy, so the observer's CPU comes out of the
#             workload's
# Conditions (the module stays loaded, idle when not used: the idle item
# shows that an idle module costs nothing):
#   none      the workload alone
#   mt100     memtrace-reader, all processes, -I 100, WSS over 1 s windows
#   mt10      memtrace-reader, all processes, -I 10, WSS over 1 s windows,
#             PSS every 1 s, idle ages (--idle-ages 10,60)
#   pidstat   pidstat -r 1 (sysstat: every process's /proc files each s)
#   clearrefs benchutil clearrefs on the workload's pids, 1 s windows (the
#             wss tools' clear_refs + smaps_rollup method)
# The memtrace and pidstat observers start 1 s before the workload and
# stop 1 s after it; clearrefs starts as soon as the workload's processes
# exist and stops with them.  The figure of a round is the workload's
# throughput; a condition's slowdown is the median over the rounds of
# 1 - cond / none of the same round, in %.  noise_pct: the half-range of
# the none runs over their median; spread_pct: the half-range of the
# condition's per-round slowdowns.  Observer CPU: the reader's, pidstat's
# or benchutil's user+sys time (wait4), plus for memtrace the run time of
# the unbound kworkers meanwhile (an upper bound, as in sampling), in % of
# one CPU over the observer's own run.  Each workload first runs once
# alone, not counted: under TCG a program's first run also pays for
# translating its code.
WL_BIN=${BENCH_WL_BIN:-}
# wl_pids NAME: the pids of workload NAME's processes, comma-separated
wl_pids() {
	local f c l=""
	for f in /proc/[0-9]*/comm; do
		read -r c < "$f" 2> /dev/null || continue
		case $1:$c in
		sysbench:sysbench | vm:stress-ng*)
			f=${f%/comm}
			l="$l,${f#/proc/}"
			;;
		esac
	done
	echo "${l#,}"
}
wl_run() { # NAME SECS OUT: run workload NAME for SECS, its figure in OUT
	case $1 in
	sysbench)
		LD_LIBRARY_PATH=$WL_BIN/lib "$WL_BIN/sysbench" memory --threads=1 \
			--memory-block-size=32M --memory-total-size=1000T \
			--memory-access-mode=seq --memory-oper=write --time="$2" run > $W/wl.out 2>&1 ||
			{ fail "sysbench failed: $(tail -n 3 $W/wl.out)"; return 1; }
		sed -n 's/.*MiB transferred (\([0-9.]*\) MiB\/sec).*/\1/p' $W/wl.out > "$3"
		;;
	vm)
		LD_LIBRARY_PATH=$WL_BIN/lib "$WL_BIN/stress-ng" --vm 2 --vm-bytes 64M --vm-keep \
			--vm-method write64 -t "$2" --metrics-brief --yaml $W/wl.yaml > $W/wl.out 2>&1 ||
			{ fail "stress-ng failed: $(tail -n 3 $W/wl.out)"; return 1; }
		awk '$1 == "bogo-ops-per-second-real-time:" { print $2; exit }' $W/wl.yaml > "$3"
		;;
	esac
	[ -s "$3" ] || { fail "$1 printed no throughput: $(tail -n 3 $W/wl.out)"; return 1; }
}
# wl_cond NAME COND SECS: one run; appends "COND FIGURE OBSERVER_CPU_NS
# OBSERVER_WALL_NS" to $W/wl.NAME
wl_cond() {
	local name=$1 cond=$2 secs=$3 obs="" kw=0 cpu wall pids i
	case $cond in mt*) kworker_snap > $W/kw0 ;; esac
	case $cond in
	mt100)
		$U rusage -o $W/obs.rus -- "$READER" -I 100 -W 1000 -d $((secs + 2)) \
			-o $W/wl.csv -q 2> $W/obs.err &
		obs=$!
		;;
	mt10)
		$U rusage -o $W/obs.rus -- "$READER" -I 10 -W 1000 --pss 1000 --idle-ages 10,60 \
			-d $((secs + 2)) -o $W/wl.csv -q 2> $W/obs.err &
		obs=$!
		;;
	pidstat)
		$U rusage -o $W/obs.rus -- "$PIDSTAT" -r 1 $((secs + 2)) > $W/wl.ps 2> $W/obs.err &
		obs=$!
		;;
	esac
	[ -z "$obs" ] || sleep 1
	wl_run "$name" "$secs" $W/wl.fig &
	i=$!
	if [ "$cond" = clearrefs ]; then
		# the workload's processes, once they all exist: sysbench, or
		# stress-ng and its instances
		sleep 0.5
		pids=$(wl_pids $name)
		if [ -n "$pids" ]; then
			# it ends when the first of them exits
			$U rusage -o $W/obs.rus -- $U clearrefs "$pids" 1000 0 > $W/wl.cr 2> $W/obs.err &
			obs=$!
		else
			fail "clearrefs: no $name process found"
		fi
	fi
	wait $i || return 1
	if [ -n "$obs" ]; then
		wait $obs || { fail "$cond observer failed: $(tail -n 2 $W/obs.err)"; return 1; }
	fi
	case $cond in mt*)
		kworker_snap > $W/kw1
		kw=$(awk 'FILENAME == ARGV[1] { a[$1] = $2; next }
			{ s += $2 - ($1 in a ? a[$1] : 0) } END { printf "%.0f\n", s }' $W/kw0 $W/kw1)
	esac
	cpu=0 wall=1
	[ -z "$obs" ] || cpu=$(kv cpu_ns $W/obs.rus) wall=$(kv wall_ns $W/obs.rus)
	echo "$cond $(cat $W/wl.fig) $((cpu + kw)) $wall" >> $W/wl.$name
	say "  $name $cond: $(cat $W/wl.fig), observer $(((cpu + kw) / 1000000)) ms CPU ($((kw / 1000000)) in kworkers) in $((wall / 1000000)) ms"
	rm -f $W/wl.csv $W/wl.ps $W/wl.cr
}
bench_workload() {
	local secs rounds conds r order name c base sl
	if [ -z "$WL_BIN" ] || [ ! -x "$WL_BIN/sysbench" ] || [ ! -x "$WL_BIN/stress-ng" ]; then
		metric workload_skipped "${BENCH_WL_WHY:-no workload binaries (BENCH_WL_BIN)}"
		return
	fi
	if [ "$SMOKE" = 1 ]; then
		secs=2 rounds=1
	else
		secs=${BENCH_WL_SECS:-10} rounds=${BENCH_WL_ROUNDS:-5}
	fi
	conds="none mt100 mt10 clearrefs"
	[ -n "$PIDSTAT" ] && conds="$conds pidstat"
	unload && load || return
	say "workload: sysbench and stress-ng --vm, $rounds rounds of $secs s under: $conds"
	for name in sysbench vm; do
		: > $W/wl.$name
		wl_run $name $secs $W/wl.fig || return
		say "  $name, first run (not counted): $(cat $W/wl.fig)"
		r=1
		while [ $r -le $rounds ]; do
			# rotate the order: every condition in every place in turn
			order=$(echo $conds | awk -v r=$r '{ for (i = 0; i < NF; i++)
				printf "%s ", $((i + r - 1) % NF + 1) }')
			for c in $order; do
				wl_cond $name $c $secs || return
			done
			r=$((r + 1))
		done
		metric workload_${name}_secs "$secs"
		metric workload_${name}_rounds "$rounds"
		base=$(awk '$1 == "none" { print $2 }' $W/wl.$name | median)
		metric workload_${name}_none "$base"
		metric workload_${name}_noise_pct "$(awk -v h="$(awk '$1 == "none" { print $2 }' $W/wl.$name | halfrange)" \
			-v m="$base" 'BEGIN { printf "%.2f\n", m ? h / m * 100 : 0 }')"
		for c in $conds; do
			[ $c = none ] && continue
			# per round: the slowdown against that round's none run
			awk -v c=$c '$1 == "none" { b[++nb] = $2 } $1 == c { v[++nv] = $2 }
				END { for (i = 1; i <= nv && i <= nb; i++) printf "%.4f\n", (1 - v[i] / b[i]) * 100 }' \
				$W/wl.$name > $W/wl.sl
			sl=$(median < $W/wl.sl)
			metric workload_${name}_${c} "$(awk -v c=$c '$1 == c { print $2 }' $W/wl.$name | median)"
			metric workload_${name}_${c}_slowdown_pct "$(calc "$sl")"
			metric workload_${name}_${c}_spread_pct "$(halfrange < $W/wl.sl | awk '{ printf "%.2f\n", $1 }')"
			metric workload_${name}_${c}_observer_cpu_pct "$(awk -v c=$c '$1 == c { print $3 / $4 * 100 }' \
				$W/wl.$name | median)"
		done
	done
	unload
}

# ----------------------------------------------------------------- main ---
metric bench_kernel "$(uname -r)"
metric bench_nproc "$(nproc)"
metric bench_cpu "$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
metric bench_mem_mb "$(awk '$1 == "MemTotal:" { printf "%d\n", $2 / 1024 }' /proc/meminfo)"
[ "$SMOKE" = 1 ] && metric bench_smoke 1
if [ -n "$PIDSTAT" ] && ! "$PIDSTAT" -V > $W/pidstat.v 2>&1; then
	BENCH_PIDSTAT_WHY="pidstat does not run here: $(head -n 1 $W/pidstat.v)"
	PIDSTAT=""
fi
for item in "$@"; do
	t0=$(now)
	case $item in
	idle) bench_idle ;;
	wss) bench_wss ;;
	wss_scale) bench_wss_scale ;;
	pss) bench_pss ;;
	sampling)
		if [ "$SMOKE" = 1 ]; then
			bench_sampling 20
		else
			bench_sampling 1000
			bench_sampling 5000
		fi
		;;
	sampling[0-9]*) bench_sampling "${item#sampling}" ;;
	transport) bench_transport ;;
	decode) bench_decode ;;
	workload) bench_workload ;;
	*) fail "unknown item '$item'" ;;
	esac
	say "$item took $((($(now) - t0) / 1000000000)) s"
done
stop_sleepers
unload
[ -f $W/emit ] && cat $W/emit
cleanup
exit $FAILED
