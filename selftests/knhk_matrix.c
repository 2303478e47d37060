// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_matrix - the workload of the determinism matrix
 *
 * One fixed workload, generated from a fixed seed: plain tasks in batches
 * of 1..256 (PURE and programs with lane state, all priorities, some over
 * budget, a quarter guarded), ordered tasks with timestamps out of
 * submission order and shared-state programs, releases up to a watermark
 * or of everything, guard changes and shared-state loads between batches,
 * and digest checkpoints. Every completion is checked against the model of
 * knhk_core.h, then the digest is printed as
 *	# KNHK-DIGEST matrix <digest> events=<n>
 * `make check` (stage k) runs this binary in VMs of 1 to 8 CPUs, on the
 * stock and the debug kernel, with the module's perturb and steal
 * parameters on and off and CPU hotplug storms, and requires one digest.
 *
 * Environment: KNHK_MATRIX_TASKS, the number of tasks (default and minimum
 * 10000; `make stress` uses more). The digest depends on it.
 */
#include "kselftest_harness.h"
#include "knhk_core.h"

#define MATRIX_SEED	0x6b6e686b2d6d7478ULL	/* "knhk-mtx" */
#define MATRIX_TASKS	10000
#define MATRIX_LANES	16
#define MATRIX_RING	64
#define MATRIX_CQ	512

enum mt_kind { MT_SUBMIT, MT_ORDERED, MT_RELEASE, MT_GUARDS, MT_SHARED,
	       MT_DIGEST };

struct mt_op {
	enum mt_kind kind;
	__u32 first;		/* index in plain[], ord[], ids[] or vals[] */
	__u32 count;
	__u32 flags;		/* release, guards */
	__u32 slot;		/* shared-state load */
	__u64 wm;		/* release watermark */
	__u32 released;		/* release: tasks the model runs */
	__u64 events, checksum;	/* digest: what the model says */
};

struct mt_work {
	struct knhk_task *plain;
	struct knhk_ordered_task *ord;
	__u32 *ids;
	__u64 *vals;
	struct mt_op *ops;
	size_t nplain, nord, nids, nvals, nops;
	size_t *by_gid;		/* generation number -> model index */
	size_t ngid;
	struct core_model *m;
};

static struct mt_op *mt_op(struct mt_work *w, enum mt_kind kind)
{
	struct mt_op *op = &w->ops[w->nops++];

	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

static void mt_release(struct mt_work *w, bool all, __u64 wm)
{
	struct mt_op *op = mt_op(w, MT_RELEASE);

	op->flags = all ? KNHK_RELEASE_ALL : 0;
	op->wm = wm;
	op->released = cm_release(w->m, all, wm);
}

static void mt_digest(struct mt_work *w)
{
	struct mt_op *op = mt_op(w, MT_DIGEST);

	op->events = w->m->events;
	op->checksum = w->m->checksum;
}

static void mt_free(struct mt_work *w)
{
	free(w->plain);
	free(w->ord);
	free(w->ids);
	free(w->vals);
	free(w->ops);
	free(w->by_gid);
	cm_free(w->m);
}

/* Generate the calls for @ntasks tasks, applying each to the model. */
static int mt_generate(struct mt_work *w, size_t ntasks)
{
	size_t cap = ntasks + 2 * KNHK_MAX_BATCH, i;
	__u64 s = MATRIX_SEED, gid = 0, base = 1000, ts = base;
	struct mt_op *op;

	memset(w, 0, sizeof(*w));
	w->plain = calloc(cap, sizeof(*w->plain));
	w->ord = calloc(cap, sizeof(*w->ord));
	w->ids = calloc(cap, sizeof(*w->ids));
	w->vals = calloc(cap + KNHK_SHARED_SLOTS, sizeof(*w->vals));
	w->ops = calloc(cap, sizeof(*w->ops));
	w->by_gid = calloc(cap, sizeof(*w->by_gid));
	w->m = cm_new(MATRIX_LANES, cap);
	if (!w->plain || !w->ord || !w->ids || !w->vals || !w->ops ||
	    !w->by_gid || !w->m)
		return -ENOMEM;

	op = mt_op(w, MT_SHARED);
	op->count = KNHK_SHARED_SLOTS;
	for (i = 0; i < KNHK_SHARED_SLOTS; i++)
		w->vals[w->nvals++] = core_rand(&s);
	cm_load_shared(w->m, 0, w->vals, op->count);

	while (w->m->ntasks < ntasks) {
		__u32 r = core_below(&s, 100), n, k;

		if (r < 45) {
			k = core_below(&s, 100);
			n = k < 10 ? 1 : k < 40 ? 2 + core_below(&s, 15) :
			    k < 80 ? 17 + core_below(&s, 48) :
			    65 + core_below(&s, KNHK_MAX_BATCH - 64);
			op = mt_op(w, MT_SUBMIT);
			op->first = w->nplain;
			op->count = n;
			for (k = 0; k < n; k++)
				core_gen_task(&w->plain[w->nplain++],
					      gid++ << 8 | core_below(&s, 256),
					      false, true, &s);
			cm_submit(w->m, &w->plain[op->first], n);
		} else if (r < 63) {
			n = 1 + core_below(&s, 16);
			if (w->m->nheld + n > MATRIX_RING / 2)
				mt_release(w, true, 0);
			op = mt_op(w, MT_ORDERED);
			op->first = w->nord;
			op->count = n;
			for (k = 0; k < n; k++) {
				struct knhk_ordered_task *ot = &w->ord[w->nord++];

				core_gen_task(&ot->task,
					      gid++ << 8 | core_below(&s, 256),
					      true, true, &s);
				/* Around a rising base: out of order, ties. */
				base += core_below(&s, 6);
				if (core_below(&s, 100) >= 15)
					ts = base + core_below(&s, 48) - 24;
				ot->timestamp = ts;
			}
			cm_submit_ordered(w->m, &w->ord[op->first], n);
		} else if (r < 73) {
			if (core_below(&s, 4))
				mt_release(w, false, base - core_below(&s, 30));
			else
				mt_release(w, true, 0);
		} else if (r < 88) {
			op = mt_op(w, MT_GUARDS);
			op->flags = core_below(&s, 2) ? KNHK_GUARDS_SET :
							KNHK_GUARDS_CLEAR;
			op->first = w->nids;
			op->count = 1 + core_below(&s, 4);
			for (k = 0; k < op->count; k++)
				w->ids[w->nids++] = core_guard_pool[core_below(&s,
					ARRAY_SIZE(core_guard_pool))];
			cm_guards(w->m, op->flags == KNHK_GUARDS_SET,
				  &w->ids[op->first], op->count);
		} else if (r < 93) {
			op = mt_op(w, MT_SHARED);
			op->slot = core_below(&s, KNHK_SHARED_SLOTS);
			op->count = 1 + core_below(&s, 8);
			if (op->slot + op->count > KNHK_SHARED_SLOTS)
				op->count = KNHK_SHARED_SLOTS - op->slot;
			op->first = w->nvals;
			for (k = 0; k < op->count; k++)
				w->vals[w->nvals++] = core_rand(&s);
			cm_load_shared(w->m, op->slot, &w->vals[op->first],
				       op->count);
		} else {
			mt_digest(w);
		}
	}
	mt_release(w, true, 0);
	mt_digest(w);

	w->ngid = gid;
	for (i = 0; i < w->m->ntasks; i++)
		w->by_gid[w->m->tasks[i].task.task_id >> 8] = i;
	return 0;
}

/* ---- running it ---- */

struct mt_run {
	const struct mt_work *w;
	int fd;
	bool *seen;
	size_t nread, ord_sub, ord_read, cur;
	char why[600];
};

static bool mt_fail(struct mt_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->why[0])
		return false;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
	return false;
}

/* Check one completion against the model. */
static bool mt_check(struct mt_run *r, const struct knhk_completion *g)
{
	const struct core_model *m = r->w->m;
	__u64 gid = g->task_id >> 8;
	const struct knhk_completion *c;
	size_t i;

	if (gid >= r->w->ngid ||
	    m->tasks[r->w->by_gid[gid]].task.task_id != g->task_id)
		return mt_fail(r, "op %zu: completion of unknown task %#llx",
			       r->cur, (unsigned long long)g->task_id);
	i = r->w->by_gid[gid];
	c = &m->tasks[i].want;
	if (r->seen[i])
		return mt_fail(r, "op %zu: task %#llx completed twice", r->cur,
			       (unsigned long long)g->task_id);
	r->seen[i] = true;
	if (g->output != c->output || g->enqueue_ts != c->enqueue_ts ||
	    g->execute_ts != c->execute_ts || g->lane != c->lane ||
	    g->status != c->status || g->ticks != c->ticks ||
	    g->flags != c->flags || g->reserved)
		return mt_fail(r,
			       "op %zu: task %#llx: got out %#llx enq %llu exe %llu lane %u st %u ticks %u flags %u; want out %#llx enq %llu exe %llu lane %u st %u ticks %u flags %u",
			       r->cur, (unsigned long long)g->task_id,
			       (unsigned long long)g->output,
			       (unsigned long long)g->enqueue_ts,
			       (unsigned long long)g->execute_ts, g->lane,
			       g->status, g->ticks, g->flags,
			       (unsigned long long)c->output,
			       (unsigned long long)c->enqueue_ts,
			       (unsigned long long)c->execute_ts, c->lane,
			       c->status, c->ticks, c->flags);
	if (g->flags & KNHK_COMPLETION_ORDERED)
		r->ord_read++;
	return true;
}

/* Read what is ready; with @wait, wait up to 30 s for something first. */
static bool mt_read(struct mt_run *r, bool wait)
{
	struct knhk_completion c[256];
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	long n, i;

	if (wait && poll(&p, 1, 30000) <= 0)
		return mt_fail(r, "op %zu: no completion within 30 s (%zu read)",
			       r->cur, r->nread);
	n = knhk_read(r->fd, c, ARRAY_SIZE(c));
	if (n == -EAGAIN && !wait)
		return true;
	if (n <= 0)
		return mt_fail(r, "op %zu: read: %s", r->cur,
			       strerror(n ? -n : EIO));
	for (i = 0; i < n; i++)
		if (!mt_check(r, &c[i]))
			return false;
	r->nread += n;
	return true;
}

static bool mt_submit(struct mt_run *r, const struct mt_op *op, bool ordered)
{
	const struct mt_work *w = r->w;
	struct knhk_submit sb;
	int ret;

	/* The ordered chain's ring: waiting + released unread + new. */
	while (ordered && MATRIX_RING - (r->ord_sub - r->ord_read) < op->count)
		if (!mt_read(r, true))
			return false;
	core_sb(&sb, ordered ? (void *)&w->ord[op->first] :
		(void *)&w->plain[op->first], op->count);
	for (;;) {
		ret = knhk_ioctl(r->fd, ordered ? KNHK_IOC_SUBMIT_ORDERED :
				 KNHK_IOC_SUBMIT, &sb);
		if (!ret)
			break;
		if (ret != -EAGAIN)
			return mt_fail(r, "op %zu: submit of %u: %s (accepted %u)",
				       r->cur, op->count, strerror(-ret),
				       sb.accepted);
		if (!mt_read(r, true))
			return false;
	}
	if (ordered)
		r->ord_sub += op->count;
	return true;
}

static bool mt_step(struct mt_run *r, const struct mt_op *op,
		    struct knhk_digest *d)
{
	const struct mt_work *w = r->w;
	__u32 rel;
	int ret;

	switch (op->kind) {
	case MT_SUBMIT:
	case MT_ORDERED:
		return mt_submit(r, op, op->kind == MT_ORDERED);
	case MT_RELEASE:
		ret = core_release(r->fd, op->flags, op->wm, &rel);
		if (ret || rel != op->released)
			return mt_fail(r, "op %zu: release: %d, released %u, want %u",
				       r->cur, ret, rel, op->released);
		return true;
	case MT_GUARDS:
		ret = core_guards(r->fd, op->flags, &w->ids[op->first],
				  op->count);
		break;
	case MT_SHARED:
		ret = core_load_shared(r->fd, op->slot, &w->vals[op->first],
				       op->count);
		break;
	case MT_DIGEST:
		ret = core_digest(r->fd, d);
		if (!ret && (d->events != op->events ||
			     d->checksum != op->checksum))
			return mt_fail(r,
				       "op %zu: digest: %llu events, xor %#llx; want %llu, %#llx",
				       r->cur, (unsigned long long)d->events,
				       (unsigned long long)d->checksum,
				       (unsigned long long)op->events,
				       (unsigned long long)op->checksum);
		break;
	default:
		ret = -EINVAL;
	}
	if (ret)
		return mt_fail(r, "op %zu: %s", r->cur, strerror(-ret));
	return true;
}

static size_t mt_ntasks(void)
{
	const char *e = getenv("KNHK_MATRIX_TASKS");
	size_t n = e ? strtoul(e, NULL, 0) : 0;

	return n < MATRIX_TASKS ? MATRIX_TASKS : n;
}

FIXTURE(matrix) {
	struct mt_work w;
	struct mt_run r;
};

FIXTURE_SETUP(matrix)
{
	memset(&self->w, 0, sizeof(self->w));
	memset(&self->r, 0, sizeof(self->r));
	self->r.fd = -1;
}

FIXTURE_TEARDOWN(matrix)
{
	if (self->r.fd >= 0)
		close(self->r.fd);
	free(self->r.seen);
	mt_free(&self->w);
}

/*
 * The workload: every completion as the model says, the model's event
 * count and checksum at every checkpoint, and the final digest printed.
 */
TEST_F_TIMEOUT(matrix, workload, 600)
{
	struct mt_work *w = &self->w;
	struct mt_run *r = &self->r;
	size_t st[3] = { 0 }, nord = 0, nguards = 0, i;
	struct knhk_digest d = { 0 };
	struct knhk_stats stats;
	double t0 = now_ms();

	ASSERT_EQ(0, mt_generate(w, mt_ntasks()));
	for (i = 0; i < w->m->ntasks; i++) {
		st[w->m->tasks[i].want.status]++;
		nord += w->m->tasks[i].ordered;
	}
	for (i = 0; i < w->nops; i++)
		nguards += w->ops[i].kind == MT_GUARDS;
	/* The workload covers what it claims to. */
	EXPECT_LE(MATRIX_TASKS, w->m->ntasks);
	EXPECT_LT(500, st[KNHK_STATUS_BUDGET_EXCEEDED]);
	EXPECT_LT(500, st[KNHK_STATUS_GUARD_FAILED]);
	EXPECT_LT(300, nord);
	EXPECT_LT(50, nguards);

	r->w = w;
	r->seen = calloc(w->m->ntasks, sizeof(*r->seen));
	ASSERT_NE(NULL, r->seen);
	r->fd = open_dev(_metadata, O_NONBLOCK);
	ASSERT_EQ(0, core_config(r->fd, 0, MATRIX_LANES, MATRIX_RING,
				 MATRIX_CQ));
	for (r->cur = 0; r->cur < w->nops; r->cur++)
		if (!mt_step(r, &w->ops[r->cur], &d) || !mt_read(r, false))
			break;
	while (!r->why[0] && r->nread < w->m->ntasks)
		mt_read(r, true);
	ASSERT_EQ(0, r->why[0]) TH_LOG("%s", r->why);
	EXPECT_EQ(0, core_read_empty(r->fd));
	ASSERT_EQ(0, knhk_stats(r->fd, &stats, NULL, 0));
	EXPECT_EQ(w->m->ntasks, stats.completed);
	EXPECT_EQ(w->m->executed, stats.executed);
	EXPECT_EQ(w->m->events, d.events);
	EXPECT_EQ(w->m->checksum, d.checksum);
	TH_LOG("%zu tasks (%zu ordered; ok %zu, budget %zu, guard %zu), %zu calls, %.0f ms",
	       w->m->ntasks, nord, st[0], st[1], st[2], w->nops, now_ms() - t0);
	if (!_metadata->passed)
		return;
	printf("# KNHK-DIGEST matrix %016llx events=%llu\n",
	       (unsigned long long)d.digest, (unsigned long long)d.events);
	fflush(stdout);
}

TEST_HARNESS_MAIN
