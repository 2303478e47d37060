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
#define KNHK_MAX_BATCH		1024	/* tasks per submit ioctl */

/* Defaults of an instance that is never configured. */
#define KNHK_DEFAULT_LANES	4
#define KNHK_DEFAULT_RING	256
#define KNHK_MIN_RING		2
#define KNHK_MAX_RING		65536
#define KNHK_MAX_SLOTS		65536	/* lanes * ring_size, per instance */

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

/* knhk_config.flags: none defined yet */
#define KNHK_CONFIG_FLAGS	0U

/**
 * struct knhk_config - instance configuration, set by %KNHK_IOC_CONFIGURE
 * @size: sizeof(struct knhk_config)
 * @flags: %KNHK_CONFIG_* bits
 * @lanes: number of lanes, a power of two in 1..%KNHK_MAX_LANES
 * @ring_size: tasks each lane holds, a power of two in
 *	%KNHK_MIN_RING..%KNHK_MAX_RING, with @lanes * @ring_size at most
 *	%KNHK_MAX_SLOTS
 * @cq_size: in-flight tasks (submitted, completion not yet read) the
 *	instance admits; 1..@lanes * @ring_size
 * @reserved: must be 0
 *
 * Allowed, any number of times, until the first task is accepted (-EBUSY
 * after); the lanes are allocated with that first task. An
 * instance that is never configured uses %KNHK_DEFAULT_LANES lanes of
 * %KNHK_DEFAULT_RING tasks and a completion queue of their product.
 */
struct knhk_config {
	__u32 size;
	__u32 flags;
	__u32 lanes;
	__u32 ring_size;
	__u32 cq_size;
	__u32 reserved;
};

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
 * @dst: destination register, 0..%KNHK_NR_REGS-1
 * @src: source register, 0..%KNHK_NR_REGS-1
 * @reserved: must be 0
 * @imm: immediate, or the state slot of a load/store
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

/* Completion status (knhk_completion.status). */
#define KNHK_STATUS_OK			0
#define KNHK_STATUS_BUDGET_EXCEEDED	1
#define KNHK_STATUS_GUARD_FAILED	2

/**
 * struct knhk_completion - one record returned by read()
 * @task_id: the task's id
 * @output: the task's output value
 * @enqueue_ts: logical time the task was accepted (submit clock)
 * @execute_ts: logical time the task ran (its lane's clock)
 * @cycles: measured cost of the execution; not deterministic
 * @lane: lane the task ran on
 * @status: %KNHK_STATUS_*
 * @ticks: ticks used
 * @cpu: CPU that ran the task; not deterministic
 * @flags: reserved for future use, 0
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
 * @executed: tasks run
 * @completed: completions read
 * @inflight: tasks accepted whose completion is not yet read
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
};

/**
 * struct knhk_barrier - wait for every submitted task, %KNHK_IOC_BARRIER
 * @size: sizeof(struct knhk_barrier)
 * @flags: must be 0
 *
 * Returns once every task accepted before the call has run (its completion
 * may still be unread). Killable; -EINTR if interrupted.
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

#endif /* _UAPI_LINUX_KNHK_SCHED_H */
