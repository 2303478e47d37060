// SPDX-License-Identifier: GPL-2.0
/*
 * knhkctl - drive the knhk-sched device from the command line.
 *
 * An instance lives as long as its file descriptor, so one invocation is
 * one instance: `run` opens the device, configures it, submits the tasks,
 * waits for them (barrier), reads every completion and prints them.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/knhk_sched.h>

/* Exit codes; also listed in print_help(). */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* anything else: short read, lost completion */
	EXIT_USAGE = 2,
	EXIT_NODEV = 3,		/* no device: the module is not loaded */
	EXIT_PERM = 4,		/* permission denied on the device */
	EXIT_IOCTL = 5,		/* an ioctl or read() failed */
};

static const char *prog = "knhkctl";

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const char help_text[] =
	"Usage: knhkctl [--device PATH] COMMAND [ARGS]\n"
	"\n"
	"Commands:\n"
	"  version                 print the module's ABI version\n"
	"  run [OPTIONS] TASK...   one instance: configure, submit the tasks,\n"
	"                          wait for them, print their completions\n"
	"                          ordered by task id\n"
	"\n"
	"run options:\n"
	"  --lanes N     lanes, a power of two 1.." STR(KNHK_MAX_LANES)
	" (default " STR(KNHK_DEFAULT_LANES) ")\n"
	"  --ring N      tasks per lane ring, a power of two " STR(KNHK_MIN_RING)
	".." STR(KNHK_MAX_RING) " (default " STR(KNHK_DEFAULT_RING) ")\n"
	"  --cq N        in-flight tasks admitted, 1..lanes*ring (default lanes*ring)\n"
	"  --stats       also print the instance's per-lane statistics\n"
	"  --json        machine-readable output (one JSON object)\n"
	"\n"
	"Tasks:\n"
	"  pure:ID:VALUE           PURE task: output = mix64(VALUE), 1 tick\n"
	"                          (ID and VALUE decimal, or hex with 0x)\n"
	"\n"
	"Options:\n"
	"  --device PATH  the device (default /dev/" KNHK_DEVICE_NAME ", or $KNHK_DEVICE)\n"
	"  --json         as run --json, for any command\n"
	"  -h, --help     this help\n"
	"\n"
	"Exit status: 0 ok, 1 other failure, 2 usage error, 3 device missing\n"
	"(module not loaded), 4 permission denied, 5 an ioctl or read failed.\n";

static void print_help(FILE *f)
{
	fputs(help_text, f);
}

static noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(EXIT_USAGE);
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* A failed call on the device: name the call and the errno, then exit. */
static noreturn void call_failed(const char *call, int e)
{
	fprintf(stderr, "%s: %s failed: %s (%s)\n", prog, call, errname(e), strerror(e));
	exit(EXIT_IOCTL);
}

static int open_device(const char *path, int flags)
{
	int fd = open(path, O_RDWR | O_CLOEXEC | flags);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "%s: %s: %s\n"
			"%s: the knhk_sched module is not loaded (try: insmod knhk_sched.ko)\n",
			prog, path, strerror(errno), prog);
		exit(EXIT_NODEV);
	case EACCES:
	case EPERM:
		fprintf(stderr, "%s: %s: %s\n"
			"%s: the device is mode 0600 (root only) unless a udev rule grants a group\n",
			prog, path, strerror(errno), prog);
		exit(EXIT_PERM);
	default:
		fprintf(stderr, "%s: cannot open %s: %s (%s)\n", prog, path,
			errname(errno), strerror(errno));
		exit(EXIT_FAIL);
	}
}

static void xioctl(int fd, unsigned long cmd, const char *name, void *arg)
{
	if (ioctl(fd, cmd, arg))
		call_failed(name, errno);
}

static bool parse_u64(const char *s, __u64 *v)
{
	char *end;

	if (!*s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static __u32 parse_u32_opt(const char *opt, const char *s)
{
	__u64 v;

	if (!parse_u64(s, &v) || v > UINT32_MAX)
		usage_error("%s: '%s' is not a number", opt, s);
	return v;
}

/* "pure:ID:VALUE" */
static void parse_task(const char *arg, struct knhk_task *t)
{
	char buf[128], *id, *val;
	__u64 v;

	if (strlen(arg) >= sizeof(buf))
		usage_error("task '%.20s...' is too long", arg);
	strcpy(buf, arg);
	memset(t, 0, sizeof(*t));
	id = strchr(buf, ':');
	val = id ? strchr(id + 1, ':') : NULL;
	if (!id || !val)
		usage_error("task '%s': expected KIND:ID:VALUE, e.g. pure:1:42", arg);
	*id++ = 0;
	*val++ = 0;
	if (strcmp(buf, "pure"))
		usage_error("task '%s': unknown kind '%s' (known: pure)", arg, buf);
	if (!parse_u64(id, &v))
		usage_error("task '%s': bad id '%s'", arg, id);
	t->task_id = v;
	if (!parse_u64(val, &v))
		usage_error("task '%s': bad value '%s'", arg, val);
	t->payload = v;
	t->kind = KNHK_WORK_PURE;
	t->priority = KNHK_PRIO_NORMAL;
	t->budget = 1;
}

static const char *status_name(__u32 s)
{
	switch (s) {
	case KNHK_STATUS_OK:
		return "OK";
	case KNHK_STATUS_BUDGET_EXCEEDED:
		return "BUDGET_EXCEEDED";
	case KNHK_STATUS_GUARD_FAILED:
		return "GUARD_FAILED";
	default:
		return "UNKNOWN";
	}
}

static int cmd_version(int fd, bool json)
{
	struct knhk_version v = { .size = sizeof(v) };

	xioctl(fd, KNHK_IOC_VERSION, "KNHK_IOC_VERSION", &v);
	if (json)
		printf("{\"abi_major\": %u, \"abi_minor\": %u, %s%u, %s%u}\n",
		       v.major, v.minor, "\"tool_major\": ", KNHK_ABI_MAJOR,
		       "\"tool_minor\": ", KNHK_ABI_MINOR);
	else
		printf("knhk_sched ABI %u.%u (knhkctl built for %u.%u)\n",
		       v.major, v.minor, KNHK_ABI_MAJOR, KNHK_ABI_MINOR);
	if (v.major != KNHK_ABI_MAJOR) {
		fprintf(stderr, "%s: module ABI major %u, knhkctl needs %u\n",
			prog, v.major, KNHK_ABI_MAJOR);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

static int cmp_completion(const void *a, const void *b)
{
	const struct knhk_completion *x = a, *y = b;

	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	return x->enqueue_ts < y->enqueue_ts ? -1 : x->enqueue_ts > y->enqueue_ts;
}

/* Read whatever is ready (the fd may be non-blocking); returns records. */
static size_t drain(int fd, struct knhk_completion *c, size_t room)
{
	ssize_t r;

	if (!room)
		return 0;
	r = read(fd, c, room * sizeof(*c));
	if (r < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		call_failed("read", errno);
	}
	if (r % sizeof(*c)) {
		fprintf(stderr, "%s: read returned %zd bytes, not whole records\n", prog, r);
		exit(EXIT_FAIL);
	}
	return r / sizeof(*c);
}

static void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK))
		call_failed("fcntl", errno);
}

static void print_table(const struct knhk_completion *c, size_t n)
{
	size_t i;

	printf("%10s %5s %4s %-16s %5s %8s %8s  %s\n", "task", "lane", "cpu",
	       "status", "ticks", "enq_ts", "exec_ts", "output");
	for (i = 0; i < n; i++)
		printf("%10llu %5u %4u %-16s %5u %8llu %8llu  0x%016llx\n",
		       c[i].task_id, c[i].lane, c[i].cpu, status_name(c[i].status),
		       c[i].ticks, c[i].enqueue_ts, c[i].execute_ts, c[i].output);
}

static void print_json(const struct knhk_config *cfg, const struct knhk_completion *c,
		       size_t n, const struct knhk_stats *s,
		       const struct knhk_lane_stats *ls)
{
	size_t i;

	printf("{\"config\": {\"lanes\": %u, \"ring_size\": %u, \"cq_size\": %u},\n",
	       cfg->lanes, cfg->ring_size, cfg->cq_size);
	printf(" \"completions\": [");
	for (i = 0; i < n; i++) {
		printf("%s\n  {\"task_id\": %llu, \"lane\": %u, \"cpu\": %u, ",
		       i ? "," : "", c[i].task_id, c[i].lane, c[i].cpu);
		printf("\"status\": \"%s\", \"ticks\": %u, ",
		       status_name(c[i].status), c[i].ticks);
		printf("\"enqueue_ts\": %llu, \"execute_ts\": %llu, ",
		       c[i].enqueue_ts, c[i].execute_ts);
		printf("\"output\": \"0x%016llx\", \"cycles\": %llu}",
		       c[i].output, c[i].cycles);
	}
	printf("%s]", n ? "\n " : "");
	if (s) {
		printf(",\n \"stats\": {\"submitted\": %llu, \"executed\": %llu, ",
		       s->submitted, s->executed);
		printf("\"completed\": %llu, \"inflight\": %llu, \"lanes\": [",
		       s->completed, s->inflight);
		for (i = 0; i < s->lanes; i++)
			printf("%s\n  {\"lane\": %zu, \"enqueued\": %llu, \"executed\": %llu}",
			       i ? "," : "", i, ls[i].enqueued, ls[i].executed);
		printf("%s]}", s->lanes ? "\n " : "");
	}
	printf("}\n");
}

static void print_stats(const struct knhk_stats *s, const struct knhk_lane_stats *ls)
{
	__u32 i;

	printf("\ninstance: %u lanes, submitted %llu, executed %llu, ",
	       s->lanes, s->submitted, s->executed);
	printf("completed %llu, in flight %llu\n", s->completed, s->inflight);
	printf("%5s %10s %10s\n", "lane", "enqueued", "executed");
	for (i = 0; i < s->lanes; i++)
		printf("%5u %10llu %10llu\n", i, ls[i].enqueued, ls[i].executed);
}

static int cmd_run(const char *dev, bool json, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "lanes", required_argument, NULL, 'l' },
		{ "ring", required_argument, NULL, 'r' },
		{ "cq", required_argument, NULL, 'q' },
		{ "stats", no_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct knhk_config cfg = {
		.size = sizeof(cfg), .lanes = KNHK_DEFAULT_LANES,
		.ring_size = KNHK_DEFAULT_RING,
	};
	struct knhk_barrier bar = { .size = sizeof(bar) };
	struct knhk_completion *comp;
	struct knhk_lane_stats *ls = NULL;
	struct knhk_stats st;
	struct knhk_task *tasks;
	bool stats = false;
	size_t ntasks, sent = 0, got = 0, i;
	int fd, o;

	optind = 1;
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'l':
			cfg.lanes = parse_u32_opt("--lanes", optarg);
			break;
		case 'r':
			cfg.ring_size = parse_u32_opt("--ring", optarg);
			break;
		case 'q':
			cfg.cq_size = parse_u32_opt("--cq", optarg);
			break;
		case 's':
			stats = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			print_help(stdout);
			return EXIT_OK;
		default:
			usage_error("run: bad option");
		}
	}
	ntasks = argc - optind;
	if (!ntasks)
		usage_error("run: no tasks given (e.g. knhkctl run pure:0:1 pure:1:2)");
	if (!cfg.cq_size)
		cfg.cq_size = (__u64)cfg.lanes * cfg.ring_size > UINT32_MAX ?
			      UINT32_MAX : cfg.lanes * cfg.ring_size;
	tasks = calloc(ntasks, sizeof(*tasks));
	comp = calloc(ntasks, sizeof(*comp));
	if (!tasks || !comp) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return EXIT_FAIL;
	}
	for (i = 0; i < ntasks; i++)
		parse_task(argv[optind + i], &tasks[i]);

	fd = open_device(dev, 0);
	if (ioctl(fd, KNHK_IOC_CONFIGURE, &cfg)) {
		if (errno == EINVAL) {
			fprintf(stderr, "%s: lanes %u, ring %u, cq %u rejected\n",
				prog, cfg.lanes, cfg.ring_size, cfg.cq_size);
			fprintf(stderr, "%s: lanes: a power of two 1..%d;", prog, KNHK_MAX_LANES);
			fprintf(stderr, " ring: a power of two %d..%d;\n",
				KNHK_MIN_RING, KNHK_MAX_RING);
			fprintf(stderr, "%s: lanes * ring at most %d; cq: 1..lanes * ring\n",
				prog, KNHK_MAX_SLOTS);
		}
		call_failed("KNHK_IOC_CONFIGURE", errno);
	}

	/*
	 * Submit without blocking: when the instance is full (cq_size tasks
	 * unread, or a lane's ring full of unread tasks), wait for a
	 * completion and read what is ready to make room.
	 */
	set_nonblock(fd, true);
	while (sent < ntasks) {
		struct knhk_enqueue e = { .size = sizeof(e), .task = tasks[sent] };
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (!ioctl(fd, KNHK_IOC_ENQUEUE, &e)) {
			sent++;
			continue;
		}
		if (errno != EAGAIN) {
			fprintf(stderr, "%s: task %zu (%s) rejected\n", prog, sent,
				argv[optind + sent]);
			call_failed("KNHK_IOC_ENQUEUE", errno);
		}
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			call_failed("poll", errno);
		if (p.revents & (POLLERR | POLLHUP | POLLNVAL)) {
			fprintf(stderr, "%s: poll reported an error on the device (revents %#x)\n",
				prog, p.revents);
			return EXIT_FAIL;
		}
		if (p.revents & POLLIN)
			got += drain(fd, comp + got, ntasks - got);
	}
	set_nonblock(fd, false);
	xioctl(fd, KNHK_IOC_BARRIER, "KNHK_IOC_BARRIER", &bar);
	/* Everything has run: all completions are ready, none may be missing. */
	set_nonblock(fd, true);
	while (got < ntasks) {
		size_t k = drain(fd, comp + got, ntasks - got);

		if (!k) {
			fprintf(stderr, "%s: only %zu of %zu completions after the barrier\n",
				prog, got, ntasks);
			return EXIT_FAIL;
		}
		got += k;
	}
	qsort(comp, ntasks, sizeof(*comp), cmp_completion);

	if (stats) {
		memset(&st, 0, sizeof(st));
		st.size = sizeof(st);
		xioctl(fd, KNHK_IOC_STATS, "KNHK_IOC_STATS", &st);	/* learn lanes */
		ls = calloc(st.lanes ? st.lanes : 1, sizeof(*ls));
		if (!ls) {
			fprintf(stderr, "%s: out of memory\n", prog);
			return EXIT_FAIL;
		}
		st.lane_stats = (uintptr_t)ls;
		xioctl(fd, KNHK_IOC_STATS, "KNHK_IOC_STATS", &st);
	}
	if (json) {
		print_json(&cfg, comp, ntasks, stats ? &st : NULL, ls);
	} else {
		printf("instance: %u lanes, ring %u, cq %u, %zu tasks\n", cfg.lanes,
		       cfg.ring_size, cfg.cq_size, ntasks);
		print_table(comp, ntasks);
		if (stats)
			print_stats(&st, ls);
	}
	close(fd);
	free(ls);
	free(tasks);
	free(comp);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *dev = getenv("KNHK_DEVICE");
	bool json = false;
	int o, fd, rc;

	if (!dev || !*dev)
		dev = "/dev/" KNHK_DEVICE_NAME;
	/* '+': stop at the command; its options are parsed by the command. */
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			dev = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			print_help(stdout);
			return EXIT_OK;
		default:
			usage_error("bad option");
		}
	}
	if (optind >= argc)
		usage_error("no command given");
	argv += optind;
	argc -= optind;

	if (!strcmp(argv[0], "help")) {
		print_help(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "version")) {
		if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json")))
			usage_error("version takes no arguments but --json");
		json |= argc == 2;
		fd = open_device(dev, 0);
		rc = cmd_version(fd, json);
		close(fd);
		return rc;
	}
	if (!strcmp(argv[0], "run"))
		return cmd_run(dev, json, argc, argv);
	usage_error("unknown command '%s'", argv[0]);
	return EXIT_USAGE;
}
