// SPDX-License-Identifier: GPL-2.0
/*
 * instance.c - one scheduler: configuration, submission, release,
 * guards and shared state, barrier, digest, statistics (execution is in
 * exec.c, completions in complete.c)
 *
 * Locking: @lock serialises the submit path (every call that changes what
 * the instance will compute: configure, submissions, release, run-cycle,
 * guards, shared state, barrier, digest), @read_lock the completion reader.
 * Workers take neither: a task travels through its lane ring from the
 * submit path to the worker to the reader, each stage the single owner of
 * its ring cursor.
 *
 * The lanes are allocated by the first call that is logged (a task, a
 * release, a guard change, a shared-state load); from then on the
 * configuration is fixed and @lanes never changes until the instance is
 * destroyed, so the reader and the statistics may look at them without the
 * submit lock.
 */
#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/overflow.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <linux/xxhash.h>

#include <knhk/sched.h>
#include <trace/events/knhk_sched.h>

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
	init_waitqueue_head(&inst->replay_wq);
	inst->id = id;
	inst->nr_lanes = KNHK_DEFAULT_LANES;
	inst->ring_size = KNHK_DEFAULT_RING;
	inst->cq_size = (KNHK_DEFAULT_LANES + 1) * KNHK_DEFAULT_RING;
	knhk_debugfs_instance(inst);
	return inst;
}

/* Free @nr lanes' slots and the lanes; also undoes a partial start. */
static void knhk_instance_free(struct knhk_instance *inst, u32 nr)
{
	u32 i;

	for (i = 0; inst->lanes && i < nr; i++)
		kvfree(inst->lanes[i].slots);
	vfree(inst->lanes);
	inst->lanes = NULL;
	free_percpu(inst->dropped);
	inst->dropped = NULL;
	knhk_ordered_free(inst);
	kvfree(inst->batch);
	inst->batch = NULL;
	kvfree(inst->batch_in);
	inst->batch_in = NULL;
}

/**
 * knhk_instance_destroy() - stop and free an instance
 * @inst: the instance; its file is gone, so nobody else uses it
 *
 * Tasks still in flight are dropped with their lanes.
 */
void knhk_instance_destroy(struct knhk_instance *inst)
{
	/* A debugfs digest reader may wait for tasks that will never run. */
	WRITE_ONCE(inst->dying, true);
	wake_up_all(&inst->wq);
	if (inst->started)
		knhk_lanes_detach(inst);
	knhk_replay_close(inst);
	knhk_replay_budget(inst, 0);
	/* Waits for debugfs readers still in one of the files. */
	debugfs_remove(inst->dir);
	knhk_instance_free(inst, inst->nr_lanes + 1);
	mutex_destroy(&inst->read_lock);
	mutex_destroy(&inst->lock);
	kfree(inst);
}

/**
 * knhk_instance_configure() - set the configuration used from the first task
 * @inst: the instance
 * @cfg: the configuration, reserved fields already checked
 *
 * Return: 0, -EINVAL for a value out of range, -EPERM for a lossless
 * replay stream without CAP_SYS_ADMIN, -ENOSPC for a replay stream over
 * what is left of the module-wide cap (the configuration is then
 * unchanged), -EBUSY once the instance has started, -EINTR if killed while
 * waiting for the submit lock.
 */
int knhk_instance_configure(struct knhk_instance *inst,
			    const struct knhk_config *cfg)
{
	u32 subbuf = cfg->replay_subbuf_size ?: KNHK_REPLAY_SUBBUF;
	u32 nr_subbufs = cfg->replay_nr_subbufs ?: KNHK_REPLAY_NR_SUBBUFS;
	int ret = 0;

	if ((cfg->flags & KNHK_CONFIG_REPLAY_DROP &&
	     !(cfg->flags & KNHK_CONFIG_REPLAY)) ||
	    subbuf < KNHK_REPLAY_MIN_SUBBUF || subbuf > KNHK_REPLAY_MAX_SUBBUF ||
	    !is_power_of_2(subbuf) || nr_subbufs < 2 ||
	    nr_subbufs > KNHK_REPLAY_MAX_SUBBUFS)
		return -EINVAL;
	if (cfg->flags & ~KNHK_CONFIG_FLAGS ||
	    !cfg->lanes || cfg->lanes > KNHK_MAX_LANES ||
	    !is_power_of_2(cfg->lanes) ||
	    cfg->ring_size < KNHK_MIN_RING || cfg->ring_size > KNHK_MAX_RING ||
	    !is_power_of_2(cfg->ring_size) ||
	    (cfg->lanes + 1) * cfg->ring_size > KNHK_MAX_SLOTS ||
	    !cfg->cq_size || cfg->cq_size > (cfg->lanes + 1) * cfg->ring_size)
		return -EINVAL;
	/*
	 * Only root can read debugfs: a lossless stream opened by someone
	 * who cannot drain it would only stall the instance.
	 */
	if (cfg->flags & KNHK_CONFIG_REPLAY &&
	    !(cfg->flags & KNHK_CONFIG_REPLAY_DROP) && !capable(CAP_SYS_ADMIN))
		return -EPERM;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	if (inst->started)
		ret = -EBUSY;
	else
		ret = knhk_replay_budget(inst, cfg->flags & KNHK_CONFIG_REPLAY ?
					 (u64)subbuf * nr_subbufs : 0);
	if (!ret) {
		WRITE_ONCE(inst->nr_lanes, cfg->lanes);
		WRITE_ONCE(inst->ring_size, cfg->ring_size);
		WRITE_ONCE(inst->cq_size, cfg->cq_size);
		inst->step_mode = cfg->flags & KNHK_CONFIG_STEP_MODE;
		inst->replay = cfg->flags & KNHK_CONFIG_REPLAY;
		inst->replay_drop = cfg->flags & KNHK_CONFIG_REPLAY_DROP;
		inst->subbuf_size = subbuf;
		inst->nr_subbufs = nr_subbufs;
		inst->configured = true;
	}
	mutex_unlock(&inst->lock);
	return ret;
}

/*
 * Allocate the lanes, the ordered queue and the replay stream, and hand the
 * lanes to the workers; with @lock held. The configuration is fixed from
 * here on.
 */
static int knhk_instance_start(struct knhk_instance *inst)
{
	u32 i, nr = inst->nr_lanes + 1;
	struct knhk_lane *lanes;

	if (inst->started)
		return 0;
	/* Page-aligned, so the lanes' cache-line alignment holds. */
	lanes = __vmalloc(array_size(nr, sizeof(*lanes)),
			  GFP_KERNEL_ACCOUNT | __GFP_ZERO);
	if (!lanes)
		return -ENOMEM;
	inst->lanes = lanes;
	for (i = 0; i < nr; i++) {
		struct knhk_lane *lane = &lanes[i];

		lane->slots = kvcalloc(inst->ring_size, sizeof(*lane->slots),
				       GFP_KERNEL_ACCOUNT);
		if (!lane->slots)
			goto nomem;
		knhk_ring_init(&lane->ring, inst->ring_size, KNHK_NR_STAGES, 0);
		lane->inst = inst;
		lane->id = i;
		lane->source = i < inst->nr_lanes ? i : KNHK_SRC_ORDERED;
	}
	if (knhk_ordered_alloc(inst) || knhk_replay_open(inst))
		goto nomem;

	/* The reader and stats look at @lanes without @lock: see knhk_lanes(). */
	smp_store_release(&inst->started, true);
	knhk_lanes_attach(inst);
	return 0;
nomem:
	knhk_instance_free(inst, i);
	return -ENOMEM;
}

/* Log a call of the submit path that brings something in; its timestamp. */
static u64 knhk_log_input(struct knhk_instance *inst, u32 type, u32 what,
			  u32 arg, const void *data, u32 len, u64 aux)
{
	struct knhk_event ev = {
		.type	= type,
		.source	= KNHK_SRC_SUBMIT,
		.ts	= knhk_clock_tick(&inst->submit_clock),
		.status	= what,
		.lane	= arg,
		.len	= len,
		.hash	= xxh64(data, len, 0),
		.aux	= aux,
	};

	knhk_emit(inst, &ev, data);
	return ev.ts;
}

static void knhk_log_enqueued(struct knhk_instance *inst,
			      const struct knhk_task_x *t,
			      const struct knhk_batch_entry *e, u32 lane,
			      bool ordered)
{
	struct knhk_event ev = {
		.type		= KNHK_EV_TASK_ENQUEUED,
		.source		= KNHK_SRC_SUBMIT,
		.ts		= t->enqueue_ts,
		.task_id	= t->task_id,
		.lane		= lane,
		.status		= ordered ? KNHK_EV_ORDERED : 0,
		.len		= knhk_task_used_len(e->desc),
		.aux		= ordered ? e->ts : 0,
	};

	ev.hash = xxh64(e->desc, ev.len, 0);
	knhk_emit(inst, &ev, e->desc);
}

/*
 * Check a whole submission, with @lock held, filling @inst->batch. On
 * -EINVAL, @sb->bad_index names the first bad entry.
 *
 * The caller's array is copied in with one copy_from_user() and checked
 * where it landed; each task is loaded from there into its slot when it is
 * accepted, and the replay stream takes the descriptors from there too. If
 * the copy stops short (a hole in the array), the entries before the hole
 * are still checked first, so a bad one among them is -EINVAL as if they
 * had been copied one at a time; otherwise -EFAULT.
 */
static int knhk_batch_import(struct knhk_instance *inst,
			     struct knhk_submit *sb, bool ordered)
{
	size_t stride = ordered ? sizeof(struct knhk_ordered_task) :
				  sizeof(struct knhk_task);
	enum knhk_task_origin origin = ordered ? KNHK_TASK_ORDERED :
						 KNHK_TASK_PLAIN;
	size_t len = sb->count * stride, left;
	const u8 *p = inst->batch_in;
	u32 i, n;

	left = copy_from_user(inst->batch_in, u64_to_user_ptr(sb->tasks), len);
	n = (len - left) / stride;
	for (i = 0; i < n; i++, p += stride) {
		struct knhk_batch_entry *e = &inst->batch[i];
		const struct knhk_task *u;
		u64 ts = 0;

		if (ordered) {
			ts = ((const struct knhk_ordered_task *)p)->timestamp;
			u = &((const struct knhk_ordered_task *)p)->task;
		} else {
			u = (const struct knhk_task *)p;
		}
		if (ts > KNHK_TS_MAX || knhk_task_check(u, origin)) {
			sb->bad_index = i;
			return -EINVAL;
		}
		e->desc = u;
		e->ts = ts;
		e->guard_failed = !knhk_guards_hold(inst->guards, u);
	}
	return left ? -EFAULT : 0;
}

/*
 * Publish the tasks written into the lanes in @kick, each lane's cursor
 * advanced once, and kick their workers.
 */
static void knhk_kick_lanes(struct knhk_instance *inst, unsigned long *kick)
{
	u32 l;

	for_each_set_bit(l, kick, inst->nr_lanes) {
		struct knhk_lane *lane = &inst->lanes[l];

		knhk_ring_advance(&lane->ring, KNHK_STAGE_SUBMIT,
				  lane->unpublished);
		WRITE_ONCE(lane->nr_enqueued,
			   lane->nr_enqueued + lane->unpublished);
		lane->unpublished = 0;
		/* knhk_lane_kick() orders the publication before what it reads. */
		knhk_lane_kick(lane);
	}
	bitmap_zero(kick, KNHK_MAX_LANES);
}

static bool knhk_below_limit(struct knhk_instance *inst)
{
	return inst->nr_submitted - READ_ONCE(inst->nr_completed) <
	       inst->cq_size;
}

/*
 * An ordered task needs a free entry of the ordered queue, which waiting
 * tasks and released ones whose completion is unread share: the reader
 * frees the latter.
 */
static bool knhk_has_room(struct knhk_instance *inst, struct knhk_lane *lane)
{
	return knhk_below_limit(inst) &&
	       (lane ? knhk_ring_ready(&lane->ring, KNHK_STAGE_SUBMIT) >
		       lane->unpublished :
		knhk_ordered_room(inst));
}

/*
 * Wait until @lane (NULL: an ordered task) can take a task. Kicks what is
 * published first: the room may come from those very tasks running. In
 * step mode room comes from run-cycle, which needs the submit lock we
 * hold, so there is no waiting.
 */
static int knhk_wait_room(struct knhk_instance *inst, struct knhk_lane *lane,
			  unsigned long *kick, bool nonblock)
{
	if (knhk_has_room(inst, lane))
		return 0;
	knhk_kick_lanes(inst, kick);
	if (nonblock || inst->step_mode)
		return -EAGAIN;
	return wait_event_interruptible(inst->wq, knhk_has_room(inst, lane));
}

/* Write a task into @lane's next free slot, to be published by a kick. */
static void knhk_accept_plain(struct knhk_instance *inst,
			      const struct knhk_batch_entry *e,
			      struct knhk_lane *lane, unsigned long *kick)
{
	u32 s = knhk_ring_slot(&lane->ring, KNHK_STAGE_SUBMIT,
			       lane->unpublished++);
	struct knhk_task_x *t = &lane->slots[s].task;

	knhk_task_load(t, e->desc, e->guard_failed);
	t->enqueue_ts = knhk_clock_tick(&inst->submit_clock);
	trace_knhk_submit(inst, t, 0, false);
	knhk_log_enqueued(inst, t, e, lane->id, false);
	__set_bit(lane->id, kick);
}

static void knhk_accept_ordered(struct knhk_instance *inst,
				const struct knhk_batch_entry *e)
{
	struct knhk_lane *ord = knhk_ordered_lane(inst);
	u32 lane = knhk_task_lane(inst, e->desc->task_id);
	struct knhk_task_x t;

	knhk_task_load(&t, e->desc, e->guard_failed);
	/* Receive rule: the caller's timestamp happened before this. */
	t.enqueue_ts = knhk_clock_recv(&inst->submit_clock, e->ts);
	trace_knhk_submit(inst, &t, e->ts, true);
	knhk_ordered_push(inst, &t, e->ts, lane);
	WRITE_ONCE(ord->nr_enqueued, ord->nr_enqueued + 1);
	knhk_log_enqueued(inst, &t, e, lane, true);
}

/*
 * The batch in acceptance order: stably by priority, high first. This is
 * the only place priority reorders anything.
 */
static void knhk_batch_order(const struct knhk_instance *inst, u32 count,
			     u16 *order)
{
	u32 i, k = 0, prio;

	for (prio = KNHK_PRIO_HIGH; prio <= KNHK_PRIO_LOW; prio++)
		for (i = 0; i < count; i++)
			if (inst->batch[i].desc->priority == prio)
				order[k++] = i;
}

/**
 * knhk_instance_submit() - accept a batch of plain or ordered tasks
 * @inst: the instance
 * @sb: the batch; @sb->accepted and @sb->bad_index are updated
 * @ordered: the entries are struct knhk_ordered_task
 * @nonblock: fail with -EAGAIN instead of waiting for room
 *
 * Validates every entry before accepting any, then accepts them in
 * priority order, waiting for room as needed. See struct knhk_submit.
 *
 * Return: 0 when the whole batch is accepted; -EINVAL (bad entry or
 * batch), -EFAULT, -ENOSPC (more ordered tasks than the ordered queue has
 * free entries for, counting the waiting tasks only), -ENOMEM, -EAGAIN,
 * -EINTR, or -ERESTARTSYS after a signal.
 */
int knhk_instance_submit(struct knhk_instance *inst, struct knhk_submit *sb,
			 bool ordered, bool nonblock)
{
	DECLARE_BITMAP(kick, KNHK_MAX_LANES);
	u16 order[KNHK_MAX_BATCH];
	u32 k;
	int ret;

	sb->bad_index = KNHK_BAD_INDEX_NONE;
	if (!sb->count || sb->count > KNHK_MAX_BATCH ||
	    sb->accepted > sb->count)
		return -EINVAL;
	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	/* A rejected batch must leave even a fresh instance unconfigured. */
	ret = -ENOMEM;
	if (!inst->batch)
		inst->batch = kvmalloc_array(KNHK_MAX_BATCH,
					     sizeof(*inst->batch),
					     GFP_KERNEL_ACCOUNT);
	if (!inst->batch_in)
		inst->batch_in = kvmalloc_array(KNHK_MAX_BATCH,
						sizeof(struct knhk_ordered_task),
						GFP_KERNEL_ACCOUNT);
	if (inst->batch && inst->batch_in)
		ret = knhk_batch_import(inst, sb, ordered);
	/*
	 * Only the waiting tasks count here, which only this submit path and
	 * its releases change: whether the reader has caught up must not
	 * decide between -ENOSPC and success (it may make the call wait).
	 */
	if (!ret && ordered &&
	    inst->ring_size - inst->heap_nr < sb->count - sb->accepted)
		ret = -ENOSPC;
	if (!ret)
		ret = knhk_instance_start(inst);
	if (ret)
		goto out;

	knhk_batch_order(inst, sb->count, order);
	bitmap_zero(kick, KNHK_MAX_LANES);
	for (k = sb->accepted; k < sb->count; k++) {
		const struct knhk_batch_entry *e = &inst->batch[order[k]];
		struct knhk_lane *lane = NULL;

		if (!ordered)
			lane = &inst->lanes[knhk_task_lane(inst,
							   e->desc->task_id)];
		knhk_perturb(true);
		ret = knhk_wait_room(inst, lane, kick, nonblock);
		if (ret)
			break;
		if (ordered)
			knhk_accept_ordered(inst, e);
		else
			knhk_accept_plain(inst, e, lane, kick);
		WRITE_ONCE(inst->nr_submitted, inst->nr_submitted + 1);
		sb->accepted = k + 1;
	}
	knhk_kick_lanes(inst, kick);
out:
	mutex_unlock(&inst->lock);
	return ret;
}

/*
 * Run the waiting ordered tasks up to @watermark (or all), one at a time in
 * heap order, against the shared state; with @lock held. Their results go
 * to the ordered chain's ring, where the completion reader finds them.
 *
 * The release, logged at @release_ts, is the cause of each: the ordered
 * clock receives @release_ts, then ticks once per task (the first task's
 * max(clock, @release_ts) + 1 does both). @release_ts is later than each
 * task's enqueue and than everything the submit path did before, so every
 * task runs after its enqueue, its release and whatever it could observe.
 * The tasks' own timestamps order them; they do not stamp them.
 */
static u32 knhk_run_ordered(struct knhk_instance *inst, bool all,
			    u64 watermark, u64 release_ts)
{
	struct knhk_lane *ord = knhk_ordered_lane(inst);
	struct knhk_ordered_item item;
	u32 n = 0;

	/* knhk_ordered_room() kept a ring slot for every waiting task. */
	while (knhk_ring_ready(&ord->ring, KNHK_STAGE_SUBMIT) &&
	       knhk_ordered_pop(inst, all, watermark, &item)) {
		struct knhk_slot *slot;
		u32 s = knhk_ring_slot(&ord->ring, KNHK_STAGE_SUBMIT, 0);

		slot = &ord->slots[s];
		knhk_task_copy(&slot->task, &item.task);
		trace_knhk_release(inst, &item, release_ts);
		/* A full lossless stream holds a release up, but not a kill. */
		while (!knhk_slot_execute(ord, slot, inst->shared, release_ts,
					  raw_smp_processor_id(),
					  fatal_signal_pending(current)))
			knhk_replay_wait(inst, 0);
		/* Written and run at once: pass both stages. */
		knhk_ring_advance(&ord->ring, KNHK_STAGE_SUBMIT, 1);
		knhk_ring_ready(&ord->ring, KNHK_STAGE_EXEC);
		knhk_ring_advance(&ord->ring, KNHK_STAGE_EXEC, 1);
		n++;
	}
	WRITE_ONCE(ord->nr_executed, ord->nr_executed + n);
	if (n)
		wake_up_all(&inst->wq);
	return n;
}

/**
 * knhk_instance_release() - run waiting ordered tasks
 * @inst: the instance
 * @rel: the release; @rel->released is set
 *
 * Like every call, valid on a never-configured instance, which it starts
 * with the defaults: with nothing waiting it releases 0 tasks.
 *
 * Return: 0, -ENOMEM or -EINTR.
 */
int knhk_instance_release(struct knhk_instance *inst,
			  struct knhk_release *rel)
{
	const struct {
		u64 watermark;
		u64 flags;
	} in = { rel->watermark, rel->flags };
	u64 ts;
	int ret;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	ret = knhk_instance_start(inst);
	if (ret)
		goto out;
	ts = knhk_log_input(inst, KNHK_EV_EXTERNAL_INPUT, KNHK_INPUT_RELEASE,
			    rel->flags, &in, sizeof(in), rel->watermark);
	rel->released = knhk_run_ordered(inst, rel->flags & KNHK_RELEASE_ALL,
					 rel->watermark, ts);
out:
	mutex_unlock(&inst->lock);
	return ret;
}

/**
 * knhk_instance_guards() - set or clear guards
 * @inst: the instance
 * @op: %KNHK_GUARDS_SET or %KNHK_GUARDS_CLEAR
 * @ids: guard ids
 * @count: entries in @ids
 *
 * Return: 0, -EINVAL if any id is out of range (nothing changes), -ENOMEM
 * or -EINTR.
 */
int knhk_instance_guards(struct knhk_instance *inst, u32 op, const u32 *ids,
			 u32 count)
{
	u32 i;
	int ret;

	for (i = 0; i < count; i++)
		if (ids[i] >= KNHK_GUARD_IDS)
			return -EINVAL;
	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	ret = knhk_instance_start(inst);
	if (ret)
		goto out;
	for (i = 0; i < count; i++) {
		if (op == KNHK_GUARDS_SET)
			__set_bit(ids[i], inst->guards);
		else
			__clear_bit(ids[i], inst->guards);
	}
	knhk_log_input(inst, KNHK_EV_STATE_CHANGE, op, 0, ids,
		       count * sizeof(*ids), 0);
out:
	mutex_unlock(&inst->lock);
	return ret;
}

/**
 * knhk_instance_load_shared() - load shared state
 * @inst: the instance
 * @first: first slot
 * @values: the values
 * @count: slots to load; @first + @count is at most %KNHK_SHARED_SLOTS
 *
 * Releases run ordered tasks before they return, so the load lands after
 * every ordered task released so far.
 *
 * Return: 0, -ENOMEM or -EINTR.
 */
int knhk_instance_load_shared(struct knhk_instance *inst, u32 first,
			      const u64 *values, u32 count)
{
	int ret;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	ret = knhk_instance_start(inst);
	if (!ret) {
		memcpy(&inst->shared[first], values, count * sizeof(*values));
		knhk_log_input(inst, KNHK_EV_EXTERNAL_INPUT, KNHK_INPUT_SHARED,
			       first, values, count * sizeof(*values), 0);
	}
	mutex_unlock(&inst->lock);
	return ret;
}

static bool knhk_all_run(struct knhk_instance *inst)
{
	u32 i;

	for (i = 0; i < inst->nr_lanes; i++)
		if (knhk_ring_pending(&inst->lanes[i].ring, KNHK_STAGE_EXEC))
			return false;
	return true;
}

/*
 * Wait, with @lock held, until every task accepted so far has run (ordered
 * tasks run when released, before their release returns). Afterwards the
 * workers' clocks and chains may be read. Only a debugfs reader can still
 * be here when the instance is being destroyed: it gets -ENODEV.
 */
static int knhk_wait_all_run(struct knhk_instance *inst)
{
	if (inst->started && !inst->step_mode &&
	    wait_event_killable(inst->wq, knhk_all_run(inst) ||
				READ_ONCE(inst->dying)))
		return -EINTR;
	if (READ_ONCE(inst->dying))
		return -ENODEV;
	/* The workers wrote their chains before advancing their cursors. */
	smp_rmb();
	return 0;
}

/**
 * knhk_instance_barrier() - wait until every accepted task has run
 * @inst: the instance
 *
 * Holds the submit lock, so it waits for exactly the tasks accepted before
 * it. It waits only for tasks that run without a further call: not for
 * ordered tasks not yet released, nor for the lanes in step mode.
 *
 * Return: 0, or -EINTR if killed.
 */
int knhk_instance_barrier(struct knhk_instance *inst)
{
	int ret;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	ret = knhk_wait_all_run(inst);
	mutex_unlock(&inst->lock);
	return ret;
}

/**
 * knhk_instance_digest() - the replay digest of everything so far
 * @inst: the instance
 * @d: filled with the digest, checksum and event count
 *
 * Waits like a barrier first. Sources are folded in canonical order: lanes,
 * the ordered chain, the submit path; an instance not started yet has
 * empty chains.
 *
 * Return: 0 or -EINTR.
 */
int knhk_instance_digest(struct knhk_instance *inst, struct knhk_digest *d)
{
	const struct knhk_digest_cfg cfg = {
		.version = KNHK_DIGEST_VERSION,
		.lanes = inst->nr_lanes,
	};
	static const struct knhk_chain none;
	struct xxh64_state st;
	u32 i;
	int ret;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	ret = knhk_wait_all_run(inst);
	if (ret)
		goto out;
	d->events = 0;
	d->checksum = 0;
	knhk_digest_begin(&st, &cfg);
	for (i = 0; i <= inst->nr_lanes + 1; i++) {
		const struct knhk_chain *c = &none;
		u32 source = i;

		if (i == inst->nr_lanes + 1) {
			c = &inst->submit_chain;
			source = KNHK_SRC_SUBMIT;
		} else if (inst->started) {
			c = &inst->lanes[i].chain;
			source = inst->lanes[i].source;
		} else if (i == inst->nr_lanes) {
			source = KNHK_SRC_ORDERED;
		}
		knhk_digest_add(&st, source, c);
		d->events += c->count;
		d->checksum ^= c->xor;
	}
	d->digest = xxh64_digest(&st);
out:
	mutex_unlock(&inst->lock);
	return ret;
}

/**
 * knhk_instance_lane_stats() - counters of one lane
 * @inst: the instance
 * @lane: the lane, below the instance's lane count
 * @ls: filled; zero before the instance starts
 */
void knhk_instance_lane_stats(struct knhk_instance *inst, u32 lane,
			      struct knhk_lane_stats *ls)
{
	struct knhk_lane *lanes = knhk_lanes(inst);

	ls->enqueued = lanes ? READ_ONCE(lanes[lane].nr_enqueued) : 0;
	ls->executed = lanes ? READ_ONCE(lanes[lane].nr_executed) : 0;
}

/**
 * knhk_instance_stats() - fill counters
 * @inst: the instance
 * @st: totals; @st->lanes is set to the instance's lane count
 * @uls: user array for per-lane counters
 * @room: entries in @uls
 *
 * The counters are read without locks: each is exact, the set is a snapshot
 * only when the instance is idle. Ordered tasks count in the totals only.
 *
 * Return: 0 or -EFAULT.
 */
int knhk_instance_stats(struct knhk_instance *inst, struct knhk_stats *st,
			struct knhk_lane_stats __user *uls, u32 room)
{
	struct knhk_lane *lanes = knhk_lanes(inst);
	u32 i;

	st->instance = inst->id;
	st->lanes = READ_ONCE(inst->nr_lanes);
	st->submitted = READ_ONCE(inst->nr_submitted);
	st->completed = READ_ONCE(inst->nr_completed);
	st->executed = lanes ? READ_ONCE(lanes[st->lanes].nr_executed) : 0;
	for (i = 0; i < st->lanes; i++) {
		struct knhk_lane_stats ls;

		knhk_instance_lane_stats(inst, i, &ls);
		st->executed += ls.executed;
		if (i < room && copy_to_user(&uls[i], &ls, sizeof(ls)))
			return -EFAULT;
	}
	st->inflight = st->submitted - st->completed;
	return 0;
}
