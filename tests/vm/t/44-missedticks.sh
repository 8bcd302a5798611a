#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: ticks the sampler missed are in the data and in the summary.
# One process with 512 MiB resident (memload; 128 MiB on the debug kernel)
# is sampled at 1 ms with its WSS measured over 100 ms windows, while 2
# CPU-bound threads compete with
# the sampler's worker (tests/stress/mt-cpuburn): a tick's WSS scan (up to
# wss_budget_pages entries) outlasts the interval, and timer expiries find
# the previous tick still queued.  One record per tick: no buffer loss to
# confuse the count.  Every sample carries ticks_missed (a count since the
# module loaded; the CSV column of that name), the memstat_tick event has
# the field, and the reader's summary reports the session's missed ticks
# with the advice to sample less often -- not as records lost to full
# buffers, and never "0 lost" alone.
# Ground truth: the clock.  Over the session's span, every timer expiry
# (one per interval_ms) either ran a tick or was missed, so ticks seen plus
# ticks missed must match span / interval_ms (within 5% and 3 ticks); the
# session's count must agree with stats' ticks_missed, which also counts
# the misses after the last tick that produced a record.
. /extra/vm/lib.sh

BURN=$(stress_bin mt-cpuburn) || { fail "helper mt-cpuburn missing (build/stress)"; finish; }
modprobe memtrace || { fail "modprobe memtrace"; finish; }
# 128 MiB on the debug kernel, whose scan (KASAN, lockdep) is 100 times slower
mb=512
[ -e /sys/kernel/debug/kmemleak ] && mb=128
start_memload /tmp/ml.out -a $mb || { fail "memload -a $mb"; finish; }
"$BURN" 2 12 > /tmp/burn.out &
burn=$!
i=0
while ! grep -q ready /tmp/burn.out && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done

m0=$(stat_val ticks_missed)
memtrace-reader -p "$MEMLOAD_PID" -I 1 -W 100 -d 5 -o /tmp/m.csv 2> /tmp/m.err
rc=$?
m1=$(stat_val ticks_missed)
sed 's/^/#   /' /tmp/m.err | head -n 8
check_eq "reader exit status" "$rc" 0
col=$(csv_col /tmp/m.csv ticks_missed)
check "the CSV has a ticks_missed column" [ -n "$col" ]
[ -n "$col" ] || col=999
awk -F, -v mc="$col" -v tc="$(csv_col /tmp/m.csv tick)" -v sc="$(csv_col /tmp/m.csv ts_ns)" '
	NR == 1 { next }
	{
		if (!($tc in seen)) { seen[$tc] = 1; ticks++ }
		if ($mc == "") empty++
		else {
			if (!n++ || $mc < lo) lo = $mc
			if ($mc > hi) hi = $mc
		}
		if (!t0 || $sc < t0) t0 = $sc
		if ($sc > t1) t1 = $sc
	}
	END { printf "%d %d %d %d %.0f\n", ticks, lo, hi, empty, (t1 - t0) / 1e6 }' \
	/tmp/m.csv > /tmp/m.sum
read ticks lo hi empty span_ms < /tmp/m.sum
missed=$((hi - lo))
diag "ticks seen $ticks, ticks_missed $lo..$hi ($missed in the session), span $span_ms ms, stats ticks_missed $m0 -> $m1"
check_eq "no record without ticks_missed" "$empty" 0
check "the sampler missed ticks at 1 ms (else this scenario tests nothing: $missed)" [ "$missed" -gt 0 ]
due=$((span_ms + 1))
check_within "ticks seen + missed = span / interval" $((ticks + missed)) "$due" $((due / 20 + 3))
check "stats' ticks_missed covers the session's ($((m1 - m0)) >= $missed)" [ $((m1 - m0)) -ge "$missed" ]
check "the summary reports $missed ticks missed" grep -q "^memtrace-reader: $missed ticks missed (" /tmp/m.err
check "the summary advises a longer interval" grep -q 'sample less often (-I MS)' /tmp/m.err
check "missed ticks are not reported as lost records" sh -c "! grep -q 'records lost' /tmp/m.err"
check "memstat_tick has a ticks_missed field" \
	grep -q 'field:u64 ticks_missed;' /sys/kernel/tracing/events/memstat/memstat_tick/format

kill $burn "$MEMLOAD_PID" 2> /dev/null
wait 2> /dev/null
rmmod memtrace
finish
