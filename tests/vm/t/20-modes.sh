#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: which processes are sampled.  All-process mode samples every
# process that has an address space (every /proc/PID/status with a VmRSS
# line) and no kernel thread; pid mode samples exactly the registered ones,
# and a registered process that exits drops out by itself.
. /extra/vm/lib.sh

modprobe memtrace || { fail "modprobe memtrace"; finish; }
start_memload /tmp/a.out -a 4 || { fail "memload a"; finish; }
a=$MEMLOAD_PID
start_memload /tmp/b.out -a 8 || { fail "memload b"; finish; }
b=$MEMLOAD_PID
start_memload /tmp/c.out -a 2 || { fail "memload c"; finish; }
c=$MEMLOAD_PID

# --- all-process mode ---------------------------------------------------
ls /proc | grep -x '[0-9]*' | sort -n > /tmp/before
memtrace-reader -I 100 -d 1 -o /tmp/all.csv 2> /tmp/reader.err
check_eq "all-process reader exits 0" "$?" 0
last=$(awk -F, 'NR > 1 { t = $4 } END { print t }' /tmp/all.csv)
awk -F, -v t="$last" 'NR > 1 && $4 == t { print $5 }' /tmp/all.csv | sort -n > /tmp/sampled
diag "last tick $last sampled $(wc -l < /tmp/sampled) processes"
missing=0
kthreads=0
for p in $(cat /tmp/before); do
	[ -r /proc/$p/status ] || continue # exited since
	if grep -q '^VmRSS:' /proc/$p/status; then
		grep -qx "$p" /tmp/sampled || { missing=$((missing + 1)); diag "missing $p"; }
	elif grep -qx "$p" /tmp/sampled; then
		kthreads=$((kthreads + 1))
		diag "sampled $p which has no VmRSS ($(awk '/^Name/ { print $2 }' /proc/$p/status))"
	fi
done
check_eq "every process with VmRSS sampled in the last tick" "$missing" 0
check_eq "no kernel thread sampled" "$kthreads" 0
dups=$(uniq -d /tmp/sampled | wc -l)
check_eq "one record per process per tick" "$dups" 0
nk=$(ls /proc | grep -x '[0-9]*' | while read -r p; do
	grep -q '^VmRSS:' /proc/$p/status 2>/dev/null || echo "$p"; done | wc -l)
diag "$nk pids without VmRSS (kernel threads) on this guest"

# --- pid mode -----------------------------------------------------------
memtrace-reader -p "$a" -p "$c" -I 100 -d 1 -o /tmp/pids.csv 2> /tmp/reader.err
check_eq "pid-mode reader exits 0" "$?" 0
got=$(awk -F, 'NR > 1 { print $5 }' /tmp/pids.csv | sort -un | tr '\n' ' ')
want=$(printf '%s\n' "$a" "$c" | sort -n | tr '\n' ' ')
check_eq "pid mode samples exactly the registered tgids" "$got" "$want"
ticks=$(awk -F, 'NR > 1 { print $4 }' /tmp/pids.csv | sort -u | wc -l)
recs=$(($(wc -l < /tmp/pids.csv) - 1))
check_eq "both registered processes in every tick" "$recs" $((2 * ticks))
check_eq "reader unregistered its pids" "$(cat $MT/pids)" ""

# --- exited processes drop out; the filter stays on ----------------------
echo "+$b" > $MT/pids && echo "+$c" > $MT/pids
check_eq "pids lists the registered tgids" "$(cat $MT/pids | tr '\n' ' ')" \
	"$(printf '%s\n' "$b" "$c" | sort -n | tr '\n' ' ')"
kill "$c"
wait "$c" 2>/dev/null
echo 1 > $MT/enable
sleep 0.5
echo 0 > $MT/enable
check_eq "exited process dropped out of pids" "$(cat $MT/pids)" "$b"
echo "-$b" > $MT/pids
check_eq "unregistering the last one empties the set" "$(cat $MT/pids)" ""
echo "+$b" > $MT/pids && echo clear > $MT/pids
check_eq "clear empties the set" "$(cat $MT/pids)" ""
finish
