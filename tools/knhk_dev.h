/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_dev.h - run a workload on a knhk_sched instance, reading its
 * completions and, optionally, its replay stream while it runs.
 */
#ifndef KNHK_DEV_H
#define KNHK_DEV_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/knhk_sched.h>

#include "knhk_log.h"
#include "knhk_workload.h"

#define KNHK_DEBUGFS	"/sys/kernel/debug/" KNHK_DEVICE_NAME

/* Why knhk_exec_run() or a knhk_dump_*() call failed. */
enum knhk_dev_fail {
	KNHK_DEV_OK,
	KNHK_DEV_FAIL,		/* anything else */
	KNHK_DEV_CALL,		/* an ioctl or read() on the device failed */
	KNHK_DEV_NODEBUGFS,	/* no debugfs, or no replay files */
	KNHK_DEV_PERM,		/* permission denied on a debugfs file */
};

/**
 * struct knhk_stream - one CPU's replay file and what was read from it
 * @cpu: the CPU
 * @fd: the open file; -1 until it is opened, -2 after a read error
 * @found: the reader's pass (&knhk_dump.passes) that found the file
 * @opened: the pass that opened it
 * @refusals: opens the module refused (EAGAIN: relay had not set the
 *	buffer behind the file up yet)
 * @refused: the pass of the last of them
 * @buf: the bytes read so far
 * @len: their count
 * @room: allocated size of @buf
 */
struct knhk_stream {
	int cpu;
	int fd;
	unsigned int found;
	unsigned int opened;
	unsigned int refusals;
	unsigned int refused;
	uint8_t *buf;
	size_t len;
	size_t room;
};

/**
 * struct knhk_dump - reader of an instance's replay files
 * @dir: the instance's debugfs directory
 * @instance: its number
 * @streams: the files found so far
 * @nstreams: their count
 * @delay_us: pause after every read (tests: a slow reader)
 * @eager: read the sub-buffer being written too, as far as it is
 *	written, all the time (tests: the module's read() racing its
 *	producers' sub-buffer switches; not faster)
 * @stop: set to make the thread read to the end and exit
 * @running: the thread was started
 * @thread: the thread
 * @fail: %KNHK_DEV_* of a failure in the thread
 * @err: its message
 * @bytes: bytes read
 * @passes: passes of the thread over the files so far
 * @dropped: debugfs "dropped" total, from knhk_dump_stop()
 */
struct knhk_dump {
	char dir[128];
	uint32_t instance;
	struct knhk_stream *streams;
	int nstreams;
	unsigned int delay_us;
	bool eager;
	atomic_int stop;
	bool running;
	pthread_t thread;
	int fail;
	char err[KNHK_ERRLEN];
	uint64_t bytes;
	unsigned int passes;
	uint64_t dropped;
};

int knhk_dump_open(struct knhk_dump *d, int fd, char *err);
int knhk_dump_start(struct knhk_dump *d, char *err);
int knhk_dump_stop(struct knhk_dump *d, char *err);
int knhk_dump_log(struct knhk_dump *d, const struct knhk_log_header *hdr,
		  struct knhk_log *log, char *err);
void knhk_dump_close(struct knhk_dump *d);

/**
 * struct knhk_exec - one run of a workload
 * @fd: the device, opened by the caller
 * @cfg: the configuration to set
 * @dump: read the replay stream into this while running, or NULL
 * @late_dump: read the stream only after the workload (drop mode tests)
 * @discard: count completions, do not keep them (a long-running follower)
 * @started: knhk_exec_start() succeeded, knhk_exec_end() not yet called
 * @comp: the completions, read() and run-cycle ones
 * @ncomp: their count
 * @room: allocated entries of @comp
 * @accepted: tasks accepted (plain and ordered)
 * @ordered: ordered tasks accepted
 * @released: ordered tasks released
 * @digest: %KNHK_IOC_DIGEST after the workload
 * @stats: %KNHK_IOC_STATS after every completion was read
 * @lane_stats: its per-lane counters (malloc()ed)
 * @secs: wall time from the first call to the digest
 * @call: the failed call, with @errnum
 * @errnum: its errno
 * @err: message of a failure
 * @lock: protects @comp
 * @reader: the completion reader thread
 * @done: every call made: the reader may stop at @expect completions
 * @expect: completions read() will return
 */
struct knhk_exec {
	int fd;
	struct knhk_config cfg;
	struct knhk_dump *dump;
	bool late_dump;
	bool discard;
	bool started;

	struct knhk_completion *comp;
	size_t ncomp;
	size_t room;
	uint64_t accepted;
	uint64_t ordered;
	uint64_t released;
	struct knhk_digest digest;
	struct knhk_stats stats;
	struct knhk_lane_stats *lane_stats;
	double secs;

	const char *call;
	int errnum;
	char err[KNHK_ERRLEN];

	pthread_mutex_t lock;
	pthread_t reader;
	atomic_int done;
	atomic_ullong expect;
};

int knhk_exec_run(struct knhk_exec *x, const struct knhk_workload *w);
int knhk_exec_start(struct knhk_exec *x);
int knhk_exec_op(struct knhk_exec *x, const struct knhk_wl_op *op);
int knhk_exec_sync(struct knhk_exec *x);
int knhk_exec_end(struct knhk_exec *x, int ret);
void knhk_exec_free(struct knhk_exec *x);
int knhk_read_dropped(const char *dir, uint64_t *total, char *err);

#endif /* KNHK_DEV_H */
