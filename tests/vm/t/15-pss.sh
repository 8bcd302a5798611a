#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: PSS and USS (memtrace-reader --pss) against /proc/PID/smaps_rollup,
# on quiescent workloads whose sharing is known:
#  - copy-on-write: a parent writes 64 MiB of private anonymous memory and
#    forks 3 children that only read it (each page mapped 4 times: each
#    process's Pss_Anon about 16 MiB);
#  - shared: 16 MiB of shmem and a 16 MiB file on ramfs, mapped by a parent
#    and 2 children (each Pss_Shmem about 16/3 MiB);
#  - THP: 32 MiB backed by transparent huge pages (where the kernel has
#    them: not on PREEMPT_RT);
#  - partly swapped: 32 MiB of which 16 MiB paged out to zram.
# Every figure of each process's last completed sum must be within 1% or 64
# pages (256 KiB) of smaps_rollup read right after the session, whichever
# is larger; swap_pss_kb stays empty (no kernel line lets a module read a
# swap entry's count).  First, with wss_budget_pages at 2000, the sum still
# completes over several ticks and no tick scans more than the budget; then
# PSS rides on WSS passes (-W) in the main session.
. /extra/vm/lib.sh

# pss_last CSV PID COL: COL of PID's last row that carries a PSS sum
pss_last() {
	awk -F, -v pid="$2" -v c="$(csv_col "$1" pid)" -v p="$(csv_col "$1" pss_kb)" \
		-v f="$(csv_col "$1" "$3")" \
		'NR > 1 && $c == pid && $p != "" { v = $f } END { print v }' "$1"
}
# pss_rows CSV PID: how many of PID's rows carry a PSS sum
pss_rows() {
	awk -F, -v pid="$2" -v c="$(csv_col "$1" pid)" -v p="$(csv_col "$1" pss_kb)" \
		'NR > 1 && $c == pid && $p != "" { n++ } END { print n + 0 }' "$1"
}
# rollup PID KEY: KEY's kB in /proc/PID/smaps_rollup
rollup() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/smaps_rollup"; }
# tol KB: the larger of 1% of KB and 64 pages (256 KiB)
tol() { t=$(($1 / 100)); [ "$t" -lt 256 ] && t=256; echo "$t"; }

# compare NAME PID CSV: each figure of PID's last sum against smaps_rollup
compare() {
	for pair in pss_kb:Pss pss_anon_kb:Pss_Anon pss_file_kb:Pss_File \
		pss_shmem_kb:Pss_Shmem; do
		col=${pair%%:*}
		key=${pair#*:}
		want=$(rollup "$2" "$key")
		check_within "$1: $col = smaps_rollup $key" "$(pss_last "$3" "$2" "$col")" \
			"$want" "$(tol "$want")"
	done
	want=$(($(rollup "$2" Private_Clean) + $(rollup "$2" Private_Dirty)))
	check_within "$1: uss_kb = smaps_rollup Private_Clean + Private_Dirty" \
		"$(pss_last "$3" "$2" uss_kb)" "$want" "$(tol "$want")"
}

setup_swap 128 || { fail "zram swap set-up"; finish; }
setup_ramfs /mnt/file || { fail "ramfs set-up"; finish; }
modprobe memtrace wss_budget_pages=2000 || { fail "modprobe memtrace"; finish; }

start_memload /tmp/cow.out -a 64 -k 3 || { fail "memload cow"; finish; }
cow=$MEMLOAD_PID
cowkids=$(sed -n 's/.*children=//p' /tmp/cow.out | tr ',' ' ')
start_memload /tmp/sh.out -s 16 -f 16 -F /mnt/file/f -k 2 || { fail "memload shared"; finish; }
sh=$MEMLOAD_PID
shkids=$(sed -n 's/.*children=//p' /tmp/sh.out | tr ',' ' ')
start_memload /tmp/sw.out -a 32 -o 16 || { fail "memload swapped"; finish; }
sw=$MEMLOAD_PID
KH=/sys/kernel/mm/transparent_hugepage
thp=
if [ -e $KH/enabled ] && ! grep -q '\[never\]' $KH/enabled; then
	start_memload /tmp/thp.out -a 32 -P || { fail "memload thp"; finish; }
	thp=$MEMLOAD_PID
fi
diag "cow $cow ($cowkids), shared $sh ($shkids), swapped $sw, thp ${thp:--}"

# --- 1. a small budget: the sum stretches over ticks, within the budget ------
memtrace-reader -p $cow -I 20 --pss 100 -d 3 -o /tmp/b.csv 2> /tmp/reader.err
check_eq "reader exits 0 (budget 2000)" "$?" 0
sed 's/^/# reader: /' /tmp/reader.err | head -3
max=$(stat_val wss_tick_max_pages)
check "no tick scanned more than wss_budget_pages ($max <= 2000)" [ "$max" -le 2000 ]
check "sums completed under the small budget ($(pss_rows /tmp/b.csv $cow))" \
	[ "$(pss_rows /tmp/b.csv $cow)" -ge 2 ]
# 64 MiB are 16,384 PTEs: a sum takes at least 8 ticks of 20 ms
win=$(pss_last /tmp/b.csv $cow pss_window_ms)
check "a sum took several ticks (pss_window_ms $win >= 140)" [ "${win:-0}" -ge 140 ]
compare "cow parent, budget 2000" $cow /tmp/b.csv

# --- 2. every workload, PSS riding on WSS passes ---------------------------
echo 131072 > /sys/module/memtrace/parameters/wss_budget_pages
args=""
for p in $cow $cowkids $sh $shkids $sw $thp; do args="$args -p $p"; done
# shellcheck disable=SC2086
memtrace-reader $args -I 50 -W 300 --pss 300 -d 3 -o /tmp/p.csv 2> /tmp/reader.err
check_eq "reader exits 0" "$?" 0
sed 's/^/# reader: /' /tmp/reader.err | head -3

for p in $cow $cowkids; do
	compare "cow $p" "$p" /tmp/p.csv
	# ground truth of its own: 64 MiB shared 4 ways
	check_within "cow $p: pss_anon_kb about 64 MiB / 4" "$(pss_last /tmp/p.csv "$p" pss_anon_kb)" \
		16384 1024
done
for p in $sh $shkids; do
	compare "shared $p" "$p" /tmp/p.csv
	check_within "shared $p: pss_shmem_kb about 16 MiB / 3" \
		"$(pss_last /tmp/p.csv "$p" pss_shmem_kb)" 5461 512
done
compare "swapped $sw" $sw /tmp/p.csv
check "swapped: VmSwap > 8 MiB ($(status_kb $sw VmSwap))" [ "$(status_kb $sw VmSwap)" -gt 8192 ]
check_eq "swapped: swap_pss_kb is empty (unknown), never 0" "$(pss_last /tmp/p.csv $sw swap_pss_kb)" ""
if [ -n "$thp" ]; then
	ahp=$(rollup $thp AnonHugePages)
	check "thp: AnonHugePages >= 16 MiB ($ahp)" [ "$ahp" -ge 16384 ]
	compare "thp $thp" $thp /tmp/p.csv
else
	skip "PSS of a THP-backed region" "no transparent huge pages on this kernel"
fi
n=$(awk -F, -v w="$(csv_col /tmp/p.csv wss_kb)" -v p="$(csv_col /tmp/p.csv pss_kb)" \
	'NR > 1 && $w != "" && $p != "" { n++ } END { print n + 0 }' /tmp/p.csv)
check "one walk: rows with both a WSS window and a PSS sum ($n)" [ "$n" -gt 0 ]
check_eq "the session put pss_interval_ms back" "$(cat $MT/pss_interval_ms)" 0

# --- 3. the control file -----------------------------------------------------
check "pss_interval_ms refuses 5 (EINVAL)" sh -c "! echo 5 > $MT/pss_interval_ms"
check "pss_interval_ms refuses 600001" sh -c "! echo 600001 > $MT/pss_interval_ms"
check_eq "pss_interval_ms unchanged after bad writes" "$(cat $MT/pss_interval_ms)" 0
echo 250 > $MT/pss_interval_ms
check_eq "pss_interval_ms takes 250" "$(cat $MT/pss_interval_ms)" 250
check_eq "module parameter pss_interval_ms is the same" \
	"$(cat /sys/module/memtrace/parameters/pss_interval_ms)" 250
echo 0 > $MT/pss_interval_ms
rmmod memtrace
check "rmmod" [ ! -d /sys/module/memtrace ]
finish
