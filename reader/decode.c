// SPDX-License-Identifier: GPL-2.0
/*
 * decode.c - validate and decode memtrace records; follow a CPU's stream.
 *
 * Integers are read byte-exactly from the little-endian layout of
 * include/uapi/memtrace.h with memcpy + leNNtoh, so the buffer needs no
 * alignment and the code is right on any host byte order.
 */
#include <endian.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"

#define HDR_SIZE ((uint32_t)sizeof(struct memtrace_rec_hdr))
#define LOSS_SIZE ((uint32_t)sizeof(struct memtrace_loss))
#define SYSTEM_SIZE ((uint32_t)sizeof(struct memtrace_system))
#define CGROUP_SIZE ((uint32_t)sizeof(struct memtrace_cgroup))

const char *const mt_cgroup_names[MEMTRACE_CGROUP_FIGURES] = {
	"memory_current_kb", "memory_swap_current_kb", "anon_kb", "file_kb",
	"shmem_kb", "workingset_refault_anon", "workingset_refault_file",
	"memory_high_events", "memory_max_events", "oom_kill",
	"psi_memory_some_us", "psi_memory_full_us",
};

const char *const mt_system_names[MEMTRACE_SYSTEM_FIGURES] = {
	"memtotal_kb", "memfree_kb", "memavailable_kb", "buffers_kb",
	"cached_kb", "shmem_kb", "swaptotal_kb", "swapfree_kb",
	"committed_as_kb", "commitlimit_kb", "anonpages_kb", "slab_kb",
	"pgfault", "pgmajfault", "pswpin", "pswpout", "pgscan_kswapd",
	"pgscan_direct", "pgsteal_kswapd", "pgsteal_direct", "allocstall",
	"compact_stall", "oom_kill", "workingset_refault_anon",
	"workingset_refault_file", "workingset_activate_anon",
	"workingset_activate_file", "thp_fault_alloc",
	"cpu_user_ns", "cpu_nice_ns", "cpu_system_ns", "cpu_idle_ns",
	"cpu_iowait_ns", "cpu_irq_ns", "cpu_softirq_ns", "cpu_steal_ns",
	"psi_memory_some_us", "psi_memory_full_us", "psi_io_some_us",
	"psi_io_full_us", "psi_cpu_some_us",
	"free_order0", "free_order1", "free_order2", "free_order3",
	"free_order4", "free_order5", "free_order6", "free_order7",
	"free_order8", "free_order9", "free_order10",
};
_Static_assert(MT_SYS_IDX(psi_cpu_some_us) == 40 &&
	       MT_SYS_IDX(free_order) == 41 &&
	       MEMTRACE_SYSTEM_ORDERS == 11,
	       "mt_system_names follows struct memtrace_system");

static inline uint16_t get16(const unsigned char *p, size_t off)
{
	uint16_t v;

	memcpy(&v, p + off, sizeof(v));
	return le16toh(v);
}

static inline uint32_t get32(const unsigned char *p, size_t off)
{
	uint32_t v;

	memcpy(&v, p + off, sizeof(v));
	return le32toh(v);
}

static inline uint64_t get64(const unsigned char *p, size_t off)
{
	uint64_t v;

	memcpy(&v, p + off, sizeof(v));
	return le64toh(v);
}

#define HDR_GET(p, f, bits) \
	get##bits(p, offsetof(struct memtrace_rec_hdr, f))
#define SAMPLE_GET(p, f, bits) \
	get##bits(p, offsetof(struct memtrace_sample, f))
#define LOSS_GET(p, f, bits) \
	get##bits(p, offsetof(struct memtrace_loss, f))
#define SYS_GET(p, f, bits) \
	get##bits(p, offsetof(struct memtrace_system, f))

static inline void put16(unsigned char *p, size_t off, uint16_t v)
{
	v = htole16(v);
	memcpy(p + off, &v, sizeof(v));
}

static inline void put32(unsigned char *p, size_t off, uint32_t v)
{
	v = htole32(v);
	memcpy(p + off, &v, sizeof(v));
}

static inline void put64(unsigned char *p, size_t off, uint64_t v)
{
	v = htole64(v);
	memcpy(p + off, &v, sizeof(v));
}

static void decode_hdr(const unsigned char *p, struct mt_hdr *h)
{
	h->magic = HDR_GET(p, magic, 32);
	h->version = HDR_GET(p, version, 16);
	h->type = HDR_GET(p, type, 16);
	h->size = HDR_GET(p, size, 32);
	h->cpu = HDR_GET(p, cpu, 32);
	h->seq = HDR_GET(p, seq, 64);
	h->ts_ns = HDR_GET(p, ts_ns, 64);
}

static void decode_sample(const unsigned char *p, struct mt_record *r)
{
	const char *comm = (const char *)p + offsetof(struct memtrace_sample, comm);
	const char *nul;

	r->tick = SAMPLE_GET(p, tick, 64);
	r->tgid = SAMPLE_GET(p, tgid, 32);
	r->flags = SAMPLE_GET(p, flags, 32);
	memcpy(r->comm, comm, MEMTRACE_COMM_LEN);
	nul = memchr(comm, '\0', MEMTRACE_COMM_LEN);
	r->comm_len = nul ? (uint32_t)(nul - comm) : MEMTRACE_COMM_LEN;
	r->vsz_kb = SAMPLE_GET(p, vsz_kb, 64);
	r->rss_anon_kb = SAMPLE_GET(p, rss_anon_kb, 64);
	r->rss_file_kb = SAMPLE_GET(p, rss_file_kb, 64);
	r->rss_shmem_kb = SAMPLE_GET(p, rss_shmem_kb, 64);
	r->swap_kb = SAMPLE_GET(p, swap_kb, 64);
	r->hwm_kb = SAMPLE_GET(p, hwm_kb, 64);
	r->minflt = SAMPLE_GET(p, minflt, 64);
	r->majflt = SAMPLE_GET(p, majflt, 64);
	r->utime_ns = SAMPLE_GET(p, utime_ns, 64);
	r->stime_ns = SAMPLE_GET(p, stime_ns, 64);
	r->wss_kb = SAMPLE_GET(p, wss_kb, 64);
	r->wss_window_ns = SAMPLE_GET(p, wss_window_ns, 64);
	/* appended: a record is at least MEMTRACE_SAMPLE_SIZE_MIN bytes */
	if (r->hdr.size >= offsetof(struct memtrace_sample, ticks_missed) + 8)
		r->ticks_missed = SAMPLE_GET(p, ticks_missed, 64);
	else
		r->ticks_missed = MT_TICKS_MISSED_UNKNOWN;
	if (r->hdr.size >= offsetof(struct memtrace_sample, cgroup_id) + 8) {
		r->thrashing_delay_ns = SAMPLE_GET(p, thrashing_delay_ns, 64);
		r->swapin_delay_ns = SAMPLE_GET(p, swapin_delay_ns, 64);
		r->reclaim_delay_ns = SAMPLE_GET(p, reclaim_delay_ns, 64);
		r->compact_delay_ns = SAMPLE_GET(p, compact_delay_ns, 64);
		r->cgroup_id = SAMPLE_GET(p, cgroup_id, 64);
	} else {
		r->flags &= ~MEMTRACE_SAMPLE_DELAYS_VALID;
		r->thrashing_delay_ns = r->swapin_delay_ns = 0;
		r->reclaim_delay_ns = r->compact_delay_ns = 0;
		r->cgroup_id = 0;
	}
	if (r->hdr.size >= offsetof(struct memtrace_sample, pss_window_ns) + 8) {
		r->pss_kb = SAMPLE_GET(p, pss_kb, 64);
		r->pss_anon_kb = SAMPLE_GET(p, pss_anon_kb, 64);
		r->pss_file_kb = SAMPLE_GET(p, pss_file_kb, 64);
		r->pss_shmem_kb = SAMPLE_GET(p, pss_shmem_kb, 64);
		r->uss_kb = SAMPLE_GET(p, uss_kb, 64);
		r->swap_pss_kb = SAMPLE_GET(p, swap_pss_kb, 64);
		r->pss_window_ns = SAMPLE_GET(p, pss_window_ns, 64);
	} else {
		r->flags &= ~MEMTRACE_SAMPLE_PSS_VALID;
		r->pss_kb = r->pss_anon_kb = r->pss_file_kb = 0;
		r->pss_shmem_kb = r->uss_kb = r->pss_window_ns = 0;
		r->swap_pss_kb = MEMTRACE_UNKNOWN;
	}
	if (r->hdr.size >= offsetof(struct memtrace_sample, idle_s) +
			   sizeof(((struct memtrace_sample *)0)->idle_s)) {
		size_t kb = offsetof(struct memtrace_sample, idle_kb);
		size_t s = offsetof(struct memtrace_sample, idle_s);

		for (size_t i = 0; i < MEMTRACE_IDLE_AGES; i++) {
			r->idle_kb[i] = get64(p, kb + 8 * i);
			r->idle_s[i] = get32(p, s + 4 * i);
		}
	} else {
		r->flags &= ~MEMTRACE_SAMPLE_IDLE_VALID;
		memset(r->idle_kb, 0, sizeof(r->idle_kb));
		memset(r->idle_s, 0, sizeof(r->idle_s));
	}
}

static void decode_system(const unsigned char *p, struct mt_record *r)
{
	struct mt_sysinfo *y = &r->sys;
	size_t off = offsetof(struct memtrace_system, memtotal_kb);

	y->tick = SYS_GET(p, tick, 64);
	y->flags = SYS_GET(p, flags, 32);
	y->nr_cpus = SYS_GET(p, nr_cpus, 32);
	y->ticks_missed = SYS_GET(p, ticks_missed, 64);
	for (size_t i = 0; i < MEMTRACE_SYSTEM_FIGURES; i++)
		y->v[i] = get64(p, off + 8 * i);
}

#define CG_GET(p, f, bits) \
	get##bits(p, offsetof(struct memtrace_cgroup, f))

static void decode_cgroup(const unsigned char *p, struct mt_record *r)
{
	struct mt_cginfo *c = &r->cg;
	size_t off = offsetof(struct memtrace_cgroup, memory_current_kb);

	c->tick = CG_GET(p, tick, 64);
	c->cgroup_id = CG_GET(p, cgroup_id, 64);
	c->flags = CG_GET(p, flags, 32);
	c->path_len = CG_GET(p, path_len, 32);
	for (size_t i = 0; i < MEMTRACE_CGROUP_FIGURES; i++)
		c->v[i] = get64(p, off + 8 * i);
	c->path = (const char *)p + CGROUP_SIZE;
}

size_t mt_encode_cgroup(void *dst, const struct mt_hdr *h,
			const struct mt_cginfo *c)
{
	uint32_t plen = c->path_len > MEMTRACE_CGROUP_PATH_MAX ?
				MEMTRACE_CGROUP_PATH_MAX : c->path_len;
	uint32_t size = (CGROUP_SIZE + plen + 7) & ~7u;
	size_t off = offsetof(struct memtrace_cgroup, memory_current_kb);
	unsigned char *p = dst;

	memset(p, 0, size);
	put32(p, offsetof(struct memtrace_rec_hdr, magic), MEMTRACE_MAGIC);
	put16(p, offsetof(struct memtrace_rec_hdr, version), MEMTRACE_VERSION);
	put16(p, offsetof(struct memtrace_rec_hdr, type), MEMTRACE_REC_CGROUP);
	put32(p, offsetof(struct memtrace_rec_hdr, size), size);
	put32(p, offsetof(struct memtrace_rec_hdr, cpu), h->cpu);
	put64(p, offsetof(struct memtrace_rec_hdr, seq), h->seq);
	put64(p, offsetof(struct memtrace_rec_hdr, ts_ns), h->ts_ns);
	put64(p, offsetof(struct memtrace_cgroup, tick), c->tick);
	put64(p, offsetof(struct memtrace_cgroup, cgroup_id), c->cgroup_id);
	put32(p, offsetof(struct memtrace_cgroup, flags),
	      c->flags | (plen < c->path_len ? MEMTRACE_CGROUP_F_TRUNCATED : 0));
	put32(p, offsetof(struct memtrace_cgroup, path_len), plen);
	for (size_t i = 0; i < MEMTRACE_CGROUP_FIGURES; i++)
		put64(p, off + 8 * i, c->v[i]);
	memcpy(p + CGROUP_SIZE, c->path, plen);
	return size;
}

static void decode_loss(const unsigned char *p, struct mt_record *r)
{
	struct mt_lossinfo *l = &r->loss;

	l->lost = LOSS_GET(p, lost, 64);
	l->lost_total = LOSS_GET(p, lost_total, 64);
	l->first_seq = LOSS_GET(p, first_seq, 64);
	l->first_ts_ns = LOSS_GET(p, first_ts_ns, 64);
	l->last_ts_ns = LOSS_GET(p, last_ts_ns, 64);
	l->flags = LOSS_GET(p, flags, 32);
}

void mt_encode_loss(void *dst, const struct mt_hdr *h,
		    const struct mt_lossinfo *l)
{
	unsigned char *p = dst;

#define HPUT(f, bits, v) put##bits(p, offsetof(struct memtrace_rec_hdr, f), (v))
#define LPUT(f, bits, v) put##bits(p, offsetof(struct memtrace_loss, f), (v))
	memset(p, 0, LOSS_SIZE);
	HPUT(magic, 32, MEMTRACE_MAGIC);
	HPUT(version, 16, h->version);
	HPUT(type, 16, MEMTRACE_REC_LOSS);
	HPUT(size, 32, LOSS_SIZE);
	HPUT(cpu, 32, h->cpu);
	HPUT(seq, 64, h->seq);
	HPUT(ts_ns, 64, h->ts_ns);
	LPUT(lost, 64, l->lost);
	LPUT(lost_total, 64, l->lost_total);
	LPUT(first_seq, 64, l->first_seq);
	LPUT(first_ts_ns, 64, l->first_ts_ns);
	LPUT(last_ts_ns, 64, l->last_ts_ns);
	LPUT(flags, 32, l->flags);
#undef HPUT
#undef LPUT
}

static enum mt_status decode(const void *buf, size_t len,
			     struct mt_record *rec, uint32_t *size, bool body);

enum mt_status mt_decode(const void *buf, size_t len, struct mt_record *rec,
			 uint32_t *size)
{
	return decode(buf, len, rec, size, true);
}

enum mt_status mt_decode_hdr(const void *buf, size_t len,
			     struct mt_record *rec, uint32_t *size)
{
	return decode(buf, len, rec, size, false);
}

void mt_decode_valid(const void *buf, enum mt_status st, struct mt_record *rec)
{
	decode_hdr(buf, &rec->hdr);
	if (st == MT_OK)
		decode_sample(buf, rec);
	else if (st == MT_LOSS)
		decode_loss(buf, rec);
	else if (st == MT_SYSTEM)
		decode_system(buf, rec);
	else if (st == MT_CGROUP)
		decode_cgroup(buf, rec);
}

static enum mt_status decode(const void *buf, size_t len,
			     struct mt_record *rec, uint32_t *size, bool body)
{
	const unsigned char *p = buf;
	struct mt_hdr *h = &rec->hdr;

	if (len < HDR_SIZE) {
		/* Say "bad magic" as early as possible: the first 4 bytes. */
		if (len >= 4 && get32(p, 0) != MEMTRACE_MAGIC) {
			memset(h, 0, sizeof(*h));
			h->magic = get32(p, 0);
			return MT_BAD_MAGIC;
		}
		*size = HDR_SIZE;
		return MT_NEED_MORE;
	}
	decode_hdr(p, h);
	if (h->magic != MEMTRACE_MAGIC)
		return MT_BAD_MAGIC;
	if (h->version == 0 || h->version > MEMTRACE_VERSION)
		return MT_BAD_VERSION;
	if (h->size < HDR_SIZE || h->size % 8 || h->size > MT_REC_SIZE_MAX)
		return MT_BAD_SIZE;
	if (h->type == MEMTRACE_REC_SAMPLE && h->size < MEMTRACE_SAMPLE_SIZE_MIN)
		return MT_BAD_SIZE;
	if (h->type == MEMTRACE_REC_LOSS && h->size < LOSS_SIZE)
		return MT_BAD_SIZE;
	if (h->type == MEMTRACE_REC_SYSTEM && h->size < SYSTEM_SIZE)
		return MT_BAD_SIZE;
	if (h->type == MEMTRACE_REC_CGROUP && h->size < CGROUP_SIZE)
		return MT_BAD_SIZE;
	*size = h->size;
	if (len < h->size)
		return MT_NEED_MORE;
	switch (h->type) {
	case MEMTRACE_REC_SAMPLE:
		if (body)
			decode_sample(p, rec);
		return MT_OK;
	case MEMTRACE_REC_LOSS:
		if (body)
			decode_loss(p, rec);
		return MT_LOSS;
	case MEMTRACE_REC_SYSTEM:
		if (body)
			decode_system(p, rec);
		return MT_SYSTEM;
	case MEMTRACE_REC_CGROUP:
		/* the path must lie within the record */
		if (get32(p, offsetof(struct memtrace_cgroup, path_len)) >
		    h->size - CGROUP_SIZE)
			return MT_BAD_SIZE;
		if (body)
			decode_cgroup(p, rec);
		return MT_CGROUP;
	default:
		return MT_SKIP;
	}
}

const char *mt_status_str(enum mt_status st)
{
	switch (st) {
	case MT_OK:
		return "ok";
	case MT_LOSS:
		return "loss record";
	case MT_SKIP:
		return "record of an unknown type";
	case MT_SYSTEM:
		return "system record";
	case MT_CGROUP:
		return "cgroup record";
	case MT_NEED_MORE:
		return "incomplete record";
	case MT_BAD_MAGIC:
		return "bad magic";
	case MT_BAD_VERSION:
		return "unsupported record format version";
	case MT_BAD_SIZE:
		return "impossible record size";
	case MT_BAD_CPU:
		return "record of another CPU";
	}
	return "unknown status";
}

int mt_bad_describe(const struct mt_bad *bad, char *buf, size_t len)
{
	const struct mt_hdr *h = &bad->hdr;

	switch (bad->status) {
	case MT_BAD_MAGIC:
		return snprintf(buf, len, "bad magic 0x%08x (expected 0x%08x)",
				h->magic, MEMTRACE_MAGIC);
	case MT_BAD_VERSION:
		if (h->version == 0)
			return snprintf(buf, len, "record format version 0 is invalid");
		return snprintf(buf, len,
				"record format version %u is newer than this reader's %u",
				h->version, MEMTRACE_VERSION);
	case MT_BAD_SIZE:
		return snprintf(buf, len,
				"impossible size %u for a record of type %u",
				h->size, h->type);
	case MT_BAD_CPU:
		return snprintf(buf, len, "record says cpu %u", h->cpu);
	default:
		return snprintf(buf, len, "%s", mt_status_str(bad->status));
	}
}

int mt_stream_init(struct mt_stream *s, unsigned int cpu, size_t cap)
{
	memset(s, 0, sizeof(*s));
	if (cap < 2 * MT_REC_SIZE_MAX)
		cap = 2 * MT_REC_SIZE_MAX;
	s->buf = malloc(cap);
	if (!s->buf)
		return -1;
	s->cap = cap;
	s->cpu = cpu;
	return 0;
}

void mt_stream_free(struct mt_stream *s)
{
	free(s->buf);
	s->buf = NULL;
	s->cap = s->len = s->pos = 0;
}

unsigned char *mt_stream_space(struct mt_stream *s, size_t *room)
{
	if (s->pos == s->len) {
		s->pos = s->len = 0;
	} else if (s->pos && s->cap - s->len < MT_REC_SIZE_MAX) {
		/* At most one incomplete record (< MT_REC_SIZE_MAX) moves. */
		memmove(s->buf, s->buf + s->pos, s->len - s->pos);
		s->len -= s->pos;
		s->pos = 0;
	}
	*room = s->cap - s->len;
	return s->buf + s->len;
}

void mt_stream_added(struct mt_stream *s, size_t n)
{
	s->len += n;
}

size_t mt_stream_pending(const struct mt_stream *s)
{
	return s->len - s->pos;
}

/*
 * Skip the bad record at buf[pos]: move to the next 8-byte aligned position
 * (records are multiples of 8 bytes back to back, so every record starts at
 * a multiple of 8 from the stream's start) that holds MEMTRACE_MAGIC, or,
 * when none is buffered, past every buffered aligned position.
 */
static uint64_t resync(struct mt_stream *s)
{
	size_t p = s->pos + 8;
	uint64_t skipped;

	for (; p + 4 <= s->len; p += 8)
		if (get32(s->buf, p) == MEMTRACE_MAGIC)
			break;
	skipped = p - s->pos;
	s->offset += skipped;
	s->bad++;
	s->bad_bytes += skipped;
	if (p > s->len) {
		/* The rest of this 8-byte unit has not been read yet. */
		s->discard = p - s->len;
		p = s->len;
	}
	s->pos = p;
	return skipped;
}

enum mt_status mt_stream_next(struct mt_stream *s, struct mt_record *rec,
			      struct mt_bad *bad)
{
	enum mt_status st;
	uint32_t size;

	if (s->discard) {
		size_t n = s->len - s->pos;

		if (n > s->discard)
			n = s->discard;
		s->pos += n;
		s->discard -= n;
		if (s->discard)
			return MT_NEED_MORE;
	}
	if (s->hdr_only)
		st = mt_decode_hdr(s->buf + s->pos, s->len - s->pos, rec, &size);
	else
		st = mt_decode(s->buf + s->pos, s->len - s->pos, rec, &size);
	if (st == MT_NEED_MORE)
		return st;
	if (mt_status_is_record(st) && rec->hdr.cpu != s->cpu)
		st = MT_BAD_CPU;
	if (mt_status_is_record(st)) {
		s->raw = s->buf + s->pos;
		s->raw_len = size;
		s->pos += size;
		s->offset += size;
		if (st == MT_OK)
			s->records++;
		else if (st == MT_LOSS)
			s->losses++;
		else if (st == MT_SYSTEM)
			s->systems++;
		else if (st == MT_CGROUP)
			s->cgroups++;
		else
			s->skipped++;
		return st;
	}
	bad->status = st;
	bad->offset = s->offset;
	bad->hdr = rec->hdr;
	bad->skipped = resync(s);
	return st;
}
