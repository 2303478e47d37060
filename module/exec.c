// SPDX-License-Identifier: GPL-2.0
/*
 * exec.c - running tasks: a lane's waiting tasks on its worker, a batch at
 * a time, and in step mode one task per run-cycle call
 *
 * A lane's worker owns the lane's clock, chain and execute cursor; the
 * submit path gives it tasks through the lane ring and kicks it
 * (worker.c), the reader takes the results (complete.c).
 */
#include <linux/atomic.h>
#include <linux/minmax.h>
#include <linux/sched.h>
#include <linux/timex.h>
#include <linux/wait.h>

#include <knhk/sched.h>
#include <trace/events/knhk_sched.h>

/* Tasks a worker runs from one lane before it looks at the next. */
#define KNHK_RUN_BATCH	64

/**
 * knhk_slot_execute() - run the task in @slot and log it
 * @lane: the lane (or ordered chain) it runs on; the caller owns its
 *	clock and chain
 * @slot: the slot, holding the task; gets the result
 * @state: lane state or shared state
 * @cause_ts: the timestamp the task carries: its enqueue timestamp on a
 *	lane, its caller timestamp on the ordered chain
 * @cpu: the CPU running it, for the completion only
 * @force: run it even if a lossless stream has no room (the event is then
 *	counted as dropped)
 *
 * Return: false if a lossless replay stream has no room for the event: the
 * task was not run, try again later.
 */
bool knhk_slot_execute(struct knhk_lane *lane, struct knhk_slot *slot,
		       u64 *state, u64 cause_ts, unsigned int cpu, bool force)
{
	struct knhk_instance *inst = lane->inst;
	const struct knhk_task_x *t = &slot->task;
	struct knhk_event ev = {
		.type		= KNHK_EV_TASK_EXECUTED,
		.source		= lane->source,
		.task_id	= t->task_id,
		.lane		= knhk_task_lane(inst, t->task_id),
	};
	cycles_t start;
	bool write;

	/* The event's room is taken first, so a full stream leaves no trace. */
	preempt_disable();
	if (!knhk_replay_reserve(inst, 0, &write, force)) {
		preempt_enable();
		return false;
	}
	start = get_cycles();
	knhk_task_run(t, state, &slot->res);
	slot->cycles = get_cycles() - start;
	slot->execute_ts = knhk_clock_recv(&lane->clock, cause_ts);
	slot->cpu = cpu;
	trace_knhk_execute(lane, slot);

	ev.ts = slot->execute_ts;
	ev.status = slot->res.status;
	ev.ticks = slot->res.ticks;
	ev.hash = knhk_output_hash(t->task_id, slot->res.output,
				   slot->res.status, slot->res.ticks);
	knhk_chain_add(&lane->chain, &ev);
	knhk_replay_put(inst, write, &ev, NULL);
	preempt_enable();
	return true;
}

/*
 * Step mode: take up to @n of the credits run-cycle gave @lane, so that a
 * run-cycle killed before its task ran can tell whether the worker still
 * may run it (knhk_steps_cancel()). Return: the credits taken.
 */
static u32 knhk_steps_claim(struct knhk_lane *lane, u32 n)
{
	int old = atomic_read(&lane->steps), take;

	do {
		take = min_t(int, old, n);
		if (take <= 0)
			return 0;
	} while (!atomic_try_cmpxchg(&lane->steps, &old, old - take));
	return take;
}

/**
 * knhk_lane_run() - run a batch of a lane's waiting tasks
 * @lane: the lane; the caller is its current worker
 * @cpu: the worker's CPU, reported in completions
 *
 * The ring is FIFO, so each task's execute timestamp, max(lane clock,
 * enqueue timestamp) + 1, depends only on the order the submit path gave
 * the lane. In step mode only as many tasks run as run-cycle asked for.
 *
 * Return: whether tasks are left, and if so whether to wait for the
 * replay stream first.
 */
enum knhk_lane_state knhk_lane_run(struct knhk_lane *lane, unsigned int cpu)
{
	struct knhk_instance *inst = lane->inst;
	enum knhk_lane_state ret;
	u32 i, n;

	WRITE_ONCE(lane->nr_runs, lane->nr_runs + 1);
	n = min_t(u32, knhk_ring_ready(&lane->ring, KNHK_STAGE_EXEC),
		  KNHK_RUN_BATCH);
	if (inst->step_mode)
		n = knhk_steps_claim(lane, n);
	if (!n)
		return KNHK_LANE_IDLE;
	ret = n == KNHK_RUN_BATCH ? KNHK_LANE_MORE : KNHK_LANE_IDLE;
	for (i = 0; i < n; i++) {
		u32 s = knhk_ring_slot(&lane->ring, KNHK_STAGE_EXEC, i);
		struct knhk_slot *slot = &lane->slots[s];

		if (!knhk_slot_execute(lane, slot, lane->state,
				       slot->task.enqueue_ts, cpu, false)) {
			ret = KNHK_LANE_STALLED;
			break;
		}
	}
	if (inst->step_mode && i < n) {
		/* A killed run-cycle may be waiting to take its credit back. */
		atomic_add(n - i, &lane->steps);
		wake_up_all(&inst->wq);
	}
	if (!i)
		return ret;
	knhk_ring_advance(&lane->ring, KNHK_STAGE_EXEC, i);
	WRITE_ONCE(lane->nr_executed, lane->nr_executed + i);
	if (wq_has_sleeper(&inst->wq))
		wake_up_all(&inst->wq);
	/*
	 * What ran may have been a count cached before the worker cleared its
	 * kick bit, and a submitter that found the bit still set did not wake
	 * us: look at the producer's cursor again before going idle.
	 */
	if (ret == KNHK_LANE_IDLE &&
	    knhk_ring_ready(&lane->ring, KNHK_STAGE_EXEC) &&
	    (!inst->step_mode || atomic_read(&lane->steps)))
		ret = KNHK_LANE_MORE;
	return ret;
}

/* Whether @lane's worker has run the task before position @target. */
static bool knhk_lane_reached(struct knhk_lane *lane, u32 target)
{
	/* Pairs with the release in knhk_lane_run(): the result is written. */
	u32 pos = smp_load_acquire(&lane->ring.cur[KNHK_STAGE_EXEC].pos);

	return (s32)(pos - target) >= 0;
}

/*
 * A run-cycle killed while its task waits: take the credit back, unless the
 * worker has claimed it (knhk_steps_claim()). A claimed credit is spent at
 * once or given back (a full lossless stream), so the wait is short.
 * Return: true if the task ran, and its completion is the caller's to take.
 */
static bool knhk_steps_cancel(struct knhk_instance *inst,
			      struct knhk_lane *lane, u32 target)
{
	for (;;) {
		if (atomic_dec_if_positive(&lane->steps) >= 0)
			return false;
		if (knhk_lane_reached(lane, target))
			return true;
		wait_event(inst->wq, knhk_lane_reached(lane, target) ||
			   atomic_read(&lane->steps) > 0);
	}
}

/**
 * knhk_instance_run_cycle() - step mode: run one lane's head task
 * @inst: the instance
 * @rc: the lane; gets the completion
 *
 * The task runs on the lane's worker like any other; the call waits for it
 * and takes its completion from the ring itself (the reader skips lanes in
 * step mode). Killed while waiting, it leaves nothing behind: either the
 * task has not run and will not run on its account, or it has run and the
 * call returns its completion.
 *
 * Return: 0, -EINVAL outside step mode or for a lane out of range,
 * -ENODATA if the lane has no task waiting, -EINTR if killed.
 */
int knhk_instance_run_cycle(struct knhk_instance *inst,
			    struct knhk_run_cycle *rc)
{
	struct knhk_lane *lane;
	u32 target, s;
	int ret = 0;

	if (mutex_lock_killable(&inst->lock))
		return -EINTR;
	if (!inst->step_mode || rc->lane >= inst->nr_lanes) {
		ret = -EINVAL;
		goto out;
	}
	lane = inst->started ? &inst->lanes[rc->lane] : NULL;
	if (!lane || !knhk_ring_pending(&lane->ring, KNHK_STAGE_EXEC)) {
		ret = -ENODATA;
		goto out;
	}
	/*
	 * The reader's lock first, killable: a read() may hold it for as
	 * long as its copy_to_user() waits for a page. Once the credit is
	 * given, the task's completion must be taken by this call.
	 */
	if (mutex_lock_killable(&inst->read_lock)) {
		ret = -EINTR;
		goto out;
	}
	target = READ_ONCE(lane->ring.cur[KNHK_STAGE_EXEC].pos) + 1;
	atomic_inc(&lane->steps);
	/* As in knhk_kick_lanes(): the credit before reading lane->cpu. */
	smp_mb__after_atomic();
	knhk_lane_kick(lane);
	if (wait_event_killable(inst->wq, knhk_lane_reached(lane, target)) &&
	    !knhk_steps_cancel(inst, lane, target)) {
		ret = -EINTR;
		goto unlock;
	}
	if (knhk_ring_ready(&lane->ring, KNHK_STAGE_REAP)) {
		s = knhk_ring_slot(&lane->ring, KNHK_STAGE_REAP, 0);
		knhk_fill_completion(&rc->completion, lane, &lane->slots[s]);
		knhk_reaped(inst, lane, 1);
	}
unlock:
	mutex_unlock(&inst->read_lock);
out:
	mutex_unlock(&inst->lock);
	return ret;
}
