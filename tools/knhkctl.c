// SPDX-License-Identifier: GPL-2.0
/*
 * knhkctl - drive the knhk-sched device from the command line, and read,
 * verify, compare and replay its replay logs.
 *
 * An instance lives as long as its file descriptor, so one invocation is
 * one instance: `run` opens the device, configures it, makes the
 * workload's calls while reading completions (and, with --dump, the replay
 * stream), waits for everything (barrier, digest) and prints the results.
 * Formats: tools/README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdnoreturn.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/knhk_sched.h>

#include "knhk_dev.h"
#include "knhk_log.h"
#include "knhk_workload.h"
#include "knhkctl.h"

const char *prog = "knhkctl";
static const char *device;
static bool json;

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const char help_text[] =
	"Usage: knhkctl [--device PATH] [--json] COMMAND [ARGS]\n"
	"\n"
	"Commands (each run is one instance, gone when knhkctl exits):\n"
	"  version                     the module's ABI version\n"
	"  run [OPTIONS] WORK...       run a workload; print every completion,\n"
	"                              ordered by task id, and the digest\n"
	"  submit [OPTIONS] TASK...    run tasks given on the command line\n"
	"  stats [OPTIONS] WORK...     run, print the instance's counters\n"
	"  digest [OPTIONS] WORK...    run, print KNHK_IOC_DIGEST (digest,\n"
	"                              checksum, events)\n"
	"  replay dump [OPTIONS] FILE WORK...   run --dump FILE, quietly\n"
	"  replay verify LOG           recompute checksum and digest from the\n"
	"                              records; compare with the header; check\n"
	"                              happens-before on every event\n"
	"  replay diff A B             compare two logs: EXACT_MATCH,\n"
	"                              MINOR_DIFFERENCE, DIVERGED, INCOMPLETE\n"
	"  replay run [--dump NEW] LOG  feed LOG's inputs to a new instance\n"
	"                              with LOG's configuration, dump, diff\n"
	"  replay show LOG             print a log's header and records\n"
	"  follow [OPTIONS] [STREAM]   a replica: make a live stream's calls as\n"
	"                              they arrive, print checkpoint digests\n"
	"                              (knhkctl follow --help)\n"
	"\n"
	"WORK is a workload file (format: tools/README.md; '-' for stdin) or a\n"
	"TASK: a workload line with ':' for blanks, e.g. pure:ID:VALUE,\n"
	"pure:0..99:7, 'program:5:0:budget=2; ldi r1 3; add r0 r1',\n"
	"ordered:TS:pure:ID:VALUE, guard:set:1,2, release:all, barrier.\n"
	"\n"
	"run options:\n"
	"  --lanes N       lanes, a power of two 1.." STR(KNHK_MAX_LANES)
	" (default " STR(KNHK_DEFAULT_LANES) ")\n"
	"  --ring N        tasks per lane ring, a power of two " STR(KNHK_MIN_RING)
	".." STR(KNHK_MAX_RING) " (default " STR(KNHK_DEFAULT_RING) ")\n"
	"  --cq N          in-flight tasks admitted (default lanes*ring)\n"
	"  --step          step mode: lanes run only by 'cycle' (and at the end)\n"
	"  --stats         also print the per-lane statistics\n"
	"  --quiet         no completion table\n"
	"  --dump FILE     stream the replay log (lossless) and write it to FILE\n"
	"  --drop          with --dump: drop mode, events that do not fit are lost\n"
	"  --late          with --drop: read the stream only after the workload ran,\n"
	"                  so the buffers alone hold it (what does not fit is lost)\n"
	"  --subbuf BYTES  replay sub-buffer size per CPU (default 64 KiB)\n"
	"  --nsubbufs N    replay sub-buffers per CPU (default 8)\n"
	"  --json          machine-readable output (one JSON object)\n"
	"\n"
	"Options:\n"
	"  --device PATH   the device (default /dev/" KNHK_DEVICE_NAME
	", or $KNHK_DEVICE)\n"
	"  --json          JSON output, for any command\n"
	"  -h, --help      this help\n"
	"\n"
	"Exit status: 0 ok (verify passed, diff EXACT_MATCH), 1 other failure,\n"
	"2 usage or workload error, 3 device missing (module not loaded),\n"
	"4 permission denied, 5 an ioctl or read failed, 6 debugfs or replay\n"
	"files missing, 7 log truncated or corrupt, 8 log version not supported,\n"
	"9 verify mismatch, 10 MINOR_DIFFERENCE, 11 DIVERGED, 12 INCOMPLETE\n"
	"(drops or sequence gaps), 13 a file cannot be read or written,\n"
	"14 happens-before violated (verify, replay run).\n";

/**
 * usage_error() - print a usage error and exit with %EXIT_USAGE
 * @fmt: printf format of the message
 */
noreturn void usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help'.\n", prog);
	exit(EXIT_USAGE);
}

/**
 * die() - print an error and exit
 * @code: exit status
 * @fmt: printf format of the message
 */
noreturn void die(int code, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(code);
}

static const char *errname(int e)
{
	const char *n = strerrorname_np(e);

	return n ? n : "E?";
}

/* A JSON string, escaped. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

/**
 * open_device() - open the device (a new instance), or exit saying why not
 *
 * Return: the file descriptor.
 */
int open_device(void)
{
	int fd = open(device, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	switch (errno) {
	case ENOENT:
	case ENODEV:
	case ENXIO:
		fprintf(stderr, "%s: %s: %s\n"
			"%s: the knhk_sched module is not loaded (try: insmod knhk_sched.ko)\n",
			prog, device, strerror(errno), prog);
		exit(EXIT_NODEV);
	case EACCES:
	case EPERM:
		fprintf(stderr, "%s: %s: %s\n"
			"%s: the device is mode 0600 (root only) unless a udev rule grants a group\n",
			prog, device, strerror(errno), prog);
		exit(EXIT_PERM);
	default:
		die(EXIT_FAIL, "cannot open %s: %s (%s)", device, errname(errno),
		    strerror(errno));
	}
}

/**
 * parse_u32_opt() - an option's number, or a usage error
 * @opt: the option, for the message
 * @s: its argument
 *
 * Return: the number.
 */
__u32 parse_u32_opt(const char *opt, const char *s)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *s == '-' || *end || errno || v > UINT32_MAX)
		usage_error("%s: '%s' is not a number", opt, s);
	return v;
}

/**
 * log_exit() - the exit code for a knhk_log_*() error
 * @err: the error
 *
 * Return: %EXIT_*.
 */
int log_exit(int err)
{
	switch (err) {
	case KNHK_LOG_EIO:
		return errno == EACCES || errno == EPERM ? EXIT_PERM : EXIT_FILE;
	case KNHK_LOG_ETRUNC:
	case KNHK_LOG_ECORRUPT:
		return EXIT_CORRUPT;
	case KNHK_LOG_EVERSION:
		return EXIT_VERSION;
	default:
		return EXIT_FAIL;
	}
}

static void load_log(struct knhk_log *log, const char *path)
{
	char err[KNHK_ERRLEN];
	int ret = knhk_log_load(log, path, err);

	if (ret)
		die(log_exit(ret), "%s: %s", ret == KNHK_LOG_EIO ? "cannot read log" : path,
		    err);
}

/* ---- running workloads ---- */

static const struct option run_long[] = {
	{ "lanes", required_argument, NULL, 'l' },
	{ "ring", required_argument, NULL, 'r' },
	{ "cq", required_argument, NULL, 'q' },
	{ "step", no_argument, NULL, 'S' },
	{ "stats", no_argument, NULL, 's' },
	{ "quiet", no_argument, NULL, 'Q' },
	{ "dump", required_argument, NULL, 'D' },
	{ "drop", no_argument, NULL, 'd' },
	{ "late", no_argument, NULL, 'L' },
	{ "subbuf", required_argument, NULL, 'b' },
	{ "nsubbufs", required_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

/**
 * run_opt() - take an option every command that runs an instance has
 * @c: the option's short code in run_long: l r q D b n
 * @arg: its argument
 * @o: the options
 *
 * Return: whether @c was one of them.
 */
bool run_opt(int c, const char *arg, struct run_opts *o)
{
	switch (c) {
	case 'l':
		o->cfg.lanes = parse_u32_opt("--lanes", arg);
		return true;
	case 'r':
		o->cfg.ring_size = parse_u32_opt("--ring", arg);
		return true;
	case 'q':
		o->cfg.cq_size = parse_u32_opt("--cq", arg);
		return true;
	case 'D':
		o->dump = arg;
		return true;
	case 'b':
		o->cfg.replay_subbuf_size = parse_u32_opt("--subbuf", arg);
		return true;
	case 'n':
		o->cfg.replay_nr_subbufs = parse_u32_opt("--nsubbufs", arg);
		return true;
	default:
		return false;
	}
}

static void parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", run_long, NULL)) != -1) {
		if (run_opt(c, optarg, o))
			continue;
		switch (c) {
		case 'S':
			o->cfg.flags |= KNHK_CONFIG_STEP_MODE;
			break;
		case 's':
			o->stats = true;
			break;
		case 'Q':
			o->quiet = true;
			break;
		case 'd':
			o->drop = true;
			break;
		case 'L':
			o->late = true;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(help_text, stdout);
			exit(EXIT_OK);
		default:
			usage_error("%s: bad option", argv[0]);
		}
	}
	if (o->drop && !o->dump)
		usage_error("--drop needs --dump FILE");
	/* Lossless producers would wait for a reader that is not there yet. */
	if (o->late && !o->drop)
		usage_error("--late needs --drop");
}

/* A workload file, or a workload line with ':' for blanks? */
static bool is_file(const char *arg)
{
	struct stat st;

	return !strcmp(arg, "-") || !stat(arg, &st) ||
	       (!strchr(arg, ':') && strcmp(arg, "barrier") && strcmp(arg, "batch") &&
		strcmp(arg, "end"));
}

/* The workload of the arguments: files and command-line tasks, in order. */
static void load_work(struct knhk_workload *w, int argc, char **argv)
{
	char err[KNHK_ERRLEN], *line, *p;
	int i, ret;

	if (!argc)
		usage_error("no workload given (a file, or tasks such as pure:0:1 pure:1:2)");
	for (i = 0; i < argc; i++) {
		if (is_file(argv[i])) {
			ret = knhk_wl_load(w, argv[i], err);
			if (ret == -2)
				die(errno == EACCES ? EXIT_PERM : EXIT_FILE,
				    "cannot read workload %s", err);
			if (ret)
				usage_error("%s: %s", argv[i], err);
			w->line = 0;
			continue;
		}
		line = strdup(argv[i]);
		if (!line)
			die(EXIT_FAIL, "out of memory");
		for (p = line; *p; p++)
			if (*p == ':')
				*p = ' ';
		w->line = 0;
		if (knhk_wl_line(w, line, err))
			usage_error("'%s': %s", argv[i], err);
		free(line);
	}
	if (knhk_wl_finish(w, err))
		usage_error("%s", err);
}

/* Options win over the workload's config line, which wins over defaults. */
static void final_config(struct knhk_config *cfg, const struct knhk_config *opt,
			 const struct knhk_config *wl)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->size = sizeof(*cfg);
	cfg->lanes = opt->lanes ?: wl->lanes ?: KNHK_DEFAULT_LANES;
	cfg->ring_size = opt->ring_size ?: wl->ring_size ?: KNHK_DEFAULT_RING;
	cfg->cq_size = opt->cq_size ?: wl->cq_size;
	if (!cfg->cq_size)
		cfg->cq_size = (__u64)cfg->lanes * cfg->ring_size > UINT32_MAX ?
			       UINT32_MAX : cfg->lanes * cfg->ring_size;
	cfg->flags = (opt->flags | wl->flags) & KNHK_CONFIG_STEP_MODE;
	cfg->replay_subbuf_size = opt->replay_subbuf_size;
	cfg->replay_nr_subbufs = opt->replay_nr_subbufs;
}

/**
 * dev_exit() - the exit code for a %KNHK_DEV_* failure
 * @fail: the failure
 *
 * Return: %EXIT_*.
 */
int dev_exit(int fail)
{
	switch (fail) {
	case KNHK_DEV_CALL:
		return EXIT_IOCTL;
	case KNHK_DEV_NODEBUGFS:
		return EXIT_NODEBUGFS;
	case KNHK_DEV_PERM:
		return EXIT_PERM;
	default:
		return EXIT_FAIL;
	}
}

static int cmp_completion(const void *a, const void *b)
{
	const struct knhk_completion *x = a, *y = b;

	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	return x->enqueue_ts < y->enqueue_ts ? -1 : x->enqueue_ts > y->enqueue_ts;
}

/**
 * exec_prepare() - set up a run of an instance from the options
 * @fd: the device
 * @wl_cfg: the workload's configuration (fields 0 where not given)
 * @o: the command's options (they win)
 * @x: the run, zero: gets its configuration, @fd and, with --dump, @d
 * @d: the replay stream reader, zero
 */
void exec_prepare(int fd, const struct knhk_config *wl_cfg, const struct run_opts *o,
		  struct knhk_exec *x, struct knhk_dump *d)
{
	final_config(&x->cfg, &o->cfg, wl_cfg);
	x->fd = fd;
	if (o->dump) {
		x->cfg.flags |= KNHK_CONFIG_REPLAY | (o->drop ? KNHK_CONFIG_REPLAY_DROP : 0);
		x->dump = d;
		x->late_dump = o->late;
	}
}

/**
 * exec_die() - exit for a failed run, saying why
 * @x: the run
 * @ret: its %KNHK_DEV_* failure
 */
noreturn void exec_die(const struct knhk_exec *x, int ret)
{
	if (x->call && !strcmp(x->call, "KNHK_IOC_CONFIGURE") && x->errnum == EINVAL) {
		fprintf(stderr, "%s: lanes %u, ring %u, cq %u rejected\n", prog,
			x->cfg.lanes, x->cfg.ring_size, x->cfg.cq_size);
		fprintf(stderr, "%s: lanes: a power of two 1..%d;", prog, KNHK_MAX_LANES);
		fprintf(stderr, " ring: a power of two %d..%d;\n", KNHK_MIN_RING,
			KNHK_MAX_RING);
		fprintf(stderr, "%s: (lanes + 1) * ring at most %d;", prog, KNHK_MAX_SLOTS);
		fprintf(stderr, " cq: 1..(lanes + 1) * ring\n");
	}
	die(dev_exit(ret), "%s", x->err);
}

/**
 * save_dump() - merge a finished run's replay stream and write --dump's file
 * @o: the options; nothing is done without --dump
 * @x: the run, ended
 * @d: its stream reader
 * @log: gets the log
 */
void save_dump(const struct run_opts *o, struct knhk_exec *x, struct knhk_dump *d,
	       struct knhk_log *log)
{
	char err[KNHK_ERRLEN] = "";
	struct knhk_log_header hdr;
	int ret;

	if (!o->dump)
		return;
	knhk_log_header_init(&hdr, &x->cfg, &x->digest);
	if (knhk_dump_log(d, &hdr, log, err))
		die(EXIT_FAIL, "%s", err);
	if (*err)
		fprintf(stderr, "%s: warning: %s\n", prog, err);
	ret = knhk_log_save(log, o->dump, err);
	if (ret)
		die(log_exit(ret), "cannot write log %s", err);
}

/*
 * One run: configure, make the calls, collect. With @dump_path, stream the
 * replay log and merge it into @log. Exits on failure.
 */
static void run_workload(int fd, const struct knhk_workload *w, const struct run_opts *o,
			 struct knhk_exec *x, struct knhk_dump *d, struct knhk_log *log)
{
	int ret;

	exec_prepare(fd, &w->cfg, o, x, d);
	ret = knhk_exec_run(x, w);
	if (ret)
		exec_die(x, ret);
	qsort(x->comp, x->ncomp, sizeof(*x->comp), cmp_completion);
	save_dump(o, x, d, log);
}

static void print_table(const struct knhk_completion *c, size_t n)
{
	size_t i;

	printf("%10s %5s %4s %-16s %5s %8s %8s  %s\n", "task", "lane", "cpu",
	       "status", "ticks", "enq_ts", "exec_ts", "output");
	for (i = 0; i < n; i++)
		printf("%10llu %5u %4u %-16s %5u %8llu %8llu  0x%016llx\n",
		       c[i].task_id, c[i].lane, c[i].cpu, knhk_status_name(c[i].status),
		       c[i].ticks, c[i].enqueue_ts, c[i].execute_ts, c[i].output);
}

static void print_stats(const struct knhk_exec *x)
{
	const struct knhk_stats *s = &x->stats;
	__u32 i;

	printf("\ninstance: %u lanes, submitted %llu, executed %llu, ",
	       s->lanes, s->submitted, s->executed);
	printf("completed %llu, in flight %llu\n", s->completed, s->inflight);
	printf("%5s %10s %10s\n", "lane", "enqueued", "executed");
	for (i = 0; i < s->lanes; i++)
		printf("%5u %10llu %10llu\n", i, x->lane_stats[i].enqueued,
		       x->lane_stats[i].executed);
}

static void print_dump(const struct run_opts *o, const struct knhk_exec *x,
		       const struct knhk_dump *d, const struct knhk_log *log)
{
	double mb = d->bytes / 1e6, secs = x->secs > 0.000001 ? x->secs : 0.000001;

	if (json) {
		printf("\"dump\": {\"file\": ");
		json_str(o->dump);
		printf(", \"events\": %zu, \"dropped\": %llu, \"bytes\": %llu, ",
		       log->n, (unsigned long long)d->dropped, (unsigned long long)d->bytes);
		printf("\"seconds\": %.6f, \"stream_error\": %s}", x->secs,
		       log->hdr.flags & KNHK_LOG_F_STREAM_ERROR ? "true" : "false");
		return;
	}
	printf("dump: %s: %zu events, %llu dropped, %llu bytes streamed in %.3f s (%.1f MB/s)\n",
	       o->dump, log->n, (unsigned long long)d->dropped,
	       (unsigned long long)d->bytes, x->secs, mb / secs);
}

static void print_digest(const struct knhk_digest *g)
{
	if (json)
		printf("\"digest\": {\"digest\": \"%016llx\", \"checksum\": \"%016llx\", %s%llu}",
		       g->digest, g->checksum, "\"events\": ", g->events);
	else
		printf("digest %016llx checksum %016llx events %llu\n", g->digest,
		       g->checksum, g->events);
}

static void print_json_run(const struct run_opts *o, const struct knhk_exec *x,
			   const struct knhk_dump *d, const struct knhk_log *log)
{
	const struct knhk_completion *c = x->comp;
	size_t i;

	printf("{\"config\": {\"lanes\": %u, \"ring_size\": %u, \"cq_size\": %u, \"step\": %s},\n",
	       x->cfg.lanes, x->cfg.ring_size, x->cfg.cq_size,
	       x->cfg.flags & KNHK_CONFIG_STEP_MODE ? "true" : "false");
	printf(" \"completions\": [");
	for (i = 0; !o->quiet && i < x->ncomp; i++) {
		printf("%s\n  {\"task_id\": %llu, \"lane\": %u, \"cpu\": %u, ",
		       i ? "," : "", c[i].task_id, c[i].lane, c[i].cpu);
		printf("\"status\": \"%s\", \"ticks\": %u, ",
		       knhk_status_name(c[i].status), c[i].ticks);
		printf("\"enqueue_ts\": %llu, \"execute_ts\": %llu, ",
		       c[i].enqueue_ts, c[i].execute_ts);
		printf("\"output\": \"0x%016llx\", \"cycles\": %llu}",
		       c[i].output, c[i].cycles);
	}
	printf("%s],\n ", i ? "\n " : "");
	print_digest(&x->digest);
	if (o->stats) {
		const struct knhk_stats *s = &x->stats;

		printf(",\n \"stats\": {\"submitted\": %llu, \"executed\": %llu, ",
		       s->submitted, s->executed);
		printf("\"completed\": %llu, \"inflight\": %llu, \"lanes\": [",
		       s->completed, s->inflight);
		for (i = 0; i < s->lanes; i++)
			printf("%s\n  {\"lane\": %zu, \"enqueued\": %llu, \"executed\": %llu}",
			       i ? "," : "", i, x->lane_stats[i].enqueued,
			       x->lane_stats[i].executed);
		printf("%s]}", s->lanes ? "\n " : "");
	}
	if (o->dump) {
		printf(",\n ");
		print_dump(o, x, d, log);
	}
	printf("}\n");
}

enum run_kind { RUN_ALL, RUN_STATS, RUN_DIGEST, RUN_DUMP };

static int cmd_run(enum run_kind kind, int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct knhk_workload w;
	struct knhk_dump d = { 0 };
	struct knhk_exec x = { 0 };
	struct knhk_log log;
	int fd;

	parse_run_opts(argc, argv, &o);
	argc -= optind;
	argv += optind;
	if (kind == RUN_DUMP) {
		if (argc < 1)
			usage_error("replay dump: expected FILE WORKLOAD...");
		o.dump = *argv++;
		argc--;
		o.quiet = true;
	}
	if (kind == RUN_STATS)
		o.stats = true;
	knhk_wl_init(&w);
	knhk_log_init(&log);
	load_work(&w, argc, argv);
	fd = open_device();
	run_workload(fd, &w, &o, &x, &d, &log);
	knhk_dump_close(&d);
	close(fd);

	if (kind == RUN_DIGEST) {
		if (json)
			putchar('{');
		print_digest(&x.digest);
		if (json)
			printf("}\n");
	} else if (json) {
		if (kind == RUN_STATS)
			o.quiet = true;
		print_json_run(&o, &x, &d, &log);
	} else {
		if (kind == RUN_ALL) {
			printf("instance: %u lanes, ring %u, cq %u, %zu tasks\n", x.cfg.lanes,
			       x.cfg.ring_size, x.cfg.cq_size, x.ncomp);
			if (!o.quiet)
				print_table(x.comp, x.ncomp);
		}
		if (o.stats)
			print_stats(&x);
		if (kind != RUN_STATS)
			print_digest(&x.digest);
		if (o.dump)
			print_dump(&o, &x, &d, &log);
	}
	knhk_log_free(&log);
	knhk_exec_free(&x);
	knhk_wl_free(&w);
	return EXIT_OK;
}

/* ---- replay logs ---- */

static const char *mode_name(const struct knhk_log_header *h)
{
	if (!(h->config_flags & KNHK_CONFIG_REPLAY))
		return "off";
	return h->config_flags & KNHK_CONFIG_REPLAY_DROP ? "drop" : "lossless";
}

static void print_header_json(const struct knhk_log *log)
{
	const struct knhk_log_header *h = &log->hdr;

	printf("{\"version\": %u, \"lanes\": %u, \"ring_size\": %u, \"cq_size\": %u, ",
	       h->version, h->lanes, h->ring_size, h->cq_size);
	printf("\"config_flags\": %u, \"replay\": \"%s\", \"events\": %llu, \"dropped\": %llu, ",
	       h->config_flags, mode_name(h), (unsigned long long)h->events,
	       (unsigned long long)h->dropped);
	printf("\"kernel_digest\": \"%016llx\", \"kernel_checksum\": \"%016llx\", ",
	       (unsigned long long)h->digest, (unsigned long long)h->checksum);
	printf("\"kernel_events\": %llu, \"stream_error\": %s}",
	       (unsigned long long)h->kernel_events,
	       h->flags & KNHK_LOG_F_STREAM_ERROR ? "true" : "false");
}

static void print_header(const char *path, const struct knhk_log *log)
{
	const struct knhk_log_header *h = &log->hdr;

	printf("%s: format %u, lanes %u, ring %u, cq %u%s, replay %s, %llu events, %llu dropped\n",
	       path, h->version, h->lanes, h->ring_size, h->cq_size,
	       h->config_flags & KNHK_CONFIG_STEP_MODE ? ", step mode" : "", mode_name(h),
	       (unsigned long long)h->events, (unsigned long long)h->dropped);
}

/*
 * The happens-before line; check.sh counts the "ok" ones, so keep its
 * words.
 */
static void print_hb(const struct knhk_hb *hb)
{
	if (hb->rule != KNHK_HB_OK)
		printf("happens-before: VIOLATED (%s): %s\n",
		       knhk_hb_rule_name(hb->rule), hb->why);
	else if (hb->partial)
		printf("happens-before: ok, %llu events checked %s\n",
		       (unsigned long long)hb->events,
		       "(per source only: the log is incomplete)");
	else
		printf("happens-before: ok, %llu events checked (%llu tasks)\n",
		       (unsigned long long)hb->events, (unsigned long long)hb->tasks);
}

static int cmd_verify(int argc, char **argv)
{
	const struct knhk_log_header *h;
	struct knhk_verify v;
	struct knhk_log log;
	bool have, ok_sum, ok_dig, ok_ev;
	int rc;

	if (argc != 1)
		usage_error("replay verify: expected one LOG");
	load_log(&log, argv[0]);
	h = &log.hdr;
	knhk_log_verify(&log, &v);
	have = h->flags & KNHK_LOG_F_DIGEST;
	ok_sum = !have || v.sum.checksum == h->checksum;
	ok_dig = !have || v.sum.digest == h->digest;
	ok_ev = !have || v.sum.events == h->kernel_events;
	if (v.hb.rule != KNHK_HB_OK)
		rc = EXIT_HB;
	else if (v.incomplete)
		rc = EXIT_INCOMPLETE;
	else if (!ok_sum || !ok_dig || !ok_ev || v.bad_hash)
		rc = EXIT_MISMATCH;
	else
		rc = EXIT_OK;
	if (json) {
		printf("{\"file\": ");
		json_str(argv[0]);
		printf(", \"header\": ");
		print_header_json(&log);
		printf(",\n \"checksum\": \"%016llx\", \"digest\": \"%016llx\", \"events\": %llu, ",
		       (unsigned long long)v.sum.checksum, (unsigned long long)v.sum.digest,
		       (unsigned long long)v.sum.events);
		printf("\"kernel_digest_present\": %s, \"gaps\": %llu, \"missing\": %llu, ",
		       have ? "true" : "false", (unsigned long long)v.gaps,
		       (unsigned long long)v.missing);
		printf("\"bad_input_hashes\": %llu, \"happens_before\": {\"events\": %llu, ",
		       (unsigned long long)v.bad_hash, (unsigned long long)v.hb.events);
		printf("\"tasks\": %llu, \"partial\": %s, \"violation\": ",
		       (unsigned long long)v.hb.tasks, v.hb.partial ? "true" : "false");
		if (v.hb.rule == KNHK_HB_OK)
			printf("null");
		else
			json_str(v.hb.why);
		printf("}, \"result\": \"%s\"}\n",
		       rc == EXIT_OK ? "OK" : rc == EXIT_INCOMPLETE ? "INCOMPLETE" :
		       rc == EXIT_HB ? "HAPPENS_BEFORE" : "MISMATCH");
		knhk_log_free(&log);
		return rc;
	}
	print_header(argv[0], &log);
	if (have) {
		printf("checksum %016llx, kernel %016llx: %s\n",
		       (unsigned long long)v.sum.checksum, (unsigned long long)h->checksum,
		       ok_sum ? "ok" : "MISMATCH");
		printf("digest   %016llx, kernel %016llx: %s\n",
		       (unsigned long long)v.sum.digest, (unsigned long long)h->digest,
		       ok_dig ? "ok" : "MISMATCH");
		printf("events   %llu, kernel %llu: %s\n", (unsigned long long)v.sum.events,
		       (unsigned long long)h->kernel_events, ok_ev ? "ok" : "MISMATCH");
	} else {
		printf("checksum %016llx, digest %016llx (no kernel digest to compare)\n",
		       (unsigned long long)v.sum.checksum, (unsigned long long)v.sum.digest);
	}
	if (v.bad_hash) {
		char line[256];

		knhk_ev_describe(log.recs[v.first_bad].ev, line, sizeof(line));
		printf("input hashes: %llu wrong, first: #%zu %s\n",
		       (unsigned long long)v.bad_hash, v.first_bad, line);
	} else {
		printf("input hashes: ok\n");
	}
	if (v.gaps)
		printf("sequence gaps: %llu events missing, the first seq %llu of source %#x\n",
		       (unsigned long long)v.gaps, (unsigned long long)v.gap_seq, v.gap_source);
	print_hb(&v.hb);
	if (v.hb.rule != KNHK_HB_OK)
		printf("verify: HAPPENS-BEFORE VIOLATED\n");
	else if (v.incomplete)
		printf("verify: INCOMPLETE: %llu dropped, %llu missing%s: %s\n",
		       (unsigned long long)h->dropped, (unsigned long long)v.missing,
		       h->flags & KNHK_LOG_F_STREAM_ERROR ? ", stream error" : "",
		       "the digest cannot match");
	else
		printf("verify: %s\n", rc == EXIT_OK ? "OK" : "MISMATCH");
	knhk_log_free(&log);
	return rc;
}

static int grade_exit(enum knhk_grade g)
{
	static const int codes[] = { EXIT_OK, EXIT_MINOR, EXIT_DIVERGED, EXIT_INCOMPLETE };

	return codes[g];
}

static void json_event(const char *name, const struct knhk_event *ev)
{
	char line[256];

	printf(", \"%s\": ", name);
	if (!ev) {
		printf("null");
		return;
	}
	knhk_ev_describe(ev, line, sizeof(line));
	printf("{\"type\": \"%s\", \"source\": %u, \"seq\": %llu, \"ts\": %llu, ",
	       knhk_ev_name(ev->type), ev->source, (unsigned long long)ev->seq,
	       (unsigned long long)ev->ts);
	printf("\"task_id\": %llu, \"lane\": %u, \"status\": %u, \"ticks\": %u, ",
	       (unsigned long long)ev->task_id, ev->lane, ev->status, ev->ticks);
	printf("\"hash\": \"%016llx\", \"text\": ", (unsigned long long)ev->hash);
	json_str(line);
	putchar('}');
}

static void human_event(const char *name, const struct knhk_event *ev)
{
	char line[256];

	if (ev)
		knhk_ev_describe(ev, line, sizeof(line));
	printf("  %s: %s\n", name, ev ? line : "(none)");
}

/* The first TaskExecuted of a task, or NULL. */
static const struct knhk_event *find_exec(const struct knhk_log *log, uint64_t id)
{
	size_t i;

	for (i = 0; i < log->n; i++)
		if (log->recs[i].ev->type == KNHK_EV_TASK_EXECUTED &&
		    log->recs[i].ev->task_id == id)
			return log->recs[i].ev;
	return NULL;
}

static void print_diff(const char *pa, const char *pb, const struct knhk_log *a,
		       const struct knhk_log *b, const struct knhk_diff *d)
{
	if (json) {
		printf("{\"a\": ");
		json_str(pa);
		printf(", \"b\": ");
		json_str(pb);
		printf(", \"result\": \"%s\", \"why\": ", knhk_grade_name(d->grade));
		json_str(d->why);
		printf(",\n \"first_divergent_event\": ");
		if (d->index < 0) {
			printf("null");
		} else {
			printf("{\"index\": %lld", d->index);
			json_event("a", d->a);
			json_event("b", d->b);
			putchar('}');
		}
		printf(",\n \"first_divergent_task\": ");
		if (!d->task_valid) {
			printf("null");
		} else {
			printf("{\"task_id\": %llu", (unsigned long long)d->task_id);
			json_event("a", d->task_a);
			json_event("b", d->task_b);
			putchar('}');
		}
		printf("}\n");
		return;
	}
	printf("A: ");
	print_header(pa, a);
	printf("B: ");
	print_header(pb, b);
	printf("%s: %s\n", knhk_grade_name(d->grade), d->why);
	if (d->grade == KNHK_EXACT_MATCH)
		return;
	if (d->index >= 0) {
		printf("first divergent event: #%lld\n", d->index);
		human_event("A", d->a);
		human_event("B", d->b);
	}
	if (d->task_valid) {
		printf("first divergent task: %llu\n", (unsigned long long)d->task_id);
		human_event("A", d->task_a);
		human_event("B", d->task_b);
		if (d->task_a && d->task_a->type == KNHK_EV_TASK_ENQUEUED) {
			printf("its outcome:\n");
			human_event("A", find_exec(a, d->task_id));
			human_event("B", find_exec(b, d->task_id));
		}
	}
}

static int cmd_diff(int argc, char **argv)
{
	struct knhk_log a, b;
	struct knhk_diff d;

	if (argc != 2)
		usage_error("replay diff: expected two logs, A B");
	load_log(&a, argv[0]);
	load_log(&b, argv[1]);
	knhk_log_diff(&a, &b, &d);
	print_diff(argv[0], argv[1], &a, &b, &d);
	knhk_log_free(&a);
	knhk_log_free(&b);
	return grade_exit(d.grade);
}

static int cmd_show(int argc, char **argv)
{
	struct knhk_log log;
	char line[256];
	size_t i;

	if (argc != 1)
		usage_error("replay show: expected one LOG");
	load_log(&log, argv[0]);
	if (json) {
		printf("{\"header\": ");
		print_header_json(&log);
		printf(",\n \"events\": [");
		for (i = 0; i < log.n; i++) {
			printf("%s\n  {\"index\": %zu", i ? "," : "", i);
			json_event("event", log.recs[i].ev);
			putchar('}');
		}
		printf("%s]}\n", log.n ? "\n " : "");
	} else {
		print_header(argv[0], &log);
		for (i = 0; i < log.n; i++) {
			knhk_ev_describe(log.recs[i].ev, line, sizeof(line));
			printf("%6zu %s\n", i, line);
		}
	}
	knhk_log_free(&log);
	return EXIT_OK;
}

static int cmd_replay_run(int argc, char **argv)
{
	struct run_opts o = { 0 };
	struct knhk_log orig, log;
	struct knhk_workload w;
	struct knhk_dump d = { 0 };
	struct knhk_exec x = { 0 };
	char tmp[64] = "";
	struct knhk_diff diff;
	struct knhk_verify v;
	int fd;

	parse_run_opts(argc, argv, &o);
	if (o.cfg.lanes || o.cfg.ring_size || o.cfg.cq_size || o.cfg.flags || o.drop)
		usage_error("replay run: the configuration is the log's%s",
			    " (options: --dump, --subbuf, --nsubbufs, --json)");
	if (argc - optind != 1)
		usage_error("replay run: expected one LOG");
	load_log(&orig, argv[optind]);
	knhk_wl_init(&w);
	if (knhk_wl_from_log(&w, &orig, tmp))
		die(EXIT_FAIL, "%s", tmp);
	if (!o.dump) {
		snprintf(tmp, sizeof(tmp), "/tmp/knhkctl-replay.%d", (int)getpid());
		o.dump = tmp;
	}
	if (!o.cfg.replay_subbuf_size)
		o.cfg.replay_subbuf_size = orig.hdr.subbuf_size;
	if (!o.cfg.replay_nr_subbufs)
		o.cfg.replay_nr_subbufs = orig.hdr.nr_subbufs;
	o.quiet = true;
	knhk_log_init(&log);
	fd = open_device();
	run_workload(fd, &w, &o, &x, &d, &log);
	knhk_dump_close(&d);
	close(fd);
	if (o.dump == tmp)
		unlink(tmp);
	knhk_log_diff(&orig, &log, &diff);
	print_diff(argv[optind], o.dump == tmp ? "(replay)" : o.dump, &orig, &log, &diff);
	/* The new log is checked as `replay verify` would. */
	knhk_log_verify(&log, &v);
	if (!json)
		print_hb(&v.hb);
	knhk_log_free(&orig);
	knhk_log_free(&log);
	knhk_exec_free(&x);
	knhk_wl_free(&w);
	return v.hb.rule != KNHK_HB_OK ? EXIT_HB : grade_exit(diff.grade);
}

static int cmd_replay(int argc, char **argv)
{
	if (argc < 2)
		usage_error("replay: expected dump, verify, diff, run or show");
	argc--;
	argv++;
	if (!strcmp(argv[0], "dump"))
		return cmd_run(RUN_DUMP, argc, argv);
	if (!strcmp(argv[0], "run"))
		return cmd_replay_run(argc, argv);
	/* The rest take --json and files. */
	optind = 1;
	parse_run_opts(argc, argv, &(struct run_opts){ 0 });
	if (!strcmp(argv[0], "verify"))
		return cmd_verify(argc - optind, argv + optind);
	if (!strcmp(argv[0], "diff"))
		return cmd_diff(argc - optind, argv + optind);
	if (!strcmp(argv[0], "show"))
		return cmd_show(argc - optind, argv + optind);
	usage_error("replay: unknown command '%s'", argv[0]);
}

static int cmd_version(int argc, char **argv)
{
	struct knhk_version v = { .size = sizeof(v) };
	int fd;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "--json")))
		usage_error("version takes no arguments but --json");
	json |= argc == 2;
	fd = open_device();
	if (ioctl(fd, KNHK_IOC_VERSION, &v))
		die(EXIT_IOCTL, "KNHK_IOC_VERSION failed: %s (%s)", errname(errno),
		    strerror(errno));
	close(fd);
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	int o;

	device = getenv("KNHK_DEVICE");
	if (!device || !*device)
		device = "/dev/" KNHK_DEVICE_NAME;
	/* '+': stop at the command; its options are parsed by the command. */
	while ((o = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			device = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(help_text, stdout);
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
		fputs(help_text, stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[0], "version"))
		return cmd_version(argc, argv);
	if (!strcmp(argv[0], "run") || !strcmp(argv[0], "submit"))
		return cmd_run(RUN_ALL, argc, argv);
	if (!strcmp(argv[0], "stats"))
		return cmd_run(RUN_STATS, argc, argv);
	if (!strcmp(argv[0], "digest"))
		return cmd_run(RUN_DIGEST, argc, argv);
	if (!strcmp(argv[0], "replay"))
		return cmd_replay(argc, argv);
	if (!strcmp(argv[0], "follow"))
		return cmd_follow(argc, argv);
	usage_error("unknown command '%s'", argv[0]);
}
