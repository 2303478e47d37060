/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.h - instances, lanes and the per-CPU workers that run them
 */
#ifndef _KNHK_SCHED_H
#define _KNHK_SCHED_H

#include <linux/atomic.h>
#include <linux/cache.h>
#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/wait.h>

#include <knhk/clock.h>
#include <knhk/event.h>
#include <knhk/ring.h>
#include <knhk/task.h>

/* The stages of a lane ring. */
enum knhk_lane_stage {
	KNHK_STAGE_SUBMIT,	/* submit path: writes the task */
	KNHK_STAGE_EXEC,	/* the lane's worker: runs it, writes the result */
	KNHK_STAGE_REAP,	/* completion reader: copies it out, frees it */
	KNHK_NR_STAGES,
};

/**
 * struct knhk_slot - one ring entry: a task, then its completion
 * @task: written by the submit path
 * @res: written by the worker
 * @execute_ts: the lane clock when the task ran
 * @cycles: measured cost of running it (not deterministic)
 * @cpu: CPU that ran it (not deterministic)
 *
 * Cache-line aligned: the worker's writes of slot i's result share no line
 * with the submit path's writes of slot i + 1's task.
 */
struct knhk_slot {
	struct knhk_task_x task;
	struct knhk_result res;
	u64 execute_ts;
	u64 cycles;
	u32 cpu;
} ____cacheline_aligned_in_smp;

struct knhk_instance;

/* knhk_lane.cpu of a lane between two homes, or of no instance any more */
#define KNHK_CPU_NONE		(-1)

/* knhk_lane.flags: the lane is on a worker's ready list */
#define KNHK_LANE_QUEUED	0

/**
 * struct knhk_lane - a logical core of an instance, or its ordered chain
 * @ring: cursors of @slots; each stage's cursor on its own cache line
 * @slots: the ring's entries
 * @inst: owning instance
 * @id: index in the instance's lanes; the ordered chain is the last
 * @source: event source: @id, or %KNHK_SRC_ORDERED
 * @cpu: CPU whose worker runs the lane, %KNHK_CPU_NONE while it moves;
 *	changed only under the home lock (worker.c)
 * @flags: %KNHK_LANE_QUEUED
 * @qcpu: while queued: the CPU whose ready list holds the lane
 * @ready: entry in a worker's ready list (under that worker's lock)
 * @nr_enqueued: tasks published to the worker (submit path only)
 * @unpublished: tasks written into slots past the submit cursor, published
 *	once per call or before waiting for room (submit path only)
 * @steps: step mode: tasks the worker may still run (run-cycle adds)
 * @clock: the lane's Lamport clock (its worker only)
 * @chain: the lane's events (its worker only)
 * @nr_executed: tasks run (its worker only)
 * @nr_runs: knhk_lane_run() calls, each a worker taking the lane off its
 *	ready list (its worker only): tests count what idle and parked lanes
 *	cost, which must be nothing
 * @state: lane state, read and written by the lane's programs only
 *
 * The ordered chain is a lane that no worker runs: a release writes each
 * task and its result into the ring at once, on the submit path, and the
 * reader takes completions from it like from any lane.
 */
struct knhk_lane {
	struct knhk_ring ring;
	struct knhk_slot *slots;
	struct knhk_instance *inst;
	u32 id;
	u32 source;
	int cpu;
	unsigned long flags;
	int qcpu;
	struct list_head ready;
	atomic_t steps;

	/*
	 * Written by the submit path: not on the line above, which the worker
	 * and the reader read for every batch.
	 */
	u64 nr_enqueued ____cacheline_aligned_in_smp;
	u32 unpublished;

	/* Owned by the lane's current worker. */
	struct knhk_clock clock ____cacheline_aligned_in_smp;
	struct knhk_chain chain;
	u64 nr_executed;
	u64 nr_runs;
	u64 state[KNHK_LANE_SLOTS];
} ____cacheline_aligned_in_smp;

/**
 * struct knhk_ordered_item - an ordered task waiting for release
 * @ts: caller's timestamp
 * @seq: ordered submissions before it, the last tie-break
 * @lane: the task's lane, the first tie-break
 * @task: the task
 */
struct knhk_ordered_item {
	u64 ts;
	u64 seq;
	u32 lane;
	struct knhk_task_x task;
};

/**
 * struct knhk_batch_entry - one checked entry of a submission
 * @desc: the descriptor as submitted, in the instance's copy of the
 *	caller's array (@batch_in): checked there, loaded from there straight
 *	into its slot or ordered queue entry, and streamed from there
 * @ts: caller's timestamp, for an ordered task
 * @guard_failed: its guards did not hold when the batch was checked
 */
struct knhk_batch_entry {
	const struct knhk_task *desc;
	u64 ts;
	bool guard_failed;
};

/**
 * struct knhk_instance - one scheduler, private to an open file
 * @lock: the submit path: configuration, clock, ring producers
 * @read_lock: the completion reader (one at a time)
 * @wq: woken when tasks run (barrier, read, poll) and when completions are
 *	read (a submitter waiting for room)
 * @node: entry in the module's list of instances (home lock)
 * @id: small instance number, for names; never an address
 * @nr_lanes: lanes, a power of two
 * @ring_size: slots per lane ring
 * @cq_size: in-flight limit (accepted, completion not read)
 * @step_mode: lanes run only through run-cycle
 * @configured: the configure ioctl succeeded
 * @started: a task has been accepted; the configuration is fixed
 * @lanes: @nr_lanes lanes then the ordered chain, or NULL before the first
 *	task
 * @submit_clock: the submit path's Lamport clock
 * @submit_chain: the submit path's events
 * @guards: the guard table: set guard ids
 * @shared: shared state, used by ordered tasks only
 * @heap: ordered tasks waiting for release, a binary min-heap by
 *	(timestamp, lane, seq) of @heap_nr items (ordered.c)
 * @heap_nr: items in @heap
 * @ordered_seq: ordered tasks accepted
 * @batch: room to validate one submission in
 * @batch_in: the submission's array as the caller gave it, copied in whole
 * @nr_submitted: tasks accepted (under @lock)
 * @nr_completed: completions read (under @read_lock)
 * @reap_next: lane the reader looks at first, for fairness
 * @dir: debugfs directory knhk_sched/<id>
 * @replay: stream events (%KNHK_CONFIG_REPLAY)
 * @replay_drop: drop events the stream has no room for
 * @subbuf_size: stream sub-buffer size
 * @nr_subbufs: stream sub-buffers per CPU
 * @replay_bytes: replay buffer bytes per possible CPU reserved against the
 *	module-wide cap (knhk_replay_budget())
 * @chan: the relay channel, while the stream is open
 * @dropped: events dropped, per CPU
 * @parked: lossless stream: per CPU, a bitmap of the lanes waiting for room
 *	in that CPU's stream (replay.c)
 * @replay_wq: the submit path waits here for room in a lossless stream
 * @dying: the file is closed; debugfs readers must not wait for anything
 */
struct knhk_instance {
	/*
	 * Read-mostly: fixed once the instance is started; read by the
	 * workers and the reader for every batch.
	 */
	u32 id;
	u32 nr_lanes;
	u32 ring_size;
	u32 cq_size;
	bool step_mode;
	bool configured;
	bool started;
	bool replay;
	bool replay_drop;
	bool dying;
	struct knhk_lane *lanes;
	struct rchan *chan;
	u64 __percpu *dropped;
	unsigned long __percpu *parked;
	u32 subbuf_size;
	u32 nr_subbufs;
	u64 replay_bytes;
	struct dentry *dir;
	struct list_head node;

	/* The submit path's, written per call and per task. */
	struct mutex lock ____cacheline_aligned_in_smp;
	struct knhk_clock submit_clock;
	struct knhk_chain submit_chain;
	u64 nr_submitted;
	struct knhk_batch_entry *batch;
	void *batch_in;
	DECLARE_BITMAP(guards, KNHK_GUARD_IDS);
	u64 shared[KNHK_SHARED_SLOTS];
	struct knhk_ordered_item *heap;
	u32 heap_nr;
	u64 ordered_seq;

	/* The completion reader's, written per read. */
	struct mutex read_lock ____cacheline_aligned_in_smp;
	u64 nr_completed;
	u32 reap_next;

	/* Waiters queue and wakers look here. */
	wait_queue_head_t wq ____cacheline_aligned_in_smp;
	wait_queue_head_t replay_wq;
};

/* What knhk_lane_run() left behind. */
enum knhk_lane_state {
	KNHK_LANE_IDLE,		/* nothing to run */
	KNHK_LANE_MORE,		/* tasks left: call again */
	KNHK_LANE_STALLED,	/* the lossless stream is full: park the lane */
};

/* The lane a task runs on (an ordered task: is numbered by); a power of two. */
static inline u32 knhk_task_lane(const struct knhk_instance *inst, u64 task_id)
{
	return task_id & (inst->nr_lanes - 1);
}

/* The ordered chain: the lane after the last. */
static inline struct knhk_lane *knhk_ordered_lane(struct knhk_instance *inst)
{
	return &inst->lanes[inst->nr_lanes];
}

/* ordered.c */
int knhk_ordered_alloc(struct knhk_instance *inst);
void knhk_ordered_free(struct knhk_instance *inst);
u32 knhk_ordered_room(struct knhk_instance *inst);
void knhk_ordered_push(struct knhk_instance *inst,
		       const struct knhk_task_x *t, u64 ts, u32 lane);
bool knhk_ordered_pop(struct knhk_instance *inst, bool all, u64 watermark,
		      struct knhk_ordered_item *item);

/* replay.c */
int knhk_replay_open(struct knhk_instance *inst);
void knhk_replay_close(struct knhk_instance *inst);
int knhk_replay_budget(struct knhk_instance *inst, u64 bytes);
u64 knhk_replay_dropped(struct knhk_instance *inst, int cpu);
void knhk_replay_init(void);
bool knhk_replay_reserve(struct knhk_instance *inst, u32 len, bool *write,
			 bool force);
void knhk_replay_put(struct knhk_instance *inst, bool write,
		     const struct knhk_event *ev, const void *data);
void knhk_replay_wait(struct knhk_instance *inst, u32 len);
bool knhk_replay_park(struct knhk_lane *lane, unsigned int cpu);
void knhk_emit(struct knhk_instance *inst, struct knhk_event *ev,
	       const void *data);

/* debugfs.c */
void knhk_debugfs_instance(struct knhk_instance *inst);
void knhk_debugfs_init(void);
void knhk_debugfs_exit(void);

/* worker.c */
int knhk_workers_init(void);
void knhk_workers_exit(void);
void knhk_lanes_attach(struct knhk_instance *inst);
void knhk_lanes_detach(struct knhk_instance *inst);
void knhk_lane_kick(struct knhk_lane *lane);

/* perturb.c */
DECLARE_STATIC_KEY_FALSE(knhk_perturb_key);
void __knhk_perturb(bool may_sleep);

/*
 * A timing perturbation point: with the module parameter perturb set, maybe
 * a short busy-wait, and with @may_sleep maybe a yield; off, a patched-out
 * jump.
 */
static inline void knhk_perturb(bool may_sleep)
{
	if (static_branch_unlikely(&knhk_perturb_key))
		__knhk_perturb(may_sleep);
}

/* The lanes, once the instance has started; else NULL. */
static inline struct knhk_lane *knhk_lanes(struct knhk_instance *inst)
{
	/* Pairs with the release in knhk_instance_start(). */
	return smp_load_acquire(&inst->started) ? inst->lanes : NULL;
}

/* instance.c */
struct knhk_instance *knhk_instance_create(u32 id);
void knhk_instance_destroy(struct knhk_instance *inst);
int knhk_instance_configure(struct knhk_instance *inst,
			    const struct knhk_config *cfg);
int knhk_instance_submit(struct knhk_instance *inst, struct knhk_submit *sb,
			 bool ordered, bool nonblock);
int knhk_instance_release(struct knhk_instance *inst,
			  struct knhk_release *rel);
int knhk_instance_guards(struct knhk_instance *inst, u32 op, const u32 *ids,
			 u32 count);
int knhk_instance_load_shared(struct knhk_instance *inst, u32 first,
			      const u64 *values, u32 count);
int knhk_instance_barrier(struct knhk_instance *inst);
int knhk_instance_digest(struct knhk_instance *inst, struct knhk_digest *d);
int knhk_instance_stats(struct knhk_instance *inst, struct knhk_stats *st,
			struct knhk_lane_stats __user *uls, u32 room);
void knhk_instance_lane_stats(struct knhk_instance *inst, u32 lane,
			      struct knhk_lane_stats *ls);

/* exec.c */
bool knhk_slot_execute(struct knhk_lane *lane, struct knhk_slot *slot,
		       u64 *state, u64 cause_ts, unsigned int cpu, bool force);
enum knhk_lane_state knhk_lane_run(struct knhk_lane *lane, unsigned int cpu);
int knhk_instance_run_cycle(struct knhk_instance *inst,
			    struct knhk_run_cycle *rc);

/* complete.c */
void knhk_fill_completion(struct knhk_completion *rec,
			  const struct knhk_lane *lane,
			  const struct knhk_slot *slot);
void knhk_reaped(struct knhk_instance *inst, struct knhk_lane *lane, u32 n);
ssize_t knhk_instance_read(struct knhk_instance *inst, char __user *buf,
			   size_t count, bool nonblock);
__poll_t knhk_instance_poll(struct knhk_instance *inst, struct file *file,
			    struct poll_table_struct *wait);

#endif /* _KNHK_SCHED_H */
