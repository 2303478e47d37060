/* SPDX-License-Identifier: GPL-2.0 */
/*
 * sched.h - instances, lanes and the per-CPU workers that run them
 */
#ifndef _KNHK_SCHED_H
#define _KNHK_SCHED_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/wait.h>

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
 */
struct knhk_slot {
	struct knhk_task_x task;
	struct knhk_result res;
	u64 execute_ts;
	u64 cycles;
	u32 cpu;
};

struct knhk_instance;

/**
 * struct knhk_lane - a logical core of an instance
 * @ring: cursors of @slots; each stage's cursor on its own cache line
 * @slots: the ring's entries
 * @inst: owning instance
 * @id: lane number within the instance
 * @cpu: CPU whose worker runs the lane; changed only under the home lock
 * @node: entry in that worker's RCU list of lanes
 * @nr_enqueued: tasks accepted (submit path only)
 * @clock: the lane's Lamport clock (its worker only)
 * @nr_executed: tasks run (its worker only)
 * @state: lane state, read and written by the lane's programs only
 */
struct knhk_lane {
	struct knhk_ring ring;
	struct knhk_slot *slots;
	struct knhk_instance *inst;
	u32 id;
	int cpu;
	struct list_head node;
	u64 nr_enqueued;

	/* Owned by the lane's current worker. */
	u64 clock ____cacheline_aligned_in_smp;
	u64 nr_executed;
	u64 state[KNHK_LANE_SLOTS];
} ____cacheline_aligned_in_smp;

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
 * @started: a task has been accepted; the configuration is fixed
 * @lanes: the lanes, or NULL before the first configure or task
 * @submit_clock: the submit path's Lamport clock
 * @nr_submitted: tasks accepted (under @lock)
 * @nr_completed: completions read (under @read_lock)
 * @reap_next: lane the reader looks at first, for fairness
 */
struct knhk_instance {
	struct mutex lock;		/* the submit path */
	struct mutex read_lock;		/* the completion reader */
	wait_queue_head_t wq;
	struct list_head node;
	u32 id;

	u32 nr_lanes;
	u32 ring_size;
	u32 cq_size;
	bool started;
	struct knhk_lane *lanes;

	u64 submit_clock;
	u64 nr_submitted;
	u64 nr_completed;
	u32 reap_next;
};

/* worker.c */
int knhk_workers_init(void);
void knhk_workers_exit(void);
void knhk_lanes_attach(struct knhk_instance *inst);
void knhk_lanes_detach(struct knhk_instance *inst);
void knhk_worker_kick(int cpu);

/* instance.c */
struct knhk_instance *knhk_instance_create(u32 id);
void knhk_instance_destroy(struct knhk_instance *inst);
int knhk_instance_configure(struct knhk_instance *inst,
			    const struct knhk_config *cfg);
int knhk_instance_enqueue(struct knhk_instance *inst,
			  const struct knhk_task *ut, bool nonblock);
int knhk_instance_barrier(struct knhk_instance *inst);
int knhk_instance_stats(struct knhk_instance *inst, struct knhk_stats *st,
			struct knhk_lane_stats __user *uls, u32 room);
bool knhk_lane_run(struct knhk_lane *lane, unsigned int cpu);
ssize_t knhk_instance_read(struct knhk_instance *inst, char __user *buf,
			   size_t count, bool nonblock);
__poll_t knhk_instance_poll(struct knhk_instance *inst, struct file *file,
			    struct poll_table_struct *wait);

#endif /* _KNHK_SCHED_H */
