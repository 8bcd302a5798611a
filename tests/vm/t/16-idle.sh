#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: idle ages (memtrace-reader --idle-ages) on a workload whose
# history is known: memload writes 112 MiB once, then keeps writing the
# first 16 MiB (the hot set); 96 MiB stay untouched.  With 1 s WSS windows:
#  - from 15 s on (and before the cold part goes), idle_10s_kb is 96 MiB
#    +-10%, and at most 1 MiB of the hot set is counted (idle_10s_kb <=
#    rss_kb - 16 MiB + 1 MiB); idle_60s_kb is 0 (nothing is that old yet);
#  - at 20 s memload munmaps the cold 96 MiB: two windows later idle_10s_kb
#    has dropped by that (under 2 MiB left), and it is never above rss_kb;
#  - the age tables are bounded (stats idle_tables: one per page table,
#    idle_bytes 512 each), freed with the cold part's page tables, and all
#    freed when the session ends;
#  - idle_ages_s refuses malformed thresholds and changes nothing; the
#    reader refuses thresholds its windows cannot reach;
#  - with PSS and ages on together and wss_budget_pages 4096, both complete
#    and no tick visits more than the budget (stats wss_tick_max_pages).
. /extra/vm/lib.sh

modprobe memtrace || { fail "modprobe memtrace"; finish; }

# --- the control file ----------------------------------------------------------
for bad in "5,3" "1,2,3,4,5" "65536" "+5" "10,,60" "x" "0,10"; do
	check "idle_ages_s refuses '$bad'" sh -c "! printf '%s' '$bad' > $MT/idle_ages_s 2> /dev/null"
done
check_eq "idle_ages_s unchanged (0)" "$(cat $MT/idle_ages_s)" 0
echo "10,60,600,3600" > $MT/idle_ages_s
check_eq "idle_ages_s takes 4 thresholds" "$(cat $MT/idle_ages_s)" "10,60,600,3600"
check_eq "the module parameter shows the same" \
	"$(cat /sys/module/memtrace/parameters/idle_ages_s)" "10,60,600,3600"
echo 0 > $MT/idle_ages_s
check_eq "idle_ages_s 0: off" "$(cat $MT/idle_ages_s)" 0
memtrace-reader -p 1 --idle-ages 10,600 -W 1000 -d 1 -o /dev/null 2> /tmp/r.err
check_eq "the reader refuses 600 s in 1 s windows (exit 2)" "$?" 2
diag "$(head -n 1 /tmp/r.err)"

# --- the workload ----------------------------------------------------------------
start_memload /tmp/m.out -a 112 -w 16 -C 20000 || { fail "memload"; finish; }
p=$MEMLOAD_PID
memtrace-reader -p $p --idle-ages 10,60 -W 1000 -d 26 -o /tmp/i.csv 2> /tmp/reader.err &
R=$!
sleep 16
cp $MT/stats /tmp/s.mid
# 25 s: the cold part has been gone for at least two windows, and the
# session still runs (at its end the sampler stops and frees every table)
sleep 9
cp $MT/stats /tmp/s.late
wait $R
check_eq "reader exits 0" "$?" 0
sed 's/^/# reader: /' /tmp/reader.err | head -3
cp $MT/stats /tmp/s.end
check_eq "the session put idle_ages_s back" "$(cat $MT/idle_ages_s)" 0

c_ts=$(csv_col /tmp/i.csv ts_ns)
c_pid=$(csv_col /tmp/i.csv pid)
c_rss=$(csv_col /tmp/i.csv rss_kb)
c_i10=$(csv_col /tmp/i.csv idle_10s_kb)
c_i60=$(csv_col /tmp/i.csv idle_60s_kb)
check "the CSV has idle_10s_kb and idle_60s_kb" sh -c "[ -n '$c_i10' ] && [ -n '$c_i60' ]"
# rows with idle figures: "seconds-since-first-row rss idle10 idle60"
awk -F, -v t="$c_ts" -v p="$c_pid" -v pid=$p -v r="$c_rss" -v a="$c_i10" -v b="$c_i60" \
	'NR > 1 && $p == pid { if (!t0) t0 = $t } NR > 1 && $p == pid && $a != "" {
		printf "%.1f %s %s %s\n", ($t - t0) / 1e9, $r, $a, $b }' /tmp/i.csv > /tmp/ages
diag "ages (s rss idle10 idle60): $(awk '{ printf "%s/%s/%s/%s ", $1, $2, $3, $4 }' /tmp/ages)"
n=$(awk '$1 >= 15 && $1 < 19.5' /tmp/ages | wc -l)
check "windows between 15 s and 19.5 s ($n)" [ "$n" -ge 2 ]
bad=$(awk '$1 >= 15 && $1 < 19.5 && ($3 < 98304 * 0.9 || $3 > 98304 * 1.1) { n++ } END { print n + 0 }' /tmp/ages)
check_eq "idle_10s_kb is 96 MiB +-10% from 15 s on" "$bad" 0
bad=$(awk '$1 >= 15 && $1 < 19.5 && $3 > $2 - 16384 + 1024 { n++ } END { print n + 0 }' /tmp/ages)
check_eq "at most 1 MiB of the hot set counted as idle" "$bad" 0
bad=$(awk '$4 != 0 { n++ } END { print n + 0 }' /tmp/ages)
check_eq "idle_60s_kb is 0 in every window (nothing that old)" "$bad" 0
bad=$(awk '$3 > $2 { n++ } END { print n + 0 }' /tmp/ages)
check_eq "idle_10s_kb never above rss_kb" "$bad" 0
n=$(awk '$1 >= 23' /tmp/ages | wc -l)
bad=$(awk '$1 >= 23 && $3 >= 2048 { n++ } END { print n + 0 }' /tmp/ages)
check "after the cold part's munmap: $n windows, idle_10s_kb under 2 MiB" \
	sh -c "[ $n -ge 1 ] && [ $bad = 0 ]"
t_mid=$(awk '$1 == "idle_tables:" { print $2 }' /tmp/s.mid)
b_mid=$(awk '$1 == "idle_bytes:" { print $2 }' /tmp/s.mid)
t_late=$(awk '$1 == "idle_tables:" { print $2 }' /tmp/s.late)
t_end=$(awk '$1 == "idle_tables:" { print $2 }' /tmp/s.end)
diag "idle_tables: $t_mid at 16 s ($b_mid bytes), $t_late at 25 s, $t_end after the session"
check "one age table per page table: 56 to 80 for 112 MiB ($t_mid)" \
	sh -c "[ ${t_mid:-0} -ge 56 ] && [ ${t_mid:-0} -le 80 ]"
check_eq "idle_bytes = 512 per table" "$b_mid" "$((t_mid * 512))"
check "the cold part's tables freed ($t_late <= 24)" [ "${t_late:-999}" -le 24 ]
check_eq "every table freed when the session ended" "$t_end" 0
check_eq "no age table allocation failed" "$(awk '$1 == "idle_alloc_failed:" { print $2 }' /tmp/s.end)" 0
kill $p
wait $p 2> /dev/null

# --- PSS and ages on together: one walk, within one budget -----------------
rmmod memtrace
modprobe memtrace wss_budget_pages=4096 || { fail "modprobe wss_budget_pages=4096"; finish; }
start_memload /tmp/b.out -a 64 -w 8 || fail "memload budget"
memtrace-reader -p $MEMLOAD_PID --pss 1000 --idle-ages 5 -W 1000 -d 8 -o /tmp/b.csv 2> /dev/null
check_eq "reader --pss 1000 --idle-ages 5 under budget 4096 exits 0" "$?" 0
c_pss=$(csv_col /tmp/b.csv pss_kb)
c_i5=$(csv_col /tmp/b.csv idle_5s_kb)
np=$(awk -F, -v c="${c_pss:-1}" 'NR > 1 && $c != "" { n++ } END { print n + 0 }' /tmp/b.csv)
ni=$(awk -F, -v c="${c_i5:-1}" 'NR > 1 && $c != "" { n++ } END { print n + 0 }' /tmp/b.csv)
check "PSS sums and ages completed under the budget ($np and $ni rows)" \
	sh -c "[ -n '$c_pss' ] && [ -n '$c_i5' ] && [ $np -ge 2 ] && [ $ni -ge 2 ]"
check "no tick scanned more than wss_budget_pages ($(stat_val wss_tick_max_pages) <= 4096)" \
	[ "$(stat_val wss_tick_max_pages)" -le 4096 ]
rmmod memtrace
check "rmmod" [ ! -d /sys/module/memtrace ]
finish
