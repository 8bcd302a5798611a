#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: control files and module parameters refuse bad input with the
# documented errno and leave the state as it was.
. /extra/vm/lib.sh

# write_err FILE VALUE: the error text of writing VALUE (empty on success)
# (busybox echo reports a failed write; its printf does not)
write_err() { (echo -n "$2" > "$1") 2>&1 | sed 's/.*: //'; }

modprobe memtrace interval_ms=250 || { fail "modprobe memtrace"; finish; }
check_eq "interval_ms module parameter applied" "$(cat $MT/interval_ms)" 250
check_eq "enable starts at 0" "$(cat $MT/enable)" 0

nl='
'
for v in 2 -1 abc "$nl" "1x" " " "0x1" "11" "1${nl}1"; do
	check_eq "enable '$v' -> EINVAL" "$(write_err $MT/enable "$v")" "Invalid argument"
done
check_eq "enable unchanged" "$(cat $MT/enable)" 0
check_eq "enable '1' accepted" "$(write_err $MT/enable 1)" ""
check_eq "enable reads 1" "$(cat $MT/enable)" 1
check_eq "enable '2' while running -> EINVAL" "$(write_err $MT/enable 2)" "Invalid argument"
check_eq "still enabled" "$(cat $MT/enable)" 1
echo 0 > $MT/enable

# a new interval applies at once, not after the old one expires
echo 60000 > $MT/interval_ms
echo 1 > $MT/enable
t0=$(awk '/^ticks:/ { print $2 }' $MT/stats)
echo 20 > $MT/interval_ms
sleep 1
t1=$(awk '/^ticks:/ { print $2 }' $MT/stats)
echo 0 > $MT/enable
check "interval 60000 -> 20 while running: ticks follow at once ($t0 -> $t1)" [ "$t1" -ge $((t0 + 5)) ]
echo 250 > $MT/interval_ms

for v in 0 60001 -5 abc "$nl" 99999999999 "+7" "1 2" "7x"; do
	check_eq "interval_ms '$v' -> EINVAL" "$(write_err $MT/interval_ms "$v")" "Invalid argument"
done
check_eq "interval_ms unchanged" "$(cat $MT/interval_ms)" 250
check_eq "interval_ms 60000 accepted" "$(write_err $MT/interval_ms 60000)" ""
check_eq "interval_ms 1 accepted" "$(write_err $MT/interval_ms 1)" ""
check_eq "module parameter mirrors debugfs" "$(cat /sys/module/memtrace/parameters/interval_ms)" 1
check_eq "parameter 0 -> EINVAL" "$(write_err /sys/module/memtrace/parameters/interval_ms 0)" "Invalid argument"
check_eq "parameter 70000 -> EINVAL" "$(write_err /sys/module/memtrace/parameters/interval_ms 70000)" "Invalid argument"
check_eq "parameter 0x20 -> EINVAL" "$(write_err /sys/module/memtrace/parameters/interval_ms 0x20)" "Invalid argument"
check_eq "parameter 99999999999 -> EINVAL" "$(write_err /sys/module/memtrace/parameters/interval_ms 99999999999)" "Invalid argument"
check_eq "interval unchanged by bad parameter" "$(cat $MT/interval_ms)" 1

# a pid that surely does not exist: above pid_max
nopid=$(($(cat /proc/sys/kernel/pid_max) + 1))
check_eq "pids +$nopid -> ESRCH" "$(write_err $MT/pids "+$nopid")" "No such process"
check_eq "pids -$$ (not registered) -> ENOENT" "$(write_err $MT/pids "-$$")" "No such file or directory"
check_eq "pids +2 (kthreadd) -> EINVAL" "$(write_err $MT/pids "+2")" "Invalid argument"
for v in "$$" "+" "-" "+abc" "+0" "+-5" "++1" "+1 2" "$nl" "clearx" "+99999999999" \
	"$(printf '+%040d' 1)"; do
	check_eq "pids '$v' -> EINVAL" "$(write_err $MT/pids "$v")" "Invalid argument"
done
check_eq "pids still empty" "$(cat $MT/pids)" ""
check_eq "pids +$$ accepted" "$(write_err $MT/pids "+$$")" ""
check_eq "pids +$nopid -> ESRCH with one registered" "$(write_err $MT/pids "+$nopid")" "No such process"
check_eq "pids 'junk' -> EINVAL with one registered" "$(write_err $MT/pids "junk")" "Invalid argument"
check_eq "pids unchanged" "$(cat $MT/pids)" "$$"
check_eq "pids: embedded NUL -> EINVAL" "$( (echo -ne '+1\0002' > $MT/pids) 2>&1 | sed 's/.*: //')" "Invalid argument"
# comms: names of 1..15 bytes, at most 16, exact "-NAME" to remove
for v in "+" "-" "x" "name" "+$(printf '%016d' 7)" "$nl" "clearx"; do
	check_eq "comms '$v' -> EINVAL" "$(write_err $MT/comms "$v")" "Invalid argument"
done
check_eq "comms -nosuch -> ENOENT" "$(write_err $MT/comms "-nosuch")" "No such file or directory"
check_eq "comms still empty" "$(cat $MT/comms)" ""
for i in $(seq 1 16); do echo "+n$i" > $MT/comms; done
check_eq "comms: a 17th name -> ENOSPC" "$(write_err $MT/comms "+n17")" "No space left on device"
check_eq "comms: a registered name again is accepted" "$(write_err $MT/comms "+n3")" ""
check_eq "comms holds the 16" "$(cat $MT/comms | wc -l)" 16
check_eq "comms -n1 accepted" "$(write_err $MT/comms "-n1")" ""
check "comms: n1 gone, n16 kept" sh -c "! grep -qx n1 $MT/comms && grep -qx n16 $MT/comms"
check_eq "pids clear empties comms too" "$(echo clear > $MT/pids; cat $MT/comms $MT/pids)" ""
check_eq "comms: a control character -> EINVAL" "$(write_err $MT/comms "+a$(printf '\t')b")" "Invalid argument"
# a set whose process exited stays on (samples nothing), also after the
# last name goes: never "every process" by surprise
echo clear > $MT/pids
sleep 60 &
sp=$!
echo "+$sp" > $MT/pids
# SIGKILL: a TERM that arrives before the forked shell has reset the trap
# it inherited from lib.sh is lost, and the wait then took the full 60 s
kill -KILL $sp
wait $sp 2> /dev/null
echo 20 > $MT/interval_ms
echo 1 > $MT/enable
sleep 0.3
check_eq "comms +foo over an exited set" "$(write_err $MT/comms +foo)" ""
check_eq "comms -foo, the last name" "$(write_err $MT/comms -foo)" ""
sleep 0.3
check_eq "exited set, name added and removed: still samples nothing" "$(stat_val procs_last_tick)" 0
echo 0 > $MT/enable
echo clear > $MT/pids
echo 250 > $MT/interval_ms
# session: an open for writing is the session; a second one -> EBUSY
check_eq "session: nobody holds it" "$(awk '$1 == "owner_pid:" { print $2 }' $MT/session)" 0
(exec 3> $MT/session; sleep 3) &
holder=$!
sleep 1
check_eq "session: a second open for writing -> EBUSY" "$( (exec 4> $MT/session) 2>&1 | sed 's/.*: //')" "Device or resource busy"
check_eq "session: reading names the holder" "$(awk '$1 == "owner_pid:" { print $2 }' $MT/session)" "$holder"
wait $holder
check_eq "session: free again once closed" "$(awk '$1 == "owner_pid:" { print $2 }' $MT/session)" 0
# per-process state counts (cputime_states, wss_states): one per thread
# group sampled, freed at the sweep (every 64th tick) after it exits; the
# WSS states, all of them, also when the sampler stops.
# Ground truth: the session's own CSV.  An all-process session at 10 ms
# with WSS on, for at least 2 s and until 130 ticks ran (2 sweeps, however
# slow the kernel's ticks); after it, the states are at least the
# processes of its last tick still alive, and at most the processes it
# sampled (the states of processes that exited before it, earlier in this
# file, were swept)
st_t0=$(stat_val ticks)
memtrace-reader -I 10 -W 100 -o /tmp/states.csv -q 2> /tmp/states.err &
st_rd=$!
sleep 2
i=0
while [ "$(stat_val ticks)" -lt $((st_t0 + 130)) ] && [ $i -lt 600 ]; do
	sleep 0.1
	i=$((i + 1))
done
# WSS states: read while the session runs (one per process sampled),
# freed when the sampler stops with it
st_wss=$(stat_val wss_states)
kill -INT $st_rd
wait $st_rd || fail "memtrace-reader (states): $(cat /tmp/states.err)"
st_all=$(awk -F, 'NR > 1 { p[$5] = 1 } END { print length(p) }' /tmp/states.csv)
st_live=0
for p in $(awk -F, 'NR > 1 { if ($4 + 0 > t) { t = $4 + 0; delete p } if ($4 + 0 == t) p[$5] = 1 }
		END { for (i in p) print i }' /tmp/states.csv); do
	kill -0 "$p" 2> /dev/null && st_live=$((st_live + 1))
done
st_ct=$(stat_val cputime_states)
check "cputime_states $st_ct: at least the $st_live live processes of the last tick, at most the $st_all sampled" \
	[ "$st_live" -ge 1 -a "${st_ct:-0}" -ge "$st_live" -a "${st_ct:-0}" -le "$st_all" ]
check "wss_states $st_wss during the session: at most the $st_all sampled, at least one" \
	[ "${st_wss:-0}" -ge 1 -a "${st_wss:-0}" -le "$st_all" ]
check_eq "wss_states after it: all freed when the sampler stopped" "$(stat_val wss_states)" 0
check_eq "cputime_state_bytes: a whole number of states" \
	"$(($(stat_val cputime_state_bytes) % (st_ct > 0 ? st_ct : 1)))" 0
check "stats refuses writes" [ -n "$(write_err $MT/stats 1)" ]
check "stats has every key" sh -c "for k in ticks records_written records_dropped procs_last_tick tick_last_ns tick_max_ns cpu0_dropped; do grep -q \"^\$k: [0-9]*\$\" $MT/stats || exit 1; done"
rmmod memtrace
check "rmmod" [ ! -d $MT ]

for p in "subbuf_size=100" "subbuf_size=999999999" "n_subbufs=1" "n_subbufs=5000" \
	"interval_ms=0" "interval_ms=60001"; do
	if modprobe memtrace "$p" 2> /dev/null; then
		fail "modprobe memtrace $p refused"
		rmmod memtrace
	else
		ok "modprobe memtrace $p refused"
	fi
	check "nothing left in debugfs after refused $p" [ ! -e $MT ]
done
check "modprobe memtrace subbuf_size=4096 n_subbufs=2" modprobe memtrace subbuf_size=4096 n_subbufs=2
finish
