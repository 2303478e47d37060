/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ring.h - bounded lock-free ring of slots passed through fixed stages
 *
 * A lane's ring carries each task through three stages in FIFO order: the
 * submit path writes it, the lane's worker runs it and writes its result in
 * the same slot, and the completion reader copies the result out and frees
 * the slot. Each stage has exactly one owner at a time and a free-running
 * 32-bit cursor that only the owner writes; stage s may process the slots
 * between its cursor and stage s-1's (stage 0: the last stage's cursor plus
 * the ring size). With two stages this is the classic single-producer,
 * single-consumer ring; three stages let the result travel back in place,
 * without a second queue and without copying the task.
 *
 * Cursors are compared by unsigned subtraction, so they may wrap. Each cursor
 * sits on its own cache line together with the owner's cached copy of its
 * bound, so a stage only touches another stage's line when it runs out of
 * work it already knows about.
 */
#ifndef _KNHK_RING_H
#define _KNHK_RING_H

#include <linux/cache.h>
#include <linux/compiler.h>
#include <linux/types.h>
#include <asm/barrier.h>

#define KNHK_RING_MAX_STAGES	3

/**
 * struct knhk_ring_cursor - one stage's position
 * @pos: slots this stage has finished, free-running; written by the owner
 *	only, with release semantics, read by the next stage with acquire
 * @bound: owner's cached copy of how far it may go (private to the owner)
 */
struct knhk_ring_cursor {
	u32 pos;
	u32 bound;
} ____cacheline_aligned_in_smp;

/**
 * struct knhk_ring - the cursors of a ring; the slots are the caller's
 * @cur: one cursor per stage, stage 0 first
 * @mask: number of slots minus one (the number of slots is a power of two)
 * @nstages: stages in use, 2..%KNHK_RING_MAX_STAGES
 */
struct knhk_ring {
	struct knhk_ring_cursor cur[KNHK_RING_MAX_STAGES];
	u32 mask;
	u32 nstages;
};

/**
 * knhk_ring_init() - empty a ring
 * @r: the ring
 * @size: number of slots, a power of two
 * @nstages: number of stages, 2..%KNHK_RING_MAX_STAGES
 * @start: initial value of every cursor (tests start near U32_MAX to cover
 *	wrap-around; users pass 0)
 */
static inline void knhk_ring_init(struct knhk_ring *r, u32 size,
				  unsigned int nstages, u32 start)
{
	unsigned int s;

	for (s = 0; s < KNHK_RING_MAX_STAGES; s++) {
		r->cur[s].pos = start;
		r->cur[s].bound = start;
	}
	r->mask = size - 1;
	r->nstages = nstages;
}

/* The current bound of stage @s, read from the stage it waits for. */
static inline u32 knhk_ring_load_bound(const struct knhk_ring *r,
				       unsigned int s)
{
	u32 prev = s ? s - 1 : r->nstages - 1;
	/* Pairs with the release in knhk_ring_advance() of stage @prev. */
	u32 pos = smp_load_acquire(&r->cur[prev].pos);

	/* Stage 0 refills slots the last stage has freed, one lap behind. */
	return s ? pos : pos + r->mask + 1;
}

/**
 * knhk_ring_ready() - slots stage @s may process now
 * @r: the ring
 * @s: the stage; only its owner may call this
 *
 * Return: the number of slots, from knhk_ring_slot() on, that the previous
 * stage has handed over (for stage 0: that are free). The acquire load
 * orders the owner's accesses to those slots after the handover.
 */
static inline u32 knhk_ring_ready(struct knhk_ring *r, unsigned int s)
{
	struct knhk_ring_cursor *c = &r->cur[s];

	if (c->bound == c->pos)
		c->bound = knhk_ring_load_bound(r, s);
	return c->bound - c->pos;
}

/**
 * knhk_ring_slot() - index of stage @s's next slot
 * @r: the ring
 * @s: the stage
 * @i: offset from the stage's cursor, below knhk_ring_ready()
 *
 * Return: the slot index, 0..size-1.
 */
static inline u32 knhk_ring_slot(const struct knhk_ring *r, unsigned int s,
				 u32 i)
{
	return (r->cur[s].pos + i) & r->mask;
}

/**
 * knhk_ring_advance() - hand @n slots of stage @s to the next stage
 * @r: the ring
 * @s: the stage; only its owner may call this
 * @n: slots finished, at most what knhk_ring_ready() returned
 *
 * The release store orders the owner's accesses to the slots before the
 * next stage can see them.
 */
static inline void knhk_ring_advance(struct knhk_ring *r, unsigned int s,
				     u32 n)
{
	/* Pairs with the acquire in knhk_ring_load_bound() of the next stage. */
	smp_store_release(&r->cur[s].pos, r->cur[s].pos + n);
}

/**
 * knhk_ring_pending() - slots stage @s has not finished yet
 * @r: the ring
 * @s: the stage; anyone may call this (a snapshot)
 *
 * Return: how many slots the previous stage has handed to @s that @s has
 * not passed on; for stage 0, how many slots are in use.
 */
static inline u32 knhk_ring_pending(const struct knhk_ring *r, unsigned int s)
{
	u32 last = r->nstages - 1;

	if (s == 0)
		return READ_ONCE(r->cur[0].pos) - READ_ONCE(r->cur[last].pos);
	return READ_ONCE(r->cur[s - 1].pos) - READ_ONCE(r->cur[s].pos);
}

#endif /* _KNHK_RING_H */
