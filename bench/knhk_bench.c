// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_bench.c - what knhk_sched's calls cost, measured in a guest, with
 * io_uring in the same guest as the peer (issue 11, "make bench").
 *
 * Every figure is one "case": a function that makes a fresh instance (or
 * io_uring), warms it up, and times one round of some number of units.
 * All selected cases run once per repetition, in an order that rotates
 * between repetitions, so that whatever else slows the (emulated, shared)
 * machine down lands on every case alike and ratios stay meaningful; each
 * figure is the median over the repetitions.
 *
 * Costs are nanoseconds per unit (a task, an SQE, a call); throughputs are
 * tasks per second. "submit" figures time only the submitting calls (the
 * instance has room for every task of the round, so nothing waits);
 * "e2e" figures submit a batch and read its completions before the next
 * batch, as io_uring_submit_and_wait() does for the NOP peer. Throughput
 * figures run like `knhkctl run`: the main thread submits batches of 64
 * while a second thread reads completions.
 *
 * Usage: knhk_bench [-r REPS] [-n TASKS] [-d DEVICE] [-k KNHKCTL]
 *                   [-o FILE] GROUP...
 *   GROUP: floors submit uring ordered replay knhkctl digest lanes latency,
 *   or all
 *   -n: tasks per round (default 8192; the digest sweep goes 16 times as
 *   far in events); -k: the knhkctl binary for the knhkctl group.
 *   -o FILE: one tab-separated line per figure for scripts/bench.sh:
 *   FIG key median min reps unit - (the last field is the host load,
 *   which only the host knows), and NOTE lines.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <liburing.h>
#include <linux/knhk_sched.h>

#include "knhk_dev.h"
#include "trace_lat.h"

#define MAX_REPS	101
#define MAX_CASES	64
#define PIPE_BATCH	64	/* batch of the throughput figures */
#define DIGEST_CALLS	15
/* TaskEnqueued with the used part of a PURE descriptor, TaskExecuted. */
#define MIN_TASK_BYTES	(2 * sizeof(struct knhk_event) + \
			 offsetof(struct knhk_task, guards))

static const char *device = "/dev/" KNHK_DEVICE_NAME;
static const char *knhkctl = "/knhk/knhkctl";
static uint64_t ntasks = 8192;
static FILE *out;

static void die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "knhk_bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* ---- instances ---- */

static int open_dev(void)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s: %s", device, strerror(errno));
	return fd;
}

static void ioc(int fd, unsigned long cmd, void *arg, const char *name)
{
	while (ioctl(fd, cmd, arg))
		if (errno != EINTR)
			die("%s: %s", name, strerror(errno));
}

/*
 * A fresh instance: @lanes lanes, the largest ring the slot limit allows
 * up to @ring, and room in flight for every slot, so that the "submit"
 * rounds never wait for a reader.
 */
static int instance(uint32_t lanes, uint32_t ring, uint32_t flags,
		    uint32_t subbuf, uint32_t nsubbufs)
{
	struct knhk_config cfg = {
		.size = sizeof(cfg), .flags = flags, .lanes = lanes,
		.replay_subbuf_size = subbuf, .replay_nr_subbufs = nsubbufs,
	};
	int fd = open_dev();

	while ((lanes + 1) * ring > KNHK_MAX_SLOTS)
		ring /= 2;
	cfg.ring_size = ring;
	cfg.cq_size = (lanes + 1) * ring;
	ioc(fd, KNHK_IOC_CONFIGURE, &cfg, "KNHK_IOC_CONFIGURE");
	return fd;
}

/* Tasks @first.. as PURE tasks of one tick: the cheapest work there is. */
static void make_tasks(struct knhk_task *t, uint64_t first, uint32_t n)
{
	uint32_t i;

	memset(t, 0, n * sizeof(*t));
	for (i = 0; i < n; i++) {
		t[i].task_id = first + i;
		t[i].payload = first + i;
		t[i].kind = KNHK_WORK_PURE;
		t[i].priority = KNHK_PRIO_NORMAL;
		t[i].budget = 1;
	}
}

static void submit(int fd, const struct knhk_task *t, uint32_t n)
{
	struct knhk_submit sb = {
		.size = sizeof(sb), .count = n, .tasks = (uintptr_t)t,
	};

	/* An interrupted call says how far it got; the same struct goes on. */
	ioc(fd, KNHK_IOC_SUBMIT, &sb, "KNHK_IOC_SUBMIT");
}

static void enqueue(int fd, const struct knhk_task *t)
{
	struct knhk_enqueue e = { .size = sizeof(e), .task = *t };

	ioc(fd, KNHK_IOC_ENQUEUE, &e, "KNHK_IOC_ENQUEUE");
}

/* Read exactly @n completions, waiting for them. */
static void reap(int fd, uint64_t n)
{
	static struct knhk_completion buf[KNHK_MAX_BATCH];
	uint64_t got = 0;
	size_t want;
	ssize_t r;

	while (got < n) {
		want = n - got < KNHK_MAX_BATCH ? n - got : KNHK_MAX_BATCH;
		r = read(fd, buf, want * sizeof(buf[0]));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("read completions: %s", strerror(errno));
		}
		got += r / sizeof(buf[0]);
	}
}

static void barrier(int fd)
{
	struct knhk_barrier b = { .size = sizeof(b) };

	ioc(fd, KNHK_IOC_BARRIER, &b, "KNHK_IOC_BARRIER");
}

/* One batch through the whole path: the lanes exist, the code is warm. */
static void warm_up(int fd)
{
	struct knhk_task t[KNHK_MAX_BATCH];

	make_tasks(t, 1u << 30, KNHK_MAX_BATCH);
	submit(fd, t, KNHK_MAX_BATCH);
	reap(fd, KNHK_MAX_BATCH);
}

/* ---- cases ---- */

struct bcase {
	const char *key;
	const char *unit;	/* "ns/task", "ns/call", "ns/sqe", "tasks/s" */
	double (*run)(const struct bcase *c);
	uint32_t arg;		/* batch, lanes, events, replay mode */
	double v[MAX_REPS];
};

static struct bcase cases[MAX_CASES];
static int ncases;

static struct knhk_task *tasks;		/* ntasks of them */

/* floors: the cheapest syscall, and an ioctl that reaches the module */

static double run_getpid(const struct bcase *c)
{
	uint64_t i, n = ntasks * 4;
	double t0;

	(void)c;
	t0 = now();
	for (i = 0; i < n; i++)
		syscall(SYS_getpid);
	return (now() - t0) * 1e9 / n;
}

static double run_ioctl(const struct bcase *c)
{
	struct knhk_version v = { .size = sizeof(v) };
	uint64_t i, n = ntasks * 4;
	int fd = open_dev();
	double t0, t;

	t0 = now();
	for (i = 0; i < n; i++) {
		if (c->arg) {
			/* The module's dispatch, no argument copied. */
			if (ioctl(fd, _IO(KNHK_IOC_MAGIC, 0x7f), 0) != -1 ||
			    errno != ENOTTY)
				die("unknown ioctl: expected ENOTTY");
		} else {
			ioc(fd, KNHK_IOC_VERSION, &v, "KNHK_IOC_VERSION");
		}
	}
	t = (now() - t0) * 1e9 / n;
	close(fd);
	return t;
}

/* submit-only: the instance holds every task of the round */

static double run_submit_only(const struct bcase *c)
{
	uint32_t b = c->arg;
	uint64_t i;
	double t0, t;
	int fd = instance(4, 4096, 0, 0, 0);

	if (ntasks > 4 * 4096)
		die("-n %llu: more than a submit-only round holds (16384)",
		    (unsigned long long)ntasks);
	warm_up(fd);
	t0 = now();
	if (!b) {
		for (i = 0; i < ntasks; i++)
			enqueue(fd, &tasks[i]);
	} else {
		for (i = 0; i < ntasks; i += b)
			submit(fd, &tasks[i], ntasks - i < b ? ntasks - i : b);
	}
	t = (now() - t0) * 1e9 / ntasks;
	reap(fd, ntasks);
	close(fd);
	return t;
}

/* end to end: a batch, then its completions, then the next batch */

static double run_e2e(const struct bcase *c)
{
	uint32_t b = c->arg, n;
	/*
	 * Small batches sleep in read() for every batch (hundreds of µs under
	 * TCG): an eighth of the tasks gives as long a round as the others.
	 */
	uint64_t i, total = b > 8 ? ntasks : ntasks / 8;
	double t0, t;
	int fd = instance(4, 4096, 0, 0, 0);

	warm_up(fd);
	t0 = now();
	for (i = 0; i < total; i += n) {
		n = !b ? 1 : total - i < b ? total - i : b;
		if (!b)
			enqueue(fd, &tasks[i]);
		else
			submit(fd, &tasks[i], n);
		reap(fd, n);
	}
	t = (now() - t0) * 1e9 / total;
	close(fd);
	return t;
}

/*
 * latency: SUBMIT b64 end to end with the module's tracepoints on, each
 * task's submit -> execute and execute -> complete from their events (in
 * the guest's tracefs); the figure is percentile @c->arg of one of the
 * two over the round's tasks (trace_lat.c).
 */
static double run_latency(const struct bcase *c)
{
	uint64_t i, total = ntasks < 4096 ? ntasks : 4096;
	double fig[LAT_NR];
	struct knhk_stats st = { .size = sizeof(st) };
	uint32_t n;
	int fd = instance(4, 4096, 0, 0, 0);

	warm_up(fd);
	ioc(fd, KNHK_IOC_STATS, &st, "KNHK_IOC_STATS");
	lat_begin();
	for (i = 0; i < total; i += n) {
		n = total - i < 64 ? total - i : 64;
		submit(fd, &tasks[i], n);
		reap(fd, n);
	}
	lat_end(st.instance, total, fig);
	close(fd);
	return fig[c->arg];
}

/* ordered batches of 64, each released at once, against plain ones */

static double run_ordered(const struct bcase *c)
{
	static struct knhk_ordered_task ot[KNHK_MAX_BATCH];
	struct knhk_release rel = { .size = sizeof(rel), .flags = KNHK_RELEASE_ALL };
	struct knhk_submit sb = { .size = sizeof(sb) };
	uint32_t b = c->arg, n, k;
	uint64_t i;
	double t0, t;
	int fd = instance(4, 4096, 0, 0, 0);

	warm_up(fd);
	t0 = now();
	for (i = 0; i < ntasks; i += n) {
		n = ntasks - i < b ? ntasks - i : b;
		/* Filling the timestamps is the caller's work, so it is timed. */
		for (k = 0; k < n; k++) {
			ot[k].timestamp = i + k;
			ot[k].task = tasks[i + k];
		}
		sb.count = n;
		sb.accepted = 0;
		sb.tasks = (uintptr_t)ot;
		ioc(fd, KNHK_IOC_SUBMIT_ORDERED, &sb, "KNHK_IOC_SUBMIT_ORDERED");
		ioc(fd, KNHK_IOC_RELEASE, &rel, "KNHK_IOC_RELEASE");
		reap(fd, n);
	}
	t = (now() - t0) * 1e9 / ntasks;
	close(fd);
	return t;
}

/* io_uring NOPs, submitted and waited for in batches: the peer */

static double run_uring(const struct bcase *c)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	uint32_t b = c->arg, n, k;
	uint64_t i;
	double t0, t;
	int e;

	e = io_uring_queue_init(KNHK_MAX_BATCH, &ring, 0);
	if (e)
		die("io_uring_queue_init: %s", strerror(-e));
	t0 = now();
	for (i = 0; i < ntasks; i += n) {
		n = ntasks - i < b ? ntasks - i : b;
		for (k = 0; k < n; k++) {
			sqe = io_uring_get_sqe(&ring);
			io_uring_prep_nop(sqe);
			sqe->user_data = i + k;
		}
		do {
			e = io_uring_submit_and_wait(&ring, n);
		} while (e == -EINTR);
		if (e < 0)
			die("io_uring_submit_and_wait: %s", strerror(-e));
		/* The completions are in the CQ ring: consuming them is a store. */
		io_uring_cq_advance(&ring, n);
	}
	t = (now() - t0) * 1e9 / ntasks;
	io_uring_queue_exit(&ring);
	return t;
}

/* ---- throughput: submit in one thread, read in another ---- */

struct piped {
	int fd;
	uint64_t n;
};

static void *pipe_reader(void *arg)
{
	struct piped *p = arg;

	reap(p->fd, p->n);
	return NULL;
}

/*
 * Every task of the round in batches of %PIPE_BATCH while a thread reads
 * completions; the clock stops when the last completion is read. Return:
 * the start time.
 */
static double pipelined(int fd)
{
	struct piped p = { .fd = fd, .n = ntasks };
	pthread_t th;
	uint64_t i;
	double t0;
	int e;

	t0 = now();
	e = pthread_create(&th, NULL, pipe_reader, &p);
	if (e)
		die("pthread_create: %s", strerror(e));
	for (i = 0; i < ntasks; i += PIPE_BATCH)
		submit(fd, &tasks[i], ntasks - i < PIPE_BATCH ? ntasks - i : PIPE_BATCH);
	pthread_join(th, NULL);
	return t0;
}

static double run_lanes(const struct bcase *c)
{
	int fd = instance(c->arg, 256, 0, 0, 0);
	double t0, t;

	warm_up(fd);
	t0 = pipelined(fd);
	t = ntasks / (now() - t0);
	close(fd);
	return t;
}

/* ---- replay ---- */

enum replay_mode {
	REPLAY_OFF,
	REPLAY_DROP,		/* buffers large enough never to fill, no reader */
	REPLAY_LOSSLESS,	/* knhkctl's reader (tools/knhk_dev.c) */
	REPLAY_BULK,		/* a reader that drains whole buffers */
};

/*
 * The ideal reader knhkctl could be: every file read in large chunks,
 * whatever is there, with no poll() per record; what it reads is thrown
 * away. It opens the files once the instance's first logged call has
 * made them (bulk_open_all()) and never looks for more: a bench round has
 * no CPU hotplug.
 */
#define BULK_FILES	64	/* replay files (CPUs) the bulk reader reads */

struct bulk {
	char dir[128];
	atomic_int stop;
	uint64_t bytes;
	pthread_t th;
};

/* The CPUs of the replay files listed in @dir: how many (BULK_FILES kept). */
static int list_streams(const char *dir, int cpus[BULK_FILES])
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0, cpu;

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (sscanf(de->d_name, "replay%d", &cpu) != 1)
			continue;
		if (n < BULK_FILES)
			cpus[n] = cpu;
		n++;
	}
	closedir(d);
	if (n > BULK_FILES)
		die("%s: %d replay files, the bulk reader reads %d", dir, n, BULK_FILES);
	return n;
}

/*
 * Open every replay file into @fds, or none (0: try again a bit later).
 * An open is refused (EAGAIN) until relay has made every file of the
 * instance, but a listing taken while it made them misses the last ones,
 * and a reader that never opens one of them loses that CPU's stream, or,
 * if it is the submitter's, stalls the run for good. So the files are
 * listed again once they are open: a complete listing is one taken after
 * an open succeeded.
 */
static int bulk_open_all(struct bulk *b, int fds[BULK_FILES])
{
	char path[192];
	int cpus[BULK_FILES], n, i;

	n = list_streams(b->dir, cpus);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/replay%d", b->dir, cpus[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			break;
	}
	if (i == n && list_streams(b->dir, cpus) == n)
		return n;
	while (i)
		close(fds[--i]);
	return 0;
}

static void *bulk_main(void *arg)
{
	static char buf[1 << 20];
	struct pollfd p[BULK_FILES];
	struct bulk *b = arg;
	int fds[BULK_FILES], n = 0, i;
	bool stop, got;
	ssize_t r;

	while (!n) {
		if (atomic_load(&b->stop))
			return NULL;
		/* Until every file opens: EAGAIN while relay sets a buffer up. */
		usleep(20000);
		n = bulk_open_all(b, fds);
	}
	for (;;) {
		stop = atomic_load(&b->stop);
		got = false;
		for (i = 0; i < n; i++) {
			while ((r = read(fds[i], buf, sizeof(buf))) > 0) {
				b->bytes += r;
				got = true;
			}
		}
		if (stop && !got)
			break;
		if (!got) {
			for (i = 0; i < n; i++)
				p[i] = (struct pollfd){ .fd = fds[i], .events = POLLIN };
			poll(p, n, 1);
		}
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return NULL;
}

static double run_replay(const struct bcase *c)
{
	static const uint32_t flags[] = {
		[REPLAY_OFF] = 0,
		[REPLAY_DROP] = KNHK_CONFIG_REPLAY | KNHK_CONFIG_REPLAY_DROP,
		[REPLAY_LOSSLESS] = KNHK_CONFIG_REPLAY,
		[REPLAY_BULK] = KNHK_CONFIG_REPLAY,
	};
	/* Drop mode: 16 MiB per CPU, far more than a round writes. */
	uint32_t subbuf = c->arg == REPLAY_DROP ? 1u << 20 : 0;
	uint32_t nsub = c->arg == REPLAY_DROP ? 16 : 0;
	struct knhk_dump d = { 0 };
	struct bulk bk = { 0 };
	char err[KNHK_ERRLEN];
	uint64_t dropped = 0;
	double t0, t;
	int fd = instance(4, 256, flags[c->arg], subbuf, nsub);

	if (c->arg != REPLAY_OFF && knhk_dump_open(&d, fd, err))
		die("%s", err);
	/* The warm-up's records are in the stream too: read by the reader. */
	if (c->arg == REPLAY_LOSSLESS && knhk_dump_start(&d, err))
		die("%s", err);
	if (c->arg == REPLAY_BULK) {
		snprintf(bk.dir, sizeof(bk.dir), "%s", d.dir);
		if (pthread_create(&bk.th, NULL, bulk_main, &bk))
			die("pthread_create failed");
	}
	warm_up(fd);
	/*
	 * Let the readers find and open the files and drain the warm-up
	 * before the clock starts; every mode waits alike.
	 */
	usleep(50000);
	t0 = pipelined(fd);
	/* The reader is part of the cost: it has read everything. */
	if (c->arg == REPLAY_LOSSLESS && knhk_dump_stop(&d, err))
		die("%s", err);
	if (c->arg == REPLAY_BULK) {
		atomic_store(&bk.stop, 1);
		pthread_join(bk.th, NULL);
	}
	t = ntasks / (now() - t0);
	/* Each task streams at least its two records. */
	if ((c->arg == REPLAY_LOSSLESS && d.bytes < ntasks * MIN_TASK_BYTES) ||
	    (c->arg == REPLAY_BULK && bk.bytes < ntasks * MIN_TASK_BYTES))
		die("%s: the reader read only %llu bytes", c->key,
		    (unsigned long long)(c->arg == REPLAY_BULK ? bk.bytes : d.bytes));
	if (c->arg == REPLAY_DROP && knhk_read_dropped(d.dir, &dropped, err))
		die("%s", err);
	if (dropped)
		die("%s: %llu records dropped; the buffers were meant never to fill",
		    c->key, (unsigned long long)dropped);
	knhk_dump_close(&d);
	close(fd);
	return t;
}

/* ---- knhkctl itself: `run` against `replay dump` of one workload ---- */

static const char wl_path[] = "/tmp/knhk_bench.knhk";

/* The throughput workload as a knhkctl file: batches of 64 PURE tasks. */
static void write_workload(void)
{
	FILE *f = fopen(wl_path, "w");
	uint64_t i, last;

	if (!f)
		die("%s: %s", wl_path, strerror(errno));
	fprintf(f, "# knhk_bench: %llu PURE tasks in batches of %d\nconfig lanes=4\n",
		(unsigned long long)ntasks, PIPE_BATCH);
	for (i = 0; i < ntasks; i += PIPE_BATCH) {
		last = i + PIPE_BATCH < ntasks ? i + PIPE_BATCH - 1 : ntasks - 1;
		fprintf(f, "batch\npure %llu..%llu %llu\nend\n", (unsigned long long)i,
			(unsigned long long)last, (unsigned long long)i);
	}
	if (fclose(f))
		die("%s: %s", wl_path, strerror(errno));
}

static double run_knhkctl(const struct bcase *c)
{
	char *const run[] = { (char *)knhkctl, "run", "--quiet", (char *)wl_path, NULL };
	char *const dump[] = { (char *)knhkctl, "replay", "dump", "/tmp/knhk_bench.log",
			       (char *)wl_path, NULL };
	posix_spawn_file_actions_t fa;
	int e, status;
	double t0, t;
	pid_t pid;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now();
	e = posix_spawn(&pid, knhkctl, &fa, NULL, c->arg ? dump : run, environ);
	if (e)
		die("%s: %s", knhkctl, strerror(e));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	t = ntasks / (now() - t0);
	posix_spawn_file_actions_destroy(&fa);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		die("%s %s failed (status %#x)", knhkctl, c->arg ? "replay dump" : "run",
		    status);
	unlink("/tmp/knhk_bench.log");
	return t;
}

/* ---- digest: cost of KNHK_IOC_DIGEST against events so far ---- */

static double run_digest(const struct bcase *c)
{
	struct knhk_digest g = { .size = sizeof(g) };
	uint64_t want = c->arg, done = 0;
	uint32_t n;
	int fd = instance(4, 4096, 0, 0, 0), k;
	double t0, t;

	/* Each task is two events, enqueued and executed. */
	while (done * 2 < want) {
		n = (want - done * 2 + 1) / 2;
		n = n < KNHK_MAX_BATCH ? n : KNHK_MAX_BATCH;
		n = n < ntasks ? n : ntasks;
		/* The task ids only spread tasks over lanes: reuse the array. */
		submit(fd, tasks, n);
		reap(fd, n);
		done += n;
	}
	barrier(fd);
	t0 = now();
	for (k = 0; k < DIGEST_CALLS; k++)
		ioc(fd, KNHK_IOC_DIGEST, &g, "KNHK_IOC_DIGEST");
	t = (now() - t0) * 1e9 / DIGEST_CALLS;
	if (g.events < want)
		die("%s: %llu events, wanted %llu", c->key,
		    (unsigned long long)g.events, (unsigned long long)want);
	close(fd);
	return t;
}

/* ---- the case table ---- */

static void add(const char *key, const char *unit,
		double (*run)(const struct bcase *), uint32_t arg)
{
	if (ncases == MAX_CASES)
		die("too many cases");
	cases[ncases++] = (struct bcase){ .key = key, .unit = unit, .run = run,
					  .arg = arg };
}

static bool want(int argc, char **argv, const char *group)
{
	int i;

	for (i = 0; i < argc; i++)
		if (!strcmp(argv[i], group) || !strcmp(argv[i], "all"))
			return true;
	return false;
}

static void add_cases(int argc, char **argv)
{
	static const char *const groups[] = {
		"all", "floors", "submit", "uring", "ordered", "replay",
		"knhkctl", "digest", "lanes", "latency",
	};
	size_t g;
	int i;

	for (i = 0; i < argc; i++) {
		for (g = 0; g < ARRAY_SIZE(groups); g++)
			if (!strcmp(argv[i], groups[g]))
				break;
		if (g == ARRAY_SIZE(groups))
			die("unknown group '%s'", argv[i]);
	}
	if (want(argc, argv, "floors")) {
		add("floor.getpid", "ns/call", run_getpid, 0);
		add("floor.ioctl_enotty", "ns/call", run_ioctl, 1);
		add("floor.ioctl_version", "ns/call", run_ioctl, 0);
	}
	if (want(argc, argv, "submit")) {
		add("enqueue.submit", "ns/task", run_submit_only, 0);
		add("submit.b1.submit", "ns/task", run_submit_only, 1);
		add("submit.b64.submit", "ns/task", run_submit_only, 64);
		add("submit.b256.submit", "ns/task", run_submit_only, 256);
		add("enqueue.e2e", "ns/task", run_e2e, 0);
		add("submit.b1.e2e", "ns/task", run_e2e, 1);
		add("submit.b8.e2e", "ns/task", run_e2e, 8);
		add("submit.b64.e2e", "ns/task", run_e2e, 64);
		add("submit.b256.e2e", "ns/task", run_e2e, 256);
	}
	if (want(argc, argv, "uring")) {
		add("uring.b1", "ns/sqe", run_uring, 1);
		add("uring.b8", "ns/sqe", run_uring, 8);
		add("uring.b64", "ns/sqe", run_uring, 64);
		add("uring.b256", "ns/sqe", run_uring, 256);
	}
	if (want(argc, argv, "ordered")) {
		add("ordered.b64", "ns/task", run_ordered, 64);
		if (!want(argc, argv, "submit"))
			add("submit.b64.e2e", "ns/task", run_e2e, 64);
	}
	if (want(argc, argv, "replay")) {
		add("replay.off", "tasks/s", run_replay, REPLAY_OFF);
		add("replay.drop", "tasks/s", run_replay, REPLAY_DROP);
		add("replay.lossless", "tasks/s", run_replay, REPLAY_LOSSLESS);
		add("replay.bulk", "tasks/s", run_replay, REPLAY_BULK);
	}
	if (want(argc, argv, "knhkctl")) {
		add("knhkctl.run", "tasks/s", run_knhkctl, 0);
		add("knhkctl.dump", "tasks/s", run_knhkctl, 1);
	}
	if (want(argc, argv, "digest")) {
		static char keys[4][32];
		uint64_t e = 100;

		for (i = 0; i < 4 && e <= ntasks * 16; i++, e *= 10) {
			snprintf(keys[i], sizeof(keys[i]), "digest.e%llu",
				 (unsigned long long)e);
			add(keys[i], "ns/call", run_digest, e);
		}
	}
	if (want(argc, argv, "lanes")) {
		add("lanes.1", "tasks/s", run_lanes, 1);
		add("lanes.4", "tasks/s", run_lanes, 4);
		add("lanes.16", "tasks/s", run_lanes, 16);
		add("lanes.64", "tasks/s", run_lanes, 64);
		add("lanes.256", "tasks/s", run_lanes, 256);
	}
	if (want(argc, argv, "latency")) {
		add("latency.se.p50", "ns", run_latency, LAT_SE_P50);
		add("latency.se.p99", "ns", run_latency, LAT_SE_P99);
		add("latency.ec.p50", "ns", run_latency, LAT_EC_P50);
		add("latency.ec.p99", "ns", run_latency, LAT_EC_P99);
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: knhk_bench [-r REPS] [-n TASKS] [-d DEVICE] [-k KNHKCTL] [-o FILE] GROUP...\n"
		"  GROUP: all floors submit uring ordered replay knhkctl digest lanes latency\n");
	exit(2);
}

int main(int argc, char **argv)
{
	int reps = 7, rep, i, k, opt;
	double t0, med, best;

	while ((opt = getopt(argc, argv, "r:n:d:k:o:")) != -1) {
		switch (opt) {
		case 'r':
			reps = atoi(optarg);
			break;
		case 'n':
			ntasks = strtoull(optarg, NULL, 0);
			break;
		case 'd':
			device = optarg;
			break;
		case 'k':
			knhkctl = optarg;
			break;
		case 'o':
			out = fopen(optarg, "w");
			if (!out)
				die("%s: %s", optarg, strerror(errno));
			break;
		default:
			print_usage();
		}
	}
	if (reps < 1 || reps > MAX_REPS || ntasks < KNHK_MAX_BATCH ||
	    ntasks > (1u << 24) || optind == argc)
		print_usage();
	add_cases(argc - optind, argv + optind);
	tasks = calloc(ntasks, sizeof(*tasks));
	if (!tasks)
		die("out of memory");
	make_tasks(tasks, 0, ntasks);
	if (want(argc - optind, argv + optind, "knhkctl"))
		write_workload();

	printf("# knhk_bench: %d cases, %d repetitions, %llu tasks per round, %ld CPUs\n",
	       ncases, reps, (unsigned long long)ntasks, sysconf(_SC_NPROCESSORS_ONLN));
	fflush(stdout);
	t0 = now();
	for (rep = 0; rep < reps; rep++) {
		for (i = 0; i < ncases; i++) {
			/* Rotate: no case always runs first, or after the same one. */
			k = (i + rep) % ncases;
			cases[k].v[rep] = cases[k].run(&cases[k]);
		}
		printf("# repetition %d done, %.1f s\n", rep + 1, now() - t0);
		fflush(stdout);
	}
	for (i = 0; i < ncases; i++) {
		qsort(cases[i].v, reps, sizeof(double), cmp_double);
		med = reps % 2 ? cases[i].v[reps / 2]
		      : (cases[i].v[reps / 2 - 1] + cases[i].v[reps / 2]) / 2;
		/* The best of a throughput is its largest. */
		best = strcmp(cases[i].unit, "tasks/s") ? cases[i].v[0]
		       : cases[i].v[reps - 1];
		printf("%-22s %14.1f %14.1f %s\n", cases[i].key, med, best,
		       cases[i].unit);
		if (out)
			fprintf(out, "FIG\t%s\t%.3f\t%.3f\t%d\t%s\t-\n", cases[i].key,
				med, best, reps, cases[i].unit);
	}
	if (out && fclose(out))
		die("write results: %s", strerror(errno));
	return 0;
}
