// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: the figures of a system record (struct memtrace_system)
 * that no module can read, filled from /proc when a live session reads the
 * record from its relay file.
 *
 * The module writes MEMTRACE_UNKNOWN where a figure's kernel source is not
 * exported: SwapTotal (total_swap_pages), CommitLimit (vm_commit_limit()),
 * Cached before 5.13 (the swap cache size), and the PSI totals (the PSI
 * state).  This file reads them from /proc/meminfo and
 * /proc/pressure/{memory,io,cpu} ("total=", µs) once per read round, so a
 * record's figures are those of when the reader read it: within one read
 * period (half interval_ms, at most POLL_MS) of its tick, more when the
 * reader falls behind.  A record so filled has MEMTRACE_SYSTEM_F_PROC set;
 * a trace file keeps the filled record, so -i shows the same figures.
 * A figure /proc does not have either (a kernel without PSI, or booted with
 * psi=0) stays unknown: an empty cell, said once on standard error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

/* The figures read this round, MEMTRACE_UNKNOWN where /proc has none. */
static struct {
	bool valid;
	uint64_t round;
	uint64_t v[MEMTRACE_SYSTEM_FIGURES];
	bool psi_reported;
} fill;

/* Read @path whole into @buf (NUL-terminated).  Bytes read, or -1/errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	while (got + 1 < len) {
		ssize_t n = read(fd, buf + got, len - 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			errno = e;
			return -1;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	return (ssize_t)got;
}

/* The number after "@key" at the start of a line of @text; false if none. */
static bool find_num(const char *text, const char *key, uint64_t *v)
{
	size_t klen = strlen(key);
	const char *p = text;

	for (;;) {
		if (!strncmp(p, key, klen)) {
			char *end;

			errno = 0;
			*v = strtoull(p + klen, &end, 10);
			return !errno && end != p + klen;
		}
		p = strchr(p, '\n');
		if (!p)
			return false;
		p++;
	}
}

/* "total=N" on the line of /proc/pressure/@res that starts with @kind. */
static bool psi_total(const char *text, const char *kind, uint64_t *v)
{
	const char *line = text, *t, *eol;
	size_t klen = strlen(kind);
	char *end;

	while (line && *line) {
		eol = strchr(line, '\n');
		if (!strncmp(line, kind, klen) && line[klen] == ' ') {
			t = strstr(line, " total=");
			if (!t || (eol && t > eol))
				return false;
			errno = 0;
			*v = strtoull(t + 7, &end, 10);
			return !errno && end != t + 7;
		}
		line = eol ? eol + 1 : NULL;
	}
	return false;
}

/* Read what the module leaves unknown, once for @round. */
static void read_proc(uint64_t round)
{
	static const struct {
		const char *res, *kind;
		size_t idx;
	} psi[] = {
		{ "memory", "some", MT_SYS_IDX(psi_memory_some_us) },
		{ "memory", "full", MT_SYS_IDX(psi_memory_full_us) },
		{ "io", "some", MT_SYS_IDX(psi_io_some_us) },
		{ "io", "full", MT_SYS_IDX(psi_io_full_us) },
		{ "cpu", "some", MT_SYS_IDX(psi_cpu_some_us) },
	};
	static const struct {
		const char *key;
		size_t idx;
	} mem[] = {
		{ "SwapTotal:", MT_SYS_IDX(swaptotal_kb) },
		{ "CommitLimit:", MT_SYS_IDX(commitlimit_kb) },
		{ "Cached:", MT_SYS_IDX(cached_kb) },
	};
	char buf[4096], path[64];
	uint64_t v;

	for (size_t i = 0; i < MEMTRACE_SYSTEM_FIGURES; i++)
		fill.v[i] = MEMTRACE_UNKNOWN;
	fill.valid = true;
	fill.round = round;
	if (read_small("/proc/meminfo", buf, sizeof(buf)) > 0)
		for (size_t i = 0; i < sizeof(mem) / sizeof(mem[0]); i++)
			if (find_num(buf, mem[i].key, &v) && v < MEMTRACE_UNKNOWN)
				fill.v[mem[i].idx] = v;
	for (size_t i = 0; i < sizeof(psi) / sizeof(psi[0]); i++) {
		snprintf(path, sizeof(path), "/proc/pressure/%s", psi[i].res);
		if (read_small(path, buf, sizeof(buf)) < 0) {
			if (!fill.psi_reported && !g.quiet)
				msg("note: %s: %s: the psi_* columns of --system are empty (PSI needs CONFIG_PSI and no psi=0 on the kernel command line)",
				    path, strerror(errno));
			fill.psi_reported = true;
			continue;
		}
		if (psi_total(buf, psi[i].kind, &v) && v < MEMTRACE_UNKNOWN)
			fill.v[psi[i].idx] = v;
	}
}

void procfill_note_delayacct(void)
{
	char buf[16];

	/* the sysctl exists from 5.14 on; before, delay accounting is on
	 * unless the kernel was booted with nodelayacct */
	if (g.quiet ||
	    read_small("/proc/sys/kernel/task_delayacct", buf, sizeof(buf)) <= 0 ||
	    buf[0] != '0')
		return;
	msg("note: kernel.task_delayacct is 0 (delay accounting off): the *_delay_ns columns are empty for processes started while it is off (sysctl -w kernel.task_delayacct=1, or boot with delayacct)");
}

void procfill_system(unsigned char *rec, uint32_t len, uint64_t round)
{
	size_t off = offsetof(struct memtrace_system, memtotal_kb);
	bool filled = false;
	uint32_t flags;

	if (len < sizeof(struct memtrace_system))
		return;
	for (size_t i = 0; i < MEMTRACE_SYSTEM_FIGURES; i++) {
		uint64_t le;

		memcpy(&le, rec + off + 8 * i, 8);
		if (le64toh(le) != MEMTRACE_UNKNOWN)
			continue;
		if (!fill.valid || fill.round != round)
			read_proc(round);
		if (fill.v[i] == MEMTRACE_UNKNOWN)
			continue;
		le = htole64(fill.v[i]);
		memcpy(rec + off + 8 * i, &le, 8);
		filled = true;
	}
	if (!filled)
		return;
	memcpy(&flags, rec + offsetof(struct memtrace_system, flags), 4);
	flags = htole32(le32toh(flags) | MEMTRACE_SYSTEM_F_PROC);
	memcpy(rec + offsetof(struct memtrace_system, flags), &flags, 4);
}
