/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hrtimer set-up across kernel lines.
 *
 * Covers 5.10 .. 7.x: hrtimer_init() + ->function until 6.12;
 * hrtimer_setup() from 6.13 on (upstream commit "hrtimers: Introduce
 * hrtimer_setup() to replace hrtimer_init()"), after which hrtimer_init()
 * went away.  A function's existence cannot be tested with the
 * preprocessor: a Kbuild probe (MTR_HAVE_HRTIMER_SETUP) looks for its
 * declaration in linux/hrtimer.h.
 */
#ifndef _MEMTRACE_WRAPPER_HRTIMER_H
#define _MEMTRACE_WRAPPER_HRTIMER_H

#include <linux/hrtimer.h>

/**
 * mtr_hrtimer_setup() - initialise a CLOCK_MONOTONIC relative hrtimer.
 * @timer: the timer.
 * @fn:    its expiry callback (hard interrupt context on !PREEMPT_RT).
 *
 * Context: any; does not sleep.
 */
static inline void
mtr_hrtimer_setup(struct hrtimer *timer,
		  enum hrtimer_restart (*fn)(struct hrtimer *))
{
#ifdef MTR_HAVE_HRTIMER_SETUP
	hrtimer_setup(timer, fn, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
#else
	hrtimer_init(timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL);
	timer->function = fn;
#endif
}

#endif /* _MEMTRACE_WRAPPER_HRTIMER_H */
