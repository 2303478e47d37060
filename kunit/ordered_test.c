// SPDX-License-Identifier: GPL-2.0
/*
 * ordered_test.c - KUnit tests of the ordered queue's total order
 */
#include <kunit/test.h>
#include <linux/random.h>

#include "../module/ordered.c"

static struct knhk_instance *heap_instance(struct kunit *test, u32 size)
{
	struct knhk_instance *inst = kunit_kzalloc(test, sizeof(*inst),
						   GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, inst);
	inst->ring_size = size;
	KUNIT_ASSERT_EQ(test, knhk_ordered_alloc(inst), 0);
	return inst;
}

static void push(struct knhk_instance *inst, u64 ts, u64 task_id, u32 lane)
{
	struct knhk_task_x t = { .task_id = task_id };

	knhk_ordered_push(inst, &t, ts, lane);
}

/* The seed's example: stamped 10 then 5, the 5 comes out first. */
static void ordered_timestamp_first(struct kunit *test)
{
	struct knhk_instance *inst = heap_instance(test, 8);
	struct knhk_ordered_item it;

	push(inst, 10, 1, 0);
	push(inst, 5, 2, 0);
	KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, true, 0, &it));
	KUNIT_EXPECT_EQ(test, it.ts, 5);
	KUNIT_EXPECT_EQ(test, it.task.task_id, 2);
	KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, true, 0, &it));
	KUNIT_EXPECT_EQ(test, it.ts, 10);
	KUNIT_EXPECT_FALSE(test, knhk_ordered_pop(inst, true, 0, &it));
	knhk_ordered_free(inst);
}

/* Equal timestamps: lower lane first, then earlier submission. */
static void ordered_tie_breaks(struct kunit *test)
{
	struct knhk_instance *inst = heap_instance(test, 8);
	static const u64 want_ids[] = { 30, 10, 40, 20, 50 };
	struct knhk_ordered_item it;
	unsigned int i;

	push(inst, 7, 10, 2);	/* seq 0 */
	push(inst, 7, 20, 3);	/* seq 1 */
	push(inst, 7, 30, 1);	/* seq 2 */
	push(inst, 7, 40, 2);	/* seq 3: same lane as 10, later */
	push(inst, 8, 50, 0);	/* later timestamp beats lower lane */
	for (i = 0; i < ARRAY_SIZE(want_ids); i++) {
		KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, true, 0, &it));
		KUNIT_EXPECT_EQ(test, it.task.task_id, want_ids[i]);
	}
	knhk_ordered_free(inst);
}

static void ordered_watermark(struct kunit *test)
{
	struct knhk_instance *inst = heap_instance(test, 8);
	struct knhk_ordered_item it;

	push(inst, 3, 1, 0);
	push(inst, 9, 2, 0);
	push(inst, 4, 3, 0);
	KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, false, 4, &it));
	KUNIT_EXPECT_EQ(test, it.ts, 3);
	KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, false, 4, &it));
	KUNIT_EXPECT_EQ(test, it.ts, 4);
	KUNIT_EXPECT_FALSE(test, knhk_ordered_pop(inst, false, 4, &it));
	KUNIT_EXPECT_EQ(test, inst->heap_nr, 1);
	knhk_ordered_free(inst);
}

/* Many random keys come out as a sorted sequence of (ts, lane, seq). */
static void ordered_random_total_order(struct kunit *test)
{
	struct knhk_instance *inst = heap_instance(test, 512);
	struct knhk_ordered_item prev, it;
	unsigned int i;

	for (i = 0; i < 512; i++)
		push(inst, get_random_u32() % 16, i, get_random_u32() % 4);
	KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, true, 0, &prev));
	for (i = 1; i < 512; i++) {
		KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, true, 0, &it));
		KUNIT_ASSERT_TRUE(test, knhk_ordered_less(&prev, &it));
		prev = it;
	}
	KUNIT_EXPECT_EQ(test, inst->heap_nr, 0);
	knhk_ordered_free(inst);
}

/*
 * Pushes and pops interleaved at random: every pop gives the least item
 * still queued, found by a scan of a plain copy of the queue.
 */
static void ordered_interleaved_against_scan(struct kunit *test)
{
	struct knhk_instance *inst = heap_instance(test, 64);
	struct knhk_ordered_item *ref, it;
	unsigned int i, j, min, nr = 0;

	ref = kunit_kcalloc(test, 64, sizeof(*ref), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ref);
	for (i = 0; i < 4096; i++) {
		if (nr < 64 && (!nr || get_random_u32() % 3)) {
			ref[nr] = (struct knhk_ordered_item) {
				.ts = get_random_u32() % 8,
				.seq = inst->ordered_seq,
				.lane = get_random_u32() % 2,
				.task.task_id = i,
			};
			push(inst, ref[nr].ts, i, ref[nr].lane);
			nr++;
			continue;
		}
		for (min = 0, j = 1; j < nr; j++)
			if (knhk_ordered_less(&ref[j], &ref[min]))
				min = j;
		KUNIT_ASSERT_TRUE(test, knhk_ordered_pop(inst, true, 0, &it));
		KUNIT_ASSERT_EQ(test, it.task.task_id, ref[min].task.task_id);
		ref[min] = ref[--nr];
	}
	KUNIT_EXPECT_EQ(test, inst->heap_nr, nr);
	knhk_ordered_free(inst);
}

static struct kunit_case knhk_ordered_cases[] = {
	KUNIT_CASE(ordered_timestamp_first),
	KUNIT_CASE(ordered_tie_breaks),
	KUNIT_CASE(ordered_watermark),
	KUNIT_CASE(ordered_random_total_order),
	KUNIT_CASE(ordered_interleaved_against_scan),
	{}
};

static struct kunit_suite knhk_ordered_suite = {
	.name = "knhk_ordered",
	.test_cases = knhk_ordered_cases,
};

kunit_test_suite(knhk_ordered_suite);
