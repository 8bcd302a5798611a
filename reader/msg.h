/* SPDX-License-Identifier: GPL-2.0 */
/*
 * msg.h - memtrace-reader's messages on standard error ("memtrace-reader:
 * ..." lines, each written in one piece) and its status line (one line,
 * rewritten in place, only when standard error is a terminal).
 */
#ifndef MEMTRACE_READER_MSG_H
#define MEMTRACE_READER_MSG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

#define MT_PROG "memtrace-reader"
#define MT_READER_VERSION "0.2"

/* Where messages go; NULL (the default) is stderr.  The fuzz target points
 * it at /dev/null. */
extern FILE *mt_msg_file;

__attribute__((format(printf, 1, 0)))
void mt_vmsg(const char *fmt, va_list ap);
__attribute__((format(printf, 1, 2)))
void mt_msg(const char *fmt, ...);

/*
 * The status line.  mt_status_init() turns it on when @want and the
 * message file is a terminal.  mt_status_show() replaces the line's text;
 * mt_msg() clears it before a message (the next show puts it back), and
 * mt_status_clear() clears it for good before the summary.
 */
void mt_status_init(bool want);
bool mt_status_on(void);
void mt_status_show(const char *text);
void mt_status_clear(void);

#endif /* MEMTRACE_READER_MSG_H */
