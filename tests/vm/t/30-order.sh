#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: the stream over time.  Records come out in timestamp order, ticks
# advance at interval_ms (+-20%), and per-CPU sequence numbers have no gaps
# when stats report nothing dropped.
. /extra/vm/lib.sh

modprobe memtrace || { fail "modprobe memtrace"; finish; }
start_memload /tmp/m.out -a 4 -l 3 || { fail "memload"; finish; }

iv0=$(cat $MT/interval_ms)
for iv in 50 200; do
	memtrace-reader -I $iv -d 3 -o /tmp/o.csv --system /tmp/o.sys 2> /tmp/reader.err
	check_eq "reader -I $iv exits 0" "$?" 0
	n=$(($(wc -l < /tmp/o.csv) - 1))
	unordered=$(awk -F, 'NR > 2 && $1 < prev { n++ } NR > 1 { prev = $1 } END { print n + 0 }' /tmp/o.csv)
	check_eq "-I $iv: $n records in timestamp order" "$unordered" 0
	# -I is the session's: the module puts the interval back at its end
	check_eq "-I $iv: interval_ms back to $iv0 after the session" "$(cat $MT/interval_ms)" "$iv0"
	# mean spacing of tick starts (first record of each tick)
	mean=$(awk -F, 'NR > 1 && !($4 in s) { s[$4] = $1; if (!first) first = $4; last = $4 }
		END { print int((s[last] - s[first]) / (last - first) / 1000000) }' /tmp/o.csv)
	check_within "-I $iv: mean tick spacing in ms" "$mean" "$iv" $((iv / 5))
	ticks=$(awk -F, 'NR > 1 { print $4 }' /tmp/o.csv | sort -un | wc -l)
	check "-I $iv: $ticks ticks in 3 s" [ "$ticks" -ge $((3000 / iv * 8 / 10)) ]
	dropped=$(awk '/^records_dropped:/ { print $2 }' $MT/stats)
	# per CPU, seq must increase by exactly 1 from record to record (the
	# processes' records and the system records: both take seqs)
	gaps=$(csv_seqs /tmp/o.csv /tmp/o.sys |
		awk -F, '{ if (($1 in last) && $2 != last[$1] + 1) g++; last[$1] = $2 }
		END { print g + 0 }')
	if [ "$dropped" = 0 ]; then
		check_eq "-I $iv: no seq gaps with nothing dropped" "$gaps" 0
	else
		skip "-I $iv: seq gaps" "stats report $dropped dropped"
	fi
done
diag "$(cat $MT/stats | tr '\n' ' ')"
finish
