#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm: tcg-thread=single  (toggles trace events: see tcg_single in tests/run)
# Scenario: the memstat trace events.  Enabling them starts the sampler by
# itself (relay stays idle), disabling stops it; trace-cmd records
# memstat_sample events whose figures match /proc like the relay path's, and
# match the relay records of the same ticks when both run; memstat_tick
# counts agree with stats; pid filters work; rmmod with events enabled is
# clean.
. /extra/vm/lib.sh

EV=/sys/kernel/tracing/events/memstat
# ev_field FILE PID TICK NAME: NAME=value of pid PID's sample at TICK
# (TICK "last": the last one) in trace-cmd report output
ev_field() {
	awk -v pid="$2" -v tick="$3" -v name="$4" '
	/memstat_sample:/ {
		delete f
		for (i = 1; i <= NF; i++)
			if (split($i, kv, "=") == 2)
				f[kv[1]] = kv[2]
		if (f["pid"] == pid && (tick == "last" || f["tick"] == tick))
			v = f[name]
	}
	END { print v }' "$1"
}

# wait_ticks N: wait (up to 20 s) until stats show N more ticks
wait_ticks() {
	w=$(($(stat_val ticks) + $1))
	i=0
	while [ "$(stat_val ticks)" -lt $w ] && [ $i -lt 200 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(stat_val ticks)" -ge $w ]
}
# tc_start FILE ARGS...: trace-cmd record into FILE in the background until
# tc_stop; returns once recording has begun (its events are enabled)
tc_start() {
	out=$1
	shift
	trace-cmd record -q "$@" -o "$out" > /tmp/tc.out 2>&1 &
	TC=$!
	i=0
	while [ "$(cat $EV/memstat_sample/enable)" != 1 ] && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	sleep 0.2
}
tc_stop() {
	kill -INT $TC
	wait $TC
}

modprobe memtrace || { fail "modprobe memtrace"; finish; }
check "memstat events exist" [ -d $EV/memstat_sample -a -d $EV/memstat_tick ]
check "format names the CSV fields" grep -q 'field:u64 rss_shmem_kb' $EV/memstat_sample/format
start_memload /tmp/m.out -a 16 -s 4 -t 2 -l 1 || { fail "memload"; finish; }
pid=$MEMLOAD_PID

# --- the events start and stop the sampler by themselves ----------------
t0=$(stat_val ticks)
w0=$(stat_val records_written)
echo 1 > $EV/enable
wait_ticks 5
t1=$(stat_val ticks)
check_eq "enable file still 0" "$(cat $MT/enable)" 0
check "ticks run while an event is enabled ($t0 -> $t1)" [ "$t1" -ge $((t0 + 5)) ]
check_eq "relay path idle: nothing written" "$(stat_val records_written)" "$w0"
echo 0 > $EV/enable
t2=$(stat_val ticks)
sleep 1
check_eq "disabling the events stops the sampler" "$(stat_val ticks)" "$t2"
echo > /sys/kernel/tracing/trace

# enable=1 keeps it running when the events go away
echo 1 > $MT/enable
echo 1 > $EV/memstat_tick/enable
echo 0 > $EV/memstat_tick/enable
check "enable=1 keeps sampling after the events are disabled" wait_ticks 2
echo 0 > $MT/enable

# --- trace-cmd alone, against /proc -------------------------------------
tc_start /tmp/t.dat -e memstat
wait_ticks 15
tc_stop
check_eq "trace-cmd record exits 0" "$?" 0
t1=$(stat_val ticks)
trace-cmd report -i /tmp/t.dat > /tmp/t.txt 2> /tmp/rep.err
check_eq "trace-cmd report exits 0" "$?" 0
n=$(grep -c "memstat_sample:.* pid=$pid " /tmp/t.txt)
check "memstat_sample events of the workload ($n)" [ "$n" -ge 10 ]
diag "$(grep -m 1 "memstat_sample:.* pid=$pid " /tmp/t.txt)"
for kv in rss_anon_kb:RssAnon rss_file_kb:RssFile rss_shmem_kb:RssShmem \
	rss_kb:VmRSS vsz_kb:VmSize hwm_kb:VmHWM swap_kb:VmSwap; do
	f=${kv%%:*}
	k=${kv#*:}
	check_within "trace $f = $k" "$(ev_field /tmp/t.txt $pid last $f)" \
		"$(status_kb $pid $k)" 256
done
check_eq "trace minflt = stat field 10" "$(ev_field /tmp/t.txt $pid last minflt)" "$(stat_field $pid 10)"
check_eq "trace majflt = stat field 12" "$(ev_field /tmp/t.txt $pid last majflt)" "$(stat_field $pid 12)"
check_eq "trace comm" "$(ev_field /tmp/t.txt $pid last comm)" memload
check_eq "trace wss_kb -1 (not measured)" "$(ev_field /tmp/t.txt $pid last wss_kb)" -1
sed -n 's/.*memstat_tick:.* tick=\([0-9]*\) .*/\1/p' /tmp/t.txt > /tmp/ticks
nt=$(wc -l < /tmp/ticks)
first=$(head -n 1 /tmp/ticks)
last=$(tail -n 1 /tmp/ticks)
check "memstat_tick events recorded ($nt)" [ "$nt" -ge 10 ]
check_eq "memstat_tick numbers consecutive, none missing" "$nt" $((last - first + 1))
check "last memstat_tick <= stats ticks ($last <= $t1)" [ "$last" -le "$t1" ]
ns=$(grep -c 'memstat_sample:' /tmp/t.txt)
np=$(sed -n 's/.*memstat_tick:.* procs=\([0-9]*\).*/\1/p' /tmp/t.txt | awk '{ s += $1 } END { print s + 0 }')
check_eq "sum of memstat_tick procs = memstat_sample events" "$np" "$ns"

# --- a pid filter --------------------------------------------------------
tc_start /tmp/f.dat -e memstat_sample -f "pid==$pid"
wait_ticks 5
tc_stop
trace-cmd report -i /tmp/f.dat 2> /dev/null > /tmp/f.txt
others=$(grep 'memstat_sample:' /tmp/f.txt | grep -vc " pid=$pid ")
check "filtered recording has samples" grep -q "memstat_sample:.* pid=$pid " /tmp/f.txt
check_eq "filter pid==$pid keeps only that pid" "$others" 0

# --- relay and trace events together: same samples for the same ticks ---
tc_start /tmp/b.dat -e memstat
memtrace-reader -p "$pid" -I 100 -d 1 -o /tmp/b.csv 2> /tmp/reader.err
check_eq "reader exits 0 while tracing" "$?" 0
tc_stop
trace-cmd report -i /tmp/b.dat 2> /dev/null > /tmp/b.txt
cols="vsz_kb rss_kb rss_anon_kb rss_file_kb rss_shmem_kb swap_kb hwm_kb minflt majflt utime_ns stime_ns"
rows=0
mism=0
for tick in $(awk -F, 'NR > 1 { print $4 }' /tmp/b.csv); do
	rows=$((rows + 1))
	for c in $cols; do
		a=$(awk -F, -v t="$tick" -v c="$(csv_col /tmp/b.csv $c)" 'NR > 1 && $4 == t { print $c }' /tmp/b.csv)
		b=$(ev_field /tmp/b.txt $pid "$tick" $c)
		[ "$a" = "$b" ] || { mism=$((mism + 1)); diag "tick $tick $c: csv $a trace $b"; }
	done
done
check "relay records compared ($rows)" [ "$rows" -ge 5 ]
check_eq "relay and trace event figures identical for the same ticks" "$mism" 0

# --- unload with the events enabled -------------------------------------
echo 1 > $EV/enable
sleep 0.3
rmmod memtrace
check "rmmod with memstat events enabled" [ ! -d /sys/module/memtrace ]
check "events gone with the module" [ ! -d $EV ]
finish
