// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_lanes - many lanes (DESIGN.md §5: a worker's pass is bounded and
 * yields; its cost does not grow with idle lanes):
 *
 * - idle lanes cost nothing: while a one-lane instance runs beside 64
 *   open files of 256 idle lanes each, no worker takes an idle lane up
 *   (debugfs runs; its speed alone and beside them is printed as
 *   "# idle lanes: ...");
 * - 64 files of 256 lanes, a few tasks on every lane, while CPUs go
 *   offline and online: every instance ends with the digest of the same
 *   workload run alone, and the kernel reports nothing (soft lockup, RCU
 *   stall, hung task, lockdep, KASAN).
 */
#include "kselftest_harness.h"
#include "knhk_rel.h"

#define NFD		64
#define LANES		256
#define PER_LANE	3
#define NTASKS		(LANES * PER_LANE)
#define BUSY_TASKS	20000
#define BUSY_BATCH	16

/* Lane state through a program: the lane's tasks depend on their order. */
static void lane_task(struct knhk_task *t, __u64 id)
{
	task_prog(t, id, id * 0x9e3779b97f4a7c15ULL, 4);
	task_insn(t, KNHK_OP_LDL, 1, 0, id % KNHK_LANE_SLOTS);
	task_insn(t, KNHK_OP_MIX, 0, 1, 0);
	task_insn(t, KNHK_OP_STL, 0, 0, id % KNHK_LANE_SLOTS);
}

static void workload(struct knhk_task *t)
{
	int i;

	for (i = 0; i < NTASKS; i++)
		lane_task(&t[i], i);
}

/* Configure @fd with 256 lanes and submit the workload; 0 or -errno. */
static int start(int fd, const struct knhk_task *t)
{
	int r = core_config(fd, 0, LANES, 4, (LANES + 1) * 4), k;

	for (k = 0; !r && k < NTASKS; k += KNHK_MAX_BATCH)
		r = core_submit(fd, t + k, KNHK_MAX_BATCH, NULL);
	return r;
}

/* Read the workload's completions and take the digest. */
static int finish(int fd, struct knhk_digest *d)
{
	static struct knhk_completion c[NTASKS];
	long n = knhk_read_all(fd, c, NTASKS);

	if (n != NTASKS)
		return n < 0 ? n : -EIO;
	return core_digest(fd, d);
}

/*
 * One lane, BUSY_TASKS tasks in a closed loop of small batches (each one
 * pass of the lane's worker); tasks per second, and in @best the fastest
 * round trip of a batch in ms: the least a pass costs, whatever else the
 * machine was doing meanwhile.
 */
static double run_busy(double *best)
{
	struct knhk_completion c[BUSY_BATCH];
	struct knhk_task t[BUSY_BATCH];
	int fd = knhk_open(0), i, k, r;
	double t0;

	if (fd < 0)
		return -errno;
	r = core_config(fd, 0, 1, 1024, 1024);
	/* Started (allocated, attached) before the clock starts. */
	task_pure(&t[0], BUSY_TASKS, 0);
	if (!r && (knhk_enqueue(fd, &t[0]) || knhk_read_all(fd, c, 1) != 1))
		r = -EIO;
	t0 = now_ms();
	for (k = 0; !r && k < BUSY_TASKS; k += BUSY_BATCH) {
		double t1 = now_ms();

		for (i = 0; i < BUSY_BATCH; i++)
			task_pure(&t[i], k + i, k + i);
		r = core_submit(fd, t, BUSY_BATCH, NULL);
		if (!r && knhk_read_all(fd, c, BUSY_BATCH) != BUSY_BATCH)
			r = -EIO;
		t1 = now_ms() - t1;
		if (!*best || t1 < *best)
			*best = t1;
	}
	t0 = now_ms() - t0;
	close(fd);
	return r ? r : BUSY_TASKS / (t0 / 1e3);
}

static int write_str(const char *path, const char *s)
{
	return rel_write_file(path, s);
}

static void cpu_online_path(char *path, size_t len, long cpu)
{
	snprintf(path, len, "/sys/devices/system/cpu/cpu%ld/online", cpu);
}

/* A child that takes CPUs 1.. offline and back until killed. */
static pid_t hotplug_storm(long ncpus)
{
	char path[64];
	pid_t pid = fork();
	long c;

	if (pid)
		return pid;
	for (;;)
		for (c = 1; c < ncpus; c++) {
			cpu_online_path(path, sizeof(path), c);
			if (!write_str(path, "0"))
				write_str(path, "1");
		}
}

static void all_online(long ncpus)
{
	char path[64];
	long c;

	for (c = 1; c < ncpus; c++) {
		cpu_online_path(path, sizeof(path), c);
		write_str(path, "1");
	}
}

FIXTURE(lanes) {
	int fd[NFD];
	struct knhk_task t[NTASKS];
	struct knhk_digest solo;
};

FIXTURE_SETUP(lanes)
{
	int fd, i;

	for (i = 0; i < NFD; i++)
		self->fd[i] = -1;
	workload(self->t);
	OPEN_DEV(fd, 0);
	ASSERT_EQ(0, start(fd, self->t));
	ASSERT_EQ(0, finish(fd, &self->solo));
	close(fd);
}

FIXTURE_TEARDOWN(lanes)
{
	int i;

	for (i = 0; i < NFD; i++)
		if (self->fd[i] >= 0)
			close(self->fd[i]);
}

#define IDLE_ROUNDS	3

/* Runs of the idle instances' lanes so far (rel_lane_runs()), or -errno. */
static long long idle_runs(const int *fd)
{
	long long sum = 0, r;
	int i;

	for (i = 0; i < NFD; i++) {
		r = rel_lane_runs(fd[i]);
		if (r < 0)
			return r;
		sum += r;
	}
	return sum;
}

/*
 * Rounds of the one-lane instance alone, then beside 64 x 256 idle lanes.
 * Asserted, counted rather than timed: while the busy lane runs its
 * batches, no worker runs an idle lane (at most once each, for a kick
 * still queued when its instance finished). A pass that looked at every
 * idle lane would count 16,384 runs per pass, and the busy lane makes
 * hundreds of passes. The fastest round trip of a batch, alone and in the
 * crowd, and throughput are printed for the record: under TCG they move
 * with the host's load and with where the scheduler puts the submitter
 * (0.51 to 1.26 between kernels in one run), too much for a bound that
 * cannot fail by chance.
 */
TEST_F_TIMEOUT(lanes, idle_lanes_cost_nothing, 600)
{
	double alone = 0, crowded = 0, rt_alone = 0, rt_crowded = 0, r;
	long long before, after, extra = 0;
	struct knhk_digest d;
	int i, k;

	if (access(REL_DEBUGFS, R_OK))
		SKIP(return, "no %s", REL_DEBUGFS);
	for (k = 0; k < IDLE_ROUNDS; k++) {
		r = run_busy(&rt_alone);
		ASSERT_LT(0, r);
		alone = r > alone ? r : alone;
		/* 64 x 256 lanes, each run once, then idle. */
		for (i = 0; i < NFD; i++) {
			OPEN_DEV(self->fd[i], 0);
			ASSERT_EQ(0, start(self->fd[i], self->t)) TH_LOG("fd %d", i);
			ASSERT_EQ(0, finish(self->fd[i], &d)) TH_LOG("fd %d", i);
			EXPECT_EQ(self->solo.digest, d.digest) TH_LOG("fd %d", i);
		}
		before = idle_runs(self->fd);
		ASSERT_LE(0, before) TH_LOG("no runs in debugfs stats: %lld", before);
		r = run_busy(&rt_crowded);
		ASSERT_LT(0, r);
		crowded = r > crowded ? r : crowded;
		after = idle_runs(self->fd);
		EXPECT_GE(NFD * LANES, after - before)
			TH_LOG("round %d: idle lanes ran %lld times beside a busy one",
			       k, after - before);
		extra += after - before;
		for (i = 0; i < NFD; i++) {
			close(self->fd[i]);
			self->fd[i] = -1;
		}
	}
	printf("# idle lanes: one lane alone %.0f tasks/s, best round trip %.3f ms; ",
	       alone, rt_alone);
	printf("beside %d idle lanes %.0f tasks/s, %.3f ms; ratio %.2f; ",
	       NFD * LANES, crowded, rt_crowded, rt_alone / rt_crowded);
	printf("idle lanes ran %lld times beside it\n", extra);
}

TEST_F_TIMEOUT(lanes, many_lanes_hotplug, 600)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	struct knhk_digest d;
	int kmsg = rel_kmsg_open(), i, bad, alloc;
	pid_t storm = -1;
	char path[64];
	double t0;

	cpu_online_path(path, sizeof(path), 1);
	if (ncpus >= 2 && !access(path, W_OK))
		storm = hotplug_storm(ncpus);
	ASSERT_LE(-1, storm);
	t0 = now_ms();
	for (i = 0; i < NFD; i++) {
		OPEN_DEV(self->fd[i], 0);
		ASSERT_EQ(0, start(self->fd[i], self->t)) TH_LOG("fd %d", i);
	}
	for (i = 0; i < NFD; i++) {
		EXPECT_EQ(0, finish(self->fd[i], &d)) TH_LOG("fd %d", i);
		EXPECT_EQ(self->solo.digest, d.digest) TH_LOG("fd %d", i);
		EXPECT_EQ(self->solo.events, d.events) TH_LOG("fd %d", i);
	}
	for (i = 0; i < NFD; i++) {
		close(self->fd[(i * 7) % NFD]);
		self->fd[(i * 7) % NFD] = -1;
	}
	if (storm > 0) {
		kill(storm, SIGKILL);
		waitpid(storm, NULL, 0);
		all_online(ncpus);
	}
	printf("# %d x %d lanes, %d tasks each%s: %.1f s\n", NFD, LANES,
	       NTASKS, storm > 0 ? ", CPU hotplug storm" : "",
	       (now_ms() - t0) / 1e3);
	if (kmsg >= 0) {
		bad = rel_kmsg_bad(kmsg, &alloc);
		EXPECT_EQ(0, bad) TH_LOG("kernel reports during the run");
		close(kmsg);
	}
}

#define STEAL_FDS	16
#define STEAL_PER_LANE	16
#define STEAL_TASKS	(LANES * STEAL_PER_LANE)
#define PARAM_STEAL	"/sys/module/" REL_MODNAME "/parameters/steal"
#define PARAM_STEALS	"/sys/module/" REL_MODNAME "/parameters/steals"

/* 256 lanes of 16 tasks; the digest, or zeroes if something failed. */
static int run_steal_workload(int fd, const struct knhk_task *t,
			      struct knhk_digest *d)
{
	static struct knhk_completion c[STEAL_TASKS];
	int r = core_config(fd, 0, LANES, 32, (LANES + 1) * 32), k;

	for (k = 0; !r && k < STEAL_TASKS; k += KNHK_MAX_BATCH)
		r = core_submit(fd, t + k, KNHK_MAX_BATCH, NULL);
	if (!r && knhk_read_all(fd, c, STEAL_TASKS) != STEAL_TASKS)
		r = -EIO;
	return r ?: core_digest(fd, d);
}

/*
 * The same with lane stealing on: lanes move between workers both ways,
 * by hotplug and by idle workers taking them, and the digests hold.
 */
TEST_F_TIMEOUT(lanes, many_lanes_stealing_hotplug, 600)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	static struct knhk_task t[STEAL_TASKS];
	int kmsg = rel_kmsg_open(), fd[STEAL_FDS], i, alloc;
	struct knhk_digest solo, d;
	char before[32] = "", after[32] = "", path[64];
	pid_t storm = -1;

	for (i = 0; i < STEAL_TASKS; i++)
		lane_task(&t[i], i);
	OPEN_DEV(fd[0], 0);
	ASSERT_EQ(0, run_steal_workload(fd[0], t, &solo));
	close(fd[0]);
	if (rel_write_file(PARAM_STEAL, "1"))
		SKIP(return, "cannot turn %s on", PARAM_STEAL);
	knhk_read_file(PARAM_STEALS, before, sizeof(before));
	cpu_online_path(path, sizeof(path), 1);
	if (ncpus >= 2 && !access(path, W_OK))
		storm = hotplug_storm(ncpus);
	for (i = 0; i < STEAL_FDS; i++)
		OPEN_DEV(fd[i], 0);
	for (i = 0; i < STEAL_FDS; i++) {
		EXPECT_EQ(0, run_steal_workload(fd[i], t, &d)) TH_LOG("fd %d", i);
		EXPECT_EQ(solo.digest, d.digest) TH_LOG("fd %d", i);
	}
	for (i = 0; i < STEAL_FDS; i++)
		close(fd[i]);
	if (storm > 0) {
		kill(storm, SIGKILL);
		waitpid(storm, NULL, 0);
		all_online(ncpus);
	}
	rel_write_file(PARAM_STEAL, "0");
	knhk_read_file(PARAM_STEALS, after, sizeof(after));
	printf("# stealing: %ld lanes stolen\n", atol(after) - atol(before));
	if (kmsg >= 0) {
		EXPECT_EQ(0, rel_kmsg_bad(kmsg, &alloc))
			TH_LOG("kernel reports during the run");
		close(kmsg);
	}
}

TEST_HARNESS_MAIN
