// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: the cpuN relay files of a live session: found by
 * scanning DIR (CPUs may be sparse, and come online later), read without
 * blocking, validated record by record into per-CPU queues.
 *
 * Validation.  Every record's magic, version and size are checked; records
 * of unknown types are skipped by size (and kept in a trace file).  A bad
 * record is reported with its CPU and byte offset in that CPU's stream and
 * counted, and the stream resynchronises at the next 8-byte aligned
 * MEMTRACE_MAGIC.  A record format version newer than the reader's is
 * fatal, and so is a read error (EIO: from modules before 2026-12, whose
 * cpuN files did not pin them, the module was unloaded); both still
 * write what was read.  A record whose hdr.cpu is not the N of its cpuN
 * file is bad too.  Loss accounting and its cross-check with the module's
 * loss records: session.h.
 *
 * Waiting.  poll() on a relay file wakes at a sub-buffer switch, which
 * comes in the middle of a tick; reading a tick's records in one go costs
 * less than chasing them record by record.  So after a round that read
 * nothing the reader sleeps
 * half the module's interval_ms (at least 1 ms, at most POLL_MS): a tick's
 * records are read at most half an interval after it ends.  A round that
 * read something is followed by another at once.  Signals interrupt the
 * sleep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reader.h"

/* "cpuN" with N a canonical decimal number. */
static bool parse_cpu_name(const char *name, unsigned int *cpu)
{
	unsigned long v;
	char *end;

	if (strncmp(name, "cpu", 3) || name[3] < '0' || name[3] > '9' ||
	    (name[3] == '0' && name[4]))
		return false;
	errno = 0;
	v = strtoul(name + 3, &end, 10);
	if (errno || *end || v > UINT_MAX)
		return false;
	*cpu = (unsigned int)v;
	return true;
}

/* Open DIR/cpu@cpu and add it.  0, or -1 (reported). */
static int add_cpu(unsigned int cpu)
{
	struct cpu_in *c;
	char name[16];

	if (g.ncpus == g.cpus_cap) {
		size_t cap = g.cpus_cap ? 2 * g.cpus_cap : 16;
		struct cpu_in *n = realloc(g.cpus, cap * sizeof(*n));
		struct cpu_in **h;

		if (!n)
			goto out_nomem;
		g.cpus = n;
		h = realloc(g.heap, cap * sizeof(*h));
		if (!h)
			goto out_nomem;
		g.heap = h;
		g.cpus_cap = cap;
	}
	c = &g.cpus[g.ncpus];
	memset(c, 0, sizeof(*c));
	c->cpu = cpu;
	c->fd = -1;
	snprintf(name, sizeof(name), "cpu%u", cpu);
	c->path = dir_path(name);
	if (!c->path || mt_stream_init(&c->st, cpu, CPU_BUF_SIZE)) {
		free(c->path);
		goto out_nomem;
	}
	c->st.hdr_only = true;	/* bodies are decoded when emitted */
	c->fd = openat(g.dirfd, name, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0) {
		msg("%s: %s%s", c->path, strerror(errno), fix_for(errno));
		free(c->path);
		mt_stream_free(&c->st);
		return -1;
	}
	g.ncpus++;
	return 0;

out_nomem:
	msg("out of memory");
	return -1;
}

static bool have_cpu(unsigned int cpu)
{
	for (size_t i = 0; i < g.ncpus; i++)
		if (g.cpus[i].cpu == cpu)
			return true;
	return false;
}

static int cmp_uint(const void *a, const void *b)
{
	unsigned int x = *(const unsigned int *)a, y = *(const unsigned int *)b;

	return (x > y) - (x < y);
}

/*
 * Scan DIR for cpuN files not open yet (all of them at the start; later,
 * CPUs that came online) and open them, in CPU order.  Returns the number
 * added, or -1 (reported).
 */
int scan_cpus(void)
{
	unsigned int *found = NULL;
	size_t nfound = 0, cap = 0;
	struct dirent *de;
	int fd, added = 0;
	DIR *d;

	fd = dup(g.dirfd);
	if (fd < 0 || !(d = fdopendir(fd))) {
		msg("%s: %s", g.dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	rewinddir(d);	/* the dup shares the offset of the last scan */
	while ((errno = 0, de = readdir(d))) {
		unsigned int cpu;

		if (!parse_cpu_name(de->d_name, &cpu) || have_cpu(cpu))
			continue;
		if (nfound == cap) {
			unsigned int *n;

			cap = cap ? 2 * cap : 16;
			n = realloc(found, cap * sizeof(*n));
			if (!n) {
				msg("out of memory");
				goto out_fail;
			}
			found = n;
		}
		found[nfound++] = cpu;
	}
	if (errno) {
		msg("reading directory %s: %s", g.dir, strerror(errno));
		goto out_fail;
	}
	closedir(d);
	if (nfound)
		qsort(found, nfound, sizeof(*found), cmp_uint);
	for (size_t i = 0; i < nfound; i++) {
		if (add_cpu(found[i])) {
			free(found);
			return -1;
		}
		added++;
	}
	free(found);
	return added;

out_fail:
	free(found);
	closedir(d);
	return -1;
}

void close_cpus(void)
{
	for (size_t i = 0; i < g.ncpus; i++) {
		struct cpu_in *c = &g.cpus[i];

		if (c->fd >= 0)
			close(c->fd);
		free(c->path);
		free(c->q);
		free(c->raw);
		mt_stream_free(&c->st);
	}
	free(g.cpus);
	free(g.heap);
	g.cpus = NULL;
	g.heap = NULL;
	g.ncpus = g.cpus_cap = 0;
}

/* Read and throw away what an earlier session left in the cpuN files. */
void discard_stale(void)
{
	static unsigned char scratch[65536];
	unsigned long long total = 0;
	uint64_t deadline = mono_ns() + 2000000000ull;

	for (size_t i = 0; i < g.ncpus; i++) {
		for (;;) {
			ssize_t n = read(g.cpus[i].fd, scratch, sizeof(scratch));

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;	/* an error shows again in the loop */
			total += (unsigned long long)n;
			if (mono_ns() > deadline)
				break;
		}
	}
	if (total && !g.quiet)
		msg("discarded %llu bytes left from an earlier session", total);
}

static struct qitem *queue_slot(struct cpu_in *c)
{
	if (c->qhead == c->qtail)
		c->qhead = c->qtail = 0;
	if (c->qtail == c->qcap) {
		if (c->qhead > c->qcap / 2) {
			memmove(c->q, c->q + c->qhead,
				(c->qtail - c->qhead) * sizeof(*c->q));
			c->qtail -= c->qhead;
			c->qhead = 0;
		} else {
			size_t ncap = c->qcap ? 2 * c->qcap : 4096;
			struct qitem *nq = realloc(c->q, ncap * sizeof(*nq));

			if (!nq)
				return NULL;
			c->q = nq;
			c->qcap = ncap;
		}
	}
	return &c->q[c->qtail];
}

/* Keep @n bytes of a queued record for the trace file.  0, or -1. */
static int raw_push(struct cpu_in *c, const void *p, size_t n)
{
	if (c->rhead == c->rtail)
		c->rhead = c->rtail = 0;
	if (c->rcap - c->rtail < n) {
		if (c->rhead >= n && c->rhead > c->rcap / 2) {
			memmove(c->raw, c->raw + c->rhead, c->rtail - c->rhead);
			c->rtail -= c->rhead;
			c->rhead = 0;
		} else {
			size_t ncap = c->rcap ? 2 * c->rcap : 1u << 20;
			unsigned char *nr;

			while (ncap - c->rtail < n)
				ncap *= 2;
			nr = realloc(c->raw, ncap);
			if (!nr)
				return -1;
			c->raw = nr;
			c->rcap = ncap;
		}
	}
	memcpy(c->raw + c->rtail, p, n);
	c->rtail += n;
	return 0;
}

/*
 * Append the bytes of the last @items queued records of @c, @n bytes at @p,
 * to its byte FIFO.  0, or -1 (out of memory, reported: the records leave
 * the queue again).
 */
static int raw_take(struct cpu_in *c, const unsigned char *p, size_t n,
		    size_t items)
{
	if (!n || !raw_push(c, p, n))
		return 0;
	c->qtail -= items;
	msg("out of memory");
	return -1;
}

int queue_made(struct cpu_in *c, const struct mt_hdr *h, const void *p,
	       uint32_t n, enum mt_status st)
{
	struct qitem *q = queue_slot(c);

	if (!q) {
		msg("out of memory");
		return -1;
	}
	q->ts_ns = h->ts_ns;
	q->seq = h->seq;
	q->status = (uint8_t)st;
	q->flags = 0;
	q->raw_len = n;
	c->qtail++;
	return raw_take(c, p, n, 1);
}

/* Validate what CPU @c has buffered into its queue.  0, or -1 (fatal). */
static int parse_cpu(struct cpu_in *c)
{
	/* Records back to back in the stream's buffer (which does not move
	 * here) go to the byte FIFO in one copy: span_n records, span_len
	 * bytes at span. */
	const unsigned char *span = NULL;
	size_t span_len = 0, span_n = 0;
	struct mt_record rec;
	char why[160];
	struct mt_bad bad;
	int ret = 0;

	for (;;) {
		struct qitem *q = queue_slot(c);
		enum mt_status st;

		if (!q) {
			msg("out of memory");
			ret = -1;
			break;
		}
		st = mt_stream_next(&c->st, &rec, &bad);
		if (st == MT_NEED_MORE)
			break;
		if (mt_status_is_record(st)) {
			/* the stream's buffer is ours: fill it before it is copied */
			if (st == MT_SYSTEM && procfill_wanted())
				procfill_system((unsigned char *)c->st.raw,
						c->st.raw_len, g.round);
			q->ts_ns = rec.hdr.ts_ns;
			q->seq = rec.hdr.seq;
			q->status = (uint8_t)st;
			q->flags = c->after_bad ? MT_SESS_AFTER_BAD : 0;
			if (st == MT_OK)
				c->after_bad = false;
			q->raw_len = c->st.raw_len;
			if (!span_len || c->st.raw != span + span_len) {
				if (raw_take(c, span, span_len, span_n))
					return -1;
				span = c->st.raw;
				span_len = span_n = 0;
			}
			span_len += c->st.raw_len;
			span_n++;
			c->qtail++;
			if (g.cg_open && st == MT_OK)
				cgrows_note_sample(c->st.raw, c->st.raw_len);
			if (g.cg_open && st == MT_SYSTEM) {
				uint64_t tick;

				/* the cgroup rows go right after the system record */
				if (raw_take(c, span, span_len, span_n))
					return -1;
				span = NULL;
				span_len = span_n = 0;
				memcpy(&tick, c->st.raw +
				       offsetof(struct memtrace_system, tick), 8);
				if (cgrows_emit(c, &rec.hdr, le64toh(tick)))
					return -1;
			}
			continue;
		}
		c->after_bad = true;
		mt_bad_describe(&bad, why, sizeof(why));
		if (st == MT_BAD_VERSION && bad.hdr.version > MEMTRACE_VERSION) {
			msg("%s: byte offset %" PRIu64 ": %s: update memtrace-reader to the module's version",
			    c->path, bad.offset, why);
			ret = -1;
			break;
		}
		if (c->bad_reported++ < BAD_REPORTS_MAX)
			msg("cpu%u: bad record at byte offset %" PRIu64 " of %s: %s; skipped %" PRIu64 " bytes to resynchronise%s",
			    c->cpu, bad.offset, c->path, why, bad.skipped,
			    c->bad_reported == BAD_REPORTS_MAX ?
				    " (further bad records on this CPU are only counted)" : "");
	}
	if (raw_take(c, span, span_len, span_n))
		return -1;
	return ret;
}

/*
 * Read every cpuN file once round.  Returns bytes read (>= 0), or -1 on a
 * fatal error (reported; g.module_gone tells EIO).
 */
long long read_round(void)
{
	long long total = 0;

	g.round++;
	for (size_t i = 0; i < g.ncpus; i++) {
		struct cpu_in *c = &g.cpus[i];

		for (int k = 0; k < READS_PER_ROUND; k++) {
			size_t room;
			unsigned char *p = mt_stream_space(&c->st, &room);
			ssize_t n = read(c->fd, p, room);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				if (errno == EAGAIN || errno == EWOULDBLOCK)
					break;
				if (errno == EIO) {
					msg("reading %s: %s: module unloaded",
					    c->path, strerror(errno));
					g.module_gone = true;
				} else {
					msg("reading %s: %s", c->path,
					    strerror(errno));
				}
				return -1;
			}
			if (n == 0)
				break;
			mt_stream_added(&c->st, (size_t)n);
			total += n;
			if (parse_cpu(c))
				return -1;
			if ((size_t)n < room)
				break;
		}
	}
	return total;
}
