/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * knhk_sched.h - userspace ABI of the knhk-sched deterministic scheduler
 *
 * Every ioctl argument starts with @size (the caller's sizeof) and @flags.
 * A smaller @size than the first version of a struct is -EINVAL; a larger one
 * is accepted only if the extra bytes are zero (-E2BIG otherwise). Unknown
 * flags and non-zero reserved fields are -EINVAL. Pointers are passed as
 * __u64. All structs are padded to a multiple of 8 bytes, so the layout is
 * the same for 32-bit and 64-bit callers.
 *
 * The ioctl numbers below encode the size of today's structs. The module
 * matches a number by its type, direction and index only and takes the size
 * from @size, so a program built against an older, smaller version of a
 * struct (e.g. %KNHK_CONFIG_SIZE_VER0) or a newer, larger one keeps working
 * with the number it was built with. A struct returned to the caller is
 * filled up to the smaller of the two sizes, and its @size says how much.
 * Any other number, or a known index with another direction, is -ENOTTY.
 */
#ifndef _UAPI_LINUX_KNHK_SCHED_H
#define _UAPI_LINUX_KNHK_SCHED_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define KNHK_ABI_MAJOR		1
#define KNHK_ABI_MINOR		0

#define KNHK_DEVICE_NAME	"knhk_sched"

/* Limits of the task model. */
#define KNHK_MAX_LANES		256
#define KNHK_MAX_BUDGET		8	/* ticks; the seed's "Chatman constant" */
#define KNHK_MAX_GUARDS		8
#define KNHK_GUARD_IDS		1024	/* guard ids are 0..KNHK_GUARD_IDS-1 */
#define KNHK_MAX_INSNS		8
#define KNHK_NR_REGS		4
#define KNHK_MAX_BATCH		256	/* tasks per submit ioctl */

/* Defaults of an instance that is never configured. */
#define KNHK_DEFAULT_LANES	4
#define KNHK_DEFAULT_RING	256
#define KNHK_MIN_RING		2
#define KNHK_MAX_RING		65536
#define KNHK_MAX_SLOTS		65536	/* (lanes + 1) * ring_size */

/**
 * struct knhk_version - ABI version, filled by %KNHK_IOC_VERSION
 * @size: sizeof(struct knhk_version), set by the caller
 * @flags: must be 0
 * @major: incompatible ABI changes bump this (%KNHK_ABI_MAJOR)
 * @minor: compatible additions bump this (%KNHK_ABI_MINOR)
 */
struct knhk_version {
	__u32 size;
	__u32 flags;
	__u32 major;
	__u32 minor;
};

/* knhk_config.flags */
#define KNHK_CONFIG_STEP_MODE	(1U << 0)	/* lanes run only by run-cycle */
#define KNHK_CONFIG_REPLAY	(1U << 1)	/* stream events, lossless */
#define KNHK_CONFIG_REPLAY_DROP	(1U << 2)	/* with REPLAY: drop when full */
#define KNHK_CONFIG_FLAGS	(KNHK_CONFIG_STEP_MODE | KNHK_CONFIG_REPLAY | \
				 KNHK_CONFIG_REPLAY_DROP)

/* Replay stream buffers (per CPU): defaults and limits. */
#define KNHK_REPLAY_SUBBUF	(64U << 10)
#define KNHK_REPLAY_NR_SUBBUFS	8
#define KNHK_REPLAY_MIN_SUBBUF	(8U << 10)	/* > the largest record */
#define KNHK_REPLAY_MAX_SUBBUF	(4U << 20)
#define KNHK_REPLAY_MAX_SUBBUFS	256

/*
 * Replay buffers are not charged to any memory cgroup (relay allocates
 * them), so the module caps them: all instances together may reserve at
 * most the module parameter replay_max_mb MiB, this by default. An
 * instance reserves @replay_subbuf_size * @replay_nr_subbufs bytes for
 * every possible CPU when it is configured with %KNHK_CONFIG_REPLAY, and
 * gives them back when reconfigured or closed.
 */
#define KNHK_REPLAY_MAX_MB_DEFAULT	256

/**
 * struct knhk_config - instance configuration, set by %KNHK_IOC_CONFIGURE
 * @size: sizeof(struct knhk_config)
 * @flags: %KNHK_CONFIG_* bits
 * @lanes: number of lanes, a power of two in 1..%KNHK_MAX_LANES
 * @ring_size: tasks each lane holds, a power of two in
 *	%KNHK_MIN_RING..%KNHK_MAX_RING, with (@lanes + 1) * @ring_size at
 *	most %KNHK_MAX_SLOTS
 * @cq_size: in-flight tasks (submitted, completion not yet read) the
 *	instance admits; 1..(@lanes + 1) * @ring_size
 * @reserved: must be 0
 * @replay_subbuf_size: with %KNHK_CONFIG_REPLAY: bytes per sub-buffer of
 *	each CPU's stream, a power of two in
 *	%KNHK_REPLAY_MIN_SUBBUF..%KNHK_REPLAY_MAX_SUBBUF; 0 for
 *	%KNHK_REPLAY_SUBBUF. A record never crosses a sub-buffer.
 * @replay_nr_subbufs: sub-buffers per CPU, 2..%KNHK_REPLAY_MAX_SUBBUFS; 0
 *	for %KNHK_REPLAY_NR_SUBBUFS
 *
 * With %KNHK_CONFIG_REPLAY every event is also written to the relay files
 * debugfs knhk_sched/<instance>/replay<cpu>, as a struct knhk_event
 * followed by its input data padded to 8 bytes. A read() of a replay file
 * returns whole records of finished sub-buffers only, as many as fit,
 * while there are any (poll() says POLLIN then); with none, what the
 * sub-buffer being written holds, which is safe to read once the
 * instance's producers are done. Lossless (the default):
 * whatever would produce an event waits while that CPU's stream is full, so
 * someone must read() the files (mmap() consumes nothing). A lane that
 * waits is parked until the reader makes room: it holds up its own
 * instance only, never another instance nor its worker's other lanes.
 * Since only root can read debugfs, a lossless stream needs CAP_SYS_ADMIN:
 * -EPERM without it. %KNHK_CONFIG_REPLAY_DROP (no privilege needed):
 * events that do not fit are dropped and counted per CPU (debugfs
 * "dropped"); the digest still covers them, and the per-source sequence
 * numbers show the gaps.
 *
 * A task holds its lane slot from submission until its completion is read
 * (the result is written in place), so a lane takes at most @ring_size
 * tasks whose completions are unread; an enqueue to a full lane waits for
 * the reader like one over @cq_size does.
 *
 * The ordered queue holds @ring_size tasks too, like one more lane: ordered
 * tasks waiting for release plus released ones whose completion is unread.
 * An ordered submission with more tasks than @ring_size minus the tasks
 * waiting for release fails with -ENOSPC: only a release, on the same
 * submit path, can make that room, so the answer does not depend on the
 * reader. Room held by released tasks whose completions are unread is made
 * by the reader: the submission waits for it like one to a full lane
 * (-EAGAIN under O_NONBLOCK or in step mode).
 *
 * Memory: an open file pins at most about 23 MiB of kernel memory (the
 * lane rings, (@lanes + 1) * @ring_size slots of 256 bytes, 16 MiB at
 * most; the ordered queue, @ring_size entries of 192 bytes, 6 MiB at most;
 * the lanes and a submission's room, 400 KiB at most; a few bytes per
 * CPU), charged to the memory cgroup of the process whose call allocates
 * it (the first logged call, see below), plus its replay buffers, which
 * count against the module-wide cap instead (%KNHK_REPLAY_MAX_MB_DEFAULT):
 * a configuration whose stream does not fit in what is left of the cap is
 * -ENOSPC, and changes nothing.
 *
 * Allowed, any number of times, until the first call that is logged: a
 * task accepted, a release, a guard change or a shared-state load (-EBUSY
 * after); the lanes are allocated then. A rejected call changes nothing. An
 * instance that is never configured uses %KNHK_DEFAULT_LANES lanes of
 * %KNHK_DEFAULT_RING tasks and a completion queue of
 * (%KNHK_DEFAULT_LANES + 1) * %KNHK_DEFAULT_RING; every call is valid on it.
 */
struct knhk_config {
	__u32 size;
	__u32 flags;
	__u32 lanes;
	__u32 ring_size;
	__u32 cq_size;
	__u32 reserved;
	__u32 replay_subbuf_size;
	__u32 replay_nr_subbufs;
};

#define KNHK_CONFIG_SIZE_VER0	24	/* without the replay fields */

/*
 * Kinds of work (knhk_task.kind). knhk_mix64(x) is the splitmix64 finalizer:
 *   x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9;
 *   x = (x ^ (x >> 27)) * 0x94d049bb133111eb;
 *   x ^= x >> 31;
 */
#define KNHK_WORK_PURE		0	/* output = knhk_mix64(payload), 1 tick */
#define KNHK_WORK_PROGRAM	1	/* the register machine below */

/* Priorities (knhk_task.priority): order within one submission batch. */
#define KNHK_PRIO_HIGH		0
#define KNHK_PRIO_NORMAL	1
#define KNHK_PRIO_LOW		2

/*
 * Register machine opcodes (knhk_insn.op). r0 starts as the payload, r1..r3
 * as 0; the output is r0 when the program ends. Each instruction costs one
 * tick.
 */
#define KNHK_OP_LDI		0	/* dst = imm */
#define KNHK_OP_ADD		1	/* dst += src */
#define KNHK_OP_SUB		2	/* dst -= src */
#define KNHK_OP_XOR		3	/* dst ^= src */
#define KNHK_OP_MUL		4	/* dst *= src */
#define KNHK_OP_ROL		5	/* dst = rol64(dst, imm & 63) */
#define KNHK_OP_MIX		6	/* dst = knhk_mix64(dst ^ src) */
#define KNHK_OP_LDL		7	/* dst = lane_state[imm] (plain tasks) */
#define KNHK_OP_STL		8	/* lane_state[imm] = src (plain tasks) */
#define KNHK_OP_LDS		9	/* dst = shared[imm] (ordered tasks) */
#define KNHK_OP_STS		10	/* shared[imm] = src (ordered tasks) */
#define KNHK_NR_OPS		11

#define KNHK_LANE_SLOTS		16	/* lane state slots per lane */
#define KNHK_SHARED_SLOTS	64	/* shared state slots per instance */

/**
 * struct knhk_insn - one register machine instruction
 * @op: %KNHK_OP_*
 * @dst: destination register, 0..%KNHK_NR_REGS-1; must be 0 for the stores
 *	(%KNHK_OP_STL, %KNHK_OP_STS)
 * @src: source register, 0..%KNHK_NR_REGS-1; must be 0 for %KNHK_OP_LDI,
 *	%KNHK_OP_ROL and the loads (%KNHK_OP_LDL, %KNHK_OP_LDS)
 * @reserved: must be 0
 * @imm: immediate, rotate count, or the state slot of a load/store; must be
 *	0 for the register operations (%KNHK_OP_ADD, %KNHK_OP_SUB,
 *	%KNHK_OP_XOR, %KNHK_OP_MUL, %KNHK_OP_MIX)
 *
 * A field an opcode does not use must be 0 (-EINVAL otherwise), so that it
 * can be given a meaning later.
 */
struct knhk_insn {
	__u32 op;
	__u32 dst;
	__u32 src;
	__u32 reserved;
	__u64 imm;
};

/**
 * struct knhk_task - a task descriptor, as submitted
 * @task_id: caller's id; the task runs on lane @task_id & (lanes - 1)
 * @payload: PURE: the value mixed; PROGRAM: the initial r0
 * @kind: %KNHK_WORK_*
 * @priority: %KNHK_PRIO_*
 * @budget: tick budget, 1..%KNHK_MAX_BUDGET
 * @nguards: guard ids used in @guards, 0..%KNHK_MAX_GUARDS
 * @ninsns: instructions used in @prog (PROGRAM only, 1..%KNHK_MAX_INSNS)
 * @reserved: must be 0
 * @guards: guard ids, each below %KNHK_GUARD_IDS; unused entries must be 0
 * @prog: the program; unused entries must be 0
 */
struct knhk_task {
	__u64 task_id;
	__u64 payload;
	__u32 kind;
	__u32 priority;
	__u32 budget;
	__u32 nguards;
	__u32 ninsns;
	__u32 reserved;
	__u32 guards[KNHK_MAX_GUARDS];
	struct knhk_insn prog[KNHK_MAX_INSNS];
};

/**
 * struct knhk_enqueue - one task, for %KNHK_IOC_ENQUEUE
 * @size: sizeof(struct knhk_enqueue)
 * @flags: must be 0
 * @task: the task
 */
struct knhk_enqueue {
	__u32 size;
	__u32 flags;
	struct knhk_task task;
};

/*
 * Completion status (knhk_completion.status).
 * BUDGET_EXCEEDED: the program had more instructions than its budget; it
 * ran @budget of them, and its output is r0 at that point.
 * GUARD_FAILED: a guard did not hold when the task was accepted; it did not
 * run: output 0, ticks 0. It still completes and is stamped like any task,
 * by its lane's clock (the ordered chain's, for an ordered task).
 */
#define KNHK_STATUS_OK			0
#define KNHK_STATUS_BUDGET_EXCEEDED	1
#define KNHK_STATUS_GUARD_FAILED	2

#define KNHK_COMPLETION_ORDERED	(1U << 0)

/**
 * struct knhk_completion - one record returned by read()
 * @task_id: the task's id
 * @output: the task's output value
 * @enqueue_ts: logical time the task was accepted (submit clock)
 * @execute_ts: logical time the task ran: its lane's clock, or for an
 *	ordered task the ordered chain's, which its release first advances to
 *	the release's own submit-clock time; always above @enqueue_ts
 * @cycles: measured cost of the execution; not deterministic
 * @lane: lane the task ran on
 * @status: %KNHK_STATUS_*
 * @ticks: ticks used
 * @cpu: CPU that ran the task; not deterministic
 * @flags: %KNHK_COMPLETION_ORDERED for an ordered task
 * @reserved: 0
 *
 * Only @task_id, @output, @enqueue_ts, @execute_ts, @lane, @status and
 * @ticks are deterministic.
 */
struct knhk_completion {
	__u64 task_id;
	__u64 output;
	__u64 enqueue_ts;
	__u64 execute_ts;
	__u64 cycles;
	__u32 lane;
	__u32 status;
	__u32 ticks;
	__u32 cpu;
	__u32 flags;
	__u32 reserved;
};

/**
 * struct knhk_submit - a batch of tasks, for %KNHK_IOC_SUBMIT and
 *	%KNHK_IOC_SUBMIT_ORDERED
 * @size: sizeof(struct knhk_submit)
 * @flags: must be 0
 * @count: entries in @tasks, 1..%KNHK_MAX_BATCH
 * @accepted: in: entries an earlier, interrupted call with this same batch
 *	already accepted (0 for a new batch); out: entries accepted so far
 * @bad_index: out: on -EINVAL, the index of the first invalid entry
 *	(%KNHK_BAD_INDEX_NONE if the batch itself is invalid)
 * @reserved: must be 0
 * @tasks: user pointer to @count struct knhk_task (%KNHK_IOC_SUBMIT) or
 *	struct knhk_ordered_task (%KNHK_IOC_SUBMIT_ORDERED)
 *
 * The whole batch is validated before any entry is accepted. Entries are
 * accepted in priority order (all high, then normal, then low), stably
 * within a priority, and @accepted counts in that order. When a lane ring or
 * the in-flight limit is full the call waits, or fails with -EAGAIN under
 * O_NONBLOCK or in step mode (where only run-cycle makes room); a signal
 * stops it with -EINTR (or restarts it, under SA_RESTART). In both cases
 * @accepted says how far it got, and repeating
 * the call with the same struct continues from there. Returns 0 only when
 * the whole batch was accepted.
 *
 * The struct is written back before any entry is accepted: one the caller
 * cannot write is -EFAULT with nothing accepted. Only if it stops being
 * writable during the call (another thread unmapping it) can entries be
 * accepted and the call still return -EFAULT; %KNHK_IOC_STATS @submitted
 * then tells how many tasks the instance has accepted in all.
 */
struct knhk_submit {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 accepted;
	__u32 bad_index;
	__u32 reserved;
	__u64 tasks;
};

#define KNHK_BAD_INDEX_NONE	0xffffffffU

/**
 * struct knhk_ordered_task - a task with a caller-supplied Lamport timestamp
 * @timestamp: the timestamp, e.g. a log index from an ordering service
 * @task: the task; its program may use shared state, not lane state
 *
 * Ordered tasks run one at a time, when released, in (@timestamp, lane,
 * submission order) order, lane being @task.task_id & (lanes - 1).
 */
struct knhk_ordered_task {
	__u64 timestamp;
	struct knhk_task task;
};

/**
 * struct knhk_enqueue_ordered - one ordered task, %KNHK_IOC_ENQUEUE_ORDERED
 * @size: sizeof(struct knhk_enqueue_ordered)
 * @flags: must be 0
 * @ot: the task and its timestamp
 */
struct knhk_enqueue_ordered {
	__u32 size;
	__u32 flags;
	struct knhk_ordered_task ot;
};

/* knhk_release.flags */
#define KNHK_RELEASE_ALL	(1U << 0)	/* ignore @watermark */

/**
 * struct knhk_release - run ordered tasks, %KNHK_IOC_RELEASE
 * @size: sizeof(struct knhk_release)
 * @flags: %KNHK_RELEASE_ALL or 0
 * @watermark: without %KNHK_RELEASE_ALL, run the waiting ordered tasks
 *	whose timestamp is at most this
 * @released: out: tasks run by this call
 * @reserved: must be 0
 *
 * Only ordered tasks submitted before the release are candidates. They run
 * before the call returns, in order; their completions are then readable.
 * The release is logged at the next submit-clock time R; the ordered clock
 * becomes max(ordered clock, R), and each task it runs ticks it once.
 * Valid on a never-configured instance: with nothing waiting it returns 0
 * and @released 0.
 */
struct knhk_release {
	__u32 size;
	__u32 flags;
	__u64 watermark;
	__u32 released;
	__u32 reserved;
};

/**
 * struct knhk_run_cycle - run one lane's head task, %KNHK_IOC_RUN_CYCLE
 * @size: sizeof(struct knhk_run_cycle)
 * @flags: must be 0
 * @lane: the lane
 * @reserved: must be 0
 * @completion: out: the task's completion
 *
 * Step mode only (-EINVAL otherwise). The task runs on the lane's worker;
 * its completion is returned here, not through read(). -ENODATA if the
 * lane has no task waiting. Killable: a killed run-cycle either has not
 * run the task (-EINTR; the next run-cycle runs it) or has, and returns it.
 */
struct knhk_run_cycle {
	__u32 size;
	__u32 flags;
	__u32 lane;
	__u32 reserved;
	struct knhk_completion completion;
};

/* knhk_guards.flags: exactly one of */
#define KNHK_GUARDS_SET		(1U << 0)
#define KNHK_GUARDS_CLEAR	(1U << 1)

/**
 * struct knhk_guards - set or clear guards, %KNHK_IOC_GUARDS
 * @size: sizeof(struct knhk_guards)
 * @flags: %KNHK_GUARDS_SET or %KNHK_GUARDS_CLEAR
 * @count: entries in @ids, 1..%KNHK_GUARD_IDS
 * @reserved: must be 0
 * @ids: user pointer to @count __u32 guard ids, each below %KNHK_GUARD_IDS
 *
 * A task's guards hold when every id it names is set. They are evaluated
 * when the task is accepted; a task whose guards do not hold completes with
 * %KNHK_STATUS_GUARD_FAILED without running.
 */
struct knhk_guards {
	__u32 size;
	__u32 flags;
	__u32 count;
	__u32 reserved;
	__u64 ids;
};

/**
 * struct knhk_shared_load - load shared state, %KNHK_IOC_LOAD_SHARED
 * @size: sizeof(struct knhk_shared_load)
 * @flags: must be 0
 * @first: first slot, below %KNHK_SHARED_SLOTS
 * @count: slots, 1..%KNHK_SHARED_SLOTS - @first
 * @values: user pointer to @count __u64 values
 *
 * Takes effect after every ordered task released so far and before any
 * released later.
 */
struct knhk_shared_load {
	__u32 size;
	__u32 flags;
	__u32 first;
	__u32 count;
	__u64 values;
};

/**
 * struct knhk_digest - the replay digest, %KNHK_IOC_DIGEST
 * @size: sizeof(struct knhk_digest)
 * @flags: must be 0
 * @digest: xxh64 over the lane count, %KNHK_DIGEST_VERSION and each
 *	source's event chain
 * @checksum: XOR of every event's timestamp (the seed's cheap check)
 * @events: number of events
 *
 * Waits, like a barrier, until every task that runs without a further call
 * has run, so the result covers exactly the calls made before it. It never
 * waits for an ordered task not yet released, nor for a task of a lane in
 * step mode: those count with their TaskEnqueued only, until they run.
 *
 * The digest covers what can change a result: the lane count and the
 * digest version. It does not cover the ring, completion-queue or replay
 * sizes, nor step mode: the same calls give the same digest under any of
 * them.
 */
struct knhk_digest {
	__u32 size;
	__u32 flags;
	__u64 digest;
	__u64 checksum;
	__u64 events;
};

/*
 * Version of the event record and digest rules (struct knhk_event, the
 * per-source xxh64 chains and how they are folded, and the clocks that
 * stamp the events); part of every digest, so userspace can tell whether it
 * recomputes the same thing. 2: an ordered task is stamped by the ordered
 * clock after its release's timestamp (version 1: after its own caller
 * timestamp, which could put it before its own enqueue). 3: a TaskEnqueued
 * record carries and hashes its descriptor only up to the last field it
 * uses (version 2: the whole descriptor, zeroes and all).
 */
#define KNHK_DIGEST_VERSION	3

/* Event types (knhk_event.type). */
#define KNHK_EV_TASK_ENQUEUED	1
#define KNHK_EV_TASK_EXECUTED	2
#define KNHK_EV_STATE_CHANGE	3	/* guards set or cleared */
#define KNHK_EV_EXTERNAL_INPUT	4	/* shared state loaded, release */

/* knhk_event.status of TASK_ENQUEUED: the task went to the ordered queue. */
#define KNHK_EV_ORDERED		1

/* Event sources (knhk_event.source): lanes are 0..lanes-1, then: */
#define KNHK_SRC_ORDERED	0x100	/* the ordered chain */
#define KNHK_SRC_SUBMIT		0x101	/* the submit path */

/* knhk_event.status of an external input: what entered. */
#define KNHK_INPUT_SHARED	1	/* shared state; lane: first slot */
#define KNHK_INPUT_RELEASE	2	/* release; lane: flags, aux: watermark */

/**
 * struct knhk_event - one replay record, little-endian
 * @type: %KNHK_EV_*
 * @source: lane number, %KNHK_SRC_ORDERED or %KNHK_SRC_SUBMIT
 * @seq: per-source sequence number, from 0
 * @ts: logical timestamp from the source's clock
 * @task_id: the task (task events)
 * @lane: the task's lane (task events); the argument of an input
 * @status: %KNHK_STATUS_* (executed); %KNHK_EV_ORDERED or 0 (enqueued);
 *	%KNHK_GUARDS_SET or
 *	%KNHK_GUARDS_CLEAR (state change); %KNHK_INPUT_* (external input)
 * @ticks: ticks used (executed)
 * @len: bytes of input data that follow the record in the replay stream:
 *	the struct knhk_task (enqueued), the guard ids (state change), the
 *	values (shared state), watermark and flags as two __u64 (release).
 *	A task descriptor is carried only up to its last used field, a
 *	multiple of 8 bytes: with @ninsns, to the end of its last instruction;
 *	without, to the end of its last guard id, rounded up (40 bytes for a
 *	PURE task without guards). The rest is zero by validation.
 * @hash: executed: xxh64 of (task_id, output, status, ticks) as __u64,
 *	__u64, __u32, __u32; otherwise xxh64 of the input data
 * @aux: the timestamp of an enqueued ordered task; a release's watermark
 *
 * Events are in canonical order by (@ts, @source, @seq). Every field is
 * deterministic; the digest chains whole records.
 */
struct knhk_event {
	__u32 type;
	__u32 source;
	__u64 seq;
	__u64 ts;
	__u64 task_id;
	__u32 lane;
	__u32 status;
	__u32 ticks;
	__u32 len;
	__u64 hash;
	__u64 aux;
};

/**
 * struct knhk_lane_stats - counters of one lane
 * @enqueued: tasks accepted into the lane
 * @executed: tasks the lane has run
 */
struct knhk_lane_stats {
	__u64 enqueued;
	__u64 executed;
};

/**
 * struct knhk_stats - instance counters, filled by %KNHK_IOC_STATS
 * @size: sizeof(struct knhk_stats)
 * @flags: must be 0
 * @lanes: in: entries @lane_stats has room for; out: the instance's lanes
 * @reserved: must be 0
 * @lane_stats: user pointer to an array of struct knhk_lane_stats, filled
 *	for min(in @lanes, out @lanes) lanes; may be 0 when @lanes is 0
 * @submitted: tasks accepted
 * @executed: completions the lanes and the ordered chain produced,
 *	%KNHK_STATUS_GUARD_FAILED ones included
 * @completed: completions read
 * @inflight: tasks accepted whose completion is not yet read
 * @instance: the instance's number: its debugfs directory is
 *	knhk_sched/<instance>
 * @reserved2: 0
 */
struct knhk_stats {
	__u32 size;
	__u32 flags;
	__u32 lanes;
	__u32 reserved;
	__u64 lane_stats;
	__u64 submitted;
	__u64 executed;
	__u64 completed;
	__u64 inflight;
	__u32 instance;
	__u32 reserved2;
};

#define KNHK_STATS_SIZE_VER0	56	/* without @instance */

/**
 * struct knhk_barrier - wait for every submitted task, %KNHK_IOC_BARRIER
 * @size: sizeof(struct knhk_barrier)
 * @flags: must be 0
 *
 * Returns once every task accepted before the call that runs without a
 * further call has run (its completion may still be unread). It never waits
 * for an ordered task not yet released, nor for a task of a lane in step
 * mode (it returns at once there). Killable; -EINTR if interrupted.
 */
struct knhk_barrier {
	__u32 size;
	__u32 flags;
};

#define KNHK_IOC_MAGIC		0xb7

#define KNHK_IOC_VERSION	_IOWR(KNHK_IOC_MAGIC, 0x00, struct knhk_version)
#define KNHK_IOC_CONFIGURE	_IOW(KNHK_IOC_MAGIC, 0x01, struct knhk_config)
#define KNHK_IOC_ENQUEUE	_IOW(KNHK_IOC_MAGIC, 0x02, struct knhk_enqueue)
#define KNHK_IOC_BARRIER	_IOW(KNHK_IOC_MAGIC, 0x03, struct knhk_barrier)
#define KNHK_IOC_STATS		_IOWR(KNHK_IOC_MAGIC, 0x04, struct knhk_stats)
#define KNHK_IOC_SUBMIT		_IOWR(KNHK_IOC_MAGIC, 0x05, struct knhk_submit)
#define KNHK_IOC_ENQUEUE_ORDERED \
	_IOW(KNHK_IOC_MAGIC, 0x06, struct knhk_enqueue_ordered)
#define KNHK_IOC_SUBMIT_ORDERED \
	_IOWR(KNHK_IOC_MAGIC, 0x07, struct knhk_submit)
#define KNHK_IOC_RELEASE	_IOWR(KNHK_IOC_MAGIC, 0x08, struct knhk_release)
#define KNHK_IOC_RUN_CYCLE	_IOWR(KNHK_IOC_MAGIC, 0x09, struct knhk_run_cycle)
#define KNHK_IOC_GUARDS		_IOW(KNHK_IOC_MAGIC, 0x0a, struct knhk_guards)
#define KNHK_IOC_LOAD_SHARED	_IOW(KNHK_IOC_MAGIC, 0x0b, struct knhk_shared_load)
#define KNHK_IOC_DIGEST		_IOWR(KNHK_IOC_MAGIC, 0x0c, struct knhk_digest)

#endif /* _UAPI_LINUX_KNHK_SCHED_H */
