/* SPDX-License-Identifier: GPL-2.0 */
/*
 * trace_lat.h - a task's latencies from the module's tracepoints
 * (include/trace/events/knhk_sched.h), read through tracefs in the guest
 */
#ifndef KNHK_TRACE_LAT_H
#define KNHK_TRACE_LAT_H

#include <stdint.h>

/* The figures of one traced round, in ns (the trace's µs resolution). */
enum {
	LAT_SE_P50,	/* knhk_submit -> knhk_execute, median */
	LAT_SE_P99,
	LAT_EC_P50,	/* knhk_execute -> knhk_complete */
	LAT_EC_P99,
	LAT_NR,
};

void lat_begin(void);
void lat_end(uint32_t inst, uint64_t ntasks, double fig[LAT_NR]);

#endif /* KNHK_TRACE_LAT_H */
