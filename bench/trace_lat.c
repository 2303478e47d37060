// SPDX-License-Identifier: GPL-2.0
/*
 * trace_lat.c - submit -> execute -> complete latencies from the module's
 * tracepoints, for knhk_bench's latency figures.
 *
 * The events go to a tracefs instance of our own (its own buffer), on the
 * "mono" clock: one clocksource read on every CPU, so a worker's event and
 * its submitter's, on different vCPUs, are comparable (the default "local"
 * clock is per CPU, and under TCG the CPUs' clocks drift apart by tens of
 * microseconds). Events pair by (instance, enqueue timestamp), which names
 * one task. The text trace prints microseconds, so that is the resolution.
 */
#include <errno.h>
#include <inttypes.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace_lat.h"

#define LAT_INSTANCE	"knhk_bench"

static char lat_dir[128];

static void lat_die(const char *what)
{
	fprintf(stderr, "knhk_bench: tracefs: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void lat_write(const char *file, const char *val)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", lat_dir, file);
	fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		lat_die(path);
	close(fd);
}

/* Make our instance, empty, on the mono clock, the module's events on. */
void lat_begin(void)
{
	static const char *const roots[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	size_t i;

	if (!lat_dir[0]) {
		for (i = 0; i < 2 && !lat_dir[0]; i++) {
			snprintf(lat_dir, sizeof(lat_dir), "%s/instances", roots[i]);
			if (access(lat_dir, F_OK))
				lat_dir[0] = 0;
		}
		if (!lat_dir[0] &&
		    mount("tracefs", roots[0], "tracefs", 0, NULL))
			lat_die("mount /sys/kernel/tracing");
		if (!lat_dir[0])
			snprintf(lat_dir, sizeof(lat_dir), "%s/instances", roots[0]);
		strcat(lat_dir, "/" LAT_INSTANCE);
		if (mkdir(lat_dir, 0700) && errno != EEXIST)
			lat_die(lat_dir);
		lat_write("trace_clock", "mono");
		lat_write("buffer_size_kb", "4096");
	}
	lat_write("trace", "");
	lat_write("events/knhk_sched/enable", "1");
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static double pct(uint64_t *v, size_t n, int p)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n ? (double)v[(n - 1) * p / 100] : 0;
}

/*
 * Events off; pair every task of knhk instance @inst (enqueue timestamps
 * below @ntasks + its warm-up) and fill @fig. A task with an event
 * missing, or a buffer that lost events, is fatal: the figures would lie.
 */
void lat_end(uint32_t inst, uint64_t ntasks, double fig[LAT_NR])
{
	enum { SUB, EXE, COM };
	static const char *const names[] = {
		": knhk_submit: ", ": knhk_execute: ", ": knhk_complete: ",
	};
	uint64_t cap = ntasks + 4096, *t[3], *se, *ec, ns;
	unsigned long long enq;
	unsigned long long in_buf = 0, written = 0;
	size_t n = 0, i, k;
	char path[256], line[512];
	unsigned int in;
	FILE *f;

	lat_write("events/knhk_sched/enable", "0");
	for (k = 0; k < 3; k++) {
		t[k] = calloc(cap, sizeof(uint64_t));
		if (!t[k])
			lat_die("calloc");
	}
	snprintf(path, sizeof(path), "%s/trace", lat_dir);
	f = fopen(path, "re");
	if (!f)
		lat_die(path);
	while (fgets(line, sizeof(line), f)) {
		char *p = NULL, *a, *b, *ts;

		if (sscanf(line, "# entries-in-buffer/entries-written: %llu/%llu",
			   &in_buf, &written) == 2)
			continue;
		for (k = 0; k < 3 && !p; k++)
			p = strstr(line, names[k]);
		a = p ? strstr(p, "inst=") : NULL;
		b = p ? strstr(p, "enq=") : NULL;
		if (!a || !b || sscanf(a, "inst=%u", &in) != 1 || in != inst ||
		    sscanf(b, "enq=%llu", &enq) != 1)
			continue;
		/* The time stamp ends where the event's name begins. */
		*p = 0;
		ts = strrchr(line, ' ');
		ns = (uint64_t)(strtod(ts ? ts : line, NULL) * 1e9 + 0.5);
		if (enq >= cap)
			continue;
		t[k - 1][enq] = ns;
	}
	fclose(f);
	if (written != in_buf) {
		fprintf(stderr, "knhk_bench: the trace lost %llu events: %s\n",
			written - in_buf, lat_dir);
		exit(1);
	}
	se = calloc(cap, sizeof(*se));
	ec = calloc(cap, sizeof(*ec));
	if (!se || !ec)
		lat_die("calloc");
	for (i = 0; i < cap; i++) {
		if (!t[SUB][i])
			continue;
		if (!t[EXE][i] || !t[COM][i]) {
			fprintf(stderr, "knhk_bench: task enq=%zu has no %s event\n",
				i, t[EXE][i] ? "knhk_complete" : "knhk_execute");
			exit(1);
		}
		/* mono is monotonic across CPUs: never negative. */
		se[n] = t[EXE][i] - t[SUB][i];
		ec[n] = t[COM][i] - t[EXE][i];
		n++;
	}
	if (n < ntasks) {
		fprintf(stderr, "knhk_bench: %zu traced tasks, %llu submitted\n",
			n, (unsigned long long)ntasks);
		exit(1);
	}
	fig[LAT_SE_P50] = pct(se, n, 50);
	fig[LAT_SE_P99] = pct(se, n, 99);
	fig[LAT_EC_P50] = pct(ec, n, 50);
	fig[LAT_EC_P99] = pct(ec, n, 99);
	for (k = 0; k < 3; k++)
		free(t[k]);
	free(se);
	free(ec);
}
