// SPDX-License-Identifier: GPL-2.0
/*
 * replay.c - the replay stream: every event, through relay, per CPU
 *
 * An event is written to the stream of the CPU that produces it, as a
 * struct knhk_event followed by its input data padded to 8 bytes; the
 * reader (knhkctl replay dump) merges the CPUs' files into the canonical
 * (ts, source, seq) order, so where an event was written never matters.
 *
 * Relay refuses to switch to a sub-buffer the reader has not consumed, and
 * relay_reserve() then returns NULL. In drop mode that event is counted as
 * dropped; in lossless mode the producer waits and tries again: a worker
 * leaves the task unrun and comes back later, the submit path sleeps. The
 * digest chains see every event either way.
 */
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/percpu.h>
#include <linux/relay.h>
#include <linux/sched/signal.h>
#include <linux/string.h>

#include <knhk/sched.h>

static struct dentry *knhk_replay_create_file(const char *name,
					      struct dentry *parent,
					      umode_t mode,
					      struct rchan_buf *buf,
					      int *is_global)
{
	return debugfs_create_file(name, 0400, parent, buf,
				   &relay_file_operations);
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
 * knhk_replay_open() - open the stream of an instance being started
 * @inst: the instance; its configuration is final
 *
 * Return: 0 (also when the stream is off) or -ENOMEM.
 */
int knhk_replay_open(struct knhk_instance *inst)
{
	if (!inst->replay)
		return 0;
	inst->dropped = alloc_percpu(u64);
	if (!inst->dropped)
		return -ENOMEM;
	inst->chan = relay_open("replay", inst->dir, inst->subbuf_size,
				inst->nr_subbufs, &knhk_replay_cb, inst);
	if (!inst->chan) {
		free_percpu(inst->dropped);
		inst->dropped = NULL;
		return -ENOMEM;
	}
	return 0;
}

/**
 * knhk_replay_close() - close an instance's stream
 * @inst: the instance
 *
 * The replay files disappear; a reader that still has one open gets EIO
 * from then on. Read the stream to its end before closing the instance.
 * The drop counters stay until the instance is freed: the debugfs file
 * "dropped" may still be read until its directory is gone.
 */
void knhk_replay_close(struct knhk_instance *inst)
{
	if (inst->chan)
		relay_close(inst->chan);
	inst->chan = NULL;
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

/**
 * knhk_replay_reserve() - room for one event on this CPU's stream
 * @inst: the instance
 * @len: input data bytes that follow the record
 * @rec: gets where to write the record, or NULL if nothing is to be written
 *	(stream off, or the event dropped)
 *
 * Call with preemption disabled, and keep it disabled until the record is
 * written with knhk_replay_put(): the room belongs to this CPU's buffer.
 *
 * Return: false if the stream is lossless and full: the caller must not
 * produce the event now, and should try again later.
 */
bool knhk_replay_reserve(struct knhk_instance *inst, u32 len, void **rec)
{
	*rec = NULL;
	if (!inst->chan)
		return true;
	*rec = relay_reserve(inst->chan, sizeof(struct knhk_event) +
					 ALIGN(len, 8));
	if (*rec)
		return true;
	if (!inst->replay_drop)
		return false;
	this_cpu_inc(*inst->dropped);
	return true;
}

/**
 * knhk_replay_put() - write an event into room from knhk_replay_reserve()
 * @rec: the room, or NULL (then nothing is written)
 * @ev: the event, complete with its sequence number
 * @data: its @ev->len bytes of input data
 */
void knhk_replay_put(void *rec, const struct knhk_event *ev, const void *data)
{
	if (!rec)
		return;
	memcpy(rec, ev, sizeof(*ev));
	rec += sizeof(*ev);
	memcpy(rec, data, ev->len);
	memset(rec + ev->len, 0, ALIGN(ev->len, 8) - ev->len);
}

/**
 * knhk_replay_wait() - let a full lossless stream drain a little
 *
 * The reader consumes the stream without telling anyone; poll for it.
 */
void knhk_replay_wait(void)
{
	usleep_range(200, 1000);
}

/**
 * knhk_emit() - log an event of the submit path
 * @inst: the instance, with @inst->lock held
 * @ev: the event, but for its sequence number
 * @data: its input data, @ev->len bytes
 *
 * Waits while a lossless stream is full. A fatal signal ends the wait: the
 * event is counted as dropped (the process is going away, and with it the
 * instance).
 */
void knhk_emit(struct knhk_instance *inst, struct knhk_event *ev,
	       const void *data)
{
	void *rec;

	for (;;) {
		preempt_disable();
		if (knhk_replay_reserve(inst, ev->len, &rec))
			break;
		preempt_enable();
		if (fatal_signal_pending(current)) {
			preempt_disable();
			this_cpu_inc(*inst->dropped);
			break;
		}
		knhk_replay_wait();
	}
	knhk_chain_add(&inst->submit_chain, ev);
	knhk_replay_put(rec, ev, data);
	preempt_enable();
}
