#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: a full buffer drops records, counts them and never overwrites or
# blocks.  With small buffers and the reader stopped (SIGSTOP) for 2 s, the
# module must drop records; the reader's count of sequence gaps must equal
# the drops in stats exactly, and rows + drops must equal what was attempted.
. /extra/vm/lib.sh

stat_val() { awk -v k="$1:" '$1 == k { print $2 }' $MT/stats; }

modprobe memtrace subbuf_size=16384 n_subbufs=4 || { fail "modprobe"; finish; }
start_memload /tmp/m.out -a 4 -l 2 || { fail "memload"; finish; }
w0=$(stat_val records_written)
d0=$(stat_val records_dropped)

memtrace-reader -I 10 -o /tmp/l.csv 2> /tmp/reader.err &
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
rows=$(($(wc -l < /tmp/l.csv) - 1))
gaps=$(sed -n 's/.* \([0-9]*\) lost (seq gaps).*/\1/p' /tmp/reader.err)
check "records dropped while the reader was stopped ($dd)" [ "$dd" -gt 0 ]
check_eq "CSV rows = records written" "$rows" "$dw"
check_eq "seq gaps counted by the reader = drops in stats" "$gaps" "$dd"
# per CPU, in the CSV: seq gaps add up to the drops too
csvgaps=$(awk -F, 'NR > 1 { if ($2 in last) g += $3 - last[$2] - 1; last[$2] = $3 }
	END { print g + 0 }' /tmp/l.csv)
check_eq "seq gaps in the CSV = drops in stats" "$csvgaps" "$dd"
check "reader advised bigger buffers" grep -q subbuf_size /tmp/reader.err
# never overwrites: a record that was committed is read back once, in order:
# records of one CPU never go back in seq
back=$(awk -F, 'NR > 1 { if (($2 in last) && $3 <= last[$2]) b++; last[$2] = $3 }
	END { print b + 0 }' /tmp/l.csv)
check_eq "per-CPU seq strictly increasing" "$back" 0
rmmod memtrace

# Readers and the writer never overlap: with 2 x 4 KiB buffers, 1 ms ticks
# and ~300 processes, buffers fill and switch constantly while the reader
# reads; it must never see a stale, duplicated or torn record.
modprobe memtrace subbuf_size=4096 n_subbufs=2 || { fail "modprobe tiny"; finish; }
i=0
while [ $i -lt 300 ]; do sleep 1000 & T_PIDS="$T_PIDS $!"; i=$((i + 1)); done
d0=$(stat_val records_dropped)
memtrace-reader -I 1 -d 3 -o /tmp/s.csv 2> /tmp/s.err
check_eq "stress reader exits 0" "$?" 0
sed 's/^/# /' /tmp/s.err | head -5
dd=$(($(stat_val records_dropped) - d0))
dups=$(awk -F, 'NR > 1 { k = $2 "," $3; if (k in seen) d++; seen[k] = 1 } END { print d + 0 }' /tmp/s.csv)
check_eq "stress: no duplicated (cpu, seq)" "$dups" 0
check_eq "stress: no corrupt record reported" "$(grep -ci 'bad\|resync' /tmp/s.err)" 0
csvgaps=$(awk -F, 'NR > 1 { if ($2 in last) g += $3 - last[$2] - 1; last[$2] = $3 }
	END { print g + 0 }' /tmp/s.csv)
check "stress: buffers overflowed ($dd drops)" [ "$dd" -gt 0 ]
gaps=$(sed -n 's/.* \([0-9]*\) lost (seq gaps).*/\1/p' /tmp/s.err)
check "stress: seq gaps in the CSV ($csvgaps) <= drops ($dd)" [ "$csvgaps" -le "$dd" ]
finish
