#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: CPU hotplug during sessions (cpu1; cpu0 cannot go offline on
# x86).  Checks, besides a clean kernel log:
#  A. cpu1 taken offline and brought back while a reader runs (10 ms ticks):
#     the sampler keeps ticking; nothing is written for cpu1 while it is
#     offline; cpu0's records continue without a seq gap; every record of
#     both CPUs (cpu1's from before it left and after it returned) is in
#     the CSV -- rows per CPU = records written in stats.
#  B. cpu1 offline when the module loads: only cpu0 exists; bringing cpu1
#     online creates cpu1, records land there, and the running reader picks
#     the new file up (it rescans the directory): its records are in the CSV.
#  C. cpu1 toggled offline/online every ~0.3 s during a 1 ms-tick session,
#     then module loads and unloads racing the toggling: nothing lost, no
#     splat.
. /extra/vm/lib.sh

# rows CSV CPU [MINSEQ]: rows of CPU with seq >= MINSEQ in CSV and in its
# system CSV (CSV with .sys for .csv: system records take seqs too)
rows() { csv_seqs "$1" "${1%.csv}.sys" | awk -F, -v c="$2" -v m="${3:-0}" '$1 == c && $2 >= m' | wc -l; }
# gaps CSV CPU: seq gaps in CPU's records (both CSVs)
gaps() { csv_seqs "$1" "${1%.csv}.sys" | awk -F, -v c="$2" '$1 == c { if (n++ && $2 != l + 1) g++; l = $2 } END { print g + 0 }'; }

ON=/sys/devices/system/cpu/cpu1/online
[ -w $ON ] || { skip "CPU hotplug" "cpu1 cannot be taken offline (no $ON)"; finish; }
start_memload /tmp/m.out -a 8 -l 2 || { fail "memload"; finish; }

# --- A: offline and back during a session ----------------------------------
modprobe memtrace || { fail "modprobe memtrace"; finish; }
cp $MT/stats /tmp/a0
memtrace-reader -I 10 -o /tmp/a.csv --system /tmp/a.sys 2> /tmp/a.err &
R=$!
sleep 1.5
check "cpu1 offline" sh -c "echo 0 > $ON"
cp $MT/stats /tmp/aoff
t0=$(stat_val ticks)
sleep 2
t1=$(stat_val ticks)
check_eq "no record for cpu1 while it is offline" "$(awk '/^cpu1_seq:/ { print $2 }' $MT/stats)" \
	"$(awk '/^cpu1_seq:/ { print $2 }' /tmp/aoff)"
check "the sampler kept ticking with cpu1 offline ($t0 -> $t1)" [ "$t1" -ge $((t0 + 100)) ]
check "cpu1's file stays while it is offline" [ -e $MT/cpu1 ]
check "cpu1 online again" sh -c "echo 1 > $ON"
cp $MT/stats /tmp/aon
# keep cpu0 busy, so that the unbound tick work is placed on the idle cpu1
taskset 1 sh -c 'while :; do :; done' &
B=$!
sleep 2
kill $B
wait $B 2> /dev/null
kill -TERM $R
wait $R
check_eq "reader A exits 0" "$?" 0
cp $MT/stats /tmp/a1
sed 's/^/# reader A: /' /tmp/a.err | head -3
account "A (cpu1 offline and back)" /tmp/a.csv /tmp/a0 /tmp/a1 /tmp/a.sys
check_eq "A: cpu0's records continue without a seq gap" "$(gaps /tmp/a.csv 0)" 0
s_on=$(awk '/^cpu1_seq:/ { print $2 }' /tmp/aon)
after=$(($(awk '/^cpu1_seq:/ { print $2 }' /tmp/a1) - s_on))
if [ "$after" -gt 0 ]; then
	check_eq "A: the returned cpu1's $after new records are in the CSV" "$(rows /tmp/a.csv 1 "$s_on")" "$after"
else
	skip "A: records of the returned cpu1" "no tick ran on cpu1 after it returned"
fi
check "A: cpu1's records from before it left are in the CSV ($(rows /tmp/a.csv 1))" \
	[ "$(rows /tmp/a.csv 1)" -ge $((s_on - $(awk '/^cpu1_seq:/ { print $2 }' /tmp/a0))) ]
rmmod memtrace || fail "rmmod A"

# --- B: a CPU that was offline at load comes online --------------------------
echo 0 > $ON
modprobe memtrace || { fail "modprobe memtrace with cpu1 offline"; finish; }
check_eq "B: only cpu0's file with cpu1 offline at load" "$(cd $MT && ls -d cpu*)" cpu0
cp $MT/stats /tmp/b0
memtrace-reader -I 10 -o /tmp/b.csv --system /tmp/b.sys 2> /tmp/b.err &
R=$!
sleep 1
echo 1 > $ON
check "B: cpu1's file appears when cpu1 comes online" [ -e $MT/cpu1 ]
i=0
while [ "$(stat_val cpu1_written)" -lt 50 ] 2> /dev/null && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 1.5 # longer than the reader's rescan period
kill -TERM $R
wait $R
check_eq "reader B exits 0" "$?" 0
cp $MT/stats /tmp/b1
sed 's/^/# reader B: /' /tmp/b.err | head -3
w1=$(stat_val cpu1_written)
check "B: records written on the new cpu1 (${w1:-none})" [ "${w1:-0}" -gt 0 ]
check_eq "B: the reader read the new cpu1 file: its records are in the CSV" "$(rows /tmp/b.csv 1)" "${w1:-0}"
account "B (cpu1 came online during the session)" /tmp/b.csv /tmp/b0 /tmp/b1 /tmp/b.sys
rmmod memtrace || fail "rmmod B"

# --- C: toggling, then loads racing the toggling ------------------------------
modprobe memtrace subbuf_size=65536 n_subbufs=4 || { fail "modprobe C"; finish; }
cp $MT/stats /tmp/c0
memtrace-reader -I 1 -o /tmp/c.csv --system /tmp/c.sys 2> /tmp/c.err &
R=$!
n=0
while [ $n -lt 12 ]; do
	echo 0 > $ON || break
	sleep 0.15
	echo 1 > $ON || break
	sleep 0.15
	n=$((n + 1))
done
check_eq "C: cpu1 toggled 12 times during a 1 ms session" "$n" 12
kill -TERM $R
wait $R
check_eq "reader C exits 0" "$?" 0
cp $MT/stats /tmp/c1
sed 's/^/# reader C: /' /tmp/c.err | head -3
account "C (cpu1 toggling)" /tmp/c.csv /tmp/c0 /tmp/c1 /tmp/c.sys
rmmod memtrace || fail "rmmod C"

(
	i=0
	while [ $i -lt 30 ]; do
		echo 0 > $ON
		echo 1 > $ON
		i=$((i + 1))
	done
) &
H=$!
i=0
bad=0
while [ $i -lt 15 ]; do
	modprobe memtrace interval_ms=1 || { bad=$((bad + 1)); break; }
	echo 1 > $MT/enable
	[ -e $MT/cpu0 ] || bad=$((bad + 1))
	rmmod memtrace || bad=$((bad + 1))
	i=$((i + 1))
done
wait $H
echo 1 > $ON
check_eq "C: 15 load/enable/unload cycles racing CPU hotplug" "$i/$bad" "15/0"
check "C: nothing left behind" [ ! -e $MT ]
finish
