// SPDX-License-Identifier: GPL-2.0
/*
 * ring_test.c - KUnit tests of the staged lock-free ring
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/kthread.h>
#include <linux/slab.h>

#include <knhk/ring.h>

/* Producer side of a test: put @v in the next slot of stage 0. */
static bool ring_push(struct knhk_ring *r, u64 *slots, u64 v)
{
	if (!knhk_ring_ready(r, 0))
		return false;
	slots[knhk_ring_slot(r, 0, 0)] = v;
	knhk_ring_advance(r, 0, 1);
	return true;
}

/* Pass the next slot of stage @s on, returning its value in @v. */
static bool ring_pass(struct knhk_ring *r, unsigned int s, u64 *slots, u64 *v)
{
	if (!knhk_ring_ready(r, s))
		return false;
	*v = slots[knhk_ring_slot(r, s, 0)];
	knhk_ring_advance(r, s, 1);
	return true;
}

static void ring_fifo_order(struct kunit *test)
{
	struct knhk_ring r;
	u64 slots[8], v;
	int i;

	knhk_ring_init(&r, 8, 2, 0);
	for (i = 0; i < 5; i++)
		KUNIT_ASSERT_TRUE(test, ring_push(&r, slots, 100 + i));
	for (i = 0; i < 5; i++) {
		KUNIT_ASSERT_TRUE(test, ring_pass(&r, 1, slots, &v));
		KUNIT_EXPECT_EQ(test, v, 100 + i);
	}
	KUNIT_EXPECT_FALSE(test, ring_pass(&r, 1, slots, &v));
}

static void ring_empty_full(struct kunit *test)
{
	struct knhk_ring r;
	u64 slots[4], v;
	int i;

	knhk_ring_init(&r, 4, 2, 0);
	KUNIT_EXPECT_EQ(test, knhk_ring_ready(&r, 1), 0);
	KUNIT_EXPECT_EQ(test, knhk_ring_ready(&r, 0), 4);
	KUNIT_EXPECT_EQ(test, knhk_ring_pending(&r, 0), 0);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_TRUE(test, ring_push(&r, slots, i));
	KUNIT_EXPECT_FALSE(test, ring_push(&r, slots, 99));
	KUNIT_EXPECT_EQ(test, knhk_ring_pending(&r, 0), 4);
	KUNIT_EXPECT_EQ(test, knhk_ring_ready(&r, 1), 4);

	/* Freeing one slot makes room for exactly one more. */
	KUNIT_ASSERT_TRUE(test, ring_pass(&r, 1, slots, &v));
	KUNIT_EXPECT_EQ(test, v, 0);
	KUNIT_EXPECT_TRUE(test, ring_push(&r, slots, 4));
	KUNIT_EXPECT_FALSE(test, ring_push(&r, slots, 99));
	for (i = 1; i <= 4; i++) {
		KUNIT_ASSERT_TRUE(test, ring_pass(&r, 1, slots, &v));
		KUNIT_EXPECT_EQ(test, v, i);
	}
	KUNIT_EXPECT_EQ(test, knhk_ring_pending(&r, 0), 0);
}

/* Cursors start just below U32_MAX, so they wrap during the test. */
static void ring_wraparound(struct kunit *test)
{
	struct knhk_ring r;
	u64 slots[4], v, next = 0, expect = 0;
	int round;

	knhk_ring_init(&r, 4, 2, U32_MAX - 5);
	for (round = 0; round < 6; round++) {
		while (ring_push(&r, slots, next))
			next++;
		KUNIT_ASSERT_EQ(test, knhk_ring_pending(&r, 0), 4);
		/* Drain unevenly so the index moves across the wrap. */
		for (int i = 0; i < 3; i++) {
			KUNIT_ASSERT_TRUE(test, ring_pass(&r, 1, slots, &v));
			KUNIT_ASSERT_EQ(test, v, expect++);
		}
	}
	while (ring_pass(&r, 1, slots, &v))
		KUNIT_ASSERT_EQ(test, v, expect++);
	KUNIT_EXPECT_EQ(test, expect, next);
	KUNIT_EXPECT_LT(test, r.cur[0].pos, (u32)(U32_MAX - 5));
}

/*
 * With three stages a slot is free only once the last stage is done with
 * it, and a stage never overtakes the one before it.
 */
static void ring_capacity_stages(struct kunit *test)
{
	struct knhk_ring r;
	u64 slots[4], v;
	int i;

	knhk_ring_init(&r, 4, 3, 0);
	KUNIT_EXPECT_EQ(test, knhk_ring_ready(&r, 2), 0);
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_TRUE(test, ring_push(&r, slots, i));
	/* The middle stage finishes everything: still no room. */
	for (i = 0; i < 4; i++)
		KUNIT_ASSERT_TRUE(test, ring_pass(&r, 1, slots, &v));
	KUNIT_EXPECT_EQ(test, knhk_ring_ready(&r, 0), 0);
	KUNIT_EXPECT_EQ(test, knhk_ring_pending(&r, 1), 0);
	KUNIT_EXPECT_EQ(test, knhk_ring_pending(&r, 2), 4);

	/* The last stage frees two. */
	for (i = 0; i < 2; i++) {
		KUNIT_ASSERT_TRUE(test, ring_pass(&r, 2, slots, &v));
		KUNIT_EXPECT_EQ(test, v, i);
	}
	KUNIT_EXPECT_EQ(test, knhk_ring_ready(&r, 0), 2);
	KUNIT_ASSERT_TRUE(test, ring_push(&r, slots, 4));
	/* Stage 2 cannot pass stage 1: slot 4 is not run yet. */
	for (i = 2; i < 4; i++)
		KUNIT_ASSERT_TRUE(test, ring_pass(&r, 2, slots, &v));
	KUNIT_EXPECT_FALSE(test, ring_pass(&r, 2, slots, &v));
	KUNIT_ASSERT_TRUE(test, ring_pass(&r, 1, slots, &v));
	KUNIT_EXPECT_EQ(test, v, 4);
	KUNIT_ASSERT_TRUE(test, ring_pass(&r, 2, slots, &v));
	KUNIT_EXPECT_EQ(test, v, 4);
}

#define STRESS_ITEMS	200000
#define STRESS_SIZE	16	/* small, so full and empty happen often */

struct ring_stress;

struct ring_stage {
	struct ring_stress *st;
	unsigned int s;
	struct completion done;
	u64 errors;
};

struct ring_stress {
	struct knhk_ring r;
	u64 slots[STRESS_SIZE];
	struct ring_stage stage[KNHK_RING_MAX_STAGES];
};

/*
 * One stage of the stress test, on its own CPU. Stage 0 writes 1, 2, 3...;
 * every later stage checks it sees exactly that sequence and adds nothing.
 */
static int ring_stress_fn(void *arg)
{
	struct ring_stage *stage = arg;
	struct ring_stress *st = stage->st;
	unsigned int s = stage->s;
	u64 n = 0;

	while (n < STRESS_ITEMS) {
		u32 i, k = knhk_ring_ready(&st->r, s);

		if (!k) {
			cpu_relax();
			continue;
		}
		for (i = 0; i < k && n < STRESS_ITEMS; i++) {
			u64 *slot = &st->slots[knhk_ring_slot(&st->r, s, i)];

			n++;
			if (s == 0) {
				*slot = n;
				continue;
			}
			if (READ_ONCE(*slot) != n)
				stage->errors++;
		}
		knhk_ring_advance(&st->r, s, i);
	}
	complete(&stage->done);
	return 0;
}

static void ring_stress(struct kunit *test, unsigned int nstages)
{
	struct task_struct *threads[KNHK_RING_MAX_STAGES];
	struct ring_stress *st;
	unsigned int s, cpu = -1;

	if (num_online_cpus() < nstages)
		kunit_skip(test, "needs %u online CPUs", nstages);
	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, st);
	knhk_ring_init(&st->r, STRESS_SIZE, nstages, U32_MAX - 1000);

	/* Create every stage before starting any, so none can be orphaned. */
	for (s = 0; s < nstages; s++) {
		struct ring_stage *stage = &st->stage[s];

		stage->st = st;
		stage->s = s;
		init_completion(&stage->done);
		threads[s] = kthread_create(ring_stress_fn, stage,
					    "knhk_ring_stress/%u", s);
		if (IS_ERR(threads[s])) {
			while (s--)
				kthread_stop(threads[s]);
			KUNIT_FAIL(test, "kthread_create failed");
			return;
		}
		cpu = cpumask_next(cpu, cpu_online_mask);
		kthread_bind(threads[s], cpu);
	}
	for (s = 0; s < nstages; s++)
		wake_up_process(threads[s]);
	for (s = 0; s < nstages; s++) {
		wait_for_completion(&st->stage[s].done);
		KUNIT_EXPECT_EQ(test, st->stage[s].errors, 0);
	}
	KUNIT_EXPECT_EQ(test, st->r.cur[nstages - 1].pos,
			(u32)(U32_MAX - 1000 + STRESS_ITEMS));
}

static void ring_stress_two_cpus(struct kunit *test)
{
	ring_stress(test, 2);
}

static void ring_stress_three_stages(struct kunit *test)
{
	ring_stress(test, 3);
}

static struct kunit_case knhk_ring_cases[] = {
	KUNIT_CASE(ring_fifo_order),
	KUNIT_CASE(ring_empty_full),
	KUNIT_CASE(ring_wraparound),
	KUNIT_CASE(ring_capacity_stages),
	KUNIT_CASE(ring_stress_two_cpus),
	KUNIT_CASE(ring_stress_three_stages),
	{}
};

static struct kunit_suite knhk_ring_suite = {
	.name = "knhk_ring",
	.test_cases = knhk_ring_cases,
};

kunit_test_suite(knhk_ring_suite);
