// SPDX-License-Identifier: GPL-2.0
/*
 * ordered.c - the global ordered queue
 *
 * Ordered tasks wait in a min-heap keyed (timestamp, lane, submission
 * order), the seed's "(timestamp, core_id)" order made strict. A release
 * (instance.c) pops them in that order.
 */
#include <linux/slab.h>

#include <knhk/sched.h>

/*
 * The heap is our own, not <linux/min_heap.h>: that API changed shape
 * twice since 6.1 (type-safe heaps and callbacks with an argument in 6.9,
 * push and pop out of line behind CONFIG_MIN_HEAP from 6.14, which a
 * kernel may leave off), and every comparison went through a function
 * pointer, a retpoline on Debian's kernels. A sift-up and a sift-down on an
 * array of one known type are a few lines, read the same on every kernel,
 * and compare inline.
 */
static bool knhk_ordered_less(const struct knhk_ordered_item *a,
			      const struct knhk_ordered_item *b)
{
	if (a->ts != b->ts)
		return a->ts < b->ts;
	if (a->lane != b->lane)
		return a->lane < b->lane;
	return a->seq < b->seq;
}

/* Move heap[i] up to where its parent is not greater. */
static void knhk_heap_sift_up(struct knhk_ordered_item *heap, u32 i)
{
	while (i) {
		u32 parent = (i - 1) / 2;

		if (!knhk_ordered_less(&heap[i], &heap[parent]))
			break;
		swap(heap[i], heap[parent]);
		i = parent;
	}
}

/* Move heap[i] down to where no child is smaller; the heap holds @nr. */
static void knhk_heap_sift_down(struct knhk_ordered_item *heap, u32 nr, u32 i)
{
	for (;;) {
		u32 l = 2 * i + 1, min = i;

		if (l < nr && knhk_ordered_less(&heap[l], &heap[min]))
			min = l;
		if (l + 1 < nr && knhk_ordered_less(&heap[l + 1], &heap[min]))
			min = l + 1;
		if (min == i)
			break;
		swap(heap[i], heap[min]);
		i = min;
	}
}

/**
 * knhk_ordered_alloc() - allocate the heap of an instance being started
 * @inst: the instance; its ring size is final
 *
 * Return: 0 or -ENOMEM.
 */
int knhk_ordered_alloc(struct knhk_instance *inst)
{
	inst->heap = kvmalloc_array(inst->ring_size, sizeof(*inst->heap),
				    GFP_KERNEL_ACCOUNT);
	if (!inst->heap)
		return -ENOMEM;
	inst->heap_nr = 0;
	return 0;
}

/**
 * knhk_ordered_free() - free the heap
 * @inst: the instance
 */
void knhk_ordered_free(struct knhk_instance *inst)
{
	kvfree(inst->heap);
	inst->heap = NULL;
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
	return inst->ring_size - inst->heap_nr -
	       knhk_ring_pending(&ord->ring, KNHK_STAGE_SUBMIT);
}

/**
 * knhk_ordered_push() - queue an accepted ordered task
 * @inst: the instance, with @inst->lock held and knhk_ordered_room() > 0
 * @t: the task, stamped
 * @ts: its caller's timestamp
 * @lane: its lane
 */
void knhk_ordered_push(struct knhk_instance *inst,
		       const struct knhk_task_x *t, u64 ts, u32 lane)
{
	struct knhk_ordered_item *item = &inst->heap[inst->heap_nr];

	item->ts = ts;
	item->seq = inst->ordered_seq++;
	item->lane = lane;
	knhk_task_copy(&item->task, t);
	knhk_heap_sift_up(inst->heap, inst->heap_nr++);
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
	struct knhk_ordered_item *heap = inst->heap;

	if (!inst->heap_nr || (!all && heap[0].ts > watermark))
		return false;
	*item = heap[0];
	heap[0] = heap[--inst->heap_nr];
	knhk_heap_sift_down(heap, inst->heap_nr, 0);
	return true;
}
