// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_kill - a run-cycle killed at each point where it can wait.
 *
 * - Killed while its task waits for the lane's worker (here: a lossless
 *   replay stream that nobody drains holds the worker up): the step
 *   credit it gave must not stay behind, or the worker runs the task later
 *   and the next run-cycle returns that earlier task's completion.
 * - Waiting for the completion reader's lock while a read() holds it, its
 *   copy_to_user() stopped on a page fault (a userfaultfd page that nobody
 *   serves): the run-cycle must die at once on SIGKILL.
 */
#include <linux/userfaultfd.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "knhk_core.h"

#define DEBUGFS		"/sys/kernel/debug/" KNHK_DEVICE_NAME

static __u64 lane_executed(int fd, __u32 lane)
{
	struct knhk_lane_stats ls[KNHK_MAX_LANES];
	struct knhk_stats st;

	if (knhk_stats(fd, &st, ls, KNHK_MAX_LANES) || lane >= st.lanes)
		return ~0ULL;
	return ls[lane].executed;
}

/* Whether @pid is gone within @ms milliseconds; reaps it. */
static bool dies_within(pid_t pid, int ms)
{
	int i, status;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return true;
		usleep(10 * 1000);
	}
	return false;
}

/* ---- a reader of every CPU's replay stream but one ---- */

struct drainer {
	int fd[KNHK_MAX_CPUS];
	int cpu[KNHK_MAX_CPUS];
	int n;
	int skip;		/* the CPU not to drain, -1: none */
	bool stop;		/* both read and written with __atomic */
	pthread_t th;
};

static void *drain_fn(void *arg)
{
	static char buf[1 << 16];
	struct drainer *d = arg;
	int i;

	while (!__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE)) {
		bool any = false;

		for (i = 0; i < d->n; i++)
			if (d->cpu[i] != __atomic_load_n(&d->skip, __ATOMIC_ACQUIRE) &&
			    read(d->fd[i], buf, sizeof(buf)) > 0)
				any = true;
		if (!any)
			usleep(1000);
	}
	return NULL;
}

static int drainer_start(struct drainer *d, __u32 instance, int skip)
{
	int cpus[KNHK_MAX_CPUS], n = online_cpus(cpus, KNHK_MAX_CPUS), i;
	char path[128];

	d->n = 0;
	d->skip = skip;
	d->stop = false;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), DEBUGFS "/%u/replay%d", instance, cpus[i]);
		d->fd[d->n] = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
		if (d->fd[d->n] < 0)
			return -errno;
		d->cpu[d->n++] = cpus[i];
	}
	return pthread_create(&d->th, NULL, drain_fn, d) ? -EAGAIN : 0;
}

static void drainer_stop(struct drainer *d)
{
	int i;

	__atomic_store_n(&d->stop, true, __ATOMIC_RELEASE);
	pthread_join(d->th, NULL);
	for (i = 0; i < d->n; i++)
		close(d->fd[i]);
}

/* In a child: run-cycles on lane 0 until one never returns; a byte each. */
static void cycle_forever(int fd, int out)
{
	struct knhk_completion c;

	for (;;) {
		if (core_run_cycle(fd, 0, &c))
			_exit(1);
		if (write(out, "x", 1) != 1)
			_exit(2);
	}
}

#define STALL_TASKS	600

/*
 * A run-cycle killed after it gave its step credit. Lane 0's worker is on
 * CPU B; every other CPU's stream is drained, B's is not, so once B's
 * stream is full (2 x 8 KiB of 64-byte TaskExecuted records) the worker
 * cannot run the task and the run-cycle waits. Kill it, drain B: no task
 * may run without a run-cycle asking, and the next run-cycle returns the
 * next task's own completion.
 */
TEST(killed_run_cycle_leaves_no_credit)
{
	struct knhk_config cfg = {
		.size = sizeof(cfg), .lanes = 1, .ring_size = 1024, .cq_size = 1024,
		.flags = KNHK_CONFIG_STEP_MODE | KNHK_CONFIG_REPLAY,
		.replay_subbuf_size = KNHK_REPLAY_MIN_SUBBUF, .replay_nr_subbufs = 2,
	};
	int cpus[KNHK_MAX_CPUS], ncpus = online_cpus(cpus, KNHK_MAX_CPUS);
	struct knhk_task t[64];
	struct knhk_completion c;
	struct drainer d;
	struct knhk_stats st;
	struct pollfd pfd;
	__u64 k = 0, i, ran;
	int fd, p[2], b, a = -1, r;
	cpu_set_t set;
	pid_t child;
	char buf[256];

	if (ncpus < 2)
		SKIP(return, "needs two CPUs");
	if (access(DEBUGFS, R_OK))
		SKIP(return, DEBUGFS ": %s", strerror(errno));
	fd = open_dev(_metadata, 0);
	r = knhk_ioctl(fd, KNHK_IOC_CONFIGURE, &cfg);
	if (r == -EPERM)
		SKIP(return, "lossless replay needs CAP_SYS_ADMIN");
	ASSERT_EQ(0, r);
	ASSERT_EQ(0, knhk_stats(fd, &st, NULL, 0));

	/* Which CPU runs lane 0: its first task says. */
	task_pure(&t[0], 0, 0);
	ASSERT_EQ(0, knhk_enqueue(fd, &t[0]));
	ASSERT_EQ(0, core_run_cycle(fd, 0, &c));
	b = c.cpu;
	for (i = 0; i < (__u64)ncpus && a < 0; i++)
		if (cpus[i] != b)
			a = cpus[i];
	CPU_ZERO(&set);
	CPU_SET(a, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));
	ASSERT_EQ(0, drainer_start(&d, st.instance, b));

	for (i = 1; i <= STALL_TASKS; i += 64) {
		__u32 n = 0;

		while (n < 64 && i + n <= STALL_TASKS) {
			task_pure(&t[n], i + n, i + n);
			n++;
		}
		ASSERT_EQ(0, core_submit(fd, t, n, NULL));
	}
	ASSERT_EQ(0, pipe(p));
	child = fork();
	ASSERT_LE(0, child);
	if (!child) {
		close(p[0]);
		cycle_forever(fd, p[1]);
		_exit(3);
	}
	close(p[1]);
	/*
	 * Stalled: no byte for a second, every task run reported, and the
	 * child asleep (S; D in a killable wait), so in a run-cycle waiting
	 * for its task. A child the host merely starved is runnable, or has
	 * a task run it has not reported yet: wait on (20 s at most, inside
	 * the harness's 30).
	 */
	pfd = (struct pollfd){ .fd = p[0], .events = POLLIN };
	for (i = 0; i < 20; i++) {
		char state;

		while (poll(&pfd, 1, 1000) > 0) {
			r = read(p[0], buf, sizeof(buf));
			if (r <= 0)
				break;
			k += r;
		}
		state = knhk_proc_state(child);
		if ((state == 'S' || state == 'D') && lane_executed(fd, 0) == 1 + k)
			break;
	}
	TH_LOG("the child ran %llu run-cycles before the stream was full on CPU %d",
	       (unsigned long long)k, b);
	ASSERT_GT(STALL_TASKS, k);
	kill(child, SIGKILL);
	EXPECT_TRUE(dies_within(child, 5000));
	close(p[0]);
	ran = lane_executed(fd, 0);
	EXPECT_EQ(1 + k, ran);

	/* Drain B too; nothing may run now. */
	__atomic_store_n(&d.skip, -1, __ATOMIC_RELEASE);
	usleep(500 * 1000);
	EXPECT_EQ(1 + k, lane_executed(fd, 0))
		TH_LOG("a task ran on the killed run-cycle's credit");

	/* The next run-cycle runs the next task and returns its completion. */
	ASSERT_EQ(0, core_run_cycle(fd, 0, &c));
	EXPECT_EQ(k + 1, c.task_id);
	EXPECT_EQ(k + 2, lane_executed(fd, 0));
	ASSERT_EQ(0, core_run_cycle(fd, 0, &c));
	EXPECT_EQ(k + 2, c.task_id);
	drainer_stop(&d);
	close(fd);
}

/*
 * read() holds the reader's lock while copy_to_user() waits for a page
 * (a userfaultfd page, served only at the end). A run-cycle needing that
 * lock must still die on SIGKILL, and must leave nothing behind: the task
 * it was asked for runs on the next run-cycle.
 */
struct uf_reader {
	int fd;
	void *page;
	long ret;
};

static void *uf_read(void *arg)
{
	struct uf_reader *u = arg;

	u->ret = read(u->fd, u->page, sizeof(struct knhk_completion));
	return NULL;
}

TEST(run_cycle_killable_while_read_faults)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { 0 };
	struct uffdio_zeropage zp = { 0 };
	struct knhk_ordered_task ot;
	struct knhk_completion c;
	struct uffd_msg msg;
	struct uf_reader u;
	struct knhk_task t;
	struct pollfd pfd;
	pthread_t th;
	bool died;
	pid_t child;
	__u32 rel;
	int uffd, fd;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_API, &api));
	u.page = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, u.page);
	reg.range.start = (uintptr_t)u.page;
	reg.range.len = pg;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_REGISTER, &reg));

	fd = open_dev(_metadata, 0);
	ASSERT_EQ(0, core_config(fd, KNHK_CONFIG_STEP_MODE, 1, 16, 32));
	/* A completion for read(): an ordered task, released. */
	otask_pure(&ot, 1, 1, 1);
	ASSERT_EQ(0, core_enqueue_ordered(fd, &ot));
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	task_pure(&t, 2, 2);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));

	u.fd = fd;
	ASSERT_EQ(0, pthread_create(&th, NULL, uf_read, &u));
	/* The reader is in copy_to_user() once the fault is reported. */
	pfd = (struct pollfd){ .fd = uffd, .events = POLLIN };
	ASSERT_EQ(1, poll(&pfd, 1, 10000));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	EXPECT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	child = fork();
	ASSERT_LE(0, child);
	if (!child)
		_exit(core_run_cycle(fd, 0, &c) ? 1 : 0);
	usleep(300 * 1000);
	kill(child, SIGKILL);
	died = dies_within(child, 3000);
	EXPECT_TRUE(died) TH_LOG("run-cycle not killable while read() holds the reader's lock");

	/* Serve the page: the read completes, and so would the child. */
	zp.range.start = (uintptr_t)u.page;
	zp.range.len = pg;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_ZEROPAGE, &zp));
	pthread_join(th, NULL);
	EXPECT_EQ(sizeof(struct knhk_completion), u.ret);
	EXPECT_EQ(1, ((struct knhk_completion *)u.page)->task_id);
	if (!died)
		waitpid(child, NULL, 0);

	/* The killed run-cycle took nothing: task 2 runs now. */
	ASSERT_EQ(0, core_run_cycle(fd, 0, &c));
	EXPECT_EQ(2, c.task_id);
	close(fd);
	close(uffd);
	munmap(u.page, pg);
}

TEST_HARNESS_MAIN
