// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_basic - the device's main paths: version, configure, enqueue of PURE
 * tasks, read, barrier, stats, the logical clocks, lane -> CPU mapping,
 * close with tasks in flight and independent instances.
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

TEST_F(dev, version)
{
	struct knhk_version v = { .size = sizeof(v) };

	ASSERT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_VERSION, &v));
	EXPECT_EQ(KNHK_ABI_MAJOR, v.major);
	EXPECT_EQ(KNHK_ABI_MINOR, v.minor);
	EXPECT_EQ(0, v.flags);
}

/* An unconfigured instance: 4 lanes, nothing counted yet. */
TEST_F(dev, fresh_instance_stats)
{
	struct knhk_lane_stats ls[8];
	struct knhk_stats s;
	int i;

	memset(ls, 0xa5, sizeof(ls));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, ls, 8));
	EXPECT_EQ(KNHK_DEFAULT_LANES, s.lanes);
	EXPECT_EQ(0, s.submitted);
	EXPECT_EQ(0, s.executed);
	EXPECT_EQ(0, s.completed);
	EXPECT_EQ(0, s.inflight);
	for (i = 0; i < KNHK_DEFAULT_LANES; i++) {
		EXPECT_EQ(0, ls[i].enqueued);
		EXPECT_EQ(0, ls[i].executed);
	}
}

/* PURE tasks on the default 4 lanes: output, ticks, clocks, lane, cpu. */
TEST_F(dev, pure_tasks_default_lanes)
{
	struct knhk_task t[32];
	__u64 seed = 0x5eed0001;
	unsigned int i;

	for (i = 0; i < 32; i++)
		task_pure(&t[i], i, test_rand(&seed));
	run_and_check(_metadata, self->fd, &self->m, t, 32, true);
}

/*
 * The clock rules worked by hand, independently of the model:
 * ids 0, 4, 1, 8, 5 on 4 lanes go to lanes 0, 0, 1, 0, 1 with enqueue_ts
 * 1..5; lane 0 runs at max(0,1)+1 = 2, max(2,2)+1 = 3, max(3,4)+1 = 5;
 * lane 1 at max(0,3)+1 = 4, max(4,5)+1 = 6.
 */
TEST_F(dev, clocks_by_hand)
{
	static const struct { __u64 id; __u32 lane; __u64 enq, exe; } x[] = {
		{ 0, 0, 1, 2 }, { 4, 0, 2, 3 }, { 1, 1, 3, 4 },
		{ 8, 0, 4, 5 }, { 5, 1, 5, 6 },
	};
	struct knhk_completion c[5];
	struct knhk_task t;
	unsigned int i, j;

	for (i = 0; i < 5; i++) {
		task_pure(&t, x[i].id, x[i].id * 1000);
		ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	}
	ASSERT_EQ(0, knhk_barrier(self->fd));
	ASSERT_EQ(5, knhk_read_all(self->fd, c, 5));
	for (i = 0; i < 5; i++) {
		for (j = 0; j < 5 && c[j].task_id != x[i].id; j++)
			;
		ASSERT_LT(j, 5) TH_LOG("no completion for task %llu",
				       (unsigned long long)x[i].id);
		EXPECT_EQ(x[i].lane, c[j].lane);
		EXPECT_EQ(x[i].enq, c[j].enqueue_ts);
		EXPECT_EQ(x[i].exe, c[j].execute_ts);
		EXPECT_EQ(KNHK_STATUS_OK, c[j].status);
		EXPECT_EQ(1, c[j].ticks);
		EXPECT_EQ(knhk_mix64(x[i].id * 1000), c[j].output);
	}
}

/* Many tasks on one lane: FIFO, so execute_ts follows submission order. */
TEST_F(dev, fifo_one_lane)
{
	struct knhk_task t[200];
	__u64 seed = 0x5eed0002;
	unsigned int i;

	for (i = 0; i < 200; i++)
		task_pure(&t[i], 4 * i + 3, test_rand(&seed));
	run_and_check(_metadata, self->fd, &self->m, t, 200, true);
}

TEST_F(dev, barrier_empty_instance)
{
	EXPECT_EQ(0, knhk_barrier(self->fd));
	EXPECT_EQ(0, knhk_barrier(self->fd));
}

/* After a barrier every completion is readable at once, in one read(). */
TEST_F(dev, barrier_then_everything_ready)
{
	struct knhk_completion c[100];
	struct knhk_stats s;
	struct knhk_task t;
	unsigned int i;

	for (i = 0; i < 64; i++) {
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	}
	ASSERT_EQ(0, knhk_barrier(self->fd));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(64, s.submitted);
	EXPECT_EQ(64, s.executed);
	ASSERT_EQ(0, set_nonblock(self->fd, true));
	EXPECT_EQ(64, knhk_read(self->fd, c, 100));
	EXPECT_EQ(-EAGAIN, knhk_read(self->fd, c, 100));
}

/* Configured lane counts: lane = id & (lanes-1), cpu = online[(lane + instance) % n]. */
FIXTURE(lanes) {
	int fd;
	struct knhk_model m;
};

FIXTURE_VARIANT(lanes) {
	__u32 lanes, ring, cq;
};

FIXTURE_VARIANT_ADD(lanes, l1)   { .lanes = 1,   .ring = 64, .cq = 64 };
FIXTURE_VARIANT_ADD(lanes, l2)   { .lanes = 2,   .ring = 32, .cq = 64 };
FIXTURE_VARIANT_ADD(lanes, l4)   { .lanes = 4,   .ring = 16, .cq = 64 };
FIXTURE_VARIANT_ADD(lanes, l8)   { .lanes = 8,   .ring = 8,  .cq = 64 };
FIXTURE_VARIANT_ADD(lanes, l16)  { .lanes = 16,  .ring = 4,  .cq = 64 };
FIXTURE_VARIANT_ADD(lanes, l256) { .lanes = 256, .ring = 2,  .cq = 512 };

FIXTURE_SETUP(lanes)
{
	OPEN_DEV(self->fd, 0);
	ASSERT_EQ(0, knhk_configure(self->fd, variant->lanes, variant->ring,
				    variant->cq));
	model_init(&self->m, variant->lanes);
}

FIXTURE_TEARDOWN(lanes)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(lanes, mapping_and_clocks)
{
	unsigned int n = variant->cq, i;
	struct knhk_task *t = calloc(n, sizeof(*t));
	struct knhk_lane_stats *ls = calloc(variant->lanes, sizeof(*ls));
	struct knhk_stats s;
	__u64 seed = 0x5eed0003 + variant->lanes;

	ASSERT_NE(NULL, t);
	ASSERT_NE(NULL, ls);
	/* Ids with high bits set too: only the low bits pick the lane. */
	for (i = 0; i < n; i++)
		task_pure(&t[i], (i % 3 ? (__u64)i : (__u64)i | (1ULL << 40)) +
			  (test_rand(&seed) % 4) * 1024, test_rand(&seed));
	run_and_check(_metadata, self->fd, &self->m, t, n, true);

	ASSERT_EQ(0, knhk_stats(self->fd, &s, ls, variant->lanes));
	EXPECT_EQ(variant->lanes, s.lanes);
	for (i = 0; i < variant->lanes; i++) {
		EXPECT_EQ(self->m.lane_enqueued[i], ls[i].enqueued);
		EXPECT_EQ(self->m.lane_executed[i], ls[i].executed);
	}
	free(t);
	free(ls);
}

TEST_F(dev, reconfigure_before_first_task)
{
	struct knhk_task t[16];
	struct knhk_stats s;
	unsigned int i;

	ASSERT_EQ(0, knhk_configure(self->fd, 8, 64, 512));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(8, s.lanes);
	ASSERT_EQ(0, knhk_configure(self->fd, 2, 16, 32));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(2, s.lanes);
	model_init(&self->m, 2);
	for (i = 0; i < 16; i++)
		task_pure(&t[i], i, ~(__u64)i);
	run_and_check(_metadata, self->fd, &self->m, t, 16, true);
}

TEST_F(dev, configure_after_first_task_ebusy)
{
	struct knhk_completion c;
	struct knhk_stats s;
	struct knhk_task t;

	task_pure(&t, 1, 2);
	ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	EXPECT_EQ(-EBUSY, knhk_configure(self->fd, 8, 64, 512));
	ASSERT_EQ(0, knhk_barrier(self->fd));
	ASSERT_EQ(1, knhk_read_all(self->fd, &c, 1));
	/* Still busy once everything has completed and been read. */
	EXPECT_EQ(-EBUSY, knhk_configure(self->fd, 4, 256, 1024));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(KNHK_DEFAULT_LANES, s.lanes);
	EXPECT_EQ(1, s.submitted);
}

/* The edges of every configure range are accepted. */
TEST(configure_limits_accepted)
{
	const __u32 maxl = KNHK_MAX_LANES, minr = KNHK_MIN_RING;
	const struct { __u32 lanes, ring, cq; } ok[] = {
		{ 1, minr, 1 },
		{ 1, minr, cfg_slots(1, minr) },
		{ maxl, minr, 1 },
		{ maxl, minr, cfg_slots(maxl, minr) },
		{ 1, cfg_max_ring(1), cfg_slots(1, cfg_max_ring(1)) },
		{ 2, 4, cfg_slots(2, 4) },
		{ 4, 256, cfg_slots(4, 256) },
		{ 128, cfg_max_ring(128), cfg_slots(128, cfg_max_ring(128)) },
		{ maxl, cfg_max_ring(maxl), cfg_slots(maxl, cfg_max_ring(maxl)) },
	};
	struct knhk_stats s;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ok); i++) {
		int fd;

		OPEN_DEV(fd, 0);
		EXPECT_EQ(0, knhk_configure(fd, ok[i].lanes, ok[i].ring, ok[i].cq))
			TH_LOG("lanes %u ring %u cq %u", ok[i].lanes, ok[i].ring, ok[i].cq);
		ASSERT_EQ(0, knhk_stats(fd, &s, NULL, 0));
		EXPECT_EQ(ok[i].lanes, s.lanes);
		close(fd);
	}
}

/* The cq_size limit is exact: cq tasks fit, not one more. */
TEST(configure_cq_limit_is_exact)
{
	struct knhk_completion c;
	struct knhk_task t;
	int fd, i;

	OPEN_DEV(fd, O_NONBLOCK);
	ASSERT_EQ(0, knhk_configure(fd, 2, 4, 5));
	for (i = 0; i < 5; i++) {
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(fd, &t)) TH_LOG("task %d", i);
	}
	task_pure(&t, 5, 5);
	EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	ASSERT_EQ(0, set_nonblock(fd, true));
	EXPECT_EQ(0, knhk_enqueue(fd, &t));
	close(fd);
}

TEST_F(dev, stats_counters)
{
	struct knhk_completion c[40];
	struct knhk_lane_stats ls[4];
	struct knhk_task t;
	struct knhk_stats s;
	unsigned int i;

	ASSERT_EQ(0, knhk_configure(self->fd, 4, 64, 64));
	model_init(&self->m, 4);
	/* An uneven spread: lane 0 gets the most. */
	for (i = 0; i < 40; i++) {
		struct knhk_completion w;

		task_pure(&t, i % 5 == 0 ? 4 * i : i, i);
		ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
		model_run(&self->m, &t, &w);
	}
	ASSERT_EQ(0, knhk_barrier(self->fd));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, ls, 4));
	EXPECT_EQ(4, s.lanes);
	EXPECT_EQ(40, s.submitted);
	EXPECT_EQ(40, s.executed);
	EXPECT_EQ(0, s.completed);
	EXPECT_EQ(40, s.inflight);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(self->m.lane_enqueued[i], ls[i].enqueued);
		EXPECT_EQ(self->m.lane_executed[i], ls[i].executed);
	}
	ASSERT_EQ(15, knhk_read_all(self->fd, c, 15));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(40, s.submitted);
	EXPECT_EQ(15, s.completed);
	EXPECT_EQ(25, s.inflight);
	ASSERT_EQ(25, knhk_read_all(self->fd, c, 25));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(40, s.completed);
	EXPECT_EQ(0, s.inflight);
}

/* lanes in < instance lanes: only that many entries are written. */
TEST_F(dev, stats_array_smaller_than_lanes)
{
	struct knhk_lane_stats ls[8];
	struct knhk_stats s;
	struct knhk_task t;
	unsigned int i;

	ASSERT_EQ(0, knhk_configure(self->fd, 8, 16, 128));
	for (i = 0; i < 16; i++) {
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	}
	ASSERT_EQ(0, knhk_barrier(self->fd));
	memset(ls, 0xa5, sizeof(ls));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, ls, 3));
	EXPECT_EQ(8, s.lanes);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(2, ls[i].enqueued);
		EXPECT_EQ(2, ls[i].executed);
	}
	for (i = 3; i < 8; i++) {
		EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ls[i].enqueued);
		EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ls[i].executed);
	}
}

/* lanes in > instance lanes: entries past the instance's lanes untouched. */
TEST_F(dev, stats_array_larger_than_lanes)
{
	struct knhk_lane_stats ls[16];
	struct knhk_stats s;
	struct knhk_task t;
	unsigned int i;

	for (i = 0; i < 6; i++) {
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	}
	ASSERT_EQ(0, knhk_barrier(self->fd));
	memset(ls, 0xa5, sizeof(ls));
	ASSERT_EQ(0, knhk_stats(self->fd, &s, ls, 16));
	EXPECT_EQ(KNHK_DEFAULT_LANES, s.lanes);
	/* ids 0..5 on 4 lanes: 2, 2, 1, 1 */
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(i < 2 ? 2 : 1, ls[i].enqueued);
		EXPECT_EQ(i < 2 ? 2 : 1, ls[i].executed);
	}
	for (i = 4; i < 16; i++) {
		EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ls[i].enqueued);
		EXPECT_EQ(0xa5a5a5a5a5a5a5a5ULL, ls[i].executed);
	}
}

TEST_F(dev, stats_without_array)
{
	struct knhk_stats s;

	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(KNHK_DEFAULT_LANES, s.lanes);
}

/* Larger structs whose extra bytes are zero are accepted by every ioctl. */
TEST_F(dev, larger_structs_zero_tail)
{
	union {
		struct knhk_version v;
		struct knhk_config c;
		struct knhk_enqueue e;
		struct knhk_barrier b;
		struct knhk_stats s;
		char raw[sizeof(struct knhk_enqueue) + 64];
	} u;
	struct knhk_completion c;
	struct knhk_stats s;

	memset(&u, 0, sizeof(u));
	u.v.size = sizeof(u.v) + 16;
	ASSERT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_VERSION, &u));
	EXPECT_EQ(KNHK_ABI_MAJOR, u.v.major);
	EXPECT_EQ(KNHK_ABI_MINOR, u.v.minor);

	memset(&u, 0, sizeof(u));
	u.c.size = sizeof(u.c) + 8;
	u.c.lanes = 2;
	u.c.ring_size = 8;
	u.c.cq_size = 16;
	EXPECT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_CONFIGURE, &u));

	memset(&u, 0, sizeof(u));
	u.e.size = sizeof(u.e) + 64;
	task_pure(&u.e.task, 7, 77);
	EXPECT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_ENQUEUE, &u));

	memset(&u, 0, sizeof(u));
	u.b.size = sizeof(u.b) + 8;
	EXPECT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_BARRIER, &u));

	memset(&u, 0, sizeof(u));
	u.s.size = sizeof(u.s) + 32;
	EXPECT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_STATS, &u));
	EXPECT_EQ(2, u.s.lanes);	/* the configure above took effect */
	EXPECT_EQ(1, u.s.submitted);

	ASSERT_EQ(0, knhk_stats(self->fd, &s, NULL, 0));
	EXPECT_EQ(2, s.lanes);
	ASSERT_EQ(1, knhk_read_all(self->fd, &c, 1));
	EXPECT_EQ(7, c.task_id);
	EXPECT_EQ(1, c.lane);
	EXPECT_EQ(knhk_mix64(77), c.output);
}

/* The first version of each struct (its smallest size) is accepted. */
TEST_F(dev, first_version_sizes)
{
	struct knhk_version v = { .size = KNHK_VERSION_SIZE_VER0 };
	struct knhk_config c = {
		.size = KNHK_CONFIG_SIZE_VER0, .lanes = 2, .ring_size = 8, .cq_size = 16,
	};
	struct knhk_enqueue e = { .size = KNHK_ENQUEUE_SIZE_VER0 };
	struct knhk_barrier b = { .size = KNHK_BARRIER_SIZE_VER0 };
	struct knhk_stats s = { .size = KNHK_STATS_SIZE_VER0 };
	struct knhk_completion done;

	ASSERT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_VERSION, &v));
	EXPECT_EQ(KNHK_ABI_MAJOR, v.major);
	ASSERT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_CONFIGURE, &c));
	task_pure(&e.task, 5, 55);
	ASSERT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_ENQUEUE, &e));
	ASSERT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_BARRIER, &b));
	ASSERT_EQ(0, knhk_ioctl(self->fd, KNHK_IOC_STATS, &s));
	EXPECT_EQ(2, s.lanes);
	EXPECT_EQ(1, s.submitted);
	EXPECT_EQ(1, s.executed);
	ASSERT_EQ(1, knhk_read_all(self->fd, &done, 1));
	EXPECT_EQ(1, done.lane);
	EXPECT_EQ(knhk_mix64(55), done.output);
}

/* Two fds are two instances: own config, own clocks, own counters. */
TEST(two_instances_independent)
{
	struct knhk_model ma, mb;
	struct knhk_task ta[24], tb[24];
	struct knhk_stats sa, sb;
	unsigned int i;
	int a, b;

	OPEN_DEV(a, 0);
	OPEN_DEV(b, 0);
	ASSERT_EQ(0, knhk_configure(a, 2, 64, 128));
	ASSERT_EQ(0, knhk_configure(b, 8, 16, 128));
	model_init(&ma, 2);
	model_init(&mb, 8);
	for (i = 0; i < 24; i++) {
		task_pure(&ta[i], i, 1000 + i);
		task_pure(&tb[i], 23 - i, 2000 + i);
	}
	/* Interleave work on both; each must see its own clock from 1. */
	for (i = 0; i < 3; i++) {
		run_and_check(_metadata, a, &ma, ta + 8 * i, 8, true);
		run_and_check(_metadata, b, &mb, tb + 8 * i, 8, true);
	}
	ASSERT_EQ(0, knhk_stats(a, &sa, NULL, 0));
	ASSERT_EQ(0, knhk_stats(b, &sb, NULL, 0));
	EXPECT_EQ(2, sa.lanes);
	EXPECT_EQ(8, sb.lanes);
	EXPECT_EQ(24, sa.submitted);
	EXPECT_EQ(24, sb.submitted);
	EXPECT_EQ(24, sa.completed);
	/* Configuring one does not reach the other. */
	EXPECT_EQ(-EBUSY, knhk_configure(a, 4, 64, 128));
	close(a);
	ASSERT_EQ(0, knhk_stats(b, &sb, NULL, 0));
	EXPECT_EQ(8, sb.lanes);
	close(b);
}

/*
 * close() with tasks queued, running and unread must be fine; a new
 * instance afterwards starts from scratch.
 */
TEST(close_with_tasks_in_flight)
{
	struct knhk_model m;
	struct knhk_task t[8];
	unsigned int round, i;
	int fd;

	for (round = 0; round < 6; round++) {
		OPEN_DEV(fd, 0);
		ASSERT_EQ(0, knhk_configure(fd, 1 << (round % 4), 256, 256));
		for (i = 0; i < 256; i++) {
			struct knhk_task x;

			task_prog(&x, i, i, 8);
			task_insn(&x, KNHK_OP_MIX, 0, 0, 0);
			task_insn(&x, KNHK_OP_STL, 0, 0, i % KNHK_LANE_SLOTS);
			task_insn(&x, KNHK_OP_MUL, 0, 0, 0);
			ASSERT_EQ(0, knhk_enqueue(fd, &x));
		}
		if (round & 1)
			ASSERT_EQ(0, knhk_barrier(fd));
		close(fd);
	}
	OPEN_DEV(fd, 0);
	model_init(&m, KNHK_DEFAULT_LANES);
	for (i = 0; i < 8; i++)
		task_pure(&t[i], i, i * 3);
	run_and_check(_metadata, fd, &m, t, 8, true);
	close(fd);
}

TEST_HARNESS_MAIN
