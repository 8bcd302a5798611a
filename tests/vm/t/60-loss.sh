#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: a full buffer drops records, counts them and never overwrites or
# blocks.  With small buffers and the reader stopped (SIGSTOP) for 2 s, the
# module must drop records; the reader's count of sequence gaps must equal
# the drops in stats exactly, and rows + drops must equal what was attempted.
. /extra/vm/lib.sh

modprobe memtrace subbuf_size=16384 n_subbufs=4 || { fail "modprobe"; finish; }
start_memload /tmp/m.out -a 4 -l 2 || { fail "memload"; finish; }
w0=$(stat_val records_written)
d0=$(stat_val records_dropped)
grep '^cpu[0-9]*_seq:' $MT/stats > /tmp/seq0

memtrace-reader -I 10 -o /tmp/l.csv --system /tmp/l.sys -w /tmp/l.dat 2> /tmp/reader.err &
r=$!
sleep 1
kill -STOP $r
sleep 2
kill -CONT $r
sleep 2 # let it catch up, so that no drop happens after its last record
kill -TERM $r
wait $r
check_eq "reader exits 0" "$?" 0
cat /tmp/reader.err | sed 's/^/# /'

dw=$(($(stat_val records_written) - w0))
dd=$(($(stat_val records_dropped) - d0))
# every record takes a seq: the processes' rows and the system rows (one a
# tick); "cpu,seq" of both, for the per-CPU gaps below
rows=$(($(wc -l < /tmp/l.csv) + $(wc -l < /tmp/l.sys) - 2))
csv_seqs /tmp/l.csv /tmp/l.sys > /tmp/l.seqs
gaps=$(sed -n 's/.* \([0-9]*\) lost (seq gaps).*/\1/p' /tmp/reader.err)
check "records dropped while the reader was stopped ($dd)" [ "$dd" -gt 0 ]
check_eq "CSV rows (processes and system) = records written" "$rows" "$dw"
check_eq "seq gaps counted by the reader = drops in stats" "$gaps" "$dd"
# per CPU, in the CSV: seq gaps between rows, plus the seqs before the first
# row (from cpuN_seq at the start) and after the last (cpuN_seq at the end;
# the tick may never run on that CPU again, so no later row shows them)
grep '^cpu[0-9]*_seq:' $MT/stats > /tmp/seq1
csvgaps=$(awk -F'[,:]' 'FILENAME == "/tmp/seq0" { s0[$1] = $2 + 0; next }
	FILENAME == "/tmp/seq1" { s1[$1] = $2 + 0; next }
	{ c = "cpu" $1 "_seq"; if (c in last) g += $2 - last[c] - 1
		else g += $2 - s0[c]; last[c] = $2 }
	END { for (c in s1) g += s1[c] - (c in last ? last[c] + 1 : s0[c]); print g + 0 }' \
	/tmp/seq0 /tmp/seq1 /tmp/l.seqs)
check_eq "seq gaps in the CSVs, before their first and after their last row = drops in stats" "$csvgaps" "$dd"
check "reader advised bigger buffers" grep -q subbuf_size /tmp/reader.err
# never overwrites: a record that was committed is read back once, in order:
# records of one CPU never go back in seq
back=$(awk -F, 'NR > 1 { if (($2 in last) && $3 <= last[$2]) b++; last[$2] = $3 }
	END { print b + 0 }' /tmp/l.csv)
check_eq "per-CPU seq strictly increasing" "$back" 0
check "no loss record / seq gap disagreement" sh -c '! grep -q "says" /tmp/reader.err'
check "losses reported per CPU with timestamps" grep -q "^memtrace-reader: cpu[0-9]*:   [0-9]* lost (seq [0-9]*\.\.[0-9]*) between ts_ns " /tmp/reader.err
check "loss percentage reported" grep -q "records lost (.*%)" /tmp/reader.err
memtrace-reader -i /tmp/l.dat -o /tmp/l2.csv 2> /tmp/decode.err
check_eq "-i exits 0" "$?" 0
check "-i reproduces the CSV byte for byte" cmp /tmp/l.csv /tmp/l2.csv
# live-only lines: stale data discarded, notes about the kernel (no PSI)
grep -v -e discarded -e ': note: ' /tmp/reader.err > /tmp/reader.sum
check "-i reproduces the loss report" cmp /tmp/reader.sum /tmp/decode.err
rmmod memtrace

# Readers and the writer never overlap: with 2 x 4 KiB buffers, 1 ms ticks
# and ~300 processes, buffers fill and switch constantly while the reader
# reads; it must never see a stale, duplicated or torn record.
modprobe memtrace subbuf_size=4096 n_subbufs=2 || { fail "modprobe tiny"; finish; }
i=0
while [ $i -lt 300 ]; do sleep 1000 & T_PIDS="$T_PIDS $!"; i=$((i + 1)); done
d0=$(stat_val records_dropped)
memtrace-reader -I 1 -d 3 -o /tmp/s.csv --system /tmp/s.sys 2> /tmp/s.err
check_eq "stress reader exits 0" "$?" 0
sed 's/^/# /' /tmp/s.err | head -5
dd=$(($(stat_val records_dropped) - d0))
dups=$(awk -F, 'NR > 1 { k = $2 "," $3; if (k in seen) d++; seen[k] = 1 } END { print d + 0 }' /tmp/s.csv)
check_eq "stress: no duplicated (cpu, seq)" "$dups" 0
check_eq "stress: no corrupt record reported" "$(grep -ci 'bad\|resync' /tmp/s.err)" 0
# gaps over both CSVs' (cpu, seq): system records take seqs too
csvgaps=$(csv_seqs /tmp/s.csv /tmp/s.sys |
	awk -F, '{ if ($1 in last) g += $2 - last[$1] - 1; last[$1] = $2 } END { print g + 0 }')
check "stress: buffers overflowed ($dd drops)" [ "$dd" -gt 0 ]
gaps=$(sed -n 's/.* \([0-9]*\) lost (seq gaps).*/\1/p' /tmp/s.err)
check "stress: seq gaps in the CSV ($csvgaps) <= drops ($dd)" [ "$csvgaps" -le "$dd" ]
finish
