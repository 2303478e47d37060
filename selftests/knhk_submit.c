// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_submit - batched submission: the seed's first example, priority
 * order within a batch, all-or-nothing validation with bad_index, the
 * accepted in/out field across EAGAIN and EINTR, blocking for room, and the
 * single-task ENQUEUE ioctls as batches of one.
 *
 * Expected values come from the contract (knhk_core.h), never from a run.
 */
#include <sys/time.h>

#include "kselftest_harness.h"
#include "knhk_core.h"

/* Read @n completions (blocking) and check each with the model. */
static void read_check(struct __test_metadata *_metadata, int fd,
		       const struct core_model *m, size_t n)
{
	bool *seen = calloc(m->ntasks + 1, sizeof(*seen));

	ASSERT_NE(NULL, seen);
	EXPECT_EQ((long)n, core_read_check(_metadata, fd, m, seen, n));
	EXPECT_EQ(0, core_read_empty(fd));
	free(seen);
}

/*
 * Seed example 1: four lanes, PURE(42) as task 1 runs on lane 1 in one tick
 * with output knhk_mix64(42), accepted at submit time 1, run at
 * max(0, 1) + 1 = 2 on its lane.
 */
TEST(seed_example_1)
{
	struct knhk_completion c[2];
	struct knhk_task t;
	int fd = open_dev(_metadata, 0);

	ASSERT_EQ(0, core_config(fd, 0, 4, 256, 1024));
	task_pure(&t, 1, 42);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(1, knhk_read_all(fd, c, 1));
	EXPECT_EQ(1, c[0].task_id);
	EXPECT_EQ(1, c[0].lane);
	EXPECT_EQ(1, c[0].ticks);
	EXPECT_EQ(KNHK_STATUS_OK, c[0].status);
	/* The header's splitmix64 finalizer, spelled out once more. */
	EXPECT_EQ(knhk_mix64(42), c[0].output);
	{
		__u64 x = 42;

		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
		x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
		x ^= x >> 31;
		EXPECT_EQ(x, c[0].output);
	}
	EXPECT_EQ(1, c[0].enqueue_ts);
	EXPECT_EQ(2, c[0].execute_ts);
	EXPECT_EQ(0, c[0].flags);
	EXPECT_EQ(0, c[0].reserved);
	EXPECT_EQ(0, core_read_empty(fd));
	close(fd);
}

/* A mixed batch (PURE, programs with lane state, all priorities). */
TEST(batch_matches_model)
{
	struct knhk_lane_stats ls[8];
	struct knhk_task t[200];
	struct knhk_submit sb;
	struct knhk_stats st;
	struct core_model *m = cm_new(8, 1024);
	__u64 s = 0x5b1, id = 0;
	int fd = open_dev(_metadata, 0), b, i, l;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, core_config(fd, 0, 8, 128, 1024));
	/* Four batches of different sizes; lane state carries across them. */
	for (b = 0; b < 4; b++) {
		int n = b == 3 ? KNHK_MAX_BATCH - 100 : 1 + 33 * b;

		for (i = 0; i < n; i++)
			core_gen_task(&t[i], id++, false, false, &s);
		ASSERT_EQ(0, core_submit(fd, t, n, &sb));
		EXPECT_EQ((__u32)n, sb.accepted);
		EXPECT_EQ(KNHK_BAD_INDEX_NONE, sb.bad_index);
		cm_submit(m, t, n);
	}
	ASSERT_EQ(0, knhk_barrier(fd));
	read_check(_metadata, fd, m, m->ntasks);

	ASSERT_EQ(0, knhk_stats(fd, &st, ls, 8));
	EXPECT_EQ(m->submitted, st.submitted);
	EXPECT_EQ(m->executed, st.executed);
	EXPECT_EQ(m->ntasks, st.completed);
	EXPECT_EQ(0, st.inflight);
	for (l = 0; l < 8; l++) {
		EXPECT_EQ(m->lane_enqueued[l], ls[l].enqueued);
		EXPECT_EQ(m->lane_executed[l], ls[l].executed);
	}
	cm_free(m);
	close(fd);
}

/*
 * Priority order: entry i of a batch is accepted after every entry of a
 * higher priority and every earlier entry of its own, so its enqueue_ts is
 * 1 + that count. Sixteen lanes give each task its own lane: execute_ts is
 * enqueue_ts + 1.
 */
TEST(batch_priority_order)
{
	static const __u32 prio[12] = { 2, 1, 0, 1, 2, 0, 0, 1, 2, 2, 0, 1 };
	struct knhk_completion c[12];
	struct knhk_task t[12];
	int fd = open_dev(_metadata, 0), i, j;

	ASSERT_EQ(0, core_config(fd, 0, 16, 64, 256));
	for (i = 0; i < 12; i++) {
		task_pure(&t[i], i, 1000 + i);
		t[i].priority = prio[i];
	}
	ASSERT_EQ(0, core_submit(fd, t, 12, NULL));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(12, knhk_read_all(fd, c, 12));
	for (i = 0; i < 12; i++) {
		const struct knhk_completion *g = &c[i];
		__u64 k = g->task_id, before = 0;

		ASSERT_GT(12, k);
		for (j = 0; j < 12; j++)
			if (prio[j] < prio[k] || (prio[j] == prio[k] && j < (int)k))
				before++;
		EXPECT_EQ(before + 1, g->enqueue_ts) TH_LOG("task %llu", k);
		EXPECT_EQ(before + 2, g->execute_ts) TH_LOG("task %llu", k);
		EXPECT_EQ(knhk_mix64(1000 + k), g->output);
	}
	close(fd);
}

/*
 * Priority reorders within a batch only: on one lane, a batch runs in
 * acceptance order (high first), and a later batch's high task runs after
 * an earlier batch's low one.
 */
TEST(priority_within_batch_only)
{
	struct knhk_task t[6];
	struct core_model *m = cm_new(2, 64);
	int fd = open_dev(_metadata, 0), i;
	long first, second;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, core_config(fd, 0, 2, 64, 128));
	for (i = 0; i < 6; i++) {
		/* All on lane 0; a running counter in lane state slot 0. */
		task_prog(&t[i], 2 * i, i, 4);
		task_insn(&t[i], KNHK_OP_LDL, 1, 0, 0);
		task_insn(&t[i], KNHK_OP_LDI, 2, 0, 1);
		task_insn(&t[i], KNHK_OP_ADD, 1, 2, 0);
		task_insn(&t[i], KNHK_OP_STL, 0, 1, 0);
		t[i].priority = KNHK_PRIO_LOW - i % 3;
	}
	ASSERT_EQ(0, core_submit(fd, t, 3, NULL));
	cm_submit(m, t, 3);
	ASSERT_EQ(0, core_submit(fd, t + 3, 3, NULL));
	cm_submit(m, t + 3, 3);
	ASSERT_EQ(0, knhk_barrier(fd));
	read_check(_metadata, fd, m, 6);

	/* By hand: batch 1 runs ids 4 (high), 2, 0; batch 2 runs 10, 8, 6. */
	first = cm_find(m, 4);
	second = cm_find(m, 10);
	EXPECT_EQ(0, first);
	EXPECT_EQ(3, second);
	EXPECT_EQ(2, cm_want(m, 4)->execute_ts);
	EXPECT_EQ(4, cm_want(m, 0)->execute_ts);
	EXPECT_EQ(5, cm_want(m, 10)->execute_ts);
	cm_free(m);
	close(fd);
}

/*
 * All-or-nothing: a batch whose entry k is bad fails with EINVAL and
 * bad_index k, accepts nothing (accepted stays 0, STATS.submitted does not
 * move) and does not tick the submit clock.
 */
TEST(bad_entry_rejects_batch)
{
	static const __u32 where[] = { 0, 1, 5, 7, 255 };
	struct knhk_ordered_task ot[KNHK_MAX_BATCH];
	struct knhk_task t[KNHK_MAX_BATCH];
	struct knhk_completion c;
	struct knhk_submit sb;
	int fd = open_dev(_metadata, 0), r;
	unsigned int w, i, pass;

	ASSERT_EQ(0, core_config(fd, 0, 4, 256, 1024));
	for (pass = 0; pass < 2; pass++) {
		bool ordered = pass;

		for (w = 0; w < ARRAY_SIZE(where); w++) {
			__u32 k = where[w], n = k < 8 ? 8 : k + 1;

			for (i = 0; i < n; i++) {
				otask_pure(&ot[i], 5, 100 + i, i);
				task_pure(&t[i], 100 + i, i);
			}
			/* Entry k: budget 0 (plain) or a lane-state load (ordered). */
			t[k].budget = 0;
			ot[k].task.kind = KNHK_WORK_PROGRAM;
			task_insn(&ot[k].task, KNHK_OP_LDL, 0, 0, 0);
			r = ordered ? core_submit_ordered(fd, ot, n, &sb) :
				      core_submit(fd, t, n, &sb);
			EXPECT_EQ(-EINVAL, r);
			EXPECT_EQ(k, sb.bad_index);
			EXPECT_EQ(0, sb.accepted);
			EXPECT_EQ(0, core_submitted(fd));
		}
	}
	/* Nothing ticked the submit clock. */
	task_pure(&t[0], 9, 9);
	ASSERT_EQ(0, knhk_enqueue(fd, &t[0]));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(1, c.enqueue_ts);
	EXPECT_EQ(0, core_read_empty(fd));
	close(fd);
}

/*
 * A largest batch, KNHK_MAX_BATCH entries, is accepted whole; the bound is
 * inclusive.
 */
TEST(batch_max_size)
{
	struct knhk_task t[KNHK_MAX_BATCH];
	struct core_model *m = cm_new(4, KNHK_MAX_BATCH);
	struct knhk_submit sb;
	__u64 s = 77;
	int fd = open_dev(_metadata, 0), i;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, core_config(fd, 0, 4, 128, 512));
	for (i = 0; i < KNHK_MAX_BATCH; i++)
		core_gen_task(&t[i], i, false, false, &s);
	ASSERT_EQ(0, core_submit(fd, t, KNHK_MAX_BATCH, &sb));
	EXPECT_EQ(KNHK_MAX_BATCH, sb.accepted);
	cm_submit(m, t, KNHK_MAX_BATCH);
	ASSERT_EQ(0, knhk_barrier(fd));
	read_check(_metadata, fd, m, KNHK_MAX_BATCH);
	cm_free(m);
	close(fd);
}

/*
 * Under O_NONBLOCK, a batch of @n tasks (ids 0, @stride, ...) on an
 * instance of @lanes lanes of @ring slots and @cq in flight accepts the
 * first @first in priority order and fails with EAGAIN; STATS counts
 * exactly those as submitted and enqueued to lanes. After they are read,
 * the same call with the same struct accepts the rest.
 */
static void restart_nonblock(struct __test_metadata *_metadata, __u32 lanes,
			     __u32 ring, __u32 cq, int n, int stride, int first)
{
	struct knhk_lane_stats ls[4];
	struct knhk_task t[16];
	struct core_model *m = cm_new(lanes, 64);
	struct knhk_submit sb;
	struct knhk_stats st;
	__u64 s = 0xacc, enqueued = 0;
	int fd = open_dev(_metadata, O_NONBLOCK), i;

	ASSERT_NE(NULL, m);
	ASSERT_GE(16, n);
	ASSERT_GE(4, lanes);
	ASSERT_EQ(0, core_config(fd, 0, lanes, ring, cq));
	for (i = 0; i < n; i++)
		core_gen_task(&t[i], stride * i, false, false, &s);
	core_sb(&sb, t, n);
	EXPECT_EQ(-EAGAIN, knhk_ioctl(fd, KNHK_IOC_SUBMIT, &sb));
	EXPECT_EQ(first, sb.accepted);
	EXPECT_EQ(n, sb.count);
	EXPECT_EQ(first, core_submitted(fd));
	ASSERT_EQ(0, knhk_stats(fd, &st, ls, lanes));
	for (i = 0; i < (int)lanes; i++)
		enqueued += ls[i].enqueued;
	EXPECT_EQ(first, enqueued);
	cm_batch_part(m, t, NULL, n, 0, first);
	ASSERT_EQ(0, knhk_barrier(fd));
	read_check(_metadata, fd, m, first);

	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_SUBMIT, &sb));
	EXPECT_EQ(n, sb.accepted);
	EXPECT_EQ(n, core_submitted(fd));
	cm_batch_part(m, t, NULL, n, first, n);
	ASSERT_EQ(0, knhk_barrier(fd));
	read_check(_metadata, fd, m, n - first);
	cm_free(m);
	close(fd);
}

/* With room for 8 in flight, a batch of 12 stops after 8. */
TEST(accepted_restart_nonblock)
{
	restart_nonblock(_metadata, 4, 256, 8, 12, 1, 8);
}

/*
 * A batch for one lane stops where its ring is full, even though the
 * in-flight limit has room: 4 of 8 (two lanes of 4 slots, all tasks on
 * lane 0).
 */
TEST(batch_fills_one_ring_nonblock)
{
	restart_nonblock(_metadata, 2, 4, 8, 8, 2, 4);
}

/*
 * The same for ordered tasks: the in-flight limit counts them too. After a
 * release and a read, the same call accepts the rest.
 */
TEST(accepted_restart_ordered)
{
	struct knhk_ordered_task ot[6];
	struct core_model *m = cm_new(4, 64);
	struct knhk_submit sb;
	__u32 rel;
	int fd = open_dev(_metadata, O_NONBLOCK), i;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, core_config(fd, 0, 4, 16, 4));
	for (i = 0; i < 6; i++) {
		otask_pure(&ot[i], 60 - 10 * i, 0x100 + i, i);
		ot[i].task.priority = i % 3;
	}
	core_sb(&sb, ot, 6);
	EXPECT_EQ(-EAGAIN, knhk_ioctl(fd, KNHK_IOC_SUBMIT_ORDERED, &sb));
	EXPECT_EQ(4, sb.accepted);
	cm_batch_part(m, NULL, ot, 6, 0, 4);
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(cm_release(m, true, 0), rel);
	read_check(_metadata, fd, m, 4);

	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_SUBMIT_ORDERED, &sb));
	EXPECT_EQ(6, sb.accepted);
	cm_batch_part(m, NULL, ot, 6, 4, 6);
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(cm_release(m, true, 0), rel);
	EXPECT_EQ(2, rel);
	read_check(_metadata, fd, m, 2);
	cm_free(m);
	close(fd);
}

/*
 * accepted as input: a call with accepted = 3 continues after the first
 * three entries in priority order.
 */
TEST(accepted_in_continues)
{
	struct knhk_task t[10];
	struct core_model *m = cm_new(4, 64);
	struct knhk_submit sb;
	__u64 s = 0x1c;
	int fd = open_dev(_metadata, 0), i;

	ASSERT_NE(NULL, m);
	for (i = 0; i < 10; i++)
		core_gen_task(&t[i], i, false, false, &s);
	core_sb(&sb, t, 10);
	sb.accepted = 3;
	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_SUBMIT, &sb));
	EXPECT_EQ(10, sb.accepted);
	EXPECT_EQ(7, core_submitted(fd));
	cm_batch_part(m, t, NULL, 10, 3, 10);
	ASSERT_EQ(0, knhk_barrier(fd));
	read_check(_metadata, fd, m, 7);

	/* accepted == count: nothing left to do. */
	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_SUBMIT, &sb));
	EXPECT_EQ(10, sb.accepted);
	EXPECT_EQ(7, core_submitted(fd));
	cm_free(m);
	close(fd);
}

struct reader {
	int fd;
	size_t n;
	struct knhk_completion *c;
	long got;
};

static void *reader_fn(void *arg)
{
	struct reader *r = arg;
	size_t got = 0;

	while (got < r->n) {
		long k;

		usleep(1000);
		k = knhk_read(r->fd, r->c + got, r->n - got < 8 ? r->n - got : 8);
		if (k <= 0)
			break;
		got += k;
	}
	r->got = got;
	return NULL;
}

/*
 * Submit @n tasks (ids 0, @stride, 2 * @stride, ...) in one blocking batch
 * to an instance of @lanes lanes of @ring slots and @cq in flight, while a
 * reader thread reads completions slowly: the batch is accepted whole and
 * every completion matches the model.
 */
static void batch_waits_for_reader(struct __test_metadata *_metadata,
				   __u32 lanes, __u32 ring, __u32 cq,
				   int n, int stride)
{
	struct knhk_task t[200];
	struct core_model *m = cm_new(lanes, 256);
	struct reader r = { .n = n };
	struct knhk_submit sb;
	pthread_t th;
	bool *seen;
	__u64 s = 0xb10c;
	int fd = open_dev(_metadata, 0), i;

	ASSERT_NE(NULL, m);
	ASSERT_GE(200, n);
	r.c = calloc(n, sizeof(*r.c));
	seen = calloc(n, sizeof(*seen));
	ASSERT_NE(NULL, r.c);
	ASSERT_NE(NULL, seen);
	ASSERT_EQ(0, core_config(fd, 0, lanes, ring, cq));
	for (i = 0; i < n; i++)
		core_gen_task(&t[i], i * stride, false, false, &s);
	cm_submit(m, t, n);
	r.fd = fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, reader_fn, &r));
	EXPECT_EQ(0, core_submit(fd, t, n, &sb));
	EXPECT_EQ(n, sb.accepted);
	pthread_join(th, NULL);
	ASSERT_EQ(n, r.got);
	for (i = 0; i < n; i++)
		CM_EXPECT_MATCH(m, &r.c[i], seen);
	EXPECT_EQ(0, core_read_empty(fd));
	free(seen);
	free(r.c);
	cm_free(m);
	close(fd);
}

/*
 * A blocking batch larger than the in-flight limit waits for the reader
 * and is accepted whole.
 */
TEST(submit_blocks_until_read)
{
	batch_waits_for_reader(_metadata, 4, 16, 16, 200, 1);
}

/*
 * The same when a lane's ring is the limit: 64 tasks for one lane of 4
 * slots. The tasks a call has written into a ring reach the worker before
 * the call waits for room, or the batch would wait forever.
 */
TEST(batch_over_ring_blocks_until_read)
{
	batch_waits_for_reader(_metadata, 2, 4, 8, 64, 2);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * A signal stops a blocked batch with EINTR; accepted says how far it got,
 * and the same call with the same struct finishes it.
 */
TEST(submit_eintr_restartable)
{
	struct itimerval it = { .it_value = { .tv_usec = 200000 } };
	struct sigaction sa = { .sa_handler = on_alarm };
	struct knhk_task t[12];
	struct core_model *m = cm_new(4, 64);
	struct knhk_submit sb;
	__u64 s = 0xe1;
	int fd = open_dev(_metadata, 0), i;

	ASSERT_NE(NULL, m);
	ASSERT_EQ(0, core_config(fd, 0, 4, 64, 8));
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));	/* no SA_RESTART */
	for (i = 0; i < 12; i++)
		core_gen_task(&t[i], i, false, false, &s);
	core_sb(&sb, t, 12);
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, knhk_ioctl(fd, KNHK_IOC_SUBMIT, &sb));
	EXPECT_EQ(8, sb.accepted);
	cm_batch_part(m, t, NULL, 12, 0, 8);
	read_check(_metadata, fd, m, 8);
	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_SUBMIT, &sb));
	EXPECT_EQ(12, sb.accepted);
	cm_batch_part(m, t, NULL, 12, 8, 12);
	read_check(_metadata, fd, m, 4);
	cm_free(m);
	close(fd);
}

/*
 * ENQUEUE is a batch of one: the same tasks through ENQUEUE on one instance
 * and SUBMIT (count 1) on another give the same completions and the same
 * digest; likewise ENQUEUE_ORDERED and SUBMIT_ORDERED.
 */
TEST(enqueue_is_batch_of_one)
{
	struct knhk_ordered_task ot[20];
	struct knhk_digest d[2];
	struct knhk_task t[40];
	struct core_model *m = cm_new(4, 64);
	__u64 s = 0xe9;
	__u32 rel[2];
	int fd[2], i, k;

	ASSERT_NE(NULL, m);
	for (i = 0; i < 40; i++)
		core_gen_task(&t[i], i, false, false, &s);
	for (i = 0; i < 20; i++) {
		core_gen_task(&ot[i].task, 100 + i, true, false, &s);
		ot[i].timestamp = core_below(&s, 50);
	}
	/* Forty calls of one task, then twenty of one ordered task. */
	for (i = 0; i < 40; i++)
		cm_submit(m, &t[i], 1);
	for (i = 0; i < 20; i++)
		cm_submit_ordered(m, &ot[i], 1);
	cm_release(m, true, 0);

	for (k = 0; k < 2; k++) {
		fd[k] = open_dev(_metadata, 0);
		for (i = 0; i < 40; i++)
			ASSERT_EQ(0, k ? core_submit(fd[k], &t[i], 1, NULL) :
					 knhk_enqueue(fd[k], &t[i]));
		for (i = 0; i < 20; i++)
			ASSERT_EQ(0, k ? core_submit_ordered(fd[k], &ot[i], 1, NULL) :
					 core_enqueue_ordered(fd[k], &ot[i]));
		ASSERT_EQ(0, core_release(fd[k], KNHK_RELEASE_ALL, 0, &rel[k]));
		EXPECT_EQ(20, rel[k]);
		ASSERT_EQ(0, core_digest(fd[k], &d[k]));
		read_check(_metadata, fd[k], m, 60);
		EXPECT_EQ(m->events, d[k].events);
		EXPECT_EQ(m->checksum, d[k].checksum);
	}
	EXPECT_EQ(d[0].digest, d[1].digest);
	EXPECT_EQ(d[0].checksum, d[1].checksum);
	EXPECT_EQ(d[0].events, d[1].events);

	/* A bad task through ENQUEUE is rejected like a bad batch entry. */
	t[0].budget = KNHK_MAX_BUDGET + 1;
	EXPECT_EQ(-EINVAL, knhk_enqueue(fd[0], &t[0]));
	ot[0].timestamp = CORE_TS_MAX + 1;
	EXPECT_EQ(-EINVAL, core_enqueue_ordered(fd[0], &ot[0]));
	EXPECT_EQ(60, core_submitted(fd[0]));
	cm_free(m);
	close(fd[0]);
	close(fd[1]);
}

/*
 * A rejected call accepts no task, so the configuration stays open: the
 * header allows KNHK_IOC_CONFIGURE "until the first task is accepted".
 */
TEST(rejected_batch_keeps_config_open)
{
	struct knhk_completion c;
	struct knhk_task t[2];
	struct knhk_submit sb;
	int fd = open_dev(_metadata, 0);

	task_pure(&t[0], 5, 5);
	task_pure(&t[1], 6, 6);
	t[1].priority = 7;
	EXPECT_EQ(-EINVAL, core_submit(fd, t, 2, &sb));
	EXPECT_EQ(1, sb.bad_index);
	EXPECT_EQ(0, core_submitted(fd));
	EXPECT_EQ(0, core_config(fd, 0, 8, 64, 256));
	ASSERT_EQ(0, knhk_enqueue(fd, &t[0]));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(5, c.lane);	/* 5 & (8 - 1) */
	close(fd);
}

TEST_HARNESS_MAIN
