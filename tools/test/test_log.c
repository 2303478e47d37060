// SPDX-License-Identifier: GPL-2.0
/*
 * test_log - unit tests of the replay log library and the workload parser,
 * printed as TAP. Runs on the host (make -C tools test), under ASan and
 * UBSan. With a directory argument, writes the files it builds there as a
 * seed corpus for the fuzz target.
 *
 * The digest is checked against a second implementation written here from
 * the algorithm's description (DESIGN.md section 6, knhk_log.c's comment),
 * on top of an xxh64 written here from the xxHash specification, itself
 * checked against the specification's published values.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "knhk_dev.h"
#include "knhk_log.h"
#include "knhk_workload.h"

/* Digest of model_ordered_std(); selftests/knhk_replay.c runs it too. */
#define KNOWN_ORDERED	0x2f3c62a97790e173ULL

static int tests, failures;
static const char *corpus;

static void check(bool ok, const char *fmt, ...) __printf(2, 3);

static void check(bool ok, const char *fmt, ...)
{
	va_list ap;

	tests++;
	if (!ok)
		failures++;
	printf("%sok %d ", ok ? "" : "not ", tests);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

static void save_seed(const char *name, const void *buf, size_t len)
{
	char path[512];
	FILE *f;

	if (!corpus)
		return;
	snprintf(path, sizeof(path), "%s/%s", corpus, name);
	f = fopen(path, "w");
	if (f) {
		fwrite(buf, 1, len, f);
		fclose(f);
	}
}

/* ---- xxh64 from the specification ---- */

#define P1 0x9E3779B185EBCA87ULL
#define P2 0xC2B2AE3D27D4EB4FULL
#define P3 0x165667B19E3779F9ULL
#define P4 0x85EBCA77C2B2AE63ULL
#define P5 0x27D4EB2F165667C5ULL

static uint64_t rotl(uint64_t x, int r)
{
	return (x << r) | (x >> (64 - r));
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint64_t rd32(const uint8_t *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	       (uint64_t)p[3] << 24;
}

static uint64_t round64(uint64_t acc, uint64_t in)
{
	return rotl(acc + in * P2, 31) * P1;
}

static uint64_t merge64(uint64_t acc, uint64_t v)
{
	return (acc ^ round64(0, v)) * P1 + P4;
}

static uint64_t ref_xxh64(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data, *end = p + len;
	uint64_t h, v[4];
	int i;

	if (len >= 32) {
		v[0] = seed + P1 + P2;
		v[1] = seed + P2;
		v[2] = seed;
		v[3] = seed - P1;
		for (; end - p >= 32; p += 32)
			for (i = 0; i < 4; i++)
				v[i] = round64(v[i], rd64(p + 8 * i));
		h = rotl(v[0], 1) + rotl(v[1], 7) + rotl(v[2], 12) + rotl(v[3], 18);
		for (i = 0; i < 4; i++)
			h = merge64(h, v[i]);
	} else {
		h = seed + P5;
	}
	h += len;
	for (; end - p >= 8; p += 8)
		h = rotl(h ^ round64(0, rd64(p)), 27) * P1 + P4;
	if (end - p >= 4) {
		h = rotl(h ^ rd32(p) * P1, 23) * P2 + P3;
		p += 4;
	}
	for (; p < end; p++)
		h = rotl(h ^ *p * P5, 11) * P1;
	h ^= h >> 33;
	h *= P2;
	h ^= h >> 29;
	h *= P3;
	return h ^ (h >> 32);
}

static void test_xxh64(void)
{
	uint8_t buf[200];
	bool same = true;
	size_t len, i;

	/* The specification's published values. */
	check(ref_xxh64("", 0, 0) == 0xEF46DB3751D8E999ULL, "xxh64 reference: empty");
	check(ref_xxh64("a", 1, 0) == 0xD24EC4F1A98C6E5BULL, "xxh64 reference: \"a\"");
	check(ref_xxh64("abc", 3, 0) == 0x44BC2CF5AD770999ULL, "xxh64 reference: \"abc\"");
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = i * 37 + 11;
	for (len = 0; len <= sizeof(buf); len++)
		same &= ref_xxh64(buf, len, len * 0x1234567ULL) ==
			knhk_hash(buf, len, len * 0x1234567ULL);
	check(same, "xxh64: libxxhash equals the reference, lengths 0..200");
}

/* ---- a model of the kernel, making records ---- */

static uint64_t mix64(uint64_t x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

struct model {
	uint32_t lanes;
	uint64_t submit_clock, submit_seq;
	uint64_t lane_clock[8], lane_seq[8];
	uint64_t ordered_clock, ordered_seq, ordered_subs;
	bool old_rule;		/* the ordered clock of digest version 1 */
	size_t nwait;
	struct {
		uint64_t ts, seq, id, value;
		uint32_t lane;
	} wait[16];
	size_t n;
	struct {
		struct knhk_event ev;
		uint8_t data[KNHK_LOG_MAX_DATA];
	} rec[128];
};

static struct knhk_event *model_rec(struct model *m, const void *data, uint32_t len)
{
	struct knhk_event *ev = &m->rec[m->n].ev;

	memset(&m->rec[m->n], 0, sizeof(m->rec[0]));
	if (len)
		memcpy(m->rec[m->n].data, data, len);
	ev->len = len;
	ev->hash = len ? ref_xxh64(data, len, 0) : 0;
	m->n++;
	return ev;
}

/*
 * A PURE task descriptor as TaskEnqueued carries it: the 40 bytes up to
 * the guard ids, then the ids used, to a multiple of 8.
 */
static struct knhk_event *model_pure_desc(struct model *m, const struct knhk_task *t)
{
	return model_rec(m, t, (40 + 4 * t->nguards + 7) & ~7U);
}

/* A PURE task (guards failing if @guard_failed): TaskEnqueued, TaskExecuted. */
static void model_pure(struct model *m, uint64_t id, uint64_t value, bool guard_failed)
{
	struct knhk_task t = { .task_id = id, .payload = value, .budget = 1,
			       .priority = KNHK_PRIO_NORMAL };
	uint32_t lane = id & (m->lanes - 1);
	struct {
		uint64_t id, output;
		uint32_t status, ticks;
	} o = { id, guard_failed ? 0 : mix64(value),
		guard_failed ? KNHK_STATUS_GUARD_FAILED : 0, !guard_failed };
	struct knhk_event *ev;

	if (guard_failed) {
		t.nguards = 1;
		t.guards[0] = 5;
	}
	ev = model_pure_desc(m, &t);
	ev->type = KNHK_EV_TASK_ENQUEUED;
	ev->source = KNHK_SRC_SUBMIT;
	ev->seq = m->submit_seq++;
	ev->ts = ++m->submit_clock;
	ev->task_id = id;
	ev->lane = lane;

	ev = model_rec(m, NULL, 0);
	ev->type = KNHK_EV_TASK_EXECUTED;
	ev->source = lane;
	ev->seq = m->lane_seq[lane]++;
	if (m->lane_clock[lane] < m->submit_clock)
		m->lane_clock[lane] = m->submit_clock;
	ev->ts = ++m->lane_clock[lane];
	ev->task_id = id;
	ev->lane = lane;
	ev->status = o.status;
	ev->ticks = o.ticks;
	ev->hash = ref_xxh64(&o, sizeof(o), 0);
}

static void model_guards(struct model *m, uint32_t op, const uint32_t *ids, uint32_t n)
{
	struct knhk_event *ev = model_rec(m, ids, n * 4);

	ev->type = KNHK_EV_STATE_CHANGE;
	ev->source = KNHK_SRC_SUBMIT;
	ev->seq = m->submit_seq++;
	ev->ts = ++m->submit_clock;
	ev->status = op;
}

/* An ordered PURE task with timestamp @ts: TaskEnqueued; it waits. */
static void model_ordered(struct model *m, uint64_t ts, uint64_t id, uint64_t value)
{
	struct knhk_task t = { .task_id = id, .payload = value, .budget = 1,
			       .priority = KNHK_PRIO_NORMAL };
	struct knhk_event *ev = model_pure_desc(m, &t);

	ev->type = KNHK_EV_TASK_ENQUEUED;
	ev->source = KNHK_SRC_SUBMIT;
	ev->seq = m->submit_seq++;
	if (m->submit_clock < ts)
		m->submit_clock = ts;
	ev->ts = ++m->submit_clock;
	ev->task_id = id;
	ev->lane = id & (m->lanes - 1);
	ev->status = KNHK_EV_ORDERED;
	ev->aux = ts;
	m->wait[m->nwait].ts = ts;
	m->wait[m->nwait].seq = m->ordered_subs++;
	m->wait[m->nwait].id = id;
	m->wait[m->nwait].value = value;
	m->wait[m->nwait++].lane = ev->lane;
}

/*
 * A release: ExternalInput, then the waiting tasks it covers in (T, lane,
 * seq) order on the ordered chain: ordered_clock = max(ordered_clock, R),
 * then one tick each (DESIGN.md section 2); with @m->old_rule, as digest
 * version 1 stamped them, max(ordered_clock, T) + 1.
 */
static void model_release(struct model *m, bool all, uint64_t wm)
{
	const uint64_t in[2] = { wm, all ? KNHK_RELEASE_ALL : 0 };
	struct knhk_event *ev = model_rec(m, in, sizeof(in));
	uint64_t r;

	ev->type = KNHK_EV_EXTERNAL_INPUT;
	ev->source = KNHK_SRC_SUBMIT;
	ev->seq = m->submit_seq++;
	r = ++m->submit_clock;
	ev->ts = r;
	ev->status = KNHK_INPUT_RELEASE;
	ev->lane = in[1];
	ev->aux = wm;
	if (!m->old_rule && m->ordered_clock < r)
		m->ordered_clock = r;
	for (;;) {
		size_t i, best = m->nwait;
		struct {
			uint64_t id, output;
			uint32_t status, ticks;
		} o;

		for (i = 0; i < m->nwait; i++) {
			if (!all && m->wait[i].ts > wm)
				continue;
			if (best == m->nwait || m->wait[i].ts < m->wait[best].ts ||
			    (m->wait[i].ts == m->wait[best].ts &&
			     (m->wait[i].lane < m->wait[best].lane ||
			      (m->wait[i].lane == m->wait[best].lane &&
			       m->wait[i].seq < m->wait[best].seq))))
				best = i;
		}
		if (best == m->nwait)
			break;
		o.id = m->wait[best].id;
		o.output = mix64(m->wait[best].value);
		o.status = KNHK_STATUS_OK;
		o.ticks = 1;
		ev = model_rec(m, NULL, 0);
		ev->type = KNHK_EV_TASK_EXECUTED;
		ev->source = KNHK_SRC_ORDERED;
		ev->seq = m->ordered_seq++;
		if (m->old_rule && m->ordered_clock < m->wait[best].ts)
			m->ordered_clock = m->wait[best].ts;
		ev->ts = ++m->ordered_clock;
		ev->task_id = o.id;
		ev->lane = m->wait[best].lane;
		ev->ticks = 1;
		ev->hash = ref_xxh64(&o, sizeof(o), 0);
		m->wait[best] = m->wait[--m->nwait];
	}
}

static void model_init(struct model *m, uint32_t lanes)
{
	memset(m, 0, sizeof(*m));
	m->lanes = lanes;
}

/*
 * knhk_log_build(), then the records copied into a buffer the log holds:
 * for logs built from records that do not outlive them (a model's, an
 * edited copy on the stack).
 */
static int build_owned(struct knhk_log *log, const struct knhk_log_header *hdr,
		       struct knhk_rec *recs, size_t n)
{
	const size_t ev_size = sizeof(struct knhk_event);
	int bad = knhk_log_build(log, hdr, recs, n);
	uint8_t *p;
	size_t i;

	if (bad < 0)
		return bad;
	p = calloc(1, log->hdr.data_size + 1);
	log->held = malloc(sizeof(*log->held));
	if (!p || !log->held)
		abort();
	log->held[log->nheld++] = p;
	for (i = 0; i < log->n; i++) {
		size_t len = log->recs[i].ev->len;

		memcpy(p, log->recs[i].ev, ev_size);
		memcpy(p + ev_size, log->recs[i].data, len);
		log->recs[i].ev = (const void *)p;
		log->recs[i].data = p + ev_size;
		p += ev_size + ((len + 7) & ~(size_t)7);
	}
	return bad;
}

/* The model's records as a log, in canonical order, with its digest. */
static void model_log(struct model *m, struct knhk_log *log, uint32_t ring)
{
	struct knhk_config cfg = { .lanes = m->lanes, .ring_size = ring, .cq_size = ring,
				   .flags = KNHK_CONFIG_REPLAY };
	struct knhk_rec recs[128];
	struct knhk_log_header h;
	struct knhk_sum sum;
	size_t i;

	for (i = 0; i < m->n; i++) {
		recs[i].ev = &m->rec[i].ev;
		recs[i].data = m->rec[i].data;
	}
	knhk_log_header_init(&h, &cfg, NULL);
	build_owned(log, &h, recs, m->n);
	knhk_log_digest(log, &sum);
	log->hdr.flags |= KNHK_LOG_F_DIGEST;
	log->hdr.digest = sum.digest;
	log->hdr.checksum = sum.checksum;
	log->hdr.kernel_events = sum.events;
}

/* The standard model: guards, eight tasks (one guard-failed) on 4 lanes. */
static void model_std(struct model *m, struct knhk_log *log, uint32_t lanes)
{
	static const uint32_t ids[] = { 1, 2, 3 };
	uint64_t id;

	model_init(m, lanes);
	model_guards(m, KNHK_GUARDS_SET, ids, 3);
	for (id = 0; id < 8; id++)
		model_pure(m, id, 1000 + id, id == 6);
	model_log(m, log, 64);
}

/*
 * The ordered model: the issue's example (T 3 submitted when the submit
 * clock is past it, T 10 and 5 out of order), plain tasks between, a
 * watermark release, a task submitted after it with a smaller T, and a
 * final release of everything.
 */
static void model_ordered_std(struct model *m, struct knhk_log *log, bool old_rule)
{
	static const uint32_t ids[] = { 1 };

	model_init(m, 4);
	m->old_rule = old_rule;
	model_guards(m, KNHK_GUARDS_SET, ids, 1);
	model_pure(m, 0, 100, false);
	model_pure(m, 1, 101, false);
	model_pure(m, 2, 102, false);
	model_pure(m, 3, 103, false);
	model_ordered(m, 3, 10, 200);
	model_ordered(m, 10, 11, 201);
	model_ordered(m, 5, 12, 202);
	model_pure(m, 4, 104, false);
	model_release(m, false, 10);
	model_ordered(m, 2, 13, 203);
	model_ordered(m, 40, 14, 204);
	model_pure(m, 5, 105, false);
	model_release(m, true, 0);
	model_log(m, log, 64);
}

/* ---- the digest, computed a second way ---- */

static void le32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = v >> (8 * i);
}

static void le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

/* Chains in per-source seq order over the model's records, as bytes. */
static uint64_t ref_digest(const struct model *m)
{
	uint8_t buf[8 + 24 * 10], *p = buf;
	uint32_t sources[10], s;
	uint64_t hash, count, next;
	size_t i, k, ns = 0;
	bool found;

	for (s = 0; s < m->lanes; s++)
		sources[ns++] = s;
	sources[ns++] = 0x100;
	sources[ns++] = 0x101;
	le32(p, 3);	/* KNHK_DIGEST_VERSION */
	le32(p + 4, m->lanes);
	p += 8;
	for (k = 0; k < ns; k++) {
		hash = 0;
		count = 0;
		for (next = 0, found = true; found; next++) {
			found = false;
			for (i = 0; i < m->n; i++)
				if (m->rec[i].ev.source == sources[k] &&
				    m->rec[i].ev.seq == next) {
					hash = ref_xxh64(&m->rec[i].ev, 64, hash);
					count++;
					found = true;
				}
		}
		le32(p, sources[k]);
		le32(p + 4, 0);
		le64(p + 8, count);
		le64(p + 16, hash);
		p += 24;
	}
	return ref_xxh64(buf, p - buf, 0);
}

static void test_digest(void)
{
	struct knhk_log log;
	struct knhk_sum sum;
	struct model m;
	uint64_t xor = 0;
	size_t i;

	model_std(&m, &log, 4);
	knhk_log_digest(&log, &sum);
	for (i = 0; i < m.n; i++)
		xor ^= m.rec[i].ev.ts;
	check(sum.digest == ref_digest(&m), "digest equals the reference computation (%016llx)",
	      (unsigned long long)sum.digest);
	check(sum.checksum == xor && sum.events == m.n, "checksum is the XOR of the timestamps");
	/*
	 * A known answer, from the reference implementation above; the same
	 * workload in the kernel (selftests/knhk_replay.c) must give it too.
	 */
	check(sum.digest == 0xf316734ce384e503ULL, "digest known answer: %016llx",
	      (unsigned long long)sum.digest);
	knhk_log_free(&log);

	model_init(&m, 4);
	model_log(&m, &log, 64);
	knhk_log_digest(&log, &sum);
	check(sum.digest == ref_digest(&m) && !sum.events && !sum.checksum,
	      "digest of no events covers every lane (%016llx)",
	      (unsigned long long)sum.digest);
	knhk_log_free(&log);
}

/* ---- files ---- */

static int parse(const void *buf, size_t len, struct knhk_log *out, char *err)
{
	struct knhk_log tmp;
	int ret = knhk_log_parse(out ? out : &tmp, buf, len, 0, err);

	if (!out)
		knhk_log_free(&tmp);
	return ret;
}

static void test_roundtrip(void)
{
	char err[KNHK_ERRLEN] = "";
	struct knhk_log log, back;
	struct model m;
	bool same = true;
	size_t len, i;
	void *buf;

	model_std(&m, &log, 4);
	knhk_log_encode(&log, &buf, &len);
	save_seed("std.log", buf, len);
	check(!parse(buf, len, &back, err), "a written log reads back (%s)", err);
	same = back.n == log.n && !memcmp(&back.hdr, &log.hdr, 64);
	for (i = 0; same && i < log.n; i++)
		same = !memcmp(back.recs[i].ev, log.recs[i].ev, 64) &&
		       !memcmp(back.recs[i].data, log.recs[i].data, log.recs[i].ev->len);
	check(same, "it has the same header and records");
	for (i = 1; i < back.n; i++)
		same &= knhk_rec_cmp(back.recs[i - 1].ev, back.recs[i].ev) < 0;
	check(same, "records are in canonical order");
	knhk_log_free(&back);
	knhk_log_free(&log);
	free(buf);
}

/* The bytes of a file, or NULL. */
static void *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long size;

	if (!f)
		return NULL;
	size = fseek(f, 0, SEEK_END) ? -1 : ftell(f);
	if (size >= 0 && !fseek(f, 0, SEEK_SET)) {
		buf = malloc(size ? size : 1);
		if (buf && fread(buf, 1, size, f) != (size_t)size) {
			free(buf);
			buf = NULL;
		}
		*len = size;
	}
	fclose(f);
	return buf;
}

/*
 * knhk_log_save() writes what knhk_log_encode() makes, byte for byte,
 * through its own buffer: a small log, and one of the same records many
 * times over, several times the size of that buffer.
 */
static void test_save(void)
{
	char path[] = "/tmp/knhk_test_log.XXXXXX", err[KNHK_ERRLEN] = "";
	struct knhk_log log, big;
	struct knhk_rec *recs;
	size_t len, flen, i;
	void *buf, *file;
	struct model m;
	int fd, rounds;

	fd = mkstemp(path);
	check(fd >= 0, "a temporary file");
	if (fd < 0)
		return;
	close(fd);
	model_std(&m, &log, 4);
	recs = malloc(16000 * sizeof(*recs));
	big = log;
	big.recs = recs;
	big.n = 16000;
	for (i = 0; recs && i < big.n; i++)
		recs[i] = log.recs[i % log.n];
	for (rounds = 0; rounds < 2; rounds++) {
		const struct knhk_log *l = rounds ? &big : &log;

		if (rounds && !recs)
			break;
		check(!knhk_log_encode(l, &buf, &len), "%zu records encoded", l->n);
		check(!knhk_log_save(l, path, err), "and saved (%s)", err);
		file = slurp(path, &flen);
		check(file && flen == len && !memcmp(file, buf, len),
		      "the file is the encoding, %zu of %zu bytes", file ? flen : 0, len);
		check(!rounds || len > 3 * (256 << 10), "more than the save buffer three times");
		/* The big one repeats records: not a log the parser takes. */
		check(rounds || !parse(file, flen, NULL, err), "and reads back (%s)", err);
		free(file);
		free(buf);
	}
	free(recs);
	knhk_log_free(&log);
	unlink(path);
}

static void test_truncated(void)
{
	char err[KNHK_ERRLEN];
	struct knhk_log log;
	struct model m;
	bool ok = true;
	size_t len, i;
	uint8_t *buf;
	int ret;

	model_std(&m, &log, 4);
	knhk_log_encode(&log, (void **)&buf, &len);
	for (i = 0; i < len; i++) {
		ret = parse(buf, i, NULL, err);
		ok &= ret == KNHK_LOG_ETRUNC;
	}
	check(ok, "every proper prefix of a log is reported truncated");
	ret = parse(buf, 100, NULL, err);
	check(ret == KNHK_LOG_ETRUNC && strstr(err, "header"), "a cut header: %s", err);
	ret = parse(buf, len - 8, NULL, err);
	check(ret == KNHK_LOG_ETRUNC && strstr(err, "record bytes"), "cut records: %s", err);
	save_seed("truncated.log", buf, len - 8);
	knhk_log_free(&log);
	free(buf);
}

static void test_corrupt(void)
{
	char err[KNHK_ERRLEN];
	struct knhk_log log;
	struct model m;
	bool ok = true;
	size_t len, i;
	uint8_t *buf, *big;
	int ret;

	model_std(&m, &log, 4);
	knhk_log_encode(&log, (void **)&buf, &len);
	for (i = 0; i < len; i++) {
		buf[i] ^= 0x40;
		ret = parse(buf, len, NULL, err);
		buf[i] ^= 0x40;
		/* A flipped version field reads as another version. */
		ok &= ret == KNHK_LOG_ECORRUPT ||
		      (ret == KNHK_LOG_EVERSION && i >= 8 && i < 12);
	}
	check(ok, "any flipped byte is reported (corrupt, or the version field)");
	memcpy(buf, "NOTALOG!", 8);
	ret = parse(buf, len, NULL, err);
	check(ret == KNHK_LOG_ECORRUPT && strstr(err, "magic"), "bad magic: %s", err);
	memcpy(buf, KNHK_LOG_MAGIC, 8);
	ret = parse("KNHK", 4, NULL, err);
	check(ret == KNHK_LOG_ETRUNC, "four bytes of the magic: truncated");

	big = calloc(1, len + 8);
	memcpy(big, buf, len);
	ret = parse(big, len + 8, NULL, err);
	check(ret == KNHK_LOG_ECORRUPT && strstr(err, "after the last"),
	      "trailing bytes: %s", err);
	free(big);

	/* A well-sealed file with a record the kernel cannot write. */
	((struct knhk_event *)(buf + sizeof(struct knhk_log_header)))->type = 9;
	knhk_log_seal(buf, len);
	ret = parse(buf, len, NULL, err);
	check(ret == KNHK_LOG_ECORRUPT && strstr(err, "bad"), "invalid record: %s", err);
	save_seed("badrecord.log", buf, len);
	knhk_log_free(&log);
	free(buf);
}

static void test_version(void)
{
	char err[KNHK_ERRLEN];
	struct knhk_log_header *h;
	struct knhk_log log;
	struct model m;
	size_t len;
	uint8_t *buf;
	int ret;

	model_std(&m, &log, 4);
	knhk_log_encode(&log, (void **)&buf, &len);
	h = (void *)buf;
	h->version = 2;
	knhk_log_seal(buf, len);
	ret = parse(buf, len, NULL, err);
	check(ret == KNHK_LOG_EVERSION && strstr(err, "version 2"), "format version 2: %s", err);
	ret = parse(buf, 20, NULL, err);
	check(ret == KNHK_LOG_EVERSION, "the version is told even from a cut file");
	save_seed("version2.log", buf, len);
	h->version = 1;
	h->digest_version = 7;
	knhk_log_seal(buf, len);
	ret = parse(buf, len, NULL, err);
	check(ret == KNHK_LOG_EVERSION && strstr(err, "digest version 7"),
	      "digest version 7: %s", err);
	knhk_log_free(&log);
	free(buf);
}

static void test_reordered(void)
{
	char err[KNHK_ERRLEN];
	struct knhk_log log;
	struct model m;
	size_t len, off, size;
	uint8_t *buf, tmp[64];
	int ret;

	model_std(&m, &log, 4);
	knhk_log_encode(&log, (void **)&buf, &len);
	check(log.recs[1].ev->type == KNHK_EV_TASK_ENQUEUED &&
	      log.recs[2].ev->type == KNHK_EV_TASK_EXECUTED, "layout as expected");
	/* Move record 2 (a TaskExecuted, 64 bytes) before record 1. */
	off = sizeof(struct knhk_log_header) + 64 + ((log.recs[0].ev->len + 7) & ~7U);
	size = 64 + ((log.recs[1].ev->len + 7) & ~7U);
	memcpy(tmp, buf + off + size, 64);
	memmove(buf + off + 64, buf + off, size);
	memcpy(buf + off, tmp, 64);
	knhk_log_seal(buf, len);
	ret = parse(buf, len, NULL, err);
	check(ret == KNHK_LOG_ECORRUPT && strstr(err, "canonical order"),
	      "reordered records: %s", err);
	save_seed("reordered.log", buf, len);
	knhk_log_free(&log);
	free(buf);
}

/* ---- streams and merging ---- */

static void test_merge(void)
{
	char err[KNHK_ERRLEN] = "";
	struct knhk_log log, merged;
	struct knhk_rec *all, *r;
	struct model m;
	uint8_t *cpu[3];
	size_t len[3] = { 0 }, i, n, total = 0;
	bool same;
	int ret, c, bad;

	model_std(&m, &log, 4);
	/* Deal the records to three "CPUs", in creation order. */
	for (c = 0; c < 3; c++)
		cpu[c] = calloc(1, 8192);
	for (i = 0; i < m.n; i++) {
		size_t size = 64 + ((m.rec[i].ev.len + 7) & ~7U);

		c = (i * 7) % 3;
		memcpy(cpu[c] + len[c], &m.rec[i], size);
		len[c] += size;
	}
	all = calloc(m.n + 1, sizeof(*all));
	for (c = 0; c < 3; c++) {
		ret = knhk_stream_split(cpu[c], len[c], 4, &r, &n, err);
		check(!ret, "stream %d splits into %zu records (%s)", c, n, err);
		memcpy(all + total, r, n * sizeof(*r));
		total += n;
		free(r);
	}
	bad = knhk_log_build(&merged, &log.hdr, all, total);
	same = !bad && merged.n == log.n;
	for (i = 0; same && i < log.n; i++)
		same = !memcmp(merged.recs[i].ev, log.recs[i].ev, 64);
	check(same, "merging per-CPU streams gives the canonical log");
	knhk_log_free(&merged);

	/*
	 * The same streams as a dump's: its buffers go to the log, which
	 * stays whole after the dump is closed (under ASan, a record read
	 * from a freed buffer aborts the test).
	 */
	{
		struct knhk_dump d = { .nstreams = 3 };
		uint8_t *a, *b;
		size_t alen, blen;

		d.streams = calloc(3, sizeof(*d.streams));
		if (!d.streams)
			abort();
		for (c = 0; c < 3; c++) {
			d.streams[c].fd = -1;
			d.streams[c].len = len[c];
			d.streams[c].buf = malloc(len[c]);
			if (!d.streams[c].buf)
				abort();
			memcpy(d.streams[c].buf, cpu[c], len[c]);
		}
		ret = knhk_dump_log(&d, &log.hdr, &merged, err);
		check(!ret && !*err && merged.n == log.n,
		      "a dump's streams merge into the log (%s)", err);
		knhk_dump_close(&d);
		same = !ret && !knhk_log_encode(&merged, (void **)&a, &alen);
		if (same && !knhk_log_encode(&log, (void **)&b, &blen)) {
			same = alen == blen && !memcmp(a, b, alen);
			free(b);
		}
		if (!ret && same)
			free(a);
		check(same, "the dump's log outlives the dump, record for record");
		knhk_log_free(&merged);
	}

	/* A record read twice is left out once. */
	all[total] = all[0];
	bad = knhk_log_build(&merged, &log.hdr, all, total + 1);
	check(bad == 1 && merged.n == log.n, "a repeated record is left out");
	knhk_log_free(&merged);

	ret = knhk_stream_split(cpu[0], len[0] - 8, 4, &r, &n, err);
	check(ret == KNHK_LOG_ETRUNC && n < total, "a stream ending inside a record: %s", err);
	free(r);
	((struct knhk_event *)cpu[1])->source = 77;
	ret = knhk_stream_split(cpu[1], len[1], 4, &r, &n, err);
	check(ret == KNHK_LOG_ECORRUPT && !n, "a record of a lane that does not exist: %s", err);
	free(r);
	for (c = 0; c < 3; c++)
		free(cpu[c]);
	free(all);
	knhk_log_free(&log);
}

/*
 * A TaskEnqueued record carries its descriptor up to its last used field,
 * in the stream and in a log alike: longer (zeroes the kernel leaves out)
 * or shorter is a record the kernel cannot write.
 */
static void test_desc_len(void)
{
	static const struct {
		const char *what;
		uint32_t ninsns, nguards, len;
		bool ok;
	} cases[] = {
		{ "PURE, no guards, 40 bytes", 0, 0, 40, true },
		{ "PURE, no guards, whole", 0, 0, sizeof(struct knhk_task), false },
		{ "PURE, no guards, 48 bytes", 0, 0, 48, false },
		{ "PURE, no guards, 32 bytes", 0, 0, 32, false },
		{ "3 guards, 56 bytes", 0, 3, 56, true },
		{ "3 guards, 48 bytes", 0, 3, 48, false },
		{ "2 instructions, to the second", 2, 0, 120, true },
		{ "2 instructions, to the first", 2, 0, 96, false },
		{ "8 instructions, whole", 8, 0, sizeof(struct knhk_task), true },
		{ "9 guards", 0, 9, 80, false },
		{ "no descriptor at all", 0, 0, 0, false },
	};
	char err[KNHK_ERRLEN] = "";
	struct knhk_log log, bad;
	struct knhk_rec *r;
	struct model m;
	uint8_t buf[64 + sizeof(struct knhk_task)];
	struct knhk_event *ev = (void *)buf;
	struct knhk_task *t = (void *)(buf + 64);
	size_t i, n, flen;
	void *file;
	int ret;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(buf, 0, sizeof(buf));
		strcpy(err, "accepted");
		ev->type = KNHK_EV_TASK_ENQUEUED;
		ev->source = KNHK_SRC_SUBMIT;
		ev->task_id = 4;
		t->task_id = 4;
		ev->len = cases[i].len;
		t->ninsns = cases[i].ninsns;
		t->nguards = cases[i].nguards;
		ret = knhk_stream_split(buf, 64 + ev->len, 4, &r, &n, err);
		check(!ret == cases[i].ok, "descriptor %s: %s", cases[i].what, err);
		free(r);
	}

	/* A log file with one descriptor carried whole is corrupt. */
	model_std(&m, &log, 4);
	n = log.n;
	r = malloc(n * sizeof(*r));
	if (r) {
		memcpy(r, log.recs, n * sizeof(*r));
		bad = log;
		bad.recs = r;
		for (i = 0; i < n && r[i].ev->type != KNHK_EV_TASK_ENQUEUED; i++)
			;
		memset(buf, 0, sizeof(buf));
		memcpy(buf, r[i].ev, 64 + r[i].ev->len);
		ev->len = sizeof(struct knhk_task);
		ev->hash = knhk_hash(buf + 64, ev->len, 0);
		r[i].ev = ev;
		r[i].data = buf + 64;
		if (!knhk_log_encode(&bad, &file, &flen)) {
			ret = parse(file, flen, NULL, err);
			check(ret == KNHK_LOG_ECORRUPT && strstr(err, "bad TaskEnqueued"),
			      "a log file with a whole descriptor: %s", err);
			free(file);
		}
	}
	free(r);
	knhk_log_free(&log);
}

/* ---- verify ---- */

/* Drop record @skip from @log into @out (a gap), keeping the header. */
static void drop_record(const struct knhk_log *log, size_t skip, struct knhk_log *out)
{
	struct knhk_rec *r = calloc(log->n, sizeof(*r));
	size_t i, k = 0;

	for (i = 0; i < log->n; i++)
		if (i != skip)
			r[k++] = log->recs[i];
	build_owned(out, &log->hdr, r, k);
	free(r);
}

static void test_verify(void)
{
	struct knhk_log log, gap;
	struct knhk_verify v;
	struct knhk_event *ev;
	struct model m;

	model_std(&m, &log, 4);
	knhk_log_verify(&log, &v);
	check(!v.incomplete && !v.bad_hash && !v.gaps && v.sum.digest == log.hdr.digest &&
	      v.sum.checksum == log.hdr.checksum, "a complete log verifies");

	drop_record(&log, 3, &gap);
	knhk_log_verify(&gap, &v);
	check(v.incomplete && v.gaps == 1 && v.missing == 1 && v.sum.digest != log.hdr.digest,
	      "a missing record is a gap: incomplete");
	knhk_log_free(&gap);
	drop_record(&log, log.n - 1, &gap);
	knhk_log_verify(&gap, &v);
	check(v.incomplete && !v.gaps && v.missing == 1,
	      "a missing last record is counted from the kernel's event count");
	knhk_log_free(&gap);

	ev = (struct knhk_event *)log.recs[1].ev;
	ev->hash ^= 1;
	knhk_log_verify(&log, &v);
	check(v.bad_hash == 1 && v.first_bad == 1 && v.sum.digest != log.hdr.digest,
	      "a wrong input hash is found");
	ev->hash ^= 1;
	log.hdr.dropped = 3;
	knhk_log_verify(&log, &v);
	check(v.incomplete, "drops make a log incomplete");
	knhk_log_free(&log);
}

/* ---- happens-before ---- */

/* The first record of @log for which @match is true, from @from on. */
static size_t find_rec(const struct knhk_log *log, size_t from, uint32_t type,
		       uint32_t source, uint64_t task_id)
{
	size_t i;

	for (i = from; i < log->n; i++)
		if (log->recs[i].ev->type == type && log->recs[i].ev->source == source &&
		    log->recs[i].ev->task_id == task_id)
			return i;
	return (size_t)-1;
}

/* Rebuild @log with the record of canonical index @i changed by @ev. */
static void edit_rec(struct knhk_log *log, size_t i, const struct knhk_event *ev,
		     struct knhk_log *out)
{
	struct knhk_rec *r = calloc(log->n, sizeof(*r));
	struct knhk_event copy = *ev;

	memcpy(r, log->recs, log->n * sizeof(*r));
	r[i].ev = &copy;
	build_owned(out, &log->hdr, r, log->n);
	free(r);
}

/* Whether @hb names the record with this source and seq, and @rule. */
static bool hb_names(const struct knhk_log *log, const struct knhk_hb *hb,
		     enum knhk_hb_rule rule, uint32_t source, uint64_t seq)
{
	return hb->rule == rule && hb->index < log->n &&
	       log->recs[hb->index].ev->source == source &&
	       log->recs[hb->index].ev->seq == seq && strstr(hb->why, "seq");
}

static void test_hb(void)
{
	struct knhk_log log, bad;
	struct knhk_verify v;
	struct knhk_event ev;
	struct model m;
	size_t i, e;

	model_std(&m, &log, 4);
	knhk_log_verify(&log, &v);
	check(v.hb.rule == KNHK_HB_OK && v.hb.events == log.n && v.hb.tasks == 8,
	      "happens-before: plain tasks hold it (%llu events, %llu tasks)",
	      (unsigned long long)v.hb.events, (unsigned long long)v.hb.tasks);

	/*
	 * Lane 3, the last, runs tasks 3 and 7, but neither enqueue names
	 * lane 3: two TaskExecuted past its enqueues (the fuzzer's find: the
	 * second one used to read past every lane's enqueues).
	 */
	{
		struct knhk_log one;

		i = find_rec(&log, 0, KNHK_EV_TASK_ENQUEUED, KNHK_SRC_SUBMIT, 3);
		ev = *log.recs[i].ev;
		ev.lane = 200;
		edit_rec(&log, i, &ev, &one);
		e = find_rec(&one, 0, KNHK_EV_TASK_ENQUEUED, KNHK_SRC_SUBMIT, 7);
		ev = *one.recs[e].ev;
		ev.lane = 200;
		edit_rec(&one, e, &ev, &bad);
		knhk_log_verify(&bad, &v);
		check(v.hb.rule == KNHK_HB_UNMATCHED,
		      "a lane that runs more than was enqueued to it fails: %s", v.hb.why);
		knhk_log_free(&bad);
		knhk_log_free(&one);
	}
	knhk_log_free(&log);

	model_ordered_std(&m, &log, false);
	knhk_log_verify(&log, &v);
	check(v.hb.rule == KNHK_HB_OK && v.hb.tasks == 11 && !v.hb.partial,
	      "happens-before: ordered tasks stamped from their release hold it (%s)",
	      v.hb.why);
	check(v.sum.digest == ref_digest(&m), "the ordered model's digest equals the reference");
	/* Known answer for selftests/knhk_replay.c's known_answer_ordered. */
	check(v.sum.digest == KNOWN_ORDERED, "ordered digest known answer: %016llx",
	      (unsigned long long)v.sum.digest);
	knhk_log_free(&log);

	/* Digest version 1's rule: T 3 enqueued at 8 runs at 4. */
	model_ordered_std(&m, &log, true);
	knhk_log_verify(&log, &v);
	i = find_rec(&log, 0, KNHK_EV_TASK_EXECUTED, KNHK_SRC_ORDERED, 10);
	check(v.hb.rule == KNHK_HB_ENQUEUE && v.hb.index == i &&
	      strstr(v.hb.why, "TaskExecuted ordered seq 0") && strstr(v.hb.why, "TaskEnqueued"),
	      "the old ordered clock breaks it, naming the event: %s", v.hb.why);
	knhk_log_free(&log);

	/* Executed after its enqueue (6), but not after its release (14). */
	model_ordered_std(&m, &log, false);
	i = find_rec(&log, 0, KNHK_EV_TASK_EXECUTED, KNHK_SRC_ORDERED, 10);
	e = find_rec(&log, 0, KNHK_EV_TASK_ENQUEUED, KNHK_SRC_SUBMIT, 10);
	ev = *log.recs[i].ev;
	ev.ts = log.recs[e].ev->ts + 1;
	edit_rec(&log, i, &ev, &bad);
	knhk_log_verify(&bad, &v);
	check(hb_names(&bad, &v.hb, KNHK_HB_RELEASE, KNHK_SRC_ORDERED, ev.seq) &&
	      strstr(v.hb.why, "release"),
	      "an ordered task run before its release fails, naming it: %s", v.hb.why);
	knhk_log_free(&bad);

	/* A plain task stamped at its own enqueue. */
	i = find_rec(&log, 0, KNHK_EV_TASK_EXECUTED, 2, 2);
	e = find_rec(&log, 0, KNHK_EV_TASK_ENQUEUED, KNHK_SRC_SUBMIT, 2);
	ev = *log.recs[i].ev;
	ev.ts = log.recs[e].ev->ts;
	edit_rec(&log, i, &ev, &bad);
	knhk_log_verify(&bad, &v);
	check(hb_names(&bad, &v.hb, KNHK_HB_ENQUEUE, 2, ev.seq),
	      "a task run at its enqueue's timestamp fails, naming it: %s", v.hb.why);
	knhk_log_free(&bad);

	/* A source whose next event has the same timestamp. */
	i = find_rec(&log, 0, KNHK_EV_TASK_EXECUTED, KNHK_SRC_ORDERED, 11);
	e = find_rec(&log, 0, KNHK_EV_TASK_EXECUTED, KNHK_SRC_ORDERED, 10);
	ev = *log.recs[i].ev;
	ev.ts = log.recs[e].ev->ts;
	edit_rec(&log, i, &ev, &bad);
	knhk_log_verify(&bad, &v);
	check(hb_names(&bad, &v.hb, KNHK_HB_SOURCE, KNHK_SRC_ORDERED, ev.seq),
	      "a source's timestamp not rising with seq fails, naming it: %s", v.hb.why);
	knhk_log_free(&bad);

	/* The ordered chain ran a task in another's place. */
	i = find_rec(&log, 0, KNHK_EV_TASK_EXECUTED, KNHK_SRC_ORDERED, 10);
	ev = *log.recs[i].ev;
	ev.task_id = 14;
	ev.lane = 14 & 3;
	edit_rec(&log, i, &ev, &bad);
	knhk_log_verify(&bad, &v);
	check(hb_names(&bad, &v.hb, KNHK_HB_UNMATCHED, KNHK_SRC_ORDERED, ev.seq),
	      "an ordered task run out of (T, lane, seq) order fails, naming it: %s",
	      v.hb.why);
	knhk_log_free(&bad);
	knhk_log_free(&log);

	/* A TaskExecuted without a TaskEnqueued. */
	model_ordered_std(&m, &log, false);
	knhk_log_free(&log);
	model_release(&m, true, 0);
	m.rec[m.n - 1].ev.ts = m.submit_clock + 5;
	ev = m.rec[m.n - 1].ev;
	ev.type = KNHK_EV_TASK_EXECUTED;
	ev.source = 1;
	ev.seq = m.lane_seq[1]++;
	ev.ts = m.submit_clock + 10;
	ev.task_id = 77;
	ev.lane = 1;
	ev.status = 0;
	ev.len = 0;
	ev.aux = 0;
	ev.ticks = 1;
	m.rec[m.n - 1].ev = ev;
	model_log(&m, &log, 64);
	knhk_log_verify(&log, &v);
	check(hb_names(&log, &v.hb, KNHK_HB_UNMATCHED, 1, ev.seq),
	      "a task run that was never enqueued fails, naming it: %s", v.hb.why);
	knhk_log_free(&log);

	/* An incomplete log: only the per-source rule. */
	model_ordered_std(&m, &log, false);
	log.hdr.dropped = 1;
	knhk_log_verify(&log, &v);
	check(v.hb.rule == KNHK_HB_OK && v.hb.partial, "an incomplete log: per-source rule only");
	knhk_log_free(&log);
}

/* ---- diff ---- */

static void test_diff(void)
{
	struct knhk_log a, b;
	struct knhk_diff d;
	struct knhk_event *ev;
	struct model m;
	void *buf;
	size_t len;

	model_std(&m, &a, 4);
	model_std(&m, &b, 4);
	knhk_log_diff(&a, &b, &d);
	check(d.grade == KNHK_EXACT_MATCH && d.index < 0, "same log: EXACT_MATCH");

	b.hdr.cq_size = 32;
	knhk_log_diff(&a, &b, &d);
	check(d.grade == KNHK_MINOR_DIFFERENCE && strstr(d.why, "configuration"),
	      "same events, other cq size: MINOR_DIFFERENCE (%s)", d.why);
	knhk_log_free(&b);

	model_std(&m, &b, 2);
	knhk_log_diff(&a, &b, &d);
	check(d.grade == KNHK_MINOR_DIFFERENCE && d.index >= 0,
	      "2 lanes instead of 4, same outcomes: MINOR_DIFFERENCE");
	knhk_log_encode(&b, &buf, &len);
	save_seed("lanes2.log", buf, len);
	free(buf);
	knhk_log_free(&b);

	model_std(&m, &b, 4);
	ev = (struct knhk_event *)b.recs[b.n - 1].ev;
	ev->hash ^= 0x100;
	knhk_log_diff(&a, &b, &d);
	check(d.grade == KNHK_DIVERGED && d.index == (long long)b.n - 1 && d.task_valid &&
	      d.task_id == ev->task_id && d.task_a && d.task_b,
	      "an output differs: DIVERGED, naming the event and task %llu (%s)",
	      (unsigned long long)d.task_id, d.why);
	knhk_log_free(&b);

	model_std(&m, &b, 4);
	model_pure(&m, 99, 1, false);
	knhk_log_free(&b);
	model_log(&m, &b, 64);
	knhk_log_diff(&a, &b, &d);
	check(d.grade == KNHK_DIVERGED && d.task_id == 99 && !d.task_a &&
	      strstr(d.why, "extra"), "an extra task: DIVERGED (%s)", d.why);
	knhk_log_diff(&b, &a, &d);
	check(d.grade == KNHK_DIVERGED && d.task_id == 99 && !d.task_b &&
	      strstr(d.why, "missing"), "a missing task: DIVERGED (%s)", d.why);
	knhk_log_free(&b);

	model_std(&m, &b, 4);
	b.hdr.dropped = 1;
	knhk_log_diff(&a, &b, &d);
	check(d.grade == KNHK_INCOMPLETE, "drops: INCOMPLETE, never a match");
	knhk_log_free(&b);
	model_std(&m, &b, 4);
	b.hdr.flags |= KNHK_LOG_F_STREAM_ERROR;
	knhk_log_diff(&b, &a, &d);
	check(d.grade == KNHK_INCOMPLETE, "a stream error: INCOMPLETE");
	knhk_log_free(&b);
	knhk_log_free(&a);
}

/* ---- workloads ---- */

static int wl(struct knhk_workload *w, const char *text, char *err)
{
	char *copy = strdup(text), *rest = copy, *line;
	int ret = 0;

	knhk_wl_init(w);
	while (!ret && (line = strsep(&rest, "\n"))) {
		w->line++;
		ret = knhk_wl_line(w, line, err);
	}
	if (!ret)
		ret = knhk_wl_finish(w, err);
	free(copy);
	return ret;
}

static void test_workload(void)
{
	static const char *const bad[] = {
		"pure", "pure 1", "pure x 1", "pure 1 2 prio=urgent", "pure 1 2 budget=x",
		"pure 1 2 guards=1,2,3,4,5,6,7,8,9", "pure 1 2 ; ldi r0 1", "program 1 2",
		"program 1 2 ; ldi r4 1", "program 1 2 ; jmp r0 r1", "program 1 2 ; add r0 1",
		"ordered x pure 1 2", "guard flip 1", "guard set", "shared 0", "release",
		"release soon", "cycle", "frobnicate", "end", "batch\nguard set 1\nend",
		"batch\npure 1 1\nordered 1 pure 2 2\nend", "batch", "batch\nend",
		"config lanes=0", "config speed=3", "pure 5..1 0",
	};
	char err[KNHK_ERRLEN] = "";
	struct knhk_workload w;
	const struct knhk_task *t;
	bool ok = true;
	size_t i;
	int ret;

	ret = wl(&w, "config lanes=8 ring=32 cq=64 step\n"
		 "# comment\n"
		 "pure 0..2 10 prio=high budget=1 guards=1,2\n"
		 "program 7 5 budget=2 ; ldi r1 3 ; mul r0 r1 ; stl 3 r0 # store\n"
		 "ordered 40 program 9 0 ; lds r0 2 ; sts 1 r0\n"
		 "batch\npure 20 1 prio=low\npure 21 2\nend\n"
		 "guard set 1,2 3\nguard clear 2\nshared 4 7 8 9\n"
		 "release 40\nrelease all\nbarrier\ncycle 3 2\n", err);
	check(!ret, "a workload of every line parses (%s)", err);
	check(w.cfg.lanes == 8 && w.cfg.ring_size == 32 && w.cfg.cq_size == 64 &&
	      w.cfg.flags == KNHK_CONFIG_STEP_MODE, "config line");
	check(w.n == 13, "%zu steps", w.n);
	t = &w.ops[2].tasks[0].task;
	check(w.ops[2].n == 1 && t->task_id == 2 && t->payload == 12 &&
	      t->priority == KNHK_PRIO_HIGH && t->nguards == 2 && t->guards[1] == 2,
	      "an id range makes one task per id, value + offset");
	t = &w.ops[3].tasks[0].task;
	check(t->kind == KNHK_WORK_PROGRAM && t->ninsns == 3 && t->budget == 2 &&
	      t->prog[1].op == KNHK_OP_MUL && t->prog[1].dst == 0 && t->prog[1].src == 1 &&
	      t->prog[2].op == KNHK_OP_STL && t->prog[2].imm == 3 && t->prog[2].src == 0,
	      "a program");
	check(w.ops[4].ordered && w.ops[4].tasks[0].timestamp == 40 &&
	      w.ops[4].tasks[0].task.budget == 2, "an ordered task; budget defaults to its length");
	check(w.ops[5].batch && w.ops[5].n == 2 && w.ops[5].tasks[0].task.priority == KNHK_PRIO_LOW,
	      "a batch");
	check(w.ops[6].kind == KNHK_WL_GUARDS && w.ops[6].n == 3 && w.ops[6].ids[2] == 3 &&
	      w.ops[6].arg == KNHK_GUARDS_SET && w.ops[7].arg == KNHK_GUARDS_CLEAR, "guards");
	check(w.ops[8].kind == KNHK_WL_SHARED && w.ops[8].arg == 4 && w.ops[8].n == 3 &&
	      w.ops[8].values[2] == 9, "shared state");
	check(w.ops[9].kind == KNHK_WL_RELEASE && w.ops[9].value == 40 && !w.ops[9].arg &&
	      w.ops[10].arg == KNHK_RELEASE_ALL, "releases");
	check(w.ops[12].kind == KNHK_WL_CYCLE && w.ops[12].arg == 3 && w.ops[12].value == 2,
	      "cycle");
	knhk_wl_free(&w);

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		ret = wl(&w, bad[i], err);
		if (!ret || !*err)
			printf("# accepted: %s\n", bad[i]);
		ok &= ret && *err;
		knhk_wl_free(&w);
	}
	check(ok, "%zu malformed workloads are rejected with a message", i);
	ret = wl(&w, "pure 1 2\n\npure 3 x\n", err);
	check(ret && !strncmp(err, "line 3:", 7), "errors name the line: %s", err);
	knhk_wl_free(&w);
}

/* knhkctl follow's placing of stream lines, and its checkpoints. */
static void test_stream(void)
{
	static const char *const bad[] = {
		"@x pure 1 2", "@0 pure 1 2", "@12pure 1 2", "@", "@eofx", "@-3 pure 1 2",
		"@99999999999999999999999 pure 1 2",
	};
	struct knhk_stream_pos p = { .rev = 10, .first = 2 };
	char err[KNHK_ERRLEN] = "";
	const char *text;
	uint64_t rev;
	bool ok = true;
	size_t i;

	check(knhk_wl_stream_line(&p, "@12 pure 1 2\n", &rev, &text, err) == KNHK_SL_LINE &&
	      rev == 12 && !strcmp(text, " pure 1 2\n"), "'@REV LINE': the revision and the line");
	check(knhk_wl_stream_line(&p, "@10 guard set 1", &rev, &text, err) == KNHK_SL_LINE &&
	      rev == 10, "a line at the last revision (one transaction)");
	check(knhk_wl_stream_line(&p, "pure 1 2", &rev, &text, err) == KNHK_SL_LINE &&
	      rev == 11 && !strcmp(text, "pure 1 2"), "a line without '@' is the next revision");
	check(knhk_wl_stream_line(&p, "  # note\n", &rev, &text, err) == KNHK_SL_BLANK &&
	      knhk_wl_stream_line(&p, "@12\t# c", &rev, &text, err) == KNHK_SL_BLANK &&
	      knhk_wl_stream_line(&p, "", &rev, &text, err) == KNHK_SL_BLANK, "blank lines");
	check(knhk_wl_stream_line(&p, "@eof\n", &rev, &text, err) == KNHK_SL_EOF &&
	      knhk_wl_stream_line(&p, "@eof", &rev, &text, err) == KNHK_SL_EOF, "'@eof'");
	check(knhk_wl_stream_line(&p, "@2 pure 1 2", &rev, &text, err) == KNHK_SL_RESTART &&
	      rev == 2 && knhk_wl_stream_line(&p, "@1 pure 1 2", &rev, &text, err) ==
	      KNHK_SL_RESTART, "back to the first revision or before: a restart");
	check(knhk_wl_stream_line(&p, "@5 pure 1 2", &rev, &text, err) == KNHK_SL_BAD &&
	      strstr(err, "revision 5 after 10: the stream went back"), "back elsewhere: %s", err);
	p.first = 0;
	check(knhk_wl_stream_line(&p, "@5 pure 1 2", &rev, &text, err) == KNHK_SL_LINE,
	      "before the instance's first line nothing is a restart");
	p.marked = true;
	check(knhk_wl_stream_line(&p, "pure 1 2", &rev, &text, err) == KNHK_SL_BAD &&
	      strstr(err, "without its revision") &&
	      knhk_wl_stream_line(&p, "# c", &rev, &text, err) == KNHK_SL_BLANK,
	      "--marked: a line without its revision is an error, a blank one is not");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		*err = 0;
		if (knhk_wl_stream_line(&p, bad[i], &rev, &text, err) != KNHK_SL_BAD || !*err) {
			printf("# accepted: %s\n", bad[i]);
			ok = false;
		}
	}
	check(ok, "%zu malformed revision markers are rejected with a message", i);
	check(knhk_wl_checkpoint_due(9, 11, 10) && knhk_wl_checkpoint_due(10, 11, 10) &&
	      knhk_wl_checkpoint_due(3, 40, 10) && !knhk_wl_checkpoint_due(11, 20, 10) &&
	      !knhk_wl_checkpoint_due(10, 10, 10) && !knhk_wl_checkpoint_due(1, 99, 0),
	      "a checkpoint at the last revision at or below each multiple of --every");
}

static void test_from_log(void)
{
	char err[KNHK_ERRLEN] = "";
	struct knhk_workload w;
	struct knhk_log log;
	struct model m;
	int ret;

	model_std(&m, &log, 4);
	knhk_wl_init(&w);
	ret = knhk_wl_from_log(&w, &log, err);
	check(!ret && w.n == 10 && w.ops[0].kind == KNHK_WL_GUARDS && w.ops[0].n == 3 &&
	      w.ops[1].kind == KNHK_WL_SUBMIT && !w.ops[1].batch &&
	      w.ops[1].tasks[0].task.payload == 1000 && w.ops[7].tasks[0].task.nguards == 1 &&
	      w.ops[9].kind == KNHK_WL_BARRIER && w.cfg.lanes == 4,
	      "a log gives back its submit-path calls, then a barrier");
	knhk_wl_free(&w);
	knhk_log_free(&log);
}

int main(int argc, char **argv)
{
	corpus = argc > 1 ? argv[1] : NULL;
	printf("TAP version 13\n");
	test_xxh64();
	test_digest();
	test_roundtrip();
	test_save();
	test_truncated();
	test_corrupt();
	test_version();
	test_reordered();
	test_merge();
	test_desc_len();
	test_verify();
	test_hb();
	test_diff();
	test_workload();
	test_stream();
	test_from_log();
	printf("1..%d\n", tests);
	printf("# %d passed, %d failed\n", tests - failures, failures);
	return failures ? 1 : 0;
}
