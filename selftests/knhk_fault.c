// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_fault - allocation failures injected with failslab and
 * /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB; the
 * failslab knobs in debugfs need CONFIG_FAULT_INJECTION_DEBUG_FS).
 *
 * A fixed workload (knhk_rel.h) is run step by step: open, configure, the
 * first logged call (which allocates the lanes, batch buffer, heap and
 * replay relay: a plain submit, an ordered submit or a release, by plan),
 * the other calls, read, digest, close (instance teardown). For each step
 * and n = 1, 2, ... the n-th slab allocation of that one call fails, until
 * the call makes fewer than n. Each time: the call either succeeds or
 * fails with ENOMEM; failed, it succeeds when repeated; the rest of the
 * workload then runs to the digest of an uninjected run. Nothing may leak
 * (the debug lane scans kmemleak after the selftests) and no kernel error
 * may be logged.
 *
 * failslab skips allocations that may sleep unless ignore-gfp-wait is N,
 * which this test sets (and verbose 0: no stack dump per failure), then
 * restores. vmalloc fallbacks that fail print an allocation failure
 * warning with a stack trace: expected here, so the console log level is
 * lowered while injecting, and the test itself scans the kernel log for
 * error reports instead.
 */
#include "kselftest_harness.h"
#include "knhk_rel.h"

#define FAILSLAB	"/sys/kernel/debug/failslab"
#define FAULT_MAX_N	2000

FIXTURE(fault) {
	int nth;
	int kmsg;
	int level;
	char ignore_wait[16];
	char verbose[16];
	bool ready;
};

FIXTURE_SETUP(fault)
{
	self->nth = open("/proc/thread-self/fail-nth", O_RDWR | O_CLOEXEC);
	if (self->nth < 0 || access(FAILSLAB, F_OK))
		return;		/* the tests skip */
	ASSERT_LT(0, knhk_read_file(FAILSLAB "/ignore-gfp-wait", self->ignore_wait,
				    sizeof(self->ignore_wait)));
	ASSERT_LT(0, knhk_read_file(FAILSLAB "/verbose", self->verbose,
				    sizeof(self->verbose)));
	ASSERT_EQ(0, rel_write_file(FAILSLAB "/ignore-gfp-wait", "N"));
	ASSERT_EQ(0, rel_write_file(FAILSLAB "/verbose", "0"));
	self->kmsg = rel_kmsg_open();
	ASSERT_LE(0, self->kmsg);
	self->level = rel_console_level(1);
	self->ready = true;
}

FIXTURE_TEARDOWN(fault)
{
	if (self->ready) {
		rel_console_level(self->level);
		rel_write_file(FAILSLAB "/ignore-gfp-wait", self->ignore_wait);
		rel_write_file(FAILSLAB "/verbose", self->verbose);
		close(self->kmsg);
	}
	if (self->nth >= 0)
		close(self->nth);
}

static int nth_set(int fd, int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%d", n);

	return pwrite(fd, buf, len, 0) == len ? 0 : -errno;
}

/* What is left of the count: 0 when the n-th allocation was failed. */
static int nth_left(int fd)
{
	char buf[16] = "";

	if (pread(fd, buf, sizeof(buf) - 1, 0) <= 0)
		return -1;
	return atoi(buf);
}

struct fault_counts {
	int points;	/* allocations of the call that were failed, one per run */
	int failed;	/* runs where the call returned ENOMEM */
	int nodir;	/* opens that succeeded without a debugfs directory */
	int stale;	/* known bug: stale replay file after relay_open failed */
};

/*
 * A known bug: relay_open() (6.1) failing for a CPU other than the first
 * leaves the first CPU's buffer and its file replay<cpu> behind: its error
 * path, relay_destroy_buf() of the failed buffer, clears the per-CPU slot
 * of buf->cpu, which is still 0 then. Every later relay_open() of the
 * instance fails on the existing file: the instance can never start
 * (ENOMEM each time). Seen as: not started, yet a replay file.
 */
static bool stale_replay(int fd)
{
	char path[128], buf[512];
	long id = rel_instance(fd);

	snprintf(path, sizeof(path), REL_DEBUGFS "/%ld/config", id);
	if (knhk_read_file(path, buf, sizeof(buf)) <= 0 || !strstr(buf, "started 0"))
		return false;
	snprintf(path, sizeof(path), REL_DEBUGFS "/%ld/replay0", id);
	return access(path, F_OK) == 0;
}

/* What the instance's debugfs directory holds, for a failure's log. */
static void show_dir(int fd)
{
	char path[128];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), REL_DEBUGFS "/%ld", rel_instance(fd));
	d = opendir(path);
	if (!d) {
		printf("# %s: %s\n", path, strerror(errno));
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			printf("# %s/%s\n", path, de->d_name);
	closedir(d);
}

static bool instance_has_dir(int fd)
{
	char path[128];

	snprintf(path, sizeof(path), REL_DEBUGFS "/%ld", rel_instance(fd));
	return access(path, F_OK) == 0;
}

/*
 * Fail each allocation of step @pos of @plan in turn. Returns the counts;
 * checks everything described at the top.
 */
static void inject_step(struct __test_metadata *_metadata, int nth,
			const int *plan, int pos, __u32 flags,
			const struct knhk_digest *ref, struct fault_counts *fc)
{
	int step = plan[pos], n, i, r, left;
	struct rel_wl *w = malloc(sizeof(*w));

	ASSERT_NE(NULL, w);
	memset(fc, 0, sizeof(*fc));
	for (n = 1; n <= FAULT_MAX_N; n++) {
		rel_wl_init(w, flags);
		for (i = 0; i < pos; i++)
			ASSERT_EQ(0, rel_wl_step(w, plan[i]))
				TH_LOG("step %s", rel_step_name[plan[i]]);
		ASSERT_EQ(0, nth_set(nth, n));
		r = rel_wl_step(w, step);
		left = nth_left(nth);
		ASSERT_EQ(0, nth_set(nth, 0));
		if (left) {
			/* The call made fewer than n allocations. */
			EXPECT_EQ(0, r) TH_LOG("%s: %d without injection", rel_step_name[step], r);
			if (w->fd >= 0)
				close(w->fd);
			break;
		}
		fc->points++;
		if (!r && step == RW_OPEN && (flags & KNHK_CONFIG_REPLAY) &&
		    !instance_has_dir(w->fd)) {
			/*
			 * Opened without its debugfs directory (debugfs is
			 * optional): the replay stream cannot be opened, and
			 * the first logged call fails with ENOMEM, every time.
			 */
			fc->nodir++;
			for (i = pos + 1; plan[i] != RW_END; i++) {
				r = rel_wl_step(w, plan[i]);
				if (r)
					break;
			}
			EXPECT_EQ(-ENOMEM, r) TH_LOG("replay without a debugfs directory: %d", r);
			if (w->fd >= 0)
				close(w->fd);
			continue;
		}
		if (r) {
			EXPECT_EQ(-ENOMEM, r)
				TH_LOG("%s, allocation %d failed: %d (%s)",
				       rel_step_name[step], n, r, strerror(-r));
			fc->failed++;
			/* A failed call changed nothing: it works when repeated. */
			r = rel_wl_step(w, step);
			if (r == -ENOMEM && stale_replay(w->fd))
				fc->stale++;
			if (r)
				show_dir(w->fd);
			ASSERT_EQ(0, r) TH_LOG("%s, after allocation %d failed, repeated: %d",
					       rel_step_name[step], n, r);
		}
		for (i = pos + 1; plan[i] != RW_END; i++) {
			r = rel_wl_step(w, plan[i]);
			ASSERT_EQ(0, r) TH_LOG("%s after %s allocation %d failed: %d",
					       rel_step_name[plan[i]], rel_step_name[step], n, r);
		}
		if (step != RW_CLOSE) {
			EXPECT_EQ(ref->digest, w->d.digest)
				TH_LOG("%s, allocation %d failed: digest differs",
				       rel_step_name[step], n);
			EXPECT_EQ(ref->events, w->d.events);
		}
		if (w->fd >= 0)
			close(w->fd);
	}
	EXPECT_GE(FAULT_MAX_N, n) TH_LOG("%s: more than %d allocations?",
					 rel_step_name[step], FAULT_MAX_N);
	free(w);
}

static void run_plan(struct __test_metadata *_metadata,
		     struct _test_data_fault *self, const char *name,
		     const int *plan, __u32 flags)
{
	struct fault_counts fc;
	struct rel_wl *ref, *again;
	int pos, total = 0, bad, warns, stale = 0;

	if (!self->ready)
		SKIP(return, "no fail-nth or %s (CONFIG_FAULT_INJECTION_DEBUG_FS, CONFIG_FAILSLAB)",
		     FAILSLAB);
	ref = malloc(sizeof(*ref));
	again = malloc(sizeof(*again));
	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, again);
	rel_wl_init(ref, flags);
	ASSERT_EQ(0, rel_wl_run(ref, plan));
	for (pos = 0; plan[pos] != RW_END; pos++) {
		inject_step(_metadata, self->nth, plan, pos, flags, &ref->d, &fc);
		printf("# %s: %-14s %3d allocation points failed, %3d calls returned ENOMEM\n",
		       name, rel_step_name[plan[pos]], fc.points, fc.failed);
		if (fc.stale)
			printf("# %s: %-14s %3d stale replay files\n",
			       name, rel_step_name[plan[pos]], fc.stale);
		stale += fc.stale;
		if (fc.nodir)
			printf("# %s: %-14s %3d opens without debugfs dir: ENOMEM\n",
			       name, rel_step_name[plan[pos]], fc.nodir);
		total += fc.points;
	}
	printf("# %s: %d failure points in all\n", name, total);
	/* Still usable: a fresh run, uninjected, to the same digest. */
	rel_wl_init(again, flags);
	ASSERT_EQ(0, rel_wl_run(again, plan));
	EXPECT_EQ(ref->d.digest, again->d.digest);
	bad = rel_kmsg_bad(self->kmsg, &warns);
	EXPECT_EQ(0, bad) TH_LOG("kernel error reports while injecting");
	printf("# %s: %d allocation failure warnings in the kernel log (expected)\n",
	       name, warns);
	free(ref);
	free(again);
	EXPECT_EQ(0, stale) TH_LOG("a failed relay_open left a stale replay file");
}

TEST_F_TIMEOUT(fault, submit_first, 300)
{
	run_plan(_metadata, self, "submit-first", rel_plan_submit, 0);
}

TEST_F_TIMEOUT(fault, submit_first_replay, 300)
{
	run_plan(_metadata, self, "submit-first+replay", rel_plan_submit,
		 KNHK_CONFIG_REPLAY | KNHK_CONFIG_REPLAY_DROP);
}

TEST_F_TIMEOUT(fault, ordered_first_replay, 300)
{
	run_plan(_metadata, self, "ordered-first+replay", rel_plan_ordered,
		 KNHK_CONFIG_REPLAY | KNHK_CONFIG_REPLAY_DROP);
}

TEST_F_TIMEOUT(fault, release_first, 300)
{
	run_plan(_metadata, self, "release-first", rel_plan_release, 0);
}

TEST_HARNESS_MAIN
