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
#include "knhk_core.h"

/* ---- a generated workload ---- */

enum mx_kind {
	MX_SUBMIT, MX_SUBMIT_ORDERED, MX_ENQUEUE, MX_ENQUEUE_ORDERED,
	MX_RELEASE, MX_GUARDS, MX_LOAD_SHARED, MX_DIGEST,
};

struct mx_op {
	enum mx_kind kind;
	__u32 first;		/* tasks: index in plain[] / ord[]; ids; vals */
	__u32 count;
	__u32 flags;		/* release, guards */
	__u64 wm;		/* release */
	__u32 slot;		/* shared-state load: first slot */
	__u32 released;		/* release: tasks the model runs */
	__u64 events;		/* digest: the model's count ... */
	__u64 checksum;		/* ... and checksum */
};

struct mx_workload {
	__u32 lanes, ring, cq;
	struct knhk_task *plain;
	size_t nplain;
	struct knhk_ordered_task *ord;
	size_t nord;
	__u32 *ids;
	size_t nids;
	__u64 *vals;
	size_t nvals;
	struct mx_op *ops;
	size_t nops;
	size_t ndigests;
	size_t *release_op;	/* per model task: the op that runs it */
	struct core_model *m;
};

static struct mx_op *mx_op(struct mx_workload *w, enum mx_kind kind)
{
	struct mx_op *op = &w->ops[w->nops++];

	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

static void mx_release(struct mx_workload *w, bool all, __u64 wm)
{
	struct mx_op *op = mx_op(w, MX_RELEASE);
	size_t i, k = w->nops - 1;

	op->flags = all ? KNHK_RELEASE_ALL : 0;
	op->wm = wm;
	op->released = cm_release(w->m, all, wm);
	for (i = 0; i < w->m->ntasks; i++)
		if (w->m->tasks[i].ordered && w->m->tasks[i].ran &&
		    w->release_op[i] == (size_t)-1)
			w->release_op[i] = k;
}

static void mx_digest(struct mx_workload *w)
{
	struct mx_op *op = mx_op(w, MX_DIGEST);

	op->events = w->m->events;
	op->checksum = w->m->checksum;
	w->ndigests++;
}

static size_t mx_held(const struct mx_workload *w)
{
	return w->m->nheld;
}

static void mx_free(struct mx_workload *w)
{
	free(w->plain);
	free(w->ord);
	free(w->ids);
	free(w->vals);
	free(w->ops);
	free(w->release_op);
	cm_free(w->m);
	memset(w, 0, sizeof(*w));
}

/*
 * Generate about @ntasks tasks' worth of calls from @seed, applying each to
 * the model as it is generated. Ordered tasks waiting for release stay at
 * most half the ordered queue plus one batch, so the queue never overflows
 * and never holds enough of the in-flight limit to stall a reader.
 */
static int mx_generate(struct mx_workload *w, __u64 seed, size_t ntasks,
		       __u32 lanes, __u32 ring, __u32 cq)
{
	size_t cap = ntasks + 2 * KNHK_MAX_BATCH, i;
	__u64 s = seed, gid = 0, base = 1000, last_ts = base;
	struct mx_op *op;

	memset(w, 0, sizeof(*w));
	w->lanes = lanes;
	w->ring = ring;
	w->cq = cq;
	w->plain = calloc(cap, sizeof(*w->plain));
	w->ord = calloc(cap, sizeof(*w->ord));
	w->ids = calloc(cap * 8, sizeof(*w->ids));
	w->vals = calloc(cap * 8, sizeof(*w->vals));
	w->ops = calloc(cap * 2, sizeof(*w->ops));
	w->release_op = calloc(cap, sizeof(*w->release_op));
	w->m = cm_new(lanes, cap);
	if (!w->plain || !w->ord || !w->ids || !w->vals || !w->ops ||
	    !w->release_op || !w->m)
		return -ENOMEM;
	for (i = 0; i < cap; i++)
		w->release_op[i] = (size_t)-1;

	/* Initial shared state, and half the guard pool set. */
	op = mx_op(w, MX_LOAD_SHARED);
	op->first = w->nvals;
	op->count = KNHK_SHARED_SLOTS;
	for (i = 0; i < KNHK_SHARED_SLOTS; i++)
		w->vals[w->nvals++] = core_rand(&s);
	cm_load_shared(w->m, 0, &w->vals[op->first], op->count);
	op = mx_op(w, MX_GUARDS);
	op->flags = KNHK_GUARDS_SET;
	op->first = w->nids;
	op->count = ARRAY_SIZE(core_guard_pool) / 2;
	for (i = 0; i < op->count; i++)
		w->ids[w->nids++] = core_guard_pool[2 * i];
	cm_guards(w->m, true, &w->ids[op->first], op->count);

	while (w->m->ntasks < ntasks) {
		__u32 r = core_below(&s, 100), n, k;

		if (r < 40) {
			/*
			 * Plain: single ENQUEUEs, batches mostly small,
			 * sometimes up to 256, more than the in-flight limit
			 * of the mixed test.
			 */
			k = core_below(&s, 100);
			n = k < 10 ? 1 :
			    k < 55 ? 1 + core_below(&s, 8) :
			    k < 85 ? 9 + core_below(&s, 56) :
			    k < 94 ? 65 + core_below(&s, 135) :
			    200 + core_below(&s, KNHK_MAX_BATCH - 199);
			op = mx_op(w, k < 10 ? MX_ENQUEUE : MX_SUBMIT);
			op->first = w->nplain;
			op->count = n;
			for (k = 0; k < n; k++)
				core_gen_task(&w->plain[w->nplain++],
					      gid++ << 8 | core_below(&s, 256),
					      false, true, &s);
			cm_submit(w->m, &w->plain[op->first], n);
		} else if (r < 62) {
			/* Ordered, timestamps around a rising base. */
			k = core_below(&s, 100);
			n = k < 15 ? 1 : 1 + core_below(&s, 16);
			if (mx_held(w) + n > w->ring / 2)
				mx_release(w, true, 0);
			op = mx_op(w, k < 15 ? MX_ENQUEUE_ORDERED :
					       MX_SUBMIT_ORDERED);
			op->first = w->nord;
			op->count = n;
			for (k = 0; k < n; k++) {
				struct knhk_ordered_task *ot = &w->ord[w->nord++];

				core_gen_task(&ot->task,
					      gid++ << 8 | core_below(&s, 256),
					      true, true, &s);
				base += core_below(&s, 6);
				if (core_below(&s, 100) >= 15)
					last_ts = base + core_below(&s, 48) - 24;
				ot->timestamp = last_ts;	/* else a tie */
			}
			cm_submit_ordered(w->m, &w->ord[op->first], n);
		} else if (r < 76) {
			if (core_below(&s, 4))
				mx_release(w, false, base - core_below(&s, 30));
			else
				mx_release(w, true, 0);
		} else if (r < 90) {
			op = mx_op(w, MX_GUARDS);
			op->flags = core_below(&s, 2) ? KNHK_GUARDS_SET :
							KNHK_GUARDS_CLEAR;
			op->first = w->nids;
			if (core_below(&s, 10)) {
				op->count = 1 + core_below(&s, 4);
				for (k = 0; k < op->count; k++) {
					n = core_below(&s, ARRAY_SIZE(core_guard_pool));
					w->ids[w->nids++] = core_guard_pool[n];
				}
			} else {
				op->count = 1 + core_below(&s, 100);
				for (k = 0; k < op->count; k++)
					w->ids[w->nids++] = core_below(&s, KNHK_GUARD_IDS);
			}
			cm_guards(w->m, op->flags == KNHK_GUARDS_SET,
				  &w->ids[op->first], op->count);
		} else if (r < 95) {
			op = mx_op(w, MX_LOAD_SHARED);
			op->slot = core_below(&s, KNHK_SHARED_SLOTS);
			op->count = 1 + core_below(&s, KNHK_SHARED_SLOTS - op->slot);
			op->first = w->nvals;
			for (k = 0; k < op->count; k++)
				w->vals[w->nvals++] = core_rand(&s);
			cm_load_shared(w->m, op->slot, &w->vals[op->first],
				       op->count);
		} else {
			mx_digest(w);
		}
	}
	mx_release(w, true, 0);
	mx_digest(w);
	return 0;
}

/* ---- running it on one instance ---- */

struct mx_run {
	const struct mx_workload *w;
	size_t chunk;		/* records per read() */
	bool eager;		/* read what is ready after every call */
	int fd;
	bool *seen;
	size_t nread;
	size_t cur_op;
	__u64 ord_sub, ord_rel, ord_read;
	size_t eagain;
	struct knhk_digest *digests;
	size_t ndigests;
	struct knhk_stats st;
	struct knhk_lane_stats ls[KNHK_MAX_LANES];
	int err;
	char why[600];
};

static void mx_fail(struct mx_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return;
	r->err = 1;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/* Read what is ready; with @wait, first wait for something. */
static void mx_read(struct mx_run *r, bool wait)
{
	struct knhk_completion c[64];
	struct pollfd p = { .fd = r->fd, .events = POLLIN };
	long n, i;

	if (wait) {
		int k = poll(&p, 1, 30000);

		if (k <= 0) {
			mx_fail(r, "op %zu: no completion within 30 s (poll %d, %zu read)",
				r->cur_op, k, r->nread);
			return;
		}
	}
	n = knhk_read(r->fd, c, r->chunk);
	if (n == -EAGAIN && !wait)
		return;
	if (n <= 0) {
		mx_fail(r, "op %zu: read: %s", r->cur_op, strerror(n ? -n : EIO));
		return;
	}
	for (i = 0; i < n; i++) {
		char why[512];
		long idx = cm_find(r->w->m, c[i].task_id);

		if (!cm_match(r->w->m, &c[i], r->seen, why, sizeof(why))) {
			mx_fail(r, "op %zu: %s", r->cur_op, why);
			return;
		}
		if (c[i].flags & KNHK_COMPLETION_ORDERED) {
			r->ord_read++;
			if (r->cur_op < r->w->release_op[idx])
				mx_fail(r, "op %zu: ordered %#llx done before release op %zu",
					r->cur_op,
					(unsigned long long)c[i].task_id,
					r->w->release_op[idx]);
		}
		if (c[i].cpu >= KNHK_MAX_CPUS)
			mx_fail(r, "task %#llx: cpu %u",
				(unsigned long long)c[i].task_id, c[i].cpu);
	}
	r->nread += n;
}

/* Submit a batch (or one task), reading completions whenever it is full. */
static void mx_submit(struct mx_run *r, const struct mx_op *op)
{
	const struct mx_workload *w = r->w;
	bool ordered = op->kind == MX_SUBMIT_ORDERED ||
		       op->kind == MX_ENQUEUE_ORDERED;
	struct knhk_submit sb;
	int ret;

	/* Room in the ordered queue: waiting + released unread + new. */
	while (ordered && !r->err &&
	       w->ring - (r->ord_sub - r->ord_rel) - (r->ord_rel - r->ord_read) <
	       op->count)
		mx_read(r, true);
	core_sb(&sb, ordered ? (void *)&w->ord[op->first] :
		(void *)&w->plain[op->first], op->count);
	while (!r->err) {
		switch (op->kind) {
		case MX_ENQUEUE:
			ret = knhk_enqueue(r->fd, &w->plain[op->first]);
			break;
		case MX_ENQUEUE_ORDERED:
			ret = core_enqueue_ordered(r->fd, &w->ord[op->first]);
			break;
		default:
			ret = knhk_ioctl(r->fd, ordered ? KNHK_IOC_SUBMIT_ORDERED :
					 KNHK_IOC_SUBMIT, &sb);
			break;
		}
		if (!ret)
			break;
		if (ret != -EAGAIN) {
			mx_fail(r, "op %zu: submit of %u: %s (accepted %u, bad_index %u)",
				r->cur_op, op->count, strerror(-ret), sb.accepted,
				sb.bad_index);
			return;
		}
		if (sb.accepted >= op->count)
			mx_fail(r, "op %zu: EAGAIN with accepted %u of %u",
				r->cur_op, sb.accepted, op->count);
		r->eagain++;
		mx_read(r, true);
	}
	if (!r->err && op->kind != MX_ENQUEUE &&
	    op->kind != MX_ENQUEUE_ORDERED && sb.accepted != op->count)
		mx_fail(r, "op %zu: accepted %u of %u", r->cur_op, sb.accepted,
			op->count);
	if (ordered)
		r->ord_sub += op->count;
}

static void *mx_run_fn(void *arg)
{
	struct mx_run *r = arg;
	const struct mx_workload *w = r->w;
	size_t total = w->m->ntasks;
	int ret;

	r->seen = calloc(total + 1, sizeof(*r->seen));
	r->digests = calloc(w->ndigests + 1, sizeof(*r->digests));
	if (!r->seen || !r->digests) {
		mx_fail(r, "out of memory");
		return NULL;
	}
	ret = core_config(r->fd, 0, w->lanes, w->ring, w->cq);
	if (ret)
		mx_fail(r, "configure: %s", strerror(-ret));
	for (r->cur_op = 0; r->cur_op < w->nops && !r->err; r->cur_op++) {
		const struct mx_op *op = &w->ops[r->cur_op];
		struct knhk_digest *d;
		__u32 rel;

		switch (op->kind) {
		case MX_SUBMIT:
		case MX_SUBMIT_ORDERED:
		case MX_ENQUEUE:
		case MX_ENQUEUE_ORDERED:
			mx_submit(r, op);
			break;
		case MX_RELEASE:
			ret = core_release(r->fd, op->flags, op->wm, &rel);
			if (ret || rel != op->released)
				mx_fail(r, "op %zu: release: %d, released %u, want %u",
					r->cur_op, ret, rel, op->released);
			r->ord_rel += rel;
			break;
		case MX_GUARDS:
			ret = core_guards(r->fd, op->flags, &w->ids[op->first],
					  op->count);
			if (ret)
				mx_fail(r, "op %zu: guards: %s", r->cur_op,
					strerror(-ret));
			break;
		case MX_LOAD_SHARED:
			ret = core_load_shared(r->fd, op->slot,
					       &w->vals[op->first], op->count);
			if (ret)
				mx_fail(r, "op %zu: load shared: %s", r->cur_op,
					strerror(-ret));
			break;
		case MX_DIGEST:
			d = &r->digests[r->ndigests++];
			ret = core_digest(r->fd, d);
			if (ret || d->events != op->events ||
			    d->checksum != op->checksum)
				mx_fail(r, "op %zu: digest %d: %llu ev, xor %#llx; want %llu %#llx",
					r->cur_op, ret,
					(unsigned long long)d->events,
					(unsigned long long)d->checksum,
					(unsigned long long)op->events,
					(unsigned long long)op->checksum);
			break;
		}
		if (r->eager)
			mx_read(r, false);
	}
	while (!r->err && r->nread < total)
		mx_read(r, true);
	if (!r->err && core_read_empty(r->fd))
		mx_fail(r, "a completion more than the %zu tasks", total);
	ret = knhk_stats(r->fd, &r->st, r->ls, w->lanes);
	if (ret)
		mx_fail(r, "stats: %s", strerror(-ret));
	return NULL;
}

static void mx_run_free(struct mx_run *r)
{
	free(r->seen);
	free(r->digests);
}

/* Run @w on @n instances at once; check each with the model. */
static void mx_run_all(struct __test_metadata *_metadata,
		       const struct mx_workload *w, struct mx_run *run, int n)
{
	static const size_t chunks[] = { 64, 1, 7, 32 };
	pthread_t th[4];
	int i, l;

	ASSERT_GE(4, n);
	for (i = 0; i < n; i++) {
		memset(&run[i], 0, sizeof(run[i]));
		run[i].w = w;
		run[i].chunk = chunks[i];
		run[i].eager = i % 2;
		run[i].fd = open_dev(_metadata, O_NONBLOCK);
		ASSERT_EQ(0, pthread_create(&th[i], NULL, mx_run_fn, &run[i]));
	}
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	for (i = 0; i < n; i++) {
		struct mx_run *r = &run[i];
		const struct core_model *m = w->m;

		EXPECT_EQ(0, r->err) TH_LOG("instance %d: %s", i, r->why);
		EXPECT_EQ(m->ntasks, r->nread);
		EXPECT_EQ(w->ndigests, r->ndigests);
		EXPECT_EQ(m->submitted, r->st.submitted);
		EXPECT_EQ(m->executed, r->st.executed);
		EXPECT_EQ(m->ntasks, r->st.completed);
		EXPECT_EQ(0, r->st.inflight);
		for (l = 0; l < (int)w->lanes; l++) {
			EXPECT_EQ(m->lane_enqueued[l], r->ls[l].enqueued);
			EXPECT_EQ(m->lane_executed[l], r->ls[l].executed);
		}
		close(r->fd);
	}
}

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
