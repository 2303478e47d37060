// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_program - what tasks compute: the PURE mix, the register machine,
 * tick budgets, lane state and guards.
 */
#include "kselftest_harness.h"
#include "knhk_test.h"

FIXTURE(dev) {
	int fd;
	struct knhk_model m;
};

FIXTURE_SETUP(dev)
{
	OPEN_DEV(self->fd, 0);
	model_init(&self->m, KNHK_DEFAULT_LANES);
}

FIXTURE_TEARDOWN(dev)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Run one task, return its completion (blocking read after a barrier). */
static void run_one(struct __test_metadata *_metadata, int fd,
		    const struct knhk_task *t, struct knhk_completion *c)
{
	ASSERT_EQ(0, knhk_enqueue(fd, t));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(1, knhk_read_all(fd, c, 1));
	ASSERT_EQ(t->task_id, c->task_id);
}

/*
 * The test's own knhk_mix64() against a value known independently: the
 * first output of splitmix64 seeded with 0 is mix64(golden gamma).
 */
TEST(mix64_reference)
{
	EXPECT_EQ(0xe220a8397b1dcdafULL, knhk_mix64(0x9e3779b97f4a7c15ULL));
	EXPECT_EQ(0, knhk_mix64(0));
}

TEST_F(dev, pure_output)
{
	static const __u64 v[] = {
		0, 1, 0x9e3779b97f4a7c15ULL, ~0ULL, 0x8000000000000000ULL, 42,
	};
	struct knhk_completion c;
	struct knhk_task t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		task_pure(&t, i, v[i]);
		t.budget = 1 + i % KNHK_MAX_BUDGET;	/* any budget: 1 tick */
		t.priority = i % 3;
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(knhk_mix64(v[i]), c.output);
		EXPECT_EQ(KNHK_STATUS_OK, c.status);
		EXPECT_EQ(1, c.ticks);
		EXPECT_EQ(i + 1, c.enqueue_ts);
	}
	/* The splitmix64 value, computed from its definition, not the helper. */
	task_pure(&t, 100, 0x9e3779b97f4a7c15ULL);
	run_one(_metadata, self->fd, &t, &c);
	EXPECT_EQ(0xe220a8397b1dcdafULL, c.output);
}

/* Each opcode once, expected values worked out by hand from the header. */
TEST_F(dev, each_opcode)
{
	const __u64 p = 0x0123456789abcdefULL;
	struct {
		const char *what;
		struct knhk_insn in[3];
		unsigned int n;
		__u64 want;
	} x[] = {
		{ "ldi", { { KNHK_OP_LDI, 0, 0, 0, 42 } }, 1, 42 },
		{ "add", { { KNHK_OP_LDI, 1, 0, 0, 5 }, { KNHK_OP_ADD, 0, 1, 0, 0 } }, 2, p + 5 },
		{ "sub", { { KNHK_OP_LDI, 2, 0, 0, 7 }, { KNHK_OP_SUB, 0, 2, 0, 0 } }, 2, p - 7 },
		{ "sub wraps", { { KNHK_OP_LDI, 0, 0, 0, 1 }, { KNHK_OP_LDI, 3, 0, 0, 2 },
				 { KNHK_OP_SUB, 0, 3, 0, 0 } }, 3, ~0ULL },
		{ "xor", { { KNHK_OP_LDI, 3, 0, 0, ~0ULL }, { KNHK_OP_XOR, 0, 3, 0, 0 } }, 2, ~p },
		{ "mul", { { KNHK_OP_LDI, 1, 0, 0, 3 }, { KNHK_OP_MUL, 0, 1, 0, 0 } }, 2, p * 3 },
		{ "mul self", { { KNHK_OP_MUL, 0, 0, 0, 0 } }, 1, p * p },
		{ "rol 4", { { KNHK_OP_ROL, 0, 0, 0, 4 } }, 1, 0x123456789abcdef0ULL },
		{ "rol 68 = rol 4", { { KNHK_OP_ROL, 0, 0, 0, 68 } }, 1, 0x123456789abcdef0ULL },
		{ "rol 0", { { KNHK_OP_ROL, 0, 0, 0, 0 } }, 1, p },
		{ "rol 64 = rol 0", { { KNHK_OP_ROL, 0, 0, 0, 64 } }, 1, p },
		{ "mix r1=0", { { KNHK_OP_MIX, 0, 1, 0, 0 } }, 1, knhk_mix64(p) },
		{ "mix self", { { KNHK_OP_MIX, 0, 0, 0, 0 } }, 1, 0 },
		{ "mix into r2", { { KNHK_OP_MIX, 2, 0, 0, 0 }, { KNHK_OP_LDI, 0, 0, 0, 0 },
				   { KNHK_OP_ADD, 0, 2, 0, 0 } }, 3, knhk_mix64(p) },
		{ "r1..r3 start 0", { { KNHK_OP_ADD, 0, 1, 0, 0 }, { KNHK_OP_ADD, 0, 2, 0, 0 },
				      { KNHK_OP_ADD, 0, 3, 0, 0 } }, 3, p },
		{ "output is r0 only", { { KNHK_OP_LDI, 1, 0, 0, 9 }, { KNHK_OP_LDI, 2, 0, 0, 9 },
					 { KNHK_OP_LDI, 3, 0, 0, 9 } }, 3, p },
	};
	struct knhk_completion c;
	struct knhk_task t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(x); i++) {
		task_prog(&t, i, p, KNHK_MAX_BUDGET);
		memcpy(t.prog, x[i].in, sizeof(x[i].in));
		t.ninsns = x[i].n;
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(x[i].want, c.output) TH_LOG("%s", x[i].what);
		EXPECT_EQ(KNHK_STATUS_OK, c.status) TH_LOG("%s", x[i].what);
		EXPECT_EQ(x[i].n, c.ticks) TH_LOG("%s", x[i].what);
	}
}

/* One tick per instruction: ninsns 1..8 within budget 8. */
TEST_F(dev, ticks_equal_instructions)
{
	struct knhk_completion c;
	struct knhk_task t;
	unsigned int n, i;

	for (n = 1; n <= KNHK_MAX_INSNS; n++) {
		task_prog(&t, n, n, KNHK_MAX_BUDGET);
		for (i = 0; i < n; i++)
			task_insn(&t, KNHK_OP_ADD, 0, 0, 0);	/* r0 doubles */
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(KNHK_STATUS_OK, c.status);
		EXPECT_EQ(n, c.ticks);
		EXPECT_EQ((__u64)n << n, c.output);
		/* Budget exactly the length is enough. */
		t.task_id += 100;
		t.budget = n;
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(KNHK_STATUS_OK, c.status);
		EXPECT_EQ(n, c.ticks);
		EXPECT_EQ((__u64)n << n, c.output);
	}
}

/*
 * 8 instructions, budget b < 8: stops after b, status BUDGET_EXCEEDED,
 * ticks b, output r0 at that point (r0 = 1, doubled b times).
 */
TEST_F(dev, budget_exceeded)
{
	struct knhk_completion c;
	struct knhk_task t;
	unsigned int b, i;

	for (b = 1; b < KNHK_MAX_INSNS; b++) {
		task_prog(&t, b, 1, b);
		for (i = 0; i < KNHK_MAX_INSNS; i++)
			task_insn(&t, KNHK_OP_ADD, 0, 0, 0);
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(KNHK_STATUS_BUDGET_EXCEEDED, c.status) TH_LOG("budget %u", b);
		EXPECT_EQ(b, c.ticks) TH_LOG("budget %u", b);
		EXPECT_EQ(1ULL << b, c.output) TH_LOG("budget %u", b);
	}
}

/* Instructions past the budget have no effect, stores included. */
TEST_F(dev, budget_stops_stores)
{
	struct knhk_completion c;
	struct knhk_task t;

	/* lane 1: store happens at insn 2, budget 1 -> never */
	task_prog(&t, 1, 77, 1);
	task_insn(&t, KNHK_OP_LDI, 1, 0, 5);
	task_insn(&t, KNHK_OP_STL, 0, 1, 3);
	run_one(_metadata, self->fd, &t, &c);
	EXPECT_EQ(KNHK_STATUS_BUDGET_EXCEEDED, c.status);
	EXPECT_EQ(1, c.ticks);
	EXPECT_EQ(77, c.output);

	task_prog(&t, 5, 0, 1);	/* lane 1 again */
	task_insn(&t, KNHK_OP_LDL, 0, 0, 3);
	run_one(_metadata, self->fd, &t, &c);
	EXPECT_EQ(KNHK_STATUS_OK, c.status);
	EXPECT_EQ(0, c.output);
}

/* Lane state starts at 0 in every slot of every lane. */
TEST_F(dev, lane_state_starts_zero)
{
	struct knhk_completion c;
	struct knhk_task t;
	unsigned int lane, s;

	for (lane = 0; lane < KNHK_DEFAULT_LANES; lane++) {
		for (s = 0; s < KNHK_LANE_SLOTS; s += 2) {
			task_prog(&t, lane + 4 * s, 0xdead, 2);
			task_insn(&t, KNHK_OP_LDL, 0, 0, s);
			task_insn(&t, KNHK_OP_LDL, 1, 0, s + 1);
			task_insn(&t, KNHK_OP_ADD, 0, 1, 0);
			t.budget = 3;
			run_one(_metadata, self->fd, &t, &c);
			EXPECT_EQ(0, c.output) TH_LOG("lane %u slots %u,%u", lane, s, s + 1);
		}
	}
}

/* A store is seen by later tasks of that lane only, in every slot. */
TEST_F(dev, lane_state_persists_per_lane)
{
	struct knhk_completion c;
	struct knhk_task t;
	unsigned int s;

	for (s = 0; s < KNHK_LANE_SLOTS; s++) {
		task_prog(&t, 1 + 4 * s, 0x1000 + s, 1);	/* lane 1 */
		task_insn(&t, KNHK_OP_STL, 0, 0, s);
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(KNHK_STATUS_OK, c.status);
	}
	for (s = 0; s < KNHK_LANE_SLOTS; s++) {
		task_prog(&t, 101 + 4 * s, 0, 1);		/* lane 1 */
		task_insn(&t, KNHK_OP_LDL, 0, 0, s);
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(0x1000 + s, c.output) TH_LOG("slot %u", s);
		EXPECT_EQ(1, c.lane);

		task_prog(&t, 102 + 4 * s, 0, 1);		/* lane 2 */
		task_insn(&t, KNHK_OP_LDL, 0, 0, s);
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(0, c.output) TH_LOG("slot %u seen on lane 2", s);
	}
}

/* A counter in lane state: FIFO makes it count 1, 2, 3, ... per lane. */
TEST_F(dev, lane_state_counter)
{
	struct knhk_task t[64];
	unsigned int i;

	ASSERT_EQ(0, knhk_configure(self->fd, 2, 64, 128));
	model_init(&self->m, 2);
	for (i = 0; i < 64; i++) {
		task_prog(&t[i], i, 0, 4);
		task_insn(&t[i], KNHK_OP_LDL, 0, 0, 7);
		task_insn(&t[i], KNHK_OP_LDI, 1, 0, 1);
		task_insn(&t[i], KNHK_OP_ADD, 0, 1, 0);
		task_insn(&t[i], KNHK_OP_STL, 0, 0, 7);
	}
	run_and_check(_metadata, self->fd, &self->m, t, 64, true);
	/* Cross-check the model by hand: lane 0 ran ids 0,2,..,62: 32 tasks. */
	EXPECT_EQ(32, self->m.lane_state[0][7]);
	EXPECT_EQ(32, self->m.lane_state[1][7]);
}

/* Lane state belongs to the instance. */
TEST_F(dev, lane_state_per_instance)
{
	struct knhk_completion c;
	struct knhk_task t;
	int other;

	task_prog(&t, 0, 0xabc, 1);
	task_insn(&t, KNHK_OP_STL, 0, 0, 0);
	run_one(_metadata, self->fd, &t, &c);

	OPEN_DEV(other, 0);
	task_prog(&t, 0, 0x55, 1);
	task_insn(&t, KNHK_OP_LDL, 0, 0, 0);
	run_one(_metadata, other, &t, &c);
	EXPECT_EQ(0, c.output);
	close(other);

	task_prog(&t, 4, 0x55, 1);
	task_insn(&t, KNHK_OP_LDL, 0, 0, 0);
	run_one(_metadata, self->fd, &t, &c);
	EXPECT_EQ(0xabc, c.output);
}

/*
 * No guard is set in a fresh instance, so any guarded task completes with
 * GUARD_FAILED, 0 ticks, output 0, and does not run (no store).
 */
TEST_F(dev, guards_fail_in_fresh_instance)
{
	struct knhk_completion c;
	struct knhk_task t;
	unsigned int n, i;

	for (n = 1; n <= KNHK_MAX_GUARDS; n++) {
		task_prog(&t, 4 * n, 0x77, 2);	/* lane 0 */
		task_insn(&t, KNHK_OP_LDI, 0, 0, 0x99);
		task_insn(&t, KNHK_OP_STL, 0, 0, n);
		t.nguards = n;
		for (i = 0; i < n; i++)
			t.guards[i] = (i * 331 + n) % KNHK_GUARD_IDS;
		t.guards[n - 1] = KNHK_GUARD_IDS - 1;
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(KNHK_STATUS_GUARD_FAILED, c.status) TH_LOG("nguards %u", n);
		EXPECT_EQ(0, c.ticks);
		EXPECT_EQ(0, c.output);
		EXPECT_EQ(0, c.lane);
		/* It still took a submit tick and a lane tick. */
		EXPECT_EQ(2 * n - 1, c.enqueue_ts);
		EXPECT_EQ(2 * n, c.execute_ts);

		task_prog(&t, 4 * n + 100, 0, 1);
		task_insn(&t, KNHK_OP_LDL, 0, 0, n);
		run_one(_metadata, self->fd, &t, &c);
		EXPECT_EQ(0, c.output) TH_LOG("guarded task stored into slot %u", n);
	}
	/* A guarded PURE task too. */
	task_pure(&t, 3, 3);
	t.nguards = 1;
	run_one(_metadata, self->fd, &t, &c);
	EXPECT_EQ(KNHK_STATUS_GUARD_FAILED, c.status);
	EXPECT_EQ(0, c.ticks);
	EXPECT_EQ(0, c.output);
}

/* Priority does not reorder separate enqueues on one lane. */
TEST_F(dev, priority_keeps_lane_fifo)
{
	struct knhk_task t[12];
	unsigned int i;

	for (i = 0; i < 12; i++) {
		/* state = state * 31 + id: the final values reveal the order */
		task_prog(&t[i], 4 * i, 4 * i, 5);
		task_insn(&t[i], KNHK_OP_LDL, 1, 0, 0);
		task_insn(&t[i], KNHK_OP_LDI, 2, 0, 31);
		task_insn(&t[i], KNHK_OP_MUL, 1, 2, 0);
		task_insn(&t[i], KNHK_OP_ADD, 0, 1, 0);
		task_insn(&t[i], KNHK_OP_STL, 0, 0, 0);
		t[i].priority = 2 - i % 3;
	}
	run_and_check(_metadata, self->fd, &self->m, t, 12, true);
}

/* Generated workloads, every field checked against the model. */
FIXTURE(random) {
	int fd;
	struct knhk_model m;
};

FIXTURE_VARIANT(random) {
	__u32 lanes, ring, cq, n;
	__u64 seed;
};

/*
 * Everything is submitted before anything is read, so each lane's ring must
 * hold all of its tasks (a slot is free again only once its completion is
 * read): ring >= the most tasks any lane gets.
 */
FIXTURE_VARIANT_ADD(random, l1)  { .lanes = 1,  .ring = 1024, .cq = 1024, .n = 600, .seed = 11 };
FIXTURE_VARIANT_ADD(random, l4)  { .lanes = 4,  .ring = 512,  .cq = 1024, .n = 1000, .seed = 12 };
FIXTURE_VARIANT_ADD(random, l8)  { .lanes = 8,  .ring = 512,  .cq = 2048, .n = 2000, .seed = 13 };
FIXTURE_VARIANT_ADD(random, l64) { .lanes = 64, .ring = 128,  .cq = 2048, .n = 1500, .seed = 14 };

FIXTURE_SETUP(random)
{
	OPEN_DEV(self->fd, 0);
	ASSERT_EQ(0, knhk_configure(self->fd, variant->lanes, variant->ring,
				    variant->cq));
	model_init(&self->m, variant->lanes);
}

FIXTURE_TEARDOWN(random)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(random, matches_model, 120)
{
	struct knhk_task *t = calloc(variant->n, sizeof(*t));
	__u64 seed = variant->seed;
	unsigned int i;

	ASSERT_NE(NULL, t);
	/* Unique ids, lanes picked at random (lanes <= 256 < 512). */
	for (i = 0; i < variant->n; i++)
		task_random(&t[i], ((__u64)i << 9) | (test_rand(&seed) % variant->lanes),
			    &seed);
	run_and_check(_metadata, self->fd, &self->m, t, variant->n, true);
	free(t);
}

TEST_HARNESS_MAIN
