// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_determinism - the seed's third example and the determinism contract:
 * the same calls give the same digest, checksum and event count on any
 * instance; one changed payload or another lane count changes the digest.
 *
 * The mixed test generates a workload of a few thousand tasks from a fixed
 * seed (PURE and programs with lane state and shared state, all
 * priorities, guards flipping between batches, ordered tasks out of order
 * with watermark releases, shared-state loads, batches of 1..256 entries),
 * predicts every completion and the digest's event count and checksum with
 * the model of knhk_core.h, and runs it on two instances at once, reading
 * completions in different patterns. It prints
 *	# KNHK-DIGEST mixed <digest> events=<n>
 * which must be the same on every boot, whatever the CPU count.
 */
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "knhk_mixed.h"

/* ---- the tests ---- */

FIXTURE(det) {
	struct mx_workload w;
};

FIXTURE_SETUP(det)
{
	memset(&self->w, 0, sizeof(self->w));
}

FIXTURE_TEARDOWN(det)
{
	mx_free(&self->w);
}

#define MIXED_SEED	0x6b6e686b2d6d6978ULL	/* "knhk-mix" */
#define MIXED_TASKS	5000

/*
 * The mixed workload on two instances at once: every completion as the
 * model predicts, the same digest at every digest point on both, and the
 * final digest printed for comparison across boots.
 */
TEST_F_TIMEOUT(det, mixed_workload, 240)
{
	struct mx_workload *w = &self->w;
	struct mx_run run[2];
	size_t i, kinds[MX_DIGEST + 1] = { 0 };
	const struct knhk_digest *d0, *d1;

	ASSERT_EQ(0, mx_generate(w, MIXED_SEED, MIXED_TASKS, 8, 64, 200));
	for (i = 0; i < w->nops; i++)
		kinds[w->ops[i].kind]++;
	/* The generator covers what it should. */
	EXPECT_LE(1000, w->m->ntasks);
	EXPECT_LT(10, kinds[MX_SUBMIT]);
	EXPECT_LT(10, kinds[MX_SUBMIT_ORDERED]);
	EXPECT_LT(0, kinds[MX_ENQUEUE]);
	EXPECT_LT(0, kinds[MX_ENQUEUE_ORDERED]);
	EXPECT_LT(10, kinds[MX_RELEASE]);
	EXPECT_LT(10, kinds[MX_GUARDS]);
	EXPECT_LT(2, kinds[MX_LOAD_SHARED]);
	{
		size_t st[3] = { 0 }, prio[3] = { 0 }, ord = 0, big = 0;

		for (i = 0; i < w->m->ntasks; i++) {
			const struct cm_task *x = &w->m->tasks[i];

			st[x->want.status]++;
			prio[x->task.priority]++;
			ord += x->ordered;
		}
		for (i = 0; i < w->nops; i++)
			big += w->ops[i].kind == MX_SUBMIT && w->ops[i].count > w->cq;
		EXPECT_LT(100, st[KNHK_STATUS_OK]);
		EXPECT_LT(50, st[KNHK_STATUS_BUDGET_EXCEEDED]);
		EXPECT_LT(50, st[KNHK_STATUS_GUARD_FAILED]);
		EXPECT_LT(100, prio[KNHK_PRIO_HIGH]);
		EXPECT_LT(100, prio[KNHK_PRIO_LOW]);
		EXPECT_LT(300, ord);
		EXPECT_LT(0, big);	/* batches over the in-flight limit */
		TH_LOG("%zu tasks (%zu ordered), %zu calls; OK %zu, budget %zu, guard %zu",
		       w->m->ntasks, ord, w->nops, st[0], st[1], st[2]);
	}

	mx_run_all(_metadata, w, run, 2);
	TH_LOG("EAGAIN restarts: %zu and %zu", run[0].eagain, run[1].eagain);
	ASSERT_EQ(run[0].ndigests, run[1].ndigests);
	for (i = 0; i < run[0].ndigests; i++) {
		d0 = &run[0].digests[i];
		d1 = &run[1].digests[i];
		EXPECT_EQ(d0->digest, d1->digest) TH_LOG("digest point %zu", i);
		EXPECT_EQ(d0->checksum, d1->checksum);
		EXPECT_EQ(d0->events, d1->events);
	}
	if (run[0].ndigests && !run[0].err && !run[1].err) {
		d0 = &run[0].digests[run[0].ndigests - 1];
		printf("# KNHK-DIGEST mixed %016llx events=%llu\n",
		       (unsigned long long)d0->digest,
		       (unsigned long long)d0->events);
		fflush(stdout);
	}
	for (i = 0; i < 2; i++)
		mx_run_free(&run[i]);
}

/* Seed example 3: the same workload on two instances, one after the other. */
TEST_F_TIMEOUT(det, same_workload_same_digest, 120)
{
	struct mx_workload *w = &self->w;
	struct mx_run run[1];
	struct knhk_digest d[2];
	int k;

	ASSERT_EQ(0, mx_generate(w, 0x5eed3, 400, 4, 64, 128));
	for (k = 0; k < 2; k++) {
		mx_run_all(_metadata, w, run, 1);
		ASSERT_LT(0, run[0].ndigests);
		d[k] = run[0].digests[run[0].ndigests - 1];
		mx_run_free(&run[0]);
	}
	EXPECT_EQ(d[0].digest, d[1].digest);
	EXPECT_EQ(d[0].checksum, d[1].checksum);
	EXPECT_EQ(d[0].events, d[1].events);
	EXPECT_EQ(w->m->events, d[0].events);
	EXPECT_EQ(w->m->checksum, d[0].checksum);
}

/* One process of isolation_under_load: 0 if it reproduced @want. */
static int isolated_run(const struct mx_workload *w, __u64 want)
{
	struct mx_run r = { .w = w, .chunk = 16, .eager = true };
	int ret = 1;

	r.fd = knhk_open(O_NONBLOCK);
	if (r.fd < 0)
		return 3;
	mx_run_fn(&r);
	if (!r.err && r.ndigests)
		ret = r.digests[r.ndigests - 1].digest == want ? 0 : 2;
	if (r.err)
		fprintf(stderr, "# isolated run: %s\n", r.why);
	mx_run_free(&r);
	close(r.fd);
	return ret;
}

#define ISOLATED	4

/*
 * Isolation under load: four different workloads, each first alone, then
 * all four at once on four instances, each driven by its own process.
 * Every process must check out against the model and reproduce the
 * digest of its solo run.
 */
TEST_F_TIMEOUT(det, isolation_under_load, 240)
{
	struct mx_workload w[ISOLATED];
	__u64 solo[ISOLATED];
	pid_t pid[ISOLATED];
	struct mx_run run[1];
	int k, status;

	memset(w, 0, sizeof(w));
	for (k = 0; k < ISOLATED; k++) {
		ASSERT_EQ(0, mx_generate(&w[k], 0x150ULL + k, 1500, 2U << k,
					 64, 150));
		mx_run_all(_metadata, &w[k], run, 1);
		ASSERT_LT(0, run[0].ndigests);
		solo[k] = run[0].digests[run[0].ndigests - 1].digest;
		mx_run_free(&run[0]);
	}
	for (k = 0; k < ISOLATED; k++) {
		pid[k] = fork();
		ASSERT_LE(0, pid[k]);
		if (!pid[k])
			_exit(isolated_run(&w[k], solo[k]));
	}
	for (k = 0; k < ISOLATED; k++) {
		ASSERT_EQ(pid[k], waitpid(pid[k], &status, 0));
		EXPECT_TRUE(WIFEXITED(status) && !WEXITSTATUS(status))
			TH_LOG("process %d (%u lanes): status %#x, solo digest %016llx",
			       k, 2U << k, status, (unsigned long long)solo[k]);
	}
	for (k = 0; k < ISOLATED; k++)
		mx_free(&w[k]);
}

/*
 * Run @n PURE tasks (payload i, except @bump added to task @which) and a few
 * ordered ones on a fresh instance of @lanes lanes; return its digest.
 */
static void plain_digest(struct __test_metadata *_metadata, __u32 lanes,
			 size_t which, __u64 bump, struct knhk_digest *d,
			 struct knhk_completion *c)
{
	struct knhk_ordered_task ot[4];
	struct knhk_task t[100];
	int fd = open_dev(_metadata, 0);
	size_t i;

	ASSERT_EQ(0, core_config(fd, 0, lanes, 64, 256));
	for (i = 0; i < 100; i++)
		task_pure(&t[i], i, i + (i == which ? bump : 0));
	for (i = 0; i < 4; i++)
		otask_pure(&ot[i], 200 - i, 100 + i, i);
	ASSERT_EQ(0, core_submit(fd, t, 60, NULL));
	ASSERT_EQ(0, core_submit_ordered(fd, ot, 4, NULL));
	ASSERT_EQ(0, core_submit(fd, t + 60, 40, NULL));
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, NULL));
	ASSERT_EQ(0, core_digest(fd, d));
	ASSERT_EQ(104, knhk_read_all(fd, c, 104));
	qsort(c, 104, sizeof(*c), cmp_completion);
	close(fd);
}

/* One payload differs: another digest, the same timestamps and count. */
TEST(one_payload_changes_digest)
{
	struct knhk_completion a[104], b[104];
	struct knhk_digest d[2];

	plain_digest(_metadata, 4, 0, 0, &d[0], a);
	plain_digest(_metadata, 4, 57, 1, &d[1], b);
	EXPECT_NE(d[0].digest, d[1].digest);
	EXPECT_EQ(d[0].checksum, d[1].checksum);
	EXPECT_EQ(d[0].events, d[1].events);
	EXPECT_EQ(2 * 104 + 1, d[0].events);
	EXPECT_NE(a[57].output, b[57].output);
	EXPECT_EQ(knhk_mix64(58), b[57].output);
}

/*
 * Another lane count: the same plain workload has the same outcomes but
 * another digest, since the configuration is part of it. An empty
 * instance's digest differs by lane count too.
 */
TEST(lane_count_changes_digest)
{
	struct knhk_completion a[104], b[104];
	struct knhk_digest d[2], e[2];
	int i, fd;

	plain_digest(_metadata, 4, 0, 0, &d[0], a);
	plain_digest(_metadata, 8, 0, 0, &d[1], b);
	EXPECT_NE(d[0].digest, d[1].digest);
	EXPECT_EQ(d[0].events, d[1].events);
	for (i = 0; i < 104; i++) {
		EXPECT_EQ(a[i].task_id, b[i].task_id);
		EXPECT_EQ(a[i].output, b[i].output);
		EXPECT_EQ(a[i].status, b[i].status);
		EXPECT_EQ(a[i].ticks, b[i].ticks);
	}
	for (i = 0; i < 2; i++) {
		fd = open_dev(_metadata, 0);
		ASSERT_EQ(0, core_config(fd, 0, 4 << i, 64, 256));
		ASSERT_EQ(0, core_digest(fd, &e[i]));
		EXPECT_EQ(0, e[i].events);
		EXPECT_EQ(0, e[i].checksum);
		close(fd);
	}
	EXPECT_NE(e[0].digest, e[1].digest);
}

/*
 * The digest is not an event: asking twice gives the same answer, and it
 * does not tick the submit clock.
 */
TEST(digest_is_not_logged)
{
	struct knhk_completion c;
	struct knhk_digest d[3];
	struct knhk_task t;
	int fd = open_dev(_metadata, 0), i;

	ASSERT_EQ(0, core_digest(fd, &d[0]));
	for (i = 0; i < 3; i++) {
		task_pure(&t, i, i);
		ASSERT_EQ(0, knhk_enqueue(fd, &t));
		ASSERT_EQ(0, core_digest(fd, &d[1]));
		ASSERT_EQ(0, core_digest(fd, &d[2]));
		EXPECT_EQ(d[1].digest, d[2].digest);
		EXPECT_NE(d[0].digest, d[1].digest);
		EXPECT_EQ(2 * (i + 1), d[1].events);
		d[0] = d[1];
		ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
		EXPECT_EQ(i + 1, c.enqueue_ts);
	}
	close(fd);
}

TEST_HARNESS_MAIN
