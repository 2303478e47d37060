// SPDX-License-Identifier: GPL-2.0
/*
 * complete.c - completions: read() and poll() of an instance's file
 *
 * The reader, under @read_lock, takes finished tasks from the reap stage of
 * each lane ring (and the ordered chain's), round robin from the ring after
 * the one served last, and frees their slots for the submit path.
 */
#include <linux/minmax.h>
#include <linux/poll.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include <knhk/sched.h>
#include <trace/events/knhk_sched.h>

/* Which rings the reader takes completions from: not the lanes in step mode. */
static u32 knhk_reap_first(const struct knhk_instance *inst)
{
	return inst->step_mode ? inst->nr_lanes : 0;
}

static bool knhk_completions_ready(struct knhk_instance *inst)
{
	struct knhk_lane *lanes = knhk_lanes(inst);
	u32 i;

	for (i = knhk_reap_first(inst); lanes && i <= inst->nr_lanes; i++)
		if (knhk_ring_pending(&lanes[i].ring, KNHK_STAGE_REAP))
			return true;
	return false;
}

/**
 * knhk_fill_completion() - the completion record of a task that ran
 * @rec: filled
 * @lane: the lane (or ordered chain) it ran on
 * @slot: its slot, in the lane's reap stage
 */
void knhk_fill_completion(struct knhk_completion *rec,
			  const struct knhk_lane *lane,
			  const struct knhk_slot *slot)
{
	*rec = (struct knhk_completion){
		.task_id	= slot->task.task_id,
		.output		= slot->res.output,
		.enqueue_ts	= slot->task.enqueue_ts,
		.execute_ts	= slot->execute_ts,
		.cycles		= slot->cycles,
		.lane		= knhk_task_lane(lane->inst, slot->task.task_id),
		.status		= slot->res.status,
		.ticks		= slot->res.ticks,
		.cpu		= slot->cpu,
		.flags		= lane->source == KNHK_SRC_ORDERED ?
				  KNHK_COMPLETION_ORDERED : 0,
	};
}

/**
 * knhk_reaped() - free the first @n slots of @lane's reap stage
 * @inst: the instance, with @read_lock held
 * @lane: the lane
 * @n: slots whose completions were taken
 */
void knhk_reaped(struct knhk_instance *inst, struct knhk_lane *lane, u32 n)
{
	knhk_trace_reaped(lane, n);
	knhk_ring_advance(&lane->ring, KNHK_STAGE_REAP, n);
	WRITE_ONCE(inst->nr_completed, inst->nr_completed + n);
}

/* Completions staged on the stack between two copy_to_user() calls. */
#define KNHK_REAP_CHUNK	16

/*
 * Copy up to @max completions to @buf, ring by ring starting after the one
 * served last, and free their slots. With @read_lock held. Records are
 * filled in a small array and copied out KNHK_REAP_CHUNK at a time; a
 * lane's slots are freed once its records are out.
 */
static ssize_t knhk_reap(struct knhk_instance *inst, char __user *buf,
			 size_t max)
{
	struct knhk_completion rec[KNHK_REAP_CHUNK];
	struct knhk_lane *lanes = knhk_lanes(inst);
	u32 first = knhk_reap_first(inst), nr = inst->nr_lanes + 1 - first;
	u32 start = inst->reap_next;
	size_t done = 0;
	int err = 0;
	u32 k;

	for (k = 0; lanes && k < nr && done < max && !err; k++) {
		u32 l = first + (start + k) % nr;
		struct knhk_lane *lane = &lanes[l];
		u32 i = 0, n, c, j;
		size_t left;

		n = min_t(size_t, knhk_ring_ready(&lane->ring, KNHK_STAGE_REAP),
			  max - done);
		while (i < n) {
			c = min_t(u32, n - i, KNHK_REAP_CHUNK);
			for (j = 0; j < c; j++) {
				u32 s = knhk_ring_slot(&lane->ring,
						       KNHK_STAGE_REAP, i + j);

				knhk_fill_completion(&rec[j], lane,
						     &lane->slots[s]);
			}
			left = copy_to_user(buf, rec, c * sizeof(rec[0]));
			/* The records before a hole in @buf are read. */
			j = (c * sizeof(rec[0]) - left) / sizeof(rec[0]);
			buf += j * sizeof(rec[0]);
			i += j;
			if (left) {
				err = -EFAULT;
				break;
			}
		}
		if (!i)
			continue;
		knhk_reaped(inst, lane, i);
		done += i;
		inst->reap_next = l - first + 1;
	}
	/*
	 * A submitter may be waiting for the room: wake it, once per read and
	 * only if it sleeps. wq_has_sleeper()'s barrier orders the freed
	 * slots and nr_completed before the look at the queue; it pairs with
	 * the one in the waiter's prepare_to_wait() (wait_event), between
	 * its queueing and its look at the room.
	 */
	if (done && wq_has_sleeper(&inst->wq))
		wake_up_all(&inst->wq);
	return done ? done * sizeof(struct knhk_completion) : err;
}

/**
 * knhk_instance_read() - read completion records
 * @inst: the instance
 * @buf: user buffer
 * @count: its size; at least one record
 * @nonblock: return -EAGAIN instead of waiting for a completion
 *
 * Return: bytes copied (whole records), or a negative errno.
 */
ssize_t knhk_instance_read(struct knhk_instance *inst, char __user *buf,
			   size_t count, bool nonblock)
{
	size_t max = count / sizeof(struct knhk_completion);
	ssize_t ret;

	if (!max)
		return -EINVAL;
	for (;;) {
		/*
		 * Never sleep with @read_lock held: run-cycle takes it under
		 * the submit lock, which whatever we wait for may need.
		 */
		if (mutex_lock_interruptible(&inst->read_lock))
			return -ERESTARTSYS;
		ret = knhk_reap(inst, buf, max);
		mutex_unlock(&inst->read_lock);
		if (ret)
			return ret;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(inst->wq,
					       knhk_completions_ready(inst));
		if (ret)
			return ret;
	}
}

/**
 * knhk_instance_poll() - readiness of an instance's file
 * @inst: the instance
 * @file: its file
 * @wait: poll table
 *
 * Return: EPOLLIN when a completion can be read, EPOLLOUT while the instance
 * is below its in-flight limit (a full lane ring may still make an enqueue
 * wait).
 */
__poll_t knhk_instance_poll(struct knhk_instance *inst, struct file *file,
			    struct poll_table_struct *wait)
{
	__poll_t mask = 0;

	poll_wait(file, &inst->wq, wait);
	if (knhk_completions_ready(inst))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (READ_ONCE(inst->nr_submitted) - READ_ONCE(inst->nr_completed) <
	    READ_ONCE(inst->cq_size))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
