/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_core.h - the deterministic core of knhk-sched as a userspace model,
 * and the device calls of the core selftests (knhk_submit, knhk_ordered,
 * knhk_step, knhk_determinism, knhk_badcore).
 *
 * Include after kselftest_harness.h. Everything the model computes comes
 * from the contract (shared/DESIGN.md sections 2-5 and the doc comments of
 * include/uapi/linux/knhk_sched.h), never from a run:
 *
 * - The submit path owns a Lamport clock. Every accepted task ticks it; an
 *   ordered task with timestamp T first receives T (clock = max(clock, T)),
 *   then ticks. Every logged call that is not a task (release, guard change,
 *   shared-state load) ticks it once as well.
 * - A batch is accepted stably by priority: high, normal, low.
 * - Lane l = task_id & (lanes - 1) runs its tasks FIFO in acceptance order:
 *   lane_clock = max(lane_clock, enqueue_ts) + 1 is the task's execute_ts.
 *   Its programs see only that lane's 16 state slots.
 * - Ordered tasks wait until a release; a release takes the waiting tasks
 *   with T <= watermark (all of them with KNHK_RELEASE_ALL) and runs them in
 *   (T, lane, submission order) order. The release ticks the submit clock
 *   (R); the ordered clock becomes max(ordered_clock, R) and each task
 *   ticks it: T orders, R stamps. Their programs see only the 64 shared
 *   slots; a shared-state load
 *   lands between the releases before it and the releases after it.
 * - Guards are evaluated when the task is accepted, against the guard table
 *   as the submit path's calls left it. A task whose guards fail completes
 *   with GUARD_FAILED, output 0, ticks 0, and still gets an execute_ts.
 * - A program runs min(ninsns, budget) instructions, one tick each; if that
 *   cuts it short the status is BUDGET_EXCEEDED. The output is r0.
 * - Events: TaskEnqueued (ts = enqueue_ts) per accepted task, TaskExecuted
 *   (ts = execute_ts) per task run, one event per release, guard change and
 *   shared load (ts = its submit-clock tick). KNHK_IOC_DIGEST reports their
 *   number and the XOR of their timestamps.
 */
#ifndef KNHK_CORE_H
#define KNHK_CORE_H

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>

#include "knhk_test.h"

#define CORE_TS_MAX	0x4000000000000000ULL	/* 2^62: largest valid timestamp */

/* ---- a small PRNG of our own (splitmix64 stepping) ---- */

static inline __u64 core_rand(__u64 *s)
{
	*s += 0x9e3779b97f4a7c15ULL;
	return knhk_mix64(*s);
}

/* A value in 0..n-1. */
static inline __u32 core_below(__u64 *s, __u32 n)
{
	return (__u32)(core_rand(s) % n);
}

/* ---- the model ---- */

/* What the model knows about one accepted task. */
struct cm_task {
	struct knhk_task task;
	__u64 ts;		/* ordered: the caller's timestamp */
	bool ordered;
	bool guard_failed;
	bool ran;
	struct knhk_completion want;	/* deterministic fields */
};

/* A task id and its model index: cm_index()'s table. */
struct cm_ref {
	__u64 id;
	size_t i;
};

/* An ordered task waiting for a release. */
struct cm_held {
	__u64 ts;
	__u32 lane;
	__u64 seq;
	size_t idx;		/* in core_model.tasks */
};

struct core_model {
	unsigned int lanes;
	__u64 submit_clock;
	__u64 ordered_clock;
	__u64 lane_clock[KNHK_MAX_LANES];
	__u64 lane_state[KNHK_MAX_LANES][KNHK_LANE_SLOTS];
	__u64 lane_enqueued[KNHK_MAX_LANES];
	__u64 lane_executed[KNHK_MAX_LANES];
	__u64 shared[KNHK_SHARED_SLOTS];
	bool guard[KNHK_GUARD_IDS];
	__u64 ordered_seq;
	__u64 submitted;
	__u64 executed;
	__u64 events;
	__u64 checksum;
	struct cm_held *held;
	size_t nheld;
	struct cm_task *tasks;	/* in acceptance order */
	size_t ntasks;
	size_t cap;
	struct cm_ref *index;	/* cm_index(): tasks by id */
	size_t nindex;
};

/* A model of an instance with @lanes lanes, for up to @cap tasks. */
static inline struct core_model *cm_new(unsigned int lanes, size_t cap)
{
	struct core_model *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->lanes = lanes;
	m->cap = cap;
	m->tasks = calloc(cap, sizeof(*m->tasks));
	m->held = calloc(cap, sizeof(*m->held));
	if (!m->tasks || !m->held) {
		free(m->tasks);
		free(m->held);
		free(m);
		return NULL;
	}
	return m;
}

static inline void cm_free(struct core_model *m)
{
	if (!m)
		return;
	free(m->tasks);
	free(m->held);
	free(m->index);
	free(m);
}

static inline void cm_event(struct core_model *m, __u64 ts)
{
	m->events++;
	m->checksum ^= ts;
}

static inline __u64 cm_tick(struct core_model *m)
{
	return ++m->submit_clock;
}

static inline __u64 cm_recv(__u64 *clock, __u64 ts)
{
	if (*clock < ts)
		*clock = ts;
	return ++*clock;
}

static inline __u32 cm_lane(const struct core_model *m, __u64 task_id)
{
	return (__u32)(task_id & (m->lanes - 1));
}

static inline bool cm_guards_hold(const struct core_model *m,
				  const struct knhk_task *t)
{
	__u32 i;

	for (i = 0; i < t->nguards; i++)
		if (!m->guard[t->guards[i]])
			return false;
	return true;
}

/* Run a task's work against @state (lane or shared slots). */
static inline void cm_work(const struct knhk_task *t, bool guard_failed,
			   __u64 *state, struct knhk_completion *c)
{
	__u64 r[KNHK_NR_REGS] = { t->payload, 0, 0, 0 };
	__u32 i, n;

	c->status = KNHK_STATUS_OK;
	c->output = 0;
	c->ticks = 0;
	if (guard_failed) {
		c->status = KNHK_STATUS_GUARD_FAILED;
		return;
	}
	if (t->kind == KNHK_WORK_PURE) {
		c->output = knhk_mix64(t->payload);
		c->ticks = 1;
		return;
	}
	n = t->ninsns < t->budget ? t->ninsns : t->budget;
	for (i = 0; i < n; i++)
		model_insn(&t->prog[i], r, state);
	if (n < t->ninsns)
		c->status = KNHK_STATUS_BUDGET_EXCEEDED;
	c->output = r[0];
	c->ticks = n;
}

/* Acceptance order of a batch: stably by priority, high first. */
static inline void cm_order(const struct knhk_task *(*task_at)(const void *, size_t),
			    const void *batch, size_t n, size_t *order)
{
	size_t i, k = 0;
	__u32 prio;

	for (prio = KNHK_PRIO_HIGH; prio <= KNHK_PRIO_LOW; prio++)
		for (i = 0; i < n; i++)
			if (task_at(batch, i)->priority == prio)
				order[k++] = i;
}

static inline const struct knhk_task *cm_plain_at(const void *b, size_t i)
{
	return &((const struct knhk_task *)b)[i];
}

static inline const struct knhk_task *cm_ordered_at(const void *b, size_t i)
{
	return &((const struct knhk_ordered_task *)b)[i].task;
}

/* Accept one plain task; its lane runs it at once (lanes are FIFO). */
static inline void cm_accept_plain(struct core_model *m,
				   const struct knhk_task *t)
{
	__u32 lane = cm_lane(m, t->task_id);
	struct cm_task *x;

	if (m->ntasks >= m->cap)
		abort();
	x = &m->tasks[m->ntasks++];
	memset(x, 0, sizeof(*x));
	x->task = *t;
	x->guard_failed = !cm_guards_hold(m, t);
	x->want.task_id = t->task_id;
	x->want.lane = lane;
	x->want.enqueue_ts = cm_tick(m);
	cm_event(m, x->want.enqueue_ts);
	m->submitted++;
	m->lane_enqueued[lane]++;

	cm_work(t, x->guard_failed, m->lane_state[lane], &x->want);
	x->want.execute_ts = cm_recv(&m->lane_clock[lane], x->want.enqueue_ts);
	x->ran = true;
	cm_event(m, x->want.execute_ts);
	m->executed++;
	m->lane_executed[lane]++;
}

static inline void cm_accept_ordered(struct core_model *m,
				     const struct knhk_ordered_task *ot)
{
	struct cm_task *x;
	struct cm_held *h;

	if (m->ntasks >= m->cap)
		abort();
	x = &m->tasks[m->ntasks];
	h = &m->held[m->nheld++];
	memset(x, 0, sizeof(*x));
	x->task = ot->task;
	x->ts = ot->timestamp;
	x->ordered = true;
	x->guard_failed = !cm_guards_hold(m, &ot->task);
	x->want.task_id = ot->task.task_id;
	x->want.lane = cm_lane(m, ot->task.task_id);
	x->want.flags = KNHK_COMPLETION_ORDERED;
	x->want.enqueue_ts = cm_recv(&m->submit_clock, ot->timestamp);
	cm_event(m, x->want.enqueue_ts);
	m->submitted++;

	h->ts = ot->timestamp;
	h->lane = x->want.lane;
	h->seq = m->ordered_seq++;
	h->idx = m->ntasks++;
}

/*
 * Accept the entries @from..@to-1 (in acceptance order) of a batch of @n
 * plain tasks (@plain) or ordered tasks (@ordered), as one submit call.
 * Returns the model index of the first task accepted.
 */
static inline size_t cm_batch_part(struct core_model *m,
				   const struct knhk_task *plain,
				   const struct knhk_ordered_task *ordered,
				   size_t n, size_t from, size_t to)
{
	size_t *order = calloc(n ? n : 1, sizeof(*order));
	size_t k, first = m->ntasks;

	if (!order)
		abort();
	if (ordered)
		cm_order(cm_ordered_at, ordered, n, order);
	else
		cm_order(cm_plain_at, plain, n, order);
	for (k = from; k < to; k++) {
		if (ordered)
			cm_accept_ordered(m, &ordered[order[k]]);
		else
			cm_accept_plain(m, &plain[order[k]]);
	}
	free(order);
	return first;
}

static inline size_t cm_submit(struct core_model *m,
			       const struct knhk_task *t, size_t n)
{
	return cm_batch_part(m, t, NULL, n, 0, n);
}

static inline size_t cm_submit_ordered(struct core_model *m,
				       const struct knhk_ordered_task *ot,
				       size_t n)
{
	return cm_batch_part(m, NULL, ot, n, 0, n);
}

static inline bool cm_held_less(const struct cm_held *a,
				const struct cm_held *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->lane != b->lane)
		return a->lane < b->lane;
	return a->seq < b->seq;
}

/* A release: returns how many ordered tasks it runs. */
static inline __u32 cm_release(struct core_model *m, bool all, __u64 wm)
{
	__u64 r = cm_tick(m);
	__u32 n = 0;

	cm_event(m, r);
	if (m->ordered_clock < r)
		m->ordered_clock = r;
	for (;;) {
		size_t i, best = m->nheld;
		struct cm_task *x;

		for (i = 0; i < m->nheld; i++) {
			if (!all && m->held[i].ts > wm)
				continue;
			if (best == m->nheld ||
			    cm_held_less(&m->held[i], &m->held[best]))
				best = i;
		}
		if (best == m->nheld)
			break;
		x = &m->tasks[m->held[best].idx];
		cm_work(&x->task, x->guard_failed, m->shared, &x->want);
		x->want.execute_ts = ++m->ordered_clock;
		x->ran = true;
		cm_event(m, x->want.execute_ts);
		m->executed++;
		m->held[best] = m->held[--m->nheld];
		n++;
	}
	return n;
}

static inline void cm_guards(struct core_model *m, bool set, const __u32 *ids,
			     size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		m->guard[ids[i]] = set;
	cm_event(m, cm_tick(m));
}

static inline void cm_load_shared(struct core_model *m, __u32 first,
				  const __u64 *vals, __u32 n)
{
	memcpy(&m->shared[first], vals, n * sizeof(*vals));
	cm_event(m, cm_tick(m));
}

static inline int cm_ref_cmp(const void *a, const void *b)
{
	const struct cm_ref *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/*
 * Index the tasks accepted so far by id, so that cm_find() is a binary
 * search, not a scan: for workloads of many thousand tasks, built once
 * the model is complete. Returns 0 or -ENOMEM.
 */
static inline int cm_index(struct core_model *m)
{
	size_t i;

	free(m->index);
	m->nindex = 0;
	m->index = calloc(m->ntasks + 1, sizeof(*m->index));
	if (!m->index)
		return -ENOMEM;
	for (i = 0; i < m->ntasks; i++)
		m->index[i] = (struct cm_ref){ m->tasks[i].task.task_id, i };
	qsort(m->index, m->ntasks, sizeof(*m->index), cm_ref_cmp);
	m->nindex = m->ntasks;
	return 0;
}

/* The model index of the task with id @id, or -1. Ids are unique in a test. */
static inline long cm_find(const struct core_model *m, __u64 id)
{
	struct cm_ref key = { id, 0 }, *r;
	size_t i;

	if (m->nindex == m->ntasks) {
		r = bsearch(&key, m->index, m->nindex, sizeof(*r), cm_ref_cmp);
		return r ? (long)r->i : -1;
	}
	for (i = 0; i < m->ntasks; i++)
		if (m->tasks[i].task.task_id == id)
			return (long)i;
	return -1;
}

/* The expected completion of task @id (which must exist). */
static inline const struct knhk_completion *cm_want(const struct core_model *m,
						    __u64 id)
{
	long i = cm_find(m, id);

	if (i < 0)
		abort();
	return &m->tasks[i].want;
}

/*
 * Compare one completion from the device with the model: every
 * deterministic field, the ORDERED flag, reserved 0, and that it is the
 * first completion of a task the model ran. @seen: one flag per model task,
 * owned by the caller. On a mismatch, writes why to @why and returns false.
 */
static inline bool cm_match(const struct core_model *m,
			    const struct knhk_completion *g, bool *seen,
			    char *why, size_t len)
{
	const struct knhk_completion *w;
	long i = cm_find(m, g->task_id);

	if (i < 0) {
		snprintf(why, len, "completion of unknown task %#llx",
			 (unsigned long long)g->task_id);
		return false;
	}
	w = &m->tasks[i].want;
	if (!m->tasks[i].ran) {
		snprintf(why, len, "task %#llx completed but should still wait",
			 (unsigned long long)g->task_id);
		return false;
	}
	if (seen && seen[i]) {
		snprintf(why, len, "task %#llx completed twice",
			 (unsigned long long)g->task_id);
		return false;
	}
	if (g->output != w->output || g->enqueue_ts != w->enqueue_ts ||
	    g->execute_ts != w->execute_ts || g->lane != w->lane ||
	    g->status != w->status || g->ticks != w->ticks ||
	    g->flags != w->flags || g->reserved) {
		snprintf(why, len,
			 "task %#llx: got out %#llx enq %llu exe %llu lane %u st %u ticks %u flags %u rsv %u; want out %#llx enq %llu exe %llu lane %u st %u ticks %u flags %u",
			 (unsigned long long)g->task_id,
			 (unsigned long long)g->output,
			 (unsigned long long)g->enqueue_ts,
			 (unsigned long long)g->execute_ts, g->lane, g->status,
			 g->ticks, g->flags, g->reserved,
			 (unsigned long long)w->output,
			 (unsigned long long)w->enqueue_ts,
			 (unsigned long long)w->execute_ts, w->lane, w->status,
			 w->ticks, w->flags);
		return false;
	}
	if (seen)
		seen[i] = true;
	return true;
}

/* cm_match() for a test: logs and counts a failure. */
#define CM_EXPECT_MATCH(m, g, seen) do { \
	char __why[512]; \
	bool __ok = cm_match((m), (g), (seen), __why, sizeof(__why)); \
	EXPECT_TRUE(__ok) TH_LOG("%s", __why); \
} while (0)

/* ---- building tasks ---- */

static inline void task_guard(struct knhk_task *t, __u32 id)
{
	t->guards[t->nguards++] = id;
}

static inline void otask_pure(struct knhk_ordered_task *ot, __u64 ts,
			      __u64 id, __u64 payload)
{
	memset(ot, 0, sizeof(*ot));
	ot->timestamp = ts;
	task_pure(&ot->task, id, payload);
}

/* Guard ids the generated tasks use; guard changes flip some of them. */
static const __u32 core_guard_pool[] = { 3, 17, 64, 100, 511, 512, 777, 1023 };

/*
 * A random valid program: ALU instructions and loads/stores of lane state
 * (plain tasks) or shared state (ordered tasks, mostly the first 8 slots so
 * that tasks interact). The budget is below the instruction count about a
 * third of the time. Half the loads go straight to r0, and half the
 * programs end by mixing another register into r0, so that state reaches
 * the outputs.
 */
static inline void core_gen_prog(struct knhk_task *t, bool ordered, __u64 *s)
{
	static const __u32 alu[] = {
		KNHK_OP_LDI, KNHK_OP_ADD, KNHK_OP_SUB, KNHK_OP_XOR,
		KNHK_OP_MUL, KNHK_OP_ROL, KNHK_OP_MIX,
	};
	__u32 i, n = 1 + core_below(s, KNHK_MAX_INSNS);

	t->kind = KNHK_WORK_PROGRAM;
	if (core_below(s, 3))
		t->budget = n + core_below(s, KNHK_MAX_BUDGET - n + 1);
	else
		t->budget = 1 + core_below(s, KNHK_MAX_BUDGET);
	for (i = 0; i < n; i++) {
		__u32 op, dst = core_below(s, KNHK_NR_REGS);
		__u32 src = core_below(s, KNHK_NR_REGS);
		__u64 imm = core_rand(s);

		if (i && i == n - 1 && core_below(s, 2)) {
			/* Fold a register into the output. */
			op = KNHK_OP_MIX;
			dst = 0;
			src = 1 + core_below(s, KNHK_NR_REGS - 1);
		} else if (core_below(s, 100) < 40) {
			bool load = core_below(s, 2);

			if (load && core_below(s, 2))
				dst = 0;	/* straight into the output */

			if (ordered) {
				op = load ? KNHK_OP_LDS : KNHK_OP_STS;
				imm = core_below(s, 4) ? core_below(s, 8) :
				      core_below(s, KNHK_SHARED_SLOTS);
			} else {
				op = load ? KNHK_OP_LDL : KNHK_OP_STL;
				imm = core_below(s, KNHK_LANE_SLOTS);
			}
		} else {
			op = alu[core_below(s, ARRAY_SIZE(alu))];
		}
		task_insn(t, op, dst, src, imm);
		insn_zero_unused(&t->prog[t->ninsns - 1]);
	}
}

/*
 * A random valid task: PURE (30%) or a program, any priority, and when
 * @guards, one to three guard ids of core_guard_pool a quarter of the time.
 */
static inline void core_gen_task(struct knhk_task *t, __u64 id, bool ordered,
				 bool guards, __u64 *s)
{
	__u32 i, n;

	memset(t, 0, sizeof(*t));
	t->task_id = id;
	t->payload = core_rand(s);
	t->priority = core_below(s, 3);
	if (core_below(s, 10) < 3) {
		t->kind = KNHK_WORK_PURE;
		t->budget = 1 + core_below(s, KNHK_MAX_BUDGET);
	} else {
		core_gen_prog(t, ordered, s);
	}
	if (guards && !core_below(s, 4)) {
		n = 1 + core_below(s, 3);
		for (i = 0; i < n; i++)
			task_guard(t, core_guard_pool[core_below(s, ARRAY_SIZE(core_guard_pool))]);
	}
}

/* ---- the device; each returns 0 or -errno ---- */

static inline int core_config(int fd, __u32 flags, __u32 lanes, __u32 ring,
			      __u32 cq)
{
	struct knhk_config c = {
		.size = sizeof(c), .flags = flags, .lanes = lanes,
		.ring_size = ring, .cq_size = cq,
	};

	return knhk_ioctl(fd, KNHK_IOC_CONFIGURE, &c);
}

static inline void core_sb(struct knhk_submit *sb, const void *tasks, __u32 n)
{
	memset(sb, 0, sizeof(*sb));
	sb->size = sizeof(*sb);
	sb->count = n;
	sb->tasks = (uintptr_t)tasks;
}

static inline int core_submit(int fd, const struct knhk_task *t, __u32 n,
			      struct knhk_submit *out)
{
	struct knhk_submit sb;
	int r;

	core_sb(&sb, t, n);
	r = knhk_ioctl(fd, KNHK_IOC_SUBMIT, &sb);
	if (out)
		*out = sb;
	return r;
}

static inline int core_submit_ordered(int fd,
				      const struct knhk_ordered_task *ot,
				      __u32 n, struct knhk_submit *out)
{
	struct knhk_submit sb;
	int r;

	core_sb(&sb, ot, n);
	r = knhk_ioctl(fd, KNHK_IOC_SUBMIT_ORDERED, &sb);
	if (out)
		*out = sb;
	return r;
}

static inline int core_enqueue_ordered(int fd,
				       const struct knhk_ordered_task *ot)
{
	struct knhk_enqueue_ordered e = { .size = sizeof(e), .ot = *ot };

	return knhk_ioctl(fd, KNHK_IOC_ENQUEUE_ORDERED, &e);
}

/* @released may be NULL. */
static inline int core_release(int fd, __u32 flags, __u64 wm, __u32 *released)
{
	struct knhk_release r = {
		.size = sizeof(r), .flags = flags, .watermark = wm,
		.released = 0xdeadbeef,
	};
	int ret = knhk_ioctl(fd, KNHK_IOC_RELEASE, &r);

	if (released)
		*released = r.released;
	return ret;
}

static inline int core_guards(int fd, __u32 flags, const __u32 *ids, __u32 n)
{
	struct knhk_guards g = {
		.size = sizeof(g), .flags = flags, .count = n,
		.ids = (uintptr_t)ids,
	};

	return knhk_ioctl(fd, KNHK_IOC_GUARDS, &g);
}

static inline int core_load_shared(int fd, __u32 first, const __u64 *vals,
				   __u32 n)
{
	struct knhk_shared_load s = {
		.size = sizeof(s), .first = first, .count = n,
		.values = (uintptr_t)vals,
	};

	return knhk_ioctl(fd, KNHK_IOC_LOAD_SHARED, &s);
}

static inline int core_digest(int fd, struct knhk_digest *d)
{
	memset(d, 0, sizeof(*d));
	d->size = sizeof(*d);
	return knhk_ioctl(fd, KNHK_IOC_DIGEST, d);
}

static inline int core_run_cycle(int fd, __u32 lane, struct knhk_completion *c)
{
	struct knhk_run_cycle rc = { .size = sizeof(rc), .lane = lane };
	int r;

	memset(&rc.completion, 0xa5, sizeof(rc.completion));
	r = knhk_ioctl(fd, KNHK_IOC_RUN_CYCLE, &rc);
	if (c)
		*c = rc.completion;
	return r;
}

/* STATS.submitted, or -errno. */
static inline long long core_submitted(int fd)
{
	struct knhk_stats s;
	int r = knhk_stats(fd, &s, NULL, 0);

	return r ? r : (long long)s.submitted;
}

/*
 * Read completions until @n have arrived (blocking fd) and check each with
 * the model. Returns the number read, or -errno.
 */
static inline long core_read_check(struct __test_metadata *_metadata, int fd,
				   const struct core_model *m, bool *seen,
				   size_t n)
{
	struct knhk_completion c[64];
	size_t got = 0;

	while (got < n) {
		size_t want = n - got < 64 ? n - got : 64;
		long r = knhk_read(fd, c, want);
		long i;

		if (r <= 0)
			return r ? r : -ENODATA;
		for (i = 0; i < r; i++)
			CM_EXPECT_MATCH(m, &c[i], seen);
		got += r;
	}
	return got;
}

/* Nothing more to read: a nonblocking read finds no completion. */
static inline int core_read_empty(int fd)
{
	struct knhk_completion c;
	long r;
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK))
		return -errno;
	r = knhk_read(fd, &c, 1);
	if (fcntl(fd, F_SETFL, fl))
		return -errno;
	return r == -EAGAIN ? 0 : (r < 0 ? (int)r : -EEXIST);
}

#endif /* KNHK_CORE_H */
