// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_dev.c - run a workload on an instance; read its completions and
 * replay stream while it runs.
 *
 * Three threads: the caller makes the submit-path calls, blocking as the
 * instance asks; a reader thread reads completions, which is what frees
 * room for more tasks; a dump thread reads the per-CPU relay files, which
 * a lossless stream needs read before it lets producers go on. The relay
 * files exist from the instance's first logged call, so the dump thread
 * looks for them until they appear.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "knhk_dev.h"

#define READ_CHUNK	(256 << 10)
#define STUCK_SECS	10	/* no completion for this long: give up */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- the replay stream ---- */

/*
 * Find the replay<cpu> files and open those not open yet. The module
 * refuses an open with EAGAIN while relay has made a file but not yet
 * the buffer behind it (the instance is starting, or a CPU coming up):
 * that one stays pending, for the next scan. No producer can have written
 * to a buffer relay has not set up, so at the end (the instance's
 * producers are done) a file still pending is an empty stream, not an
 * error: a CPU may be coming up just then. Return: files still pending,
 * or -errno.
 */
static int dump_scan(struct knhk_dump *d)
{
	struct knhk_stream *s;
	struct dirent *de;
	char path[192];
	int cpu, i, e, pending = 0;
	DIR *dir;

	dir = opendir(d->dir);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		if (sscanf(de->d_name, "replay%d", &cpu) != 1 || cpu < 0)
			continue;
		for (i = 0; i < d->nstreams && d->streams[i].cpu != cpu; i++)
			;
		if (i < d->nstreams)
			continue;
		s = realloc(d->streams, (d->nstreams + 1) * sizeof(*s));
		if (!s) {
			closedir(dir);
			return -ENOMEM;
		}
		d->streams = s;
		s += d->nstreams++;
		memset(s, 0, sizeof(*s));
		s->cpu = cpu;
		s->fd = -1;
		s->found = d->passes;
	}
	closedir(dir);
	for (i = 0; i < d->nstreams; i++) {
		s = &d->streams[i];
		if (s->fd != -1)
			continue;
		snprintf(path, sizeof(path), "%s/replay%d", d->dir, s->cpu);
		s->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (s->fd < 0) {
			e = -errno;
			s->fd = -1;
			if (e != -EAGAIN)
				return e;
			s->refusals++;
			s->refused = d->passes;
			pending++;
			continue;
		}
		s->opened = d->passes;
	}
	return pending;
}

static int stream_room(struct knhk_stream *s, size_t need)
{
	uint8_t *nb;

	if (s->room - s->len >= need)
		return 0;
	nb = realloc(s->buf, s->room + need + 4 * READ_CHUNK);
	if (!nb)
		return -ENOMEM;
	s->buf = nb;
	s->room += need + 4 * READ_CHUNK;
	return 0;
}

static ssize_t read_some(int fd, void *buf, size_t len)
{
	ssize_t r;

	do {
		r = read(fd, buf, len);
	} while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : r;
}

/* Whether a file has a whole sub-buffer to read (relay's POLLIN). */
static bool subbuf_ready(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && p.revents & POLLIN;
}

/*
 * Read what one file has now: all of it at the end (@all), else only its
 * finished sub-buffers. The module's read() returns as many bytes of those
 * as fit, and never a byte of the sub-buffer being written while there is
 * a finished one; poll()'s POLLIN says there is. So one poll() and one
 * read() take whole sub-buffers at a time, and a read() that fills its
 * chunk is followed by another poll(): with no finished sub-buffer left,
 * read() would return the one being written, whose records may not be
 * written yet. Return: bytes read, or -errno.
 */
static long dump_read(struct knhk_dump *d, struct knhk_stream *s, bool all)
{
	long got = 0;
	ssize_t r;

	for (;;) {
		if (stream_room(s, READ_CHUNK))
			return -ENOMEM;
		if (!all && !subbuf_ready(s->fd))
			return got;
		r = read_some(s->fd, s->buf + s->len, READ_CHUNK);
		if (r <= 0)
			return r < 0 ? r : got;
		s->len += r;
		got += r;
		d->bytes += r;
		if (d->delay_us)
			usleep(d->delay_us);
		if (!all && r < READ_CHUNK)
			return got;
	}
}

static void dump_failed(struct knhk_dump *d, int e, const char *what)
{
	d->fail = e == -EACCES || e == -EPERM ? KNHK_DEV_PERM :
		  e == -ENOENT ? KNHK_DEV_NODEBUGFS : KNHK_DEV_FAIL;
	snprintf(d->err, sizeof(d->err), "%s %s: %s", what, d->dir, strerror(-e));
}

static void *dump_main(void *arg)
{
	struct knhk_dump *d = arg;
	struct pollfd p[64];
	int i, k, pending = 0;
	long got, r;
	bool stop;

	for (;; d->passes++) {
		stop = atomic_load(&d->stop);
		/*
		 * Look for files until every one found is open, then now and
		 * then: a CPU that comes up gets a new file. A stream left
		 * unread stalls whatever writes to it.
		 */
		if (!d->nstreams || pending || stop || d->passes % 64 == 0) {
			pending = dump_scan(d);
			if (pending < 0 && !d->fail)
				dump_failed(d, pending, "cannot read");
			if (pending < 0 && (stop || !d->nstreams))
				return NULL;
		}
		got = 0;
		for (i = 0; i < d->nstreams; i++) {
			if (d->streams[i].fd < 0)
				continue;
			r = dump_read(d, &d->streams[i], stop || d->eager);
			if (r < 0) {
				/* Keep draining the others: producers may wait. */
				if (!d->fail)
					dump_failed(d, r, "cannot read the replay files of");
				close(d->streams[i].fd);
				d->streams[i].fd = -2;
				continue;
			}
			got += r;
		}
		/* Once stopped, every event is in the buffers: one pass. */
		if (stop && !got)
			return NULL;
		if (got)
			continue;
		for (i = 0, k = 0; i < d->nstreams && k < 64; i++)
			if (d->streams[i].fd >= 0)
				p[k++] = (struct pollfd){ .fd = d->streams[i].fd,
							  .events = POLLIN };
		if (k)
			poll(p, k, 5);
		else
			usleep(1000);
	}
}

/**
 * knhk_dump_open() - find the replay files of the instance of @fd
 * @d: the reader, zeroed by the caller but for @delay_us and @eager
 * @fd: the instance
 * @err: gets a message
 *
 * Return: %KNHK_DEV_OK, %KNHK_DEV_NODEBUGFS, %KNHK_DEV_PERM or
 * %KNHK_DEV_CALL.
 */
int knhk_dump_open(struct knhk_dump *d, int fd, char *err)
{
	struct knhk_stats st = { .size = sizeof(st) };

	if (ioctl(fd, KNHK_IOC_STATS, &st)) {
		snprintf(err, KNHK_ERRLEN, "KNHK_IOC_STATS failed: %s", strerror(errno));
		return KNHK_DEV_CALL;
	}
	d->instance = st.instance;
	snprintf(d->dir, sizeof(d->dir), "%s/%u", KNHK_DEBUGFS, st.instance);
	if (access(d->dir, R_OK | X_OK)) {
		int e = errno;

		if (e == EACCES || e == EPERM) {
			snprintf(err, KNHK_ERRLEN, "%s: %s (root only)", d->dir,
				 strerror(e));
			return KNHK_DEV_PERM;
		}
		snprintf(err, KNHK_ERRLEN,
			 "%s: %s: is debugfs mounted? (mount -t debugfs none /sys/kernel/debug)",
			 d->dir, strerror(e));
		return KNHK_DEV_NODEBUGFS;
	}
	return KNHK_DEV_OK;
}

/**
 * knhk_dump_start() - start reading in a thread
 * @d: the reader
 * @err: gets a message
 *
 * Return: %KNHK_DEV_OK or %KNHK_DEV_FAIL.
 */
int knhk_dump_start(struct knhk_dump *d, char *err)
{
	int e = pthread_create(&d->thread, NULL, dump_main, d);

	if (e) {
		snprintf(err, KNHK_ERRLEN, "cannot start a thread: %s", strerror(e));
		return KNHK_DEV_FAIL;
	}
	d->running = true;
	return KNHK_DEV_OK;
}

/**
 * knhk_read_dropped() - the "total" line of an instance's "dropped" file
 * @dir: the instance's debugfs directory
 * @total: gets the total
 * @err: gets a message
 *
 * Return: %KNHK_DEV_OK, %KNHK_DEV_NODEBUGFS, %KNHK_DEV_PERM or
 * %KNHK_DEV_FAIL.
 */
int knhk_read_dropped(const char *dir, uint64_t *total, char *err)
{
	char path[192], line[128];
	unsigned long long v;
	bool found = false;
	FILE *f;
	int e;

	snprintf(path, sizeof(path), "%s/dropped", dir);
	f = fopen(path, "re");
	if (!f) {
		e = errno;
		snprintf(err, KNHK_ERRLEN, "%s: %s", path, strerror(e));
		return e == EACCES || e == EPERM ? KNHK_DEV_PERM :
		       e == ENOENT ? KNHK_DEV_NODEBUGFS : KNHK_DEV_FAIL;
	}
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "total %llu", &v) == 1) {
			*total = v;
			found = true;
		}
	fclose(f);
	if (!found) {
		snprintf(err, KNHK_ERRLEN, "%s: no 'total' line", path);
		return KNHK_DEV_FAIL;
	}
	return KNHK_DEV_OK;
}

/**
 * knhk_dump_stop() - read to the end of the streams and stop
 * @d: the reader; every event must have been written (after
 *	%KNHK_IOC_DIGEST)
 * @err: gets a message
 *
 * Starts the thread first if it was not running. Reads the drop count.
 *
 * Return: %KNHK_DEV_OK or a failure of the thread.
 */
int knhk_dump_stop(struct knhk_dump *d, char *err)
{
	int ret;

	atomic_store(&d->stop, 1);
	if (!d->running) {
		ret = knhk_dump_start(d, err);
		if (ret)
			return ret;
	}
	pthread_join(d->thread, NULL);
	d->running = false;
	if (d->fail) {
		snprintf(err, KNHK_ERRLEN, "%s", d->err);
		return d->fail;
	}
	return knhk_read_dropped(d->dir, &d->dropped, err);
}

/* Give the stream buffers, which @log's records point into, to @log. */
static int dump_hand_over(struct knhk_dump *d, struct knhk_log *log)
{
	int i;

	log->held = calloc(d->nstreams + 1, sizeof(*log->held));
	if (!log->held)
		return -1;
	for (i = 0; i < d->nstreams; i++) {
		log->held[log->nheld++] = d->streams[i].buf;
		d->streams[i].buf = NULL;
		d->streams[i].len = 0;
		d->streams[i].room = 0;
	}
	return 0;
}

/**
 * knhk_dump_log() - merge what was read into a log
 * @d: the reader, stopped; its buffers go to @log, which points into them
 * @hdr: header of the log: configuration, kernel digest
 * @log: gets the log
 * @err: gets a message if a stream was unreadable
 *
 * A stream that ends inside a record or holds an invalid record marks the
 * log %KNHK_LOG_F_STREAM_ERROR and contributes the records before it.
 *
 * Return: %KNHK_DEV_OK, or %KNHK_DEV_FAIL when out of memory.
 */
int knhk_dump_log(struct knhk_dump *d, const struct knhk_log_header *hdr,
		  struct knhk_log *log, char *err)
{
	struct knhk_log_header h = *hdr;
	struct knhk_rec *all = NULL, *recs, *na;
	size_t total = 0, n;
	int i, bad;

	h.dropped = d->dropped;
	for (i = 0; i < d->nstreams; i++) {
		struct knhk_stream *s = &d->streams[i];
		char why[KNHK_ERRLEN];

		if (knhk_stream_split(s->buf, s->len, hdr->lanes, &recs, &n, why)) {
			h.flags |= KNHK_LOG_F_STREAM_ERROR;
			snprintf(err, KNHK_ERRLEN, "replay%d: %.200s", s->cpu, why);
		}
		na = realloc(all, (total + n + 1) * sizeof(*all));
		if (!na) {
			free(recs);
			free(all);
			snprintf(err, KNHK_ERRLEN, "out of memory");
			return KNHK_DEV_FAIL;
		}
		all = na;
		memcpy(all + total, recs, n * sizeof(*recs));
		total += n;
		free(recs);
	}
	bad = knhk_log_build(log, &h, all, total);
	free(all);
	if (bad < 0 || dump_hand_over(d, log)) {
		knhk_log_free(log);
		snprintf(err, KNHK_ERRLEN, "out of memory");
		return KNHK_DEV_FAIL;
	}
	if (bad) {
		log->hdr.flags |= KNHK_LOG_F_STREAM_ERROR;
		snprintf(err, KNHK_ERRLEN, "%d records repeated or out of order", bad);
	}
	return KNHK_DEV_OK;
}

void knhk_dump_close(struct knhk_dump *d)
{
	int i;

	if (d->running) {
		atomic_store(&d->stop, 1);
		pthread_join(d->thread, NULL);
		d->running = false;
	}
	for (i = 0; i < d->nstreams; i++) {
		if (d->streams[i].fd >= 0)
			close(d->streams[i].fd);
		free(d->streams[i].buf);
	}
	free(d->streams);
	d->streams = NULL;
	d->nstreams = 0;
}

/* ---- completions ---- */

static void add_completions(struct knhk_exec *x, const struct knhk_completion *c,
			    size_t n)
{
	struct knhk_completion *nc;

	pthread_mutex_lock(&x->lock);
	if (x->discard) {
		x->ncomp += n;
		pthread_mutex_unlock(&x->lock);
		return;
	}
	if (x->ncomp + n > x->room) {
		size_t room = x->room ? 2 * x->room : 1024;

		while (room < x->ncomp + n)
			room *= 2;
		nc = realloc(x->comp, room * sizeof(*nc));
		if (!nc) {
			pthread_mutex_unlock(&x->lock);
			return;	/* counted as missing at the end */
		}
		x->comp = nc;
		x->room = room;
	}
	memcpy(x->comp + x->ncomp, c, n * sizeof(*c));
	x->ncomp += n;
	pthread_mutex_unlock(&x->lock);
}

static void *reader_main(void *arg)
{
	struct knhk_exec *x = arg;
	struct knhk_completion buf[256];
	uint64_t got = 0;
	double last = now();
	ssize_t r;

	for (;;) {
		struct pollfd p = { .fd = x->fd, .events = POLLIN };

		if (atomic_load(&x->done) && got >= atomic_load(&x->expect))
			break;
		if (atomic_load(&x->done) && now() - last > STUCK_SECS)
			break;
		if (poll(&p, 1, 20) <= 0 || !(p.revents & POLLIN))
			continue;
		/* The only reader: POLLIN means read() does not wait. */
		r = read(x->fd, buf, sizeof(buf));
		if (r < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			break;
		}
		add_completions(x, buf, r / sizeof(buf[0]));
		got += r / sizeof(buf[0]);
		last = now();
	}
	return NULL;
}

/* ---- the submit path ---- */

static int call_failed(struct knhk_exec *x, const char *call, unsigned int line)
{
	const char *name = strerrorname_np(errno);
	char where[32] = "";

	x->call = call;
	x->errnum = errno;
	if (line)
		snprintf(where, sizeof(where), "line %u: ", line);
	snprintf(x->err, sizeof(x->err), "%s%s failed: %s (%s)", where, call,
		 name ? name : "E?", strerror(errno));
	return KNHK_DEV_CALL;
}

/* Step mode: run every lane's head task once. Return: tasks run. */
static int cycle_all(struct knhk_exec *x)
{
	struct knhk_run_cycle rc = { .size = sizeof(rc) };
	int n = 0;

	for (rc.lane = 0; rc.lane < x->cfg.lanes; rc.lane++) {
		if (ioctl(x->fd, KNHK_IOC_RUN_CYCLE, &rc))
			continue;
		add_completions(x, &rc.completion, 1);
		n++;
	}
	return n;
}

static bool step_mode(const struct knhk_exec *x)
{
	return x->cfg.flags & KNHK_CONFIG_STEP_MODE;
}

/*
 * Whether a failed submission is worth repeating: interrupted, full in step
 * mode (run tasks to make room), or a full ordered queue that the reader
 * will empty.
 */
static bool retry(struct knhk_exec *x, bool ordered, uint32_t n, double *start)
{
	if (errno == EINTR)
		return true;
	if (errno == EAGAIN && step_mode(x)) {
		if (!cycle_all(x))
			usleep(1000);
		return true;
	}
	if (errno == ENOSPC && ordered &&
	    x->ordered - x->released + n <= x->cfg.ring_size) {
		if (!*start)
			*start = now();
		if (now() - *start > STUCK_SECS)
			return false;
		usleep(500);
		return true;
	}
	return false;
}

static int do_submit(struct knhk_exec *x, const struct knhk_wl_op *op)
{
	double start = 0;
	uint32_t i;

	if (op->batch) {
		struct knhk_submit sb = {
			.size = sizeof(sb), .count = op->n,
			.tasks = (uintptr_t)op->tasks,
		};
		struct knhk_task *plain = NULL;

		if (!op->ordered) {
			plain = malloc(op->n * sizeof(*plain));
			if (!plain) {
				snprintf(x->err, sizeof(x->err), "out of memory");
				return KNHK_DEV_FAIL;
			}
			for (i = 0; i < op->n; i++)
				plain[i] = op->tasks[i].task;
			sb.tasks = (uintptr_t)plain;
		}
		while (ioctl(x->fd, op->ordered ? KNHK_IOC_SUBMIT_ORDERED :
			     KNHK_IOC_SUBMIT, &sb)) {
			if (!retry(x, op->ordered, op->n - sb.accepted, &start)) {
				int ret = call_failed(x, op->ordered ? "KNHK_IOC_SUBMIT_ORDERED" :
						      "KNHK_IOC_SUBMIT", op->line);
				size_t l = strlen(x->err);

				const struct knhk_task *bad = &op->tasks[sb.bad_index].task;

				if (x->errnum == EINVAL && sb.bad_index < op->n)
					snprintf(x->err + l, sizeof(x->err) - l,
						 " (batch entry %u, task %llu)", sb.bad_index,
						 (unsigned long long)bad->task_id);
				free(plain);
				x->accepted += sb.accepted;
				return ret;
			}
		}
		free(plain);
		x->accepted += op->n;
		if (op->ordered)
			x->ordered += op->n;
		return KNHK_DEV_OK;
	}
	for (i = 0; i < op->n; i++) {
		struct knhk_enqueue e = { .size = sizeof(e), .task = op->tasks[i].task };
		struct knhk_enqueue_ordered eo = { .size = sizeof(eo), .ot = op->tasks[i] };

		start = 0;
		while (op->ordered ? ioctl(x->fd, KNHK_IOC_ENQUEUE_ORDERED, &eo) :
		       ioctl(x->fd, KNHK_IOC_ENQUEUE, &e)) {
			if (!retry(x, op->ordered, 1, &start)) {
				int ret = call_failed(x, op->ordered ? "KNHK_IOC_ENQUEUE_ORDERED" :
						      "KNHK_IOC_ENQUEUE", op->line);

				snprintf(x->err + strlen(x->err), sizeof(x->err) - strlen(x->err),
					 " (task %llu)",
					 (unsigned long long)op->tasks[i].task.task_id);
				return ret;
			}
		}
		x->accepted++;
		x->ordered += op->ordered;
	}
	return KNHK_DEV_OK;
}

static int do_op(struct knhk_exec *x, const struct knhk_wl_op *op)
{
	struct knhk_guards g = { .size = sizeof(g), .flags = op->arg,
				 .count = op->n, .ids = (uintptr_t)op->ids };
	struct knhk_shared_load sl = { .size = sizeof(sl), .first = op->arg,
				       .count = op->n,
				       .values = (uintptr_t)op->values };
	struct knhk_release rel = { .size = sizeof(rel), .flags = op->arg,
				    .watermark = op->value };
	struct knhk_barrier bar = { .size = sizeof(bar) };
	struct knhk_run_cycle rc = { .size = sizeof(rc), .lane = op->arg };
	uint64_t i;

	switch (op->kind) {
	case KNHK_WL_SUBMIT:
		return do_submit(x, op);
	case KNHK_WL_GUARDS:
		if (ioctl(x->fd, KNHK_IOC_GUARDS, &g))
			return call_failed(x, "KNHK_IOC_GUARDS", op->line);
		break;
	case KNHK_WL_SHARED:
		if (ioctl(x->fd, KNHK_IOC_LOAD_SHARED, &sl))
			return call_failed(x, "KNHK_IOC_LOAD_SHARED", op->line);
		break;
	case KNHK_WL_RELEASE:
		if (ioctl(x->fd, KNHK_IOC_RELEASE, &rel))
			return call_failed(x, "KNHK_IOC_RELEASE", op->line);
		x->released += rel.released;
		break;
	case KNHK_WL_BARRIER:
		/* Step mode has no barrier: lanes run only when told. */
		if (!step_mode(x) && ioctl(x->fd, KNHK_IOC_BARRIER, &bar))
			return call_failed(x, "KNHK_IOC_BARRIER", op->line);
		break;
	case KNHK_WL_CYCLE:
		for (i = 0; i < op->value; i++) {
			if (!ioctl(x->fd, KNHK_IOC_RUN_CYCLE, &rc)) {
				add_completions(x, &rc.completion, 1);
				continue;
			}
			if (errno == ENODATA)
				break;
			if (errno != EINTR)
				return call_failed(x, "KNHK_IOC_RUN_CYCLE", op->line);
		}
		break;
	}
	return KNHK_DEV_OK;
}

/* Counters, with room for every lane's. */
static int get_stats(struct knhk_exec *x)
{
	free(x->lane_stats);
	x->lane_stats = calloc(x->cfg.lanes, sizeof(*x->lane_stats));
	if (!x->lane_stats) {
		snprintf(x->err, sizeof(x->err), "out of memory");
		return KNHK_DEV_FAIL;
	}
	memset(&x->stats, 0, sizeof(x->stats));
	x->stats.size = sizeof(x->stats);
	x->stats.lanes = x->cfg.lanes;
	x->stats.lane_stats = (uintptr_t)x->lane_stats;
	if (ioctl(x->fd, KNHK_IOC_STATS, &x->stats))
		return call_failed(x, "KNHK_IOC_STATS", 0);
	return KNHK_DEV_OK;
}

/* After the last call: run what is left, take the digest. */
static int finish(struct knhk_exec *x)
{
	struct knhk_barrier bar = { .size = sizeof(bar) };

	if (step_mode(x)) {
		while (cycle_all(x))
			;
	} else if (ioctl(x->fd, KNHK_IOC_BARRIER, &bar)) {
		return call_failed(x, "KNHK_IOC_BARRIER", 0);
	}
	x->digest = (struct knhk_digest){ .size = sizeof(x->digest) };
	if (ioctl(x->fd, KNHK_IOC_DIGEST, &x->digest))
		return call_failed(x, "KNHK_IOC_DIGEST", 0);
	/* Step mode: lane completions came from run-cycle, not read(). */
	atomic_store(&x->expect, step_mode(x) ? x->released :
		     x->accepted - x->ordered + x->released);
	return KNHK_DEV_OK;
}

/**
 * knhk_exec_start() - configure the instance and start reading it
 * @x: the run: @fd, @cfg, @dump, @discard set by the caller, the rest zero
 *
 * Configures the instance, starts reading its replay stream (with @x->dump)
 * and its completions. Then make the calls with knhk_exec_op(), take
 * digests with knhk_exec_sync() and stop with knhk_exec_end().
 *
 * Return: %KNHK_DEV_OK, or a failure: @x->err says what, @x->call and
 * @x->errnum which call failed how.
 */
int knhk_exec_start(struct knhk_exec *x)
{
	int ret, e;

	pthread_mutex_init(&x->lock, NULL);
	x->cfg.size = sizeof(x->cfg);
	if (ioctl(x->fd, KNHK_IOC_CONFIGURE, &x->cfg))
		return call_failed(x, "KNHK_IOC_CONFIGURE", 0);
	if (step_mode(x) && fcntl(x->fd, F_SETFL, O_NONBLOCK | fcntl(x->fd, F_GETFL)))
		return call_failed(x, "fcntl", 0);
	if (x->dump) {
		ret = knhk_dump_open(x->dump, x->fd, x->err);
		if (!ret && !x->late_dump)
			ret = knhk_dump_start(x->dump, x->err);
		if (ret)
			return ret;
	}
	e = pthread_create(&x->reader, NULL, reader_main, x);
	if (e) {
		snprintf(x->err, sizeof(x->err), "cannot start a thread: %s", strerror(e));
		return KNHK_DEV_FAIL;
	}
	x->started = true;
	return KNHK_DEV_OK;
}

/**
 * knhk_exec_op() - make one workload step's calls
 * @x: a run started with knhk_exec_start()
 * @op: the step
 *
 * Return: %KNHK_DEV_OK, or a failure as knhk_exec_start() says.
 */
int knhk_exec_op(struct knhk_exec *x, const struct knhk_wl_op *op)
{
	return do_op(x, op);
}

/**
 * knhk_exec_sync() - wait for what can run, take the digest
 * @x: a run started with knhk_exec_start()
 *
 * Barrier (step mode: run every lane's tasks), then %KNHK_IOC_DIGEST into
 * @x->digest. May be called again after more calls.
 *
 * Return: %KNHK_DEV_OK, or a failure as knhk_exec_start() says.
 */
int knhk_exec_sync(struct knhk_exec *x)
{
	return finish(x);
}

/**
 * knhk_exec_end() - stop reading the instance, check and collect
 * @x: a run started with knhk_exec_start(), or one that failed to start
 * @ret: the result of the calls so far; on a failure nothing is checked
 *
 * Reads every completion still due (@x->expect, set by knhk_exec_sync()),
 * checks that all arrived, takes the statistics and, with @x->dump, reads
 * the replay stream to its end (merge it with knhk_dump_log()).
 *
 * Return: @ret, or a failure found here.
 */
int knhk_exec_end(struct knhk_exec *x, int ret)
{
	uint64_t want = x->accepted - x->ordered + x->released;

	if (!x->started)
		return ret;
	x->started = false;
	if (ret)
		atomic_store(&x->expect, 0);
	atomic_store(&x->done, 1);
	pthread_join(x->reader, NULL);
	if (!ret && x->ncomp != want) {
		snprintf(x->err, sizeof(x->err),
			 "only %zu of %llu completions arrived", x->ncomp,
			 (unsigned long long)want);
		ret = KNHK_DEV_FAIL;
	}
	if (!ret)
		ret = get_stats(x);
	if (!ret && x->dump)
		ret = knhk_dump_stop(x->dump, x->err);
	return ret;
}

/**
 * knhk_exec_run() - configure the instance and make a workload's calls
 * @x: the run: @fd, @cfg, @dump set by the caller, the rest zero
 * @w: the workload
 *
 * Waits until everything has run, takes the digest, reads every completion
 * (into @x->comp) and, with @x->dump, the whole replay stream (into
 * @x->dump's buffers: merge them with knhk_dump_log()).
 *
 * Return: %KNHK_DEV_OK, or a failure: @x->err says what, @x->call and
 * @x->errnum which call failed how.
 */
int knhk_exec_run(struct knhk_exec *x, const struct knhk_workload *w)
{
	double t0;
	size_t i;
	int ret;

	ret = knhk_exec_start(x);
	if (ret)
		return ret;
	t0 = now();
	for (i = 0; i < w->n && !ret; i++)
		ret = do_op(x, &w->ops[i]);
	if (!ret)
		ret = finish(x);
	x->secs = now() - t0;
	return knhk_exec_end(x, ret);
}

void knhk_exec_free(struct knhk_exec *x)
{
	free(x->comp);
	free(x->lane_stats);
	pthread_mutex_destroy(&x->lock);
}
