# SPDX-License-Identifier: GPL-2.0
# Guest-side helpers for the VM tests (busybox sh).  A test script sources
# this file, prints TAP through ok/fail/skip, and exits with a kselftest code
# via finish: 0 all passed, 1 something failed, 4 everything skipped.
#
# The runner adds tests/vm as /extra/vm and build/memload as /extra/memload.

MT=/sys/kernel/debug/memtrace
MEMLOAD=/extra/memload
T_N=0
T_FAIL=0
T_SKIP=0
T_PIDS=""

# ok DESC / fail DESC / skip DESC WHY: one TAP line each.
# (a newline in DESC is shown as \n so that one test stays one line)
tap() { printf '%s\n' "$*" | awk 'NR > 1 { printf "\\n" } { printf "%s", $0 } END { print "" }'; }
ok() { T_N=$((T_N + 1)); tap "ok $T_N $*"; }
fail() { T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1)); tap "not ok $T_N $*"; }
skip() { T_N=$((T_N + 1)); T_SKIP=$((T_SKIP + 1)); tap "ok $T_N $1 # SKIP $2"; }
diag() { echo "# $*"; }

# check DESC CONDITION-COMMAND...: ok when the command succeeds.
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else fail "$desc"; fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1 (got '$2', want '$3')"; fi
}

# check_within DESC GOT WANT TOLERANCE: |GOT - WANT| <= TOLERANCE (integers)
check_within() {
	d=$(($2 - $3))
	[ "$d" -lt 0 ] && d=$((-d))
	if [ -n "$2" ] && [ "$d" -le "$4" ]; then
		ok "$1 ($2 vs $3, tolerance $4)"
	else
		fail "$1 (got '$2', want '$3' +- $4)"
	fi
}

# finish: print the plan and exit with the kselftest code.
finish() {
	cleanup
	echo "1..$T_N"
	[ "$T_FAIL" -gt 0 ] && exit 1
	[ "$T_N" -gt 0 ] && [ "$T_SKIP" = "$T_N" ] && exit 4
	exit 0
}

# Kill the workloads this test started, unload the module.
cleanup() {
	for p in $T_PIDS; do kill "$p" 2>/dev/null; done
	for p in $T_PIDS; do wait "$p" 2>/dev/null; done
	T_PIDS=""
	[ -d $MT ] && echo 0 > $MT/enable 2>/dev/null
	rmmod memtrace 2>/dev/null
	return 0
}
trap 'cleanup' INT TERM

# reader_ready PID: wait (at most 10 s) until the reader PID has started its
# recording session and enabled the sampler: its settings are made, and a
# write from here on goes into its session.  Status 1 on timeout.
reader_ready() {
	i=0
	while [ $i -lt 100 ]; do
		[ "$(awk '$1 == "owner_pid:" { print $2 }' $MT/session 2> /dev/null)" = "$1" ] &&
			[ "$(cat $MT/enable 2> /dev/null)" = 1 ] && return 0
		kill -0 "$1" 2> /dev/null || return 1
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# stat_val NAME: the value of line "NAME: value" of $MT/stats
stat_val() { awk -v k="$1:" '$1 == k { print $2 }' $MT/stats; }

# status_kb PID KEY: a "KEY: N kB" value from /proc/PID/status
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# stat_field PID N: field N (1-based, as in proc(5)) of /proc/PID/stat
stat_field() { sed 's/.*) //' "/proc/$1/stat" | awk -v n="$2" '{ print $(n - 2) }'; }

# start_memload OUTFILE ARGS...: run memload in the background, wait until it
# is ready (at most MEMLOAD_READY_S seconds, default 60), and set MEMLOAD_PID.
start_memload() {
	out=$1
	shift
	"$MEMLOAD" "$@" > "$out" &
	MEMLOAD_PID=$!
	T_PIDS="$T_PIDS $MEMLOAD_PID"
	i=0
	while ! grep -q '^ready' "$out" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt $((${MEMLOAD_READY_S:-60} * 10)) ] || ! kill -0 "$MEMLOAD_PID" 2>/dev/null; then
			diag "memload $* did not become ready in ${MEMLOAD_READY_S:-60} s"
			return 1
		fi
		sleep 0.1
	done
}

# setup_swap MB: a zram swap device of MB MiB.
setup_swap() {
	modprobe zram num_devices=1 &&
	echo "${1}M" > /sys/block/zram0/disksize &&
	mkswap /dev/zram0 > /dev/null &&
	swapon /dev/zram0
}

# setup_ramfs DIR: a ramfs mount, whose mapped pages count as RssFile
# (tmpfs pages would count as RssShmem).
setup_ramfs() { mkdir -p "$1" && mount -t ramfs ramfs "$1"; }

# csv_col CSV NAME: the 1-based index of column NAME in the CSV header
csv_col() { head -n 1 "$1" | tr ',' '\n' | grep -n -x "$2" | cut -d: -f1; }

# csv_seqs CSV...: "cpu,seq" of every row of the CSVs (the process CSV or
# the system CSV of --system: columns found by name), sorted by cpu, seq;
# every record but loss records takes a seq, so both are needed for gaps
csv_seqs() {
	for f in "$@"; do
		awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) { if ($i == "cpu") c = i
			if ($i == "seq") q = i }; next } { print $c "," $q }' "$f"
	done | sort -t, -k1,1n -k2,2n
}

# csv_last CSV PID NAME: column NAME of the last record of PID
csv_last() {
	awk -F, -v pid="$2" -v c="$(csv_col "$1" pid)" -v f="$(csv_col "$1" "$3")" \
		'NR > 1 && $c == pid { v = $f } END { print v }' "$1"
}

# stress_bin NAME: the path of the static helper NAME (tests/stress/, built
# into build/stress and --add'ed as /extra/stress), or status 1
stress_bin() {
	for d in /extra/stress /extra; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return 0; }
	done
	return 1
}

# test_param NAME DEFAULT: memtrace_test.NAME=VALUE from the kernel command
# line (tests/vm/run: MEMTRACE_VM_APPEND), else DEFAULT
test_param() {
	v=$(tr ' ' '\n' < /proc/cmdline | sed -n "s/^memtrace_test\.$1=//p" | tail -n 1)
	echo "${v:-$2}"
}

# failnth_setup: fault injection driven by /proc/PID/fail-nth alone
# (mt-failnth): failslab and fail_page_alloc with probability 0, one log
# line per injected failure (no stack dump), and GFP_KERNEL, highmem and
# order-0 allocations eligible.  Prints their settings as diag lines.
failnth_setup() {
	for d in failslab fail_page_alloc; do
		d=/sys/kernel/debug/$d
		[ -d $d ] || continue
		echo 0 > $d/probability
		echo 1 > $d/verbose
		[ -e $d/ignore-gfp-wait ] && echo N > $d/ignore-gfp-wait
		[ -e $d/ignore-gfp-highmem ] && echo N > $d/ignore-gfp-highmem
		[ -e $d/min-order ] && echo 0 > $d/min-order
		diag "$d: $(for f in probability ignore-gfp-wait min-order verbose; do
			[ -e $d/$f ] && printf '%s=%s ' $f "$(cat $d/$f)"; done)"
	done
}

# account DESC CSV STATS0 STATS1 [SYSCSV]: nothing lost silently in the
# reader's CSV (and its --system CSV: system records take seqs too) between
# two snapshots of $MT/stats taken with the relay path stopped: per
# CPU, rows = records written, rows + dropped = sequence numbers consumed,
# seq gaps <= dropped, every seq within the CPU's range of the two
# snapshots, no duplicate (cpu, seq), and no row of a CPU that stats do not
# list.  One ok/fail line DESC with the per-CPU figures.
account() {
	csv_seqs "$2" ${5:+"$5"} > /tmp/account.seqs
	awk -F, -v s0="$3" -v s1="$4" '
	FILENAME == s0 || FILENAME == s1 {
		split($0, kv, ": ")
		if (kv[1] ~ /^cpu[0-9]+_(written|dropped|seq)$/) {
			split(kv[1], p, "_")
			c = substr(p[1], 4)
			cpus[c] = 1
			v[FILENAME == s0 ? 0 : 1, p[2], c] = kv[2]
		}
		next
	}
	{
		c = $1; s = $2
		rows[c]++
		if ((c, s) in seen) dups++
		seen[c, s] = 1
		if (!(c in lo) || s < lo[c]) lo[c] = s
		if (!(c in hi) || s > hi[c]) hi[c] = s
		if (!(c in cpus)) { cpus[c] = 1; unknown++ }
	}
	END {
		bad = unknown + dups
		for (c in cpus) {
			dw = v[1, "written", c] - v[0, "written", c]
			dd = v[1, "dropped", c] - v[0, "dropped", c]
			ds = v[1, "seq", c] - v[0, "seq", c]
			r = rows[c] + 0
			gaps = r ? hi[c] - lo[c] + 1 - r : 0
			range = r && (lo[c] < v[0, "seq", c] + 0 || hi[c] >= v[1, "seq", c] + 0)
			printf "cpu%s rows=%d written=%d dropped=%d seq+%d gaps=%d%s; ", c, r, dw, dd, ds, gaps, range ? " OUT-OF-RANGE" : ""
			if (r != dw || r + dd != ds || gaps > dd || range) bad++
		}
		printf "dups=%d unknown_cpu=%d\n", dups, unknown
		exit bad ? 1 : 0
	}' "$3" "$4" /tmp/account.seqs > /tmp/account.out
	r=$?
	if [ $r = 0 ]; then ok "$1: nothing lost: $(cat /tmp/account.out)"
	else fail "$1: records unaccounted for: $(cat /tmp/account.out)"; fi
}
