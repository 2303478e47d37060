/* SPDX-License-Identifier: GPL-2.0 */
/*
 * clock.h - Lamport clocks and the canonical order of events
 *
 * Each clock has a single owner (the submit path, one lane's worker, the
 * ordered chain), so there is nothing atomic here: determinism comes from
 * the owner seeing its inputs in a fixed order, not from synchronisation.
 */
#ifndef _KNHK_CLOCK_H
#define _KNHK_CLOCK_H

#include <linux/bits.h>
#include <linux/minmax.h>
#include <linux/types.h>
#include <uapi/linux/knhk_sched.h>

/*
 * Largest caller-supplied timestamp: leaves room for 2^62 more ticks, so no
 * clock can wrap and break max().
 */
#define KNHK_TS_MAX	BIT_ULL(62)

/**
 * struct knhk_clock - a Lamport clock
 * @now: the last timestamp given out, 0 before the first
 */
struct knhk_clock {
	u64 now;
};

/**
 * knhk_clock_tick() - stamp a local event
 * @c: the clock
 *
 * Return: the new time, one more than the last.
 */
static inline u64 knhk_clock_tick(struct knhk_clock *c)
{
	return ++c->now;
}

/**
 * knhk_clock_recv() - stamp an event caused by one stamped @remote
 * @c: the clock
 * @remote: the cause's timestamp
 *
 * Return: max(local, @remote) + 1, which is also the new local time.
 */
static inline u64 knhk_clock_recv(struct knhk_clock *c, u64 remote)
{
	c->now = max(c->now, remote) + 1;
	return c->now;
}

/**
 * knhk_event_cmp() - canonical order of two events
 * @a: an event
 * @b: another
 *
 * Orders by (timestamp, source, per-source sequence): lanes first by
 * number, then the ordered chain, then the submit path. If @a happened
 * before @b then @a sorts first; concurrent events are still ordered, the
 * same way everywhere.
 *
 * Return: negative, 0 or positive as @a sorts before, with or after @b.
 */
static inline int knhk_event_cmp(const struct knhk_event *a,
				 const struct knhk_event *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts ? -1 : 1;
	if (a->source != b->source)
		return a->source < b->source ? -1 : 1;
	if (a->seq != b->seq)
		return a->seq < b->seq ? -1 : 1;
	return 0;
}

#endif /* _KNHK_CLOCK_H */
