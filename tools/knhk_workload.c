// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_workload.c - workload files, and workloads made from replay logs.
 * The format is described in tools/README.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "knhk_workload.h"

#define MAX_RANGE	1000000	/* tasks one line may make */

static int wl_err(struct knhk_workload *w, char *err, const char *fmt, ...) __printf(3, 4);

static int wl_err(struct knhk_workload *w, char *err, const char *fmt, ...)
{
	char msg[KNHK_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (w->line)
		snprintf(err, KNHK_ERRLEN, "line %u: %.200s", w->line, msg);
	else
		snprintf(err, KNHK_ERRLEN, "%s", msg);
	return -1;
}

void knhk_wl_init(struct knhk_workload *w)
{
	memset(w, 0, sizeof(*w));
	w->batch = -1;
}

void knhk_wl_free(struct knhk_workload *w)
{
	size_t i;

	for (i = 0; i < w->n; i++) {
		free(w->ops[i].tasks);
		free(w->ops[i].ids);
		free(w->ops[i].values);
	}
	free(w->ops);
	knhk_wl_init(w);
}

static struct knhk_wl_op *new_op(struct knhk_workload *w,
				 enum knhk_wl_kind kind)
{
	struct knhk_wl_op *ops;

	if (w->n == w->room) {
		ops = realloc(w->ops, (w->room ? 2 * w->room : 64) * sizeof(*ops));
		if (!ops)
			return NULL;
		w->ops = ops;
		w->room = w->room ? 2 * w->room : 64;
	}
	ops = &w->ops[w->n++];
	memset(ops, 0, sizeof(*ops));
	ops->kind = kind;
	ops->line = w->line;
	return ops;
}

/**
 * knhk_wl_add_task() - add a task: to the open batch, or as a call of its own
 * @w: the workload
 * @t: the task
 * @ordered: an ordered task
 * @ts: its timestamp
 *
 * Return: 0, -EINVAL if it does not fit the open batch, -ENOMEM.
 */
int knhk_wl_add_task(struct knhk_workload *w, const struct knhk_task *t,
		     bool ordered, uint64_t ts)
{
	struct knhk_ordered_task *nt;
	struct knhk_wl_op *op;

	if (w->batch >= 0) {
		op = &w->ops[w->batch];
		if (op->n && op->ordered != ordered)
			return -EINVAL;
		if (op->n == KNHK_MAX_BATCH)
			return -E2BIG;
	} else {
		op = new_op(w, KNHK_WL_SUBMIT);
		if (!op)
			return -ENOMEM;
	}
	nt = realloc(op->tasks, (op->n + 1) * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	op->tasks = nt;
	op->ordered = ordered;
	nt[op->n].timestamp = ts;
	nt[op->n].task = *t;
	op->n++;
	return 0;
}

/**
 * knhk_wl_add_ids() - add a guard change or a shared-state load
 * @w: the workload
 * @kind: %KNHK_WL_GUARDS or %KNHK_WL_SHARED
 * @arg: the operation, or the first slot
 * @items: @n guard ids (u32) or values (u64)
 * @n: their count
 *
 * Return: 0 or -ENOMEM.
 */
int knhk_wl_add_ids(struct knhk_workload *w, enum knhk_wl_kind kind,
		    uint32_t arg, const void *items, uint32_t n)
{
	size_t size = kind == KNHK_WL_GUARDS ? 4 : 8;
	struct knhk_wl_op *op = new_op(w, kind);
	void *copy = malloc(n * size + 1);

	if (!op || !copy) {
		free(copy);
		if (op)
			w->n--;
		return -ENOMEM;
	}
	memcpy(copy, items, n * size);
	op->arg = arg;
	op->n = n;
	if (kind == KNHK_WL_GUARDS)
		op->ids = copy;
	else
		op->values = copy;
	return 0;
}

/**
 * knhk_wl_add() - add a release, a barrier or a run-cycle
 * @w: the workload
 * @kind: %KNHK_WL_RELEASE, %KNHK_WL_BARRIER or %KNHK_WL_CYCLE
 * @arg: flags, or lane
 * @value: watermark, or count
 *
 * Return: 0 or -ENOMEM.
 */
int knhk_wl_add(struct knhk_workload *w, enum knhk_wl_kind kind, uint32_t arg,
		uint64_t value)
{
	struct knhk_wl_op *op = new_op(w, kind);

	if (!op)
		return -ENOMEM;
	op->arg = arg;
	op->value = value;
	return 0;
}

static bool parse_u64(const char *s, __u64 *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 0);
	return !errno && !*end;
}

static bool parse_u32(const char *s, uint32_t max, uint32_t *v)
{
	__u64 x;

	if (!parse_u64(s, &x) || x > max)
		return false;
	*v = x;
	return true;
}

/* Split @s at blanks (and at commas, if @commas) into @tok; return count. */
static int split(char *s, char **tok, int max, bool commas)
{
	const char *sep = commas ? " \t\r\n," : " \t\r\n";
	char *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(s, sep, &save); t; t = strtok_r(NULL, sep, &save)) {
		if (n == max)
			return -1;
		tok[n++] = t;
	}
	return n;
}

static const struct {
	const char *name;
	uint32_t op;
	char form;	/* 'r': two registers, 'i': register, number; 's': slot, register */
} insn_forms[] = {
	{ "ldi", KNHK_OP_LDI, 'i' }, { "add", KNHK_OP_ADD, 'r' },
	{ "sub", KNHK_OP_SUB, 'r' }, { "xor", KNHK_OP_XOR, 'r' },
	{ "mul", KNHK_OP_MUL, 'r' }, { "rol", KNHK_OP_ROL, 'i' },
	{ "mix", KNHK_OP_MIX, 'r' }, { "ldl", KNHK_OP_LDL, 'i' },
	{ "stl", KNHK_OP_STL, 's' }, { "lds", KNHK_OP_LDS, 'i' },
	{ "sts", KNHK_OP_STS, 's' },
};

static bool parse_reg(const char *s, uint32_t *r)
{
	return (s[0] == 'r' || s[0] == 'R') && s[1] >= '0' &&
	       s[1] < '0' + KNHK_NR_REGS && !s[2] && ((*r = s[1] - '0'), true);
}

/* "op a b": one instruction. */
static int parse_insn(struct knhk_workload *w, char *text, struct knhk_insn *in,
		      char *err)
{
	char *tok[4];
	int n = split(text, tok, 4, true);
	unsigned int i;

	if (n != 3)
		return wl_err(w, err, "instruction '%s': expected OP A B", text);
	for (i = 0; i < ARRAY_SIZE(insn_forms); i++)
		if (!strcmp(tok[0], insn_forms[i].name))
			break;
	if (i == ARRAY_SIZE(insn_forms))
		return wl_err(w, err, "unknown instruction '%s'", tok[0]);
	memset(in, 0, sizeof(*in));
	in->op = insn_forms[i].op;
	switch (insn_forms[i].form) {
	case 'r':
		if (!parse_reg(tok[1], &in->dst) || !parse_reg(tok[2], &in->src))
			return wl_err(w, err, "%s: expected %s rD rS", tok[0], tok[0]);
		break;
	case 'i':
		if (!parse_reg(tok[1], &in->dst) || !parse_u64(tok[2], &in->imm))
			return wl_err(w, err, "%s: expected %s rD NUMBER", tok[0], tok[0]);
		break;
	default:
		if (!parse_u64(tok[1], &in->imm) || !parse_reg(tok[2], &in->src))
			return wl_err(w, err, "%s: expected %s SLOT rS", tok[0], tok[0]);
	}
	return 0;
}

static int parse_opt(struct knhk_workload *w, char *opt, struct knhk_task *t,
		     bool *budget, char *err)
{
	char *val = strchr(opt, '='), *ids[KNHK_MAX_GUARDS + 1];
	int i, n;

	if (!val)
		return wl_err(w, err, "'%s': expected NAME=VALUE", opt);
	*val++ = 0;
	if (!strcmp(opt, "prio")) {
		if (!strcmp(val, "high"))
			t->priority = KNHK_PRIO_HIGH;
		else if (!strcmp(val, "normal"))
			t->priority = KNHK_PRIO_NORMAL;
		else if (!strcmp(val, "low"))
			t->priority = KNHK_PRIO_LOW;
		else
			return wl_err(w, err, "prio=%s: expected high, normal or low", val);
	} else if (!strcmp(opt, "budget")) {
		if (!parse_u32(val, UINT32_MAX, &t->budget))
			return wl_err(w, err, "budget=%s: not a number", val);
		*budget = true;
	} else if (!strcmp(opt, "guards")) {
		n = split(val, ids, KNHK_MAX_GUARDS, true);
		if (n < 0)
			return wl_err(w, err, "more than %d guards", KNHK_MAX_GUARDS);
		for (i = 0; i < n; i++)
			if (!parse_u32(ids[i], UINT32_MAX, &t->guards[i]))
				return wl_err(w, err, "guards: '%s' is not a number", ids[i]);
		t->nguards = n;
	} else {
		return wl_err(w, err, "unknown option '%s' (prio, budget, guards)", opt);
	}
	return 0;
}

/*
 * "pure ID VALUE [opts]" or "program ID R0 [opts] ; INSN ; ...", maybe
 * after "ordered TS". ID may be a range FIRST..LAST: one task per id, the
 * value plus (id - FIRST).
 */
static int parse_task(struct knhk_workload *w, char *line, char *err)
{
	char *insns = strchr(line, ';'), *tok[16], *dots, *next;
	__u64 first, last, value, ts = 0, id;
	struct knhk_task t = { .priority = KNHK_PRIO_NORMAL, .budget = 1 };
	bool ordered = false, budget = false;
	int n, i = 0, ret;

	if (insns)
		*insns++ = 0;
	n = split(line, tok, 16, false);
	if (n > 0 && !strcmp(tok[0], "ordered")) {
		if (n < 2 || !parse_u64(tok[1], &ts))
			return wl_err(w, err, "expected ordered TIMESTAMP TASK");
		ordered = true;
		i = 2;
	}
	if (n - i < 3)
		return wl_err(w, err, "expected %s ID VALUE [OPTIONS]",
			      i < n ? tok[i] : "pure|program");
	if (!strcmp(tok[i], "program"))
		t.kind = KNHK_WORK_PROGRAM;
	else if (strcmp(tok[i], "pure"))
		return wl_err(w, err, "unknown task kind '%s' (pure, program)", tok[i]);
	if (t.kind == KNHK_WORK_PURE && insns)
		return wl_err(w, err, "a pure task has no instructions");
	dots = strstr(tok[i + 1], "..");
	if (dots)
		*dots = 0;
	if (!parse_u64(tok[i + 1], &first) ||
	    (dots && !parse_u64(dots + 2, &last)))
		return wl_err(w, err, "bad task id '%s'", tok[i + 1]);
	if (!dots)
		last = first;
	if (last < first || last - first >= MAX_RANGE)
		return wl_err(w, err, "bad id range %llu..%llu",
			      (unsigned long long)first, (unsigned long long)last);
	if (!parse_u64(tok[i + 2], &value))
		return wl_err(w, err, "bad value '%s'", tok[i + 2]);
	for (i += 3; i < n; i++)
		if (parse_opt(w, tok[i], &t, &budget, err))
			return -1;
	for (; insns; insns = next) {
		next = strchr(insns, ';');
		if (next)
			*next++ = 0;
		if (!*insns || strspn(insns, " \t\r\n") == strlen(insns))
			continue;
		if (t.ninsns == KNHK_MAX_INSNS)
			return wl_err(w, err, "more than %d instructions", KNHK_MAX_INSNS);
		if (parse_insn(w, insns, &t.prog[t.ninsns], err))
			return -1;
		t.ninsns++;
	}
	if (t.kind == KNHK_WORK_PROGRAM && !t.ninsns)
		return wl_err(w, err, "a program needs instructions: program ID R0 ; INSN ; ...");
	if (!budget && t.ninsns)
		t.budget = t.ninsns;
	for (id = first; ; id++) {
		t.task_id = id;
		t.payload = value + (id - first);
		ret = knhk_wl_add_task(w, &t, ordered, ts);
		if (ret == -EINVAL)
			return wl_err(w, err, "a batch takes plain or ordered tasks, not both");
		if (ret == -E2BIG)
			return wl_err(w, err, "a batch takes at most %d tasks", KNHK_MAX_BATCH);
		if (ret)
			return wl_err(w, err, "out of memory");
		if (id == last)
			break;
	}
	return 0;
}

static int parse_config(struct knhk_workload *w, char **tok, int n, char *err)
{
	uint32_t *field;
	char *val;
	int i;

	for (i = 1; i < n; i++) {
		if (!strcmp(tok[i], "step")) {
			w->cfg.flags |= KNHK_CONFIG_STEP_MODE;
			continue;
		}
		val = strchr(tok[i], '=');
		if (!val)
			return wl_err(w, err, "config: '%s': expected NAME=VALUE", tok[i]);
		*val++ = 0;
		if (!strcmp(tok[i], "lanes"))
			field = &w->cfg.lanes;
		else if (!strcmp(tok[i], "ring"))
			field = &w->cfg.ring_size;
		else if (!strcmp(tok[i], "cq"))
			field = &w->cfg.cq_size;
		else
			return wl_err(w, err, "config: unknown '%s' (lanes, ring, cq, step)",
				      tok[i]);
		if (!parse_u32(val, UINT32_MAX, field) || !*field)
			return wl_err(w, err, "config: %s=%s: not a positive number",
				      tok[i], val);
	}
	return 0;
}

static int parse_guards(struct knhk_workload *w, char **tok, int n, char *err)
{
	uint32_t *ids, op;
	int i, ret;

	if (n < 3 || (strcmp(tok[1], "set") && strcmp(tok[1], "clear")))
		return wl_err(w, err, "expected guard set|clear ID...");
	op = strcmp(tok[1], "set") ? KNHK_GUARDS_CLEAR : KNHK_GUARDS_SET;
	ids = malloc(n * sizeof(*ids));
	if (!ids)
		return wl_err(w, err, "out of memory");
	for (i = 2; i < n; i++)
		if (!parse_u32(tok[i], UINT32_MAX, &ids[i - 2])) {
			free(ids);
			return wl_err(w, err, "guard: '%s' is not a number", tok[i]);
		}
	ret = knhk_wl_add_ids(w, KNHK_WL_GUARDS, op, ids, n - 2);
	free(ids);
	return ret ? wl_err(w, err, "out of memory") : 0;
}

static int parse_shared(struct knhk_workload *w, char **tok, int n, char *err)
{
	__u64 values[KNHK_SHARED_SLOTS];
	uint32_t first;
	int i;

	if (n < 3 || !parse_u32(tok[1], UINT32_MAX, &first))
		return wl_err(w, err, "expected shared FIRST VALUE...");
	if (n - 2 > KNHK_SHARED_SLOTS)
		return wl_err(w, err, "more than %d values", KNHK_SHARED_SLOTS);
	for (i = 2; i < n; i++)
		if (!parse_u64(tok[i], &values[i - 2]))
			return wl_err(w, err, "shared: '%s' is not a number", tok[i]);
	if (knhk_wl_add_ids(w, KNHK_WL_SHARED, first, values, n - 2))
		return wl_err(w, err, "out of memory");
	return 0;
}

/**
 * knhk_wl_line() - parse one line of a workload file
 * @w: the workload; @w->line is the line's number
 * @line: the line
 * @err: gets a message
 *
 * Return: 0, or -1 with @err set.
 */
int knhk_wl_line(struct knhk_workload *w, const char *line, char *err)
{
	char *copy, *hash, **tok, probe[16] = "";
	__u64 v;
	uint32_t lane;
	int n, ret = 0;

	copy = strdup(line);
	tok = calloc(strlen(line) / 2 + 2, sizeof(*tok));
	if (!copy || !tok) {
		ret = wl_err(w, err, "out of memory");
		goto out;
	}
	hash = strchr(copy, '#');
	if (hash)
		*hash = 0;
	if (sscanf(copy, "%15s", probe) != 1)
		goto out;	/* a blank line */
	if (!strcmp(probe, "pure") || !strcmp(probe, "program") ||
	    !strcmp(probe, "ordered")) {
		ret = parse_task(w, copy, err);
		goto out;
	}
	n = split(copy, tok, strlen(line) / 2 + 2, true);
	if (n <= 0)
		goto out;
	if (w->batch >= 0 && strcmp(tok[0], "end")) {
		ret = wl_err(w, err, "'%s' inside a batch (only tasks, then end)", tok[0]);
	} else if (!strcmp(tok[0], "config")) {
		ret = parse_config(w, tok, n, err);
	} else if (!strcmp(tok[0], "batch") && n == 1) {
		if (new_op(w, KNHK_WL_SUBMIT)) {
			w->batch = w->n - 1;
			w->ops[w->batch].batch = true;
		} else {
			ret = wl_err(w, err, "out of memory");
		}
	} else if (!strcmp(tok[0], "end") && n == 1) {
		if (w->batch < 0)
			ret = wl_err(w, err, "end without batch");
		else if (!w->ops[w->batch].n)
			ret = wl_err(w, err, "empty batch");
		w->batch = -1;
	} else if (!strcmp(tok[0], "guard")) {
		ret = parse_guards(w, tok, n, err);
	} else if (!strcmp(tok[0], "shared")) {
		ret = parse_shared(w, tok, n, err);
	} else if (!strcmp(tok[0], "release") && n == 2) {
		if (!strcmp(tok[1], "all"))
			ret = knhk_wl_add(w, KNHK_WL_RELEASE, KNHK_RELEASE_ALL, 0);
		else if (parse_u64(tok[1], &v))
			ret = knhk_wl_add(w, KNHK_WL_RELEASE, 0, v);
		else
			ret = wl_err(w, err, "expected release all|WATERMARK");
	} else if (!strcmp(tok[0], "barrier") && n == 1) {
		ret = knhk_wl_add(w, KNHK_WL_BARRIER, 0, 0);
	} else if (!strcmp(tok[0], "cycle") && (n == 2 || n == 3)) {
		v = 1;
		if (!parse_u32(tok[1], UINT32_MAX, &lane) ||
		    (n == 3 && !parse_u64(tok[2], &v)))
			ret = wl_err(w, err, "expected cycle LANE [COUNT]");
		else
			ret = knhk_wl_add(w, KNHK_WL_CYCLE, lane, v);
	} else {
		ret = wl_err(w, err, "unknown or malformed line '%s'", tok[0]);
	}
	if (ret > 0 || (ret < 0 && ret != -1))
		ret = wl_err(w, err, "out of memory");
out:
	free(copy);
	free(tok);
	return ret;
}

/**
 * knhk_wl_finish() - check the end of a workload
 * @w: the workload
 * @err: gets a message
 *
 * Return: 0, or -1 if a batch is still open.
 */
int knhk_wl_finish(struct knhk_workload *w, char *err)
{
	if (w->batch >= 0) {
		w->line = w->ops[w->batch].line;
		return wl_err(w, err, "batch without end");
	}
	return 0;
}

/**
 * knhk_wl_load() - read a workload file
 * @w: the workload, initialised
 * @path: the file, "-" for standard input
 * @err: gets a message
 *
 * Return: 0, -1 for a bad line (@err says which), -2 if the file cannot be
 * read (errno says why).
 */
int knhk_wl_load(struct knhk_workload *w, const char *path, char *err)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "re") : stdin;
	size_t room = 0;
	char *line = NULL;
	int ret = 0, e;

	if (!f) {
		snprintf(err, KNHK_ERRLEN, "%s: %s", path, strerror(errno));
		return -2;
	}
	while (getline(&line, &room, f) >= 0) {
		w->line++;
		ret = knhk_wl_line(w, line, err);
		if (ret)
			break;
	}
	e = errno;
	if (!ret && ferror(f)) {
		snprintf(err, KNHK_ERRLEN, "%s: %s", path, strerror(e));
		ret = -2;
	}
	if (!ret)
		ret = knhk_wl_finish(w, err);
	free(line);
	if (f != stdin)
		fclose(f);
	errno = e;
	return ret;
}

/**
 * knhk_wl_from_log() - the workload that made a log
 * @w: gets the workload, initialised
 * @log: the log
 * @err: gets a message
 *
 * The submit path's records in sequence order: each accepted task as a call
 * of its own (a batch's priority reordering is already in the log), guard
 * changes, shared-state loads and releases; then a barrier. The
 * configuration is the log's.
 *
 * Return: 0, or -1 with @err set.
 */
int knhk_wl_from_log(struct knhk_workload *w, const struct knhk_log *log,
		     char *err)
{
	size_t i;
	int ret = 0;

	w->cfg.lanes = log->hdr.lanes;
	w->cfg.ring_size = log->hdr.ring_size;
	w->cfg.cq_size = log->hdr.cq_size;
	w->cfg.flags = log->hdr.config_flags & KNHK_CONFIG_STEP_MODE;
	for (i = 0; i < log->n && !ret; i++) {
		const struct knhk_event *ev = log->recs[i].ev;
		const void *data = log->recs[i].data;
		struct knhk_task t;

		if (ev->source != KNHK_SRC_SUBMIT)
			continue;
		switch (ev->type) {
		case KNHK_EV_TASK_ENQUEUED:
			/* The record ends at the last used field. */
			memset(&t, 0, sizeof(t));
			memcpy(&t, data, ev->len);
			ret = knhk_wl_add_task(w, &t, ev->status == KNHK_EV_ORDERED,
					       ev->aux);
			break;
		case KNHK_EV_STATE_CHANGE:
			ret = knhk_wl_add_ids(w, KNHK_WL_GUARDS, ev->status, data,
					      ev->len / 4);
			break;
		case KNHK_EV_EXTERNAL_INPUT:
			if (ev->status == KNHK_INPUT_SHARED)
				ret = knhk_wl_add_ids(w, KNHK_WL_SHARED, ev->lane,
						      data, ev->len / 8);
			else
				ret = knhk_wl_add(w, KNHK_WL_RELEASE, ev->lane,
						  ev->aux);
			break;
		}
	}
	if (!ret)
		ret = knhk_wl_add(w, KNHK_WL_BARRIER, 0, 0);
	if (ret) {
		snprintf(err, KNHK_ERRLEN, "out of memory");
		return -1;
	}
	return 0;
}

/* Nothing to make on a line: blanks, or a comment. */
static bool blank(const char *s)
{
	s += strspn(s, " \t\r\n");
	return !*s || *s == '#';
}

/**
 * knhk_wl_stream_line() - place a line of a live stream
 * @p: where the stream is
 * @line: the line, '@REV LINE', '@eof' or a workload line
 * @rev: gets its revision: REV, or the last + 1 for a line without it
 * @text: gets where its workload line starts
 * @err: gets a message for %KNHK_SL_BAD
 *
 * Revisions never decrease; several lines may share one. A revision below
 * the last one is a restart when it is at most the instance's first (the
 * feed started again from the beginning), and an error otherwise.
 *
 * Return: %KNHK_SL_*.
 */
enum knhk_sl knhk_wl_stream_line(const struct knhk_stream_pos *p, const char *line,
				 uint64_t *rev, const char **text, char *err)
{
	unsigned long long v;
	char *end;

	*text = line;
	*rev = p->rev + 1;
	if (*line != '@') {
		if (blank(line))
			return KNHK_SL_BLANK;
		if (!p->marked)
			return KNHK_SL_LINE;
		snprintf(err, KNHK_ERRLEN, "a line without its revision (--marked)");
		return KNHK_SL_BAD;
	}
	if (!strncmp(line, "@eof", 4) && blank(line + 4))
		return KNHK_SL_EOF;
	errno = 0;
	v = strtoull(line + 1, &end, 10);
	/* strtoull() takes a sign and blanks: a revision is digits only. */
	if (line[1] < '0' || line[1] > '9' || errno || !v || (*end != ' ' && *end != '\t')) {
		snprintf(err, KNHK_ERRLEN,
			 "expected '@REVISION LINE' (a revision from 1) or '@eof'");
		return KNHK_SL_BAD;
	}
	*rev = v;
	*text = end;
	if (blank(end))
		return KNHK_SL_BLANK;
	if (!p->first || v >= p->rev)
		return KNHK_SL_LINE;
	if (v <= p->first)
		return KNHK_SL_RESTART;
	snprintf(err, KNHK_ERRLEN, "revision %llu after %llu: %s", v,
		 (unsigned long long)p->rev, "the stream went back but not to its start");
	return KNHK_SL_BAD;
}

/**
 * knhk_wl_checkpoint_due() - whether a checkpoint falls between two revisions
 * @last: the revision made last
 * @rev: the next line's, greater
 * @every: checkpoint interval; 0 for none
 *
 * A checkpoint is taken at the last revision at or below each multiple of
 * @every, once a later revision shows that revision complete.
 *
 * Return: whether one is due at @last.
 */
bool knhk_wl_checkpoint_due(uint64_t last, uint64_t rev, uint64_t every)
{
	return every && (rev + every - 1) / every > (last + every - 1) / every;
}
