#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm: tcg-thread=single  (attaches to trace events: see tcg_single in tests/run)
# Scenario: perf never gets a memstat event without CAP_PERFMON, not even
# while the module loads.  The tracing core adds a module's events when the
# module is coming, before its init runs; memtrace restricts perf to
# CAP_PERFMON with the events' perf_perm.  With kernel.perf_event_paranoid
# at -1 (perf open to everyone), tests/stress/mt-perfrace -- uid 0 without
# CAP_PERFMON and CAP_SYS_ADMIN -- opens a counting perf event on
# memstat_tick again and again while the module is loaded and unloaded
# over and over (30 times; memtrace_test.perf_cycles=N).  Ground truth:
# perf_event_open(2)'s answer.  Checks: with the module loaded, every open
# is refused (EPERM: the restriction works); across the load cycles, opens
# reached the event while it existed, and none succeeded.
. /extra/vm/lib.sh

RACE=$(stress_bin mt-perfrace) || { fail "helper mt-perfrace missing (build/stress)"; finish; }
ID=/sys/kernel/tracing/events/memstat/memstat_tick/id
# 30 load cycles (on a71dfef every one of 150 let perf in); 15 on the
# debug kernel, where a cycle costs seconds under KASAN and kmemleak
cycles=30
[ -e /sys/kernel/debug/kmemleak ] && cycles=15
cycles=$(test_param perf_cycles $cycles)
echo -1 > /proc/sys/kernel/perf_event_paranoid

modprobe memtrace || { fail "modprobe memtrace"; finish; }
"$RACE" 1 $ID > /tmp/ctl.out
diag "loaded: $(cat /tmp/ctl.out)"
check "loaded: the event exists for the racer" grep -q ' noevent=0 ' /tmp/ctl.out
check "loaded: no open without CAP_PERFMON succeeds" grep -q ' attached=0 ' /tmp/ctl.out
check "loaded: the opens were refused (EPERM)" sh -c "! grep -q ' refused=0 ' /tmp/ctl.out"
rmmod memtrace

"$RACE" 3600 $ID > /tmp/race.out &
r=$!
i=0
fails=0
while [ $i -lt "$cycles" ]; do
	modprobe memtrace || fails=$((fails + 1))
	# an event the racer holds for an instant makes rmmod fail: retry
	j=0
	while ! rmmod memtrace 2> /dev/null && [ $j -lt 100 ]; do
		sleep 0.01
		j=$((j + 1))
	done
	i=$((i + 1))
done
kill -INT $r
wait $r
diag "$cycles load cycles: $(cat /tmp/race.out)"
check_eq "every load succeeded" "$fails" 0
check "the module is gone" sh -c "[ ! -e /sys/module/memtrace ]"
att=$(sed -n 's/.* attached=\([0-9]*\).*/\1/p' /tmp/race.out)
reached=$(awk '{ for (i = 1; i <= NF; i++) { split($i, kv, "="); f[kv[1]] = kv[2] } }
	END { print f["refused"] + f["attached"] + f["other"] }' /tmp/race.out)
check "the racer reached the event while it existed ($reached opens)" [ "${reached:-0}" -gt 0 ]
check_eq "no open without CAP_PERFMON succeeded during the load cycles" "$att" 0
echo 2 > /proc/sys/kernel/perf_event_paranoid
finish
