#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: load and unload 20 times with a reader running in between, in
# every unload situation: sampler stopped, sampler running with a reader
# attached, relay files held open, enable never set.  The runner fails the
# test if the kernel log shows a warning, oops or lockdep report.
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
	rmmod memtrace || fail "cycle $i: rmmod"
	if [ $((i % 4)) = 1 ]; then
		wait $r
		diag "cycle $i: reader exit status $? after rmmod"
	fi
	exec 3<&- 4<&-
	[ -e $MT ] && fail "cycle $i: $MT left behind"
	i=$((i + 1))
done
check_eq "20 load/unload cycles" "$i" 21
check "module gone" [ ! -e /sys/module/memtrace ]
finish
