// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_life - lifecycle: unload refused while a file is open (the device,
 * or any debugfs file of an instance whose device is closed), files closed
 * with tasks in flight, processes killed while a call blocks (full lane
 * ring, full lossless replay stream on the submit path, barrier behind a
 * stalled worker, release on a full stream), and, last, the module unloaded
 * and loaded 100 times. After each, a fresh instance must still run the
 * reference workload to the reference digest (no stuck worker, nothing
 * left behind); the debug lane scans kmemleak after all selftests.
 *
 * Loading needs the module file: $KNHK_KO, else /knhk/knhk_sched.ko (the
 * test guest's); the tests that unload skip without it.
 */
#include "kselftest_harness.h"
#include "knhk_rel.h"

#define LIFE_CYCLES	100

FIXTURE(life) {
	struct rel_wl ref;
};

FIXTURE_SETUP(life)
{
	rel_wl_init(&self->ref, 0);
	ASSERT_EQ(0, rel_wl_run(&self->ref, rel_plan_submit))
		TH_LOG("reference workload: is knhk_sched.ko loaded?");
}

FIXTURE_TEARDOWN(life)
{
}

/* A fresh instance runs the workload to the reference digest. */
static void check_fresh(struct __test_metadata *_metadata,
			const struct rel_wl *ref)
{
	struct rel_wl w;

	rel_wl_init(&w, 0);
	ASSERT_EQ(0, rel_wl_run(&w, rel_plan_submit));
	EXPECT_EQ(ref->d.digest, w.d.digest);
	EXPECT_EQ(ref->d.events, w.d.events);
	EXPECT_EQ(ref->d.checksum, w.d.checksum);
}

static bool have_ko(void)
{
	return access(rel_ko_path(), R_OK) == 0;
}

TEST_F_TIMEOUT(life, rmmod_refused_while_open, 60)
{
	int fd, fd2, r;

	if (!have_ko())
		SKIP(return, "no module file %s to load again", rel_ko_path());
	OPEN_DEV(fd, 0);
	r = rel_unload();
	EXPECT_TRUE(r == -EWOULDBLOCK || r == -EBUSY)
		TH_LOG("delete_module with an open fd: %d (%s)", r, strerror(-r));
	if (!r)
		ASSERT_EQ(0, rel_load());
	/* The open file still works. */
	ASSERT_EQ(0, rel_wl_step(&(struct rel_wl){ .fd = fd }, RW_DIGEST));

	/* A second, started instance keeps the module too. */
	OPEN_DEV(fd2, 0);
	close(fd);
	r = rel_unload();
	EXPECT_TRUE(r == -EWOULDBLOCK || r == -EBUSY) TH_LOG("got %d", r);
	if (!r)
		ASSERT_EQ(0, rel_load());
	close(fd2);

	/* Closed: unload and load work. */
	ASSERT_EQ(0, rel_unload());
	ASSERT_NE(0, access(KNHK_DEV, F_OK)) TH_LOG("device node left after unload");
	ASSERT_EQ(0, rel_load());
	check_fresh(_metadata, &self->ref);
}

/*
 * Open @name in instance @fd's debugfs directory, close the device, and
 * try to unload: refused while @name is open, done once it is closed.
 * Before replay files pinned the module, the unload went through and the
 * close of replay0 then ran the freed module's file operations.
 */
static void unload_with_file_open(struct __test_metadata *_metadata, int fd,
				  const char *name)
{
	char path[128], buf[64];
	int ffd, r;

	snprintf(path, sizeof(path), REL_DEBUGFS "/%ld/%s", rel_instance(fd),
		 name);
	ffd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (ffd < 0 && errno == ENOENT && access(REL_DEBUGFS, F_OK))
		SKIP(return, "no %s (debugfs not mounted?)", REL_DEBUGFS);
	ASSERT_LE(0, ffd) TH_LOG("%s: %s", path, strerror(errno));
	ASSERT_EQ(0, close(fd));

	r = rel_unload();
	EXPECT_TRUE(r == -EWOULDBLOCK || r == -EBUSY)
		TH_LOG("delete_module with %s open: %d (%s)", name, r,
		       strerror(-r));
	if (!r) {
		/* Unloaded under an open file: the close below runs freed code. */
		TH_LOG("closing %s of an unloaded module", name);
		close(ffd);
		ASSERT_EQ(0, rel_load());
		return;
	}
	/* The instance is gone: the file reads nothing (or EIO), never hangs. */
	r = read(ffd, buf, sizeof(buf));
	EXPECT_TRUE(r <= 0) TH_LOG("read %d bytes from %s of a closed instance",
				   r, name);
	ASSERT_EQ(0, close(ffd));
	ASSERT_EQ(0, rel_unload()) TH_LOG("unload after closing %s", name);
	ASSERT_EQ(0, rel_load());
}

TEST_F_TIMEOUT(life, rmmod_refused_while_debugfs_open, 120)
{
	static const char *const files[] = {
		"replay0", "config", "stats", "digest", "dropped",
	};
	struct knhk_task t;
	unsigned int i;
	int fd;

	if (!have_ko())
		SKIP(return, "no module file %s to load again", rel_ko_path());
	for (i = 0; i < ARRAY_SIZE(files); i++) {
		OPEN_DEV(fd, 0);
		/* Drop mode: nothing waits for a reader. */
		ASSERT_EQ(0, core_config(fd, KNHK_CONFIG_REPLAY |
					 KNHK_CONFIG_REPLAY_DROP, 4, 64, 320));
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(fd, &t));
		ASSERT_EQ(0, knhk_barrier(fd));
		unload_with_file_open(_metadata, fd, files[i]);
	}
	check_fresh(_metadata, &self->ref);
}

TEST_F_TIMEOUT(life, close_with_tasks_in_flight, 120)
{
	enum { NFD = 32, NT = 128 };
	struct knhk_task t[NT];
	struct knhk_ordered_task ot[16];
	int fd[NFD], i, j;
	__u64 seed = 7;

	for (i = 0; i < NFD; i++) {
		__u32 lanes = 1U << (i % 4), ring = 64;
		__u32 flags = 0;

		OPEN_DEV(fd[i], O_NONBLOCK);
		if (i % 4 == 1)
			flags = KNHK_CONFIG_STEP_MODE;
		if (i % 4 == 2)
			flags = KNHK_CONFIG_REPLAY | KNHK_CONFIG_REPLAY_DROP;
		if (i % 8 == 3)
			flags = KNHK_CONFIG_REPLAY;	/* lossless, unread */
		ASSERT_EQ(0, core_config(fd[i], flags, lanes, ring,
					 (lanes + 1) * ring));
		for (j = 0; j < NT; j++)
			task_random(&t[j], i * 1000 + j, &seed);
		/* Whatever fits: full rings answer -EAGAIN. */
		for (j = 0; j < NT; j += 32) {
			int r = core_submit(fd[i], t + j, 32, NULL);

			ASSERT_TRUE(r == 0 || r == -EAGAIN) TH_LOG("fd %d: %d", i, r);
		}
		for (j = 0; j < 16; j++)
			otask_pure(&ot[j], j * 3, i * 1000 + 500 + j, j);
		ASSERT_EQ(0, core_submit_ordered(fd[i], ot, 16, NULL));
		if (i % 2)
			ASSERT_EQ(0, core_release(fd[i], 0, 20, NULL));
	}
	/* Close in an order unlike the opening one. */
	for (i = 0; i < NFD; i++)
		ASSERT_EQ(0, close(fd[(i * 7) % NFD]));
	check_fresh(_metadata, &self->ref);
}

/*
 * Fork a child that runs @fn (which should block), wait until it says it
 * is about to block, check that it does, kill it and require it to die
 * within 10 s. Returns 0 if it died, -1 if it did not (left running).
 */
static int kill_blocked(struct __test_metadata *_metadata,
			void (*fn)(int fd, int pipe_wr, void *arg), int fd,
			void *arg, pid_t *pidp, int settle_ms)
{
	int p[2], st, i;
	char c = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(p[0]);
		fn(fd, p[1], arg);
		_exit(1);	/* it was supposed to block */
	}
	close(p[1]);
	*pidp = pid;
	EXPECT_EQ(1, read(p[0], &c, 1)) TH_LOG("child failed before blocking");
	close(p[0]);
	EXPECT_EQ('b', c);
	/*
	 * Asleep in the call (S, or D for a killable wait) before the settle
	 * time counts: a child the host starved on its way there is runnable
	 * still, and killed then it has made no call.
	 */
	for (i = 0; i < 1000; i++) {
		c = knhk_proc_state(pid);
		if (c == 'S' || c == 'D')
			break;
		usleep(10 * 1000);
	}
	usleep(settle_ms * 1000);
	EXPECT_EQ(0, waitpid(pid, &st, WNOHANG)) TH_LOG("the call did not block");
	TH_LOG("child %d state %c before SIGKILL", pid, knhk_proc_state(pid));
	kill(pid, SIGKILL);
	st = rel_wait_ms(pid, 10000);
	if (st == -1)
		return -1;
	EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
		TH_LOG("status %#x", st);
	return 0;
}

static void say_blocking(int wr)
{
	if (write(wr, "b", 1) != 1)
		_exit(2);
}

/* Child: a batch to one lane of ring 2, nobody reading: blocks at 2. */
static void submit_full_ring(int fd, int wr, void *arg)
{
	struct knhk_task t[16];
	int i;

	(void)arg;
	for (i = 0; i < 16; i++)
		task_pure(&t[i], i * 2, i);
	say_blocking(wr);
	core_submit(fd, t, 16, NULL);
}

TEST_F_TIMEOUT(life, kill_in_submit_full_ring, 60)
{
	struct knhk_completion c[4];
	int fd, i;
	pid_t pid;

	for (i = 0; i < 2; i++) {
		/* Round 0: the instance outlives the child; round 1: not. */
		OPEN_DEV(fd, 0);
		ASSERT_EQ(0, core_config(fd, 0, 2, 2, 6));
		ASSERT_EQ(0, kill_blocked(_metadata, submit_full_ring, fd, NULL,
					  &pid, 300));
		EXPECT_EQ(2, core_submitted(fd));
		if (i == 0) {
			ASSERT_EQ(0, knhk_barrier(fd));
			EXPECT_EQ(2, knhk_read_all(fd, c, 2));
			EXPECT_EQ(0, c[0].task_id);
			EXPECT_EQ(knhk_mix64(0), c[0].output);
		}
		close(fd);
	}
	check_fresh(_metadata, &self->ref);
}

/* Child, on the first online CPU: submit into an unread lossless stream. */
static void submit_full_stream(int fd, int wr, void *arg)
{
	struct knhk_task t[256];
	int i;

	rel_pin_cpu(*(int *)arg);
	for (i = 0; i < 256; i++)
		task_pure(&t[i], i, i);
	say_blocking(wr);
	for (i = 0; i < 8; i++)
		core_submit(fd, t, 256, NULL);
}

static void cfg_small_stream(struct __test_metadata *_metadata, int fd,
			     __u32 lanes, __u32 ring)
{
	struct knhk_config c = {
		.size = sizeof(c), .flags = KNHK_CONFIG_REPLAY, .lanes = lanes,
		.ring_size = ring, .cq_size = (lanes + 1) * ring,
		.replay_subbuf_size = KNHK_REPLAY_MIN_SUBBUF,
		.replay_nr_subbufs = 2,
	};

	ASSERT_EQ(0, knhk_ioctl(fd, KNHK_IOC_CONFIGURE, &c));
}

TEST_F_TIMEOUT(life, kill_in_submit_full_stream, 60)
{
	int cpus[KNHK_MAX_CPUS], fd;
	char path[128], buf[256];
	pid_t pid;

	ASSERT_LT(0, online_cpus(cpus, KNHK_MAX_CPUS));
	OPEN_DEV(fd, 0);
	cfg_small_stream(_metadata, fd, 4, 4096);
	ASSERT_EQ(0, kill_blocked(_metadata, submit_full_stream, fd, &cpus[0],
				  &pid, 300));
	/* Killed inside the stream wait: the events it could not write count as dropped. */
	snprintf(path, sizeof(path), REL_DEBUGFS "/%ld/dropped", rel_instance(fd));
	if (knhk_read_file(path, buf, sizeof(buf)) > 0)
		TH_LOG("dropped after the kill: %s", buf);
	/* Closing the instance with stalled workers must not hang. */
	close(fd);
	check_fresh(_metadata, &self->ref);
}

struct barrier_arg {
	int cpu;
	struct drainer *dr;
};

/*
 * Child: from CPU A submit 1024 tasks to lane 1 (home: CPU B != A) while
 * the parent drains A's stream; B's stream, unread, stalls the worker;
 * then wait in a barrier.
 */
static void barrier_stalled(int fd, int wr, void *arg)
{
	struct barrier_arg *a = arg;
	struct knhk_task t[256];
	int i, k;

	rel_pin_cpu(a->cpu);
	for (k = 0; k < 4; k++) {
		for (i = 0; i < 256; i++)
			task_pure(&t[i], 1 + 4 * (k * 256 + i), i);
		if (core_submit(fd, t, 256, NULL))
			_exit(3);
	}
	say_blocking(wr);
	knhk_barrier(fd);
}

TEST_F_TIMEOUT(life, kill_in_barrier_stalled_worker, 60)
{
	int cpus[KNHK_MAX_CPUS], n, fd;
	struct drainer dr = { 0 };
	struct barrier_arg a;
	pthread_t th;
	pid_t pid;

	n = online_cpus(cpus, KNHK_MAX_CPUS);
	if (n < 2)
		SKIP(return, "needs two online CPUs");
	OPEN_DEV(fd, 0);
	cfg_small_stream(_metadata, fd, 4, 1024);
	/* Start the instance so that its replay files exist. */
	ASSERT_EQ(0, core_release(fd, 0, 0, NULL));
	/* Lane 1's home is the (1 + instance)-th CPU: A is the next one. */
	a.cpu = cpus[(2 + rel_instance(fd)) % n];
	snprintf(dr.path, sizeof(dr.path), REL_DEBUGFS "/%ld/replay%d",
		 rel_instance(fd), a.cpu);
	ASSERT_EQ(0, pthread_create(&th, NULL, drain_fn, &dr));
	a.dr = &dr;
	ASSERT_EQ(0, kill_blocked(_metadata, barrier_stalled, fd, &a, &pid, 500));
	__atomic_store_n(&dr.stop, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	TH_LOG("drained %ld bytes of CPU %d's stream", dr.bytes, a.cpu);
	EXPECT_EQ(1024, core_submitted(fd));
	close(fd);
	check_fresh(_metadata, &self->ref);
}

/*
 * Child, on one CPU: 48 ordered tasks fill that CPU's two 8 KiB
 * sub-buffers but for 320 bytes (24 records of 64 + 264 bytes each: the
 * stream carries a descriptor up to its last instruction, so each task
 * has all KNHK_MAX_INSNS); the release's own event (80 bytes) fits, 3
 * executed events (64) fit, the 4th does not: the release waits for a
 * reader that never comes.
 */
static void release_stalled(int fd, int wr, void *arg)
{
	struct knhk_ordered_task ot[48];
	int i, k;

	rel_pin_cpu(*(int *)arg);
	for (i = 0; i < 48; i++) {
		otask_pure(&ot[i], i, 7000 + i, i);
		task_prog(&ot[i].task, 7000 + i, i, KNHK_MAX_INSNS);
		for (k = 0; k < KNHK_MAX_INSNS; k++)
			task_insn(&ot[i].task, KNHK_OP_XOR, 0, 1, 0);
	}
	if (core_submit_ordered(fd, ot, 48, NULL))
		_exit(3);
	say_blocking(wr);
	core_release(fd, KNHK_RELEASE_ALL, 0, NULL);
}

TEST_F_TIMEOUT(life, kill_in_release_full_stream, 60)
{
	int cpus[KNHK_MAX_CPUS], fd, r, st;
	struct drainer dr = { 0 };
	pthread_t th;
	pid_t pid;

	ASSERT_LT(0, online_cpus(cpus, KNHK_MAX_CPUS));
	OPEN_DEV(fd, 0);
	cfg_small_stream(_metadata, fd, 4, 64);
	r = kill_blocked(_metadata, release_stalled, fd, &cpus[0], &pid, 500);
	if (r) {
		/*
		 * The killed process still loops in the release. Drain the
		 * stream so that it can finish, then fail.
		 */
		snprintf(dr.path, sizeof(dr.path), REL_DEBUGFS "/%ld/replay%d",
			 rel_instance(fd), cpus[0]);
		ASSERT_EQ(0, pthread_create(&th, NULL, drain_fn, &dr));
		st = rel_wait_ms(pid, 20000);
		__atomic_store_n(&dr.stop, 1, __ATOMIC_RELAXED);
		pthread_join(th, NULL);
		EXPECT_NE(-1, st) TH_LOG("still alive after draining the stream");
		EXPECT_EQ(0, r) TH_LOG("release on a full stream ignores SIGKILL");
	}
	close(fd);
	check_fresh(_metadata, &self->ref);
}

TEST_F_TIMEOUT(life, unload_load_100, 300)
{
	struct knhk_completion c;
	struct knhk_task t;
	double t0 = now_ms();
	int i, fd, r;

	if (!have_ko())
		SKIP(return, "no module file %s to load again", rel_ko_path());
	for (i = 0; i < LIFE_CYCLES; i++) {
		/* A killed child's file may take a moment to be released. */
		r = rel_unload();
		ASSERT_EQ(0, r) TH_LOG("cycle %d: unload: %s", i, strerror(-r));
		r = rel_load();
		ASSERT_EQ(0, r) TH_LOG("cycle %d: load: %s", i, strerror(-r));
		OPEN_DEV(fd, 0);
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(fd, &t));
		ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
		EXPECT_EQ(knhk_mix64(i), c.output);
		close(fd);
	}
	printf("# load/unload cycles: %d in %.1f s\n", i, (now_ms() - t0) / 1e3);
	check_fresh(_metadata, &self->ref);
}

TEST_HARNESS_MAIN
