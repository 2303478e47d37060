// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c - the replay stream: every event, through relay, per CPU
 *
 * An event is written to the stream of the CPU that produces it, as a
 * struct knhk_event followed by its input data padded to 8 bytes; the
 * reader (knhkctl replay dump) merges the CPUs' files into the canonical
 * (ts, source, seq) order, so where an event was written never matters.
 *
 * Room is checked before an event exists. Without room, in drop mode the
 * event is counted as dropped; in lossless mode the producer waits and
 * tries again: a worker leaves the task unrun and parks the lane, the
 * submit path sleeps. The digest chains see every event either way.
 *
 * Nothing polls. Relay tells nobody when its reader consumes (its
 * callbacks are all on the producer side: subbuf_start runs when a
 * producer switches sub-buffers), but every consumption goes through
 * read() of a replay file, whose operations are ours: after its read()
 * has consumed a sub-buffer, knhk_replay_consumed() kicks the lanes parked
 * on that CPU's stream and wakes the submit path. (An mmap() reader
 * consumes nothing, with or without us.) A parked lane costs its worker
 * nothing, so a stream nobody drains stalls its own instance only.
 *
 * Records are copied in by hand rather than with relay_reserve() or
 * relay_write(), for two reasons. A reader may read the sub-buffer being
 * written up to its offset, so the bytes must be in place before the offset
 * covers them. And relay must never be asked for a sub-buffer switch it will
 * refuse: in refusing, it briefly shows a full buffer with offset 0, which a
 * concurrent reader takes for an overwritten one and skips a sub-buffer. So
 * a switch is made only while it leaves a sub-buffer free.
 */
#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/relay.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <knhk/sched.h>

/*
 * relay_file_operations, but for open (see knhk_replay_file_open()), read
 * (knhk_replay_file_read()) and the owner: relay's own operations belong
 * to the kernel and pin nothing, so an open replay file would not keep the
 * module loaded, and its release would go through our freed copy of them.
 */
static struct file_operations knhk_replay_fops;

/*
 * Relay creates a buffer's file before it initialises the buffer's
 * reference count, and relay_file_operations.open takes a reference
 * unconditionally: an open() in between would take one from zero, which
 * the initialisation then overwrites, and the buffer would be freed under
 * its channel when that file is closed. This happens on two paths: in
 * relay_open() (the files of the CPUs online then), and in relay's CPU
 * hotplug callback (the file of a CPU that comes up for the first time in
 * the channel's life). A buffer is listed in its channel's per-CPU array
 * only once it is initialised, and the channel is published once
 * relay_open() has returned: open a file only when both hold, and take the
 * reference only if it is not zero. Otherwise -EAGAIN: try again.
 */
static bool knhk_replay_buf_listed(struct rchan *chan, struct rchan_buf *buf)
{
	int cpu;

	/* Not buf->cpu: relay sets it while the file is already there. */
	for_each_possible_cpu(cpu)
		if (READ_ONCE(*per_cpu_ptr(chan->buf, cpu)) == buf)
			return true;
	return false;
}

static int knhk_replay_file_open(struct inode *inode, struct file *file)
{
	struct rchan_buf *buf = inode->i_private;
	struct knhk_instance *inst = buf->chan->private_data;

	/* Pairs with the release in knhk_replay_open(). */
	if (!smp_load_acquire(&inst->chan) ||
	    !knhk_replay_buf_listed(buf->chan, buf) ||
	    !kref_get_unless_zero(&buf->kref))
		return -EAGAIN;
	/* What relay_file_operations.open does once it has its reference. */
	file->private_data = buf;
	return nonseekable_open(inode, file);
}

/*
 * The reader made room in @cpu's stream: kick the lanes parked on it and
 * wake the submit path. Runs inside a replay file's read(), which debugfs
 * holds the file's removal off for, so the instance is alive.
 */
static void knhk_replay_consumed(struct knhk_instance *inst, int cpu)
{
	unsigned long *parked, word;
	u32 i, l;

	/* Consumption before the parked test; pairs with knhk_replay_park(). */
	smp_mb();
	if (inst->parked) {
		parked = per_cpu_ptr(inst->parked, cpu);
		for (i = 0; i < BITS_TO_LONGS(inst->nr_lanes); i++) {
			if (!READ_ONCE(parked[i]))
				continue;
			/* Whoever clears a bit kicks its lane: exactly once. */
			word = xchg(&parked[i], 0);
			for_each_set_bit(l, &word, BITS_PER_LONG)
				knhk_lane_kick(&inst->lanes[i * BITS_PER_LONG + l]);
		}
	}
	/* Full barrier inside; pairs with the waiter's set_current_state(). */
	if (wq_has_sleeper(&inst->replay_wq))
		wake_up_all(&inst->replay_wq);
}

/*
 * How far the sub-buffer being written, number @produced, is written: true
 * and *@end, or false if the producer is switching sub-buffers (look
 * again: @produced is finished, or about to be written from its start).
 *
 * relay_switch_subbuf() increments subbufs_produced, then resets the
 * offset, then moves data to the new sub-buffer. A count that moved on is
 * therefore not enough to trust the offset: between the count and the
 * reset the offset is still the old sub-buffer's (seen: a reader took the
 * 65,480 bytes of a finished sub-buffer for the new one's, and read past
 * its end from then on). data pointing into sub-buffer @produced says the
 * reset is done; the count unchanged after the offset says no later switch
 * began. smp_rmb() between the reads; the producer's stores are ordered
 * (an smp_mb() after the count, program order on TSO after that).
 */
static bool knhk_replay_written(struct rchan_buf *buf, size_t produced,
				size_t *end)
{
	size_t size = buf->chan->subbuf_size;

	smp_rmb(); /* the count before data */
	if (READ_ONCE(buf->data) !=
	    buf->start + (produced % buf->chan->n_subbufs) * size)
		return false;
	smp_rmb(); /* data before the offset */
	*end = min_t(size_t, READ_ONCE(buf->offset), size);
	smp_rmb(); /* the offset before the count again */
	return READ_ONCE(buf->subbufs_produced) == produced;
}

/*
 * Copy what @buf holds from where the reader is to @ubuf, at most @count
 * bytes: the finished sub-buffers, then the one being written as far as
 * it is written. Relay's bookkeeping is kept as relay's own read() keeps
 * it (bytes_consumed within the oldest unread sub-buffer, subbufs_consumed
 * through relay_subbufs_consumed()), so relay's poll() stays right. The
 * sub-buffer being read cannot be overwritten meanwhile: the producer
 * never switches into an unconsumed sub-buffer (knhk_replay_buf_room()),
 * and only this reader, under the inode lock, consumes.
 *
 * Not relay's read(): it reads the written sub-buffer too, but on a full
 * buffer it goes on, in the same call, into the sub-buffer after one it
 * has just finished while the producer is between counting that one
 * produced and moving on, and returns stale bytes and marks them read;
 * limited to the written sub-buffer's bytes, it still left the reader past
 * that sub-buffer's end once the producer finished it (seen: 32 bytes past
 * it, after which every read() returned 0 and `make bench` lost the rest
 * of the stream).
 *
 * Ordering: the producer writes a sub-buffer's records (knhk_replay_put(),
 * then smp_wmb()), then, when it switches, that sub-buffer's padding and
 * subbufs_produced. We read subbufs_produced, then smp_rmb(), then the
 * padding and the records. The padding and the count are plain stores in
 * relay_switch_subbuf(), ordered on the architectures we build for (TSO,
 * like relay's own read() assumes).
 *
 * Return: bytes copied, or -EFAULT if none could be.
 */
static ssize_t knhk_replay_copy(struct rchan_buf *buf, char __user *ubuf,
				size_t count)
{
	size_t n = buf->chan->n_subbufs, size = buf->chan->subbuf_size;
	ssize_t ret = 0;

	while (count) {
		size_t sub = buf->subbufs_consumed % n, end, k;
		size_t produced = READ_ONCE(buf->subbufs_produced);
		size_t done = produced - buf->subbufs_consumed;

		/* The producer leaves a sub-buffer free: never n finished. */
		if (WARN_ON_ONCE(done >= n))
			break;
		if (done) {
			/* Pairs with the smp_wmb() in knhk_replay_put(). */
			smp_rmb();
			end = size - READ_ONCE(buf->padding[sub]);
		} else if (!knhk_replay_written(buf, produced, &end)) {
			/* Finished meanwhile: read it as such. */
			if (READ_ONCE(buf->subbufs_produced) != produced)
				continue;
			/* Half switched: its producer is not preemptible. */
			cpu_relax();
			continue;
		}
		if (WARN_ON_ONCE(end < buf->bytes_consumed))
			break;
		k = min(end - buf->bytes_consumed, count);
		if (k && copy_to_user(ubuf + ret, buf->start + sub * size +
				      buf->bytes_consumed, k))
			return ret ? ret : -EFAULT;
		ret += k;
		count -= k;
		buf->bytes_consumed += k;
		/*
		 * The written sub-buffer is read as far as it is written; a
		 * full one that is not switched yet stays unconsumed (relay
		 * does the same), and is consumed once it is finished.
		 */
		if (!done)
			break;
		if (buf->bytes_consumed == end) {
			relay_subbufs_consumed(buf->chan, buf->cpu, 1);
			buf->bytes_consumed = 0;
		}
	}
	return ret;
}

/*
 * A replay file's read(): what the stream holds (knhk_replay_copy()),
 * then wake whoever waits for the room that made. One read() returns as
 * many bytes as fit in @count: a reader drains a whole stream with one
 * call instead of a record at a time.
 */
static ssize_t knhk_replay_file_read(struct file *file, char __user *ubuf,
				     size_t count, loff_t *ppos)
{
	struct rchan_buf *buf = file->private_data;
	struct inode *inode = file_inode(file);
	size_t before;
	ssize_t ret;

	inode_lock(inode);
	before = buf->subbufs_consumed;
	ret = knhk_replay_copy(buf, ubuf, count);
	inode_unlock(inode);
	/*
	 * Relay frees whole sub-buffers. Readers are serialised by the inode
	 * lock, so the reader whose read() consumed one sees the count move,
	 * even when it copied nothing (the rest of a full sub-buffer that
	 * was read before it was finished).
	 */
	if (READ_ONCE(buf->subbufs_consumed) != before)
		knhk_replay_consumed(buf->chan->private_data, buf->cpu);
	return ret;
}

static struct dentry *knhk_replay_create_file(const char *name,
					      struct dentry *parent,
					      umode_t mode,
					      struct rchan_buf *buf,
					      int *is_global)
{
	return debugfs_create_file(name, 0400, parent, buf, &knhk_replay_fops);
}

static int knhk_replay_remove_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks knhk_replay_cb = {
	.create_buf_file	= knhk_replay_create_file,
	.remove_buf_file	= knhk_replay_remove_file,
};

/**
 * knhk_replay_init() - prepare the replay files' operations
 */
void knhk_replay_init(void)
{
	knhk_replay_fops = relay_file_operations;
	knhk_replay_fops.owner = THIS_MODULE;
	knhk_replay_fops.open = knhk_replay_file_open;
	knhk_replay_fops.read = knhk_replay_file_read;
}

/*
 * When relay_open() fails on a CPU after the first, 6.1's cleanup clears
 * the wrong per-CPU slot (the failed buffer's cpu field is still 0), so
 * CPU 0's buffer and its file stay behind. The buffer is lost to us, but
 * its file would make every later start of the instance fail: remove it.
 * Its open() refuses anyway, since the instance has no channel.
 */
static void knhk_replay_remove_leftovers(struct knhk_instance *inst)
{
	char name[24];
	int cpu;

	for_each_possible_cpu(cpu) {
		struct dentry *d;

		snprintf(name, sizeof(name), "replay%d", cpu);
		d = debugfs_lookup(name, inst->dir);
		if (!d)
			continue;
		debugfs_remove(d);
		dput(d);
	}
}

/*
 * The module-wide cap on replay buffers. Relay allocates them page by page
 * with plain GFP_KERNEL, which no memory cgroup is charged for, so this cap
 * is all that bounds them: an instance reserves its streams' size at
 * configure time, for every possible CPU (relay gives a buffer to each CPU
 * that comes online), and gives it back when it is freed.
 */
static unsigned int knhk_replay_max_mb = KNHK_REPLAY_MAX_MB_DEFAULT;
module_param_named(replay_max_mb, knhk_replay_max_mb, uint, 0644);
MODULE_PARM_DESC(replay_max_mb,
		 "MiB of replay buffers all instances together may hold");

/* Bytes reserved by all instances; changed with atomic adds only. */
static atomic64_t knhk_replay_reserved = ATOMIC64_INIT(0);

/**
 * knhk_replay_budget() - set an instance's share of the replay buffer cap
 * @inst: the instance, with @inst->lock held or no longer shared
 * @bytes: its streams' bytes per CPU (sub-buffer size times count), 0 to
 *	give its share back
 *
 * Return: 0, or -ENOSPC if the cap does not leave room for @bytes on every
 * possible CPU; the instance's share is then unchanged.
 */
int knhk_replay_budget(struct knhk_instance *inst, u64 bytes)
{
	u64 want = bytes * num_possible_cpus();
	u64 have = inst->replay_bytes * num_possible_cpus();
	u64 cap = (u64)READ_ONCE(knhk_replay_max_mb) << 20;
	s64 delta = want - have;

	/* One add, then a look: two racing instances never both get in. */
	if (delta > 0 &&
	    atomic64_add_return(delta, &knhk_replay_reserved) > cap) {
		atomic64_sub(delta, &knhk_replay_reserved);
		return -ENOSPC;
	}
	if (delta < 0)
		atomic64_sub(-delta, &knhk_replay_reserved);
	inst->replay_bytes = bytes;
	return 0;
}

/**
 * knhk_replay_open() - open the stream of an instance being started
 * @inst: the instance; its configuration is final
 *
 * Return: 0 (also when the stream is off) or -ENOMEM.
 */
int knhk_replay_open(struct knhk_instance *inst)
{
	struct rchan *chan;

	if (!inst->replay)
		return 0;
	inst->dropped = alloc_percpu_gfp(u64, GFP_KERNEL_ACCOUNT);
	if (!inst->dropped)
		return -ENOMEM;
	if (!inst->replay_drop) {
		inst->parked = __alloc_percpu_gfp(BITS_TO_LONGS(inst->nr_lanes) *
						  sizeof(long), sizeof(long),
						  GFP_KERNEL_ACCOUNT);
		if (!inst->parked)
			goto nomem;
	}
	/*
	 * relay_open() makes a buffer for each online CPU, and relay's
	 * hotplug callback one for each CPU that comes up once the channel
	 * is listed. A CPU coming up while relay_open() runs would get
	 * neither, and its workers would find no buffer: hold hotplug off.
	 */
	cpus_read_lock();
	chan = relay_open("replay", inst->dir, inst->subbuf_size,
			  inst->nr_subbufs, &knhk_replay_cb, inst);
	cpus_read_unlock();
	if (!chan) {
		knhk_replay_remove_leftovers(inst);
		goto nomem;
	}
	/* The replay files may be opened from now on. */
	smp_store_release(&inst->chan, chan);
	return 0;
nomem:
	free_percpu(inst->parked);
	inst->parked = NULL;
	free_percpu(inst->dropped);
	inst->dropped = NULL;
	return -ENOMEM;
}

/**
 * knhk_replay_close() - close an instance's stream
 * @inst: the instance
 *
 * The replay files disappear; a reader that still has one open gets EIO
 * from then on. Read the stream to its end before closing the instance.
 * Call it with the lanes detached: no lane may park any more.
 * The drop counters stay until the instance is freed: the debugfs file
 * "dropped" may still be read until its directory is gone.
 */
void knhk_replay_close(struct knhk_instance *inst)
{
	if (inst->chan)
		relay_close(inst->chan);
	inst->chan = NULL;
	/* No reader is left (relay_close() removed the files), nor a lane. */
	free_percpu(inst->parked);
	inst->parked = NULL;
}

/**
 * knhk_replay_dropped() - events dropped by one CPU's stream
 * @inst: the instance
 * @cpu: the CPU
 *
 * Return: the count, 0 when the stream is off.
 */
u64 knhk_replay_dropped(struct knhk_instance *inst, int cpu)
{
	return inst->dropped ? READ_ONCE(*per_cpu_ptr(inst->dropped, cpu)) : 0;
}

/* Bytes of a record with @len bytes of data: event, data, zeroes to 8. */
static size_t knhk_replay_rec_size(u32 len)
{
	return sizeof(struct knhk_event) + ALIGN(len, 8);
}

/* Whether @buf takes @need more bytes without a refused switch. */
static bool knhk_replay_buf_room(struct rchan *chan, struct rchan_buf *buf,
				 size_t need)
{
	if (buf->offset + need <= chan->subbuf_size)
		return true;
	/* A switch completes a sub-buffer; it must leave one free. */
	return buf->subbufs_produced + 1 - READ_ONCE(buf->subbufs_consumed) <
	       chan->n_subbufs;
}

/* The same for this CPU's buffer, which only this CPU writes. */
static bool knhk_replay_has_room(struct rchan *chan, size_t need)
{
	return knhk_replay_buf_room(chan, *this_cpu_ptr(chan->buf), need);
}

/**
 * knhk_replay_reserve() - make sure one event can be written on this CPU
 * @inst: the instance
 * @len: input data bytes that follow the record
 * @write: set if the event is to be written (stream on and room, not
 *	dropped)
 * @force: drop rather than wait even in lossless mode (the producer is
 *	being killed)
 *
 * Call with preemption disabled, and keep it disabled until the event is
 * written with knhk_replay_put(): the room is this CPU's buffer's.
 *
 * Return: false if the stream is lossless and full: the caller must not
 * produce the event now, and should try again later.
 */
bool knhk_replay_reserve(struct knhk_instance *inst, u32 len, bool *write,
			 bool force)
{
	*write = false;
	if (!inst->chan)
		return true;
	if (knhk_replay_has_room(inst->chan, knhk_replay_rec_size(len))) {
		*write = true;
		return true;
	}
	if (!inst->replay_drop && !force)
		return false;
	this_cpu_inc(*inst->dropped);
	return true;
}

/**
 * knhk_replay_put() - write an event reserved with knhk_replay_reserve()
 * @inst: the instance
 * @write: what knhk_replay_reserve() said
 * @ev: the event, complete with its sequence number
 * @data: its @ev->len bytes of input data
 *
 * The record (event, data, zero padding to 8 bytes) goes whole into one
 * sub-buffer: a reader that reads only finished sub-buffers then never
 * reads the one being written. That matters beyond tidiness: relay's
 * read() of the sub-buffer after one it has just finished, while
 * relay_switch_subbuf() is between counting the old one produced and
 * moving to the new one, returns the new one's stale bytes and marks them
 * consumed. A record split over two sub-buffers sent readers there.
 */
void knhk_replay_put(struct knhk_instance *inst, bool write,
		     const struct knhk_event *ev, const void *data)
{
	struct rchan *chan = inst->chan;
	struct knhk_event *rec;
	struct rchan_buf *buf;
	size_t len = knhk_replay_rec_size(ev->len);
	u8 *p;

	if (!write)
		return;
	buf = *this_cpu_ptr(chan->buf);
	if (buf->offset + len > chan->subbuf_size &&
	    WARN_ON_ONCE(relay_switch_subbuf(buf, len) != len))
		return;
	p = buf->data + buf->offset;
	rec = (struct knhk_event *)p;
	memcpy(rec, ev, sizeof(*ev));
	if (ev->len)
		memcpy(p + sizeof(*ev), data, ev->len);
	memset(p + sizeof(*ev) + ev->len, 0, len - sizeof(*ev) - ev->len);
	/* The bytes before the offset that lets a reader see them. */
	smp_wmb();
	buf->offset += len;
}

/* Whether @buf, perhaps another CPU's, has room for @need bytes now. */
static bool knhk_replay_room_hint(struct rchan *chan, struct rchan_buf *buf,
				  size_t need)
{
	/* Its producers may write it as we look: the caller checks again. */
	return data_race(knhk_replay_buf_room(chan, buf, need));
}

/**
 * knhk_replay_wait() - the submit path: wait for room in a lossless stream
 * @inst: the instance, with @inst->lock held
 * @len: input data bytes of the event that found no room
 *
 * Waits until this CPU's stream takes the event, or a fatal signal. The
 * caller may run on another CPU when it tries again: it then waits for
 * that one, if need be. Only this instance waits: workers park lanes
 * instead (knhk_replay_park()).
 */
void knhk_replay_wait(struct knhk_instance *inst, u32 len)
{
	struct rchan_buf *buf = *per_cpu_ptr(inst->chan->buf,
					     raw_smp_processor_id());
	size_t need = knhk_replay_rec_size(len);

	wait_event_killable(inst->replay_wq,
			    !buf || knhk_replay_room_hint(inst->chan, buf, need));
}

/**
 * knhk_replay_park() - a lane stalled by this CPU's full lossless stream
 * @lane: the lane; its worker, on @cpu, could not write its next event
 * @cpu: the worker's CPU
 *
 * Marks the lane parked on @cpu's stream, for knhk_replay_consumed() to
 * kick once the reader makes room; the worker leaves it off its lists.
 *
 * Return: true if room came meanwhile and the lane is no longer parked:
 * the caller runs it again.
 */
bool knhk_replay_park(struct knhk_lane *lane, unsigned int cpu)
{
	struct knhk_instance *inst = lane->inst;
	unsigned long *parked = per_cpu_ptr(inst->parked, cpu);

	set_bit(lane->id, parked);
	/* Parked before the room test; pairs with knhk_replay_consumed(). */
	smp_mb__after_atomic();
	if (!knhk_replay_buf_room(inst->chan, *per_cpu_ptr(inst->chan->buf, cpu),
				  knhk_replay_rec_size(0)))
		return false;
	/* If the reader took the bit, it kicked the lane: not us too. */
	return test_and_clear_bit(lane->id, parked);
}

/**
 * knhk_emit() - log an event of the submit path
 * @inst: the instance, with @inst->lock held
 * @ev: the event, but for its sequence number
 * @data: its @ev->len bytes of input data
 *
 * Waits while a lossless stream is full. A fatal signal ends the wait: the
 * event is counted as dropped (the process is going away, and with it the
 * instance).
 */
void knhk_emit(struct knhk_instance *inst, struct knhk_event *ev,
	       const void *data)
{
	bool write;

	for (;;) {
		bool dying = fatal_signal_pending(current);

		preempt_disable();
		if (knhk_replay_reserve(inst, ev->len, &write, dying))
			break;
		preempt_enable();
		knhk_replay_wait(inst, ev->len);
	}
	knhk_chain_add(&inst->submit_chain, ev);
	knhk_replay_put(inst, write, ev, data);
	preempt_enable();
}
