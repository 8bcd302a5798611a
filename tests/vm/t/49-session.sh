#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: a recording session owns what it set (issue 14).
# 1. SIGKILL: settings made outside any session (interval_ms 250, a pid
#    filter holding one sleeper) are in place when a reader starts with
#    -p MEMLOAD -I 20 -W 100; after kill -9 of that reader, every control
#    file is back to its value before the session within a second, and no
#    WSS scan runs any more (stats' wss_pages_scanned stands still).
# 2. Two readers: a second reader exits 1 at once, naming the first's pid,
#    creates no output and changes nothing; the first records its whole
#    -d 4 (its CSV spans it) and reports no loss.
# 3. -c COMM: a process started after the session began, named like -c,
#    is recorded, as is one from before; one named otherwise is not.
# 4. -p of a process that exits mid-session: said once, and without -d the
#    session ends by itself with status 0.
# 5. An output that fails (a closed pipe: | head -1; a full filesystem)
#    ends the session with status 1 and one line naming the error and the
#    records drained but not written -- never advice about sub-buffers.
# Ground truth: the control files as the module prints them, the pids of
# the processes started here, the clock.
. /extra/vm/lib.sh

modprobe memtrace || { fail "modprobe memtrace"; finish; }
start_memload /tmp/ml.out -a 16 || { fail "memload -a 16"; finish; }
sleep 600 &
s0=$!
# the state a session must give back
echo 250 > $MT/interval_ms
echo "+$s0" > $MT/pids

# --- 1. SIGKILL
memtrace-reader -p "$MEMLOAD_PID" -I 20 -W 100 -q -o /tmp/k.csv 2> /tmp/k.err &
r=$!
check "the reader holds the session" reader_ready $r
sleep 0.5
check_eq "in the session: pids" "$(cat $MT/pids)" "$MEMLOAD_PID"
check_eq "in the session: interval_ms" "$(cat $MT/interval_ms)" 20
check_eq "in the session: wss_interval_ms" "$(cat $MT/wss_interval_ms)" 100
kill -9 $r
wait $r 2> /dev/null
sleep 1
check_eq "after SIGKILL: enable" "$(cat $MT/enable)" 0
check_eq "after SIGKILL: interval_ms" "$(cat $MT/interval_ms)" 250
check_eq "after SIGKILL: wss_interval_ms" "$(cat $MT/wss_interval_ms)" 0
check_eq "after SIGKILL: pids" "$(cat $MT/pids)" "$s0"
check_eq "after SIGKILL: comms" "$(cat $MT/comms)" ""
check_eq "after SIGKILL: no session" "$(awk '$1 == "owner_pid:" { print $2 }' $MT/session)" 0
w0=$(stat_val wss_pages_scanned)
sleep 0.5
check_eq "after SIGKILL: no WSS scan runs (wss_pages_scanned)" "$(stat_val wss_pages_scanned)" "$w0"
echo clear > $MT/pids

# --- 2. two readers
memtrace-reader -d 4 -o /tmp/a.csv 2> /tmp/a.err &
a=$!
check "the first reader holds the session" reader_ready $a
rm -f /tmp/b.csv
t0=$(date +%s)
memtrace-reader -d 1 -o /tmp/b.csv 2> /tmp/b.err
rc=$?
t1=$(date +%s)
sed 's/^/#   /' /tmp/b.err
check_eq "the second reader's exit status" "$rc" 1
check "the second reader returns at once ($((t1 - t0)) s)" [ $((t1 - t0)) -le 2 ]
check "the second reader names the first (pid $a)" grep -q "another recording session is running (pid $a, memtrace-reade" /tmp/b.err
check "the second reader created no output" [ ! -e /tmp/b.csv ]
check_eq "the first still holds the session" "$(awk '$1 == "owner_pid:" { print $2 }' $MT/session)" "$a"
wait $a
rc=$?
sed 's/^/#   /' /tmp/a.err | head -n 4
check_eq "the first reader's exit status" "$rc" 0
span=$(awk -F, -v c="$(csv_col /tmp/a.csv ts_ns)" 'NR > 1 { if (!lo || $c < lo) lo = $c; if ($c > hi) hi = $c }
	END { printf "%.0f", (hi - lo) / 1e6 }' /tmp/a.csv)
check "the first reader's CSV spans its -d 4 (${span} ms)" [ "$span" -ge 3500 ]
check "the first reader lost nothing" grep -q ", 0 lost (seq gaps), 0 dropped (stats)" /tmp/a.err

# --- 3. -c COMM catches a process started later (copies of memload named
# mtcomm: a real exec, so the comm is the file's name)
cp "$MEMLOAD" /tmp/mtcomm
/tmp/mtcomm -a 1 > /tmp/c0.out &
c0=$!
memtrace-reader -c mtcomm -d 3 -q -o /tmp/c.csv 2> /tmp/c.err &
c=$!
check "the -c reader holds the session" reader_ready $c
sleep 0.5
/tmp/mtcomm -a 1 > /tmp/c1.out &
c1=$!
wait $c
check_eq "the -c reader's exit status" "$?" 0
pc=$(csv_col /tmp/c.csv pid)
has_pid() { awk -F, -v c="$pc" -v p="$1" 'NR > 1 && $c == p { f = 1 } END { exit !f }' /tmp/c.csv; }
check "an mtcomm started after the session began is in the CSV (pid $c1)" has_pid $c1
check "the mtcomm from before is in the CSV (pid $c0)" has_pid $c0
lacks_pid() { ! has_pid "$1"; }
check "memload is not (pid $MEMLOAD_PID)" lacks_pid "$MEMLOAD_PID"
check_eq "after -c: comms is empty again" "$(cat $MT/comms)" ""

# --- 4. -p of a process that exits: said once, the session ends itself
"$MEMLOAD" -a 1 -H 2 > /tmp/s2.out &
s2=$!
sleep 0.5
t0=$(date +%s)
timeout 20 memtrace-reader -p $s2 -q -o /tmp/p.csv 2> /tmp/p.err
rc=$?
t1=$(date +%s)
sed 's/^/#   /' /tmp/p.err
check_eq "the -p reader ends by itself with status 0" "$rc" 0
check "within a few seconds of the exit ($((t1 - t0)) s)" [ $((t1 - t0)) -le 8 ]
check_eq "the exit is said once" "$(grep -c "process $s2 exited" /tmp/p.err)" 1

# --- 5. output errors end the session with their own cause, not "lost"
{ memtrace-reader -I 10 -d 3 2> /tmp/h.err; echo $? > /tmp/h.rc; } | head -n 1 > /tmp/h.out
sed 's/^/#   /' /tmp/h.err
check_eq "| head -1: exit status" "$(cat /tmp/h.rc)" 1
check "| head -1: the session ended on EPIPE, said in one line" \
	grep -q "the session ended on an output error (writing standard output: Broken pipe): [0-9]* of the [0-9]* records drained" /tmp/h.err
check "| head -1: no buffer advice" sh -c "! grep -q 'sub-buffers' /tmp/h.err"
mkdir -p /tmp/full
mount -t tmpfs -o size=64k tmpfs /tmp/full
memtrace-reader -I 10 -d 3 -o /tmp/full/x.csv 2> /tmp/f.err
rc=$?
sed 's/^/#   /' /tmp/f.err
check_eq "full filesystem: exit status" "$rc" 1
check "full filesystem: the session ended on ENOSPC, said in one line" \
	grep -q "the session ended on an output error (writing /tmp/full/x.csv: No space left on device)" /tmp/f.err
check "full filesystem: no buffer advice" sh -c "! grep -q 'sub-buffers' /tmp/f.err"
umount /tmp/full

kill $s0 $c0 $c1 "$MEMLOAD_PID" 2> /dev/null
wait 2> /dev/null
rmmod memtrace
finish
