// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_ordered - ordered tasks: the seed's second example, the ordered
 * clock, watermark releases, the (timestamp, lane, submission) order,
 * shared state and its loads, guards evaluated at submission, the ordered
 * queue's room, and what barrier and digest wait for.
 *
 * Timestamps worked out by hand in the comments follow the contract:
 * submit clock: ordered task T gets max(clock, T) + 1, anything else logged
 * gets clock + 1; ordered clock, from 0: a release logged at R sets it to
 * max(ordered_clock, R), then each task it runs ticks it.
 */
#include "kselftest_harness.h"
#include "knhk_core.h"

FIXTURE(ord) {
	int fd;
	struct core_model *m;
	bool *seen;
};

FIXTURE_SETUP(ord)
{
	OPEN_DEV(self->fd, 0);
	ASSERT_EQ(0, core_config(self->fd, 0, 4, 64, 256));
	self->m = cm_new(4, 256);
	self->seen = calloc(256, sizeof(*self->seen));
	ASSERT_NE(NULL, self->m);
	ASSERT_NE(NULL, self->seen);
}

FIXTURE_TEARDOWN(ord)
{
	free(self->seen);
	cm_free(self->m);
	if (self->fd >= 0)
		close(self->fd);
}

/* Read @n completions, return them in @c, and check them with the model. */
static void read_n(struct __test_metadata *_metadata, int fd,
		   const struct core_model *m, bool *seen,
		   struct knhk_completion *c, size_t n)
{
	size_t i;

	ASSERT_EQ((long)n, knhk_read_all(fd, c, n));
	for (i = 0; i < n; i++)
		CM_EXPECT_MATCH(m, &c[i], seen);
	EXPECT_EQ(0, core_read_empty(fd));
}

static const struct knhk_completion *by_id(const struct knhk_completion *c,
					   size_t n, __u64 id)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i].task_id == id)
			return &c[i];
	return NULL;
}

/* The enqueue_ts a plain task gets now, checked by submitting one. */
static __u64 probe_clock(struct __test_metadata *_metadata, int fd, __u64 id)
{
	struct knhk_completion c;
	struct knhk_task t;

	task_pure(&t, id, id);
	if (knhk_enqueue(fd, &t) || knhk_barrier(fd) ||
	    knhk_read_all(fd, &c, 1) != 1) {
		TH_LOG("probe task %llu failed", (unsigned long long)id);
		return 0;
	}
	return c.enqueue_ts;
}

/*
 * Seed example 2: A with timestamp 10, then B with timestamp 5. The submit
 * clock receives them: A max(0, 10) + 1 = 11, B max(11, 5) + 1 = 12. A
 * release, logged at 13, runs B first at 14, then A at 15: each after its
 * own enqueue and after the release.
 */
TEST_F(ord, seed_example_2)
{
	const struct knhk_completion *a, *b;
	struct knhk_ordered_task ot;
	struct knhk_completion c[2];
	__u32 rel;

	otask_pure(&ot, 10, 1, 0xaaaa);
	ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot));
	otask_pure(&ot, 5, 2, 0xbbbb);
	ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot));
	/* Nothing runs before the release. */
	ASSERT_EQ(0, knhk_barrier(self->fd));
	EXPECT_EQ(0, core_read_empty(self->fd));
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(2, rel);

	ASSERT_EQ(2, knhk_read_all(self->fd, c, 2));
	a = by_id(c, 2, 1);
	b = by_id(c, 2, 2);
	ASSERT_NE(NULL, a);
	ASSERT_NE(NULL, b);
	EXPECT_TRUE(a->flags & KNHK_COMPLETION_ORDERED);
	EXPECT_TRUE(b->flags & KNHK_COMPLETION_ORDERED);
	EXPECT_LT(b->execute_ts, a->execute_ts);
	EXPECT_EQ(14, b->execute_ts);
	EXPECT_EQ(15, a->execute_ts);
	EXPECT_EQ(11, a->enqueue_ts);
	EXPECT_EQ(12, b->enqueue_ts);
	EXPECT_EQ(knhk_mix64(0xaaaa), a->output);
	EXPECT_EQ(knhk_mix64(0xbbbb), b->output);
	EXPECT_EQ(1, a->lane);
	EXPECT_EQ(2, b->lane);
	EXPECT_EQ(KNHK_STATUS_OK, a->status);
	EXPECT_EQ(1, a->ticks);
	EXPECT_EQ(0, core_read_empty(self->fd));
	/* The release ticked the submit clock: 13; the probe gets 14. */
	EXPECT_EQ(14, probe_clock(_metadata, self->fd, 99));
}

/*
 * Watermarks. A(10), B(5), C(20): enqueue 11, 12, 21. Release <= 10 (22)
 * runs B at 23 and A at 24; C waits. D(3) submitted now (23) runs only in
 * a later release, although 3 < 10: release <= 10 (24) runs D at
 * max(24, 24) + 1 = 25. Release all (25) runs C at 26.
 */
TEST_F(ord, watermark_release)
{
	static const struct { __u64 id, ts, enq, exe; } x[] = {
		{ 1, 10, 11, 24 }, { 2, 5, 12, 23 }, { 3, 20, 21, 26 },
		{ 4, 3, 23, 25 },
	};
	struct knhk_ordered_task ot;
	struct knhk_completion c[4];
	__u32 rel, i;

	for (i = 0; i < 3; i++) {
		otask_pure(&ot, x[i].ts, x[i].id, x[i].id);
		ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot));
	}
	ASSERT_EQ(0, core_release(self->fd, 0, 10, &rel));
	EXPECT_EQ(2, rel);
	ASSERT_EQ(2, knhk_read_all(self->fd, c, 2));
	EXPECT_EQ(0, core_read_empty(self->fd));
	otask_pure(&ot, x[3].ts, x[3].id, x[3].id);
	ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot));
	ASSERT_EQ(0, core_release(self->fd, 0, 10, &rel));
	EXPECT_EQ(1, rel);
	ASSERT_EQ(1, knhk_read_all(self->fd, c + 2, 1));
	EXPECT_EQ(4, c[2].task_id);
	EXPECT_EQ(0, core_read_empty(self->fd));
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(1, rel);
	ASSERT_EQ(1, knhk_read_all(self->fd, c + 3, 1));
	EXPECT_EQ(3, c[3].task_id);
	for (i = 0; i < 4; i++) {
		const struct knhk_completion *g = by_id(c, 4, x[i].id);

		ASSERT_NE(NULL, g);
		EXPECT_EQ(x[i].enq, g->enqueue_ts) TH_LOG("task %u", i);
		EXPECT_EQ(x[i].exe, g->execute_ts) TH_LOG("task %u", i);
		EXPECT_EQ(KNHK_COMPLETION_ORDERED, g->flags);
	}
	/* Releases at 22, 24, 25: the probe gets 26. */
	EXPECT_EQ(26, probe_clock(_metadata, self->fd, 98));
}

/*
 * Ties: equal timestamps run by lane, then by submission. Submitted in
 * order: ids 3, 5, 2, 9, 4 at T = 7 (lanes 3, 1, 2, 1, 0) and id 7 at T = 6
 * (lane 3). Run order: 7 (T 6), then 4 (lane 0), 5 and 9 (lane 1, in
 * submission order), 2, 3; the release is logged at 14, so execute_ts 15,
 * 16, 17, 18, 19, 20.
 */
TEST_F(ord, ties_by_lane_then_submission)
{
	static const struct { __u64 id, ts, exe; } x[] = {
		{ 3, 7, 20 }, { 5, 7, 17 }, { 2, 7, 19 }, { 9, 7, 18 },
		{ 4, 7, 16 }, { 7, 6, 15 },
	};
	struct knhk_ordered_task ot;
	struct knhk_completion c[6];
	__u32 rel, i;

	for (i = 0; i < 6; i++) {
		otask_pure(&ot, x[i].ts, x[i].id, x[i].id);
		ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot));
		cm_submit_ordered(self->m, &ot, 1);
	}
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(6, rel);
	EXPECT_EQ(6, cm_release(self->m, true, 0));
	read_n(_metadata, self->fd, self->m, self->seen, c, 6);
	for (i = 0; i < 6; i++) {
		const struct knhk_completion *g = by_id(c, 6, x[i].id);

		ASSERT_NE(NULL, g);
		EXPECT_EQ(x[i].exe, g->execute_ts) TH_LOG("task %llu",
							  (unsigned long long)x[i].id);
		/* Enqueue: 8, 9, ..., 12 for T 7, then 13 for T 6. */
		EXPECT_EQ(8 + i, g->enqueue_ts);
	}
}

/*
 * Priority inside one ordered batch decides submission order, and so the
 * tie-break: three tasks at T = 50 on lane 2 with priorities low, high,
 * normal are accepted high (51), normal (52), low (53) and run in that
 * order after the release (54): at 55, 56, 57.
 */
TEST_F(ord, batch_priority_breaks_ties)
{
	static const __u32 prio[3] = {
		KNHK_PRIO_LOW, KNHK_PRIO_HIGH, KNHK_PRIO_NORMAL,
	};
	static const __u64 want[3] = { 53, 51, 52 };
	struct knhk_ordered_task ot[3];
	struct knhk_completion c[3];
	__u32 rel, i;

	for (i = 0; i < 3; i++) {
		otask_pure(&ot[i], 50, 2 + 4 * i, i);
		ot[i].task.priority = prio[i];
	}
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 3, NULL));
	cm_submit_ordered(self->m, ot, 3);
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(3, cm_release(self->m, true, 0));
	read_n(_metadata, self->fd, self->m, self->seen, c, 3);
	for (i = 0; i < 3; i++) {
		const struct knhk_completion *g = by_id(c, 3, 2 + 4 * i);

		ASSERT_NE(NULL, g);
		EXPECT_EQ(want[i], g->enqueue_ts);
		EXPECT_EQ(want[i] + 4, g->execute_ts);
	}
}

/*
 * Shared state follows the ordered chain. Each task folds its payload into
 * shared slot 0 (h = mix64(h ^ payload)) and outputs payload ^ h. Tasks are
 * submitted in a scrambled timestamp order; the chain is computed here in
 * timestamp order, independently of the model.
 */
TEST_F(ord, shared_state_in_timestamp_order)
{
	static const __u64 ts[8] = { 40, 10, 70, 20, 80, 30, 60, 50 };
	struct knhk_ordered_task ot[8];
	struct knhk_completion c[8];
	__u64 h = 0, prev = 0, prev_exe = 0;
	__u32 rel, i, k;

	for (i = 0; i < 8; i++) {
		struct knhk_task *t = &ot[i].task;

		memset(&ot[i], 0, sizeof(ot[i]));
		ot[i].timestamp = ts[i];
		task_prog(t, 0x10 + i, 0x1000 * (i + 1), 4);
		task_insn(t, KNHK_OP_LDS, 1, 0, 0);
		task_insn(t, KNHK_OP_MIX, 1, 0, 0);
		task_insn(t, KNHK_OP_STS, 0, 1, 0);
		task_insn(t, KNHK_OP_XOR, 0, 1, 0);
		t->priority = i % 3;
	}
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 8, NULL));
	cm_submit_ordered(self->m, ot, 8);
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(8, rel);
	EXPECT_EQ(8, cm_release(self->m, true, 0));
	read_n(_metadata, self->fd, self->m, self->seen, c, 8);

	for (k = 0; k < 8; k++) {
		__u64 next = ~0ULL;
		const struct knhk_completion *g;

		for (i = 0; i < 8; i++)	/* the next timestamp after prev */
			if (ts[i] > prev && ts[i] < next)
				next = ts[i];
		for (i = 0; ts[i] != next; i++)
			;
		prev = next;
		h = knhk_mix64(h ^ ot[i].task.payload);
		g = by_id(c, 8, 0x10 + i);
		ASSERT_NE(NULL, g);
		EXPECT_EQ(ot[i].task.payload ^ h, g->output)
			TH_LOG("T %llu", (unsigned long long)next);
		EXPECT_EQ(4, g->ticks);
		/* In timestamp order, one tick apart, each after its enqueue. */
		if (k)
			EXPECT_EQ(prev_exe + 1, g->execute_ts);
		EXPECT_LT(g->enqueue_ts, g->execute_ts);
		prev_exe = g->execute_ts;
	}
}

static void ot_load(struct knhk_ordered_task *ot, __u64 ts, __u64 id,
		    __u32 slot)
{
	memset(ot, 0, sizeof(*ot));
	ot->timestamp = ts;
	task_prog(&ot->task, id, 0, 1);
	task_insn(&ot->task, KNHK_OP_LDS, 0, 0, slot);
}

static void ot_store(struct knhk_ordered_task *ot, __u64 ts, __u64 id,
		     __u32 slot, __u64 val)
{
	memset(ot, 0, sizeof(*ot));
	ot->timestamp = ts;
	task_prog(&ot->task, id, val, 1);
	task_insn(&ot->task, KNHK_OP_STS, 0, 0, slot);
}

/*
 * A shared-state load lands after the releases before it and before the
 * releases after it, whenever the tasks were submitted.
 */
TEST_F(ord, load_shared_between_releases)
{
	__u64 vals[KNHK_SHARED_SLOTS], x = 0x1111, y = 0x2222, z = 0x3333;
	struct knhk_ordered_task ot[2];
	struct knhk_completion c[2];
	struct knhk_task t;
	__u32 rel, i;

	for (i = 0; i < KNHK_SHARED_SLOTS; i++)
		vals[i] = 0x5000 + i;
	ASSERT_EQ(0, core_load_shared(self->fd, 0, vals, KNHK_SHARED_SLOTS));

	/* A reads slot 5 after the load: 0x5005. */
	ot_load(&ot[0], 1, 0xa, 5);
	ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot[0]));
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	ASSERT_EQ(1, knhk_read_all(self->fd, c, 1));
	EXPECT_EQ(0x5005, c[0].output);

	/* B is submitted, then slot 5 loaded with x, then B released: x. */
	ot_load(&ot[0], 2, 0xb, 5);
	ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot[0]));
	ASSERT_EQ(0, core_load_shared(self->fd, 5, &x, 1));
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	ASSERT_EQ(1, knhk_read_all(self->fd, c, 1));
	EXPECT_EQ(x, c[0].output);

	/* C stores y in slot 5 after a load of z; D (later T) reads y. */
	ot_load(&ot[0], 4, 0xd, 5);
	ot_store(&ot[1], 3, 0xc, 5, y);
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 2, NULL));
	ASSERT_EQ(0, core_load_shared(self->fd, 5, &z, 1));
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(2, rel);
	ASSERT_EQ(2, knhk_read_all(self->fd, c, 2));
	EXPECT_EQ(y, by_id(c, 2, 0xd)->output);
	EXPECT_EQ(y, by_id(c, 2, 0xc)->output);

	/* The last slots, loaded on their own; other slots keep their values. */
	vals[0] = 0x6000;
	vals[1] = 0x6001;
	ASSERT_EQ(0, core_load_shared(self->fd, KNHK_SHARED_SLOTS - 2, vals, 2));
	ot_load(&ot[0], 5, 0xe, KNHK_SHARED_SLOTS - 1);
	ot_load(&ot[1], 5, 0xf, KNHK_SHARED_SLOTS - 3);
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 2, NULL));
	ASSERT_EQ(0, core_release(self->fd, 0, 5, &rel));
	EXPECT_EQ(2, rel);
	ASSERT_EQ(2, knhk_read_all(self->fd, c, 2));
	EXPECT_EQ(0x6001, by_id(c, 2, 0xe)->output);
	EXPECT_EQ(0x5000 + KNHK_SHARED_SLOTS - 3, by_id(c, 2, 0xf)->output);

	/* Lane state is separate: a plain task on lane 1 reads slot 5 as 0. */
	task_prog(&t, 1, 77, 1);
	task_insn(&t, KNHK_OP_LDL, 0, 0, 5);
	ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	ASSERT_EQ(0, knhk_barrier(self->fd));
	ASSERT_EQ(1, knhk_read_all(self->fd, c, 1));
	EXPECT_EQ(0, c[0].output);
	EXPECT_EQ(0, c[0].flags);
}

/*
 * Guards are evaluated at submission: a change between submission and
 * release does not matter. A failed task does not run (no store, output 0,
 * ticks 0) but still takes its place in the ordered chain.
 */
TEST_F(ord, guards_at_submission)
{
	static const __u32 g3 = 3, g4 = 4;
	struct knhk_ordered_task ot[4];
	struct knhk_completion c[4];
	__u32 rel;

	ASSERT_EQ(0, core_guards(self->fd, KNHK_GUARDS_SET, &g3, 1));
	cm_guards(self->m, true, &g3, 1);
	/* T 1: guard 3 (set) stores 0xabc in slot 9. */
	ot_store(&ot[0], 1, 0x31, 9, 0xabc);
	task_guard(&ot[0].task, 3);
	/* T 2: guard 4 (clear) would store 0xdef in slot 9. */
	ot_store(&ot[1], 2, 0x32, 9, 0xdef);
	task_guard(&ot[1].task, 4);
	task_guard(&ot[1].task, 3);
	/* T 3: reads slot 9. */
	ot_load(&ot[2], 3, 0x33, 9);
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 3, NULL));
	cm_submit_ordered(self->m, ot, 3);
	/* Flip both guards before the release. */
	ASSERT_EQ(0, core_guards(self->fd, KNHK_GUARDS_CLEAR, &g3, 1));
	cm_guards(self->m, false, &g3, 1);
	ASSERT_EQ(0, core_guards(self->fd, KNHK_GUARDS_SET, &g4, 1));
	cm_guards(self->m, true, &g4, 1);
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(3, cm_release(self->m, true, 0));
	read_n(_metadata, self->fd, self->m, self->seen, c, 3);

	EXPECT_EQ(KNHK_STATUS_OK, by_id(c, 3, 0x31)->status);
	EXPECT_EQ(KNHK_STATUS_GUARD_FAILED, by_id(c, 3, 0x32)->status);
	EXPECT_EQ(0, by_id(c, 3, 0x32)->ticks);
	EXPECT_EQ(0, by_id(c, 3, 0x32)->output);
	/* Guards 1, enqueues 2, 3, 4, guards 5, 6, release 7: 8, 9, 10. */
	EXPECT_EQ(9, by_id(c, 3, 0x32)->execute_ts);
	EXPECT_EQ(0xabc, by_id(c, 3, 0x33)->output);

	/* Now guard 3 is clear and 4 set: the same tasks swap outcomes. */
	ot[0].timestamp = 10;
	ot[1].timestamp = 11;
	ot[2].timestamp = 12;
	ot[0].task.task_id = 0x41;
	ot[1].task.task_id = 0x42;
	ot[2].task.task_id = 0x43;
	ot[1].task.nguards = 1;
	ot[1].task.guards[1] = 0;
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 3, NULL));
	cm_submit_ordered(self->m, ot, 3);
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(3, cm_release(self->m, true, 0));
	read_n(_metadata, self->fd, self->m, self->seen, c, 3);
	EXPECT_EQ(KNHK_STATUS_GUARD_FAILED, by_id(c, 3, 0x41)->status);
	EXPECT_EQ(KNHK_STATUS_OK, by_id(c, 3, 0x42)->status);
	EXPECT_EQ(0xdef, by_id(c, 3, 0x43)->output);
}

/*
 * The largest timestamp, 2^62, is accepted: enqueue_ts 2^62 + 1. The two
 * releases are logged at 2^62 + 2 and 2^62 + 3, the second runs it at
 * 2^62 + 4, and a probe gets 2^62 + 4 from the submit clock.
 */
TEST_F(ord, largest_timestamp)
{
	struct knhk_ordered_task ot;
	struct knhk_completion c;
	__u32 rel;

	otask_pure(&ot, CORE_TS_MAX, 1, 1);
	ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot));
	ASSERT_EQ(0, core_release(self->fd, 0, CORE_TS_MAX - 1, &rel));
	EXPECT_EQ(0, rel);
	ASSERT_EQ(0, core_release(self->fd, 0, CORE_TS_MAX, &rel));
	EXPECT_EQ(1, rel);
	ASSERT_EQ(1, knhk_read_all(self->fd, &c, 1));
	EXPECT_EQ(CORE_TS_MAX + 1, c.enqueue_ts);
	EXPECT_EQ(CORE_TS_MAX + 4, c.execute_ts);
	EXPECT_EQ(CORE_TS_MAX + 4, probe_clock(_metadata, self->fd, 2));
}

/*
 * A release with nothing to run is still logged (ticks the clock) and
 * reports 0; so is one whose watermark is below every waiting task.
 */
TEST_F(ord, empty_release_ticks)
{
	struct knhk_ordered_task ot;
	__u32 rel = 1;

	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(0, rel);
	otask_pure(&ot, 100, 1, 1);			/* 101 */
	ASSERT_EQ(0, core_enqueue_ordered(self->fd, &ot));
	rel = 1;
	ASSERT_EQ(0, core_release(self->fd, 0, 99, &rel));	/* 102 */
	EXPECT_EQ(0, rel);
	EXPECT_EQ(103, probe_clock(_metadata, self->fd, 3));
	EXPECT_EQ(0, core_read_empty(self->fd));
}

/*
 * Barrier and digest do not wait for ordered tasks not yet released; the
 * digest counts their TaskEnqueued events only.
 */
TEST_F(ord, unreleased_not_waited_for)
{
	struct knhk_ordered_task ot[3];
	struct knhk_completion c[8];
	struct knhk_digest d;
	struct knhk_task t[5];
	__u32 i, rel;

	for (i = 0; i < 3; i++)
		otask_pure(&ot[i], 30 - i, 0x20 + i, i);
	for (i = 0; i < 5; i++)
		task_pure(&t[i], i, i);
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 3, NULL));
	cm_submit_ordered(self->m, ot, 3);
	ASSERT_EQ(0, core_submit(self->fd, t, 5, NULL));
	cm_submit(self->m, t, 5);
	ASSERT_EQ(0, knhk_barrier(self->fd));
	ASSERT_EQ(0, core_digest(self->fd, &d));
	EXPECT_EQ(self->m->events, d.events);
	EXPECT_EQ(3 + 5 + 5, d.events);
	EXPECT_EQ(self->m->checksum, d.checksum);
	read_n(_metadata, self->fd, self->m, self->seen, c, 5);

	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(3, cm_release(self->m, true, 0));
	read_n(_metadata, self->fd, self->m, self->seen, c, 3);
	ASSERT_EQ(0, core_digest(self->fd, &d));
	EXPECT_EQ(self->m->events, d.events);
	EXPECT_EQ(self->m->checksum, d.checksum);
}

/*
 * The ordered queue holds ring_size tasks: waiting ones plus released ones
 * whose completion is unread. A batch the waiting tasks leave no room for
 * fails whole with ENOSPC; room held by unread completions is the
 * reader's to make: the call waits for it (EAGAIN here, non-blocking).
 */
TEST(ordered_queue_room)
{
	struct knhk_ordered_task ot[5];
	struct knhk_completion c[4];
	struct knhk_submit sb;
	__u32 rel, i;
	int fd = open_dev(_metadata, O_NONBLOCK);

	ASSERT_EQ(0, core_config(fd, 0, 4, 4, 20));
	for (i = 0; i < 5; i++)
		otask_pure(&ot[i], i, i, i);
	EXPECT_EQ(-ENOSPC, core_submit_ordered(fd, ot, 5, &sb));
	EXPECT_EQ(0, sb.accepted);
	EXPECT_EQ(0, core_submitted(fd));
	ASSERT_EQ(0, core_submit_ordered(fd, ot, 3, &sb));
	EXPECT_EQ(-ENOSPC, core_submit_ordered(fd, ot + 3, 2, &sb));
	EXPECT_EQ(0, sb.accepted);
	ASSERT_EQ(0, core_submit_ordered(fd, ot + 3, 1, &sb));
	EXPECT_EQ(-ENOSPC, core_enqueue_ordered(fd, &ot[4]));
	EXPECT_EQ(4, core_submitted(fd));

	/* Released but unread still takes room, until read. */
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(4, rel);
	EXPECT_EQ(-EAGAIN, core_enqueue_ordered(fd, &ot[4]));
	ASSERT_EQ(1, knhk_read_all(fd, c, 1));
	EXPECT_EQ(0, core_enqueue_ordered(fd, &ot[4]));
	EXPECT_EQ(-EAGAIN, core_enqueue_ordered(fd, &ot[0]));
	ASSERT_EQ(3, knhk_read_all(fd, c, 3));
	EXPECT_EQ(5, core_submitted(fd));
	/* Plain tasks do not use the ordered queue's room. */
	for (i = 0; i < 4; i++) {
		struct knhk_task t;

		task_pure(&t, i, i);
		EXPECT_EQ(0, knhk_enqueue(fd, &t));
	}
	close(fd);
}

/* A medium random mix of ordered and plain tasks, releases and guards. */
TEST_F(ord, random_mix_matches_model)
{
	struct knhk_ordered_task ot[16];
	struct knhk_completion c[64];
	struct knhk_task t[16];
	__u64 s = 0x0bd, base = 100, id = 0;
	size_t unread = 0, round;
	__u32 rel, i, n;

	for (round = 0; round < 12; round++) {
		__u32 g = core_guard_pool[core_below(&s, ARRAY_SIZE(core_guard_pool))];
		bool set = core_below(&s, 3);

		ASSERT_EQ(0, core_guards(self->fd, set ? KNHK_GUARDS_SET :
					 KNHK_GUARDS_CLEAR, &g, 1));
		cm_guards(self->m, set, &g, 1);
		n = 1 + core_below(&s, 12);
		for (i = 0; i < n; i++) {
			core_gen_task(&ot[i].task, id++, true, true, &s);
			ot[i].timestamp = base + core_below(&s, 40) - 20;
		}
		ASSERT_EQ(0, core_submit_ordered(self->fd, ot, n, NULL));
		cm_submit_ordered(self->m, ot, n);
		n = 1 + core_below(&s, 16);
		for (i = 0; i < n; i++)
			core_gen_task(&t[i], id++, false, true, &s);
		ASSERT_EQ(0, core_submit(self->fd, t, n, NULL));
		cm_submit(self->m, t, n);
		unread += n;
		base += 15;
		ASSERT_EQ(0, core_release(self->fd, 0, base - 10, &rel));
		EXPECT_EQ(cm_release(self->m, false, base - 10), rel);
		unread += rel;
		ASSERT_EQ(0, knhk_barrier(self->fd));
		while (unread) {
			long k = knhk_read(self->fd, c, unread < 64 ? unread : 64);

			ASSERT_LT(0, k);
			for (i = 0; i < k; i++)
				CM_EXPECT_MATCH(self->m, &c[i], self->seen);
			unread -= k;
		}
		EXPECT_EQ(0, core_read_empty(self->fd));
	}
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(cm_release(self->m, true, 0), rel);
	read_n(_metadata, self->fd, self->m, self->seen, c, rel);
	for (i = 0; i < self->m->ntasks; i++)
		EXPECT_TRUE(self->seen[i]);
}

TEST_HARNESS_MAIN
