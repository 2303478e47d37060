/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_sched.h - tracepoints of a task's life: submit, release (ordered
 * tasks), execute, complete
 *
 * Every field but @cpu is deterministic: the same calls give the same
 * values on any run, CPU count or kernel. A task is named by its instance
 * and its enqueue timestamp (@enq), which the submit clock gives out once
 * per accepted task; task ids are the caller's and may repeat. Pairing
 * events by (inst, enq) gives a task's latencies from the trace's own
 * clock. Off, each call site is a patched-out jump (a static key), and the
 * arguments are pointers the call sites already hold: every field is
 * computed in TP_fast_assign, only while the event is on.
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM knhk_sched

#if !defined(_TRACE_KNHK_SCHED_H) || defined(TRACE_HEADER_MULTI_READ)
#define _TRACE_KNHK_SCHED_H

#include <linux/smp.h>
#include <linux/tracepoint.h>

#include <knhk/sched.h>

/*
 * knhk_submit - the submit path accepted a task
 * @inst: the instance
 * @t: the task, stamped with its enqueue timestamp
 * @ts: an ordered task's caller timestamp (0 for a plain task)
 * @ordered: the task waits for a release in the ordered queue
 */
TRACE_EVENT(knhk_submit,
	    TP_PROTO(const struct knhk_instance *inst,
		     const struct knhk_task_x *t, u64 ts, bool ordered),
	    TP_ARGS(inst, t, ts, ordered),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(u64, enq)
			     __field(u64, ts)
			     __field(u32, inst)
			     __field(u32, lane)
			     __field(u32, cpu)
			     __field(u8, ordered)
			     __field(u8, guard_failed)),
	    TP_fast_assign(__entry->task_id = t->task_id;
			   __entry->enq = t->enqueue_ts;
			   __entry->ts = ts;
			   __entry->inst = inst->id;
			   __entry->lane = knhk_task_lane(inst, t->task_id);
			   __entry->cpu = raw_smp_processor_id();
			   __entry->ordered = ordered;
			   __entry->guard_failed = t->guard_failed;),
	    TP_printk("inst=%u lane=%u task=%llu enq=%llu ordered=%u ts=%llu guard_failed=%u cpu=%u",
		      __entry->inst, __entry->lane, __entry->task_id,
		      __entry->enq, __entry->ordered, __entry->ts,
		      __entry->guard_failed, __entry->cpu)
);

/*
 * knhk_release - a release took an ordered task out of the ordered queue;
 *	its knhk_execute follows at once
 * @inst: the instance
 * @item: the task, its caller timestamp and ordered sequence number
 * @release_ts: the release's timestamp (submit clock)
 */
TRACE_EVENT(knhk_release,
	    TP_PROTO(const struct knhk_instance *inst,
		     const struct knhk_ordered_item *item, u64 release_ts),
	    TP_ARGS(inst, item, release_ts),
	    TP_STRUCT__entry(__field(u64, task_id)
			     __field(u64, enq)
			     __field(u64, ts)
			     __field(u64, seq)
			     __field(u64, release_ts)
			     __field(u32, inst)
			     __field(u32, lane)
			     __field(u32, cpu)),
	    TP_fast_assign(__entry->task_id = item->task.task_id;
			   __entry->enq = item->task.enqueue_ts;
			   __entry->ts = item->ts;
			   __entry->seq = item->seq;
			   __entry->release_ts = release_ts;
			   __entry->inst = inst->id;
			   __entry->lane = item->lane;
			   __entry->cpu = raw_smp_processor_id();),
	    TP_printk("inst=%u lane=%u task=%llu enq=%llu ts=%llu seq=%llu release_ts=%llu cpu=%u",
		      __entry->inst, __entry->lane, __entry->task_id,
		      __entry->enq, __entry->ts, __entry->seq,
		      __entry->release_ts, __entry->cpu)
);

/*
 * A task in its slot after it ran: its result and both timestamps. @cpu
 * is the CPU the event happened on: the worker's for knhk_execute (a
 * release's, for an ordered task), the reader's for knhk_complete.
 */
DECLARE_EVENT_CLASS(knhk_slot_class,
		    TP_PROTO(const struct knhk_lane *lane,
			     const struct knhk_slot *slot),
		    TP_ARGS(lane, slot),
		    TP_STRUCT__entry(__field(u64, task_id)
				     __field(u64, enq)
				     __field(u64, exec)
				     __field(u64, output)
				     __field(u32, inst)
				     __field(u32, lane)
				     __field(u32, status)
				     __field(u32, ticks)
				     __field(u32, cpu)
				     __field(u8, ordered)),
		    TP_fast_assign(__entry->task_id = slot->task.task_id;
				   __entry->enq = slot->task.enqueue_ts;
				   __entry->exec = slot->execute_ts;
				   __entry->output = slot->res.output;
				   __entry->inst = lane->inst->id;
				   __entry->lane = knhk_task_lane(lane->inst,
								  slot->task.task_id);
				   __entry->status = slot->res.status;
				   __entry->ticks = slot->res.ticks;
				   __entry->cpu = raw_smp_processor_id();
				   __entry->ordered = lane->source ==
						      KNHK_SRC_ORDERED;),
		    TP_printk("inst=%u lane=%u task=%llu enq=%llu ordered=%u exec=%llu status=%u ticks=%u output=%#llx cpu=%u",
			      __entry->inst, __entry->lane, __entry->task_id,
			      __entry->enq, __entry->ordered, __entry->exec,
			      __entry->status, __entry->ticks, __entry->output,
			      __entry->cpu)
);

/*
 * knhk_execute - a task ran (or, its guards failed, was completed unrun)
 * @lane: the lane or ordered chain it ran on
 * @slot: its slot, with the result and the execute timestamp
 */
DEFINE_EVENT(knhk_slot_class, knhk_execute,
	     TP_PROTO(const struct knhk_lane *lane,
		      const struct knhk_slot *slot),
	     TP_ARGS(lane, slot)
);

/*
 * knhk_complete - the task's completion was handed to the reader (read()
 *	or, in step mode, run-cycle)
 * @lane: the lane or ordered chain it ran on
 * @slot: its slot, not yet freed
 */
DEFINE_EVENT(knhk_slot_class, knhk_complete,
	     TP_PROTO(const struct knhk_lane *lane,
		      const struct knhk_slot *slot),
	     TP_ARGS(lane, slot)
);

#endif /* _TRACE_KNHK_SCHED_H */

/*
 * Helpers for the call sites, outside the multi-read part: they use the
 * trace_*() functions the first read declared.
 */
#ifndef _TRACE_KNHK_SCHED_HELPERS
#define _TRACE_KNHK_SCHED_HELPERS

/*
 * The reader took @n completions from @lane, not freed yet: one
 * knhk_complete each. Off, one patched-out jump for the whole batch.
 */
static inline void knhk_trace_reaped(const struct knhk_lane *lane, u32 n)
{
	u32 i;

	if (!trace_knhk_complete_enabled())
		return;
	for (i = 0; i < n; i++) {
		u32 s = knhk_ring_slot(&lane->ring, KNHK_STAGE_REAP, i);

		trace_knhk_complete(lane, &lane->slots[s]);
	}
}

#endif /* _TRACE_KNHK_SCHED_HELPERS */

/*
 * define_trace.h includes this file again from <trace/events/TRACE_SYSTEM.h>
 * (TRACE_INCLUDE_PATH and TRACE_INCLUDE_FILE left at their defaults): an
 * out-of-tree module's include/ is on the path (Kbuild: -I$(src)/include),
 * so that is where this file lives. Outside every guard: it reads this
 * file again.
 */
#include <trace/define_trace.h>
