// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_io - read(), poll(), blocking and O_NONBLOCK behaviour, the
 * in-flight (completion queue) limit and the lane ring limit.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "knhk_test.h"

#define DELAY_MS	300

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

static short poll_now(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	return poll(&p, 1, 0) < 0 ? -1 : p.revents;
}

static void enqueue_pure(struct __test_metadata *_metadata, int fd,
			 struct knhk_model *m, __u64 id,
			 struct knhk_completion *want)
{
	struct knhk_task t;
	struct knhk_completion w;

	task_pure(&t, id, id * 7 + 1);
	ASSERT_EQ(0, knhk_enqueue(fd, &t)) TH_LOG("task %llu", (unsigned long long)id);
	model_run(m, &t, want ? want : &w);
}

TEST(read_nonblock_empty)
{
	struct knhk_completion c[2];
	struct knhk_model m;
	int fd;

	OPEN_DEV(fd, O_NONBLOCK);
	model_init(&m, KNHK_DEFAULT_LANES);
	EXPECT_EQ(-EAGAIN, knhk_read(fd, c, 2));
	enqueue_pure(_metadata, fd, &m, 1, NULL);
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(0, set_nonblock(fd, true));
	EXPECT_EQ(1, knhk_read(fd, c, 2));
	EXPECT_EQ(-EAGAIN, knhk_read(fd, c, 2));
	close(fd);
}

/* read() returns whole records only, as many as fit and are ready. */
TEST_F(dev, read_whole_records)
{
	struct knhk_completion want[5], got[10];
	char *buf = (char *)got;
	unsigned int i, n = 0;
	ssize_t r;

	for (i = 0; i < 5; i++)
		enqueue_pure(_metadata, self->fd, &self->m, i, &want[i]);
	ASSERT_EQ(0, knhk_barrier(self->fd));

	r = read(self->fd, buf, 2 * sizeof(got[0]) + sizeof(got[0]) / 2);
	EXPECT_EQ((ssize_t)(2 * sizeof(got[0])), r);
	n += r > 0 ? r / sizeof(got[0]) : 0;
	r = read(self->fd, buf + n * sizeof(got[0]), sizeof(got[0]));
	EXPECT_EQ((ssize_t)sizeof(got[0]), r);
	n += r > 0 ? r / sizeof(got[0]) : 0;
	r = read(self->fd, buf + n * sizeof(got[0]), 7 * sizeof(got[0]) - 1);
	EXPECT_EQ((ssize_t)(2 * sizeof(got[0])), r);
	n += r > 0 ? r / sizeof(got[0]) : 0;
	ASSERT_EQ(5, n);
	check_completions(_metadata, got, want, 5, NULL, 0, 0);
}

struct delayed {
	int fd;
	int delay_ms;
	__u64 id;
	atomic_int done;
	int ret;
};

static void *delayed_enqueue(void *arg)
{
	struct delayed *d = arg;
	struct knhk_task t;

	usleep(d->delay_ms * 1000);
	task_pure(&t, d->id, d->id);
	d->ret = knhk_enqueue(d->fd, &t);
	atomic_store(&d->done, 1);
	return NULL;
}

static void *delayed_read(void *arg)
{
	struct delayed *d = arg;
	struct knhk_completion c;

	usleep(d->delay_ms * 1000);
	d->ret = knhk_read(d->fd, &c, 1);
	atomic_store(&d->done, 1);
	return NULL;
}

/* A blocking read() on an empty instance waits for a completion. */
TEST_F(dev, read_blocks_until_completion)
{
	struct delayed d = { .fd = self->fd, .delay_ms = DELAY_MS, .id = 9 };
	struct knhk_completion c;
	pthread_t th;
	double t0;

	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&th, NULL, delayed_enqueue, &d));
	EXPECT_EQ(1, knhk_read(self->fd, &c, 1));
	EXPECT_LE(DELAY_MS - 50, now_ms() - t0);
	pthread_join(th, NULL);
	EXPECT_EQ(0, d.ret);
	EXPECT_EQ(9, c.task_id);
	EXPECT_EQ(knhk_mix64(9), c.output);
	EXPECT_EQ(1, c.enqueue_ts);
}

TEST_F(dev, poll_fresh_instance)
{
	EXPECT_EQ(POLLOUT, poll_now(self->fd, POLLIN | POLLOUT));
}

TEST_F(dev, poll_in_after_barrier)
{
	struct knhk_completion c;

	enqueue_pure(_metadata, self->fd, &self->m, 3, NULL);
	ASSERT_EQ(0, knhk_barrier(self->fd));
	EXPECT_EQ(POLLIN | POLLOUT, poll_now(self->fd, POLLIN | POLLOUT));
	ASSERT_EQ(1, knhk_read(self->fd, &c, 1));
	EXPECT_EQ(POLLOUT, poll_now(self->fd, POLLIN | POLLOUT));
}

/* poll() sleeping for POLLIN is woken by a completion. */
TEST_F(dev, poll_wakes_on_completion)
{
	struct delayed d = { .fd = self->fd, .delay_ms = DELAY_MS, .id = 2 };
	struct pollfd p = { .fd = self->fd, .events = POLLIN };
	pthread_t th;
	double t0;

	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&th, NULL, delayed_enqueue, &d));
	EXPECT_EQ(1, poll(&p, 1, 10000));
	EXPECT_TRUE(p.revents & POLLIN);
	EXPECT_LE(DELAY_MS - 50, now_ms() - t0);
	pthread_join(th, NULL);
	EXPECT_EQ(0, d.ret);
}

/* In-flight limit: cq_size unread completions, then EAGAIN; reading frees. */
TEST(cq_full_nonblock)
{
	struct knhk_completion c[8];
	struct knhk_model m;
	struct knhk_stats s;
	struct knhk_task t;
	int fd, i;

	OPEN_DEV(fd, O_NONBLOCK);
	ASSERT_EQ(0, knhk_configure(fd, 4, 256, 4));
	model_init(&m, 4);
	for (i = 0; i < 4; i++)
		enqueue_pure(_metadata, fd, &m, i, NULL);
	task_pure(&t, 4, 4);
	EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(0, set_nonblock(fd, true));
	EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t));	/* run, but unread */
	EXPECT_EQ(POLLIN, poll_now(fd, POLLIN | POLLOUT));
	ASSERT_EQ(0, knhk_stats(fd, &s, NULL, 0));
	EXPECT_EQ(4, s.submitted);
	EXPECT_EQ(4, s.inflight);

	ASSERT_EQ(1, knhk_read(fd, c, 1));
	EXPECT_EQ(POLLIN | POLLOUT, poll_now(fd, POLLIN | POLLOUT));
	EXPECT_EQ(0, knhk_enqueue(fd, &t));
	EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(4, knhk_read_all(fd, c, 4));
	ASSERT_EQ(0, knhk_stats(fd, &s, NULL, 0));
	EXPECT_EQ(5, s.submitted);
	EXPECT_EQ(5, s.completed);
	EXPECT_EQ(0, s.inflight);
	close(fd);
}

/*
 * The unconfigured instance: 4 lanes of 256. Tasks spread evenly fill every
 * ring with unread completions (a ring slot is free again only once its
 * completion is read): 4 * 256 are accepted, one more is EAGAIN.
 */
TEST(default_instance_capacity)
{
	const unsigned int n = KNHK_DEFAULT_LANES * KNHK_DEFAULT_RING;
	struct knhk_task t;
	struct knhk_stats s;
	unsigned int i;
	int fd;

	OPEN_DEV(fd, O_NONBLOCK);
	for (i = 0; i < n; i++) {
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(fd, &t)) TH_LOG("task %u", i);
	}
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(0, set_nonblock(fd, true));
	for (i = 0; i < KNHK_DEFAULT_LANES; i++) {
		task_pure(&t, n + i, i);
		EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t)) TH_LOG("lane %u", i);
	}
	ASSERT_EQ(0, knhk_stats(fd, &s, NULL, 0));
	EXPECT_EQ(n, s.submitted);
	EXPECT_EQ(n, s.inflight);
	close(fd);
}

/*
 * A lane's ring holds ring_size unread tasks even when cq_size allows more:
 * the next task for that lane is EAGAIN, another lane still has room.
 */
TEST(ring_full_nonblock)
{
	struct knhk_completion c[8];
	struct knhk_model m;
	struct knhk_task t;
	int fd, i;

	OPEN_DEV(fd, O_NONBLOCK);
	ASSERT_EQ(0, knhk_configure(fd, 2, 4, 8));
	model_init(&m, 2);
	for (i = 0; i < 4; i++)
		enqueue_pure(_metadata, fd, &m, 2 * i, NULL);	/* lane 0 */
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(0, set_nonblock(fd, true));
	task_pure(&t, 8, 8);					/* lane 0 */
	EXPECT_EQ(-EAGAIN, knhk_enqueue(fd, &t));
	enqueue_pure(_metadata, fd, &m, 1, NULL);		/* lane 1 */
	ASSERT_EQ(1, knhk_read(fd, c, 1));
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(4, knhk_read_all(fd, c + 1, 4));
	close(fd);
}

/* A blocking enqueue beyond cq_size waits until a completion is read. */
TEST(enqueue_blocks_until_read)
{
	struct knhk_completion c[3];
	struct delayed d = { .id = 2 };
	struct knhk_model m;
	pthread_t th;
	int fd, i;

	OPEN_DEV(fd, 0);
	ASSERT_EQ(0, knhk_configure(fd, 4, 256, 2));
	model_init(&m, 4);
	for (i = 0; i < 2; i++)
		enqueue_pure(_metadata, fd, &m, i, NULL);
	ASSERT_EQ(0, knhk_barrier(fd));
	d.fd = fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, delayed_enqueue, &d));
	usleep(DELAY_MS * 1000);
	EXPECT_EQ(0, atomic_load(&d.done)) TH_LOG("enqueue beyond cq_size did not block");
	ASSERT_EQ(1, knhk_read(fd, c, 1));
	pthread_join(th, NULL);
	EXPECT_EQ(0, d.ret);
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(2, knhk_read_all(fd, c + 1, 2));
	for (i = 1; i < 3; i++)
		if (c[i].task_id == 2)
			EXPECT_EQ(3, c[i].enqueue_ts);
	close(fd);
}

/* poll() sleeping for POLLOUT on a full instance is woken by a read. */
TEST(poll_out_wakes_on_read)
{
	struct delayed d = { .delay_ms = DELAY_MS };
	struct knhk_model m;
	struct pollfd p;
	pthread_t th;
	double t0;
	int fd;

	OPEN_DEV(fd, 0);
	ASSERT_EQ(0, knhk_configure(fd, 2, 4, 1));
	model_init(&m, 2);
	enqueue_pure(_metadata, fd, &m, 0, NULL);
	ASSERT_EQ(0, knhk_barrier(fd));
	EXPECT_EQ(POLLIN, poll_now(fd, POLLIN | POLLOUT));
	d.fd = fd;
	t0 = now_ms();
	ASSERT_EQ(0, pthread_create(&th, NULL, delayed_read, &d));
	p = (struct pollfd){ .fd = fd, .events = POLLOUT };
	EXPECT_EQ(1, poll(&p, 1, 10000));
	EXPECT_EQ(POLLOUT, p.revents);
	EXPECT_LE(DELAY_MS - 50, now_ms() - t0);
	pthread_join(th, NULL);
	EXPECT_EQ(1, d.ret);
	close(fd);
}

/* Blocked enqueue and blocked read die on SIGKILL. */
static void check_killable(struct __test_metadata *_metadata, int fd, bool do_read)
{
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct knhk_completion c;
		struct knhk_task t;

		if (do_read) {
			_exit(knhk_read(fd, &c, 1) == 1 ? 10 : 11);
		} else {
			task_pure(&t, 99, 99);
			_exit(knhk_enqueue(fd, &t) == 0 ? 12 : 13);
		}
	}
	usleep(DELAY_MS * 1000);
	EXPECT_EQ(0, waitpid(pid, &status, WNOHANG)) TH_LOG("the call did not block");
	kill(pid, SIGKILL);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	if (WIFSIGNALED(status))
		EXPECT_EQ(SIGKILL, WTERMSIG(status));
}

TEST(enqueue_block_is_killable)
{
	struct knhk_model m;
	struct knhk_stats s;
	int fd;

	OPEN_DEV(fd, 0);
	ASSERT_EQ(0, knhk_configure(fd, 4, 256, 1));
	model_init(&m, 4);
	enqueue_pure(_metadata, fd, &m, 0, NULL);
	check_killable(_metadata, fd, false);
	ASSERT_EQ(0, knhk_stats(fd, &s, NULL, 0));
	EXPECT_EQ(1, s.submitted);
	close(fd);
}

TEST(read_block_is_killable)
{
	struct knhk_completion c;
	struct knhk_model m;
	int fd;

	OPEN_DEV(fd, 0);
	check_killable(_metadata, fd, true);
	/* The instance still works. */
	model_init(&m, KNHK_DEFAULT_LANES);
	enqueue_pure(_metadata, fd, &m, 5, NULL);
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(5, c.task_id);
	close(fd);
}

struct reader {
	int fd;
	unsigned int n;
	struct knhk_completion *c;
	long ret;
};

static void *read_n(void *arg)
{
	struct reader *r = arg;

	r->ret = knhk_read_all(r->fd, r->c, r->n);
	return NULL;
}

/*
 * Ring limit: 2 tasks per lane, all on lane 0, far more tasks than fit;
 * blocking enqueues with a concurrent reader must all get through in FIFO
 * order with exact clocks.
 */
TEST(ring_full_blocks_and_streams)
{
	const unsigned int n = 300;
	struct knhk_completion *want = calloc(n, sizeof(*want));
	struct reader r = { .n = n, .c = calloc(n, sizeof(*r.c)) };
	struct knhk_model m;
	struct knhk_task t;
	pthread_t th;
	unsigned int i;
	int fd;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, r.c);
	OPEN_DEV(fd, 0);
	ASSERT_EQ(0, knhk_configure(fd, 2, 2, 4));
	model_init(&m, 2);
	r.fd = fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, read_n, &r));
	for (i = 0; i < n; i++) {
		task_prog(&t, 2 * i, i, 3);
		task_insn(&t, KNHK_OP_LDL, 1, 0, 0);
		task_insn(&t, KNHK_OP_ADD, 0, 1, 0);
		task_insn(&t, KNHK_OP_STL, 0, 0, 0);
		ASSERT_EQ(0, knhk_enqueue(fd, &t)) TH_LOG("task %u", i);
		model_run(&m, &t, &want[i]);
	}
	pthread_join(th, NULL);
	ASSERT_EQ((long)n, r.ret);
	check_completions(_metadata, r.c, want, n, NULL, 0, 0);
	close(fd);
	free(want);
	free(r.c);
}

/*
 * The same under O_NONBLOCK: on EAGAIN, poll() must wake (POLLIN or
 * POLLOUT) within the timeout - a lost wakeup fails the test.
 */
TEST(nonblock_stream_with_poll)
{
	const unsigned int n = 300;
	struct knhk_completion *want = calloc(n, sizeof(*want));
	struct knhk_completion *got = calloc(n, sizeof(*got));
	unsigned int i = 0, ngot = 0, eagain = 0, spins = 0;
	struct knhk_model m;
	struct knhk_task t;
	int fd;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	OPEN_DEV(fd, O_NONBLOCK);
	ASSERT_EQ(0, knhk_configure(fd, 1, 2, 2));
	model_init(&m, 1);
	while (i < n) {
		struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
		long r;
		int e;

		task_pure(&t, i, ~(__u64)i);
		e = knhk_enqueue(fd, &t);
		if (e == 0) {
			model_run(&m, &t, &want[i++]);
			spins = 0;
			continue;
		}
		ASSERT_EQ(-EAGAIN, e);
		eagain++;
		ASSERT_EQ(1, poll(&p, 1, 10000)) TH_LOG("no wakeup at task %u", i);
		if (p.revents & POLLIN) {
			r = knhk_read(fd, got + ngot, n - ngot);
			ASSERT_LT(0, r);
			ngot += r;
			spins = 0;
		} else {
			/* POLLOUT alone: the next enqueue must not fail. */
			ASSERT_LT(spins++, 1) TH_LOG("POLLOUT, yet EAGAIN at task %u", i);
		}
	}
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ((long)(n - ngot), knhk_read_all(fd, got + ngot, n - ngot));
	/* cq_size 2: at least every third enqueue had to wait. */
	EXPECT_LE(n / 3, eagain);
	check_completions(_metadata, got, want, n, NULL, 0, 0);
	close(fd);
	free(want);
	free(got);
}

TEST_HARNESS_MAIN
