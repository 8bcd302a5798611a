// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace trace events: the one file that instantiates the memstat
 * tracepoints (tracepoints/memstat.h, found through -I in Kbuild).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#define CREATE_TRACE_POINTS
#include "memstat.h"
