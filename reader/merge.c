// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace-reader: the per-CPU queues of a live session merged in time
 * order into the session (session.c), which writes and accounts.
 *
 * Merge.  Each CPU's stream is in ts_ns order, but across CPUs a record
 * with a smaller ts_ns can become readable after one with a bigger ts_ns
 * (the writer takes ts_ns before it commits).  Validated records wait in
 * per-CPU queues (their bytes in a FIFO, their (ts_ns, seq) in an index;
 * a record's body is decoded only when it is emitted); a binary heap on
 * (ts_ns, cpu, seq) merges them, and only records with ts_ns <= watermark
 * are written, where watermark = CLOCK_MONOTONIC (the kernel's ktime_get_ns()
 * clock) read before the read round, minus MT_MERGE_MARGIN_MS (200 ms): the
 * time a record may take from its timestamp to being readable.  A record
 * later than that is still written, out of order, and counted in the
 * summary.  At the end all records are written.  Whatever leaves the merge
 * goes through session.c, which -i uses too: that is why -i reproduces the
 * CSV and the loss report byte for byte.
 */

#include "reader.h"

/* Whether CPU @a's next record comes before CPU @b's: (ts_ns, cpu, seq). */
static inline bool head_before(const struct cpu_in *a, const struct cpu_in *b)
{
	const struct qitem *x = &a->q[a->qhead], *y = &b->q[b->qhead];

	if (x->ts_ns != y->ts_ns)
		return x->ts_ns < y->ts_ns;
	if (a->cpu != b->cpu)
		return a->cpu < b->cpu;
	return x->seq < y->seq;
}

static void sift_down(struct cpu_in **h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;
		struct cpu_in *t;

		if (l < n && head_before(h[l], h[m]))
			m = l;
		if (l + 1 < n && head_before(h[l + 1], h[m]))
			m = l + 1;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

/*
 * Emit, in (ts_ns, cpu, seq) order, every queued record with ts_ns <=
 * @watermark (all of them when @all).  0, or -1 on an error (reported).
 * After an output error every record still goes through the session's
 * accounting (counted as not written), so the summary stays right.
 */
int merge_out(uint64_t watermark, bool all)
{
	struct cpu_in **heap = g.heap;
	size_t n = 0;
	int ret = 0, err;

	for (size_t i = 0; i < g.ncpus; i++)
		if (g.cpus[i].qhead < g.cpus[i].qtail)
			heap[n++] = &g.cpus[i];
	for (size_t i = n / 2; i-- > 0;)
		sift_down(heap, n, i);

	while (n) {
		struct cpu_in *c = heap[0];
		const struct qitem *q = &c->q[c->qhead];
		const unsigned char *raw = c->raw + c->rhead;
		struct mt_record rec;

		if (!all && q->ts_ns > watermark)
			break;
		/* Validated when read: decoded without checks. */
		mt_decode_valid(raw, (enum mt_status)q->status, &rec);
		err = mt_sess_record(&g.sess, (enum mt_status)q->status, &rec,
				     raw, q->raw_len, q->flags);
		if (err && err != MT_SESS_EOUT)
			return -1;
		if (err)
			ret = -1;
		c->rhead += q->raw_len;
		if (++c->qhead == c->qtail) {
			c->qhead = c->qtail = 0;
			heap[0] = heap[--n];
		}
		/* Most often the same CPU's next record is still first. */
		if (n > 1 && !(head_before(heap[0], heap[1]) &&
			       (n == 2 || head_before(heap[0], heap[2]))))
			sift_down(heap, n, 0);
	}
	return ret;
}
