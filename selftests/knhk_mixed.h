/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_mixed.h - a generated mixed workload and its runner, shared by
 * knhk_determinism (the mixed and isolation tests) and knhk_matrix (the
 * determinism matrix of `make check`).
 *
 * mx_generate() turns a seed into calls of every kind: PURE tasks and
 * programs with lane state and shared state, all priorities, some over
 * budget, guards flipping between batches, single ENQUEUEs and batches of
 * 1..256, ordered tasks with timestamps out of order (and ties) released
 * up to watermarks, shared-state loads and digest checkpoints. Every call
 * is applied to the model of knhk_core.h as it is generated, so the run
 * can check each completion, each checkpoint's event count and checksum,
 * and the counters at the end.
 *
 * Include after kselftest_harness.h.
 */
#ifndef KNHK_MIXED_H
#define KNHK_MIXED_H

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

static inline struct mx_op *mx_op(struct mx_workload *w, enum mx_kind kind)
{
	struct mx_op *op = &w->ops[w->nops++];

	memset(op, 0, sizeof(*op));
	op->kind = kind;
	return op;
}

static inline void mx_release(struct mx_workload *w, bool all, __u64 wm)
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

static inline void mx_digest(struct mx_workload *w)
{
	struct mx_op *op = mx_op(w, MX_DIGEST);

	op->events = w->m->events;
	op->checksum = w->m->checksum;
	w->ndigests++;
}

static inline size_t mx_held(const struct mx_workload *w)
{
	return w->m->nheld;
}

static inline void mx_free(struct mx_workload *w)
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
static inline int mx_generate(struct mx_workload *w, __u64 seed,
			      size_t ntasks, __u32 lanes, __u32 ring, __u32 cq)
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
	return cm_index(w->m);
}

/* ---- running it on one instance ---- */

#define MX_CHUNK	64	/* the most completions one read() takes */

struct mx_run {
	const struct mx_workload *w;
	size_t chunk;		/* records per read(), 1..MX_CHUNK */
	bool eager;		/* read what is ready after every call */
	bool configured;	/* the caller configured the instance */
	bool keep_going;	/* run to the end past model mismatches */
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
	size_t mismatches;	/* with @keep_going */
	char why[600];
};

static inline void mx_fail(struct mx_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return;
	r->err = 1;
	va_start(ap, fmt);
	vsnprintf(r->why, sizeof(r->why), fmt, ap);
	va_end(ap);
}

/*
 * The device disagrees with the model: a failure, or with @keep_going a
 * mismatch counted (the first one's text kept) and the run goes on, so
 * that it still ends with a digest and a complete replay stream.
 */
static inline void mx_mismatch(struct mx_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->err)
		return;
	if (!r->keep_going)
		r->err = 1;
	if (!r->mismatches++) {
		va_start(ap, fmt);
		vsnprintf(r->why, sizeof(r->why), fmt, ap);
		va_end(ap);
	}
}

/* Read what is ready; with @wait, first wait for something. */
static inline void mx_read(struct mx_run *r, bool wait)
{
	struct knhk_completion c[MX_CHUNK];
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
	n = knhk_read(r->fd, c, r->chunk < MX_CHUNK ? r->chunk : MX_CHUNK);
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
			mx_mismatch(r, "op %zu: %s", r->cur_op, why);
			if (r->err)
				return;
		}
		if (c[i].flags & KNHK_COMPLETION_ORDERED) {
			r->ord_read++;
			if (idx >= 0 && r->cur_op < r->w->release_op[idx])
				mx_mismatch(r, "op %zu: ordered %#llx done before release op %zu",
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
static inline void mx_submit(struct mx_run *r, const struct mx_op *op)
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

static inline void *mx_run_fn(void *arg)
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
	ret = r->configured ? 0 :
	      core_config(r->fd, 0, w->lanes, w->ring, w->cq);
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
			if (ret)
				mx_fail(r, "op %zu: release: %s", r->cur_op,
					strerror(-ret));
			else if (rel != op->released)
				mx_mismatch(r, "op %zu: released %u, want %u",
					    r->cur_op, rel, op->released);
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
			if (ret)
				mx_fail(r, "op %zu: digest: %s", r->cur_op,
					strerror(-ret));
			else if (d->events != op->events ||
				 d->checksum != op->checksum)
				mx_mismatch(r, "op %zu: digest %llu ev, xor %#llx; want %llu %#llx",
					    r->cur_op,
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

static inline void mx_run_free(struct mx_run *r)
{
	free(r->seen);
	free(r->digests);
}

/* Check a finished run @r (instance @i) against the model. */
static inline void mx_run_check(struct __test_metadata *_metadata,
				const struct mx_workload *w,
				const struct mx_run *r, int i)
{
	const struct core_model *m = w->m;
	int l;

	EXPECT_EQ(0, r->err) TH_LOG("instance %d: %s", i, r->why);
	if (!r->err)
		EXPECT_EQ(0, r->mismatches)
			TH_LOG("instance %d: %zu mismatches with the model, the first: %s",
			       i, r->mismatches, r->why);
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
}

/* Run @w on @n instances at once; check each with the model. */
static inline void mx_run_all(struct __test_metadata *_metadata,
			      const struct mx_workload *w, struct mx_run *run,
			      int n)
{
	static const size_t chunks[] = { 64, 1, 7, 32 };
	pthread_t th[4];
	int i;

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
		mx_run_check(_metadata, w, &run[i], i);
		close(run[i].fd);
	}
}

#endif /* KNHK_MIXED_H */
