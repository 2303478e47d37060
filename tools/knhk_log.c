// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_log.c - the replay log file: see knhk_log.h for the format.
 *
 * The digest is recomputed exactly as the kernel computes it (module/event.c
 * and knhk_instance_digest()): per source a chain h = xxh64(record, h_prev)
 * from h = 0 over the source's 64-byte records in sequence order; then one
 * xxh64 (seed 0) over { u32 version, u32 lanes } and, for the lanes 0..L-1,
 * the ordered chain and the submit path in that order, { u32 source, u32 0,
 * u64 count, u64 hash }. The checksum is the XOR of every record's ts.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "knhk_log.h"

#define ALIGN8(x)	(((x) + 7) & ~(size_t)7)
#define EV_SIZE		sizeof(struct knhk_event)

static_assert(sizeof(struct knhk_event) == 64, "event record is 64 bytes");
static_assert(sizeof(struct knhk_log_header) == 128, "header is 128 bytes");

static int seterr(char *err, int ret, const char *fmt, ...) __printf(3, 4);

static int seterr(char *err, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err, KNHK_ERRLEN, fmt, ap);
		va_end(ap);
	}
	return ret;
}

uint64_t knhk_hash(const void *data, size_t len, uint64_t seed)
{
	return XXH64(data, len, seed);
}

void knhk_log_init(struct knhk_log *log)
{
	memset(log, 0, sizeof(*log));
}

void knhk_log_free(struct knhk_log *log)
{
	size_t i;

	for (i = 0; i < log->nheld; i++)
		free(log->held[i]);
	free(log->held);
	free(log->recs);
	free(log->mem);
	knhk_log_init(log);
}

/* Index of a source in per-source arrays: lanes, ordered chain, submit. */
static int src_index(uint32_t source, uint32_t lanes)
{
	if (source < lanes)
		return source;
	if (source == KNHK_SRC_ORDERED)
		return lanes;
	if (source == KNHK_SRC_SUBMIT)
		return lanes + 1;
	return -1;
}

static uint32_t src_of_index(int i, uint32_t lanes)
{
	if ((uint32_t)i < lanes)
		return i;
	return (uint32_t)i == lanes ? KNHK_SRC_ORDERED : KNHK_SRC_SUBMIT;
}

static bool lanes_valid(uint32_t lanes)
{
	return lanes && lanes <= KNHK_MAX_LANES && !(lanes & (lanes - 1));
}

static bool zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

/*
 * The length a TaskEnqueued record gives the descriptor in @data (@len
 * bytes): up to its last used field, as the kernel's knhk_task_used_len().
 * 0 if @data is too short to say or its counts are out of range.
 */
static uint32_t task_used_len(const void *data, uint32_t len)
{
	const size_t head = offsetof(struct knhk_task, guards);
	struct knhk_task t;

	if (len < head)
		return 0;
	memcpy(&t, data, head);
	if (t.ninsns > KNHK_MAX_INSNS || t.nguards > KNHK_MAX_GUARDS)
		return 0;
	if (t.ninsns)
		return offsetof(struct knhk_task, prog) +
		       t.ninsns * sizeof(t.prog[0]);
	return ALIGN8(head + t.nguards * sizeof(t.guards[0]));
}

/**
 * knhk_rec_check() - whether a record is one the kernel can write
 * @ev: the event
 * @data: its @ev->len bytes of data, followed by the padding to 8 bytes
 * @lanes: the instance's lane count
 * @err: gets a message
 *
 * Checks the fields' ranges and that they agree with each other; not the
 * hashes (knhk_log_verify() does).
 *
 * Return: KNHK_LOG_OK or KNHK_LOG_ECORRUPT.
 */
int knhk_rec_check(const struct knhk_event *ev, const void *data,
		   uint32_t lanes, char *err)
{
	bool submit = ev->source == KNHK_SRC_SUBMIT, ok = false;
	bool task_lane = ev->lane < lanes &&
			 (ev->task_id & (lanes - 1)) == ev->lane;
	uint64_t v[2];

	if (src_index(ev->source, lanes) < 0)
		return seterr(err, KNHK_LOG_ECORRUPT, "bad source %#x", ev->source);
	if (ev->len > KNHK_LOG_MAX_DATA)
		return seterr(err, KNHK_LOG_ECORRUPT, "bad data length %u", ev->len);
	switch (ev->type) {
	case KNHK_EV_TASK_ENQUEUED:
		/* A used length is never 0: memcmp() reads the task_id. */
		ok = submit && task_lane && ev->len &&
		     ev->len == task_used_len(data, ev->len) &&
		     ev->status <= KNHK_EV_ORDERED && !ev->ticks &&
		     (ev->status || !ev->aux) &&
		     !memcmp(&ev->task_id, data, sizeof(ev->task_id));
		break;
	case KNHK_EV_TASK_EXECUTED:
		ok = !submit && task_lane && !ev->len && !ev->aux &&
		     (ev->source == KNHK_SRC_ORDERED || ev->source == ev->lane) &&
		     ev->status <= KNHK_STATUS_GUARD_FAILED &&
		     ev->ticks <= KNHK_MAX_BUDGET;
		break;
	case KNHK_EV_STATE_CHANGE:
		ok = submit && !ev->task_id && !ev->lane && !ev->ticks &&
		     !ev->aux && ev->len && !(ev->len % 4) &&
		     (ev->status == KNHK_GUARDS_SET ||
		      ev->status == KNHK_GUARDS_CLEAR);
		break;
	case KNHK_EV_EXTERNAL_INPUT:
		if (!submit || ev->task_id || ev->ticks)
			break;
		if (ev->status == KNHK_INPUT_SHARED) {
			ok = ev->len && !(ev->len % 8) && !ev->aux &&
			     ev->lane + ev->len / 8 <= KNHK_SHARED_SLOTS;
		} else if (ev->status == KNHK_INPUT_RELEASE &&
			   ev->len == sizeof(v)) {
			memcpy(v, data, sizeof(v));
			ok = v[0] == ev->aux && v[1] == ev->lane &&
			     ev->lane <= KNHK_RELEASE_ALL;
		}
		break;
	}
	if (!ok)
		return seterr(err, KNHK_LOG_ECORRUPT,
			      "bad %s record (source %#x seq %llu)",
			      knhk_ev_name(ev->type), ev->source,
			      (unsigned long long)ev->seq);
	if (!zero((const uint8_t *)data + ev->len, ALIGN8(ev->len) - ev->len))
		return seterr(err, KNHK_LOG_ECORRUPT,
			      "non-zero padding after record seq %llu",
			      (unsigned long long)ev->seq);
	return KNHK_LOG_OK;
}

/**
 * knhk_stream_split() - cut a replay stream into records
 * @buf: the stream's bytes, 8-byte aligned
 * @len: their count
 * @lanes: the instance's lane count
 * @recs: gets a malloc()ed array of records pointing into @buf
 * @n: gets their count
 * @err: gets a message
 *
 * Return: KNHK_LOG_OK, KNHK_LOG_ETRUNC if the last record is cut short,
 * KNHK_LOG_ECORRUPT for an invalid record, or KNHK_LOG_ENOMEM. On error
 * *@recs and *@n still hold the records before the bad one.
 */
int knhk_stream_split(const void *buf, size_t len, uint32_t lanes,
		      struct knhk_rec **recs, size_t *n, char *err)
{
	const uint8_t *p = buf;
	size_t off = 0, room = 0, size;
	struct knhk_rec *r = NULL, *nr;
	int ret = KNHK_LOG_OK;

	*n = 0;
	while (off < len) {
		const struct knhk_event *ev = (const void *)(p + off);

		if (len - off < EV_SIZE) {
			ret = seterr(err, KNHK_LOG_ETRUNC,
				     "%zu bytes of a record at offset %zu",
				     len - off, off);
			break;
		}
		if (ev->len > KNHK_LOG_MAX_DATA) {
			ret = seterr(err, KNHK_LOG_ECORRUPT,
				     "bad data length %u at offset %zu",
				     ev->len, off);
			break;
		}
		size = EV_SIZE + ALIGN8((size_t)ev->len);
		if (size > len - off) {
			ret = seterr(err, KNHK_LOG_ETRUNC,
				     "record at offset %zu cut short", off);
			break;
		}
		ret = knhk_rec_check(ev, ev + 1, lanes, err);
		if (ret)
			break;
		if (*n == room) {
			room = room ? 2 * room : 256;
			nr = realloc(r, room * sizeof(*r));
			if (!nr) {
				ret = seterr(err, KNHK_LOG_ENOMEM, "out of memory");
				break;
			}
			r = nr;
		}
		r[*n].ev = ev;
		r[*n].data = ev + 1;
		(*n)++;
		off += size;
	}
	*recs = r;
	return ret;
}

/* Canonical order: (ts, source, seq). */
int knhk_rec_cmp(const struct knhk_event *a, const struct knhk_event *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

static int rec_qcmp(const void *x, const void *y)
{
	const struct knhk_rec *a = x, *b = y;

	return knhk_rec_cmp(a->ev, b->ev);
}

/*
 * Whether @recs are in strict canonical order with each source's sequence
 * numbers increasing. Return: index of the first record breaking it, or
 * @n.
 */
static size_t order_check(const struct knhk_rec *recs, size_t n,
			  uint32_t lanes, uint64_t *next)
{
	size_t i;

	memset(next, 0, (lanes + 2) * sizeof(*next));
	for (i = 0; i < n; i++) {
		const struct knhk_event *ev = recs[i].ev;
		int s = src_index(ev->source, lanes);

		if (i && knhk_rec_cmp(recs[i - 1].ev, ev) >= 0)
			return i;
		if (ev->seq < next[s])
			return i;
		next[s] = ev->seq + 1;
	}
	return n;
}

/**
 * knhk_log_header_init() - the header of a log of an instance
 * @h: the header to fill
 * @cfg: the instance's configuration
 * @dg: %KNHK_IOC_DIGEST after its workload, or NULL if there is none
 */
void knhk_log_header_init(struct knhk_log_header *h,
			  const struct knhk_config *cfg,
			  const struct knhk_digest *dg)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->magic, KNHK_LOG_MAGIC, sizeof(h->magic));
	h->version = KNHK_LOG_VERSION;
	h->header_size = sizeof(*h);
	h->digest_version = KNHK_DIGEST_VERSION;
	h->lanes = cfg->lanes;
	h->ring_size = cfg->ring_size;
	h->cq_size = cfg->cq_size;
	h->config_flags = cfg->flags;
	h->subbuf_size = cfg->replay_subbuf_size;
	h->nr_subbufs = cfg->replay_nr_subbufs;
	if (!dg)
		return;
	h->flags |= KNHK_LOG_F_DIGEST;
	h->digest = dg->digest;
	h->checksum = dg->checksum;
	h->kernel_events = dg->events;
}

/**
 * knhk_log_build() - make a log from records in any order
 * @log: gets the log; free it with knhk_log_free()
 * @hdr: its header; @events, @data_size and the hashes are filled in
 * @recs: the records (valid for @hdr->lanes); sorted in place
 * @n: their count
 *
 * Records that break the order (a second copy of a sequence number, or a
 * source's sequence numbers out of timestamp order) are left out.
 *
 * The records are not copied: @log points where @recs do, so that memory
 * must outlive @log (knhk_dump_log() hands its stream buffers to @log).
 * A dump's records are as many bytes as the run streamed; copying them
 * again was most of what merging cost.
 *
 * Return: the number of records left out, or -1 if out of memory.
 */
int knhk_log_build(struct knhk_log *log, const struct knhk_log_header *hdr,
		   struct knhk_rec *recs, size_t n)
{
	uint64_t *next = calloc(hdr->lanes + 2, sizeof(*next));
	size_t i, k = 0, size = 0;
	int bad = 0;

	knhk_log_init(log);
	log->hdr = *hdr;
	log->recs = malloc((n ? n : 1) * sizeof(*log->recs));
	if (!next || !log->recs) {
		free(next);
		knhk_log_free(log);
		return -1;
	}
	qsort(recs, n, sizeof(*recs), rec_qcmp);
	for (i = 0; i < n; i++) {
		const struct knhk_event *ev = recs[i].ev;
		int s = src_index(ev->source, hdr->lanes);

		if (ev->seq < next[s] ||
		    (k && !knhk_rec_cmp(log->recs[k - 1].ev, ev))) {
			bad++;
			continue;
		}
		next[s] = ev->seq + 1;
		log->recs[k++] = recs[i];
		size += EV_SIZE + ALIGN8(ev->len);
	}
	free(next);
	log->n = k;
	log->hdr.events = k;
	log->hdr.data_size = size;
	return bad;
}

/**
 * knhk_log_parse() - read a log from memory
 * @log: gets the log; free it with knhk_log_free() (also after an error)
 * @buf: the file's bytes, any alignment
 * @len: their count
 * @flags: %KNHK_PARSE_NO_HASH to skip the integrity hashes
 * @err: gets a message
 *
 * Return: a KNHK_LOG_* value.
 */
int knhk_log_parse(struct knhk_log *log, const void *buf, size_t len,
		   unsigned int flags, char *err)
{
	struct knhk_log_header *h = &log->hdr;
	const uint8_t *p = buf;
	uint64_t *next;
	uint32_t ver;
	size_t i;
	int ret;

	knhk_log_init(log);
	if (memcmp(p, KNHK_LOG_MAGIC, len < 8 ? len : 8))
		return seterr(err, KNHK_LOG_ECORRUPT,
			      "not a knhk-sched replay log (bad magic)");
	if (len < 12)
		return seterr(err, KNHK_LOG_ETRUNC,
			      "truncated: %zu bytes, no header", len);
	memcpy(&ver, p + 8, sizeof(ver));
	if (ver != KNHK_LOG_VERSION)
		return seterr(err, KNHK_LOG_EVERSION,
			      "log format version %u; this knhkctl reads version %u",
			      ver, KNHK_LOG_VERSION);
	if (len < sizeof(*h))
		return seterr(err, KNHK_LOG_ETRUNC,
			      "truncated: %zu bytes of a %zu-byte header",
			      len, sizeof(*h));
	memcpy(h, p, sizeof(*h));
	if (h->header_size != sizeof(*h))
		return seterr(err, KNHK_LOG_ECORRUPT, "bad header size %u",
			      h->header_size);
	if (!(flags & KNHK_PARSE_NO_HASH)) {
		struct knhk_log_header c = *h;

		c.header_hash = 0;
		if (knhk_hash(&c, sizeof(c), 0) != h->header_hash)
			return seterr(err, KNHK_LOG_ECORRUPT,
				      "header damaged (hash mismatch)");
	}
	if (h->digest_version != KNHK_DIGEST_VERSION)
		return seterr(err, KNHK_LOG_EVERSION,
			      "digest version %u; this knhkctl computes version %u",
			      h->digest_version, KNHK_DIGEST_VERSION);
	if (h->flags & ~KNHK_LOG_F_ALL || !zero(h->reserved, sizeof(h->reserved)) ||
	    !lanes_valid(h->lanes) || h->data_size % 8 ||
	    h->events > h->data_size / EV_SIZE)
		return seterr(err, KNHK_LOG_ECORRUPT, "header damaged (bad field)");
	if (len - sizeof(*h) < h->data_size)
		return seterr(err, KNHK_LOG_ETRUNC,
			      "truncated: %zu of %llu record bytes",
			      len - sizeof(*h),
			      (unsigned long long)h->data_size);
	if (len - sizeof(*h) > h->data_size)
		return seterr(err, KNHK_LOG_ECORRUPT,
			      "%llu bytes after the last record",
			      (unsigned long long)(len - sizeof(*h) - h->data_size));
	p += sizeof(*h);
	if (!(flags & KNHK_PARSE_NO_HASH) &&
	    knhk_hash(p, h->data_size, 0) != h->data_hash)
		return seterr(err, KNHK_LOG_ECORRUPT,
			      "records damaged (hash mismatch)");

	log->mem = malloc(h->data_size ? h->data_size : 1);
	next = calloc(h->lanes + 2, sizeof(*next));
	if (!log->mem || !next) {
		free(next);
		return seterr(err, KNHK_LOG_ENOMEM, "out of memory");
	}
	memcpy(log->mem, p, h->data_size);
	ret = knhk_stream_split(log->mem, h->data_size, h->lanes, &log->recs,
				&log->n, err);
	if (ret == KNHK_LOG_ETRUNC)
		ret = KNHK_LOG_ECORRUPT;	/* data_size said otherwise */
	if (!ret && log->n != h->events)
		ret = seterr(err, KNHK_LOG_ECORRUPT,
			     "%zu records, the header says %llu", log->n,
			     (unsigned long long)h->events);
	if (!ret) {
		i = order_check(log->recs, log->n, h->lanes, next);
		if (i < log->n)
			ret = seterr(err, KNHK_LOG_ECORRUPT,
				     "record %zu out of canonical order", i);
	}
	free(next);
	return ret;
}

/**
 * knhk_log_load() - read a log file
 * @log: gets the log; free it with knhk_log_free()
 * @path: the file, "-" for standard input
 * @err: gets a message
 *
 * Return: a KNHK_LOG_* value; with KNHK_LOG_EIO, errno says why.
 */
int knhk_log_load(struct knhk_log *log, const char *path, char *err)
{
	size_t len = 0, room = 1 << 16;
	uint8_t *buf = malloc(room), *nb;
	int fd, ret, e;
	ssize_t r;

	knhk_log_init(log);
	if (!buf)
		return seterr(err, KNHK_LOG_ENOMEM, "out of memory");
	fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		e = errno;
		free(buf);
		errno = e;
		return seterr(err, KNHK_LOG_EIO, "%s: %s", path, strerror(e));
	}
	for (;;) {
		if (len == room) {
			nb = realloc(buf, room * 2);
			if (!nb) {
				ret = seterr(err, KNHK_LOG_ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
			room *= 2;
		}
		r = read(fd, buf + len, room - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			ret = seterr(err, KNHK_LOG_EIO, "%s: %s", path, strerror(e));
			errno = e;
			goto out;
		}
		if (!r)
			break;
		len += r;
	}
	ret = knhk_log_parse(log, buf, len, 0, err);
out:
	if (fd)
		close(fd);
	free(buf);
	return ret;
}

/**
 * knhk_log_seal() - fill in the hashes of an encoded log
 * @buf: the file's bytes, header and records
 * @len: their count, at least a header
 */
void knhk_log_seal(void *buf, size_t len)
{
	struct knhk_log_header h;

	memcpy(&h, buf, sizeof(h));
	h.data_hash = knhk_hash((uint8_t *)buf + sizeof(h), len - sizeof(h), 0);
	h.header_hash = 0;
	h.header_hash = knhk_hash(&h, sizeof(h), 0);
	memcpy(buf, &h, sizeof(h));
}

/* The zeros that pad a record's data to 8 bytes. */
static const uint8_t zero_pad[8];

/*
 * Hand the bytes of a log's records to @fn in file order, in pieces: each
 * record's event, its data, and the zeros that pad the data to 8 bytes.
 * Stops at the first non-zero return of @fn and returns it.
 */
static int log_pieces(const struct knhk_log *log,
		      int (*fn)(void *ctx, const void *p, size_t len), void *ctx)
{
	size_t i, len;
	int ret = 0;

	for (i = 0; i < log->n && !ret; i++) {
		len = log->recs[i].ev->len;
		ret = fn(ctx, log->recs[i].ev, EV_SIZE);
		if (!ret && len)
			ret = fn(ctx, log->recs[i].data, len);
		if (!ret && ALIGN8(len) != len)
			ret = fn(ctx, zero_pad, ALIGN8(len) - len);
	}
	return ret;
}

static int hash_piece(void *ctx, const void *p, size_t len)
{
	return XXH64_update(ctx, p, len) != XXH_OK;
}

/*
 * The file header of @log: its header with the record count, data size
 * and both hashes filled in, as knhk_log_seal() would.
 */
static int log_file_header(const struct knhk_log *log, struct knhk_log_header *h)
{
	XXH64_state_t st;
	size_t i;
	int ret;

	*h = log->hdr;
	h->events = log->n;
	h->data_size = 0;
	for (i = 0; i < log->n; i++)
		h->data_size += EV_SIZE + ALIGN8((size_t)log->recs[i].ev->len);
	ret = XXH64_reset(&st, 0) != XXH_OK || log_pieces(log, hash_piece, &st);
	h->data_hash = XXH64_digest(&st);
	if (ret)
		return KNHK_LOG_ENOMEM;
	h->header_hash = 0;
	h->header_hash = knhk_hash(h, sizeof(*h), 0);
	return KNHK_LOG_OK;
}

static int copy_piece(void *ctx, const void *p, size_t len)
{
	uint8_t **to = ctx;

	memcpy(*to, p, len);
	*to += len;
	return 0;
}

/**
 * knhk_log_encode() - a log as the bytes of its file
 * @log: the log
 * @buf: gets a malloc()ed buffer
 * @len: gets its size
 *
 * Return: KNHK_LOG_OK or KNHK_LOG_ENOMEM.
 */
int knhk_log_encode(const struct knhk_log *log, void **buf, size_t *len)
{
	struct knhk_log_header h;
	uint8_t *p;

	if (log_file_header(log, &h))
		return KNHK_LOG_ENOMEM;
	*len = sizeof(h) + h.data_size;
	*buf = p = malloc(*len);
	if (!p)
		return KNHK_LOG_ENOMEM;
	memcpy(p, &h, sizeof(h));
	p += sizeof(h);
	log_pieces(log, copy_piece, &p);
	return KNHK_LOG_OK;
}

/* A file written through a buffer of SAVE_CHUNK bytes. */
#define SAVE_CHUNK	(256 << 10)

struct log_out {
	int fd;
	size_t len;
	uint8_t buf[SAVE_CHUNK];
};

static int out_flush(struct log_out *o)
{
	size_t off = 0;
	ssize_t w;

	while (off < o->len) {
		w = write(o->fd, o->buf + off, o->len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		off += w;
	}
	o->len = 0;
	return 0;
}

static int out_piece(void *ctx, const void *p, size_t len)
{
	struct log_out *o = ctx;
	size_t k;

	while (len) {
		if (o->len == SAVE_CHUNK && out_flush(o))
			return -1;
		k = len < SAVE_CHUNK - o->len ? len : SAVE_CHUNK - o->len;
		memcpy(o->buf + o->len, p, k);
		o->len += k;
		p = (const uint8_t *)p + k;
		len -= k;
	}
	return 0;
}

/**
 * knhk_log_save() - write a log file
 * @log: the log
 * @path: the file, created or replaced
 * @err: gets a message
 *
 * Writes the bytes knhk_log_encode() makes, without a copy of the whole
 * log: one pass over the records for the hashes the header holds, one to
 * write them.
 *
 * Return: KNHK_LOG_OK, KNHK_LOG_ENOMEM, or KNHK_LOG_EIO with errno set.
 */
int knhk_log_save(const struct knhk_log *log, const char *path, char *err)
{
	struct knhk_log_header h;
	struct log_out *o;
	int e;

	o = malloc(sizeof(*o));
	if (!o || log_file_header(log, &h)) {
		free(o);
		return seterr(err, KNHK_LOG_ENOMEM, "out of memory");
	}
	o->len = 0;
	o->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (o->fd < 0 || out_piece(o, &h, sizeof(h)) ||
	    log_pieces(log, out_piece, o) || out_flush(o))
		goto fail;
	e = close(o->fd);
	o->fd = -1;
	if (e)
		goto fail;
	free(o);
	return KNHK_LOG_OK;
fail:
	e = errno;
	if (o->fd >= 0)
		close(o->fd);
	free(o);
	errno = e;
	return seterr(err, KNHK_LOG_EIO, "%s: %s", path, strerror(e));
}

/**
 * knhk_log_digest() - digest, checksum and count of a log's records
 * @log: the log, in canonical order
 * @sum: the result, as %KNHK_IOC_DIGEST computes it
 */
void knhk_log_digest(const struct knhk_log *log, struct knhk_sum *sum)
{
	const uint32_t lanes = log->hdr.lanes;
	const struct {
		uint32_t version;
		uint32_t lanes;
	} cfg = { KNHK_DIGEST_VERSION, lanes };
	struct {
		uint32_t source;
		uint32_t reserved;
		uint64_t count;
		uint64_t hash;
	} src[KNHK_MAX_LANES + 2];
	XXH64_state_t st;
	size_t i;
	int s;

	memset(sum, 0, sizeof(*sum));
	memset(src, 0, sizeof(src));
	for (s = 0; s < (int)lanes + 2; s++)
		src[s].source = src_of_index(s, lanes);
	/* Canonical order keeps each source's records in sequence order. */
	for (i = 0; i < log->n; i++) {
		const struct knhk_event *ev = log->recs[i].ev;

		s = src_index(ev->source, lanes);
		src[s].hash = XXH64(ev, EV_SIZE, src[s].hash);
		src[s].count++;
		sum->checksum ^= ev->ts;
	}
	sum->events = log->n;
	XXH64_reset(&st, 0);
	XXH64_update(&st, &cfg, sizeof(cfg));
	XXH64_update(&st, src, (lanes + 2) * sizeof(src[0]));
	sum->digest = XXH64_digest(&st);
}

/* An ordered task waiting for its release, as the kernel's heap holds it. */
struct hb_wait {
	uint64_t ts;		/* the caller's timestamp */
	uint32_t lane;
	uint64_t seq;		/* ordered submissions before it */
	size_t enq;		/* its TaskEnqueued */
};

static int hb_wait_cmp(const void *x, const void *y)
{
	const struct hb_wait *a = x, *b = y;

	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->lane != b->lane)
		return a->lane < b->lane ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

static void hb_fail(struct knhk_hb *hb, const struct knhk_log *log, size_t i,
		    enum knhk_hb_rule rule, const char *fmt, ...) __printf(5, 6);

/* Record a violation at record @i, unless an earlier one is recorded. */
static void hb_fail(struct knhk_hb *hb, const struct knhk_log *log, size_t i,
		    enum knhk_hb_rule rule, const char *fmt, ...)
{
	char ev[160], what[KNHK_ERRLEN];
	va_list ap;

	if (hb->rule != KNHK_HB_OK && hb->index <= i)
		return;
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	knhk_ev_describe(log->recs[i].ev, ev, sizeof(ev));
	hb->rule = rule;
	hb->index = i;
	snprintf(hb->why, sizeof(hb->why), "#%zu %.120s: %.120s", i, ev, what);
}

/* One TaskExecuted @x against the TaskEnqueued @e it ran. */
static void hb_pair(struct knhk_hb *hb, const struct knhk_log *log, size_t x,
		    size_t e)
{
	const struct knhk_event *xe = log->recs[x].ev, *ee = log->recs[e].ev;

	if (xe->task_id != ee->task_id) {
		hb_fail(hb, log, x, KNHK_HB_UNMATCHED,
			"ran in the place of task %llu (TaskEnqueued #%zu)",
			(unsigned long long)ee->task_id, e);
		return;
	}
	hb->tasks++;
	if (xe->ts <= ee->ts)
		hb_fail(hb, log, x, KNHK_HB_ENQUEUE,
			"not after its TaskEnqueued #%zu (ts %llu)", e,
			(unsigned long long)ee->ts);
}

/*
 * Each lane runs its tasks in the order the submit path gave them: the
 * k-th TaskExecuted of lane l is the k-th plain TaskEnqueued for lane l.
 */
static int hb_plain(const struct knhk_log *log, struct knhk_hb *hb)
{
	const uint32_t lanes = log->hdr.lanes;
	size_t *enq = malloc((log->n + 1) * sizeof(*enq));
	size_t *start = calloc(lanes + 1, sizeof(*start));
	size_t *fill = calloc(lanes, sizeof(*fill));
	size_t *ran = calloc(lanes, sizeof(*ran));
	size_t i;
	uint32_t l;

	if (!enq || !start || !fill || !ran) {
		free(enq);
		free(start);
		free(fill);
		free(ran);
		return -1;
	}
	/* The plain TaskEnqueued records, grouped by lane, in order. */
	for (i = 0; i < log->n; i++) {
		const struct knhk_event *ev = log->recs[i].ev;

		if (ev->type == KNHK_EV_TASK_ENQUEUED && !ev->status &&
		    ev->lane < lanes)
			start[ev->lane + 1]++;
	}
	for (l = 0; l < lanes; l++)
		start[l + 1] += start[l];
	for (i = 0; i < log->n; i++) {
		const struct knhk_event *ev = log->recs[i].ev;

		if (ev->type == KNHK_EV_TASK_ENQUEUED && !ev->status &&
		    ev->lane < lanes)
			enq[start[ev->lane] + fill[ev->lane]++] = i;
	}
	for (i = 0; i < log->n; i++) {
		const struct knhk_event *ev = log->recs[i].ev;

		if (ev->type != KNHK_EV_TASK_EXECUTED || ev->source >= lanes)
			continue;
		l = ev->source;
		if (ran[l] >= fill[l])
			hb_fail(hb, log, i, KNHK_HB_UNMATCHED,
				"lane %u ran more tasks than were enqueued to it", l);
		else
			hb_pair(hb, log, i, enq[start[l] + ran[l]]);
		ran[l]++;
	}
	free(enq);
	free(start);
	free(fill);
	free(ran);
	return 0;
}

/*
 * The ordered chain: replay the submit path's calls, the heap included. A
 * release takes the waiting tasks it covers in (T, lane, seq) order; each
 * is the next TaskExecuted of the ordered chain, which must come after the
 * release and after the task's own TaskEnqueued.
 */
static int hb_ordered(const struct knhk_log *log, struct knhk_hb *hb)
{
	struct hb_wait *wait = malloc((log->n + 1) * sizeof(*wait));
	struct hb_wait *run = malloc((log->n + 1) * sizeof(*run));
	size_t *chain = malloc((log->n + 1) * sizeof(*chain));
	size_t i, k, nwait = 0, nchain = 0, next = 0;
	uint64_t oseq = 0;

	if (!wait || !run || !chain) {
		free(wait);
		free(run);
		free(chain);
		return -1;
	}
	for (i = 0; i < log->n; i++)
		if (log->recs[i].ev->source == KNHK_SRC_ORDERED)
			chain[nchain++] = i;
	for (i = 0; i < log->n; i++) {
		const struct knhk_event *ev = log->recs[i].ev;
		size_t nrun = 0;
		bool all;

		if (ev->source != KNHK_SRC_SUBMIT)
			continue;
		if (ev->type == KNHK_EV_TASK_ENQUEUED && ev->status) {
			wait[nwait++] = (struct hb_wait){ ev->aux, ev->lane, oseq++, i };
			continue;
		}
		if (ev->type != KNHK_EV_EXTERNAL_INPUT ||
		    ev->status != KNHK_INPUT_RELEASE)
			continue;
		all = ev->lane & KNHK_RELEASE_ALL;
		for (k = 0; k < nwait; ) {
			if (all || wait[k].ts <= ev->aux) {
				run[nrun++] = wait[k];
				wait[k] = wait[--nwait];
			} else {
				k++;
			}
		}
		qsort(run, nrun, sizeof(*run), hb_wait_cmp);
		for (k = 0; k < nrun; k++, next++) {
			size_t x;

			if (next == nchain) {
				hb_fail(hb, log, run[k].enq, KNHK_HB_UNMATCHED,
					"released by #%zu but never run", i);
				continue;
			}
			x = chain[next];
			hb_pair(hb, log, x, run[k].enq);
			if (log->recs[x].ev->ts <= ev->ts)
				hb_fail(hb, log, x, KNHK_HB_RELEASE,
					"not after its release #%zu (ts %llu)", i,
					(unsigned long long)ev->ts);
		}
	}
	if (next < nchain)
		hb_fail(hb, log, chain[next], KNHK_HB_UNMATCHED,
			"ran on the ordered chain, but no release took it");
	free(wait);
	free(run);
	free(chain);
	return 0;
}

/**
 * knhk_log_hb() - check that the log's timestamps respect happens-before
 * @log: the log, in canonical order
 * @partial: the log lacks events (drops, gaps): check only what does not
 *	need every event, the per-source order
 * @hb: the result; the earliest violation, by canonical position, is named
 *
 * The rules (DESIGN.md section 2): each source's timestamps strictly rise
 * with its sequence numbers; a task's TaskExecuted.ts is above its
 * TaskEnqueued.ts; an ordered task's is also above its release's. Which
 * TaskEnqueued a TaskExecuted belongs to is worked out as the kernel works
 * it: a lane's ring is FIFO, and a release runs what it takes in
 * (timestamp, lane, submission) order; a TaskExecuted that this explains
 * with another task id, or does not explain at all, is a violation too.
 */
void knhk_log_hb(const struct knhk_log *log, bool partial, struct knhk_hb *hb)
{
	struct {
		uint64_t seq, ts;
		size_t i;
		bool any;
	} last[KNHK_MAX_LANES + 2];
	size_t i;

	memset(hb, 0, sizeof(*hb));
	memset(last, 0, sizeof(last));
	hb->events = log->n;
	hb->partial = partial;
	for (i = 0; i < log->n; i++) {
		const struct knhk_event *ev = log->recs[i].ev;
		int s = src_index(ev->source, log->hdr.lanes);
		bool seq_up, ts_up;

		if (s < 0)
			continue;
		seq_up = ev->seq > last[s].seq;
		ts_up = ev->ts > last[s].ts;
		if (last[s].any && (ev->ts == last[s].ts || seq_up != ts_up))
			hb_fail(hb, log, i, KNHK_HB_SOURCE,
				"its source's seq %llu has ts %llu (#%zu): timestamps must rise with seq",
				(unsigned long long)last[s].seq,
				(unsigned long long)last[s].ts, last[s].i);
		last[s].seq = ev->seq;
		last[s].ts = ev->ts;
		last[s].i = i;
		last[s].any = true;
	}
	if (partial)
		return;
	if (hb_plain(log, hb) || hb_ordered(log, hb)) {
		hb->rule = KNHK_HB_ENOMEM;
		snprintf(hb->why, sizeof(hb->why), "out of memory");
	}
}

const char *knhk_hb_rule_name(enum knhk_hb_rule rule)
{
	static const char * const names[] = {
		"ok", "timestamps not rising with seq", "executed before enqueued",
		"executed before its release", "execution without its enqueue",
		"out of memory",
	};

	return (unsigned int)rule < ARRAY_SIZE(names) ? names[rule] : "?";
}

/**
 * knhk_log_verify() - recompute what the header claims
 * @log: the log
 * @v: what was found; the log verifies when !@v->incomplete,
 *	!@v->bad_hash, @v->hb.rule is %KNHK_HB_OK and @v->sum equals the
 *	header's kernel values
 */
void knhk_log_verify(const struct knhk_log *log, struct knhk_verify *v)
{
	const struct knhk_log_header *h = &log->hdr;
	uint64_t next[KNHK_MAX_LANES + 2] = { 0 };
	size_t i;

	memset(v, 0, sizeof(*v));
	knhk_log_digest(log, &v->sum);
	for (i = 0; i < log->n; i++) {
		const struct knhk_event *ev = log->recs[i].ev;
		int s = src_index(ev->source, h->lanes);

		if (ev->seq > next[s]) {
			if (!v->gaps) {
				v->gap_source = ev->source;
				v->gap_seq = next[s];
			}
			v->gaps += ev->seq - next[s];
		}
		next[s] = ev->seq + 1;
		if (ev->type != KNHK_EV_TASK_EXECUTED &&
		    knhk_hash(log->recs[i].data, ev->len, 0) != ev->hash) {
			if (!v->bad_hash)
				v->first_bad = i;
			v->bad_hash++;
		}
	}
	if (h->flags & KNHK_LOG_F_DIGEST && h->kernel_events > log->n)
		v->missing = h->kernel_events - log->n;
	if (v->missing < v->gaps)
		v->missing = v->gaps;
	v->incomplete = h->dropped || v->missing ||
			h->flags & KNHK_LOG_F_STREAM_ERROR;
	knhk_log_hb(log, v->incomplete, &v->hb);
}

/* One task outcome: a TaskExecuted event and its canonical position. */
struct outcome {
	const struct knhk_event *ev;
	size_t pos;
};

static int outcome_cmp(const void *x, const void *y)
{
	const struct outcome *a = x, *b = y;

	if (a->ev->task_id != b->ev->task_id)
		return a->ev->task_id < b->ev->task_id ? -1 : 1;
	return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* The log's events of @type, sorted by (task_id, position). */
static struct outcome *outcomes(const struct knhk_log *log, uint32_t type,
				size_t *n)
{
	struct outcome *o = malloc((log->n ? log->n : 1) * sizeof(*o));
	size_t i;

	*n = 0;
	if (!o)
		return NULL;
	for (i = 0; i < log->n; i++)
		if (log->recs[i].ev->type == type) {
			o[*n].ev = log->recs[i].ev;
			o[(*n)++].pos = i;
		}
	qsort(o, *n, sizeof(*o), outcome_cmp);
	return o;
}

static bool same_outcome(const struct knhk_event *a, const struct knhk_event *b)
{
	if (a->type == KNHK_EV_TASK_ENQUEUED)
		return a->hash == b->hash;
	return a->status == b->status && a->ticks == b->ticks &&
	       a->hash == b->hash;
}

/*
 * Compare the tasks of two logs by task id: events of @type, the k-th of an
 * id in A against the k-th in B. Records in @d the earliest (by canonical
 * position) task that differs, is missing or is extra. Return: whether all
 * agree; -1 if out of memory.
 */
static int tasks_agree(const struct knhk_log *a, const struct knhk_log *b,
		       uint32_t type, struct knhk_diff *d, size_t *best)
{
	size_t na, nb, i = 0, j = 0, pos;
	struct outcome *oa = outcomes(a, type, &na);
	struct outcome *ob = outcomes(b, type, &nb);
	const struct knhk_event *ea, *eb;
	int agree = 1;

	if (!oa || !ob) {
		free(oa);
		free(ob);
		return -1;
	}
	while (i < na || j < nb) {
		ea = i < na ? oa[i].ev : NULL;
		eb = j < nb ? ob[j].ev : NULL;
		if (ea && eb && ea->task_id == eb->task_id) {
			pos = oa[i].pos;
			i++;
			j++;
			if (same_outcome(ea, eb))
				continue;
		} else if (ea && (!eb || ea->task_id < eb->task_id)) {
			pos = oa[i++].pos;
			eb = NULL;
		} else {
			pos = ob[j++].pos;
			ea = NULL;
		}
		agree = 0;
		if (pos < *best) {
			*best = pos;
			d->task_valid = true;
			d->task_id = (ea ? ea : eb)->task_id;
			d->task_a = ea;
			d->task_b = eb;
		}
	}
	free(oa);
	free(ob);
	return agree;
}

static bool same_record(const struct knhk_rec *a, const struct knhk_rec *b)
{
	return !memcmp(a->ev, b->ev, EV_SIZE) &&
	       !memcmp(a->data, b->data, a->ev->len);
}

static int incomplete_why(const struct knhk_log *log, const char *name,
			  char *buf, size_t len)
{
	struct knhk_verify v;

	knhk_log_verify(log, &v);
	if (!v.incomplete)
		return 0;
	if (log->hdr.flags & KNHK_LOG_F_STREAM_ERROR)
		return snprintf(buf, len, "%s: a replay stream could not be read to its end",
				name);
	if (log->hdr.dropped)
		return snprintf(buf, len, "%s: %llu events dropped", name,
				(unsigned long long)log->hdr.dropped);
	return snprintf(buf, len, "%s: %llu events missing (%llu in sequence gaps)",
			name, (unsigned long long)v.missing,
			(unsigned long long)v.gaps);
}

/**
 * knhk_log_diff() - compare two logs
 * @a: the first log
 * @b: the second
 * @d: the grade and where they part
 *
 * INCOMPLETE if either log lacks events (never reported as a match);
 * DIVERGED if a task's outcome (status, ticks, output hash of each of its
 * TaskExecuted events, by task id) differs or a task is missing or extra;
 * EXACT_MATCH for the same configuration and identical records;
 * MINOR_DIFFERENCE otherwise.
 */
void knhk_log_diff(const struct knhk_log *a, const struct knhk_log *b,
		   struct knhk_diff *d)
{
	const struct knhk_log_header *ha = &a->hdr, *hb = &b->hdr;
	size_t i, n = a->n < b->n ? a->n : b->n, best = (size_t)-1;
	bool same_cfg;
	int ex, en;

	memset(d, 0, sizeof(*d));
	d->index = -1;
	for (i = 0; i < n && same_record(&a->recs[i], &b->recs[i]); i++)
		;
	if (i < a->n || i < b->n) {
		d->index = i;
		d->a = i < a->n ? a->recs[i].ev : NULL;
		d->b = i < b->n ? b->recs[i].ev : NULL;
	}
	if (incomplete_why(a, "A", d->why, sizeof(d->why)) ||
	    incomplete_why(b, "B", d->why, sizeof(d->why))) {
		d->grade = KNHK_INCOMPLETE;
		return;
	}
	ex = tasks_agree(a, b, KNHK_EV_TASK_EXECUTED, d, &best);
	en = tasks_agree(a, b, KNHK_EV_TASK_ENQUEUED, d, &best);
	if (ex < 0 || en < 0) {
		d->grade = KNHK_INCOMPLETE;
		snprintf(d->why, sizeof(d->why), "out of memory");
		return;
	}
	if (!ex || !en) {
		d->grade = KNHK_DIVERGED;
		if (!d->task_a || !d->task_b)
			snprintf(d->why, sizeof(d->why), "task %llu is %s",
				 (unsigned long long)d->task_id,
				 d->task_a ? "missing in B" : "extra in B");
		else if (d->task_a->type == KNHK_EV_TASK_ENQUEUED)
			snprintf(d->why, sizeof(d->why),
				 "task %llu was submitted with different input",
				 (unsigned long long)d->task_id);
		else
			snprintf(d->why, sizeof(d->why),
				 "task %llu has a different outcome",
				 (unsigned long long)d->task_id);
		return;
	}
	same_cfg = ha->lanes == hb->lanes && ha->ring_size == hb->ring_size &&
		   ha->cq_size == hb->cq_size &&
		   (ha->config_flags & KNHK_CONFIG_STEP_MODE) ==
		   (hb->config_flags & KNHK_CONFIG_STEP_MODE);
	if (same_cfg && d->index < 0) {
		d->grade = KNHK_EXACT_MATCH;
		snprintf(d->why, sizeof(d->why),
			 "same configuration, %zu identical events", a->n);
		return;
	}
	d->grade = KNHK_MINOR_DIFFERENCE;
	if (!same_cfg)
		snprintf(d->why, sizeof(d->why),
			 "every task outcome identical; configuration differs (lanes %u/%u, ring %u/%u, cq %u/%u)",
			 ha->lanes, hb->lanes, ha->ring_size, hb->ring_size,
			 ha->cq_size, hb->cq_size);
	else
		snprintf(d->why, sizeof(d->why),
			 "every task outcome identical; events differ from #%lld (timestamps or order)",
			 d->index);
}

const char *knhk_grade_name(enum knhk_grade g)
{
	static const char * const names[] = {
		"EXACT_MATCH", "MINOR_DIFFERENCE", "DIVERGED", "INCOMPLETE",
	};

	return (unsigned int)g < 4 ? names[g] : "?";
}

const char *knhk_ev_name(uint32_t type)
{
	switch (type) {
	case KNHK_EV_TASK_ENQUEUED:
		return "TaskEnqueued";
	case KNHK_EV_TASK_EXECUTED:
		return "TaskExecuted";
	case KNHK_EV_STATE_CHANGE:
		return "StateChange";
	case KNHK_EV_EXTERNAL_INPUT:
		return "ExternalInput";
	default:
		return "Unknown";
	}
}

const char *knhk_status_name(uint32_t status)
{
	switch (status) {
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

static void source_name(uint32_t source, char *buf, size_t len)
{
	if (source == KNHK_SRC_ORDERED)
		snprintf(buf, len, "ordered");
	else if (source == KNHK_SRC_SUBMIT)
		snprintf(buf, len, "submit");
	else
		snprintf(buf, len, "lane%u", source);
}

/**
 * knhk_ev_describe() - one line for people
 * @ev: the event
 * @buf: gets the line
 * @len: its room
 */
void knhk_ev_describe(const struct knhk_event *ev, char *buf, size_t len)
{
	char src[16], what[96];

	source_name(ev->source, src, sizeof(src));
	switch (ev->type) {
	case KNHK_EV_TASK_ENQUEUED:
		if (ev->status == KNHK_EV_ORDERED)
			snprintf(what, sizeof(what), "task %llu lane %u ordered T=%llu",
				 (unsigned long long)ev->task_id, ev->lane,
				 (unsigned long long)ev->aux);
		else
			snprintf(what, sizeof(what), "task %llu lane %u",
				 (unsigned long long)ev->task_id, ev->lane);
		break;
	case KNHK_EV_TASK_EXECUTED:
		snprintf(what, sizeof(what), "task %llu lane %u %s ticks %u",
			 (unsigned long long)ev->task_id, ev->lane,
			 knhk_status_name(ev->status), ev->ticks);
		break;
	case KNHK_EV_STATE_CHANGE:
		snprintf(what, sizeof(what), "guards %s, %u ids",
			 ev->status == KNHK_GUARDS_SET ? "set" : "clear",
			 ev->len / 4);
		break;
	case KNHK_EV_EXTERNAL_INPUT:
		if (ev->status == KNHK_INPUT_SHARED)
			snprintf(what, sizeof(what), "shared state %u..%u",
				 ev->lane, ev->lane + ev->len / 8 - 1);
		else if (ev->lane & KNHK_RELEASE_ALL)
			snprintf(what, sizeof(what), "release all");
		else
			snprintf(what, sizeof(what), "release up to %llu",
				 (unsigned long long)ev->aux);
		break;
	default:
		snprintf(what, sizeof(what), "type %u", ev->type);
	}
	snprintf(buf, len, "%s %s seq %llu ts %llu: %s, hash %016llx",
		 knhk_ev_name(ev->type), src, (unsigned long long)ev->seq,
		 (unsigned long long)ev->ts, what,
		 (unsigned long long)ev->hash);
}
