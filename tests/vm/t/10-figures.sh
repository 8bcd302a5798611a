#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: a quiescent multi-threaded workload with known anonymous, shared,
# file and swapped memory; memtrace's last record of it must agree with
# /proc/PID/status and /proc/PID/stat read right after (the workload sleeps,
# so nothing moves in between) and with the footprint memload reports.
. /extra/vm/lib.sh

setup_swap 256 || { fail "zram swap set-up"; finish; }
setup_ramfs /mnt/file || { fail "ramfs set-up"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }

# 64 MiB anon (24 paged out, 8 of those read back), 16 shmem, 16 file,
# 4 exited threads of 2 MiB each, 2 live threads
start_memload /tmp/ml.out -a 64 -s 16 -f 16 -F /mnt/file/data -o 24 -i 8 \
	-t 4 -T 2 -l 2 || { fail "memload ready"; finish; }
pid=$MEMLOAD_PID
diag "$(cat /tmp/ml.out)"

memtrace-reader -p "$pid" -I 100 -d 2 -o /tmp/f.csv 2> /tmp/reader.err
check_eq "reader exits 0" "$?" 0
diag "$(cat /tmp/reader.err)"
n=$(awk -F, -v pid="$pid" 'NR > 1 && $5 == pid' /tmp/f.csv | wc -l)
check "records of the workload ($n)" [ "$n" -ge 10 ]

# ground truth, read right after the last record
for k in VmSize VmHWM VmRSS RssAnon RssFile RssShmem VmSwap; do
	eval "p_$k=\$(status_kb $pid $k)"
done
p_minflt=$(stat_field "$pid" 10)
p_majflt=$(stat_field "$pid" 12)
p_utime=$(stat_field "$pid" 14)
p_stime=$(stat_field "$pid" 15)
diag "proc: VmSize=$p_VmSize VmHWM=$p_VmHWM VmRSS=$p_VmRSS RssAnon=$p_RssAnon" \
	"RssFile=$p_RssFile RssShmem=$p_RssShmem VmSwap=$p_VmSwap" \
	"minflt=$p_minflt majflt=$p_majflt utime=$p_utime stime=$p_stime"
diag "last record: $(tail -n 1 /tmp/f.csv)"

tol=256 # 64 pages of 4 KiB
check_within "rss_anon_kb = RssAnon" "$(csv_last /tmp/f.csv $pid rss_anon_kb)" "$p_RssAnon" $tol
check_within "rss_file_kb = RssFile" "$(csv_last /tmp/f.csv $pid rss_file_kb)" "$p_RssFile" $tol
check_within "rss_shmem_kb = RssShmem" "$(csv_last /tmp/f.csv $pid rss_shmem_kb)" "$p_RssShmem" $tol
check_within "rss_kb = VmRSS" "$(csv_last /tmp/f.csv $pid rss_kb)" "$p_VmRSS" $tol
check_within "vsz_kb = VmSize" "$(csv_last /tmp/f.csv $pid vsz_kb)" "$p_VmSize" $tol
check_within "hwm_kb = VmHWM" "$(csv_last /tmp/f.csv $pid hwm_kb)" "$p_VmHWM" $tol
swap=$(csv_last /tmp/f.csv $pid swap_kb)
check_eq "swap_kb = VmSwap" "$swap" "$p_VmSwap"
check "swap_kb > 0 after MADV_PAGEOUT ($swap)" [ "${swap:-0}" -gt 0 ]
check_eq "minflt = /proc/PID/stat field 10" "$(csv_last /tmp/f.csv $pid minflt)" "$p_minflt"
check_eq "majflt = /proc/PID/stat field 12" "$(csv_last /tmp/f.csv $pid majflt)" "$p_majflt"
check "majflt > 0 after swap-in ($p_majflt)" [ "${p_majflt:-0}" -gt 0 ]

# rss_kb is the sum of its parts, in every record
bad=$(awk -F, 'NR > 1 && $8 != $9 + $10 + $11' /tmp/f.csv | wc -l)
check_eq "rss_kb = anon + file + shmem in every record" "$bad" 0
# wss_kb is empty: not measured yet
wss=$(awk -F, 'NR > 1 && $18 != ""' /tmp/f.csv | wc -l)
check_eq "wss_kb empty (not measured)" "$wss" 0

# CPU time: /proc/PID/stat counts clock ticks of 10 ms; allow 3 ticks
ut=$(csv_last /tmp/f.csv $pid utime_ns)
st=$(csv_last /tmp/f.csv $pid stime_ns)
check_within "utime_ns = stat field 14 (10 ms units)" $((ut / 10000000)) "$p_utime" 3
check_within "stime_ns = stat field 15 (10 ms units)" $((st / 10000000)) "$p_stime" 3

# the known footprint, independent of both: 16 MiB shmem and file resident,
# all 64 MiB of anon either resident or in swap (+ heap, stacks, threads)
anon=$(csv_last /tmp/f.csv $pid rss_anon_kb)
check "rss_shmem_kb >= 16 MiB" [ "$(csv_last /tmp/f.csv $pid rss_shmem_kb)" -ge 16384 ]
check "rss_file_kb >= 16 MiB" [ "$(csv_last /tmp/f.csv $pid rss_file_kb)" -ge 16384 ]
check "rss_anon_kb + swap_kb >= 64 MiB" [ $((anon + swap)) -ge 65536 ]
check "minflt >= pages touched by 4 exited threads" \
	[ "$(csv_last /tmp/f.csv $pid minflt)" -ge 2048 ]
comm=$(csv_last /tmp/f.csv $pid comm)
check_eq "comm = /proc/PID/status Name" "$comm" "$(awk '/^Name:/ { print $2 }' /proc/$pid/status)"
finish
