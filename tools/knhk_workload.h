/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_workload.h - a workload: the calls of an instance's submit path, in
 * order, read from a text file (format in tools/README.md) or from the
 * submit-path records of a replay log.
 */
#ifndef KNHK_WORKLOAD_H
#define KNHK_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include <linux/knhk_sched.h>

#include "knhk_log.h"

enum knhk_wl_kind {
	KNHK_WL_SUBMIT,		/* @n tasks, one call each or one batch */
	KNHK_WL_GUARDS,		/* @n @ids, @arg = KNHK_GUARDS_SET or _CLEAR */
	KNHK_WL_SHARED,		/* @n @values from slot @arg */
	KNHK_WL_RELEASE,	/* @arg = release flags, @value = watermark */
	KNHK_WL_BARRIER,
	KNHK_WL_CYCLE,		/* step mode: run lane @arg's head @value times */
};

/**
 * struct knhk_wl_op - one step of a workload
 * @kind: %KNHK_WL_*
 * @ordered: submit: ordered tasks (their timestamps in @tasks)
 * @batch: submit: one %KNHK_IOC_SUBMIT call for all @n tasks
 * @line: line of the workload file, for messages
 * @n: entries in @tasks, @ids or @values
 * @arg: see enum knhk_wl_kind
 * @value: see enum knhk_wl_kind
 * @tasks: the tasks; timestamps used only when @ordered
 * @ids: guard ids
 * @values: shared state values
 */
struct knhk_wl_op {
	enum knhk_wl_kind kind;
	bool ordered;
	bool batch;
	unsigned int line;
	uint32_t n;
	uint32_t arg;
	uint64_t value;
	struct knhk_ordered_task *tasks;
	uint32_t *ids;
	uint64_t *values;
};

/**
 * struct knhk_workload - a workload
 * @cfg: configuration from "config" lines (fields 0 where not given)
 * @n: steps
 * @ops: the steps
 * @room: allocated entries of @ops
 * @batch: index of the open "batch" step, or -1
 * @line: current line, while parsing
 */
struct knhk_workload {
	struct knhk_config cfg;
	size_t n;
	struct knhk_wl_op *ops;
	size_t room;
	long batch;
	unsigned int line;
};

/* What a line of a live stream is: knhk_wl_stream_line(). */
enum knhk_sl {
	KNHK_SL_BLANK,		/* nothing to make: blank, or a comment */
	KNHK_SL_LINE,		/* a workload line at a revision not below the last */
	KNHK_SL_RESTART,	/* the stream starts over: make it on a fresh instance */
	KNHK_SL_EOF,		/* '@eof': the end of the stream */
	KNHK_SL_BAD,		/* not a line of a stream: the message says why */
};

/**
 * struct knhk_stream_pos - where a follower of a live stream is
 * @rev: revision of the last line made; 0 before the first
 * @first: revision of the instance's first line; 0 while it has none
 * @marked: every line must carry its revision ('@REV LINE')
 */
struct knhk_stream_pos {
	uint64_t rev;
	uint64_t first;
	bool marked;
};

enum knhk_sl knhk_wl_stream_line(const struct knhk_stream_pos *p, const char *line,
				 uint64_t *rev, const char **text, char *err);
bool knhk_wl_checkpoint_due(uint64_t last, uint64_t rev, uint64_t every);

void knhk_wl_init(struct knhk_workload *w);
void knhk_wl_free(struct knhk_workload *w);
int knhk_wl_line(struct knhk_workload *w, const char *line, char *err);
int knhk_wl_load(struct knhk_workload *w, const char *path, char *err);
int knhk_wl_finish(struct knhk_workload *w, char *err);
int knhk_wl_from_log(struct knhk_workload *w, const struct knhk_log *log,
		     char *err);

int knhk_wl_add_task(struct knhk_workload *w, const struct knhk_task *t,
		     bool ordered, uint64_t ts);
int knhk_wl_add_ids(struct knhk_workload *w, enum knhk_wl_kind kind,
		    uint32_t arg, const void *items, uint32_t n);
int knhk_wl_add(struct knhk_workload *w, enum knhk_wl_kind kind, uint32_t arg,
		uint64_t value);

#endif /* KNHK_WORKLOAD_H */
