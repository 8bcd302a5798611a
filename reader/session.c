// SPDX-License-Identifier: GPL-2.0
/*
 * session.c - per-CPU sequence and loss accounting, CSV and raw output,
 * status line and summary, shared by live mode and -i (session.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "msg.h"
#include "crc32c.h"
#include "session.h"

/* ---- u64 set ---------------------------------------------------------- */

static size_t u64_hash(uint64_t v, size_t mask)
{
	return (size_t)((v * 0x9e3779b97f4a7c15ull) >> 20) & mask;
}

int mt_u64set_add(struct mt_u64set *set, uint64_t v)
{
	size_t i, mask;

	if (!v) {
		set->has_zero = true;
		return 0;
	}
	if (2 * (set->n + 1) > set->cap) {
		size_t ncap = set->cap ? 2 * set->cap : 1024;
		uint64_t *ns = calloc(ncap, sizeof(*ns));

		if (!ns)
			return -1;
		for (size_t j = 0; j < set->cap; j++) {
			uint64_t k = set->slot[j];

			if (!k)
				continue;
			for (i = u64_hash(k, ncap - 1); ns[i]; i = (i + 1) & (ncap - 1))
				;
			ns[i] = k;
		}
		free(set->slot);
		set->slot = ns;
		set->cap = ncap;
	}
	mask = set->cap - 1;
	for (i = u64_hash(v, mask); set->slot[i]; i = (i + 1) & mask)
		if (set->slot[i] == v)
			return 0;
	set->slot[i] = v;
	set->n++;
	return 0;
}

size_t mt_u64set_count(const struct mt_u64set *set)
{
	return set->n + set->has_zero;
}

void mt_u64set_free(struct mt_u64set *set)
{
	free(set->slot);
	memset(set, 0, sizeof(*set));
}

/* ---- CPUs --------------------------------------------------------------- */

void mt_sess_init(struct mt_sess *s, struct mt_out *csv, struct mt_out *raw,
		  bool realtime)
{
	memset(s, 0, sizeof(*s));
	s->csv = csv;
	s->raw = raw;
	s->realtime = realtime;
}

void mt_sess_set_system(struct mt_sess *s, struct mt_out *sys)
{
	s->sys = sys;
}

void mt_sess_set_cgroups(struct mt_sess *s, struct mt_out *cg)
{
	s->cg = cg;
}

void mt_sess_free(struct mt_sess *s)
{
	free(s->blk);
	s->blk = NULL;
	s->blk_len = s->blk_recs = s->blk_mod = 0;
	for (size_t i = 0; i < s->tab_cap; i++)
		free(s->tab[i]);
	free(s->tab);
	s->tab = NULL;
	s->tab_cap = s->ncpus = 0;
	memset(s->hot, 0, sizeof(s->hot));
	mt_u64set_free(&s->tgids);
	mt_u64set_free(&s->ticks);
	s->tick_added = false;
	s->missed_seen = false;
	s->missed_lo = s->missed_hi = s->missed_rises = 0;
}

static struct mt_cpu_acct **slot_of(struct mt_cpu_acct **tab, size_t cap,
				    uint32_t cpu)
{
	size_t mask = cap - 1, i = u64_hash((uint64_t)cpu + 1, mask);

	while (tab[i] && tab[i]->cpu != cpu)
		i = (i + 1) & mask;
	return &tab[i];
}

/* The accounting of @cpu, created on first use.  NULL: s->err / errno. */
static struct mt_cpu_acct *cpu_acct(struct mt_sess *s, uint32_t cpu)
{
	struct mt_cpu_acct **slot, *a, **hot = &s->hot[cpu % MT_HOT_CPUS];

	if (*hot && (*hot)->cpu == cpu)
		return *hot;
	if (s->tab_cap) {
		slot = slot_of(s->tab, s->tab_cap, cpu);
		if (*slot)
			return *hot = *slot;
	}
	if (s->ncpus >= MT_CPUS_MAX) {
		errno = E2BIG;
		return NULL;
	}
	if (2 * (s->ncpus + 1) > s->tab_cap) {
		size_t ncap = s->tab_cap ? 2 * s->tab_cap : 64;
		struct mt_cpu_acct **nt = calloc(ncap, sizeof(*nt));

		if (!nt)
			return NULL;
		for (size_t j = 0; j < s->tab_cap; j++)
			if (s->tab[j])
				*slot_of(nt, ncap, s->tab[j]->cpu) = s->tab[j];
		free(s->tab);
		s->tab = nt;
		s->tab_cap = ncap;
	}
	a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->cpu = cpu;
	if (s->info_flags & MEMTRACE_FILE_F_CPUS_COMPLETE) {
		/* Not in a complete table: nothing happened on it before. */
		a->seq_known = true;
		a->start_dropped_known = true;
	}
	*slot_of(s->tab, s->tab_cap, cpu) = a;
	s->ncpus++;
	return *hot = a;
}

static int acct_error(void)
{
	if (errno == E2BIG)
		return MT_SESS_ECPUS;
	mt_msg("out of memory");
	return MT_SESS_ENOMEM;
}

static int cmp_acct(const void *x, const void *y)
{
	const struct mt_cpu_acct *a = *(struct mt_cpu_acct *const *)x;
	const struct mt_cpu_acct *b = *(struct mt_cpu_acct *const *)y;

	return (a->cpu > b->cpu) - (a->cpu < b->cpu);
}

/* The CPUs, ascending (malloc'ed array of ncpus; NULL when none). */
static struct mt_cpu_acct **sorted(struct mt_sess *s)
{
	struct mt_cpu_acct **v;
	size_t n = 0;

	if (!s->ncpus)
		return NULL;
	v = malloc(s->ncpus * sizeof(*v));
	if (!v)
		return NULL;
	for (size_t i = 0; i < s->tab_cap; i++)
		if (s->tab[i])
			v[n++] = s->tab[i];
	qsort(v, n, sizeof(*v), cmp_acct);
	return v;
}

int mt_sess_cpus(struct mt_sess *s, uint32_t **cpus, size_t *n)
{
	struct mt_cpu_acct **v = sorted(s);

	*n = 0;
	*cpus = NULL;
	if (!s->ncpus)
		return 0;
	*cpus = malloc(s->ncpus * sizeof(**cpus));
	if (!v || !*cpus) {
		free(v);
		free(*cpus);
		*cpus = NULL;
		mt_msg("out of memory");
		return MT_SESS_ENOMEM;
	}
	for (size_t i = 0; i < s->ncpus; i++)
		(*cpus)[i] = v[i]->cpu;
	*n = s->ncpus;
	free(v);
	return 0;
}

/* ---- sinks ---------------------------------------------------------------- */

int mt_sess_add_sink(struct mt_sess *s, struct mt_sink *k)
{
	if (s->nsinks == MT_SINKS_MAX)
		return -1;
	k->failed = false;
	s->sinks[s->nsinks++] = k;
	return 0;
}

/* A sink's callback returned nonzero: call it no more. */
static void sink_fail(struct mt_sess *s, struct mt_sink *k)
{
	k->failed = true;
	s->sink_failed = true;
}

static void sinks_begin(struct mt_sess *s)
{
	s->sinks_begun = true;
	for (size_t i = 0; i < s->nsinks; i++) {
		struct mt_sink *k = s->sinks[i];

		if (!k->failed && k->begin && k->begin(k->ctx, s))
			sink_fail(s, k);
	}
}

static void sinks_record(struct mt_sess *s, enum mt_status st,
			 const struct mt_record *rec)
{
	for (size_t i = 0; i < s->nsinks; i++) {
		struct mt_sink *k = s->sinks[i];

		if (!k->failed && k->record && k->record(k->ctx, s, st, rec))
			sink_fail(s, k);
	}
}

static void sinks_loss(struct mt_sess *s, uint32_t cpu, const struct mt_run *run)
{
	for (size_t i = 0; i < s->nsinks; i++) {
		struct mt_sink *k = s->sinks[i];

		if (!k->failed && k->loss && k->loss(k->ctx, s, cpu, run))
			sink_fail(s, k);
	}
}

int mt_sess_end_sinks(struct mt_sess *s)
{
	/* not after a failed start: a sink that never began has nothing */
	if (!s->sinks_ended && s->sinks_begun) {
		s->sinks_ended = true;
		for (size_t i = 0; i < s->nsinks; i++) {
			struct mt_sink *k = s->sinks[i];

			if (!k->failed && k->end && k->end(k->ctx, s))
				sink_fail(s, k);
		}
	}
	return s->sink_failed ? -1 : 0;
}

/* ---- start ---------------------------------------------------------------- */

int mt_sess_begin(struct mt_sess *s, const struct mt_tfile_info *info)
{
	s->start_mono_ns = info->start_mono_ns;
	s->start_real_ns = info->start_real_ns;
	s->info_flags = info->flags;
	s->begun = true;
	for (size_t i = 0; i < info->ncpus; i++) {
		const struct mt_tfile_cpu *c = &info->cpus[i];
		struct mt_cpu_acct *a = cpu_acct(s, c->cpu);

		if (!a)
			return acct_error();
		if (c->flags & MEMTRACE_FILE_CPU_F_SEQ) {
			a->seq_known = true;
			a->next_seq = c->start_seq;
		}
		if (c->flags & MEMTRACE_FILE_CPU_F_DROPPED) {
			a->start_dropped_known = true;
			a->start_dropped = c->start_dropped;
		}
	}
	if (s->csv) {
		const char *h = mt_csv_head(s->realtime);

		if (mt_out_write(s->csv, h, strlen(h))) {
			mt_out_report(s->csv);
			return MT_SESS_EOUT;
		}
	}
	if (s->sys && mt_out_sys_header(s->sys, s->realtime)) {
		mt_out_report(s->sys);
		return MT_SESS_EOUT;
	}
	if (s->cg && mt_out_cg_header(s->cg, s->realtime)) {
		mt_out_report(s->cg);
		return MT_SESS_EOUT;
	}
	if (s->raw) {
		unsigned char *hdr;
		size_t len;
		int err;

		if (mt_tfile_encode(info, &hdr, &len)) {
			mt_msg("encoding the trace file header: %s", strerror(errno));
			return MT_SESS_ENOMEM;
		}
		err = mt_out_write(s->raw, hdr, len);
		free(hdr);
		if (err) {
			mt_out_report(s->raw);
			return MT_SESS_EOUT;
		}
		s->blk = malloc(sizeof(struct memtrace_file_block) +
				MT_BLOCK_TARGET + MT_REC_SIZE_MAX);
		if (!s->blk) {
			mt_msg("out of memory");
			return MT_SESS_ENOMEM;
		}
	}
	sinks_begin(s);
	return MT_SESS_OK;
}

/* ---- the raw output's blocks ------------------------------------------- */

static void put_le32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

int mt_sess_flush(struct mt_sess *s)
{
	const size_t hs = sizeof(struct memtrace_file_block);
	unsigned char *h = s->blk;
	uint32_t crc;
	int err;

	if (!s->raw || !s->blk_len)
		return MT_SESS_OK;
	put_le32(h, MEMTRACE_FILE_BLOCK_MAGIC);
	put_le32(h + 4, (uint32_t)s->blk_len);
	put_le32(h + 8, s->blk_recs);
	crc = mt_crc32c(0, h, 12);
	put_le32(h + 12, mt_crc32c(crc, h + hs, s->blk_len));
	err = mt_out_write(s->raw, h, hs + s->blk_len);
	/* drained records, written or (after an error) not: see struct mt_out */
	s->raw->recs += s->blk_mod;
	s->blk_len = s->blk_recs = s->blk_mod = 0;
	if (err) {
		mt_out_report(s->raw);
		return MT_SESS_EOUT;
	}
	return MT_SESS_OK;
}

/* Add one record to the block, closing it first when it is full. */
static int blk_add(struct mt_sess *s, const void *raw, uint32_t len,
		   bool from_module)
{
	int err = MT_SESS_OK;

	if (s->blk_len && s->blk_len + len > MT_BLOCK_TARGET)
		err = mt_sess_flush(s);
	memcpy(s->blk + sizeof(struct memtrace_file_block) + s->blk_len, raw,
	       len);
	s->blk_len += len;
	s->blk_recs++;
	s->blk_mod += from_module;
	return err;
}

/* ---- records ------------------------------------------------------------ */

static void add_run(struct mt_sess *s, struct mt_cpu_acct *a,
		    enum mt_run_kind kind, uint64_t first_seq, uint64_t lost,
		    uint64_t first_ts, uint64_t last_ts)
{
	const struct mt_run run = {
		.first_seq = first_seq, .lost = lost,
		.first_ts = first_ts, .last_ts = last_ts, .kind = kind,
	};

	if (s->nsinks)
		sinks_loss(s, a->cpu, &run);
	if (kind == MT_RUN_UNREAD) {
		s->unread += lost;
		return;
	}
	if (a->gaps < MT_RUNS_KEPT)
		a->runs[a->gaps] = run;
	if (!a->gaps || first_ts < a->first_ts)
		a->first_ts = first_ts;
	if (!a->gaps || last_ts > a->last_ts)
		a->last_ts = last_ts;
	a->gaps++;
	a->lost += lost;
	s->lost += lost;
}

/* A loss record: its seqs join the CPU's pending run. */
static void pend(struct mt_cpu_acct *a, const struct mt_record *r,
		 enum mt_run_kind kind)
{
	const struct mt_lossinfo *l = &r->loss;
	uint64_t lo = l->first_seq, hi = l->first_seq + l->lost;

	if (hi < lo)
		hi = UINT64_MAX;
	if (!a->pending) {
		a->pending = true;
		a->p_kind = kind;
		a->p_lo = lo;
		a->p_hi = hi;
		a->p_first_ts = l->first_ts_ns;
		a->p_last_ts = l->last_ts_ns;
		return;
	}
	if (kind == MT_RUN_END || kind == MT_RUN_UNREAD)
		a->p_kind = kind;
	if (lo < a->p_lo)
		a->p_lo = lo;
	if (hi > a->p_hi)
		a->p_hi = hi;
	if (l->first_ts_ns < a->p_first_ts)
		a->p_first_ts = l->first_ts_ns;
	if (l->last_ts_ns > a->p_last_ts)
		a->p_last_ts = l->last_ts_ns;
}

__attribute__((format(printf, 3, 4)))
static void mismatch(struct mt_sess *s, struct mt_cpu_acct *a,
		     const char *fmt, ...)
{
	char line[256];
	va_list ap;

	s->mismatches++;
	if (a->mismatches++ >= MT_MISMATCH_REPORTS_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	mt_msg("cpu%u: %s%s", a->cpu, line,
	       a->mismatches == MT_MISMATCH_REPORTS_MAX ?
		       " (further disagreements on this CPU are only counted)" : "");
}

/*
 * The CPU's next seq is now @seq (a sample's, or cpuN_seq at the end):
 * count the gap before it, check it against the pending loss records.
 */
static void arrive(struct mt_sess *s, struct mt_cpu_acct *a, uint64_t seq,
		   uint64_t ts, bool consume, unsigned int flags)
{
	if (!a->seq_known) {
		/* The start is unknown: the expectation starts here, and a
		 * loss record before it cannot be checked. */
	} else if (seq < a->next_seq) {
		a->backwards++;
		if (a->backwards == 1)
			mt_msg("cpu%u: sequence number went back from %" PRIu64 " to %" PRIu64 " (module reloaded?)",
			       a->cpu, a->next_seq, seq);
	} else {
		uint64_t gap = seq - a->next_seq, says = 0;

		if (a->pending) {
			uint64_t lo = a->p_lo > a->next_seq ? a->p_lo : a->next_seq;

			says = a->p_hi > lo ? a->p_hi - lo : 0;
		}
		if (gap != says && !(flags & MT_SESS_AFTER_BAD)) {
			if (a->pending)
				mismatch(s, a, "loss record says %" PRIu64 " lost, sequence gap says %" PRIu64,
					 says, gap);
			else
				mismatch(s, a, "sequence gap says %" PRIu64 " lost before seq %" PRIu64 ", but no loss record reports them",
					 gap, seq);
		}
		if (gap) {
			if (a->pending)
				add_run(s, a, a->p_kind, a->next_seq, gap,
					a->p_first_ts, a->p_last_ts);
			else
				add_run(s, a, MT_RUN_GAP, a->next_seq, gap,
					a->ts_known ? a->prev_ts : s->start_mono_ns,
					ts);
		}
	}
	a->seq_known = true;
	a->next_seq = consume ? seq + 1 : seq;
	a->pending = false;
}

/*
 * The record's wall-clock time: start_real + (ts - start_mono), or false
 * when it does not fit in an int64_t.  Without 128-bit arithmetic, which
 * 32-bit targets lack.
 */
static bool real_of(const struct mt_sess *s, uint64_t ts, int64_t *real)
{
	uint64_t d;

	if (ts >= s->start_mono_ns) {
		d = ts - s->start_mono_ns;
		return d <= INT64_MAX &&
		       !__builtin_add_overflow(s->start_real_ns, (int64_t)d, real);
	}
	d = s->start_mono_ns - ts;
	return d <= INT64_MAX &&
	       !__builtin_sub_overflow(s->start_real_ns, (int64_t)d, real);
}

/*
 * A sample's ticks_missed (a count since the module loaded, the same in all
 * records of one tick): a rise over the greatest count seen is that many
 * ticks that never ran between the previous record and this one.
 */
static void note_missed(struct mt_sess *s, const struct mt_record *rec)
{
	uint64_t m = rec->ticks_missed;

	if (!s->missed_seen) {
		s->missed_seen = true;
		s->missed_lo = s->missed_hi = m;
	} else if (m > s->missed_hi) {
		if (!s->missed_rises)
			s->missed_first_ts = s->missed_prev_ts;
		s->missed_last_ts = rec->hdr.ts_ns;
		s->missed_rises++;
		s->missed_hi = m;
	} else if (m < s->missed_lo) {
		s->missed_lo = m;	/* a late record of an earlier tick */
	}
	s->missed_prev_ts = rec->hdr.ts_ns;
}

/* Whether an output has failed (the session ends on that error). */
static bool out_failed(const struct mt_sess *s)
{
	return (s->csv && s->csv->err) || (s->raw && s->raw->err) ||
	       (s->sys && s->sys->err) || (s->cg && s->cg->err);
}

/* The system CSV row of @rec (with the time column under --realtime). */
static int sys_row(struct mt_sess *s, const struct mt_record *rec)
{
	int64_t real = 0;
	bool have = false;

	if (s->realtime)
		have = real_of(s, rec->hdr.ts_ns, &real);
	return mt_out_sys_row(s->sys, rec, s->realtime, have, real);
}

static int sess_record(struct mt_sess *s, enum mt_status st,
		       const struct mt_record *rec, const void *raw,
		       uint32_t len, unsigned int flags);

int mt_sess_record(struct mt_sess *s, enum mt_status st,
		   const struct mt_record *rec, const void *raw, uint32_t len,
		   unsigned int flags)
{
	int ret = sess_record(s, st, rec, raw, len, flags);

	/* not a record the session refused (the CSV does not have it either) */
	if (s->nsinks && st != MT_SKIP && ret != MT_SESS_ENOMEM &&
	    ret != MT_SESS_ECPUS)
		sinks_record(s, st, rec);
	return ret;
}

static int sess_record(struct mt_sess *s, enum mt_status st,
		       const struct mt_record *rec, const void *raw,
		       uint32_t len, unsigned int flags)
{
	struct mt_cpu_acct *a;
	int ret = MT_SESS_OK;

	/* An output that failed is reported once; the accounting goes on,
	 * so that the summary stays right. */
	/* counted as drained unless the reader wrote it (the end of a CPU, a
	 * cgroup row) */
	if (s->raw &&
	    blk_add(s, raw, len, !(st == MT_CGROUP ||
				   (st == MT_LOSS &&
				    (rec->loss.flags & MEMTRACE_LOSS_F_READER)))))
		ret = MT_SESS_EOUT;
	if (st == MT_SKIP)
		s->skipped++;
	if (st == MT_CGROUP) {
		/* the reader's: it consumes no seq */
		s->cgroups++;
		if (s->cg) {
			int64_t real = 0;
			bool have = s->realtime &&
				    real_of(s, rec->hdr.ts_ns, &real);

			if (mt_out_cg_row(s->cg, rec, s->realtime, have, real)) {
				mt_out_report(s->cg);
				ret = MT_SESS_EOUT;
			}
		}
		return ret;
	}
	/* before format version 2 only samples consumed a seq */
	if (st == MT_SKIP && rec->hdr.version < 2)
		return ret;
	a = cpu_acct(s, rec->hdr.cpu);
	if (!a)
		return acct_error();
	if (st == MT_SKIP || st == MT_SYSTEM) {
		arrive(s, a, rec->hdr.seq, rec->hdr.ts_ns, true, flags);
		if (st == MT_SKIP)
			return ret;
		s->systems++;
		if (s->sys && sys_row(s, rec)) {
			mt_out_report(s->sys);
			ret = MT_SESS_EOUT;
		}
		return ret;
	}
	if (st == MT_LOSS) {
		if (rec->loss.flags & MEMTRACE_LOSS_F_READER) {
			s->reader_records++;
			s->have_end = true;
			a->end_seen = true;
			a->end_dropped = rec->loss.lost_total;
			pend(a, rec, out_failed(s) ? MT_RUN_UNREAD : MT_RUN_END);
			arrive(s, a, rec->hdr.seq, rec->hdr.ts_ns, false, flags);
		} else {
			s->loss_records++;
			a->loss_records++;
			pend(a, rec, MT_RUN_LOSSREC);
		}
		return ret;
	}

	/* A sample. */
	if (rec->hdr.ts_ns < s->last_ts)
		s->late++;
	else
		s->last_ts = rec->hdr.ts_ns;
	/* Records of one tick come together: add each tick once per run. */
	if (mt_u64set_add(&s->tgids, rec->tgid) ||
	    ((!s->tick_added || rec->tick != s->last_tick) &&
	     mt_u64set_add(&s->ticks, rec->tick))) {
		mt_msg("out of memory");
		return MT_SESS_ENOMEM;
	}
	s->tick_added = true;
	s->last_tick = rec->tick;
	if (rec->ticks_missed != MT_TICKS_MISSED_UNKNOWN)
		note_missed(s, rec);
	arrive(s, a, rec->hdr.seq, rec->hdr.ts_ns, true, flags);
	a->samples++;
	a->ts_known = true;
	a->prev_ts = rec->hdr.ts_ns;
	s->emitted++;
	if (s->csv) {
		int64_t real = 0;
		int err;

		if (s->realtime) {
			bool have = real_of(s, rec->hdr.ts_ns, &real);

			err = mt_out_row_time(s->csv, rec, have, real);
		} else
			err = mt_out_row(s->csv, rec);
		if (err) {
			mt_out_report(s->csv);
			ret = MT_SESS_EOUT;
		}
	}
	return ret;
}

int mt_sess_end_cpu(struct mt_sess *s, uint32_t cpu, uint64_t end_seq,
		    bool has_dropped, uint64_t end_dropped, uint64_t ts_ns)
{
	unsigned char raw[sizeof(struct memtrace_loss)];
	struct mt_cpu_acct *a = cpu_acct(s, cpu);
	struct mt_record rec;
	struct mt_lossinfo *l = &rec.loss;

	if (!a)
		return acct_error();
	memset(&rec, 0, sizeof(rec));
	rec.hdr.magic = MEMTRACE_MAGIC;
	rec.hdr.version = MEMTRACE_VERSION;
	rec.hdr.type = MEMTRACE_REC_LOSS;
	rec.hdr.size = sizeof(struct memtrace_loss);
	rec.hdr.cpu = cpu;
	rec.hdr.seq = end_seq;
	rec.hdr.ts_ns = ts_ns;
	l->flags = MEMTRACE_LOSS_F_READER;
	l->first_seq = end_seq;
	if (a->seq_known && end_seq > a->next_seq) {
		l->first_seq = a->next_seq;
		l->lost = end_seq - a->next_seq;
	}
	l->first_ts_ns = a->ts_known ? a->prev_ts : s->start_mono_ns;
	l->last_ts_ns = ts_ns;
	l->lost_total = has_dropped ? end_dropped : a->start_dropped;
	mt_encode_loss(raw, &rec.hdr, l);
	return mt_sess_record(s, MT_LOSS, &rec, raw, sizeof(raw), 0);
}

/* ---- status line and summary -------------------------------------------- */

void mt_sess_status(struct mt_sess *s, uint64_t now_ns, bool force)
{
	char text[160];
	uint64_t dt, rate;

	if (!mt_status_on())
		return;
	if (!s->st_last_ns) {
		s->st_last_ns = now_ns;
		s->st_last_emitted = s->emitted;
		return;
	}
	dt = now_ns - s->st_last_ns;
	if ((!force && dt < 1000000000u) || !dt)
		return;
	rate = (uint64_t)((double)(s->emitted - s->st_last_emitted) * 1e9 / (double)dt + 0.5);
	snprintf(text, sizeof(text), "%" PRIu64 " records, %" PRIu64 "/s, %" PRIu64 " lost, %" PRIu64 " ticks missed",
		 s->emitted, rate, s->lost, s->missed_hi - s->missed_lo);
	mt_status_show(text);
	s->st_last_ns = now_ns;
	s->st_last_emitted = s->emitted;
}

static const char *run_kind(enum mt_run_kind k)
{
	switch (k) {
	case MT_RUN_LOSSREC:
		return "loss record";
	case MT_RUN_END:
		return "after the last record read, from stats at the end";
	default:
		return "sequence gap, no loss record";
	}
}

/* The stats' drops of CPU @a during the session; false when unknown. */
static bool cpu_dropped(const struct mt_sess *s, const struct mt_cpu_acct *a,
			uint64_t *d)
{
	*d = 0;
	if (!s->have_end || !s->begun)
		return false;	/* no stats at the end (or start) */
	if (!a->end_seen)
		return true;	/* not listed at the end: nothing happened */
	if (!a->start_dropped_known)
		return false;
	/* A counter below its start: the module was reloaded. */
	*d = a->end_dropped >= a->start_dropped ?
		     a->end_dropped - a->start_dropped : a->end_dropped;
	return true;
}

/*
 * One line for an output that failed: the session ended on that error, not
 * on lost records.  How many records it was handed and did not write, and
 * how many the reader left unread in the module's buffers when it stopped.
 */
static void out_summary(const struct mt_sess *s, const struct mt_out *o)
{
	if (!o || !o->err)
		return;
	mt_msg("the session ended on an output error (writing %s: %s): %llu of the %llu records drained from the module were not written to %s; %" PRIu64 " more were left unread in its buffers",
	       o->name, strerror(o->err), o->recs - o->recs_out, o->recs,
	       o->name, s->unread);
}

void mt_sess_summary(struct mt_sess *s, bool quiet)
{
	struct mt_cpu_acct **v = sorted(s);
	bool have_dropped = s->have_end;
	uint64_t dropped = 0;
	char dropped_s[32];

	mt_status_clear();
	if (s->ncpus && !v) {
		mt_msg("out of memory");
		return;
	}
	for (size_t i = 0; i < s->ncpus; i++) {
		uint64_t d;

		if (cpu_dropped(s, v[i], &d))
			dropped += d;
		else
			have_dropped = false;
	}
	if (have_dropped)
		snprintf(dropped_s, sizeof(dropped_s), "%" PRIu64, dropped);
	else
		snprintf(dropped_s, sizeof(dropped_s), "?");

	if (!quiet)
		mt_msg("%" PRIu64 " records from %zu processes in %zu ticks, %" PRIu64 " lost (seq gaps), %s dropped (stats)",
		       s->emitted, mt_u64set_count(&s->tgids),
		       mt_u64set_count(&s->ticks), s->lost, dropped_s);
	if (!quiet && s->systems)
		mt_msg("%" PRIu64 " system records (one a tick)", s->systems);
	if (!quiet && s->cgroups)
		mt_msg("%" PRIu64 " cgroup records", s->cgroups);
	if (!quiet && s->skipped)
		mt_msg("%" PRIu64 " records of unknown types skipped", s->skipped);
	if (s->late)
		mt_msg("%" PRIu64 " records became readable more than %d ms after their ts_ns and are out of ts_ns order in the CSV",
		       s->late, MT_MERGE_MARGIN_MS);
	if (s->mismatches)
		mt_msg("%" PRIu64 " disagreements between loss records and sequence gaps",
		       s->mismatches);

	if (s->missed_hi > s->missed_lo) {
		uint64_t missed = s->missed_hi - s->missed_lo;
		uint64_t due = mt_u64set_count(&s->ticks) + missed;

		mt_msg("%" PRIu64 " ticks missed (%.2f%% of %" PRIu64 " due), in %" PRIu64 " stretches between ts_ns %" PRIu64 " and %" PRIu64 ": no process was sampled at those ticks, because the previous tick had not finished (or the timer fired late)",
		       missed, 100.0 * (double)missed / (double)due, due,
		       s->missed_rises, s->missed_first_ts, s->missed_last_ts);
		mt_msg("to miss fewer ticks, sample less often (-I MS) or fewer processes (-p PID); see the tick_last_ns and tick_max_ns lines of the stats file for what a tick takes");
	}
	out_summary(s, s->csv);
	out_summary(s, s->raw);
	if (s->lost || dropped) {
		for (size_t i = 0; i < s->ncpus; i++) {
			const struct mt_cpu_acct *a = v[i];
			uint64_t d;
			char d_s[32] = "?";

			if (cpu_dropped(s, a, &d))
				snprintf(d_s, sizeof(d_s), "%" PRIu64, d);
			else
				d = 0;
			if (!a->lost && !d)
				continue;
			if (!a->lost) {
				mt_msg("cpu%u: %s dropped (stats)", a->cpu, d_s);
				continue;
			}
			mt_msg("cpu%u: %" PRIu64 " records lost in %" PRIu64 " gaps between ts_ns %" PRIu64 " and %" PRIu64 ", %s dropped (stats)",
			       a->cpu, a->lost, a->gaps, a->first_ts, a->last_ts, d_s);
			for (uint64_t k = 0; k < a->gaps && k < MT_RUNS_KEPT; k++) {
				const struct mt_run *r = &a->runs[k];

				mt_msg("cpu%u:   %" PRIu64 " lost (seq %" PRIu64 "..%" PRIu64 ") between ts_ns %" PRIu64 " and %" PRIu64 ": %s",
				       a->cpu, r->lost, r->first_seq,
				       r->first_seq + r->lost - 1, r->first_ts,
				       r->last_ts, run_kind(r->kind));
			}
			if (a->gaps > MT_RUNS_KEPT)
				mt_msg("cpu%u:   and %" PRIu64 " more gaps", a->cpu,
				       a->gaps - MT_RUNS_KEPT);
		}
		if (s->lost)
			mt_msg("%" PRIu64 " of %" PRIu64 " records lost (%.2f%%)",
			       s->lost, s->emitted + s->lost,
			       100.0 * (double)s->lost / (double)(s->emitted + s->lost));
		mt_msg("to lose fewer records, reload the module with bigger or more sub-buffers (module parameters subbuf_size, n_subbufs) or sample less often (-I MS)");
	}
	free(v);
}

bool mt_sess_failed(const struct mt_sess *s)
{
	return s->mismatches > 0 || s->sink_failed;
}

/* ---- a trace file ------------------------------------------------------- */

static int tr_header(void *ctx, const struct mt_tfile_info *info)
{
	return mt_sess_begin(ctx, info);
}

static int tr_record(void *ctx, enum mt_status st, const struct mt_record *rec,
		     const void *raw, uint32_t len, uint64_t offset)
{
	struct mt_sess *s = ctx;
	int ret = mt_sess_record(s, st, rec, raw, len, 0);

	if (ret == MT_SESS_ECPUS) {
		s->err.offset = offset;
		snprintf(s->err.what, sizeof(s->err.what),
			 "record of cpu %u: more than %d different CPUs",
			 rec->hdr.cpu, MT_CPUS_MAX);
	}
	return ret;
}

static uint64_t mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int mt_sess_read_trace(struct mt_sess *s, int fd, const char *name,
		       size_t cap, size_t chunk)
{
	struct mt_tread t = { .on_header = tr_header, .on_record = tr_record,
			      .ctx = s };
	unsigned int rounds = 0;
	int ret = 0;

	if (mt_tread_init(&t, cap)) {
		mt_msg("out of memory");
		return 1;
	}
	t.on_header = tr_header;
	t.on_record = tr_record;
	t.ctx = s;
	for (;;) {
		size_t room;
		unsigned char *p = mt_tread_space(&t, &room);
		ssize_t n;

		if (chunk && room > chunk)
			room = chunk;
		n = read(fd, p, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			mt_msg("reading %s: %s", name, strerror(errno));
			ret = 1;
			break;
		}
		if (n == 0) {
			ret = mt_tread_finish(&t);
			break;
		}
		ret = mt_tread_added(&t, (size_t)n);
		if (ret)
			break;
		if (!(++rounds & 15))
			mt_sess_status(s, mono_now(), false);
	}
	if (ret == -1 || ret == MT_SESS_ECPUS) {
		const struct mt_terr *e = ret == -1 ? &t.err : &s->err;

		mt_msg("%s: byte offset %" PRIu64 ": %s", name, e->offset, e->what);
		ret = 1;
	} else if (ret) {
		ret = 1;	/* output error or out of memory: reported */
	}
	mt_tread_free(&t);
	return ret;
}
