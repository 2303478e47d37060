/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhkctl.h - what knhkctl's commands share: exit codes, messages, the
 * device, run options, and the steps of a run (configure, fail, save the
 * replay log), so that `run`, `replay run` and `follow` drive an instance
 * the same way.
 */
#ifndef KNHKCTL_H
#define KNHKCTL_H

#include <stdbool.h>
#include <stdnoreturn.h>

#include <linux/knhk_sched.h>

#include "knhk_dev.h"
#include "knhk_log.h"

/* Exit codes; also listed in knhkctl's help text. */
enum {
	EXIT_OK = 0,		/* and EXACT_MATCH, and a log that verifies */
	EXIT_FAIL = 1,		/* anything else: lost completion, no memory */
	EXIT_USAGE = 2,		/* bad command line or workload */
	EXIT_NODEV = 3,		/* no device: the module is not loaded */
	EXIT_PERM = 4,		/* permission denied: device, debugfs, file */
	EXIT_IOCTL = 5,		/* an ioctl or read() on the device failed */
	EXIT_NODEBUGFS = 6,	/* no debugfs, or no replay files */
	EXIT_CORRUPT = 7,	/* log file truncated or corrupt */
	EXIT_VERSION = 8,	/* log format version not supported */
	EXIT_MISMATCH = 9,	/* verify: checksum, digest or a hash differs */
	EXIT_MINOR = 10,	/* diff: MINOR_DIFFERENCE */
	EXIT_DIVERGED = 11,	/* diff: DIVERGED */
	EXIT_INCOMPLETE = 12,	/* drops or sequence gaps: cannot match */
	EXIT_FILE = 13,		/* a file cannot be read or written */
	EXIT_HB = 14,		/* verify: happens-before violated */
};

/* Options of the commands that run an instance. */
struct run_opts {
	struct knhk_config cfg;		/* fields 0: not given */
	bool stats;
	bool quiet;
	const char *dump;
	bool drop;
	bool late;			/* --late: read the stream after the run */
};

extern const char *prog;

noreturn void usage_error(const char *fmt, ...) __printf(1, 2);
noreturn void die(int code, const char *fmt, ...) __printf(2, 3);
int open_device(void);
__u32 parse_u32_opt(const char *opt, const char *s);
int log_exit(int err);
bool run_opt(int c, const char *arg, struct run_opts *o);
int dev_exit(int fail);
void exec_prepare(int fd, const struct knhk_config *wl_cfg, const struct run_opts *o,
		  struct knhk_exec *x, struct knhk_dump *d);
noreturn void exec_die(const struct knhk_exec *x, int ret);
void save_dump(const struct run_opts *o, struct knhk_exec *x, struct knhk_dump *d,
	       struct knhk_log *log);
int cmd_follow(int argc, char **argv);

#endif /* KNHKCTL_H */
