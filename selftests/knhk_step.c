// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_step - step mode (KNHK_CONFIG_STEP_MODE, the seed's run_cycle): lanes
 * run only through KNHK_IOC_RUN_CYCLE, one head task at a time in FIFO
 * order, and the completion comes back in the ioctl, not through read().
 */
#include "kselftest_harness.h"
#include "knhk_core.h"

FIXTURE(step) {
	int fd;
	struct core_model *m;
	bool *seen;
};

FIXTURE_SETUP(step)
{
	OPEN_DEV(self->fd, 0);
	ASSERT_EQ(0, core_config(self->fd, KNHK_CONFIG_STEP_MODE, 4, 16, 64));
	self->m = cm_new(4, 256);
	self->seen = calloc(256, sizeof(*self->seen));
	ASSERT_NE(NULL, self->m);
	ASSERT_NE(NULL, self->seen);
}

FIXTURE_TEARDOWN(step)
{
	free(self->seen);
	cm_free(self->m);
	if (self->fd >= 0)
		close(self->fd);
}

/* Nothing runs by itself: no completion, nothing executed. */
TEST_F(step, tasks_wait_for_run_cycle)
{
	struct knhk_lane_stats ls[4];
	struct knhk_stats st;
	struct knhk_task t[8];
	int i;

	for (i = 0; i < 8; i++)
		task_pure(&t[i], i, i);
	ASSERT_EQ(0, core_submit(self->fd, t, 8, NULL));
	usleep(200000);
	EXPECT_EQ(0, core_read_empty(self->fd));
	ASSERT_EQ(0, knhk_stats(self->fd, &st, ls, 4));
	EXPECT_EQ(8, st.submitted);
	EXPECT_EQ(0, st.executed);
	EXPECT_EQ(0, st.completed);
	EXPECT_EQ(8, st.inflight);
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(2, ls[i].enqueued);
		EXPECT_EQ(0, ls[i].executed);
	}
}

/*
 * Each run-cycle returns its lane's head task, FIFO, with every field the
 * model predicts, whatever order the lanes are stepped in; then ENODATA.
 * Tasks use lane state, so running out of order would show.
 */
TEST_F(step, run_cycle_fifo)
{
	struct knhk_completion c;
	struct knhk_task t[40];
	__u64 s = 0x57e9;
	size_t next[4] = { 0 };
	int i, l, k;

	for (i = 0; i < 40; i++)
		core_gen_task(&t[i], i * 7, false, false, &s);
	ASSERT_EQ(0, core_submit(self->fd, t, 20, NULL));
	cm_submit(self->m, t, 20);
	ASSERT_EQ(0, core_submit(self->fd, t + 20, 20, NULL));
	cm_submit(self->m, t + 20, 20);

	/* Lanes in the order 3, 1, 2, 0, one or two steps at a time. */
	for (k = 0; k < 40; k++) {
		static const int lane_order[4] = { 3, 1, 2, 0 };
		size_t j;
		int r;

		l = lane_order[k % 4];
		r = core_run_cycle(self->fd, l, &c);
		/* The model's next task of lane l, in acceptance order. */
		for (j = next[l]; j < self->m->ntasks; j++)
			if (self->m->tasks[j].want.lane == (__u32)l)
				break;
		if (j == self->m->ntasks) {
			EXPECT_EQ(-ENODATA, r) TH_LOG("lane %d", l);
			continue;
		}
		ASSERT_EQ(0, r) TH_LOG("lane %d", l);
		EXPECT_EQ(self->m->tasks[j].want.task_id, c.task_id);
		CM_EXPECT_MATCH(self->m, &c, self->seen);
		next[l] = j + 1;
	}
	/* Drain what is left, lane by lane, then every lane is empty. */
	for (l = 0; l < 4; l++) {
		while (core_run_cycle(self->fd, l, &c) == 0)
			CM_EXPECT_MATCH(self->m, &c, self->seen);
		EXPECT_EQ(-ENODATA, core_run_cycle(self->fd, l, &c));
	}
	for (i = 0; i < 40; i++)
		EXPECT_TRUE(self->seen[i]);
	EXPECT_EQ(0, core_read_empty(self->fd));
}

/* ENODATA on a lane with nothing waiting, started or not. */
TEST_F(step, enodata_on_empty_lane)
{
	struct knhk_completion c;
	struct knhk_task t;

	EXPECT_EQ(-ENODATA, core_run_cycle(self->fd, 0, &c));
	task_pure(&t, 1, 0x77);
	ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	EXPECT_EQ(-ENODATA, core_run_cycle(self->fd, 0, &c));
	EXPECT_EQ(-ENODATA, core_run_cycle(self->fd, 2, &c));
	ASSERT_EQ(0, core_run_cycle(self->fd, 1, &c));
	EXPECT_EQ(1, c.task_id);
	EXPECT_EQ(1, c.lane);
	EXPECT_EQ(knhk_mix64(0x77), c.output);
	EXPECT_EQ(1, c.enqueue_ts);
	EXPECT_EQ(2, c.execute_ts);
	EXPECT_EQ(0, c.flags);
	EXPECT_EQ(-ENODATA, core_run_cycle(self->fd, 1, &c));
}

/*
 * Run-cycle needs step mode; barrier in step mode waits for nothing (its
 * lanes run only when asked to).
 */
TEST(step_mode_only_calls)
{
	struct knhk_completion c;
	struct knhk_task t;
	int fd = open_dev(_metadata, 0);

	EXPECT_EQ(-EINVAL, core_run_cycle(fd, 0, &c));
	task_pure(&t, 0, 0);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	EXPECT_EQ(-EINVAL, core_run_cycle(fd, 0, &c));
	ASSERT_EQ(0, knhk_barrier(fd));
	close(fd);

	fd = open_dev(_metadata, 0);
	ASSERT_EQ(0, core_config(fd, KNHK_CONFIG_STEP_MODE, 2, 16, 32));
	EXPECT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	EXPECT_EQ(0, knhk_barrier(fd));
	EXPECT_EQ(-EINVAL, core_run_cycle(fd, 2, &c));
	ASSERT_EQ(0, core_run_cycle(fd, 0, &c));
	close(fd);
}

/* A run-cycle takes the completion: it frees in-flight room. */
TEST(run_cycle_frees_room)
{
	struct knhk_completion c;
	struct knhk_stats st;
	struct knhk_task t;
	int fd = open_dev(_metadata, O_NONBLOCK);

	ASSERT_EQ(0, core_config(fd, KNHK_CONFIG_STEP_MODE, 2, 16, 2));
	task_pure(&t, 0, 0);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	t.task_id = 1;
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	t.task_id = 2;
	EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, core_run_cycle(fd, 1, &c));
	EXPECT_EQ(1, c.task_id);
	EXPECT_EQ(0, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, knhk_stats(fd, &st, NULL, 0));
	EXPECT_EQ(3, st.submitted);
	EXPECT_EQ(1, st.executed);
	EXPECT_EQ(1, st.completed);
	EXPECT_EQ(2, st.inflight);
	close(fd);
}

/*
 * Ordered tasks do not belong to a lane's worker: a release runs them in
 * step mode too, and their completions are read() as usual.
 */
TEST_F(step, ordered_tasks_released)
{
	struct knhk_ordered_task ot[3];
	struct knhk_completion c[3];
	struct knhk_task t;
	__u32 rel, i;

	task_pure(&t, 2, 2);
	ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	cm_submit(self->m, &t, 1);
	for (i = 0; i < 3; i++)
		otask_pure(&ot[i], 9 - i, 0x10 + i, i);
	ASSERT_EQ(0, core_submit_ordered(self->fd, ot, 3, NULL));
	cm_submit_ordered(self->m, ot, 3);
	ASSERT_EQ(0, core_release(self->fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(3, rel);
	EXPECT_EQ(3, cm_release(self->m, true, 0));
	ASSERT_EQ(3, knhk_read_all(self->fd, c, 3));
	for (i = 0; i < 3; i++)
		CM_EXPECT_MATCH(self->m, &c[i], self->seen);
	/* The plain task still waits for its run-cycle. */
	EXPECT_EQ(0, core_read_empty(self->fd));
	ASSERT_EQ(0, core_run_cycle(self->fd, 2, c));
	CM_EXPECT_MATCH(self->m, &c[0], self->seen);
}

/*
 * Two step-mode instances fed the same tasks and stepped in different lane
 * orders give the same completions and the same digest.
 */
TEST(step_order_does_not_matter)
{
	struct knhk_digest d[2];
	struct knhk_task t[32];
	struct core_model *m = cm_new(4, 64);
	bool *seen[2];
	__u64 s = 0xd16;
	int fd[2], k, i, l;

	ASSERT_NE(NULL, m);
	for (i = 0; i < 32; i++)
		core_gen_task(&t[i], i * 3, false, false, &s);
	cm_submit(m, t, 32);
	for (k = 0; k < 2; k++) {
		struct knhk_completion c;

		seen[k] = calloc(32, sizeof(bool));
		ASSERT_NE(NULL, seen[k]);
		fd[k] = open_dev(_metadata, 0);
		ASSERT_EQ(0, core_config(fd[k], KNHK_CONFIG_STEP_MODE, 4, 16, 64));
		ASSERT_EQ(0, core_submit(fd[k], t, 32, NULL));
		if (k == 0) {
			/* lane by lane */
			for (l = 0; l < 4; l++)
				while (core_run_cycle(fd[k], l, &c) == 0)
					CM_EXPECT_MATCH(m, &c, seen[k]);
		} else {
			/* round robin, from the last lane down */
			bool any = true;

			while (any) {
				any = false;
				for (l = 3; l >= 0; l--)
					if (core_run_cycle(fd[k], l, &c) == 0) {
						CM_EXPECT_MATCH(m, &c, seen[k]);
						any = true;
					}
			}
		}
		for (i = 0; i < 32; i++)
			EXPECT_TRUE(seen[k][i]);
		ASSERT_EQ(0, core_digest(fd[k], &d[k]));
		EXPECT_EQ(m->events, d[k].events);
		EXPECT_EQ(m->checksum, d[k].checksum);
	}
	EXPECT_EQ(d[0].digest, d[1].digest);
	for (k = 0; k < 2; k++) {
		close(fd[k]);
		free(seen[k]);
	}
	cm_free(m);
}

/*
 * In step mode only run-cycle makes room, and it needs the submit path, so
 * a submission that would wait fails with EAGAIN at once (no O_NONBLOCK),
 * accepts nothing, and goes through after a run-cycle.
 */
TEST(full_step_mode_enqueue_is_eagain)
{
	struct knhk_run_cycle rc = { .size = sizeof(rc), .lane = 1 };
	struct knhk_stats st = { .size = sizeof(st) };
	struct knhk_task t;
	int fd = open_dev(_metadata, 0);

	ASSERT_EQ(0, core_config(fd, KNHK_CONFIG_STEP_MODE, 2, 16, 1));
	task_pure(&t, 1, 1);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	t.task_id = 3;
	EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, knhk_ioctl(fd, KNHK_IOC_STATS, &st));
	EXPECT_EQ(1, st.submitted);
	ASSERT_EQ(0, knhk_ioctl(fd, KNHK_IOC_RUN_CYCLE, &rc));
	EXPECT_EQ(1, rc.completion.task_id);
	EXPECT_EQ(0, knhk_enqueue(fd, &t));
	close(fd);
}

TEST_HARNESS_MAIN
