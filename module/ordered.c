// SPDX-License-Identifier: GPL-2.0
/*
 * ordered.c - the global ordered queue
 *
 * Ordered tasks wait in a min-heap keyed (timestamp, lane, submission
 * order), the seed's "(timestamp, core_id)" order made strict. A release
 * (instance.c) pops them in that order.
 */
#include <linux/min_heap.h>
#include <linux/slab.h>

#include <knhk/sched.h>

static bool knhk_ordered_less(const void *lhs, const void *rhs)
{
	const struct knhk_ordered_item *a = lhs, *b = rhs;

	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->lane != b->lane)
		return a->lane < b->lane;
	return a->seq < b->seq;
}

static void knhk_ordered_swap(void *lhs, void *rhs)
{
	swap(*(struct knhk_ordered_item *)lhs, *(struct knhk_ordered_item *)rhs);
}

static const struct min_heap_callbacks knhk_ordered_cb = {
	.elem_size	= sizeof(struct knhk_ordered_item),
	.less		= knhk_ordered_less,
	.swp		= knhk_ordered_swap,
};

/**
 * knhk_ordered_alloc() - allocate the heap of an instance being started
 * @inst: the instance; its ring size is final
 *
 * Return: 0 or -ENOMEM.
 */
int knhk_ordered_alloc(struct knhk_instance *inst)
{
	inst->heap.data = kvmalloc_array(inst->ring_size,
					 sizeof(struct knhk_ordered_item),
					 GFP_KERNEL_ACCOUNT);
	if (!inst->heap.data)
		return -ENOMEM;
	inst->heap.nr = 0;
	inst->heap.size = inst->ring_size;
	return 0;
}

/**
 * knhk_ordered_free() - free the heap
 * @inst: the instance
 */
void knhk_ordered_free(struct knhk_instance *inst)
{
	kvfree(inst->heap.data);
	inst->heap.data = NULL;
}

/**
 * knhk_ordered_room() - ordered tasks that can still be accepted
 * @inst: the instance, with @inst->lock held
 *
 * Return: free entries of the ordered queue: waiting tasks and released
 * tasks whose completion is unread share its @ring_size entries.
 */
u32 knhk_ordered_room(struct knhk_instance *inst)
{
	struct knhk_lane *ord;

	if (!inst->started)
		return inst->ring_size;
	ord = knhk_ordered_lane(inst);
	return inst->ring_size - inst->heap.nr -
	       knhk_ring_pending(&ord->ring, KNHK_STAGE_SUBMIT);
}

/**
 * knhk_ordered_push() - queue an accepted ordered task
 * @inst: the instance, with @inst->lock held and knhk_ordered_room() > 0
 * @e: the task, stamped, with its caller timestamp
 * @lane: its lane
 */
void knhk_ordered_push(struct knhk_instance *inst,
		       const struct knhk_batch_entry *e, u32 lane)
{
	struct knhk_ordered_item item = {
		.ts	= e->ts,
		.seq	= inst->ordered_seq++,
		.lane	= lane,
		.task	= e->task,
	};

	min_heap_push(&inst->heap, &item, &knhk_ordered_cb);
}

/**
 * knhk_ordered_pop() - take the first ordered task
 * @inst: the instance, with @inst->lock held
 * @all: take it whatever its timestamp
 * @watermark: else, take it only if its timestamp is at most this
 * @item: gets the task
 *
 * Return: true if a task was taken.
 */
bool knhk_ordered_pop(struct knhk_instance *inst, bool all, u64 watermark,
		      struct knhk_ordered_item *item)
{
	const struct knhk_ordered_item *top = inst->heap.data;

	if (!inst->heap.nr || (!all && top->ts > watermark))
		return false;
	*item = *top;
	min_heap_pop(&inst->heap, &knhk_ordered_cb);
	return true;
}
