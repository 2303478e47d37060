// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_follow.c - `knhkctl follow`: one replica of a deterministic state
 * machine. It reads a live stream of workload lines (an ordering service's
 * output, e.g. tools/knhk-etcd watch), makes each line's calls on its
 * instance as the line arrives, releases ordered tasks up to the stream's
 * watermark and prints `revision digest checksum events` at checkpoints.
 *
 * Everything it does is a function of the stream alone, never of when
 * lines arrive: releases and checkpoints happen where the revision
 * advances, so replicas fed the same stream make the same calls and print
 * the same digests at the same revisions. The stream format is in
 * tools/README.md.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "knhk_dev.h"
#include "knhk_log.h"
#include "knhk_workload.h"
#include "knhkctl.h"

/**
 * struct follower - the state of `knhkctl follow`
 * @o: run options (configuration, --dump)
 * @every: checkpoint every this many revisions (0: only at the end)
 * @marked: every line must carry its revision
 * @out: checkpoints also go here, or NULL
 * @wl_path: --workload: the calls made, as a workload file, or NULL
 * @wl_out: that file, open
 * @fd: the device; -1 while no instance is running
 * @x: the instance's run
 * @d: its replay stream reader
 * @w: the lines parsed and not yet made (a batch waits for its end)
 * @lineno: line of the stream
 * @rev: revision of the last line made; 0 before the first
 * @first: revision of the instance's first line
 * @checkpoints: checkpoints printed by this instance
 * @revisions: distinct revisions this instance applied
 */
struct follower {
	struct run_opts o;
	unsigned long long every;
	bool marked;
	FILE *out;
	const char *wl_path;
	FILE *wl_out;

	int fd;
	struct knhk_exec x;
	struct knhk_dump d;
	struct knhk_workload w;

	unsigned long long lineno;
	unsigned long long rev;
	unsigned long long first;
	unsigned long long checkpoints;
	unsigned long long revisions;
};

static const char follow_help[] =
	"Usage: knhkctl follow [OPTIONS] [STREAM]\n"
	"\n"
	"Run one replica: read workload lines from STREAM (a file, FIFO or tty;\n"
	"default or '-': standard input) as they arrive and make their calls.\n"
	"A line '@REV LINE' is LINE at revision REV (non-decreasing; a line\n"
	"without it is at the last revision + 1); '@eof' ends the stream like\n"
	"end of file. Ordered tasks are released up to the last revision each\n"
	"time the revision advances; a stream that goes back to its first\n"
	"revision starts over on a fresh instance.\n"
	"\n"
	"At a checkpoint (the last revision at or below each multiple of\n"
	"--every, and at the end) it waits for the tasks that can run and prints\n"
	"'REVISION DIGEST CHECKSUM EVENTS'; at the end also 'follow: N revisions\n"
	"applied'. A bad line or a rejected call stops it with an error naming\n"
	"the line and the revision, exit status 2 or 5.\n"
	"\n"
	"Options:\n"
	"  --every N        a checkpoint every N revisions (default: only at the end)\n"
	"  --marked         every line must be '@REV LINE' (a stream from an\n"
	"                   ordering service: a line without it is damage)\n"
	"  --out FILE       also write the checkpoint lines to FILE\n"
	"  --workload FILE  write the calls made as a workload file (knhkctl run\n"
	"                   of it gives the last checkpoint's digest)\n"
	"  --lanes N, --ring N, --cq N, --dump FILE, --subbuf B, --nsubbufs N\n"
	"                   as for run\n";

static const struct option follow_long[] = {
	{ "every", required_argument, NULL, 'e' },
	{ "marked", no_argument, NULL, 'm' },
	{ "out", required_argument, NULL, 'o' },
	{ "workload", required_argument, NULL, 'w' },
	{ "lanes", required_argument, NULL, 'l' },
	{ "ring", required_argument, NULL, 'r' },
	{ "cq", required_argument, NULL, 'q' },
	{ "dump", required_argument, NULL, 'D' },
	{ "subbuf", required_argument, NULL, 'b' },
	{ "nsubbufs", required_argument, NULL, 'n' },
	{ "help", no_argument, NULL, 'h' },
	{ 0 }
};

static noreturn void line_error(const struct follower *f, int code, const char *msg)
{
	die(code, "follow: line %llu (revision %llu): %s; stopping", f->lineno,
	    f->rev, msg);
}

static FILE *open_out(const char *path)
{
	FILE *fp = fopen(path, "we");

	if (!fp)
		die(errno == EACCES ? EXIT_PERM : EXIT_FILE, "cannot write %s: %s", path,
		    strerror(errno));
	return fp;
}

/* A fresh instance for the stream's first line (or its restart). */
static void begin(struct follower *f)
{
	int ret;

	f->fd = open_device();
	memset(&f->x, 0, sizeof(f->x));
	memset(&f->d, 0, sizeof(f->d));
	exec_prepare(f->fd, &f->w.cfg, &f->o, &f->x, &f->d);
	f->x.discard = true;
	ret = knhk_exec_start(&f->x);
	if (ret)
		exec_die(&f->x, ret);
	if (f->wl_path) {
		f->wl_out = open_out(f->wl_path);
		fprintf(f->wl_out, "config lanes=%u ring=%u cq=%u\n", f->x.cfg.lanes,
			f->x.cfg.ring_size, f->x.cfg.cq_size);
	}
	f->checkpoints = 0;
	f->revisions = 0;
}

/* Make a call; a rejected one stops the replica. */
static void make(struct follower *f, const struct knhk_wl_op *op, const char *text)
{
	int ret = knhk_exec_op(&f->x, op);

	if (ret)
		line_error(f, dev_exit(ret), f->x.err);
	if (f->wl_out && text)
		fputs(text, f->wl_out);
}

/* Release the ordered tasks up to the last revision, if any wait. */
static void release_ordered(struct follower *f)
{
	struct knhk_wl_op op = { .kind = KNHK_WL_RELEASE, .value = f->rev };
	char text[40];

	if (f->x.ordered == f->x.released)
		return;
	snprintf(text, sizeof(text), "release %llu\n", f->rev);
	make(f, &op, text);
}

static void checkpoint(struct follower *f)
{
	const struct knhk_digest *g = &f->x.digest;
	int ret;

	release_ordered(f);
	ret = knhk_exec_sync(&f->x);
	if (ret)
		line_error(f, dev_exit(ret), f->x.err);
	printf("%llu %016llx %016llx %llu\n", f->rev, g->digest, g->checksum, g->events);
	fflush(stdout);
	if (f->out) {
		fprintf(f->out, "%llu %016llx %016llx %llu\n", f->rev, g->digest,
			g->checksum, g->events);
		fflush(f->out);
	}
	f->checkpoints++;
}

/* The instance is done: check it, write its log, close it. */
static void end(struct follower *f, bool keep)
{
	struct knhk_log log;
	int ret;

	ret = knhk_exec_end(&f->x, 0);
	if (ret && keep)
		exec_die(&f->x, ret);
	knhk_log_init(&log);
	if (keep)
		save_dump(&f->o, &f->x, &f->d, &log);
	knhk_log_free(&log);
	knhk_dump_close(&f->d);
	knhk_exec_free(&f->x);
	close(f->fd);
	f->fd = -1;
	if (f->wl_out && fclose(f->wl_out))
		die(EXIT_FILE, "cannot write %s: %s", f->wl_path, strerror(errno));
	f->wl_out = NULL;
}

/* Make the parsed lines' calls, unless a batch is still open. */
static void flush(struct follower *f)
{
	size_t i;

	if (f->w.batch >= 0)
		return;
	for (i = 0; i < f->w.n; i++)
		make(f, &f->w.ops[i], NULL);
	/* Keep the configuration: a restart configures the same way. */
	f->w.cfg.size = sizeof(f->w.cfg);
	{
		struct knhk_config cfg = f->w.cfg;

		knhk_wl_free(&f->w);
		f->w.cfg = cfg;
	}
}

/* One line of the stream. Return: it was '@eof'. */
static bool one_line(struct follower *f, char *s)
{
	struct knhk_stream_pos pos = { f->rev, f->fd >= 0 ? f->first : 0, f->marked };
	char err[KNHK_ERRLEN];
	const char *text;
	uint64_t rev;

	switch (knhk_wl_stream_line(&pos, s, &rev, &text, err)) {
	case KNHK_SL_BLANK:
		return false;
	case KNHK_SL_EOF:
		return true;
	case KNHK_SL_BAD:
		line_error(f, EXIT_USAGE, err);
	case KNHK_SL_RESTART:
		if (f->w.batch >= 0)
			line_error(f, EXIT_USAGE, "the stream starts over inside a batch");
		fprintf(stderr, "%s: follow: line %llu: %s %llu; a fresh instance follows it\n",
			prog, f->lineno, "the stream starts over at revision",
			(unsigned long long)rev);
		end(f, false);
		f->rev = 0;
		break;
	case KNHK_SL_LINE:
		break;
	}
	if (f->fd >= 0 && rev > f->rev && f->w.batch < 0) {
		/* Revision f->rev is complete: its ordered tasks may run. */
		release_ordered(f);
		if (knhk_wl_checkpoint_due(f->rev, rev, f->every))
			checkpoint(f);
	}
	if (rev > f->rev)
		f->revisions++;
	f->rev = rev;
	if (knhk_wl_line(&f->w, text, err))
		line_error(f, EXIT_USAGE, err);
	if (f->fd < 0 && (f->w.n || f->w.batch >= 0)) {
		begin(f);
		f->first = rev;
		f->revisions = 1;
	}
	if (f->fd < 0)
		return false;
	if (f->wl_out)
		fputs(text, f->wl_out);
	flush(f);
	return false;
}

/* A tty (a serial port carrying the stream) passes bytes as they are. */
static void raw_tty(int fd)
{
	struct termios t;

	if (!isatty(fd) || tcgetattr(fd, &t))
		return;
	cfmakeraw(&t);
	tcsetattr(fd, TCSANOW, &t);
}

static void parse_follow_opts(int argc, char **argv, struct follower *f)
{
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", follow_long, NULL)) != -1) {
		if (run_opt(c, optarg, &f->o))
			continue;
		switch (c) {
		case 'e':
			f->every = parse_u32_opt("--every", optarg);
			break;
		case 'm':
			f->marked = true;
			break;
		case 'o':
			f->out = open_out(optarg);
			raw_tty(fileno(f->out));
			break;
		case 'w':
			f->wl_path = optarg;
			break;
		case 'h':
			fputs(follow_help, stdout);
			exit(EXIT_OK);
		default:
			usage_error("follow: bad option");
		}
	}
	if (argc - optind > 1)
		usage_error("follow: expected at most one STREAM");
}

/**
 * cmd_follow() - `knhkctl follow`: run one replica of a live stream
 * @argc: arguments, "follow" first
 * @argv: the arguments
 *
 * Return: the exit status.
 */
int cmd_follow(int argc, char **argv)
{
	struct follower f = { .fd = -1 };
	const char *path;
	size_t room = 0;
	char *line = NULL, err[KNHK_ERRLEN];
	FILE *in;
	bool eof = false;

	parse_follow_opts(argc, argv, &f);
	path = optind < argc ? argv[optind] : "-";
	in = strcmp(path, "-") ? fopen(path, "re") : stdin;
	if (!in)
		die(errno == EACCES ? EXIT_PERM : EXIT_FILE, "cannot read %s: %s", path,
		    strerror(errno));
	raw_tty(fileno(in));
	knhk_wl_init(&f.w);
	/* getline() waits for a slow stream and takes a burst line by line. */
	while (!eof && getline(&line, &room, in) >= 0) {
		f.lineno++;
		eof = one_line(&f, line);
	}
	if (ferror(in))
		die(EXIT_FILE, "follow: %s: %s", path, strerror(errno));
	free(line);
	if (knhk_wl_finish(&f.w, err))
		line_error(&f, EXIT_USAGE, "the stream ended inside a batch");
	if (f.fd < 0)
		begin(&f);
	checkpoint(&f);
	fprintf(stderr, "%s: follow: %llu revisions applied, %llu checkpoints, %s %llu\n",
		prog, f.revisions, f.checkpoints, "last revision", f.rev);
	end(&f, true);
	if (f.out && fclose(f.out))
		die(EXIT_FILE, "cannot write --out: %s", strerror(errno));
	knhk_wl_free(&f.w);
	if (in != stdin)
		fclose(in);
	return EXIT_OK;
}
