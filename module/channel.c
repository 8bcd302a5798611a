// SPDX-License-Identifier: GPL-2.0
/*
 * memtrace transport: one relay channel with a buffer per CPU, exposed as
 * debugfs files cpu0, cpu1, ... and the record path that writes into it.
 *
 * The channel never overwrites: when every sub-buffer of a CPU is full and
 * unread, a record is dropped and counted (per CPU), never blocks.  The
 * cpuN files are read with mtr_cpu_read(), which never holds anything the
 * writer needs across a user access (see struct mtr_cpu_sync).  Every
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
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/relay.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/seq_file.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "memtrace.h"

/**
 * struct mtr_cpu_counters - per-CPU record accounting.
 * @seq:           next sequence number of this CPU (records attempted).
 * @written:       records committed to this CPU's relay buffer.
 * @dropped:       records lost because the buffer was full
 *                 (seq == written + dropped).
 * @pend_lost:     records dropped since the last loss record was committed.
 * @pend_first_seq: seq of the first of those.
 * @pend_first_ts: its timestamp, ns.
 * @pend_last_ts:  timestamp of the last of those, ns.
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
};

static DEFINE_PER_CPU(struct mtr_cpu_counters, mtr_counters);
static struct rchan *mtr_chan;

/*
 * Readers and the writer.  relay's own read() (relay_file_read()) computes
 * what is available with no synchronisation against a writer switching
 * sub-buffers on another CPU, and holds the file's inode lock across
 * copy_to_user(): excluding it meant holding every cpuN inode lock for the
 * whole tick, and a reader stalled in a page fault (userfaultfd, FUSE, slow
 * swap) then stalled the tick, "echo 0 > enable" and rmmod.  So the cpuN
 * files have a read() of ours (mtr_cpu_read()), and per CPU:
 *
 * @lock:   a raw spinlock the writer takes around each record (interrupts
 *          already off) and a reader around computing what is available and
 *          copying at most MTR_READ_CHUNK (16 KiB) of it into @bounce, then
 *          again around consuming what it copied out: never held across a
 *          user access, so a reader can delay a record by one memcpy only
 *          (a few microseconds).  Neither side runs in interrupt context.
 * @read_mutex: one reader of the CPU's file at a time (the consumed counts
 *          are advanced only by the reader that copied the bytes).
 * @bounce: the reader's kernel copy, MTR_READ_CHUNK bytes, allocated at the
 *          first read, freed with the channel.
 *
 * The consumer position is relay's own (buf->subbufs_consumed and
 * buf->bytes_consumed), so relay's writer side (relay_switch_subbuf():
 * never overwrite, relay_buf_full()) sees it, under @lock.
 */
#define MTR_READ_CHUNK (16 * 1024)

struct mtr_cpu_sync {
	raw_spinlock_t lock;
	struct mutex read_mutex;
	void *bounce;
};

static DEFINE_PER_CPU(struct mtr_cpu_sync, mtr_sync);

/*
 * The clock anchor, taken by mtr_channel_tick_start() and again by
 * mtr_channel_write() when the work item finds itself on another CPU:
 * ktime_get_ns() and local_clock() read back to back on @mtr_anchor_cpu.  A
 * record's ts_ns is the anchor's CLOCK_MONOTONIC time plus the local_clock()
 * time elapsed since it, so the clocksource is read once per tick (and per
 * migration), not once per record: where it is not the TSC (the HPET in
 * many VMs, including QEMU TCG) every ktime_get_ns() is a device read
 * costing a microsecond or more, while local_clock() is a TSC read
 * everywhere x86 has one.  Two CPUs' local clocks may disagree by up to a
 * jiffy (sched_clock_cpu() with an unstable TSC, as under TCG), which is why
 * a local_clock() read on one CPU is never measured against an anchor taken
 * on another.
 *
 * @mtr_last_ts is the last ts_ns stamped on any CPU: the next one is at
 * least 1 ns later, so ts_ns strictly increases in the order the sampler
 * wrote the records and a reader's (ts_ns, cpu, seq) merge restores that
 * order exactly (a thread group's records stay in tick order).
 *
 * Written and read only by the sampler's work item (one at a time: a single
 * work item), inside mtr_channel_write()'s interrupts-off section or before
 * the tick's first write.
 */
static u64 mtr_anchor_mono_ns;
static u64 mtr_anchor_local_ns;
static int mtr_anchor_cpu = -1;
static u64 mtr_last_ts;

/* Take the anchor on this CPU.  Interrupts off. */
static void mtr_anchor_take(void)
{
	mtr_anchor_mono_ns = ktime_get_ns();
	mtr_anchor_local_ns = local_clock();
	mtr_anchor_cpu = smp_processor_id();
}

/*
 * Move the consumer past sub-buffers it has read whole (their data ends at
 * subbuf_size minus the padding relay_switch_subbuf() recorded), so that the
 * writer's relay_buf_full() sees the room at once.  Under the CPU's lock.
 */
static void mtr_cpu_settle(struct rchan_buf *buf)
{
	size_t size = buf->chan->subbuf_size, n = buf->chan->n_subbufs;

	while (buf->subbufs_consumed < buf->subbufs_produced &&
	       buf->bytes_consumed >=
		       size - buf->padding[buf->subbufs_consumed % n]) {
		buf->subbufs_consumed++;
		buf->bytes_consumed = 0;
	}
}

/*
 * Bytes readable in one piece and their offset from buf->start, under the
 * CPU's lock.  A complete sub-buffer (consumed < produced) holds
 * subbuf_size - padding bytes; the one being written holds buf->offset,
 * unless the writer found no room (offset subbuf_size + 1: relay's mark
 * that the next sub-buffer has not started).
 */
static size_t mtr_cpu_avail(struct rchan_buf *buf, size_t *from)
{
	size_t size = buf->chan->subbuf_size, n = buf->chan->n_subbufs;
	size_t idx, len;

	mtr_cpu_settle(buf);
	idx = buf->subbufs_consumed % n;
	if (buf->subbufs_consumed < buf->subbufs_produced)
		len = size - buf->padding[idx];
	else if (buf->offset <= size)
		len = buf->offset;
	else
		return 0;
	if (buf->bytes_consumed >= len)
		return 0;
	*from = idx * size + buf->bytes_consumed;
	return len - buf->bytes_consumed;
}

/*
 * read() of a cpuN file: the records written since the last read, whole
 * sub-buffers' data without their padding, as relay's own read() returns
 * them (a reader sees one stream of whole records).  Never blocks waiting
 * for data: 0 when there is none.  Copies at most MTR_READ_CHUNK bytes at a
 * time into the CPU's bounce buffer under its lock, then to user space
 * with no lock but the CPU's read_mutex held, then consumes what was
 * copied out: a fault in the user buffer delays this reader alone.
 * Return: bytes read, or -EFAULT (nothing read), -ENOMEM, -ERESTARTSYS.
 */
static ssize_t mtr_cpu_read(struct file *filp, char __user *ubuf,
			    size_t count, loff_t *ppos)
{
	struct rchan_buf *buf = filp->private_data;
	struct mtr_cpu_sync *s = per_cpu_ptr(&mtr_sync, buf->cpu);
	size_t n, from, done = 0;
	ssize_t err = 0;

	if (!count)
		return 0;
	if (mutex_lock_interruptible(&s->read_mutex))
		return -ERESTARTSYS;
	if (!s->bounce)
		s->bounce = kvmalloc(MTR_READ_CHUNK, GFP_KERNEL);
	if (!s->bounce) {
		err = -ENOMEM;
		goto out;
	}
	while (done < count) {
		raw_spin_lock(&s->lock);
		n = min3(mtr_cpu_avail(buf, &from), count - done,
			 (size_t)MTR_READ_CHUNK);
		if (n)
			memcpy(s->bounce, buf->start + from, n);
		raw_spin_unlock(&s->lock);
		if (!n)
			break;
		if (copy_to_user(ubuf + done, s->bounce, n)) {
			err = -EFAULT;
			break;
		}
		raw_spin_lock(&s->lock);
		buf->bytes_consumed += n;
		mtr_cpu_settle(buf);
		raw_spin_unlock(&s->lock);
		done += n;
	}
out:
	mutex_unlock(&s->read_mutex);
	return done ? done : err;
}

/*
 * open() of a cpuN file: -EAGAIN until module init has succeeded, as the
 * control files (an init that fails frees the module without waiting for
 * open files, see mtr_live); then relay's own open (a reference on the
 * buffer).  An open file pins the module (fops owner): our read() is
 * module code.
 */
static int mtr_cpu_open(struct inode *inode, struct file *filp)
{
	/* pairs with the release at the end of mtr_init() */
	if (!smp_load_acquire(&mtr_live))
		return -EAGAIN;
	return relay_file_operations.open(inode, filp);
}

/* relay's release and poll, our open and read; set up by mtr_channel_open() */
static struct file_operations mtr_cpu_fops = {
	.owner = THIS_MODULE,
	.open = mtr_cpu_open,
	.read = mtr_cpu_read,
	/* no .llseek: relay's open is nonseekable_open() */
};

/* relay callback: the per-CPU file cpuN in our debugfs directory (root only). */
static struct dentry *mtr_create_buf_file(const char *filename,
					  struct dentry *parent, umode_t mode,
					  struct rchan_buf *buf, int *is_global)
{
	struct dentry *d;

	/*
	 * No full proxy: an open file pins the module, and debugfs_remove()
	 * still waits for an open in progress (open_proxy_open()).
	 */
	d = debugfs_create_file_unsafe(filename, 0400, parent, buf,
				       &mtr_cpu_fops);
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
	int cpu;

	for_each_possible_cpu(cpu) {
		struct mtr_cpu_sync *s = per_cpu_ptr(&mtr_sync, cpu);

		raw_spin_lock_init(&s->lock);
		mutex_init(&s->read_mutex);
	}
	mtr_cpu_fops.release = relay_file_operations.release;
	mtr_cpu_fops.poll = relay_file_operations.poll;
	/* no CPU may come online between relay's buffer loop and its list */
	cpus_read_lock();
	mtr_chan = relay_open("cpu", dir, subbuf_size, n_subbufs,
			      &mtr_relay_callbacks, NULL);
	cpus_read_unlock();
	return mtr_chan ? 0 : -ENOMEM;
}

/**
 * mtr_channel_tick_start() - take the tick's clock anchor.
 *
 * The anchor that mtr_channel_write() stamps records from.
 * Context: the sampler's work item, before the tick's first write.
 */
void mtr_channel_tick_start(void)
{
	unsigned long flags;

	/* back to back: an interrupt between them would skew the whole tick */
	local_irq_save(flags);
	mtr_anchor_take();
	local_irq_restore(flags);
}

/**
 * mtr_channel_close() - remove the cpuN files and free the channel.
 *
 * Context: process context; the sampler must be stopped, and no cpuN file
 * can be open (an open one pins the module; none opens before init has
 * succeeded).
 */
void mtr_channel_close(void)
{
	int cpu;

	relay_close(mtr_chan);
	mtr_chan = NULL;
	/* no cpuN file is open: each pins the module */
	for_each_possible_cpu(cpu) {
		struct mtr_cpu_sync *s = per_cpu_ptr(&mtr_sync, cpu);

		kvfree(s->bounce);
		s->bounce = NULL;
	}
}

/*
 * Fill the loss record that reports the pending drops of @c, in place in the
 * relay buffer (it is rare: no stack copy to zero on every write).
 */
static void mtr_fill_loss(struct memtrace_loss *loss,
			  const struct mtr_cpu_counters *c,
			  const struct memtrace_rec_hdr *next)
{
	loss->hdr = *next;
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
 * mtr_channel_write() - stamp and commit one record on the current CPU.
 * @hdr: the header of a whole record of hdr->size bytes (a sample or a
 *       system record); hdr.cpu, hdr.seq and hdr.ts_ns are filled in here.
 *
 * Stamping and copying happen in one interrupts-off section, so per CPU the
 * records are in seq and ts_ns order.  hdr.ts_ns is CLOCK_MONOTONIC
 * interpolated within the tick: the anchor (see mtr_anchor_mono_ns) plus the
 * local_clock() time since it on the same CPU, and always after the
 * previous stamp on any CPU, so that ts_ns order is the order the sampler
 * wrote the records in.  It differs from ktime_get_ns() at the same instant by the
 * two clocks' rate difference over the time since the anchor: the
 * scheduler clock is neither slewed by NTP (up to 0.05%) nor calibrated
 * against the clocksource, so tens of ppm, 0.05% in the usual worst case
 * (5 us over a 10 ms tick, more in a longer one).
 *
 * A reader of this CPU's file is excluded by the CPU's lock (struct
 * mtr_cpu_sync) for the length of one record.  A CPU without a buffer
 * drops the record and counts it.
 *
 * When the buffer is full the record is dropped: it still consumes its seq,
 * and it is counted.  The first record committed after drops is preceded,
 * in the same sub-buffer and the same commit, by a struct memtrace_loss that
 * reports them (the two fit or neither is written).
 *
 * Context: the sampler's work item after mtr_channel_tick_start(),
 * possibly in an RCU read section; does not sleep.
 * Return: true when the record was committed, false when it was dropped.
 */
bool mtr_channel_write(struct memtrace_rec_hdr *hdr)
{
	size_t size = le32_to_cpu(hdr->size);
	struct mtr_cpu_counters *c;
	struct mtr_cpu_sync *sync;
	struct rchan_buf *buf;
	unsigned long flags;
	size_t need, off;
	bool ok = false;
	u64 seq, ts, now;

	local_irq_save(flags);
	sync = this_cpu_ptr(&mtr_sync);
	raw_spin_lock(&sync->lock);
	c = this_cpu_ptr(&mtr_counters);
	buf = *this_cpu_ptr(mtr_chan->buf);
	seq = c->seq++;
	if (unlikely(mtr_anchor_cpu != smp_processor_id()))
		mtr_anchor_take();	/* migrated since the anchor */
	now = local_clock();
	ts = mtr_anchor_mono_ns;
	if (now > mtr_anchor_local_ns)
		ts += now - mtr_anchor_local_ns;
	if (ts <= mtr_last_ts)
		ts = mtr_last_ts + 1;
	mtr_last_ts = ts;
	hdr->cpu = cpu_to_le32(smp_processor_id());
	hdr->seq = cpu_to_le64(seq);
	hdr->ts_ns = cpu_to_le64(ts);
	need = size +
	       (c->pend_lost ? sizeof(struct memtrace_loss) : 0);
	if (unlikely(!buf) ||
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
			mtr_fill_loss(buf->data + off, c, hdr);
			off += sizeof(struct memtrace_loss);
			c->pend_lost = 0;
		}
		memcpy(buf->data + off, hdr, size);
		buf->offset = off + size;
		c->written++;
		ok = true;
	}
	raw_spin_unlock(&sync->lock);
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
