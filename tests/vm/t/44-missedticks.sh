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
# ticks missed must match span / interval_ms (within 5% and 3 ticks) --
# span / a jiffy on a kernel without high-resolution timers, whose
# resolution /proc/timer_list prints (MEMTRACE_VM_APPEND=highres=off), give
# or take the last tick's length (stats' tick_last_ns), through which the
# timer may have been stopped already; the
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
k0=$(stat_val ticks)
# the interval the session runs at, read from the module in mid-session
(sleep 2; cat $MT/interval_ms > /tmp/m.iv) &
memtrace-reader -p "$MEMLOAD_PID" -I 1 -W 100 -d 5 -o /tmp/m.csv 2> /tmp/m.err
rc=$?
m1=$(stat_val ticks_missed)
k1=$(stat_val ticks)
# the session's last tick: the sampler stops (and the expiries end) once it
# has begun, and its records are stamped at its end
last_ms=$(($(stat_val tick_last_ns) / 1000000))
wait $!
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
diag "ticks seen $ticks, ticks_missed $lo..$hi ($missed in the session), span $span_ms ms, stats ticks_missed $m0 -> $m1, ticks $k0 -> $k1"
# hrtimer_forward() rounds an interval below hrtimer_resolution up to it
# (kernel/time/hrtimer.c): a jiffy until a CPU has switched to
# high-resolution mode.  /proc/timer_list prints both, per CPU.
res_ns=$(awk '$1 == ".resolution:" { print $2; exit }' /proc/timer_list)
diag "interval_ms in mid-session $(cat /tmp/m.iv 2> /dev/null), timer resolution ${res_ns:-?} ns," \
	"hres_active $(awk '$1 == ".hres_active" { printf "%s ", $3 }' /proc/timer_list)," \
	"hrtimer interrupt hangs $(awk '$1 == ".nr_hangs" { printf "%s ", $3 }' /proc/timer_list)," \
	"clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
check_eq "the session ran at 1 ms" "$(cat /tmp/m.iv 2> /dev/null)" 1
check_eq "stats' timer_resolution_ns is the kernel's (/proc/timer_list)" \
	"$(stat_val timer_resolution_ns)" "${res_ns:-?}"
# the timer expires once per max(interval, resolution): below a jiffy,
# the reader says that ticks come less often than asked
step_us=1000
[ "${res_ns:-0}" -gt 1000000 ] && step_us=$((res_ns / 1000))
if [ $step_us -gt 1000 ]; then
	check "the reader warns that timers resolve to more than 1 ms" \
		grep -q '^memtrace-reader: warning: this kernel.s timers resolve to ' /tmp/m.err
else
	check "no timer resolution warning at ${res_ns:-?} ns" \
		sh -c "! grep -q 'timers resolve to' /tmp/m.err"
fi
check_eq "no record without ticks_missed" "$empty" 0
check "the sampler missed ticks at 1 ms (else this scenario tests nothing: $missed)" [ "$missed" -gt 0 ]
due=$((span_ms * 1000 / step_us + 1))
# the last tick's own length (a few ms, unless the guest is starved) is
# uncertain: expiries end when it starts, or as late as its end
slack=$((last_ms * 1000 / step_us))
diag "the last tick took $last_ms ms"
check_within "ticks seen + missed = span / max(interval, timer resolution)" \
	$((ticks + missed)) "$due" $((due / 20 + 3 + slack))
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
