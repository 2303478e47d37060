// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_trace - the tracepoints (include/trace/events/knhk_sched.h), seen
 * through tracefs: every accepted task shows exactly one knhk_submit, one
 * knhk_execute and one knhk_complete, an ordered task also one
 * knhk_release, in that order, each with the fields its completion and
 * submission say; no event names a task that was not submitted; with the
 * events off, nothing is recorded.
 *
 * The events go to a tracefs instance of the test's own, its own buffer,
 * so whatever else traces the machine is left alone. Its clock is
 * "counter", one atomic count for all CPUs, so that the buffer's order is
 * the order the events happened in: the CPUs' time stamps can be tens of
 * microseconds apart in a guest (seen under TCG, with the "global" clock
 * too), which would make a worker's event sort before its cause. A kernel without tracefs
 * skips; one with tracefs but without the knhk_sched events fails.
 */
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "kselftest_harness.h"
#include "knhk_core.h"

#define TR_INSTANCE	"knhk_selftest"
#define TR_MAX_TASKS	512

static const char *const tr_roots[] = {
	"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
};

/* The tracefs mount, mounting it on /sys/kernel/tracing if needed. */
static const char *tracefs_root(void)
{
	char path[128];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(tr_roots); i++) {
		snprintf(path, sizeof(path), "%s/instances", tr_roots[i]);
		if (!access(path, F_OK))
			return tr_roots[i];
	}
	if (mount("tracefs", tr_roots[0], "tracefs", 0, NULL))
		return NULL;
	return tr_roots[0];
}

static int tr_write(const char *dir, const char *file, const char *val)
{
	char path[256];
	int fd, r = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		r = -errno;
	close(fd);
	return r;
}

/* Every knhk_sched event on or off in the instance @dir. */
static int tr_enable(const char *dir, bool on)
{
	return tr_write(dir, "events/knhk_sched/enable", on ? "1" : "0");
}

/* One task as the test submitted and read it. */
struct tr_task {
	struct knhk_completion c;
	__u64 ts;		/* ordered: the caller's timestamp */
	__u64 seq;		/* ordered: ordered submissions before it */
	long line[4];		/* submit, release, execute, complete */
	unsigned int count[4];
};

enum { TR_SUBMIT, TR_RELEASE, TR_EXECUTE, TR_COMPLETE, TR_NR };
static const char *const tr_names[TR_NR] = {
	"knhk_submit", "knhk_release", "knhk_execute", "knhk_complete",
};

/* The fields of one event line; those the event lacks stay ~0. */
struct tr_event {
	int type;
	__u64 inst, lane, task, enq, ordered, ts, guard_failed, cpu;
	__u64 seq, release_ts, exec, status, ticks, output;
};

static bool tr_parse(const char *line, struct tr_event *ev)
{
	static const char *const keys[] = {
		"inst", "lane", "task", "enq", "ordered", "ts", "guard_failed",
		"cpu", "seq", "release_ts", "exec", "status", "ticks", "output",
	};
	__u64 *vals = &ev->inst;
	const char *p;
	size_t i;

	memset(ev, 0xff, sizeof(*ev));
	ev->type = -1;
	for (i = 0; i < TR_NR; i++) {
		char name[32];

		snprintf(name, sizeof(name), " %s: ", tr_names[i]);
		p = strstr(line, name);
		if (p) {
			ev->type = i;
			p += strlen(name);
			break;
		}
	}
	if (ev->type < 0)
		return false;
	while (*p) {
		const char *eq = strchr(p, '=');
		size_t klen;

		if (!eq)
			break;
		klen = eq - p;
		for (i = 0; i < ARRAY_SIZE(keys); i++)
			if (strlen(keys[i]) == klen && !strncmp(p, keys[i], klen))
				vals[i] = strtoull(eq + 1, NULL, 0);
		p = strchr(eq, ' ');
		if (!p)
			break;
		p++;
	}
	return true;
}

static struct tr_task *tr_find(struct tr_task *t, size_t n, __u64 enq)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (t[i].c.enqueue_ts == enq)
			return &t[i];
	return NULL;
}

/* Whether the fields every event carries agree with the task's. */
static bool tr_common_ok(const struct tr_event *ev, const struct tr_task *t)
{
	bool ordered = t->c.flags & KNHK_COMPLETION_ORDERED;

	if (ev->task != t->c.task_id || ev->lane != t->c.lane)
		return false;
	if (ev->type != TR_RELEASE && ev->ordered != ordered)
		return false;
	return ev->cpu < KNHK_MAX_CPUS;
}

/* The fields of one event that only it carries. */
static bool tr_fields_ok(const struct tr_event *ev, const struct tr_task *t)
{
	bool ordered = t->c.flags & KNHK_COMPLETION_ORDERED;

	switch (ev->type) {
	case TR_SUBMIT:
		return ev->ts == (ordered ? t->ts : 0) &&
		       ev->guard_failed ==
		       (t->c.status == KNHK_STATUS_GUARD_FAILED);
	case TR_RELEASE:
		return ordered && ev->ts == t->ts && ev->seq == t->seq &&
		       ev->release_ts > t->c.enqueue_ts &&
		       ev->release_ts < t->c.execute_ts;
	}
	/* The completion names the CPU that ran the task; not the reader's. */
	if (ev->type == TR_EXECUTE && ev->cpu != t->c.cpu)
		return false;
	return ev->exec == t->c.execute_ts && ev->status == t->c.status &&
	       ev->ticks == t->c.ticks && ev->output == t->c.output;
}

/*
 * Read the instance buffer at @dir and match every event of knhk instance
 * @inst against @t. Returns the number of knhk events of @inst seen; a
 * mismatch fails the test.
 */
static long tr_check(struct __test_metadata *_metadata, const char *dir,
		     __u64 inst, struct tr_task *t, size_t n)
{
	unsigned long long in_buf = 0, written = 0;
	char path[256], line[512];
	struct tr_event ev;
	long lineno = 0, events = 0;
	bool counted = false;
	size_t i;
	FILE *f;
	int k;

	snprintf(path, sizeof(path), "%s/trace", dir);
	f = fopen(path, "re");
	if (!f) {
		TH_LOG("%s: %s", path, strerror(errno));
		EXPECT_NE(NULL, f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		struct tr_task *tt;

		lineno++;
		if (line[0] == '#') {
			if (sscanf(line, "# entries-in-buffer/entries-written: %llu/%llu",
				   &in_buf, &written) == 2)
				counted = true;
			continue;
		}
		if (!tr_parse(line, &ev) || ev.inst != inst)
			continue;
		events++;
		tt = tr_find(t, n, ev.enq);
		EXPECT_NE(NULL, tt) TH_LOG("event for no task: %s", line);
		if (!tt)
			continue;
		EXPECT_TRUE(tr_common_ok(&ev, tt) && tr_fields_ok(&ev, tt))
			TH_LOG("task %llu enq %llu, fields differ: %s",
			       (unsigned long long)tt->c.task_id,
			       (unsigned long long)tt->c.enqueue_ts, line);
		tt->count[ev.type]++;
		tt->line[ev.type] = lineno;
	}
	fclose(f);
	/* Nothing lost: the buffer held every event written. */
	EXPECT_TRUE(counted);
	EXPECT_EQ(written, in_buf);

	for (i = 0; i < n; i++) {
		bool ordered = t[i].c.flags & KNHK_COMPLETION_ORDERED;

		for (k = 0; k < TR_NR; k++)
			EXPECT_EQ(k == TR_RELEASE && !ordered ? 0 : 1,
				  t[i].count[k])
				TH_LOG("task %llu enq %llu: %u %s events",
				       (unsigned long long)t[i].c.task_id,
				       (unsigned long long)t[i].c.enqueue_ts,
				       t[i].count[k], tr_names[k]);
		EXPECT_LT(t[i].line[TR_SUBMIT], t[i].line[TR_EXECUTE]);
		EXPECT_LT(t[i].line[TR_EXECUTE], t[i].line[TR_COMPLETE]);
		if (ordered) {
			EXPECT_LT(t[i].line[TR_SUBMIT], t[i].line[TR_RELEASE]);
			EXPECT_LT(t[i].line[TR_RELEASE], t[i].line[TR_EXECUTE]);
		}
	}
	return events;
}

/* Read @n completions of @fd into consecutive tasks starting at @t. */
static void tr_read(struct __test_metadata *_metadata, int fd,
		    struct tr_task *t, size_t n)
{
	struct knhk_completion c[64];
	size_t got = 0;

	while (got < n) {
		long r = knhk_read(fd, c, n - got < 64 ? n - got : 64);
		long i;

		ASSERT_LT(0, r);
		for (i = 0; i < r; i++)
			t[got + i].c = c[i];
		got += r;
	}
}

/* Attach what the test knows of each ordered task to what it read. */
static void tr_ordered_info(struct tr_task *t, size_t n,
			    const struct knhk_ordered_task *ot, size_t nord,
			    __u64 seq0)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (!(t[i].c.flags & KNHK_COMPLETION_ORDERED))
			continue;
		for (j = 0; j < nord; j++)
			if (ot[j].task.task_id == t[i].c.task_id) {
				t[i].ts = ot[j].timestamp;
				t[i].seq = seq0 + j;
			}
	}
}

/* A configured instance: its fd, its number in @inst. */
static int tr_open(struct __test_metadata *_metadata, __u32 flags,
		   __u32 lanes, __u64 *inst)
{
	struct knhk_stats st;
	int fd = open_dev(_metadata, 0);

	EXPECT_EQ(0, core_config(fd, flags, lanes, 64, 64 * lanes));
	EXPECT_EQ(0, knhk_stats(fd, &st, NULL, 0));
	*inst = st.instance;
	return fd;
}

/* @n plain PURE tasks, ids from 0, payloads @mul apart. */
static void tr_plain(struct knhk_task *t, size_t n, __u64 mul)
{
	size_t i;

	for (i = 0; i < n; i++)
		task_pure(&t[i], i, i * mul);
}

FIXTURE(tr) {
	char dir[256];
	bool have;
	struct tr_task *t;
};

FIXTURE_SETUP(tr)
{
	const char *root = tracefs_root();

	self->t = calloc(TR_MAX_TASKS, sizeof(*self->t));
	ASSERT_NE(NULL, self->t);
	if (!root)
		SKIP(return, "no tracefs in this kernel");
	snprintf(self->dir, sizeof(self->dir), "%s/instances/" TR_INSTANCE,
		 root);
	/* A run killed earlier may have left it behind. */
	rmdir(self->dir);
	ASSERT_EQ(0, mkdir(self->dir, 0700)) TH_LOG("%s: %s", self->dir,
						    strerror(errno));
	self->have = true;
	ASSERT_EQ(0, tr_write(self->dir, "trace_clock", "counter"));
	/* Room for every event of the workload on one CPU. */
	ASSERT_EQ(0, tr_write(self->dir, "buffer_size_kb", "1024"));
	ASSERT_EQ(0, tr_enable(self->dir, false))
		TH_LOG("no knhk_sched events in tracefs: is the module loaded?");
}

FIXTURE_TEARDOWN(tr)
{
	if (self->have) {
		tr_enable(self->dir, false);
		rmdir(self->dir);
	}
	free(self->t);
}

/*
 * Plain tasks in batches (priorities mixed, task ids repeated, some
 * guarded out), ordered tasks released by a watermark then all.
 */
TEST_F(tr, every_task_every_event)
{
	struct knhk_ordered_task ot[24];
	struct knhk_task plain[64];
	const __u32 guard = 17;
	size_t n = 0, b, i;
	__u32 released;
	__u64 inst;
	int fd;

	if (!self->have)
		return;
	fd = tr_open(_metadata, 0, 4, &inst);
	ASSERT_EQ(0, tr_enable(self->dir, true));

	ASSERT_EQ(0, core_guards(fd, KNHK_GUARDS_SET, &guard, 1));
	for (b = 0; b < 3; b++) {
		for (i = 0; i < ARRAY_SIZE(plain); i++) {
			/* Ids repeat across batches: events pair by enq. */
			task_pure(&plain[i], i % 40, b * 100 + i);
			plain[i].priority = i % 3;
			if (i % 7 == 3)
				task_guard(&plain[i], i % 2 ? guard : guard + 1);
		}
		ASSERT_EQ(0, core_submit(fd, plain, ARRAY_SIZE(plain), NULL));
		tr_read(_metadata, fd, self->t + n, ARRAY_SIZE(plain));
		n += ARRAY_SIZE(plain);
	}
	for (i = 0; i < ARRAY_SIZE(ot); i++)
		otask_pure(&ot[i], 1000 - 10 * (i % 12), 5000 + i, i);
	ASSERT_EQ(0, core_submit_ordered(fd, ot, ARRAY_SIZE(ot), NULL));
	ASSERT_EQ(0, core_release(fd, 0, 950, &released));
	ASSERT_LT(0, released);
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, NULL));
	tr_read(_metadata, fd, self->t + n, ARRAY_SIZE(ot));
	tr_ordered_info(self->t + n, ARRAY_SIZE(ot), ot, ARRAY_SIZE(ot), 0);
	n += ARRAY_SIZE(ot);
	ASSERT_EQ(0, tr_enable(self->dir, false));
	close(fd);

	EXPECT_EQ((long)(n * 3 + ARRAY_SIZE(ot)),
		  tr_check(_metadata, self->dir, inst, self->t, n));
}

/* Step mode: run-cycle hands each completion over itself. */
TEST_F(tr, run_cycle)
{
	struct knhk_task t[8];
	size_t i;
	__u64 inst;
	int fd;

	if (!self->have)
		return;
	fd = tr_open(_metadata, KNHK_CONFIG_STEP_MODE, 2, &inst);
	ASSERT_EQ(0, tr_enable(self->dir, true));
	tr_plain(t, ARRAY_SIZE(t), 3);
	ASSERT_EQ(0, core_submit(fd, t, ARRAY_SIZE(t), NULL));
	for (i = 0; i < ARRAY_SIZE(t); i++)
		ASSERT_EQ(0, core_run_cycle(fd, i % 2, &self->t[i].c));
	ASSERT_EQ(0, tr_enable(self->dir, false));
	close(fd);
	EXPECT_EQ((long)ARRAY_SIZE(t) * 3,
		  tr_check(_metadata, self->dir, inst, self->t,
			   ARRAY_SIZE(t)));
}

/* Off, the same calls record nothing. */
TEST_F(tr, off_records_nothing)
{
	struct knhk_task t[32];
	__u64 inst;
	int fd;

	if (!self->have)
		return;
	fd = tr_open(_metadata, 0, 4, &inst);
	tr_plain(t, ARRAY_SIZE(t), 1);
	ASSERT_EQ(0, core_submit(fd, t, ARRAY_SIZE(t), NULL));
	tr_read(_metadata, fd, self->t, ARRAY_SIZE(t));
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, NULL));
	close(fd);
	memset(self->t, 0, ARRAY_SIZE(t) * sizeof(*self->t));
	EXPECT_EQ(0, tr_check(_metadata, self->dir, inst, self->t, 0));
}

TEST_HARNESS_MAIN
