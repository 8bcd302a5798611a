#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Guest side of tests/demo: set up zram swap and a ramfs, load memtrace,
# start recording every process (and the machine: --system), start memload,
# and print the CSV, a per-process summary and what the machine did, between
# markers that tests/demo cuts apart.
secs=${1:-4}
set -e
modprobe zram num_devices=1
echo 256M > /sys/block/zram0/disksize
mkswap /dev/zram0 > /dev/null
swapon /dev/zram0
mkdir -p /mnt/file
mount -t ramfs ramfs /mnt/file
modprobe memtrace
set +e

echo "memtrace demo: recording every process for $secs s at 250 ms ticks"
memtrace-reader -I 250 -d "$secs" -o /tmp/demo.csv --system /tmp/system.csv \
	2> /tmp/reader.err &
reader=$!
sleep 0.5
# 96 MiB anonymous written over 1.5 s, 16 MiB shared, 16 MiB of a file;
# then 32 MiB paged out to zram and 8 MiB of it read back; 4 threads that
# fault 2 MiB each and exit, 2 that stay
/extra/memload -a 96 -r 1500 -s 16 -f 16 -F /mnt/file/data -o 32 -i 8 \
	-t 4 -T 2 -l 2 > /tmp/memload.out &
load=$!
wait $reader
status=$?
kill $load
wait $load 2>/dev/null
echo "workload: $(cat /tmp/memload.out)"
cat /tmp/reader.err
echo "--- csv"
cat /tmp/demo.csv
echo "--- end"
echo "--- summary"
awk -F, '
NR == 1 { next }
{
	pid = $5
	if (!(pid in n)) { order[++np] = pid; comm[pid] = $6; rmin[pid] = $8
		min0[pid] = $14; maj0[pid] = $15; cpu0[pid] = $16 + $17 }
	n[pid]++
	if ($8 < rmin[pid]) rmin[pid] = $8
	if ($8 > rmax[pid]) rmax[pid] = $8
	if ($12 > smax[pid]) smax[pid] = $12
	hwm[pid] = $13; min1[pid] = $14; maj1[pid] = $15; cpu1[pid] = $16 + $17
}
END {
	printf "%-7s %-16s %7s %12s %12s %12s %11s %9s %9s %8s\n", "pid", "comm",
		"samples", "rss_min_kb", "rss_max_kb", "hwm_kb", "swap_max_kb",
		"minflt", "majflt", "cpu_ms"
	for (i = 1; i <= np; i++) {
		p = order[i]
		printf "%-7s %-16s %7d %12d %12d %12d %11d %9d %9d %8.1f\n", p,
			comm[p], n[p], rmin[p], rmax[p], hwm[p], smax[p],
			min1[p] - min0[p], maj1[p] - maj0[p], (cpu1[p] - cpu0[p]) / 1e6
	}
	print "(minflt, majflt and cpu_ms: growth over the recording)"
}' /tmp/demo.csv
echo "--- the machine over the same ticks (--system, one row a tick)"
awk -F, '
NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
{
	for (k in c) { if (NR == 2) f[k] = $c[k]; l[k] = $c[k] }
	a = $c["memavailable_kb"]
	if (NR == 2 || a < amin) amin = a
}
END {
	printf "MemAvailable %d kB at the start, %d at its lowest, %d at the end\n",
		f["memavailable_kb"], amin, l["memavailable_kb"]
	printf "pswpout +%d  pswpin +%d  pgmajfault +%d  workingset_refault_anon +%d\n",
		l["pswpout"] - f["pswpout"], l["pswpin"] - f["pswpin"],
		l["pgmajfault"] - f["pgmajfault"],
		l["workingset_refault_anon"] - f["workingset_refault_anon"]
	printf "cpu user +%.0f ms  system +%.0f ms  (all CPUs);  PSI memory some +%d us\n",
		(l["cpu_user_ns"] - f["cpu_user_ns"]) / 1e6,
		(l["cpu_system_ns"] - f["cpu_system_ns"]) / 1e6,
		l["psi_memory_some_us"] - f["psi_memory_some_us"]
}' /tmp/system.csv
exit $status
