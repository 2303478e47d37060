/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_log.h - the knhk-sched replay log file: read, write, merge, verify,
 * diff. Pure userspace, no device access: knhkctl, its unit tests, the
 * fuzz target and selftests/knhk_replay.c all use this one implementation.
 *
 * File format, version 1, little-endian (see tools/README.md):
 *
 *   struct knhk_log_header	128 bytes
 *   records			@data_size bytes, @events records, each a
 *				struct knhk_event followed by its @len bytes
 *				of input data, zero-padded to 8 bytes (the
 *				relay stream's layout), in canonical order
 *				(ts, source, seq)
 *
 * @header_hash is xxh64 (seed 0) of the header with that field zero,
 * @data_hash xxh64 (seed 0) of the record bytes: a damaged file is told
 * apart from a log that merely does not verify.
 */
#ifndef KNHK_LOG_H
#define KNHK_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/knhk_sched.h>

#define KNHK_LOG_MAGIC		"KNHKRLOG"
#define KNHK_LOG_VERSION	1

/* knhk_log_header.flags */
#define KNHK_LOG_F_DIGEST	0x1U	/* kernel digest fields valid */
#define KNHK_LOG_F_STREAM_ERROR	0x2U	/* a stream was unreadable */
#define KNHK_LOG_F_ALL		(KNHK_LOG_F_DIGEST | KNHK_LOG_F_STREAM_ERROR)

/* Largest input data of one record: KNHK_GUARD_IDS guard ids. */
#define KNHK_LOG_MAX_DATA	(KNHK_GUARD_IDS * 4)

#define KNHK_ERRLEN		256

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))
#endif
#ifndef __printf
#define KNHK_ATTR(x)		__attribute__((x))
#define __printf(a, b)		KNHK_ATTR(format(printf, a, b))
#endif

/**
 * struct knhk_log_header - what a log file starts with
 * @magic: %KNHK_LOG_MAGIC, not NUL-terminated
 * @version: %KNHK_LOG_VERSION
 * @header_size: sizeof(struct knhk_log_header)
 * @digest_version: %KNHK_DIGEST_VERSION
 * @flags: %KNHK_LOG_F_*
 * @lanes: configuration of the instance: lanes
 * @ring_size: ring size
 * @cq_size: completion queue size
 * @config_flags: %KNHK_CONFIG_* flags
 * @subbuf_size: replay sub-buffer size
 * @nr_subbufs: replay sub-buffers per CPU
 * @events: records in the file
 * @data_size: bytes of records
 * @dropped: events the kernel dropped (debugfs "dropped" total)
 * @digest: %KNHK_IOC_DIGEST digest (with %KNHK_LOG_F_DIGEST)
 * @checksum: %KNHK_IOC_DIGEST checksum
 * @kernel_events: %KNHK_IOC_DIGEST event count
 * @data_hash: xxh64 of the record bytes
 * @header_hash: xxh64 of this header with @header_hash 0
 * @reserved: 0
 */
struct knhk_log_header {
	char magic[8];
	uint32_t version;
	uint32_t header_size;
	uint32_t digest_version;
	uint32_t flags;
	uint32_t lanes;
	uint32_t ring_size;
	uint32_t cq_size;
	uint32_t config_flags;
	uint32_t subbuf_size;
	uint32_t nr_subbufs;
	uint64_t events;
	uint64_t data_size;
	uint64_t dropped;
	uint64_t digest;
	uint64_t checksum;
	uint64_t kernel_events;
	uint64_t data_hash;
	uint64_t header_hash;
	uint64_t reserved[2];
};

/* Results of the parser and the file functions. */
enum knhk_log_err {
	KNHK_LOG_OK = 0,
	KNHK_LOG_EIO,		/* cannot read or write the file: see errno */
	KNHK_LOG_ETRUNC,	/* the file ends early */
	KNHK_LOG_ECORRUPT,	/* not a log, or damaged */
	KNHK_LOG_EVERSION,	/* a format version this tool does not know */
	KNHK_LOG_ENOMEM,
};

/* knhk_log_parse() flags */
#define KNHK_PARSE_NO_HASH	0x1U	/* skip the hashes (fuzzing) */

/**
 * struct knhk_rec - one record
 * @ev: the event, 8-byte aligned
 * @data: its @ev->len bytes of input data
 */
struct knhk_rec {
	const struct knhk_event *ev;
	const void *data;
};

/**
 * struct knhk_log - a log in memory
 * @hdr: its header
 * @n: records
 * @recs: the records in canonical order, pointing into @mem, into @held,
 *	or (knhk_log_build()) into the caller's memory
 * @mem: a parsed file's records, owned by the log
 * @held: buffers handed to the log, freed with it: a dump's streams
 * @nheld: their number
 */
struct knhk_log {
	struct knhk_log_header hdr;
	size_t n;
	struct knhk_rec *recs;
	void *mem;
	void **held;
	size_t nheld;
};

/**
 * struct knhk_sum - digest, checksum and event count of a run
 * @digest: xxh64 over the configuration and the per-source chains
 * @checksum: XOR of every event's timestamp
 * @events: number of events
 */
struct knhk_sum {
	uint64_t digest;
	uint64_t checksum;
	uint64_t events;
};

/* Happens-before rules of DESIGN.md section 2, as knhk_log_hb() checks them. */
enum knhk_hb_rule {
	KNHK_HB_OK,
	KNHK_HB_SOURCE,		/* a source's ts does not rise with its seq */
	KNHK_HB_ENQUEUE,	/* TaskExecuted.ts not above its TaskEnqueued.ts */
	KNHK_HB_RELEASE,	/* an ordered task's not above its release's */
	KNHK_HB_UNMATCHED,	/* a TaskExecuted that no enqueue or release explains */
	KNHK_HB_ENOMEM,		/* out of memory: nothing checked */
};

/**
 * struct knhk_hb - what knhk_log_hb() found
 * @rule: the rule broken by the first violation (canonical position), or
 *	%KNHK_HB_OK
 * @index: canonical index of the record that breaks it
 * @why: one line naming that record and the event it should follow
 * @events: records checked
 * @tasks: TaskExecuted records matched to their TaskEnqueued (and release)
 * @partial: the log is incomplete: only the per-source rule was checked
 */
struct knhk_hb {
	enum knhk_hb_rule rule;
	size_t index;
	char why[KNHK_ERRLEN];
	uint64_t events;
	uint64_t tasks;
	bool partial;
};

/**
 * struct knhk_verify - what knhk_log_verify() found
 * @sum: digest, checksum and count recomputed from the records
 * @gaps: per-source sequence numbers missing between records
 * @missing: events the kernel counted that the file lacks (gaps included;
 *	0 without %KNHK_LOG_F_DIGEST)
 * @bad_hash: input records whose hash is not xxh64 of their data
 * @first_bad: index of the first such record
 * @gap_source: source of the first gap
 * @gap_seq: first missing sequence number there
 * @incomplete: drops, gaps, missing events or a stream error: the digest
 *	cannot match
 * @hb: the happens-before check
 */
struct knhk_verify {
	struct knhk_sum sum;
	uint64_t gaps;
	uint64_t missing;
	uint64_t bad_hash;
	size_t first_bad;
	uint32_t gap_source;
	uint64_t gap_seq;
	bool incomplete;
	struct knhk_hb hb;
};

/* Grades of knhk_log_diff(), best first. */
enum knhk_grade {
	KNHK_EXACT_MATCH,
	KNHK_MINOR_DIFFERENCE,
	KNHK_DIVERGED,
	KNHK_INCOMPLETE,
};

/**
 * struct knhk_diff - what knhk_log_diff() found
 * @grade: the grade
 * @why: one line saying why
 * @index: first canonical position where the records differ (-1: none)
 * @a: record of A there, or NULL (A ended)
 * @b: record of B there, or NULL
 * @task_valid: @task_id names the first task whose outcome differs
 * @task_id: that task
 * @task_a: its TaskExecuted in A, or NULL (missing in A)
 * @task_b: its TaskExecuted in B, or NULL
 */
struct knhk_diff {
	enum knhk_grade grade;
	char why[KNHK_ERRLEN];
	long long index;
	const struct knhk_event *a, *b;
	bool task_valid;
	uint64_t task_id;
	const struct knhk_event *task_a, *task_b;
};

void knhk_log_init(struct knhk_log *log);
void knhk_log_free(struct knhk_log *log);
int knhk_log_parse(struct knhk_log *log, const void *buf, size_t len,
		   unsigned int flags, char *err);
int knhk_log_load(struct knhk_log *log, const char *path, char *err);
int knhk_log_encode(const struct knhk_log *log, void **buf, size_t *len);
void knhk_log_seal(void *buf, size_t len);
int knhk_log_save(const struct knhk_log *log, const char *path, char *err);
int knhk_log_build(struct knhk_log *log, const struct knhk_log_header *hdr,
		   struct knhk_rec *recs, size_t n);

int knhk_rec_check(const struct knhk_event *ev, const void *data,
		   uint32_t lanes, char *err);
int knhk_stream_split(const void *buf, size_t len, uint32_t lanes,
		      struct knhk_rec **recs, size_t *n, char *err);
int knhk_rec_cmp(const struct knhk_event *a, const struct knhk_event *b);

uint64_t knhk_hash(const void *data, size_t len, uint64_t seed);
void knhk_log_digest(const struct knhk_log *log, struct knhk_sum *sum);
void knhk_log_hb(const struct knhk_log *log, bool partial, struct knhk_hb *hb);
const char *knhk_hb_rule_name(enum knhk_hb_rule rule);
void knhk_log_verify(const struct knhk_log *log, struct knhk_verify *v);
void knhk_log_diff(const struct knhk_log *a, const struct knhk_log *b,
		   struct knhk_diff *d);

const char *knhk_grade_name(enum knhk_grade g);
const char *knhk_ev_name(uint32_t type);
const char *knhk_status_name(uint32_t status);
void knhk_ev_describe(const struct knhk_event *ev, char *buf, size_t len);
void knhk_log_header_init(struct knhk_log_header *h,
			  const struct knhk_config *cfg,
			  const struct knhk_digest *dg);

#endif /* KNHK_LOG_H */
