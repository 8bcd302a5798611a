/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The first struct pid at or above a number, across kernel lines.
 *
 * find_ge_pid() is what /proc walks the processes with (next_tgid() in
 * fs/proc/base.c): a cursor that is a pid number survives dropping RCU,
 * which a task-list position does not.  It is exported (GPL) on 6.1 and
 * later lines, declared but not exported on 5.10.  Its body there, since
 * 4.15 ("pid: replace pid bitmap implementation with IDR API"), is
 * idr_get_next(&ns->idr, &nr) (kernel/pid.c), and idr_get_next() and
 * init_pid_ns are exported on every line: without the export we do the
 * same.  An export cannot be tested with the preprocessor: a Kbuild probe
 * (MTR_HAVE_EXPORT_FIND_GE_PID) looks for it in the kernel's
 * Module.symvers.
 */
#ifndef _MEMTRACE_WRAPPER_PID_H
#define _MEMTRACE_WRAPPER_PID_H

#include <linux/idr.h>
#include <linux/pid.h>
#include <linux/pid_namespace.h>

/**
 * mtr_find_ge_pid() - the struct pid of the initial namespace whose number
 * is the least that is >= @nr.
 * @nr: where to start, >= 0.
 *
 * Context: rcu_read_lock() held; the pid is valid until it is dropped.
 * Return: the struct pid, or NULL when no number >= @nr is in use.
 */
static inline struct pid *mtr_find_ge_pid(int nr)
{
#ifdef MTR_HAVE_EXPORT_FIND_GE_PID
	return find_ge_pid(nr, &init_pid_ns);
#else
	return idr_get_next(&init_pid_ns.idr, &nr);
#endif
}

#endif /* _MEMTRACE_WRAPPER_PID_H */
