#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm: tcg-thread=single  (toggles trace events: see tcg_single in tests/run)
# Scenario: privilege.  An unprivileged user (uid/gid 65534, no capabilities,
# via tests/stress/mt-unpriv) can neither read nor write any memtrace debugfs
# file nor the memstat trace event files -- also with debugfs and tracefs
# remounted mode 0755, so that only the files' own modes protect them -- and
# cannot write the module parameters; memtrace-reader run by that user fails
# cleanly; nothing the user tried changed the state (enable, interval, pids,
# ticks).  The user cannot start the sampler through the memstat tracepoints
# with perf_event_open() (counting or sampling, per task or per CPU) at the
# distribution's perf_event_paranoid and at 2 (the upstream default), 1 and
# 0; at -1 (everything allowed to everyone by the administrator) it is only
# reported.  No memtrace file (stats, pids, control files, module
# parameters, trace event formats, the trace output, the kernel log lines,
# and the binary cpuN records) shows a kernel address.
. /extra/vm/lib.sh

EV=/sys/kernel/tracing/events/memstat
UNPRIV=$(stress_bin mt-unpriv) || { fail "helper mt-unpriv missing: build tests/stress/mt-unpriv.c into build/stress and --add build/stress"; finish; }

modprobe memtrace interval_ms=20 || { fail "modprobe memtrace"; finish; }
start_memload /tmp/m.out -a 4 || { fail "memload"; finish; }
check_eq "the helper runs as uid 65534 without capabilities" \
	"$("$UNPRIV" sh -c 'id -u; grep ^CapEff /proc/self/status')" "65534
CapEff:	0000000000000000"

# state_now: everything an unprivileged write could have changed
state_now() {
	echo "enable=$(cat $MT/enable) interval=$(cat $MT/interval_ms) wss=$(cat $MT/wss_interval_ms)" \
		"pids=$(cat $MT/pids | tr '\n' ' ') comms=$(cat $MT/comms | tr '\n' ' ')" \
		"session=$(awk '$1 == "owner_pid:" { print $2 }' $MT/session) ticks=$(stat_val ticks)" \
		"ev=$(cat $EV/enable) param=$(cat /sys/module/memtrace/parameters/interval_ms)"
}
files="$(ls -d $MT/*) $EV/enable $EV/filter $(ls -d $EV/*/* 2> /dev/null)"

# try_all DESC: every memtrace file refuses the user, for reading and writing
try_all() {
	s0=$(state_now)
	# shellcheck disable=SC2086 # one argument per file
	"$UNPRIV" --try $files > /tmp/try.out 2>&1
	bad=$(grep -v 'read=EACCES write=EACCES$' /tmp/try.out)
	n=$(wc -l < /tmp/try.out)
	if [ -z "$bad" ] && [ "$n" -ge 10 ]; then
		ok "$1: all $n debugfs and tracefs files refuse reading and writing (EACCES)"
	else
		fail "$1: files the user could open: $bad"
	fi
	check_eq "$1: state unchanged" "$(state_now)" "$s0"
}

try_all "default mounts (debugfs and tracefs mode 0700)"
mount -o remount,mode=0755 /sys/kernel/debug
mount -o remount,mode=0755 /sys/kernel/tracing
diag "debugfs and tracefs remounted mode 0755: $(ls -ld /sys/kernel/debug /sys/kernel/tracing | awk '{ print $1 }' | tr '\n' ' ')"
try_all "mode 0755 mounts"

# module parameters: world-readable by the kernel's convention, never writable
"$UNPRIV" --try /sys/module/memtrace/parameters/* > /tmp/par.out
check_eq "no module parameter writable by the user" \
	"$(grep -vc 'write=EACCES$' /tmp/par.out)" 0
diag "parameters the user can read (mode 0644/0444, kernel convention):" \
	"$(grep -c 'read=ok' /tmp/par.out) of $(wc -l < /tmp/par.out)"

# the reader as that user: exit 1 with a reason
s0=$(state_now)
"$UNPRIV" memtrace-reader -d 1 -o /tmp/u.csv > /dev/null 2> /tmp/u.err
rc=$?
diag "reader as uid 65534: exit $rc: $(head -n 1 /tmp/u.err)"
check_eq "memtrace-reader as uid 65534 exits 1" "$rc" 1
check "... and says why (permission)" grep -qi 'permission\|root' /tmp/u.err
check_eq "... and changed nothing" "$(state_now)" "$s0"

# --- the tracepoints through perf_event_open() ------------------------------
id=$(cat $EV/memstat_sample/id)
tid=$(cat $EV/memstat_tick/id)
par0=$(cat /proc/sys/kernel/perf_event_paranoid)
for p in "$par0" 2 1 0 -1; do
	echo "$p" > /proc/sys/kernel/perf_event_paranoid || continue
	for ev in "memstat_sample:$id" "memstat_tick:$tid"; do
		t0=$(stat_val ticks)
		"$UNPRIV" --perf-tp "${ev#*:}" 500 > /tmp/perf.out 2>&1
		t1=$(stat_val ticks)
		opened=$(sed -n 's/^perf opened //p' /tmp/perf.out)
		got=$(grep -v opened /tmp/perf.out | sed 's/^perf //' | tr '\n' ' ')
		what="paranoid $p, ${ev%%:*}: $opened of 7 perf events opened, ticks $t0 -> $t1 ($got)"
		if [ "$p" = -1 ]; then
			diag "$what (paranoid -1 allows everything to everyone: not a requirement)"
		elif [ "$opened" = 0 ] && [ "$t1" = "$t0" ]; then
			ok "unprivileged perf cannot start sampling: $what"
		else
			fail "unprivileged perf started sampling or opened the event: $what"
		fi
	done
done
echo "$par0" > /proc/sys/kernel/perf_event_paranoid

# --- no kernel address anywhere ----------------------------------------------
echo 1 > $EV/enable
echo "+$MEMLOAD_PID" > $MT/pids
echo 1 > $MT/enable
sleep 0.5
echo 0 > $MT/enable
echo 0 > $EV/enable
: > /tmp/bin
for f in $MT/cpu*; do cat "$f" >> /tmp/bin; done
check "binary records read ($(wc -c < /tmp/bin) bytes)" [ -s /tmp/bin ]
# every 8-byte little-endian word; kernel addresses are 0xffff8... and up
# (-1 .. -4095, error values, excluded)
addr=$(od -An -v -tx8 -w8 /tmp/bin | awk '$1 ~ /^ffff[89a-f]/ && $1 < "fffffffffffff000"' | head -n 3)
check_eq "no kernel address in the binary records" "$addr" ""
{
	for f in $MT/enable $MT/interval_ms $MT/wss_interval_ms $MT/pids $MT/comms \
		$MT/session $MT/stats \
		/sys/module/memtrace/parameters/* $EV/*/format $EV/*/filter $EV/*/trigger \
		$EV/*/id; do
		echo "== $f"
		cat "$f"
	done
	echo "== trace"
	cat /sys/kernel/tracing/trace
	echo "== kernel log"
	dmesg | grep -i 'memtrace\|memstat'
} > /tmp/text 2>&1
n=$(grep -c 'memstat_sample:' /tmp/text)
check "trace output has memstat events ($n)" [ "$n" -gt 0 ]
addr=$(grep -Ein 'ffff[0-9a-f]{12}' /tmp/text | head -n 3)
check_eq "no kernel address in any text file, the trace or the kernel log" "$addr" ""
mount -o remount,mode=0700 /sys/kernel/debug
mount -o remount,mode=0700 /sys/kernel/tracing
finish
