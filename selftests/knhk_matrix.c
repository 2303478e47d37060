// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_matrix - the workload of the determinism matrix
 *
 * One fixed workload of knhk_mixed.h, generated from a fixed seed: plain
 * tasks in single ENQUEUEs and batches of 1..256 (PURE and programs with
 * lane state, all priorities, some over budget, some guarded), ordered
 * tasks with timestamps out of submission order and shared-state
 * programs, releases up to a watermark or of everything, guard changes and
 * shared-state loads between batches, and digest checkpoints. Every
 * completion is checked against the model of knhk_core.h, then the digest
 * is printed as
 *	# KNHK-DIGEST matrix <digest> events=<n>
 * `make check` (stage k) runs this binary in VMs of 1 to 8 CPUs, on the
 * stock and the debug kernel, with the module's perturb and steal
 * parameters on and off and CPU hotplug storms, and requires one digest.
 *
 * Environment: KNHK_MATRIX_TASKS, the number of tasks (default and minimum
 * 10000; `make stress` uses more; the digest depends on it).
 * KNHK_MATRIX_LOG=FILE: run with the replay stream on (lossless) and write
 * it to FILE with knhkctl's reader, for `knhkctl replay diff` when a row
 * of the matrix disagrees. The stream does not change the digest.
 */
#include "kselftest_harness.h"
#include "knhk_mixed.h"

/* knhkctl's stream reader and log writer, as knhk_replay includes them. */
#include "../tools/knhk_log.c"
#include "../tools/knhk_workload.c"
#include "../tools/knhk_dev.c"

#define MATRIX_SEED	0x6b6e686b2d6d7478ULL	/* "knhk-mtx" */
#define MATRIX_TASKS	10000
#define MATRIX_LANES	16
#define MATRIX_RING	64
#define MATRIX_CQ	512

static size_t matrix_tasks(void)
{
	const char *e = getenv("KNHK_MATRIX_TASKS");
	size_t n = e ? strtoul(e, NULL, 0) : 0;

	return n < MATRIX_TASKS ? MATRIX_TASKS : n;
}

/* Stop @d after a run that ended with a digest and write its log to @path. */
static int matrix_save_log(struct knhk_dump *d, const struct knhk_config *cfg,
			   const struct knhk_digest *dg, const char *path,
			   char *err)
{
	struct knhk_log_header hdr;
	struct knhk_log log = { 0 };
	int ret;

	ret = knhk_dump_stop(d, err);
	if (ret)
		return ret;
	knhk_log_header_init(&hdr, cfg, dg);
	ret = knhk_dump_log(d, &hdr, &log, err);
	if (!ret && (log.hdr.flags & KNHK_LOG_F_STREAM_ERROR))
		ret = KNHK_DEV_FAIL;
	if (!ret)
		ret = knhk_log_save(&log, path, err);
	knhk_log_free(&log);
	return ret;
}

FIXTURE(matrix) {
	struct mx_workload w;
	struct mx_run r;
	struct knhk_dump d;
};

FIXTURE_SETUP(matrix)
{
	memset(&self->w, 0, sizeof(self->w));
	memset(&self->r, 0, sizeof(self->r));
	memset(&self->d, 0, sizeof(self->d));
	self->r.fd = -1;
}

FIXTURE_TEARDOWN(matrix)
{
	knhk_dump_close(&self->d);
	if (self->r.fd >= 0)
		close(self->r.fd);
	mx_run_free(&self->r);
	mx_free(&self->w);
}

/*
 * The workload: every completion as the model says, the model's event
 * count and checksum at every checkpoint, and the final digest printed.
 */
TEST_F_TIMEOUT(matrix, workload, 600)
{
	const char *log_path = getenv("KNHK_MATRIX_LOG");
	struct mx_workload *w = &self->w;
	struct mx_run *r = &self->r;
	size_t st[3] = { 0 }, nord = 0, nguards = 0, i;
	struct knhk_config cfg = {
		.size = sizeof(cfg), .lanes = MATRIX_LANES,
		.ring_size = MATRIX_RING, .cq_size = MATRIX_CQ,
	};
	const struct knhk_digest *d;
	char err[KNHK_ERRLEN] = "";
	double t0 = now_ms();

	ASSERT_EQ(0, mx_generate(w, MATRIX_SEED, matrix_tasks(), MATRIX_LANES,
				 MATRIX_RING, MATRIX_CQ));
	for (i = 0; i < w->m->ntasks; i++) {
		st[w->m->tasks[i].want.status]++;
		nord += w->m->tasks[i].ordered;
	}
	for (i = 0; i < w->nops; i++)
		nguards += w->ops[i].kind == MX_GUARDS;
	/* The workload covers what it claims to. */
	EXPECT_LE(MATRIX_TASKS, w->m->ntasks);
	EXPECT_LT(500, st[KNHK_STATUS_BUDGET_EXCEEDED]);
	EXPECT_LT(500, st[KNHK_STATUS_GUARD_FAILED]);
	EXPECT_LT(300, nord);
	EXPECT_LT(50, nguards);

	r->w = w;
	r->chunk = MX_CHUNK;
	r->eager = true;
	r->configured = true;
	r->keep_going = true;
	r->fd = open_dev(_metadata, O_NONBLOCK);
	if (log_path)
		cfg.flags |= KNHK_CONFIG_REPLAY;
	ASSERT_EQ(0, knhk_ioctl(r->fd, KNHK_IOC_CONFIGURE, &cfg));
	if (log_path) {
		ASSERT_EQ(0, knhk_dump_open(&self->d, r->fd, err)) TH_LOG("%s", err);
		ASSERT_EQ(0, knhk_dump_start(&self->d, err)) TH_LOG("%s", err);
	}
	mx_run_fn(r);
	mx_run_check(_metadata, w, r, 0);
	ASSERT_LT(0, r->ndigests);
	d = &r->digests[r->ndigests - 1];
	EXPECT_EQ(w->m->events, d->events);
	EXPECT_EQ(w->m->checksum, d->checksum);
	/* The log even of a failed run: it is what a diff needs. */
	if (log_path)
		EXPECT_EQ(0, matrix_save_log(&self->d, &cfg, d, log_path, err))
			TH_LOG("replay log %s: %s", log_path, err);
	TH_LOG("%zu tasks (%zu ordered; ok %zu, budget %zu, guard %zu), %zu calls, %.0f ms%s",
	       w->m->ntasks, nord, st[0], st[1], st[2], w->nops, now_ms() - t0,
	       log_path ? ", replay stream on" : "");
	/*
	 * The digest even when the model disagrees: the matrix compares
	 * digests, and a row that differs gets a replay diff.
	 */
	if (r->err || r->ndigests != w->ndigests)
		return;
	printf("# KNHK-DIGEST matrix %016llx events=%llu\n",
	       (unsigned long long)d->digest, (unsigned long long)d->events);
	fflush(stdout);
}

TEST_HARNESS_MAIN
