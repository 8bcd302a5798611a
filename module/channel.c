// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace transport: one relay channel with a buffer per CPU, exposed as
 * debugfs files cpu0, cpu1, ... and the record path that writes into it.
 *
 * The channel never overwrites: when every sub-buffer of a CPU is full and
 * unread, a record is dropped and counted (per CPU), never blocks.  Every
 * record consumes a per-CPU sequence number whether it is written or dropped,
 * so readers see each loss as a gap in hdr.seq.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/irqflags.h>
#include <linux/ktime.h>
#include <linux/percpu.h>
#include <linux/relay.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "memtrace.h"

/**
 * struct mtr_cpu_counters - per-CPU record accounting.
 * @seq:           next sequence number of this CPU (samples attempted).
 * @written:       samples committed to this CPU's relay buffer.
 * @dropped:       samples lost because the buffer was full
 *                 (seq == written + dropped).
 * @pend_lost:     samples dropped since the last loss record was committed.
 * @pend_first_seq: seq of the first of those.
 * @pend_first_ts: its timestamp, ns.
 * @pend_last_ts:  timestamp of the last of those, ns.
 * @last_ts:       hdr.ts_ns of the last sample stamped here, ns: the floor
 *                 of the next one, so that one CPU's stream never goes back
 *                 in time (see mtr_channel_write()).
 *
 * Written only by mtr_channel_write() on the owning CPU with interrupts off;
 * read locklessly by the stats file (64-bit loads, so never torn on 64-bit).
 */
struct mtr_cpu_counters {
	u64 seq;
	u64 written;
	u64 dropped;
	u64 pend_lost;
	u64 pend_first_seq;
	u64 pend_first_ts;
	u64 pend_last_ts;
	u64 last_ts;
};

static DEFINE_PER_CPU(struct mtr_cpu_counters, mtr_counters);
static struct rchan *mtr_chan;

/*
 * relay's read() (relay_file_read()) updates the consumer's position with no
 * synchronisation against the writer; a writer switching sub-buffers while a
 * reader on another CPU computes what is available makes the reader return
 * stale, duplicated or skipped bytes.  relay_file_read() holds the file's
 * inode lock, so the tick takes the inode locks of every cpuN file around
 * its writes (mtr_channel_lock()); readers and writers then never overlap.
 * mtr_locked says which CPUs' buffers the tick holds; a buffer created by a
 * CPU that came online meanwhile is not written until the next tick.
 * mtr_lock_nest is only the lockdep nesting anchor for those inode locks.
 */
static DEFINE_MUTEX(mtr_lock_nest);
static struct cpumask mtr_locked;

/*
 * The tick's clock anchor, taken by mtr_channel_lock(): ktime_get_ns() and
 * local_clock() read back to back.  A record's ts_ns is the anchor's
 * CLOCK_MONOTONIC time plus the local_clock() time elapsed since it, so the
 * clocksource is read once per tick, not once per record: where it is not
 * the TSC (the HPET in many VMs, including QEMU TCG) every ktime_get_ns() is
 * a device read costing a microsecond or more, while local_clock() is a TSC
 * read everywhere x86 has one.  Written by the tick with the lock mutex held,
 * read by the same tick.
 */
static u64 mtr_anchor_mono_ns;
static u64 mtr_anchor_local_ns;

/* relay callback: the per-CPU file cpuN in our debugfs directory (root only). */
static struct dentry *mtr_create_buf_file(const char *filename,
					  struct dentry *parent, umode_t mode,
					  struct rchan_buf *buf, int *is_global)
{
	struct dentry *d;

	d = debugfs_create_file(filename, 0400, parent, buf,
				&relay_file_operations);
	return IS_ERR(d) ? NULL : d;
}

static int mtr_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

/*
 * No subbuf_start callback: relay's default refuses to start a new
 * sub-buffer while all of them hold unread data (relay_buf_full()), so relay
 * never overwrites and the caller counts the drop.  Its signature lost
 * prev_padding in 7.x; leaving it to relay keeps one code for every line.
 * Not const: 5.10's relay_open() takes a non-const pointer and writes the
 * defaults of missing callbacks into the struct (const since 5.11).
 */
static struct rchan_callbacks mtr_relay_callbacks = {
	.create_buf_file = mtr_create_buf_file,
	.remove_buf_file = mtr_remove_buf_file,
};

/**
 * mtr_channel_open() - create the relay channel and its cpuN files.
 * @dir:         debugfs directory that receives the files.
 * @subbuf_size: bytes per sub-buffer.
 * @n_subbufs:   sub-buffers per CPU.
 *
 * Context: process context, may sleep; takes the CPU hotplug lock.
 * Return: 0, or -ENOMEM when relay_open() failed (it reports no reason: out
 * of memory for buffers, or debugfs refused a file).
 */
int mtr_channel_open(struct dentry *dir, size_t subbuf_size, size_t n_subbufs)
{
	/* no CPU may come online between relay's buffer loop and its list */
	cpus_read_lock();
	mtr_chan = relay_open("cpu", dir, subbuf_size, n_subbufs,
			      &mtr_relay_callbacks, NULL);
	cpus_read_unlock();
	return mtr_chan ? 0 : -ENOMEM;
}

/**
 * mtr_channel_lock() - exclude readers of every cpuN file, before writing.
 *
 * Also takes the tick's clock anchor that mtr_channel_write() stamps from.
 * Context: the sampler's work item, may sleep; pairs with
 * mtr_channel_unlock().  Takes each buffer file's inode lock in CPU order.
 */
void mtr_channel_lock(void)
{
	struct rchan_buf *buf;
	unsigned long flags;
	int cpu;

	mutex_lock(&mtr_lock_nest);
	for_each_possible_cpu(cpu) {
		buf = READ_ONCE(*per_cpu_ptr(mtr_chan->buf, cpu));
		if (!buf || !buf->dentry)
			continue;
		down_write_nest_lock(&d_inode(buf->dentry)->i_rwsem,
				     &mtr_lock_nest);
		cpumask_set_cpu(cpu, &mtr_locked);
	}
	/* back to back: an interrupt between them would skew the whole tick */
	local_irq_save(flags);
	mtr_anchor_mono_ns = ktime_get_ns();
	mtr_anchor_local_ns = local_clock();
	local_irq_restore(flags);
}

/**
 * mtr_channel_unlock() - let readers in again.
 *
 * Context: the sampler's work item, after mtr_channel_lock().
 */
void mtr_channel_unlock(void)
{
	struct rchan_buf *buf;
	int cpu;

	for_each_cpu(cpu, &mtr_locked) {
		buf = *per_cpu_ptr(mtr_chan->buf, cpu);
		up_write(&d_inode(buf->dentry)->i_rwsem);
	}
	cpumask_clear(&mtr_locked);
	mutex_unlock(&mtr_lock_nest);
}

/**
 * mtr_channel_close() - remove the cpuN files and free the channel.
 *
 * Context: process context; the sampler must be stopped.  Readers that still
 * hold a cpuN file open keep its buffer alive until they close it; their
 * reads fail with -EIO once the file is removed.
 */
void mtr_channel_close(void)
{
	relay_close(mtr_chan);
	mtr_chan = NULL;
}

/*
 * Fill the loss record that reports the pending drops of @c, in place in the
 * relay buffer (it is rare: no stack copy to zero on every write).
 */
static void mtr_fill_loss(struct memtrace_loss *loss,
			  const struct mtr_cpu_counters *c,
			  const struct memtrace_sample *next)
{
	loss->hdr = next->hdr;
	loss->hdr.type = cpu_to_le16(MEMTRACE_REC_LOSS);
	loss->hdr.size = cpu_to_le32(sizeof(*loss));
	loss->lost = cpu_to_le64(c->pend_lost);
	loss->lost_total = cpu_to_le64(c->dropped);
	loss->first_seq = cpu_to_le64(c->pend_first_seq);
	loss->first_ts_ns = cpu_to_le64(c->pend_first_ts);
	loss->last_ts_ns = cpu_to_le64(c->pend_last_ts);
	loss->flags = 0;
	loss->reserved = 0;
}

/**
 * mtr_channel_write() - stamp and commit one sample on the current CPU.
 * @rec: the record; hdr.cpu, hdr.seq and hdr.ts_ns are filled in here.
 *
 * Stamping and copying happen in one interrupts-off section, so per CPU the
 * records are in seq and ts_ns order.  hdr.ts_ns is CLOCK_MONOTONIC
 * interpolated within the tick: the anchor mtr_channel_lock() took plus the
 * local_clock() time since it, floored at the CPU's previous stamp (after a
 * migration mid-tick, or with an unstable sched_clock, two CPUs' local
 * clocks may disagree by up to a jiffy; the floor keeps each CPU's stream
 * in order).  It differs from ktime_get_ns() at the same instant by the
 * two clocks' rate difference over the time since the anchor: the
 * scheduler clock is neither slewed by NTP (up to 0.05%) nor calibrated
 * against the clocksource, so tens of ppm, 0.05% in the usual worst case
 * (5 us over a 10 ms tick, more in a longer one).
 *
 * Readers are excluded by mtr_channel_lock(); a CPU whose buffer the tick
 * does not hold (it came online during the tick) drops the record and
 * counts it.
 *
 * When the buffer is full the sample is dropped: it still consumes its seq,
 * and it is counted.  The first sample committed after drops is preceded,
 * in the same sub-buffer and the same commit, by a struct memtrace_loss that
 * reports them (the two fit or neither is written).
 *
 * Context: the sampler's work item between mtr_channel_lock() and
 * mtr_channel_unlock(), possibly in an RCU read section; does not sleep.
 * Return: true when the sample was committed, false when it was dropped.
 */
bool mtr_channel_write(struct memtrace_sample *rec)
{
	struct mtr_cpu_counters *c;
	struct rchan_buf *buf;
	unsigned long flags;
	size_t need, off;
	bool ok = false;
	u64 seq, ts, now;

	local_irq_save(flags);
	c = this_cpu_ptr(&mtr_counters);
	buf = *this_cpu_ptr(mtr_chan->buf);
	seq = c->seq++;
	now = local_clock();
	ts = mtr_anchor_mono_ns;
	if (now > mtr_anchor_local_ns)
		ts += now - mtr_anchor_local_ns;
	if (ts < c->last_ts)
		ts = c->last_ts;
	c->last_ts = ts;
	rec->hdr.cpu = cpu_to_le32(smp_processor_id());
	rec->hdr.seq = cpu_to_le64(seq);
	rec->hdr.ts_ns = cpu_to_le64(ts);
	need = sizeof(*rec) +
	       (c->pend_lost ? sizeof(struct memtrace_loss) : 0);
	if (unlikely(!buf ||
		     !cpumask_test_cpu(smp_processor_id(), &mtr_locked)) ||
	    (unlikely(buf->offset + need > mtr_chan->subbuf_size) &&
	     !relay_switch_subbuf(buf, need))) {
		if (!c->pend_lost++) {
			c->pend_first_seq = seq;
			c->pend_first_ts = ts;
		}
		c->pend_last_ts = ts;
		c->dropped++;
	} else {
		off = buf->offset;
		if (unlikely(c->pend_lost)) {
			mtr_fill_loss(buf->data + off, c, rec);
			off += sizeof(struct memtrace_loss);
			c->pend_lost = 0;
		}
		memcpy(buf->data + off, rec, sizeof(*rec));
		buf->offset = off + sizeof(*rec);
		c->written++;
		ok = true;
	}
	local_irq_restore(flags);
	return ok;
}

/**
 * mtr_channel_totals() - records written and dropped over all CPUs.
 * @written: out, records committed since load.
 * @dropped: out, records lost to full buffers since load.
 *
 * Context: any; lockless, so only exact when the sampler is idle.
 */
void mtr_channel_totals(u64 *written, u64 *dropped)
{
	int cpu;

	*written = 0;
	*dropped = 0;
	for_each_possible_cpu(cpu) {
		const struct mtr_cpu_counters *c =
			per_cpu_ptr(&mtr_counters, cpu);

		*written += READ_ONCE(c->written);
		*dropped += READ_ONCE(c->dropped);
	}
}

/**
 * mtr_channel_show_stats() - print the channel's lines of the stats file.
 * @m: the seq_file.
 *
 * Prints records_written, records_dropped, then cpuN_written, cpuN_dropped
 * and cpuN_seq (the CPU's next sequence number) for every CPU that is online
 * or has written or dropped anything.
 */
void mtr_channel_show_stats(struct seq_file *m)
{
	u64 written, dropped;
	int cpu;

	mtr_channel_totals(&written, &dropped);
	seq_printf(m, "records_written: %llu\n", written);
	seq_printf(m, "records_dropped: %llu\n", dropped);
	for_each_possible_cpu(cpu) {
		const struct mtr_cpu_counters *c =
			per_cpu_ptr(&mtr_counters, cpu);

		if (!cpu_online(cpu) && !READ_ONCE(c->seq))
			continue;
		seq_printf(m, "cpu%d_written: %llu\n", cpu,
			   READ_ONCE(c->written));
		seq_printf(m, "cpu%d_dropped: %llu\n", cpu,
			   READ_ONCE(c->dropped));
		seq_printf(m, "cpu%d_seq: %llu\n", cpu, READ_ONCE(c->seq));
	}
}
