// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_replay - the replay stream in debugfs against what the device says:
 * records against completions one for one, the event count and digest of
 * KNHK_IOC_DIGEST against the records, drops against sequence gaps, a slow
 * reader in lossless mode, and a replay of a log giving the same log.
 *
 * The log format, the stream reader and the digest are knhkctl's (tools/),
 * included here so that there is one implementation of each.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#include "../tools/knhk_log.c"
#include "../tools/knhk_workload.c"
#include "../tools/knhk_dev.c"
#include "knhk_rel.h"

#define DEV		"/dev/" KNHK_DEVICE_NAME
#define TIMEOUT		120	/* seconds per test: the debug kernel is slow */

/*
 * Digests of model_std() and model_ordered_std() in tools/test/test_log.c,
 * from its reference code.
 */
#define KNOWN_DIGEST	0xf316734ce384e503ULL
#define KNOWN_ORDERED	0x2f3c62a97790e173ULL

FIXTURE(replay) {
	int fd;
	struct knhk_workload w;
	struct knhk_exec x;
	struct knhk_dump d;
	struct knhk_log log;
};

FIXTURE_SETUP(replay)
{
	memset(self, 0, sizeof(*self));
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	if (self->fd < 0)
		SKIP(return, DEV ": %s (module not loaded?)", strerror(errno));
	if (access(KNHK_DEBUGFS, R_OK))
		SKIP(return, KNHK_DEBUGFS ": %s (no debugfs?)", strerror(errno));
	knhk_wl_init(&self->w);
	knhk_log_init(&self->log);
}

FIXTURE_TEARDOWN(replay)
{
	knhk_dump_close(&self->d);
	knhk_exec_free(&self->x);
	knhk_log_free(&self->log);
	knhk_wl_free(&self->w);
	if (self->fd >= 0)
		close(self->fd);
}

/* Add one workload line, printf-style. */
static int add(struct knhk_workload *w, const char *fmt, ...) __printf(2, 3);

static int add(struct knhk_workload *w, const char *fmt, ...)
{
	char line[512], err[KNHK_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (knhk_wl_line(w, line, err)) {
		fprintf(stderr, "# workload line '%s': %s\n", line, err);
		return -1;
	}
	return 0;
}

/*
 * Every kind of call: guards (task ids 10k+5 need an unset guard), shared
 * state, plain tasks using lane state, programs over budget, batches of
 * mixed priority, ordered tasks released by watermark and at the end.
 */
static int mixed_workload(struct knhk_workload *w, int n)
{
	int i, k, ret = 0;

	ret |= add(w, "guard set 1 2");
	ret |= add(w, "shared 0 5 6 7");
	for (i = 0; i < n && !ret; i++) {
		switch (i % 10) {
		case 3:
			ret |= add(w, "program %d %d ; ldl r1 0 ; add r0 r1 ; stl 0 r0", i, i);
			break;
		case 5:
			ret |= add(w, "pure %d %d guards=1,3", i, i);
			break;
		case 7:
			ret |= add(w, "program %d %d budget=1 ; ldi r1 1 ; add r0 r1", i, i);
			break;
		default:
			ret |= add(w, "pure %d %d", i, i * 3);
		}
		if (i % 100 == 50) {
			ret |= add(w, "batch");
			for (k = 0; k < 20; k++)
				ret |= add(w, "pure %d %d prio=%s", 100000 + i * 20 + k, k,
					   k % 3 ? "high" : "low");
			ret |= add(w, "end");
		}
		if (i % 250 == 100) {
			ret |= add(w, "ordered %d program %d 1 ; lds r0 0 ; add r0 r0 ; sts 0 r0",
				   i + 40, 200000 + i);
			ret |= add(w, "ordered %d program %d 2 ; lds r1 1 ; add r0 r1 ; sts 1 r0",
				   i + 10, 200001 + i);
			ret |= add(w, "ordered %d pure %d 3", i + 70, 200002 + i);
			ret |= add(w, "release %d", i + 40);
		}
	}
	ret |= add(w, "release all");
	return ret;
}

/* Configure, run with the stream read as it comes, merge into self->log. */
static int run_dumped(struct __test_metadata *_metadata, struct _test_data_replay *self,
		      __u32 lanes, __u32 flags, __u32 subbuf, __u32 nsubbufs)
{
	struct knhk_log_header h;
	char err[KNHK_ERRLEN] = "";
	int ret;

	self->x.fd = self->fd;
	self->x.cfg = (struct knhk_config){
		.size = sizeof(self->x.cfg), .lanes = lanes, .ring_size = 256,
		.cq_size = lanes * 256, .flags = KNHK_CONFIG_REPLAY | flags,
		.replay_subbuf_size = subbuf, .replay_nr_subbufs = nsubbufs,
	};
	self->x.dump = &self->d;
	ret = knhk_exec_run(&self->x, &self->w);
	EXPECT_EQ(0, ret) TH_LOG("run: %s", self->x.err);
	if (ret)
		return ret;
	knhk_log_header_init(&h, &self->x.cfg, &self->x.digest);
	ret = knhk_dump_log(&self->d, &h, &self->log, err);
	EXPECT_EQ(0, ret) TH_LOG("merge: %s", err);
	return ret;
}

/* Forget a run (its reader, log and instance) for another: 0 or -errno. */
static int next_run(struct _test_data_replay *self)
{
	knhk_dump_close(&self->d);
	knhk_exec_free(&self->x);
	knhk_log_free(&self->log);
	memset(&self->d, 0, sizeof(self->d));
	memset(&self->x, 0, sizeof(self->x));
	knhk_log_init(&self->log);
	close(self->fd);
	self->fd = open(DEV, O_RDWR | O_CLOEXEC);
	return self->fd < 0 ? -errno : 0;
}

/*
 * Happens-before on every event of a log (DESIGN.md section 2), as
 * `knhkctl replay verify` checks it; the line printed is what make check
 * counts.
 */
static void expect_hb(struct __test_metadata *_metadata, const struct knhk_log *log)
{
	struct knhk_verify v;

	knhk_log_verify(log, &v);
	EXPECT_EQ(KNHK_HB_OK, v.hb.rule) TH_LOG("happens-before: %s: %s",
						knhk_hb_rule_name(v.hb.rule), v.hb.why);
	if (v.hb.rule == KNHK_HB_OK)
		printf("# happens-before: ok, %llu events checked%s\n",
		       (unsigned long long)v.hb.events,
		       v.hb.partial ? " (per source only: the log is incomplete)" : "");
	fflush(stdout);
}

static void expect_complete(struct __test_metadata *_metadata, const struct knhk_log *log,
			    const struct knhk_digest *dg)
{
	struct knhk_verify v;

	expect_hb(_metadata, log);
	knhk_log_verify(log, &v);
	EXPECT_EQ(0, log->hdr.flags & KNHK_LOG_F_STREAM_ERROR);
	EXPECT_EQ(0, log->hdr.dropped);
	EXPECT_EQ(0, v.gaps) TH_LOG("first gap: source %#x seq %llu", v.gap_source,
				    (unsigned long long)v.gap_seq);
	EXPECT_EQ(0, v.bad_hash);
	EXPECT_EQ(dg->events, log->n);
	EXPECT_EQ(dg->events, v.sum.events);
	EXPECT_EQ(dg->checksum, v.sum.checksum);
	EXPECT_EQ(dg->digest, v.sum.digest) TH_LOG("userspace %016llx, kernel %016llx",
						   (unsigned long long)v.sum.digest,
						   (unsigned long long)dg->digest);
	EXPECT_FALSE(v.incomplete);
}

static int cmp_exec_key(const void *a, const void *b)
{
	const struct knhk_completion *x = a, *y = b;
	__u32 sx = x->flags & KNHK_COMPLETION_ORDERED ? KNHK_SRC_ORDERED : x->lane;
	__u32 sy = y->flags & KNHK_COMPLETION_ORDERED ? KNHK_SRC_ORDERED : y->lane;

	if (sx != sy)
		return sx < sy ? -1 : 1;
	return x->execute_ts < y->execute_ts ? -1 : x->execute_ts > y->execute_ts;
}

/* The completion that TaskExecuted @ev reports: same source and timestamp. */
static const struct knhk_completion *find_completion(const struct knhk_completion *c,
						     size_t n, const struct knhk_event *ev)
{
	struct knhk_completion key = {
		.lane = ev->source == KNHK_SRC_ORDERED ? 0 : ev->source,
		.flags = ev->source == KNHK_SRC_ORDERED ? KNHK_COMPLETION_ORDERED : 0,
		.execute_ts = ev->ts,
	};

	return bsearch(&key, c, n, sizeof(*c), cmp_exec_key);
}

/*
 * Every TaskExecuted record is a completion (task, lane, status, ticks,
 * timestamps, and its hash is that of the completion's output), every
 * completion a record, every accepted task has one TaskEnqueued; the
 * records' count and digest are KNHK_IOC_DIGEST's.
 */
TEST_F_TIMEOUT(replay, relay_matches_completions, TIMEOUT)
{
	const struct knhk_completion *c;
	size_t i, nexec = 0, nenq = 0, matched = 0;
	__u64 sum_ids_enq = 0, sum_ids_comp = 0;

	ASSERT_EQ(0, mixed_workload(&self->w, 1500));
	ASSERT_EQ(0, run_dumped(_metadata, self, 4, 0, 0, 0));
	expect_complete(_metadata, &self->log, &self->x.digest);
	ASSERT_EQ(self->x.accepted, self->x.ncomp);

	qsort(self->x.comp, self->x.ncomp, sizeof(*self->x.comp), cmp_exec_key);
	for (i = 0; i < self->log.n; i++) {
		const struct knhk_event *ev = self->log.recs[i].ev;

		if (ev->type == KNHK_EV_TASK_ENQUEUED) {
			nenq++;
			sum_ids_enq += ev->task_id;
			continue;
		}
		if (ev->type != KNHK_EV_TASK_EXECUTED)
			continue;
		nexec++;
		c = find_completion(self->x.comp, self->x.ncomp, ev);
		EXPECT_NE(NULL, c) TH_LOG("no completion for task %llu (source %#x ts %llu)",
					  (unsigned long long)ev->task_id, ev->source,
					  (unsigned long long)ev->ts);
		if (!c)
			continue;
		EXPECT_EQ(c->task_id, ev->task_id);
		EXPECT_EQ(c->lane, ev->lane);
		EXPECT_EQ(c->status, ev->status);
		EXPECT_EQ(c->ticks, ev->ticks);
		EXPECT_EQ(c->execute_ts, ev->ts);
		{
			const struct {
				__u64 task_id, output;
				__u32 status, ticks;
			} o = { c->task_id, c->output, c->status, c->ticks };

			EXPECT_EQ(knhk_hash(&o, sizeof(o), 0), ev->hash)
				TH_LOG("task %llu: output hash", (unsigned long long)c->task_id);
		}
		matched++;
	}
	for (i = 0; i < self->x.ncomp; i++)
		sum_ids_comp += self->x.comp[i].task_id;
	EXPECT_EQ(self->x.ncomp, nexec);
	EXPECT_EQ(self->x.ncomp, matched);
	EXPECT_EQ(self->x.accepted, nenq);
	EXPECT_EQ(sum_ids_comp, sum_ids_enq);
	/* The workload made every kind of outcome. */
	for (i = 0; i < self->x.ncomp; i++)
		if (self->x.comp[i].status == KNHK_STATUS_GUARD_FAILED)
			break;
	EXPECT_LT(i, self->x.ncomp);
}

/* The digest the unit tests compute independently, from the kernel. */
TEST_F_TIMEOUT(replay, known_answer, TIMEOUT)
{
	int id;

	ASSERT_EQ(0, add(&self->w, "guard set 1 2 3"));
	for (id = 0; id < 8; id++)
		ASSERT_EQ(0, add(&self->w, id == 6 ? "pure %d %d guards=5" : "pure %d %d",
				 id, 1000 + id));
	ASSERT_EQ(0, run_dumped(_metadata, self, 4, 0, 0, 0));
	expect_complete(_metadata, &self->log, &self->x.digest);
	EXPECT_EQ(KNOWN_DIGEST, self->x.digest.digest)
		TH_LOG("kernel digest %016llx", (unsigned long long)self->x.digest.digest);
}

/*
 * The ordered known answer: the case (T 3 submitted when the submit
 * clock is past it) among plain tasks, a watermark release, a task with a
 * smaller T submitted after it, a release of everything. Each ordered task
 * is stamped by the ordered clock after its release's timestamp, so it
 * runs after its own enqueue and after the release.
 */
TEST_F_TIMEOUT(replay, known_answer_ordered, TIMEOUT)
{
	static const char * const lines[] = {
		"guard set 1", "pure 0 100", "pure 1 101", "pure 2 102", "pure 3 103",
		"ordered 3 pure 10 200", "ordered 10 pure 11 201", "ordered 5 pure 12 202",
		"pure 4 104", "release 10", "ordered 2 pure 13 203",
		"ordered 40 pure 14 204", "pure 5 105", "release all",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lines); i++)
		ASSERT_EQ(0, add(&self->w, "%s", lines[i]));
	ASSERT_EQ(0, run_dumped(_metadata, self, 4, 0, 0, 0));
	expect_complete(_metadata, &self->log, &self->x.digest);
	for (i = 0; i < self->x.ncomp; i++) {
		const struct knhk_completion *c = &self->x.comp[i];

		if (c->flags & KNHK_COMPLETION_ORDERED)
			EXPECT_LT(c->enqueue_ts, c->execute_ts)
				TH_LOG("ordered task %llu: enqueued at %llu, executed at %llu",
				       (unsigned long long)c->task_id,
				       (unsigned long long)c->enqueue_ts,
				       (unsigned long long)c->execute_ts);
	}
	EXPECT_EQ(KNOWN_ORDERED, self->x.digest.digest)
		TH_LOG("kernel digest %016llx", (unsigned long long)self->x.digest.digest);
}

/*
 * Drop mode, two 8 KiB sub-buffers per CPU, read only after thousands of
 * tasks: many events are lost, and debugfs "dropped" counts exactly the
 * sequence numbers missing from the stream (inside it, and at each
 * source's end, whose length the counters give).
 */
TEST_F_TIMEOUT(replay, drops_are_counted, TIMEOUT)
{
	__u64 expect[KNHK_MAX_LANES + 2] = { 0 }, present[KNHK_MAX_LANES + 2] = { 0 };
	__u64 missing = 0, lanes_exec = 0;
	const __u32 lanes = 4;
	struct knhk_verify v;
	size_t i;
	int b, k;

	for (b = 0; b < 16; b++) {
		ASSERT_EQ(0, add(&self->w, "batch"));
		for (k = 0; k < 256; k++)
			ASSERT_EQ(0, add(&self->w, "pure %d %d", b * 256 + k, k));
		ASSERT_EQ(0, add(&self->w, "end"));
	}
	self->x.late_dump = true;
	ASSERT_EQ(0, run_dumped(_metadata, self, lanes, KNHK_CONFIG_REPLAY_DROP,
				KNHK_REPLAY_MIN_SUBBUF, 2));
	ASSERT_EQ(4096, self->x.accepted);

	for (i = 0; i < lanes; i++) {
		expect[i] = self->x.lane_stats[i].executed;
		lanes_exec += expect[i];
	}
	expect[lanes] = self->x.stats.executed - lanes_exec;
	expect[lanes + 1] = self->x.digest.events - self->x.stats.executed;
	for (i = 0; i < self->log.n; i++) {
		const struct knhk_event *ev = self->log.recs[i].ev;
		int s = src_index(ev->source, lanes);

		EXPECT_LT(ev->seq, expect[s]);
		present[s]++;
	}
	for (i = 0; i < lanes + 2; i++) {
		EXPECT_LE(present[i], expect[i]);
		missing += expect[i] - present[i];
	}
	expect_hb(_metadata, &self->log);
	knhk_log_verify(&self->log, &v);
	TH_LOG("%zu of %llu events read, %llu dropped, %llu in gaps", self->log.n,
	       (unsigned long long)self->x.digest.events,
	       (unsigned long long)self->log.hdr.dropped, (unsigned long long)v.gaps);
	EXPECT_GT(self->log.hdr.dropped, 0);
	EXPECT_EQ(self->log.hdr.dropped, missing);
	EXPECT_EQ(self->log.hdr.dropped, v.missing);
	EXPECT_LE(v.gaps, missing);
	EXPECT_TRUE(v.incomplete);
	EXPECT_EQ(0, self->log.hdr.flags & KNHK_LOG_F_STREAM_ERROR);
}

/*
 * Lossless mode with the same tiny buffers and a reader that sleeps after
 * every read: the producers wait for it, and nothing is lost.
 */
TEST_F_TIMEOUT(replay, lossless_slow_reader, TIMEOUT)
{
	ASSERT_EQ(0, mixed_workload(&self->w, 1200));
	self->d.delay_us = 1000;
	ASSERT_EQ(0, run_dumped(_metadata, self, 2, 0, KNHK_REPLAY_MIN_SUBBUF, 2));
	expect_complete(_metadata, &self->log, &self->x.digest);
	TH_LOG("%zu events, %llu bytes", self->log.n, (unsigned long long)self->d.bytes);
}

/*
 * Lossless mode, tiny buffers, 20,000 tasks, and a reader that reads the
 * sub-buffer being written as well, all the time, racing every sub-buffer
 * switch.
 * relay_switch_subbuf() counts a sub-buffer produced before it resets the
 * offset: a read() in between once took the finished sub-buffer's offset
 * for the new one's, read past the new one's records and lost the rest
 * of the stream (make bench, 4 vCPUs, every run; this test, the first
 * run of two of two). Several runs, each log complete.
 */
#define EAGER_RUNS	4

TEST_F_TIMEOUT(replay, eager_reader_across_switches, TIMEOUT)
{
	int i;

	ASSERT_EQ(0, add(&self->w, "pure 0..19999 7"));
	for (i = 0; i < EAGER_RUNS && _metadata->passed; i++) {
		if (i)
			ASSERT_EQ(0, next_run(self));
		self->d.eager = true;
		if (run_dumped(_metadata, self, 4, 0, KNHK_REPLAY_MIN_SUBBUF, 4))
			break;
		expect_complete(_metadata, &self->log, &self->x.digest);
	}
	TH_LOG("%d runs, %zu events each", i, self->log.n);
}

/*
 * The reader opens each replay file on the pass that finds it, or, while
 * the module refuses to open a file whose buffer relay has not set up yet
 * (EAGAIN), on the pass right after the last refusal. Tiny lossless
 * buffers: a stream left unopened stalls its producers. The reader used
 * to wait for a file to "settle" and look again only every 64 passes: the
 * submitting CPU's stream stayed full and unread for up to a third of a
 * second, and `knhkctl replay dump` ran at a quarter of the speed of
 * `knhkctl run` (make bench). Counted in passes, not timed: how long
 * relay takes to set a buffer up is the machine's business.
 */
TEST_F_TIMEOUT(replay, files_opened_when_found, TIMEOUT)
{
	int i;

	ASSERT_EQ(0, add(&self->w, "pure 0..1999 7"));
	ASSERT_EQ(0, run_dumped(_metadata, self, 4, 0, KNHK_REPLAY_MIN_SUBBUF, 4));
	expect_complete(_metadata, &self->log, &self->x.digest);
	ASSERT_LT(0, self->d.nstreams);
	for (i = 0; i < self->d.nstreams; i++) {
		const struct knhk_stream *st = &self->d.streams[i];

		EXPECT_EQ(st->refusals ? st->refused + 1 : st->found, st->opened)
			TH_LOG("replay%d: found on pass %u, refused %u times (last %u), opened %u",
			       st->cpu, st->found, st->refusals, st->refused, st->opened);
	}
	TH_LOG("%d files, %u passes", self->d.nstreams, self->d.passes);
}

/*
 * knhkctl replay run: a log's submit-path records fed to a new instance
 * give the same log, record for record.
 */
TEST_F_TIMEOUT(replay, replay_gives_exact_match, TIMEOUT)
{
	struct knhk_workload w2;
	struct knhk_exec x2 = { 0 };
	struct knhk_dump d2 = { 0 };
	struct knhk_log log2, file;
	struct knhk_log_header h;
	char err[KNHK_ERRLEN] = "";
	struct knhk_diff diff;
	size_t len;
	void *buf;
	int fd2;

	ASSERT_EQ(0, mixed_workload(&self->w, 600));
	ASSERT_EQ(0, run_dumped(_metadata, self, 8, 0, 0, 0));
	expect_complete(_metadata, &self->log, &self->x.digest);

	/* Through the file format and back. */
	ASSERT_EQ(0, knhk_log_encode(&self->log, &buf, &len));
	ASSERT_EQ(0, knhk_log_parse(&file, buf, len, 0, err)) TH_LOG("%s", err);
	free(buf);

	knhk_wl_init(&w2);
	ASSERT_EQ(0, knhk_wl_from_log(&w2, &file, err));
	fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	x2.fd = fd2;
	x2.cfg = self->x.cfg;
	x2.dump = &d2;
	ASSERT_EQ(0, knhk_exec_run(&x2, &w2)) TH_LOG("%s", x2.err);
	knhk_log_header_init(&h, &x2.cfg, &x2.digest);
	ASSERT_EQ(0, knhk_dump_log(&d2, &h, &log2, err));
	EXPECT_EQ(self->x.digest.digest, x2.digest.digest);
	expect_hb(_metadata, &log2);
	knhk_log_diff(&file, &log2, &diff);
	EXPECT_EQ(KNHK_EXACT_MATCH, diff.grade) TH_LOG("%s: %s", knhk_grade_name(diff.grade),
						       diff.why);
	knhk_log_free(&log2);
	knhk_log_free(&file);
	knhk_dump_close(&d2);
	knhk_exec_free(&x2);
	knhk_wl_free(&w2);
	close(fd2);
}

/* Another lane count, for tasks that use no lane state: MINOR_DIFFERENCE. */
TEST_F_TIMEOUT(replay, other_lanes_minor_difference, TIMEOUT)
{
	struct knhk_exec x2 = { 0 };
	struct knhk_dump d2 = { 0 };
	struct knhk_log log2;
	struct knhk_log_header h;
	char err[KNHK_ERRLEN] = "";
	struct knhk_diff diff;
	int fd2;

	ASSERT_EQ(0, add(&self->w, "pure 0..299 7"));
	ASSERT_EQ(0, add(&self->w, "program 300..399 1 ; ldi r1 5 ; mix r0 r1"));
	ASSERT_EQ(0, run_dumped(_metadata, self, 4, 0, 0, 0));
	fd2 = open(DEV, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	x2.fd = fd2;
	x2.cfg = self->x.cfg;
	x2.cfg.lanes = 16;
	x2.cfg.cq_size = 16 * 256;
	x2.dump = &d2;
	ASSERT_EQ(0, knhk_exec_run(&x2, &self->w)) TH_LOG("%s", x2.err);
	knhk_log_header_init(&h, &x2.cfg, NULL);
	ASSERT_EQ(0, knhk_dump_log(&d2, &h, &log2, err));
	expect_hb(_metadata, &self->log);
	expect_hb(_metadata, &log2);
	knhk_log_diff(&self->log, &log2, &diff);
	EXPECT_EQ(KNHK_MINOR_DIFFERENCE, diff.grade) TH_LOG("%s: %s",
							    knhk_grade_name(diff.grade),
							    diff.why);
	knhk_log_free(&log2);
	knhk_dump_close(&d2);
	knhk_exec_free(&x2);
	close(fd2);
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

static void cpu_online_path(char *path, size_t len, long cpu)
{
	snprintf(path, len, "/sys/devices/system/cpu/cpu%ld/online", cpu);
}

#define HOTPLUG_RUNS	100

/*
 * Streams opened while CPUs go offline and come back. relay_open() gives
 * a buffer to each online CPU, and relay's hotplug callback to each CPU
 * that comes up after it; a CPU coming up during relay_open() got
 * neither, and the first event its worker wrote was a NULL dereference.
 * Every run's log must also be complete.
 */
TEST_F_TIMEOUT(replay, opened_during_hotplug, 300)
{
	long ncpus = sysconf(_SC_NPROCESSORS_CONF), c;
	char path[64];
	pid_t storm;
	int i;

	cpu_online_path(path, sizeof(path), 1);
	if (ncpus < 2 || access(path, W_OK))
		SKIP(return, "needs a second CPU that can go offline");
	ASSERT_EQ(0, add(&self->w, "pure 0..255 7"));
	storm = fork();
	ASSERT_LE(0, storm);
	if (!storm) {
		for (;;)
			for (c = 1; c < ncpus; c++) {
				cpu_online_path(path, sizeof(path), c);
				if (!write_str(path, "0"))
					write_str(path, "1");
			}
	}
	for (i = 0; i < HOTPLUG_RUNS && _metadata->passed; i++) {
		if (i)
			ASSERT_EQ(0, next_run(self));
		if (run_dumped(_metadata, self, 16, 0, 0, 0))
			break;
		expect_complete(_metadata, &self->log, &self->x.digest);
	}
	kill(storm, SIGKILL);
	waitpid(storm, NULL, 0);
	for (c = 1; c < ncpus; c++) {
		cpu_online_path(path, sizeof(path), c);
		write_str(path, "1");
	}
	TH_LOG("%d runs while CPUs went offline and online", i);
}

#define COMING_UP_STREAMS	24	/* instances whose stream lacks the CPU */
#define COMING_UP_SECS		15

/*
 * The files of a CPU coming up, in the order relay makes them: its
 * hotplug callback walks the channels newest first.
 */
struct opener {
	char path[COMING_UP_STREAMS][96];
	int cpu;		/* run here */
	int stop;		/* set by the test */
	int opened;		/* files opened so far, in order */
	long refused;		/* opens that got EAGAIN: inside the window */
	int unexpected;		/* an errno other than ENOENT or EAGAIN */
};

/*
 * Open each file as soon as it can be opened: spin on the next one until
 * relay makes it, so that the open lands while relay is still setting the
 * buffer up behind it.
 */
static void *opener_fn(void *arg)
{
	struct opener *o = arg;

	rel_pin_cpu(o->cpu);
	while (!__atomic_load_n(&o->stop, __ATOMIC_ACQUIRE) &&
	       o->opened < COMING_UP_STREAMS) {
		int fd = open(o->path[o->opened], O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			close(fd);
			__atomic_add_fetch(&o->opened, 1, __ATOMIC_RELEASE);
		} else if (errno == EAGAIN) {
			o->refused++;
		} else if (errno != ENOENT) {
			o->unexpected = errno;
		}
	}
	return NULL;
}

/* Start an instance with a small drop-mode stream; its replay file path. */
static int start_stream(int fd, char *path, size_t len, long cpu)
{
	struct knhk_config cfg = {
		.size = sizeof(cfg), .lanes = 1, .ring_size = 16, .cq_size = 16,
		.flags = KNHK_CONFIG_REPLAY | KNHK_CONFIG_REPLAY_DROP,
		.replay_subbuf_size = KNHK_REPLAY_MIN_SUBBUF, .replay_nr_subbufs = 2,
	};
	struct knhk_release rel = { .size = sizeof(rel) };
	struct knhk_stats st = { .size = sizeof(st) };

	if (ioctl(fd, KNHK_IOC_CONFIGURE, &cfg) || ioctl(fd, KNHK_IOC_RELEASE, &rel) ||
	    ioctl(fd, KNHK_IOC_STATS, &st))
		return -errno;
	snprintf(path, len, "%s/%u/replay%ld", KNHK_DEBUGFS, st.instance, cpu);
	return 0;
}

/*
 * The file relay's hotplug callback makes for a CPU that comes up for the
 * first time in a stream's life, opened while it appears. Relay creates
 * the file before it initialises the buffer's reference count: an open()
 * in that window took a reference from zero (refcount_t: addition on 0),
 * and closing the file freed the buffer under its channel. The window is
 * short; it is hit when the host deschedules the vCPU inside it, so the
 * test opens many such files, each the moment it appears. Every open must
 * fail with ENOENT (no file yet) or EAGAIN (not ready yet) or give a file
 * that holds its own reference, and every file must open once the CPU is
 * up.
 */
TEST_F_TIMEOUT(replay, file_of_cpu_coming_up, 300)
{
	long cpu = sysconf(_SC_NPROCESSORS_CONF) - 1;
	int fds[COMING_UP_STREAMS], i, k, waited, kmsg;
	long refused = 0;
	struct opener o;
	char online[64];
	time_t end;
	pthread_t t;

	cpu_online_path(online, sizeof(online), cpu);
	if (cpu < 1 || access(online, W_OK))
		SKIP(return, "needs a second CPU that can go offline");
	kmsg = rel_kmsg_open();
	ASSERT_LE(0, rel_pin_cpu(0));
	end = time(NULL) + COMING_UP_SECS;
	for (i = 0; time(NULL) < end && _metadata->passed; i++) {
		memset(&o, 0, sizeof(o));
		o.cpu = cpu > 1 ? 1 : 0;
		ASSERT_EQ(0, write_str(online, "0"));
		/* The streams start with the CPU offline: no buffer for it. */
		for (k = 0; k < COMING_UP_STREAMS; k++) {
			fds[k] = open(DEV, O_RDWR | O_CLOEXEC);
			ASSERT_LE(0, fds[k]);
			ASSERT_EQ(0, start_stream(fds[k], o.path[COMING_UP_STREAMS - 1 - k],
						  sizeof(o.path[0]), cpu));
		}
		ASSERT_NE(0, access(o.path[0], F_OK)) TH_LOG("%s exists with CPU %ld offline",
							     o.path[0], cpu);
		ASSERT_EQ(0, pthread_create(&t, NULL, opener_fn, &o));
		usleep(2000);
		EXPECT_EQ(0, write_str(online, "1"));
		for (waited = 0; waited < 5000 &&
		     __atomic_load_n(&o.opened, __ATOMIC_ACQUIRE) < COMING_UP_STREAMS; waited++)
			usleep(1000);
		__atomic_store_n(&o.stop, 1, __ATOMIC_RELEASE);
		pthread_join(t, NULL);
		refused += o.refused;
		EXPECT_EQ(0, o.unexpected) TH_LOG("open: %s", strerror(o.unexpected));
		EXPECT_EQ(COMING_UP_STREAMS, o.opened)
			TH_LOG("%s did not open after CPU %ld came up", o.path[o.opened], cpu);
		for (k = 0; k < COMING_UP_STREAMS; k++)
			close(fds[k]);
	}
	write_str(online, "1");
	if (kmsg >= 0) {
		EXPECT_EQ(0, rel_kmsg_bad(kmsg, NULL));
		close(kmsg);
	}
	TH_LOG("%d runs: CPU %ld came up under an opener of %d replay files each",
	       i, cpu, COMING_UP_STREAMS);
	TH_LOG("%ld opens refused while a file was not ready", refused);
}

TEST_HARNESS_MAIN
