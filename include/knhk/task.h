/* SPDX-License-Identifier: GPL-2.0 */
/*
 * task.h - the task model: validated task, its execution, its result
 *
 * A task is checked once, on the submit path, and converted into the compact
 * form below as it is written into its slot; execution then needs no checks
 * at all. Nothing here depends on the CPU, the time or the instance: the
 * same task with the same state gives the same result everywhere.
 */
#ifndef _KNHK_TASK_H
#define _KNHK_TASK_H

#include <linux/stddef.h>
#include <linux/string.h>
#include <linux/types.h>
#include <uapi/linux/knhk_sched.h>

/**
 * struct knhk_insn_x - a verified instruction
 * @op: %KNHK_OP_*
 * @dst: destination register
 * @src: source register
 * @imm: immediate, rotate count or state slot
 */
struct knhk_insn_x {
	u8 op;
	u8 dst;
	u8 src;
	u64 imm;
};

/**
 * struct knhk_task_x - a task after validation, as a lane ring holds it
 * @task_id: caller's id
 * @payload: PURE value, or the program's initial r0
 * @enqueue_ts: submit clock when the task was accepted
 * @kind: %KNHK_WORK_*
 * @priority: %KNHK_PRIO_*
 * @budget: tick budget, 1..%KNHK_MAX_BUDGET
 * @ninsns: instructions in @prog
 * @guard_failed: the guards did not hold at submission; the task is not run
 * @prog: the program; entries past @ninsns are undefined
 */
struct knhk_task_x {
	u64 task_id;
	u64 payload;
	u64 enqueue_ts;
	u8 kind;
	u8 priority;
	u8 budget;
	u8 ninsns;
	bool guard_failed;
	struct knhk_insn_x prog[KNHK_MAX_INSNS];
};

/**
 * struct knhk_result - what executing a task produced
 * @output: output value
 * @status: %KNHK_STATUS_*
 * @ticks: ticks used
 */
struct knhk_result {
	u64 output;
	u32 status;
	u32 ticks;
};

/**
 * enum knhk_task_origin - how a task was submitted; decides what state its
 *	program may touch
 * @KNHK_TASK_PLAIN: through a lane ring; may use lane state only
 * @KNHK_TASK_ORDERED: through the ordered queue; may use shared state only
 */
enum knhk_task_origin {
	KNHK_TASK_PLAIN,
	KNHK_TASK_ORDERED,
};

/**
 * knhk_task_copy() - copy a task, its program only as far as it goes
 * @dst: the copy
 * @src: the task
 *
 * A PURE task is 32 bytes of its 160; this runs once per ordered task on
 * release.
 */
static inline void knhk_task_copy(struct knhk_task_x *dst,
				  const struct knhk_task_x *src)
{
	memcpy(dst, src, offsetof(struct knhk_task_x, prog) +
			 src->ninsns * sizeof(src->prog[0]));
}

u64 knhk_mix64(u64 x);
int knhk_task_check(const struct knhk_task *u, enum knhk_task_origin origin);
void knhk_task_load(struct knhk_task_x *t, const struct knhk_task *u,
		    bool guard_failed);
u32 knhk_task_used_len(const struct knhk_task *u);
bool knhk_guards_hold(const unsigned long *table, const struct knhk_task *u);
void knhk_task_run(const struct knhk_task_x *t, u64 *state,
		   struct knhk_result *res);

#endif /* _KNHK_TASK_H */
