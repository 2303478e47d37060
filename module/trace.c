// SPDX-License-Identifier: GPL-2.0
/*
 * trace.c - the module's tracepoints, defined once here; their events and
 * fields are in include/trace/events/knhk_sched.h
 */
#define CREATE_TRACE_POINTS
#include <trace/events/knhk_sched.h>
