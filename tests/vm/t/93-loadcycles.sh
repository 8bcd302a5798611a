#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm: tcg-thread=single  (toggles trace events: see tcg_single in tests/run)
# Scenario: load/unload cycles under fire.  The module is loaded and
# unloaded CYCLES times (default 60, 24 on the debug kernel;
# MEMTRACE_VM_APPEND=memtrace_test.cycles=N)
# with varying parameters and in varying states (sampler running, pid
# filter set, WSS scanning, a cpuN file held open, nothing), while in the
# background a reader starts session after session (memtrace-reader -d 0.3),
# the memstat trace events are switched on and off through tracefs, and
# tests/stress/mt-storm keeps processes and threads coming and going.
# Checks, besides a clean kernel log: every load succeeds; every unload
# succeeds (retrying while a reader holds a control or cpuN file: EAGAIN is
# the documented answer; with cpu0 held open here it must be refused); after each unload nothing is left in debugfs, tracefs
# or /sys/module; readers only ever exit 0 (session done) or 1 (module
# absent or unloaded under them, reported); sessions that completed wrote
# well-formed CSV; the churn survived; and a final session accounts for
# every record.
. /extra/vm/lib.sh

uptime_ms() { awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime; }

STORM=$(stress_bin mt-storm) || { fail "helper mt-storm missing: build tests/stress/mt-storm.c into build/stress and --add build/stress"; finish; }
# 60 (24 on the debug kernel, where KASAN, lockdep and kmemleak make a
# cycle several seconds of TCG time): since a reader's open cpuN files pin
# the module, rmmod waits for the background session to end (-d 0.3), so a
# cycle takes about twice as long as it did (100 cycles: 60 s -> 118 s on
# 6.1 under TCG)
cycles=60
[ -e /sys/kernel/debug/kmemleak ] && cycles=24
cycles=$(test_param cycles $cycles)
EV=/sys/kernel/tracing/events/memstat
rm -f /tmp/stop

# --- the background ------------------------------------------------------------
"$STORM" -d 3600 -w 1 -k 2 -t 2 > /tmp/storm.out 2>&1 &
S=$!
(
	n=0
	while [ ! -e /tmp/stop ]; do
		# no module: wait a little rather than fail at full speed
		[ -e $MT/enable ] || { sleep 0.05; continue; }
		n=$((n + 1))
		memtrace-reader -W 10 -d 0.3 -q -o /tmp/r.$n.csv 2> /tmp/r.$n.err
		echo "$n $?" >> /tmp/readers.rc
	done
) &
RL=$!
# Enabling the first trace event makes ftrace record task names through
# probes on sched_switch/sched_wakeup, i.e. patches __schedule() and
# try_to_wake_up() at every toggle.  Under QEMU's multi-threaded TCG a vCPU
# can keep running a stale translation of a patched site (seen: a CPU looping
# on an int3 in __schedule() with its runqueue locked, the guest frozen), so
# leave the scheduler alone: record-cmd off.  memstat's own tracepoints are
# still switched at every toggle.
echo 0 > /sys/kernel/tracing/options/record-cmd
(
	while [ ! -e /tmp/stop ]; do
		echo 1 > $EV/enable
		sleep 0.1
		echo 0 > $EV/enable
		sleep 0.1
	done 2> /dev/null
) &
EL=$!

# --- the cycles -----------------------------------------------------------------
t0=$(uptime_ms)
i=1
retries=0
while [ $i -le "$cycles" ]; do
	case $((i % 4)) in
	0) p="interval_ms=$((1 + i % 7)) wss_interval_ms=10" ;;
	1) p="subbuf_size=8192 n_subbufs=2 interval_ms=1" ;;
	2) p="interval_ms=$((5 + i % 3))" ;;
	3) p="" ;;
	esac
	# shellcheck disable=SC2086 # p is a list of parameters
	if ! modprobe memtrace $p; then
		fail "cycle $i: modprobe memtrace $p"
		break
	fi
	case $((i % 5)) in
	0) echo 1 > $MT/enable ;;
	1) echo "+$S" > $MT/pids && echo 1 > $MT/enable ;;
	2) exec 3< $MT/cpu0 ;;
	3) ;;
	4) echo 10 > $MT/wss_interval_ms && echo 1 > $MT/enable ;;
	esac 2> /dev/null
	[ $((i % 3)) = 0 ] && sleep 0.1
	# an open cpuN file pins the module: refused, then closed
	if [ $((i % 5)) = 2 ]; then
		if rmmod memtrace 2> /dev/null; then
			fail "cycle $i: rmmod succeeded with cpu0 open"
			break
		fi
		exec 3<&-
	fi
	j=0
	while ! rmmod memtrace 2> /tmp/rmmod.err; do
		j=$((j + 1))
		if [ $j -ge 100 ] || ! grep -q 'temporarily unavailable\|in use' /tmp/rmmod.err; then
			break
		fi
		sleep 0.05
	done
	retries=$((retries + j))
	exec 3<&-
	if [ -e /sys/module/memtrace ]; then
		fail "cycle $i: rmmod failed after $j retries: $(cat /tmp/rmmod.err)"
		break
	fi
	if [ -e $MT ] || [ -e $EV ]; then
		fail "cycle $i: left behind: $(ls -d $MT $EV 2> /dev/null)"
		break
	fi
	i=$((i + 1))
done
t1=$(uptime_ms)
touch /tmp/stop
wait $RL
wait $EL
kill $S
wait $S
src=$?
check_eq "$cycles load/unload cycles under fire" "$((i - 1))" "$cycles"
diag "$cycles cycles took $(((t1 - t0) / 1000)).$(((t1 - t0) % 1000 / 100)) s;" \
	"rmmod retried $retries times (EAGAIN while a reader held a control or cpuN file)"
check "nothing left behind" sh -c "[ ! -e $MT ] && [ ! -e $EV ] && [ ! -e /sys/module/memtrace ]"

# readers: exit 0 (a session) or 1 (no module / module gone), nothing else
while read -r n rc; do
	[ -e /tmp/r.$n.csv ] || : > /tmp/r.$n.csv # refused before opening its output
	rows=$(($(wc -l < /tmp/r.$n.csv) - 1))
	bad=$(awk -F, 'NR == 1 { n = NF; next } !index($0, "\"") && NF != n { b++ } END { print b + 0 }' /tmp/r.$n.csv)
	echo "$rc $rows $bad $(head -n 1 /tmp/r.$n.err)"
done < /tmp/readers.rc > /tmp/readers.log
n=$(wc -l < /tmp/readers.log)
good=$(awk '$1 == 0 && $2 > 0' /tmp/readers.log | wc -l)
nread=$(awk '$2 > 0' /tmp/readers.log | wc -l)
other=$(awk '$1 != 0 && $1 != 1' /tmp/readers.log | head -n 3)
malformed=$(awk '$1 == 0 && $3 != 0' /tmp/readers.log | wc -l)
diag "$n reader sessions: $good completed with records; exit statuses:" \
	"$(awk '{ print $1 }' /tmp/readers.log | sort | uniq -c | tr '\n' ' ')"
awk '$1 != 0 { $1 = $2 = $3 = ""; print }' /tmp/readers.log | sort | uniq -c | sort -rn | head -n 4 | sed 's/^/# reader said: /'
check_eq "readers exit only 0 or 1" "$other" ""
check "reader sessions read records during the cycles ($nread of $n; $good ran to the end)" [ "$nread" -gt 0 ]
check_eq "completed sessions wrote well-formed CSV" "$malformed" 0
check "the process churn ran throughout and exited 0 at SIGTERM ($(cat /tmp/storm.out | tr '\n' ' '))" \
	[ "$src" = 0 ] && grep -q '^storm: forks=' /tmp/storm.out

# a last clean session accounts for everything
modprobe memtrace || { fail "final modprobe"; finish; }
w0=$(stat_val records_written)
memtrace-reader -I 10 -d 1 -o /tmp/f.csv --system /tmp/f.sys 2> /dev/null
check_eq "final session exits 0" "$?" 0
check_eq "final session: CSV rows (processes and system) = records written" \
	"$(($(wc -l < /tmp/f.csv) + $(wc -l < /tmp/f.sys) - 2))" \
	"$(($(stat_val records_written) - w0))"
finish
