#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: load and unload 20 times with a reader running in between, in
# every unload situation: sampler stopped, sampler running with a reader
# attached, relay files held open, enable never set.  An open cpuN file
# pins the module (its read() is module code): rmmod is refused ("in use")
# until the reader has stopped or the files are closed, then succeeds.  The
# runner fails the test if the kernel log shows a warning, oops or lockdep
# report.
. /extra/vm/lib.sh

start_memload /tmp/m.out -a 8 -l 2 || { fail "memload"; finish; }
i=1
while [ $i -le 20 ]; do
	if ! modprobe memtrace interval_ms=$((i % 3 * 10 + 5)); then
		fail "cycle $i: modprobe"
		break
	fi
	case $((i % 4)) in
	0)	# a clean session, then unload
		memtrace-reader -d 1 -o /tmp/c.csv 2> /dev/null
		[ "$(wc -l < /tmp/c.csv)" -gt 1 ] || fail "cycle $i: no records"
		;;
	1)	# unload under a running reader and sampler
		memtrace-reader -o /tmp/c.csv 2> /dev/null &
		r=$!
		sleep 0.5
		;;
	2)	# unload while relay files are held open, enabled
		echo 1 > $MT/enable
		exec 3< $MT/cpu0 4< $MT/cpu1
		sleep 0.3
		;;
	3)	# enable never set
		;;
	esac
	case $((i % 4)) in
	1 | 2)
		if rmmod memtrace 2> /tmp/rm.err; then
			fail "cycle $i: rmmod succeeded with cpuN files open"
		elif ! grep -q 'in use\|temporarily unavailable' /tmp/rm.err; then
			fail "cycle $i: rmmod: $(cat /tmp/rm.err)"
		fi
		if [ $((i % 4)) = 1 ]; then
			kill -INT $r
			wait $r
			rc=$?
			[ $rc = 0 ] || fail "cycle $i: reader exit status $rc after SIGINT"
			[ "$(wc -l < /tmp/c.csv)" -gt 1 ] || fail "cycle $i: no records"
		fi
		exec 3<&- 4<&-
		;;
	esac
	rmmod memtrace || fail "cycle $i: rmmod"
	[ -e $MT ] && fail "cycle $i: $MT left behind"
	i=$((i + 1))
done
check_eq "20 load/unload cycles" "$i" 21
check "module gone" [ ! -e /sys/module/memtrace ]
finish
