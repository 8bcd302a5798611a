/* SPDX-License-Identifier: GPL-2.0 */
/*
 * utf8.h - UTF-8 validation for the outputs that write a comm or a cgroup
 * path (any bytes) as text: --openmetrics labels, --html's JSON.
 */
#ifndef MEMTRACE_READER_UTF8_H
#define MEMTRACE_READER_UTF8_H

#include <stddef.h>

/*
 * mt_utf8_len() - the length (1..4) of the well-formed UTF-8 sequence at
 * @s (@n >= 1 bytes left), or 0 when @s does not start one (a stray
 * continuation byte, a cut sequence, an overlong form, a surrogate, or
 * beyond U+10FFFF).
 */
size_t mt_utf8_len(const unsigned char *s, size_t n);

#endif /* MEMTRACE_READER_UTF8_H */
