#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Scenario: OOM kills of sampled processes.  Three times, memload is
# started in a cgroup v2 with memory.max 48 MiB and no swap, registered in
# pids, and made to write 256 MiB, so the memory controller OOM-kills it
# while it is being sampled every 10 ms with WSS scanning on (the scanner
# and the OOM reaper then work on the same mm).  A control process outside
# the cgroup stays registered.  Checks:
#  - each victim dies of SIGKILL, memory.events counts the OOM kills, and
#    the kernel log names each victim;
#  - each victim was sampled while it grew, its anonymous memory never
#    above the cgroup limit,
#    and dropped out of pids by itself; the control stays, sampled in every
#    tick before, during and after the kills;
#  - nothing lost: CSV rows per CPU = records written in stats;
#  - the kernel log is clean apart from the OOM reports themselves.  The
#    OOM report carries a stack dump ("Call Trace:") that tests/vm/run would
#    take for a bug, so while the kills happen the console log level is
#    lowered (dmesg -n 1) and this script checks the kernel ring buffer
#    itself with the runner's patterns, minus each report (from "invoked
#    oom-killer" to its "Killed process" line).
. /extra/vm/lib.sh

# the patterns tests/vm/run looks for in the kernel log
BAD_RE='WARNING:|BUG:|kernel BUG at|Oops: |general protection fault|Call Trace|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: |KASAN|UBSAN|scheduling while atomic|Kernel panic|\[ cut here \]'
# klog_check FILE: kernel log lines matching BAD_RE outside OOM reports
klog_check() {
	BAD_RE=$BAD_RE awk '
	BEGIN { re = ENVIRON["BAD_RE"] }
	/invoked oom-killer:/ { inrep = 1; reports++ }
	inrep { if (/Killed process [0-9]+/) inrep = 0; next }
	$0 ~ re { print }
	END { print reports + 0 > "/tmp/oom.reports" }' "$1"
}

CG=/sys/fs/cgroup
if ! grep -qw memory $CG/cgroup.controllers 2> /dev/null; then
	skip "OOM kill of a sampled process" "no cgroup v2 memory controller at $CG"
	finish
fi
swapoff -a 2> /dev/null
echo +memory > $CG/cgroup.subtree_control
mkdir -p $CG/oomt
echo 48M > $CG/oomt/memory.max || { fail "memory.max"; finish; }
[ -e $CG/oomt/memory.swap.max ] && echo 0 > $CG/oomt/memory.swap.max

modprobe memtrace || { fail "modprobe memtrace"; finish; }
echo 10 > $MT/wss_interval_ms
start_memload /tmp/ctl.out -a 8 || { fail "memload control"; finish; }
ctl=$MEMLOAD_PID
echo "+$ctl" > $MT/pids

lvl=$(awk '{ print $1 }' /proc/sys/kernel/printk)
echo "memtrace-test: OOM phase begins" > /dev/kmsg
dmesg -n 1
cp $MT/stats /tmp/s0
memtrace-reader -p $ctl -I 10 -W 10 -o /tmp/o.csv --system /tmp/o.sys 2> /tmp/reader.err &
R=$!
# the victims' pids go into the reader's session, once it has set its filter
reader_ready $R || fail "the reader did not start its session"
victims=""
k=1
while [ $k -le 3 ]; do
	sh -c "echo \$\$ > $CG/oomt/cgroup.procs && exec $MEMLOAD -a 256 -r 3000" > /tmp/v$k.out 2>&1 &
	v=$!
	echo "+$v" > $MT/pids
	wait $v
	st=$?
	victims="$victims $v"
	check_eq "victim $k (pid $v) killed by SIGKILL" "$st" 137
	sleep 0.1 # a few ticks
	check_eq "victim $k dropped out of pids, the control stays" "$(cat $MT/pids)" "$ctl"
	k=$((k + 1))
done
sleep 0.5
kill -TERM $R
wait $R
check_eq "reader exits 0" "$?" 0
cp $MT/stats /tmp/s1
echo "memtrace-test: OOM phase ends" > /dev/kmsg
dmesg -n "$lvl"
sed 's/^/# reader: /' /tmp/reader.err | head -3

ooms=$(awk '$1 == "oom_kill" { print $2 }' $CG/oomt/memory.events)
check "memory.events counts the OOM kills (${ooms:-none})" [ "${ooms:-0}" -ge 3 ]
dmesg | sed -n '/memtrace-test: OOM phase begins/,/memtrace-test: OOM phase ends/p' > /tmp/klog
for v in $victims; do
	check "kernel log: victim $v OOM-killed" grep -q "Killed process $v " /tmp/klog
done
klog_check /tmp/klog > /tmp/klog.bad
check_eq "kernel log clean apart from $(cat /tmp/oom.reports) OOM reports" "$(head -n 5 /tmp/klog.bad)" ""
diag "$(grep -c . /tmp/klog) kernel log lines in the OOM phase, e.g. $(grep -m 1 'Killed process' /tmp/klog)"

lim=49152 # KiB
for v in $victims; do
	n=$(awk -F, -v p="$v" 'NR > 1 && $5 == p' /tmp/o.csv | wc -l)
	max=$(awk -F, -v p="$v" 'NR > 1 && $5 == p && $9 > m { m = $9 } END { print m + 0 }' /tmp/o.csv)
	check "victim $v sampled while it grew ($n records, rss_anon up to $max KiB)" sh -c "[ $n -ge 3 ] && [ $max -ge 16384 ]"
	# anonymous memory is charged to the cgroup (file and shmem pages may
	# be charged to the cgroup that first touched them)
	check "victim $v's rss_anon never above memory.max ($max <= $lim KiB)" [ "$max" -le "$lim" ]
done
ticks=$(awk -F, 'NR > 1 { print $4 }' /tmp/o.csv | sort -u | wc -l)
nctl=$(awk -F, -v p="$ctl" 'NR > 1 && $5 == p' /tmp/o.csv | wc -l)
check_eq "the control sampled in every tick" "$nctl" "$ticks"
account "OOM" /tmp/o.csv /tmp/s0 /tmp/s1 /tmp/o.sys
rmmod memtrace
check "rmmod" [ ! -d /sys/module/memtrace ]
finish
