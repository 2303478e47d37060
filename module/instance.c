// SPDX-License-Identifier: GPL-2.0
/*
 * instance.c - one scheduler: configuration, submission, execution,
 * completions
 *
 * Locking: @lock serialises the submit path (configure, enqueue, barrier),
 * @read_lock the completion reader. Workers take neither: a task travels
 * through its lane ring from the submit path to the worker to the reader,
 * each stage the single owner of its ring cursor.
 *
 * The lanes are allocated with the first task, after which the
 * configuration is fixed and @lanes never changes until the instance is
 * destroyed, so the reader and the statistics may look at them without the
 * submit lock.
 */
#include <linux/err.h>
#include <linux/minmax.h>
#include <linux/overflow.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/timex.h>

#include <knhk/sched.h>

/* Tasks a worker runs from one lane before it looks at the next. */
#define KNHK_RUN_BATCH	64

/**
 * knhk_instance_create() - a new, unconfigured instance
 * @id: the instance's number, for names
 *
 * Return: the instance, or an ERR_PTR().
 */
struct knhk_instance *knhk_instance_create(u32 id)
{
	struct knhk_instance *inst;

	inst = kzalloc(sizeof(*inst), GFP_KERNEL_ACCOUNT);
	if (!inst)
		return ERR_PTR(-ENOMEM);
	mutex_init(&inst->lock);
	mutex_init(&inst->read_lock);
	init_waitqueue_head(&inst->wq);
	inst->id = id;
	inst->nr_lanes = KNHK_DEFAULT_LANES;
	inst->ring_size = KNHK_DEFAULT_RING;
	inst->cq_size = KNHK_DEFAULT_LANES * KNHK_DEFAULT_RING;
	return inst;
}

static void knhk_lanes_free(struct knhk_lane *lanes, u32 nr)
{
	u32 i;

	for (i = 0; i < nr; i++)
		kvfree(lanes[i].slots);
	vfree(lanes);
}

/**
 * knhk_instance_destroy() - stop and free an instance
 * @inst: the instance; its file is gone, so nobody else uses it
 *
 * Tasks still in flight are dropped with their lanes.
 */
void knhk_instance_destroy(struct knhk_instance *inst)
{
	if (inst->lanes) {
		knhk_lanes_detach(inst);
		knhk_lanes_free(inst->lanes, inst->nr_lanes);
	}
	mutex_destroy(&inst->read_lock);
	mutex_destroy(&inst->lock);
	kfree(inst);
}

/**
 * knhk_instance_configure() - set the configuration used from the first task
 * @inst: the instance
 * @cfg: the configuration, flags and reserved fields already checked
 *
 * Return: 0, -EINVAL for a value out of range, -EBUSY once a task has been
 * accepted, -EINTR if killed while waiting for the submit lock.
 */
int knhk_instance_configure(struct knhk_instance *inst,
			    const struct knhk_config *cfg)
{
	int ret = 0;

	if (!cfg->lanes || cfg->lanes > KNHK_MAX_LANES ||
	    !is_power_of_2(cfg->lanes) ||
	    cfg->ring_size < KNHK_MIN_RING || cfg->ring_size > KNHK_MAX_RING ||
	    !is_power_of_2(cfg->ring_size) ||
	    cfg->lanes * cfg->ring_size > KNHK_MAX_SLOTS ||
	    !cfg->cq_size || cfg->cq_size > cfg->lanes * cfg->ring_size)
		return -EINVAL;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	if (inst->started) {
		ret = -EBUSY;
	} else {
		WRITE_ONCE(inst->nr_lanes, cfg->lanes);
		WRITE_ONCE(inst->ring_size, cfg->ring_size);
		WRITE_ONCE(inst->cq_size, cfg->cq_size);
	}
	mutex_unlock(&inst->lock);
	return ret;
}

/* Allocate the lanes and hand them to the workers; with @inst->lock held. */
static int knhk_instance_start(struct knhk_instance *inst)
{
	struct knhk_lane *lanes;
	u32 i;

	lanes = vzalloc(array_size(inst->nr_lanes, sizeof(*lanes)));
	if (!lanes)
		return -ENOMEM;
	for (i = 0; i < inst->nr_lanes; i++) {
		struct knhk_lane *lane = &lanes[i];

		lane->slots = kvcalloc(inst->ring_size, sizeof(*lane->slots),
				       GFP_KERNEL_ACCOUNT);
		if (!lane->slots) {
			knhk_lanes_free(lanes, i);
			return -ENOMEM;
		}
		knhk_ring_init(&lane->ring, inst->ring_size, KNHK_NR_STAGES, 0);
		lane->inst = inst;
		lane->id = i;
	}
	/* The reader and stats look at @lanes without @lock: see knhk_lanes(). */
	smp_store_release(&inst->lanes, lanes);
	knhk_lanes_attach(inst);
	inst->started = true;
	return 0;
}

static bool knhk_has_room(struct knhk_instance *inst, struct knhk_lane *lane)
{
	return inst->nr_submitted - READ_ONCE(inst->nr_completed) <
	       inst->cq_size &&
	       knhk_ring_ready(&lane->ring, KNHK_STAGE_SUBMIT);
}

/**
 * knhk_instance_enqueue() - accept one plain task
 * @inst: the instance
 * @ut: the task descriptor
 * @nonblock: fail with -EAGAIN instead of waiting for room
 *
 * Validates the task, then waits (killable) until its lane ring has a free
 * slot and the instance is below its in-flight limit, stamps it with the
 * submit clock and hands it to the lane's worker.
 *
 * Return: 0, -EINVAL for a bad task, -EAGAIN, -EINTR or -ENOMEM.
 */
int knhk_instance_enqueue(struct knhk_instance *inst,
			  const struct knhk_task *ut, bool nonblock)
{
	struct knhk_task_x t;
	struct knhk_lane *lane;
	struct knhk_slot *slot;
	int ret;

	ret = knhk_task_import(&t, ut, KNHK_TASK_PLAIN);
	if (ret)
		return ret;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	if (!inst->started) {
		ret = knhk_instance_start(inst);
		if (ret)
			goto out;
	}
	lane = &inst->lanes[t.task_id & (inst->nr_lanes - 1)];
	if (!knhk_has_room(inst, lane)) {
		ret = -EAGAIN;
		if (nonblock)
			goto out;
		ret = wait_event_killable(inst->wq, knhk_has_room(inst, lane));
		if (ret) {
			ret = -EINTR;
			goto out;
		}
	}

	/* No guard is ever set yet: a guarded task does not run. */
	t.guard_failed = ut->nguards != 0;
	t.enqueue_ts = ++inst->submit_clock;

	slot = &lane->slots[knhk_ring_slot(&lane->ring, KNHK_STAGE_SUBMIT, 0)];
	slot->task = t;
	knhk_ring_advance(&lane->ring, KNHK_STAGE_SUBMIT, 1);
	WRITE_ONCE(lane->nr_enqueued, lane->nr_enqueued + 1);
	WRITE_ONCE(inst->nr_submitted, inst->nr_submitted + 1);
	knhk_worker_kick(READ_ONCE(lane->cpu));
out:
	mutex_unlock(&inst->lock);
	return ret;
}

/**
 * knhk_lane_run() - run a batch of a lane's waiting tasks
 * @lane: the lane; the caller is its current worker
 * @cpu: the worker's CPU, reported in completions
 *
 * Each task's execute timestamp is the lane clock after the receive rule,
 * max(lane clock, enqueue timestamp) + 1; the ring is FIFO, so this depends
 * only on the order the submit path gave the lane.
 *
 * Return: true if tasks are left for another call.
 */
bool knhk_lane_run(struct knhk_lane *lane, unsigned int cpu)
{
	u32 i, n;

	n = min_t(u32, knhk_ring_ready(&lane->ring, KNHK_STAGE_EXEC),
		  KNHK_RUN_BATCH);
	if (!n)
		return false;
	for (i = 0; i < n; i++) {
		struct knhk_slot *slot;
		cycles_t start;

		slot = &lane->slots[knhk_ring_slot(&lane->ring, KNHK_STAGE_EXEC, i)];
		start = get_cycles();
		knhk_task_run(&slot->task, lane->state, &slot->res);
		slot->cycles = get_cycles() - start;
		lane->clock = max(lane->clock, slot->task.enqueue_ts) + 1;
		slot->execute_ts = lane->clock;
		slot->cpu = cpu;
	}
	knhk_ring_advance(&lane->ring, KNHK_STAGE_EXEC, n);
	WRITE_ONCE(lane->nr_executed, lane->nr_executed + n);
	if (wq_has_sleeper(&lane->inst->wq))
		wake_up_all(&lane->inst->wq);
	return n == KNHK_RUN_BATCH;
}

static bool knhk_all_run(struct knhk_instance *inst)
{
	u32 i;

	for (i = 0; i < inst->nr_lanes; i++)
		if (knhk_ring_pending(&inst->lanes[i].ring, KNHK_STAGE_EXEC))
			return false;
	return true;
}

/**
 * knhk_instance_barrier() - wait until every accepted task has run
 * @inst: the instance
 *
 * Holds the submit lock, so it waits for exactly the tasks accepted before
 * it, as one more step of the submit path.
 *
 * Return: 0, or -EINTR if killed.
 */
int knhk_instance_barrier(struct knhk_instance *inst)
{
	int ret = 0;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	if (inst->started &&
	    wait_event_killable(inst->wq, knhk_all_run(inst)))
		ret = -EINTR;
	mutex_unlock(&inst->lock);
	return ret;
}

/* The lanes, once the first task has published them; else NULL. */
static struct knhk_lane *knhk_lanes(struct knhk_instance *inst)
{
	/* Pairs with the release in knhk_instance_start(). */
	return smp_load_acquire(&inst->lanes);
}

static bool knhk_completions_ready(struct knhk_instance *inst)
{
	struct knhk_lane *lanes = knhk_lanes(inst);
	u32 i;

	for (i = 0; lanes && i < inst->nr_lanes; i++)
		if (knhk_ring_pending(&lanes[i].ring, KNHK_STAGE_REAP))
			return true;
	return false;
}

static int knhk_put_completion(char __user *buf, const struct knhk_lane *lane,
			       const struct knhk_slot *slot)
{
	const struct knhk_completion rec = {
		.task_id	= slot->task.task_id,
		.output		= slot->res.output,
		.enqueue_ts	= slot->task.enqueue_ts,
		.execute_ts	= slot->execute_ts,
		.cycles		= slot->cycles,
		.lane		= lane->id,
		.status		= slot->res.status,
		.ticks		= slot->res.ticks,
		.cpu		= slot->cpu,
	};

	return copy_to_user(buf, &rec, sizeof(rec)) ? -EFAULT : 0;
}

/*
 * Copy up to @max completions to @buf, lane by lane starting after the lane
 * served last, and free their slots. With @read_lock held.
 */
static ssize_t knhk_reap(struct knhk_instance *inst, char __user *buf,
			 size_t max)
{
	struct knhk_lane *lanes = knhk_lanes(inst);
	size_t done = 0;
	int err = 0;
	u32 k;

	for (k = 0; lanes && k < inst->nr_lanes && done < max && !err; k++) {
		u32 l = (inst->reap_next + k) & (inst->nr_lanes - 1);
		struct knhk_lane *lane = &lanes[l];
		u32 i, n;

		n = min_t(size_t, knhk_ring_ready(&lane->ring, KNHK_STAGE_REAP),
			  max - done);
		for (i = 0; i < n; i++) {
			u32 s = knhk_ring_slot(&lane->ring, KNHK_STAGE_REAP, i);

			err = knhk_put_completion(buf, lane, &lane->slots[s]);
			if (err)
				break;
			buf += sizeof(struct knhk_completion);
		}
		if (!i)
			continue;
		knhk_ring_advance(&lane->ring, KNHK_STAGE_REAP, i);
		done += i;
		inst->reap_next = l + 1;
	}
	if (!done)
		return err;
	WRITE_ONCE(inst->nr_completed, inst->nr_completed + done);
	wake_up_all(&inst->wq);
	return done * sizeof(struct knhk_completion);
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
	if (mutex_lock_interruptible(&inst->read_lock))
		return -ERESTARTSYS;
	for (;;) {
		ret = knhk_reap(inst, buf, max);
		if (ret)
			break;
		ret = -EAGAIN;
		if (nonblock)
			break;
		ret = wait_event_interruptible(inst->wq,
					       knhk_completions_ready(inst));
		if (ret)
			break;
	}
	mutex_unlock(&inst->read_lock);
	return ret;
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

/**
 * knhk_instance_stats() - fill counters
 * @inst: the instance
 * @st: totals; @st->lanes is set to the instance's lane count
 * @uls: user array for per-lane counters
 * @room: entries in @uls
 *
 * The counters are read without locks: each is exact, the set is a snapshot
 * only when the instance is idle.
 *
 * Return: 0 or -EFAULT.
 */
int knhk_instance_stats(struct knhk_instance *inst, struct knhk_stats *st,
			struct knhk_lane_stats __user *uls, u32 room)
{
	struct knhk_lane *lanes = knhk_lanes(inst);
	u32 i;

	st->lanes = READ_ONCE(inst->nr_lanes);
	st->submitted = READ_ONCE(inst->nr_submitted);
	st->completed = READ_ONCE(inst->nr_completed);
	st->executed = 0;
	for (i = 0; i < st->lanes; i++) {
		struct knhk_lane_stats ls = {};

		/* Before the first task there are no lanes: all zero. */
		if (lanes) {
			ls.enqueued = READ_ONCE(lanes[i].nr_enqueued);
			ls.executed = READ_ONCE(lanes[i].nr_executed);
		}
		st->executed += ls.executed;
		if (i < room && copy_to_user(&uls[i], &ls, sizeof(ls)))
			return -EFAULT;
	}
	st->inflight = st->submitted - st->completed;
	return 0;
}
