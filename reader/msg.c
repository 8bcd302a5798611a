// SPDX-License-Identifier: GPL-2.0
/*
 * msg.c - messages and the status line on standard error.
 */
#include <string.h>
#include <unistd.h>

#include "msg.h"

FILE *mt_msg_file;

static bool status_enabled;	/* a terminal, and wanted */
static bool status_shown;	/* the line holds status text now */

static FILE *out(void)
{
	return mt_msg_file ? mt_msg_file : stderr;
}

/* "\r" + erase to the end of the line (ECMA-48 EL). */
static const char erase[] = "\r\033[K";

void mt_vmsg(const char *fmt, va_list ap)
{
	char line[1024];
	size_t pre = 0, len;

	if (status_shown) {
		memcpy(line, erase, sizeof(erase) - 1);
		pre = sizeof(erase) - 1;
		status_shown = false;
	}
	memcpy(line + pre, MT_PROG ": ", sizeof(MT_PROG ": ") - 1);
	pre += sizeof(MT_PROG ": ") - 1;
	vsnprintf(line + pre, sizeof(line) - pre - 1, fmt, ap);
	/* The whole line in one write, so it does not mix with others. */
	len = strlen(line);
	line[len++] = '\n';
	fwrite(line, 1, len, out());
	fflush(out());
}

void mt_msg(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	mt_vmsg(fmt, ap);
	va_end(ap);
}

void mt_status_init(bool want)
{
	status_enabled = want && isatty(fileno(out()));
	status_shown = false;
}

bool mt_status_on(void)
{
	return status_enabled;
}

void mt_status_show(const char *text)
{
	char line[256];
	int n;

	if (!status_enabled)
		return;
	n = snprintf(line, sizeof(line), "\r%s: %s\033[K", MT_PROG, text);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	fwrite(line, 1, (size_t)n, out());
	fflush(out());
	status_shown = true;
}

void mt_status_clear(void)
{
	if (status_shown) {
		fwrite(erase, 1, sizeof(erase) - 1, out());
		fflush(out());
	}
	status_shown = false;
}
