// SPDX-License-Identifier: GPL-2.0
/*
 * event.c - replay events and digests
 *
 * The digest is xxh64 throughout, the same function userspace gets from
 * libxxhash, so knhkctl can recompute it from a log. Records are hashed as
 * they are laid out in the uapi header, which is little-endian on every
 * architecture this module builds for.
 */
#include <linux/xxhash.h>

#include <knhk/event.h>

#ifdef __BIG_ENDIAN
#error "knhk_sched event records are little-endian; big-endian is not supported"
#endif

/**
 * knhk_chain_add() - append an event to its source's chain
 * @c: the source's chain; only the source's owner may call this
 * @ev: the event, every field but @ev->seq filled in; gets its sequence
 *	number
 */
void knhk_chain_add(struct knhk_chain *c, struct knhk_event *ev)
{
	ev->seq = c->count++;
	c->hash = xxh64(ev, sizeof(*ev), c->hash);
	c->xor ^= ev->ts;
}

/**
 * knhk_output_hash() - hash of a task's outcome, as in TaskExecuted
 * @task_id: the task
 * @output: its output
 * @status: its status
 * @ticks: ticks used
 *
 * Return: xxh64 of the four, laid out as task_id, output, status, ticks.
 */
u64 knhk_output_hash(u64 task_id, u64 output, u32 status, u32 ticks)
{
	const struct {
		u64 task_id;
		u64 output;
		u32 status;
		u32 ticks;
	} o = { task_id, output, status, ticks };

	return xxh64(&o, sizeof(o), 0);
}

/**
 * knhk_digest_begin() - start a digest with the configuration
 * @st: hash state
 * @cfg: the configuration
 */
void knhk_digest_begin(struct xxh64_state *st,
		       const struct knhk_digest_cfg *cfg)
{
	xxh64_reset(st, 0);
	xxh64_update(st, cfg, sizeof(*cfg));
}

/**
 * knhk_digest_add() - fold one source's chain into a digest
 * @st: hash state
 * @source: the source: lanes in order, then %KNHK_SRC_ORDERED, then
 *	%KNHK_SRC_SUBMIT
 * @c: its chain
 */
void knhk_digest_add(struct xxh64_state *st, u32 source,
		     const struct knhk_chain *c)
{
	const struct knhk_digest_src src = {
		.source = source,
		.count = c->count,
		.hash = c->hash,
	};

	xxh64_update(st, &src, sizeof(src));
}
