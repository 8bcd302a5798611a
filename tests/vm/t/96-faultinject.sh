#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# vm: tcg-thread=single  (toggles trace events: see tcg_single in tests/run)
# Scenario: loads that fail.  First, on any kernel: a load refused for a bad
# parameter makes modprobe fail with the errno's text, names the parameter
# in the kernel log and leaves nothing in debugfs, tracefs or /sys/module.
# Then, on kernels with fault injection (CONFIG_FAULT_INJECTION, FAILSLAB,
# FAIL_PAGE_ALLOC, FAULT_INJECTION_DEBUG_FS -- the debug flavour; skipped
# with the reason elsewhere): tests/stress/mt-failnth loads the module with
# its Nth slab or page allocation failing (/proc/thread-self/fail-nth, so
# the failures are scoped to the loading task: the module loader and our
# init), for every N until the load no longer reaches N.  Checks: every
# failed load returns an error and leaves nothing behind; every failure
# inside memtrace's init (the initcall_finish trace event reports its
# return value) is named by a "memtrace: ..." line in the kernel log; the
# module loads and works afterwards; the kernel log shows no warning, oops
# or lockdep report -- apart from the allocation-failure reports
# (warn_alloc: "page allocation failure", "vmalloc error") the injected
# failures cause, whose stack dumps tests/vm/run would take for bugs: while
# the faults are injected the console log level is lowered (dmesg -n 1) and
# this script checks the ring buffer itself (every "Call Trace" must belong
# to such a report; every other pattern of the runner is a failure).  (A
# control-file writer racing the failing loads: 48-initrace.)  The
# walk over the points stops after 60 s (memtrace_test.failnth_s=N on the
# kernel command line), reported as a skip of the full coverage.
. /extra/vm/lib.sh

EV=/sys/kernel/tracing/events/memstat
# the patterns tests/vm/run looks for, "Call Trace" aside
BAD_RE='WARNING:|BUG:|kernel BUG at|Oops: |general protection fault|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: |KASAN|UBSAN|scheduling while atomic|Kernel panic|\[ cut here \]'
# klog_check FILE: runner patterns in FILE, and stack dumps that do not
# follow an allocation-failure report.  One more report is the kernel's, not
# ours: the tracing core's WARN_ON_ONCE() in event_define_fields()
# (kernel/trace/trace_events.c) when trace_define_field() gets -ENOMEM while
# the module's events are added -- with its "[ cut here ]" line.
klog_check() {
	BAD_RE=$BAD_RE awk '
	BEGIN { re = ENVIRON["BAD_RE"] }
	cut { cut = 0; if ($0 !~ /WARNING: .* event_define_fields/) print held }
	/\[ cut here \]/ { cut = 1; held = $0; next }
	/WARNING: .* at kernel\/trace\/trace_events\.c:[0-9]+ event_define_fields/ {
		expect++; reports++; next
	}
	/page allocation failure:|vmalloc error:|invoked oom-killer:/ { expect++; reports++ }
	/Call Trace/ { if (expect > 0) expect--; else print }
	$0 ~ re { print }
	END { if (cut) print held; print reports + 0 > "/tmp/alloc.reports" }' "$1"
}
nothing_left() { [ ! -e $MT ] && [ ! -e $EV ] && [ ! -e /sys/module/memtrace ]; }

# --- any kernel: a refused load explains itself -------------------------------
out=$(modprobe memtrace n_subbufs=1 2>&1)
rc=$?
check "modprobe memtrace n_subbufs=1 fails" [ $rc -ne 0 ]
case $out in
*"Invalid argument"*) ok "modprobe says why ($out)" ;;
*) fail "modprobe does not say why ($out)" ;;
esac
check "the kernel log names the parameter ($(dmesg | grep -m 1 'memtrace: n_subbufs'))" \
	sh -c "dmesg | grep -q 'memtrace: n_subbufs=1 out of range'"
check "nothing left in debugfs, tracefs or /sys/module" nothing_left

# --- fault injection ------------------------------------------------------------
FI=/sys/kernel/debug
if [ ! -d $FI/failslab ] && [ ! -d $FI/fail_page_alloc ]; then
	skip "allocation failures at load" "this kernel has no fault injection ($FI/failslab and $FI/fail_page_alloc missing: CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, CONFIG_FAIL_PAGE_ALLOC, CONFIG_FAULT_INJECTION_DEBUG_FS)"
	finish
fi
if [ ! -e /proc/self/fail-nth ]; then
	skip "allocation failures at load" "no /proc/PID/fail-nth on this kernel"
	finish
fi
secs=$(test_param failnth_s 60)
FN=$(stress_bin mt-failnth) || { fail "helper mt-failnth missing: build tests/stress/mt-failnth.c into build/stress and --add build/stress"; finish; }
KO=$(find /lib/modules/"$(uname -r)" -name memtrace.ko | head -n 1)
[ -n "$KO" ] || { fail "memtrace.ko not found under /lib/modules/$(uname -r)"; finish; }

# fail-nth only: probability 0, but GFP_KERNEL and order-0 allocations count
failnth_setup
echo 1 > /sys/kernel/tracing/events/initcall/initcall_finish/enable
echo 4096 > /sys/kernel/tracing/buffer_size_kb

lvl=$(awk '{ print $1 }' /proc/sys/kernel/printk)
echo "memtrace-test: fault injection begins" > /dev/kmsg
dmesg -n 1
"$FN" -q -r -m 5000 -t "$secs" "$KO" > /tmp/fn.out 2> /tmp/fn.err
rc=$?
echo "memtrace-test: fault injection ends" > /dev/kmsg
dmesg -n "$lvl"
echo 0 > /sys/kernel/tracing/events/initcall/initcall_finish/enable
sed 's/^/# /' /tmp/fn.err | head -5
sum=$(grep "^failnth: points=" /tmp/fn.out)
diag "$(grep "^failnth: a plain" /tmp/fn.out)"
diag "$sum"
check_eq "mt-failnth: no failed load left anything behind (exit $rc)" "$rc" 0
pts=$(echo "$sum" | sed -n 's/.*points=\([0-9]*\).*/\1/p')
if echo "$sum" | grep -q 'complete=1'; then
	ok "every injection point of the load covered (1..$pts)"
else
	skip "every injection point of the load covered" "stopped after $secs s at point $pts (memtrace_test.failnth_s=N for more)"
fi
nf=$(echo "$sum" | sed -n 's/.* failed=\([0-9]*\).*/\1/p')
check "injection points reached (${pts:-0}) and loads failed (${nf:-0})" sh -c "[ ${pts:-0} -gt 10 ] && [ ${nf:-0} -gt 0 ]"
check_eq "every failed load left nothing behind" "$(grep '^nth=' /tmp/fn.out | grep -v 'left=none' | grep -v 'load=ok' | head -n 5)" ""
silent=$(awk '/^nth=/ && $4 ~ /^init=-[0-9]/ && / msg=-$/' /tmp/fn.out | head -n 5)
ninit=$(grep -c '^nth=.* init=-[0-9]' /tmp/fn.out)
check "allocation failures inside memtrace's init happened ($ninit)" [ "$ninit" -gt 0 ]
check_eq "every failure inside memtrace's init names itself in the kernel log" "$silent" ""
diag "errnos of failed loads: $(sed -n 's/^nth=.* load=\([A-Z0-9]*\) .*/\1/p' /tmp/fn.out | sort | uniq -c | tr '\n' ' ')"
diag "init failures and their messages:"
awk '/^nth=/ && $4 ~ /^init=-[0-9]/' /tmp/fn.out | sed 's/^/#   /' | head -n 20

dmesg | sed -n '/memtrace-test: fault injection begins/,/memtrace-test: fault injection ends/p' > /tmp/klog
klog_check /tmp/klog > /tmp/klog.bad
check_eq "kernel log clean apart from $(cat /tmp/alloc.reports) allocation-failure reports" \
	"$(head -n 5 /tmp/klog.bad)" ""

# disarmed: a normal load works
check "modprobe memtrace after the faults" modprobe memtrace
check "a session works" memtrace-reader -d 0.5 -o /tmp/after.csv
check "records read ($(($(wc -l < /tmp/after.csv) - 1)))" [ "$(wc -l < /tmp/after.csv)" -gt 1 ]
rmmod memtrace
check "nothing left after rmmod" nothing_left
finish
