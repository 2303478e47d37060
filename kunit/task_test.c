// SPDX-License-Identifier: GPL-2.0
/*
 * task_test.c - KUnit tests of task validation and execution
 *
 * task.c has no state of its own, so the test module compiles it in rather
 * than reaching into the main module.
 */
#include <kunit/test.h>

#include "../module/task.c"

static struct knhk_task pure_task(u64 id, u64 payload)
{
	return (struct knhk_task){
		.task_id = id, .payload = payload, .kind = KNHK_WORK_PURE,
		.priority = KNHK_PRIO_NORMAL, .budget = KNHK_MAX_BUDGET,
	};
}

static struct knhk_task prog_task(u32 budget, u32 ninsns)
{
	struct knhk_task t = pure_task(7, 5);

	t.kind = KNHK_WORK_PROGRAM;
	t.budget = budget;
	t.ninsns = ninsns;
	return t;
}

static struct knhk_insn insn(u32 op, u32 dst, u32 src, u64 imm)
{
	return (struct knhk_insn){ .op = op, .dst = dst, .src = src, .imm = imm };
}

/* Check @u and, if it passes, load it into @t as the submit path does. */
static int import(struct knhk_task_x *t, const struct knhk_task *u,
		  enum knhk_task_origin origin)
{
	int ret = knhk_task_check(u, origin);

	if (!ret)
		knhk_task_load(t, u, false);
	return ret;
}

/* Known answer: splitmix64's first output from seed 0. */
static void task_mix64_known_answer(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, knhk_mix64(0x9e3779b97f4a7c15ULL),
			0xe220a8397b1dcdafULL);
	KUNIT_EXPECT_EQ(test, knhk_mix64(0), 0);
}

static void task_pure_runs_one_tick(struct kunit *test)
{
	struct knhk_task u = pure_task(1, 42);
	struct knhk_task_x t;
	struct knhk_result res;

	KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
	knhk_task_run(&t, NULL, &res);
	KUNIT_EXPECT_EQ(test, res.status, KNHK_STATUS_OK);
	KUNIT_EXPECT_EQ(test, res.ticks, 1);
	KUNIT_EXPECT_EQ(test, res.output, knhk_mix64(42));
}

/* Each opcode's effect, checked one program at a time. */
static void task_every_opcode(struct kunit *test)
{
	static const struct {
		u32 op;
		u64 r1, imm;
		u64 want;
	} cases[] = {
		{ KNHK_OP_LDI, 0, 99, 99 },
		{ KNHK_OP_ADD, 3, 0, 5 + 3 },
		{ KNHK_OP_SUB, 7, 0, 5ULL - 7 },
		{ KNHK_OP_XOR, 6, 0, 5 ^ 6 },
		{ KNHK_OP_MUL, 11, 0, 55 },
		{ KNHK_OP_ROL, 0, 65, 10 },	/* rotate count is mod 64 */
		{ KNHK_OP_MIX, 1, 0, 0 },	/* filled in below */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct knhk_task u = prog_task(3, 2);
		u64 want = cases[i].want;
		struct knhk_task_x t;
		struct knhk_result res;

		if (cases[i].op == KNHK_OP_MIX)
			want = knhk_mix64(5 ^ 1);
		u.prog[0] = insn(KNHK_OP_LDI, 1, 0, cases[i].r1);
		u.prog[1] = insn(cases[i].op, 0, 1, cases[i].imm);
		/* LDI and ROL use no source register: it must be 0. */
		if (cases[i].op == KNHK_OP_LDI || cases[i].op == KNHK_OP_ROL)
			u.prog[1].src = 0;
		KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
		knhk_task_run(&t, NULL, &res);
		KUNIT_EXPECT_EQ_MSG(test, res.output, want, "op %u", cases[i].op);
		KUNIT_EXPECT_EQ(test, res.ticks, 2);
		KUNIT_EXPECT_EQ(test, res.status, KNHK_STATUS_OK);
	}
}

static void task_lane_state_load_store(struct kunit *test)
{
	struct knhk_task u = prog_task(8, 3);
	u64 state[KNHK_LANE_SLOTS] = { [3] = 40 };
	struct knhk_task_x t;
	struct knhk_result res;

	u.prog[0] = insn(KNHK_OP_LDL, 1, 0, 3);		/* r1 = 40 */
	u.prog[1] = insn(KNHK_OP_ADD, 0, 1, 0);		/* r0 = 5 + 40 */
	u.prog[2] = insn(KNHK_OP_STL, 0, 0, 15);	/* state[15] = r0 */
	KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
	knhk_task_run(&t, state, &res);
	KUNIT_EXPECT_EQ(test, res.output, 45);
	KUNIT_EXPECT_EQ(test, state[15], 45);
	KUNIT_EXPECT_EQ(test, state[3], 40);
}

static void task_shared_state_ordered_only(struct kunit *test)
{
	struct knhk_task u = prog_task(8, 2);
	u64 shared[KNHK_SHARED_SLOTS] = {};
	struct knhk_task_x t;
	struct knhk_result res;

	u.prog[0] = insn(KNHK_OP_STS, 0, 0, KNHK_SHARED_SLOTS - 1);
	u.prog[1] = insn(KNHK_OP_LDS, 2, 0, KNHK_SHARED_SLOTS - 1);
	KUNIT_EXPECT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), -EINVAL);
	KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_ORDERED), 0);
	knhk_task_run(&t, shared, &res);
	KUNIT_EXPECT_EQ(test, shared[KNHK_SHARED_SLOTS - 1], 5);

	u.prog[0] = insn(KNHK_OP_LDL, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, import(&t, &u, KNHK_TASK_ORDERED),
			-EINVAL);
}

/* 8 instructions fit a budget of 8; a budget of 7 stops at tick 7. */
static void task_budget_edges(struct kunit *test)
{
	struct knhk_task u = prog_task(8, 8);
	struct knhk_task_x t;
	struct knhk_result res;
	unsigned int i;

	for (i = 0; i < 8; i++)
		u.prog[i] = insn(KNHK_OP_LDI, 0, 0, 100 + i);
	KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
	knhk_task_run(&t, NULL, &res);
	KUNIT_EXPECT_EQ(test, res.status, KNHK_STATUS_OK);
	KUNIT_EXPECT_EQ(test, res.ticks, 8);
	KUNIT_EXPECT_EQ(test, res.output, 107);

	u.budget = 7;
	KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
	knhk_task_run(&t, NULL, &res);
	KUNIT_EXPECT_EQ(test, res.status, KNHK_STATUS_BUDGET_EXCEEDED);
	KUNIT_EXPECT_EQ(test, res.ticks, 7);
	KUNIT_EXPECT_EQ(test, res.output, 106);
}

static void task_guard_failed_not_run(struct kunit *test)
{
	struct knhk_task u = prog_task(8, 1);
	u64 state[KNHK_LANE_SLOTS] = {};
	struct knhk_task_x t;
	struct knhk_result res;

	u.prog[0] = insn(KNHK_OP_STL, 0, 0, 0);
	KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
	t.guard_failed = true;
	knhk_task_run(&t, state, &res);
	KUNIT_EXPECT_EQ(test, res.status, KNHK_STATUS_GUARD_FAILED);
	KUNIT_EXPECT_EQ(test, res.ticks, 0);
	KUNIT_EXPECT_EQ(test, state[0], 0);
}

/* A valid one-instruction program, for the verifier tests to spoil. */
static void valid_prog(struct knhk_task *u)
{
	*u = prog_task(8, 1);
	u->prog[0] = insn(KNHK_OP_ADD, 0, 1, 0);
}

/* Every reason the verifier has to reject a task, one field at a time. */
static void task_verifier_rejects(struct kunit *test)
{
	struct knhk_task *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);
	struct knhk_task_x t;

	KUNIT_ASSERT_NOT_NULL(test, u);
	valid_prog(u);
	KUNIT_ASSERT_EQ(test, import(&t, u, KNHK_TASK_PLAIN), 0);
#define BAD(reason, stmt) do {						\
		valid_prog(u);						\
		stmt;							\
		KUNIT_EXPECT_EQ_MSG(test, import(&t, u,	\
			KNHK_TASK_PLAIN), -EINVAL, "%s", reason);	\
	} while (0)
	BAD("kind 2", u->kind = 2);
	BAD("priority 3", u->priority = 3);
	BAD("budget 0", u->budget = 0);
	BAD("budget 9", u->budget = 9);
	BAD("task reserved", u->reserved = 1);
	BAD("9 guards", u->nguards = 9);
	BAD("guard id 1024", (u->nguards = 1, u->guards[0] = 1024));
	BAD("guard id 2000", (u->nguards = 2, u->guards[1] = 2000));
	BAD("unused guard set", u->guards[7] = 1);
	BAD("program of 0", (u->ninsns = 0, u->prog[0] = insn(0, 0, 0, 0)));
	BAD("program of 9", u->ninsns = 9);
	BAD("unused insn set", u->prog[5].imm = 1);
	BAD("bad opcode", u->prog[0].op = KNHK_NR_OPS);
	BAD("bad dst", u->prog[0].dst = KNHK_NR_REGS);
	BAD("bad src", u->prog[0].src = KNHK_NR_REGS);
	BAD("insn reserved", u->prog[0].reserved = 1);
	BAD("lane slot 16", u->prog[0] = insn(KNHK_OP_LDL, 0, 0, 16));
	BAD("lane store slot 16", u->prog[0] = insn(KNHK_OP_STL, 0, 0, 16));
	BAD("plain writes shared", u->prog[0] = insn(KNHK_OP_STS, 0, 0, 0));
	BAD("plain reads shared", u->prog[0] = insn(KNHK_OP_LDS, 0, 0, 0));
	BAD("pure with program", u->kind = KNHK_WORK_PURE);
	BAD("ldi with src", u->prog[0] = insn(KNHK_OP_LDI, 0, 1, 0));
	BAD("rol with src", u->prog[0] = insn(KNHK_OP_ROL, 0, 1, 3));
	BAD("ldl with src", u->prog[0] = insn(KNHK_OP_LDL, 0, 1, 0));
	BAD("stl with dst", u->prog[0] = insn(KNHK_OP_STL, 1, 0, 0));
	BAD("add with imm", u->prog[0] = insn(KNHK_OP_ADD, 0, 1, 1));
	BAD("mix with imm", u->prog[0] = insn(KNHK_OP_MIX, 0, 1, 1ULL << 63));
#undef BAD
}

/* Every opcode is accepted where its state is allowed, at its last slot. */
static void task_verifier_accepts(struct kunit *test)
{
	struct knhk_task_x t;
	u32 op;

	for (op = 0; op < KNHK_NR_OPS; op++) {
		struct knhk_task u = prog_task(8, 1);
		bool shared = op == KNHK_OP_LDS || op == KNHK_OP_STS;
		u64 imm = shared ? KNHK_SHARED_SLOTS - 1 : KNHK_LANE_SLOTS - 1;
		enum knhk_task_origin origin =
			shared ? KNHK_TASK_ORDERED : KNHK_TASK_PLAIN;

		u.prog[0] = insn(op, KNHK_NR_REGS - 1, KNHK_NR_REGS - 1, imm);
		/* What the opcode does not use must be 0. */
		if (op == KNHK_OP_LDI || op == KNHK_OP_ROL ||
		    op == KNHK_OP_LDL || op == KNHK_OP_LDS)
			u.prog[0].src = 0;
		else if (op == KNHK_OP_STL || op == KNHK_OP_STS)
			u.prog[0].dst = 0;
		else
			u.prog[0].imm = 0;
		KUNIT_EXPECT_EQ_MSG(test, import(&t, &u, origin), 0,
				    "op %u", op);
	}
	{
		struct knhk_task u = pure_task(1, 2);

		u.nguards = KNHK_MAX_GUARDS;
		u.guards[7] = KNHK_GUARD_IDS - 1;
		KUNIT_EXPECT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
	}
}

static void task_guards_hold(struct kunit *test)
{
	DECLARE_BITMAP(table, KNHK_GUARD_IDS);
	struct knhk_task u = pure_task(1, 1);

	bitmap_zero(table, KNHK_GUARD_IDS);
	KUNIT_EXPECT_TRUE(test, knhk_guards_hold(table, &u));	/* none */
	u.nguards = 2;
	u.guards[0] = 5;
	u.guards[1] = KNHK_GUARD_IDS - 1;
	KUNIT_EXPECT_FALSE(test, knhk_guards_hold(table, &u));
	__set_bit(5, table);
	KUNIT_EXPECT_FALSE(test, knhk_guards_hold(table, &u));	/* all, not any */
	__set_bit(KNHK_GUARD_IDS - 1, table);
	KUNIT_EXPECT_TRUE(test, knhk_guards_hold(table, &u));
	__clear_bit(5, table);
	KUNIT_EXPECT_FALSE(test, knhk_guards_hold(table, &u));
}

/*
 * TaskEnqueued carries a descriptor's first knhk_task_used_len() bytes:
 * everything after them must be zero in every valid descriptor.
 */
static void task_used_len(struct kunit *test)
{
	struct knhk_task u = pure_task(3, 9), p = prog_task(4, 3);
	struct knhk_task_x t;
	u32 len;

	KUNIT_EXPECT_EQ(test, knhk_task_used_len(&u),
			offsetof(struct knhk_task, guards));
	u.nguards = 3;
	u.guards[2] = 5;
	len = knhk_task_used_len(&u);
	KUNIT_EXPECT_EQ(test, len, 56);
	KUNIT_ASSERT_EQ(test, import(&t, &u, KNHK_TASK_PLAIN), 0);
	KUNIT_EXPECT_TRUE(test, knhk_mem_is_zero((u8 *)&u + len,
						 sizeof(u) - len));

	p.guards[0] = 1;
	p.nguards = 1;
	p.prog[0] = insn(KNHK_OP_LDI, 1, 0, 2);
	p.prog[1] = insn(KNHK_OP_ADD, 0, 1, 0);
	p.prog[2] = insn(KNHK_OP_MIX, 0, 0, 0);
	KUNIT_ASSERT_EQ(test, import(&t, &p, KNHK_TASK_PLAIN), 0);
	len = knhk_task_used_len(&p);
	KUNIT_EXPECT_EQ(test, len, offsetof(struct knhk_task, prog[3]));
	KUNIT_EXPECT_TRUE(test, knhk_mem_is_zero((u8 *)&p + len,
						 sizeof(p) - len));
	p.ninsns = KNHK_MAX_INSNS;
	KUNIT_EXPECT_EQ(test, knhk_task_used_len(&p), sizeof(p));
}

/*
 * knhk_task_load() and knhk_task_copy() leave a program's unused entries
 * alone: a task loaded over, and copied onto, garbage runs as a clean one
 * does, and neither writes anything past its last instruction.
 */
static void task_copy_used_part(struct kunit *test)
{
	struct knhk_task p = prog_task(8, 3);
	struct knhk_task_x *a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	struct knhk_task_x *b = kunit_kmalloc(test, sizeof(*b), GFP_KERNEL);
	struct knhk_task_x *c = kunit_kmalloc(test, sizeof(*c), GFP_KERNEL);
	struct knhk_result ra, rc;

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	p.prog[0] = insn(KNHK_OP_LDI, 1, 0, 2);
	p.prog[1] = insn(KNHK_OP_ADD, 0, 1, 0);
	p.prog[2] = insn(KNHK_OP_MIX, 0, 0, 0);
	memset(b, 0xa5, sizeof(*b));
	memset(c, 0x5a, sizeof(*c));
	KUNIT_ASSERT_EQ(test, import(a, &p, KNHK_TASK_PLAIN), 0);
	KUNIT_ASSERT_EQ(test, import(b, &p, KNHK_TASK_PLAIN), 0);
	KUNIT_EXPECT_EQ(test, b->prog[3].op, 0xa5);
	knhk_task_copy(c, b);
	knhk_task_run(a, NULL, &ra);
	knhk_task_run(c, NULL, &rc);
	KUNIT_EXPECT_EQ(test, ra.output, rc.output);
	KUNIT_EXPECT_EQ(test, ra.status, rc.status);
	KUNIT_EXPECT_EQ(test, ra.ticks, rc.ticks);
	KUNIT_EXPECT_EQ(test, c->prog[3].op, 0x5a);
	KUNIT_EXPECT_EQ(test, c->prog[KNHK_MAX_INSNS - 1].imm,
			0x5a5a5a5a5a5a5a5aULL);
}

static struct kunit_case knhk_task_cases[] = {
	KUNIT_CASE(task_guards_hold),
	KUNIT_CASE(task_copy_used_part),
	KUNIT_CASE(task_mix64_known_answer),
	KUNIT_CASE(task_pure_runs_one_tick),
	KUNIT_CASE(task_every_opcode),
	KUNIT_CASE(task_lane_state_load_store),
	KUNIT_CASE(task_shared_state_ordered_only),
	KUNIT_CASE(task_budget_edges),
	KUNIT_CASE(task_guard_failed_not_run),
	KUNIT_CASE(task_verifier_rejects),
	KUNIT_CASE(task_verifier_accepts),
	KUNIT_CASE(task_used_len),
	{}
};

static struct kunit_suite knhk_task_suite = {
	.name = "knhk_task",
	.test_cases = knhk_task_cases,
};

kunit_test_suite(knhk_task_suite);

MODULE_DESCRIPTION("KUnit tests for knhk-sched");
MODULE_LICENSE("GPL");
