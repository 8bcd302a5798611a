// SPDX-License-Identifier: GPL-2.0
/*
 * tracefile.c - encode and decode the raw trace file's header, and decode a
 * whole trace file in one linear pass (tracefile.h).
 *
 * Every field is read and written byte-exactly at its offset with
 * memcpy + htoleNN / leNNtoh, as decode.c does for the records, so nothing
 * here depends on the host's byte order or alignment.  Every size and offset
 * read from a file is checked against the bytes actually there before use.
 */
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "crc32c.h"
#include "tracefile.h"

#define FHDR_SIZE ((uint32_t)sizeof(struct memtrace_file_hdr))
#define FCPU_SIZE ((uint32_t)sizeof(struct memtrace_file_cpu))
#define OFF(f) offsetof(struct memtrace_file_hdr, f)
#define COFF(f) offsetof(struct memtrace_file_cpu, f)

static uint16_t get16(const unsigned char *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return le16toh(v);
}

static uint32_t get32(const unsigned char *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return le32toh(v);
}

static uint64_t get64(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return le64toh(v);
}

static void put16(unsigned char *p, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(p + off, &v, sizeof(v));
}

static void put32(unsigned char *p, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(p + off, &v, sizeof(v));
}

static void put64(unsigned char *p, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(p + off, &v, sizeof(v));
}

/* Copy a NUL-padded field of @n bytes into @dst (n + 1 bytes), terminated. */
static void get_str(char *dst, const unsigned char *p, size_t off, size_t n)
{
	memcpy(dst, p + off, n);
	dst[n] = '\0';
}

static void put_str(unsigned char *p, size_t off, size_t n, const char *s)
{
	size_t len = strnlen(s, n);

	memcpy(p + off, s, len);	/* the rest is already zero */
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void mt_tfile_info_now(struct mt_tfile_info *info)
{
	uint64_t best = UINT64_MAX;
	struct utsname u;
	long page;

	memset(info, 0, sizeof(*info));
	info->version = MEMTRACE_FILE_VERSION;
	info->rec_version = MEMTRACE_VERSION;
	info->sample_size = sizeof(struct memtrace_sample);
	info->loss_size = sizeof(struct memtrace_loss);
	page = sysconf(_SC_PAGESIZE);
	info->page_size = page > 0 ? (uint32_t)page : 0;
	info->clock_id = MEMTRACE_FILE_CLOCK_MONOTONIC;
	snprintf(info->clock, sizeof(info->clock), "mono");
	snprintf(info->writer, sizeof(info->writer), "%s %s", MT_PROG,
		 MT_READER_VERSION);
	if (!uname(&u)) {
		snprintf(info->release, sizeof(info->release), "%s", u.release);
		snprintf(info->hostname, sizeof(info->hostname), "%s", u.nodename);
	}
	/* The pair: CLOCK_REALTIME read between two CLOCK_MONOTONIC reads; of
	 * a few tries, the one with the two reads closest together. */
	for (int i = 0; i < 5; i++) {
		uint64_t m0 = clock_ns(CLOCK_MONOTONIC);
		uint64_t r = clock_ns(CLOCK_REALTIME);
		uint64_t m1 = clock_ns(CLOCK_MONOTONIC);

		if (m1 - m0 < best) {
			best = m1 - m0;
			info->start_mono_ns = m0 + (m1 - m0) / 2;
			info->start_real_ns = r;
		}
	}
}

int mt_tfile_info_add_cpu(struct mt_tfile_info *info,
			  const struct mt_tfile_cpu *c)
{
	struct mt_tfile_cpu *n;

	n = realloc(info->cpus, (info->ncpus + 1) * sizeof(*n));
	if (!n)
		return -1;
	info->cpus = n;
	info->cpus[info->ncpus++] = *c;
	return 0;
}

void mt_tfile_info_free(struct mt_tfile_info *info)
{
	free(info->cpus);
	info->cpus = NULL;
	info->ncpus = 0;
}

int mt_tfile_encode(const struct mt_tfile_info *info, unsigned char **out,
		    size_t *len)
{
	size_t size = FHDR_SIZE + info->ncpus * FCPU_SIZE;
	unsigned char *p;

	if (info->ncpus > (MT_TFILE_HDR_MAX - FHDR_SIZE) / FCPU_SIZE) {
		errno = E2BIG;
		return -1;
	}
	p = calloc(1, size);
	if (!p)
		return -1;
	memcpy(p + OFF(magic), MEMTRACE_FILE_MAGIC, MEMTRACE_FILE_MAGIC_LEN);
	put32(p, OFF(byte_order), MEMTRACE_FILE_BYTE_ORDER);
	/* the records after it are in this version's layout (blocks) */
	put16(p, OFF(version), MEMTRACE_FILE_VERSION);
	put16(p, OFF(rec_version), info->rec_version);
	put32(p, OFF(hdr_size), (uint32_t)size);
	put32(p, OFF(flags), info->flags);
	put32(p, OFF(sample_size), info->sample_size);
	put32(p, OFF(loss_size), info->loss_size);
	put32(p, OFF(page_size), info->page_size);
	put32(p, OFF(clock_id), info->clock_id);
	put64(p, OFF(start_mono_ns), info->start_mono_ns);
	put64(p, OFF(start_real_ns), info->start_real_ns);
	put32(p, OFF(cpu_table_off), FHDR_SIZE);
	put32(p, OFF(cpu_count), (uint32_t)info->ncpus);
	put32(p, OFF(cpu_entry_size), FCPU_SIZE);
	put_str(p, OFF(clock), 16, info->clock);
	put_str(p, OFF(release), 72, info->release);
	put_str(p, OFF(hostname), 72, info->hostname);
	put_str(p, OFF(writer), 32, info->writer);
	for (size_t i = 0; i < info->ncpus; i++) {
		unsigned char *e = p + FHDR_SIZE + i * FCPU_SIZE;
		const struct mt_tfile_cpu *c = &info->cpus[i];

		put32(e, COFF(cpu), c->cpu);
		put32(e, COFF(flags), c->flags);
		put64(e, COFF(start_seq), c->start_seq);
		put64(e, COFF(start_dropped), c->start_dropped);
	}
	*out = p;
	*len = size;
	return 0;
}

__attribute__((format(printf, 3, 4)))
static int terr(struct mt_terr *err, uint64_t offset, const char *fmt, ...)
{
	va_list ap;

	err->offset = offset;
	va_start(ap, fmt);
	vsnprintf(err->what, sizeof(err->what), fmt, ap);
	va_end(ap);
	return -1;
}

int mt_tfile_decode(const unsigned char *p, size_t len,
		    struct mt_tfile_info *info, size_t *need,
		    struct mt_terr *err)
{
	size_t m = len < MEMTRACE_FILE_MAGIC_LEN ? len : MEMTRACE_FILE_MAGIC_LEN;
	uint32_t bo, size, off, count, esize;
	uint16_t version;

	/* Magic first, from the first byte on: a wrong file fails at once. */
	if (memcmp(p, MEMTRACE_FILE_MAGIC, m)) {
		/* "MTRC", then a plausible version and type: a record. */
		if (len >= 8 && get32(p, 0) == MEMTRACE_MAGIC &&
		    get16(p, 4) >= 1 && get16(p, 4) < 256 && get16(p, 6) < 256)
			return terr(err, 0, "not a trace file but a raw record stream (a cpuN relay file?): trace files are written by memtrace-reader -w");
		return terr(err, 0, "bad magic: not a memtrace trace file (expected \"%s\")",
			    MEMTRACE_FILE_MAGIC);
	}
	if (len < OFF(byte_order) + 4)
		goto more_fixed;
	bo = get32(p, OFF(byte_order));
	if (bo == 0x04030201u)
		return terr(err, OFF(byte_order), "big-endian trace file: not supported (memtrace writes little-endian)");
	if (bo != MEMTRACE_FILE_BYTE_ORDER)
		return terr(err, OFF(byte_order), "bad byte-order mark 0x%08x (expected 0x%08x)",
			    bo, MEMTRACE_FILE_BYTE_ORDER);
	if (len < OFF(version) + 2)
		goto more_fixed;
	version = get16(p, OFF(version));
	if (version == 0)
		return terr(err, OFF(version), "trace file format version 0 is invalid");
	if (version > MEMTRACE_FILE_VERSION)
		return terr(err, OFF(version), "trace file format version %u is newer than this reader's %u: update memtrace-reader",
			    version, MEMTRACE_FILE_VERSION);
	if (len < OFF(hdr_size) + 4)
		goto more_fixed;
	size = get32(p, OFF(hdr_size));
	if (size < FHDR_SIZE || size % 8 || size > MT_TFILE_HDR_MAX)
		return terr(err, OFF(hdr_size), "impossible file header size %u (%u..%u, a multiple of 8)",
			    size, FHDR_SIZE, MT_TFILE_HDR_MAX);
	if (len < size) {
		*need = size;
		return 1;
	}

	memset(info, 0, sizeof(*info));
	info->version = version;
	info->rec_version = get16(p, OFF(rec_version));
	info->hdr_size = size;
	info->flags = get32(p, OFF(flags));
	info->sample_size = get32(p, OFF(sample_size));
	info->loss_size = get32(p, OFF(loss_size));
	info->page_size = get32(p, OFF(page_size));
	info->clock_id = get32(p, OFF(clock_id));
	info->start_mono_ns = get64(p, OFF(start_mono_ns));
	info->start_real_ns = get64(p, OFF(start_real_ns));
	get_str(info->clock, p, OFF(clock), 16);
	get_str(info->release, p, OFF(release), 72);
	get_str(info->hostname, p, OFF(hostname), 72);
	get_str(info->writer, p, OFF(writer), 32);
	if (info->sample_size < MEMTRACE_SAMPLE_SIZE_MIN ||
	    info->sample_size > MT_REC_SIZE_MAX || info->sample_size % 8)
		return terr(err, OFF(sample_size), "impossible sample record size %u",
			    info->sample_size);
	if (info->loss_size < sizeof(struct memtrace_loss) ||
	    info->loss_size > MT_REC_SIZE_MAX || info->loss_size % 8)
		return terr(err, OFF(loss_size), "impossible loss record size %u",
			    info->loss_size);
	if (info->clock_id != MEMTRACE_FILE_CLOCK_MONOTONIC)
		return terr(err, OFF(clock_id), "clock %u is not supported (only %u, CLOCK_MONOTONIC)",
			    info->clock_id, MEMTRACE_FILE_CLOCK_MONOTONIC);
	off = get32(p, OFF(cpu_table_off));
	count = get32(p, OFF(cpu_count));
	esize = get32(p, OFF(cpu_entry_size));
	if (off < FHDR_SIZE || off % 8)
		return terr(err, OFF(cpu_table_off), "impossible CPU table offset %u", off);
	if (esize < FCPU_SIZE || esize % 8 || esize > MT_REC_SIZE_MAX)
		return terr(err, OFF(cpu_entry_size), "impossible CPU table entry size %u", esize);
	if ((uint64_t)off + (uint64_t)count * esize > size)
		return terr(err, OFF(cpu_count), "CPU table of %u entries of %u bytes at offset %u does not fit in the %u-byte file header",
			    count, esize, off, size);
	if (count) {
		info->cpus = calloc(count, sizeof(*info->cpus));
		if (!info->cpus)
			return terr(err, OFF(cpu_count), "out of memory");
	}
	for (uint32_t i = 0; i < count; i++) {
		const unsigned char *e = p + off + (size_t)i * esize;
		struct mt_tfile_cpu *c = &info->cpus[i];

		c->cpu = get32(e, COFF(cpu));
		c->flags = get32(e, COFF(flags));
		c->start_seq = get64(e, COFF(start_seq));
		c->start_dropped = get64(e, COFF(start_dropped));
	}
	info->ncpus = count;
	return 0;

more_fixed:
	*need = FHDR_SIZE;
	return 1;
}

/* ---- the whole file ------------------------------------------------------ */

int mt_tread_init(struct mt_tread *t, size_t cap)
{
	if (cap < 2 * MT_REC_SIZE_MAX)
		cap = 2 * MT_REC_SIZE_MAX;
	if (cap < FHDR_SIZE)
		cap = FHDR_SIZE;
	t->buf = malloc(cap);
	if (!t->buf)
		return -1;
	t->cap = cap;
	t->pos = t->len = 0;
	t->offset = 0;
	t->have_header = false;
	t->failed = false;
	t->blk_left = t->blk_recs = 0;
	t->blk_off = 0;
	memset(&t->info, 0, sizeof(t->info));
	memset(&t->err, 0, sizeof(t->err));
	return 0;
}

void mt_tread_free(struct mt_tread *t)
{
	free(t->buf);
	t->buf = NULL;
	t->cap = t->len = t->pos = 0;
	mt_tfile_info_free(&t->info);
}

unsigned char *mt_tread_space(struct mt_tread *t, size_t *room)
{
	if (t->pos == t->len) {
		t->pos = t->len = 0;
	} else if (t->pos && t->cap - t->len < MT_REC_SIZE_MAX) {
		memmove(t->buf, t->buf + t->pos, t->len - t->pos);
		t->len -= t->pos;
		t->pos = 0;
	}
	*room = t->cap - t->len;
	return t->buf + t->len;
}

/* Make room for a header of @need bytes at buf[pos].  0, or -1. */
static int grow(struct mt_tread *t, size_t need)
{
	unsigned char *n;

	if (t->pos) {
		memmove(t->buf, t->buf + t->pos, t->len - t->pos);
		t->len -= t->pos;
		t->pos = 0;
	}
	if (need + MT_REC_SIZE_MAX <= t->cap)
		return 0;
	n = realloc(t->buf, need + MT_REC_SIZE_MAX);
	if (!n)
		return -1;
	t->buf = n;
	t->cap = need + MT_REC_SIZE_MAX;
	return 0;
}

static int fail(struct mt_tread *t)
{
	t->failed = true;
	return -1;
}

/*
 * Version 2: the next block, once all of it is in the buffer: its header
 * checked (magic, size, and the count of the block before it), its CRC32C
 * computed over header and records.  Returns 1 (a good block is next:
 * blk_left, blk_recs set, pos after its header), 0 (more bytes needed), or
 * -1 (damage, in t->err, reported at the block header's offset).
 */
static int next_block(struct mt_tread *t)
{
	const size_t hs = sizeof(struct memtrace_file_block);
	const unsigned char *h = t->buf + t->pos;
	size_t avail = t->len - t->pos;
	uint32_t size, stored, crc;

	if (t->blk_recs) {
		terr(&t->err, t->blk_off, "damaged block: its header counts %u more records than it holds",
		     t->blk_recs);
		return fail(t);
	}
	if (avail < hs)
		return 0;
	t->blk_off = t->offset;
	size = get32(h, 4);
	if (get32(h, 0) != MEMTRACE_FILE_BLOCK_MAGIC || !size || size % 8 ||
	    size > MEMTRACE_FILE_BLOCK_MAX) {
		terr(&t->err, t->offset, "damaged block: bad block header (magic 0x%08x, size %u)",
		     get32(h, 0), size);
		return fail(t);
	}
	if (avail < hs + size) {
		if (t->pos + hs + size + MT_REC_SIZE_MAX > t->cap &&
		    grow(t, hs + size)) {
			terr(&t->err, t->offset, "out of memory");
			return fail(t);
		}
		return 0;
	}
	h = t->buf + t->pos;	/* grow() may have moved it */
	stored = get32(h, 12);
	crc = mt_crc32c(mt_crc32c(0, h, 12), h + hs, size);
	if (crc != stored) {
		terr(&t->err, t->offset, "damaged block: CRC32C 0x%08x stored, 0x%08x computed over its %zu bytes: its records are not decoded",
		     stored, crc, hs + size);
		return fail(t);
	}
	t->blk_left = size;
	t->blk_recs = get32(h, 8);
	t->pos += hs;
	t->offset += hs;
	return 1;
}

int mt_tread_added(struct mt_tread *t, size_t n)
{
	struct mt_record rec;
	uint32_t size;
	int ret;

	t->len += n;
	if (t->failed)
		return -1;
	if (!t->have_header) {
		size_t need = 0;

		ret = mt_tfile_decode(t->buf + t->pos, t->len - t->pos, &t->info,
				      &need, &t->err);
		if (ret < 0) {
			mt_tfile_info_free(&t->info);
			return fail(t);
		}
		if (ret > 0) {
			if (t->pos + need + MT_REC_SIZE_MAX > t->cap &&
			    grow(t, need)) {
				terr(&t->err, 0, "out of memory");
				return fail(t);
			}
			return 0;
		}
		t->have_header = true;
		t->pos += t->info.hdr_size;
		t->offset += t->info.hdr_size;
		if (t->on_header) {
			ret = t->on_header(t->ctx, &t->info);
			if (ret) {
				t->failed = true;
				return ret;
			}
		}
	}
	for (;;) {
		size_t avail = t->len - t->pos;
		enum mt_status st;

		if (t->info.version >= 2) {
			if (!t->blk_left) {
				ret = next_block(t);
				if (ret <= 0)
					return ret;
			}
			if (avail > t->blk_left)
				avail = t->blk_left;
		}
		st = mt_decode(t->buf + t->pos, avail, &rec, &size);
		if (st == MT_NEED_MORE && t->info.version >= 2) {
			/* the whole block is in the buffer: a record crosses its end */
			terr(&t->err, t->blk_off, "damaged block: a record crosses its end");
			return fail(t);
		}
		if (st == MT_NEED_MORE)
			return 0;
		if (mt_status_is_record(st)) {
			if (t->on_record) {
				ret = t->on_record(t->ctx, st, &rec, t->buf + t->pos,
						   size, t->offset);
				if (ret) {
					t->failed = true;
					return ret;
				}
			}
			t->pos += size;
			t->offset += size;
			if (t->info.version >= 2) {
				t->blk_left -= size;
				t->blk_recs--;
			}
			continue;
		} else {
			struct mt_bad bad = { .status = st, .offset = t->offset,
					      .hdr = rec.hdr };
			char why[160];

			mt_bad_describe(&bad, why, sizeof(why));
			if (st == MT_BAD_VERSION && rec.hdr.version > MEMTRACE_VERSION)
				terr(&t->err, t->offset, "%s: update memtrace-reader", why);
			else
				terr(&t->err, t->offset, "%s", why);
			return fail(t);
		}
	}
}

int mt_tread_finish(struct mt_tread *t)
{
	size_t left = t->len - t->pos;

	if (t->failed)
		return -1;
	if (!t->have_header) {
		if (!left)
			terr(&t->err, 0, "empty file: not a memtrace trace file");
		else
			terr(&t->err, left, "truncated file: it ends inside the file header, after %zu bytes",
			     left);
		return fail(t);
	}
	if (t->info.version >= 2 && (left || t->blk_recs)) {
		if (!left && t->blk_recs)
			terr(&t->err, t->blk_off, "damaged block: its header counts %u more records than it holds",
			     t->blk_recs);
		else if (left < sizeof(struct memtrace_file_block))
			terr(&t->err, t->offset, "truncated block: the file ends after %zu bytes of a block header",
			     left);
		else
			terr(&t->err, t->offset, "truncated block: the file ends after %zu of its %zu bytes",
			     left, sizeof(struct memtrace_file_block) +
				     get32(t->buf + t->pos, 4));
		return fail(t);
	}
	if (left) {
		struct mt_record rec;
		uint32_t size = 0;

		mt_decode(t->buf + t->pos, left, &rec, &size);
		terr(&t->err, t->offset, "truncated record: the file ends after %zu of its %u bytes",
		     left, size);
		return fail(t);
	}
	return 0;
}
