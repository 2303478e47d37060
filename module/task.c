// SPDX-License-Identifier: GPL-2.0
/*
 * task.c - validation and execution of tasks
 *
 * Validation is complete: once knhk_task_check() accepts a task, running it
 * cannot fail, read out of bounds or depend on anything but the task and the
 * state slots it names.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/stddef.h>
#include <linux/string.h>

#include <knhk/task.h>

/**
 * knhk_mix64() - the fixed 64-bit mix of PURE work and of %KNHK_OP_MIX
 * @x: value to mix
 *
 * The splitmix64 finalizer, documented in the uapi header so that userspace
 * can check outputs.
 *
 * Return: the mixed value.
 */
u64 knhk_mix64(u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* Which state each opcode touches, and so which task origin may use it. */
static int knhk_op_check(const struct knhk_insn *in,
			 enum knhk_task_origin origin)
{
	switch (in->op) {
	case KNHK_OP_LDL:
	case KNHK_OP_STL:
		if (origin != KNHK_TASK_PLAIN || in->imm >= KNHK_LANE_SLOTS)
			return -EINVAL;
		return 0;
	case KNHK_OP_LDS:
	case KNHK_OP_STS:
		if (origin != KNHK_TASK_ORDERED || in->imm >= KNHK_SHARED_SLOTS)
			return -EINVAL;
		return 0;
	default:
		return in->op < KNHK_NR_OPS ? 0 : -EINVAL;
	}
}

/*
 * Whether the fields @in->op does not use are zero: the source register of
 * LDI, ROL and the loads, the destination of the stores, the immediate of
 * the register ALU operations. Zero now, they can be given a meaning later.
 */
static bool knhk_op_unused_zero(const struct knhk_insn *in)
{
	switch (in->op) {
	case KNHK_OP_LDI:
	case KNHK_OP_ROL:
	case KNHK_OP_LDL:
	case KNHK_OP_LDS:
		return !in->src;
	case KNHK_OP_STL:
	case KNHK_OP_STS:
		return !in->dst;
	default:
		return !in->imm;
	}
}

static bool knhk_mem_is_zero(const void *p, size_t len)
{
	return !len || (!*(const u8 *)p && !memcmp(p, p + 1, len - 1));
}

static int knhk_prog_check(const struct knhk_task *u,
			   enum knhk_task_origin origin)
{
	unsigned int i;

	if (u->ninsns < 1 || u->ninsns > KNHK_MAX_INSNS)
		return -EINVAL;
	for (i = 0; i < u->ninsns; i++) {
		const struct knhk_insn *in = &u->prog[i];

		if (in->dst >= KNHK_NR_REGS || in->src >= KNHK_NR_REGS ||
		    in->reserved || knhk_op_check(in, origin) ||
		    !knhk_op_unused_zero(in))
			return -EINVAL;
	}
	return 0;
}

/**
 * knhk_task_check() - validate a task descriptor
 * @u: the descriptor as submitted
 * @origin: how it was submitted, which decides what state it may touch
 *
 * Checks every field of @u: the kind, priority and budget, the guard ids,
 * each instruction's opcode, registers and state slot, and that unused and
 * reserved entries, and the fields an instruction does not use, are zero
 * (so that they can be given a meaning later).
 * Guards are only checked for range here; whether they hold is the
 * instance's business (knhk_guards_hold()). Nothing is written: a batch is
 * checked whole, where it was copied in, before any task is accepted, and
 * knhk_task_load() then writes each one straight into its slot.
 *
 * Return: 0, or -EINVAL if any field is out of range.
 */
int knhk_task_check(const struct knhk_task *u, enum knhk_task_origin origin)
{
	unsigned int i;

	if (u->priority > KNHK_PRIO_LOW || u->reserved ||
	    u->budget < 1 || u->budget > KNHK_MAX_BUDGET ||
	    u->nguards > KNHK_MAX_GUARDS || u->ninsns > KNHK_MAX_INSNS)
		return -EINVAL;
	for (i = 0; i < u->nguards; i++)
		if (u->guards[i] >= KNHK_GUARD_IDS)
			return -EINVAL;
	if (!knhk_mem_is_zero(&u->guards[u->nguards],
			      (KNHK_MAX_GUARDS - u->nguards) *
			      sizeof(u->guards[0])) ||
	    !knhk_mem_is_zero(&u->prog[u->ninsns],
			      (KNHK_MAX_INSNS - u->ninsns) *
			      sizeof(u->prog[0])))
		return -EINVAL;

	switch (u->kind) {
	case KNHK_WORK_PURE:
		return u->ninsns ? -EINVAL : 0;
	case KNHK_WORK_PROGRAM:
		return knhk_prog_check(u, origin);
	default:
		return -EINVAL;
	}
}

/**
 * knhk_task_load() - convert a checked descriptor into a task
 * @t: the task: a ring slot or an ordered queue entry
 * @u: the descriptor, accepted by knhk_task_check()
 * @guard_failed: whether its guards failed (knhk_guards_hold())
 *
 * Writes @t's header and its first @u->ninsns instructions, nothing past
 * them: only those are ever read (a PURE task is 32 bytes of the 160).
 * @t->enqueue_ts is left 0 for the caller to stamp.
 */
void knhk_task_load(struct knhk_task_x *t, const struct knhk_task *u,
		    bool guard_failed)
{
	unsigned int i;

	t->task_id = u->task_id;
	t->payload = u->payload;
	t->enqueue_ts = 0;
	t->kind = u->kind;
	t->priority = u->priority;
	t->budget = u->budget;
	t->ninsns = u->ninsns;
	t->guard_failed = guard_failed;
	for (i = 0; i < u->ninsns; i++) {
		t->prog[i].op = u->prog[i].op;
		t->prog[i].dst = u->prog[i].dst;
		t->prog[i].src = u->prog[i].src;
		t->prog[i].imm = u->prog[i].imm;
	}
}

/**
 * knhk_task_used_len() - bytes of a descriptor that can be non-zero
 * @u: the descriptor, accepted by knhk_task_check()
 *
 * Validation makes every guard past @u->nguards and every instruction past
 * @u->ninsns zero, so the descriptor is its first knhk_task_used_len()
 * bytes followed by zeroes: TaskEnqueued carries and hashes only those (a
 * PURE task: 40 of 264 bytes).
 *
 * Return: a multiple of 8, from offsetof(struct knhk_task, guards) to
 * sizeof(struct knhk_task).
 */
u32 knhk_task_used_len(const struct knhk_task *u)
{
	if (u->ninsns)
		return offsetof(struct knhk_task, prog) +
		       u->ninsns * sizeof(u->prog[0]);
	return ALIGN(offsetof(struct knhk_task, guards) +
		     u->nguards * sizeof(u->guards[0]), 8);
}

/**
 * knhk_guards_hold() - whether every guard a task names is set
 * @table: the guard table, %KNHK_GUARD_IDS bits
 * @u: the task, accepted by knhk_task_check()
 *
 * Return: true if the task may run; a task without guards always may.
 */
bool knhk_guards_hold(const unsigned long *table, const struct knhk_task *u)
{
	unsigned int i;

	for (i = 0; i < u->nguards; i++)
		if (!test_bit(u->guards[i], table))
			return false;
	return true;
}

/* Run one verified instruction. @state is lane or shared state, per origin. */
static void knhk_insn_run(const struct knhk_insn_x *in, u64 *r, u64 *state)
{
	switch (in->op) {
	case KNHK_OP_LDI:
		r[in->dst] = in->imm;
		break;
	case KNHK_OP_ADD:
		r[in->dst] += r[in->src];
		break;
	case KNHK_OP_SUB:
		r[in->dst] -= r[in->src];
		break;
	case KNHK_OP_XOR:
		r[in->dst] ^= r[in->src];
		break;
	case KNHK_OP_MUL:
		r[in->dst] *= r[in->src];
		break;
	case KNHK_OP_ROL:
		r[in->dst] = rol64(r[in->dst], in->imm & 63);
		break;
	case KNHK_OP_MIX:
		r[in->dst] = knhk_mix64(r[in->dst] ^ r[in->src]);
		break;
	case KNHK_OP_LDL:
	case KNHK_OP_LDS:
		r[in->dst] = state[in->imm];
		break;
	case KNHK_OP_STL:
	case KNHK_OP_STS:
		state[in->imm] = r[in->src];
		break;
	}
}

/**
 * knhk_task_run() - execute a validated task
 * @t: the task, loaded by knhk_task_load()
 * @state: the state slots its program may use: the lane's for a plain task,
 *	the instance's shared state for an ordered one
 * @res: the result
 *
 * A task whose guards failed is not run (0 ticks). A program stops when it
 * has used its budget; if instructions remain, the status is
 * %KNHK_STATUS_BUDGET_EXCEEDED and the output is r0 at that point.
 */
void knhk_task_run(const struct knhk_task_x *t, u64 *state,
		   struct knhk_result *res)
{
	u64 r[KNHK_NR_REGS] = { t->payload };
	unsigned int i, n;

	res->status = KNHK_STATUS_OK;
	if (t->guard_failed) {
		res->status = KNHK_STATUS_GUARD_FAILED;
		res->output = 0;
		res->ticks = 0;
		return;
	}
	if (t->kind == KNHK_WORK_PURE) {
		res->output = knhk_mix64(t->payload);
		res->ticks = 1;
		return;
	}

	n = min_t(unsigned int, t->ninsns, t->budget);
	for (i = 0; i < n; i++)
		knhk_insn_run(&t->prog[i], r, state);
	if (n < t->ninsns)
		res->status = KNHK_STATUS_BUDGET_EXCEEDED;
	res->output = r[0];
	res->ticks = n;
}
