/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_rel.h - helpers of the reliability selftests (knhk_life, knhk_perm,
 * knhk_fault, knhk_fuzz): a fixed workload run step by step, whose digest
 * is compared with a fresh reference run; loading and unloading the module;
 * the kernel log; debugfs paths.
 *
 * Include after kselftest_harness.h.
 */
#ifndef KNHK_REL_H
#define KNHK_REL_H

#include <dirent.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "knhk_core.h"

#define REL_DEBUGFS	"/sys/kernel/debug/knhk_sched"
#define REL_MODNAME	"knhk_sched"

/* ---- the module ---- */

/* The module file the guest loaded: $KNHK_KO, else /knhk/knhk_sched.ko. */
static inline const char *rel_ko_path(void)
{
	const char *p = getenv("KNHK_KO");

	return p && *p ? p : "/knhk/knhk_sched.ko";
}

/* 0 or -errno. */
static inline int rel_unload(void)
{
	return syscall(SYS_delete_module, REL_MODNAME, O_NONBLOCK) ? -errno : 0;
}

static inline int rel_load(void)
{
	int fd = open(rel_ko_path(), O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = syscall(SYS_finit_module, fd, "", 0) ? -errno : 0;
	close(fd);
	return r;
}

/* The instance number of an open fd (STATS.instance), or -errno. */
static inline long rel_instance(int fd)
{
	struct knhk_stats s;
	int r = knhk_stats(fd, &s, NULL, 0);

	return r ? r : (long)s.instance;
}

/* ---- a fixed workload, step by step ---- */

enum rel_step {
	RW_OPEN, RW_CONFIGURE, RW_SUBMIT, RW_GUARDS, RW_SUBMIT_ORDERED,
	RW_RELEASE, RW_READ, RW_DIGEST, RW_CLOSE, RW_NR_STEPS
};

static const char *const rel_step_name[RW_NR_STEPS] = {
	"open", "configure", "submit", "guards", "submit-ordered",
	"release", "read", "digest", "close",
};

#define RW_PLAIN	64
#define RW_ORDERED	8
#define RW_END		(-1)

/* Orders of the steps: which call starts the instance differs. */
static const int rel_plan_submit[] = {
	RW_OPEN, RW_CONFIGURE, RW_SUBMIT, RW_GUARDS, RW_SUBMIT_ORDERED,
	RW_RELEASE, RW_READ, RW_DIGEST, RW_CLOSE, RW_END,
};

static const int rel_plan_ordered[] = {
	RW_OPEN, RW_CONFIGURE, RW_SUBMIT_ORDERED, RW_GUARDS, RW_SUBMIT,
	RW_RELEASE, RW_READ, RW_DIGEST, RW_CLOSE, RW_END,
};

static const int rel_plan_release[] = {
	RW_OPEN, RW_CONFIGURE, RW_RELEASE, RW_GUARDS, RW_SUBMIT_ORDERED,
	RW_SUBMIT, RW_RELEASE, RW_READ, RW_DIGEST, RW_CLOSE, RW_END,
};

struct rel_wl {
	int fd;
	__u32 cfg_flags;
	struct knhk_task plain[RW_PLAIN];
	struct knhk_ordered_task ord[RW_ORDERED];
	struct knhk_submit sb, osb;
	__u32 released;
	long to_read;
	struct knhk_completion done[RW_PLAIN + RW_ORDERED];
	struct knhk_digest d;
};

static inline void rel_wl_init(struct rel_wl *w, __u32 cfg_flags)
{
	__u64 seed = 0x5eed0005ULL;
	int i;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->cfg_flags = cfg_flags;
	for (i = 0; i < RW_PLAIN; i++)
		task_random(&w->plain[i], 1000 + i, &seed);
	for (i = 0; i < RW_ORDERED; i++) {
		w->ord[i].timestamp = 100 + (i * 7) % 5;
		task_pure(&w->ord[i].task, 5000 + i, test_rand(&seed));
	}
	core_sb(&w->sb, w->plain, RW_PLAIN);
	core_sb(&w->osb, w->ord, RW_ORDERED);
}

/* Run one step; 0 or -errno. A failed step may be repeated. */
static inline int rel_wl_step(struct rel_wl *w, int step)
{
	static const __u32 guards[] = { 3, 17, 64, 100, 511 };
	struct knhk_release rel = {
		.size = sizeof(rel), .flags = KNHK_RELEASE_ALL,
	};
	long r;

	switch (step) {
	case RW_OPEN:
		w->fd = knhk_open(0);
		return w->fd < 0 ? -errno : 0;
	case RW_CONFIGURE:
		return core_config(w->fd, w->cfg_flags, 4, 64, 320);
	case RW_SUBMIT:
		/* Repeating the same struct continues where it stopped. */
		r = knhk_ioctl(w->fd, KNHK_IOC_SUBMIT, &w->sb);
		if (!r)
			w->to_read += RW_PLAIN;
		return r;
	case RW_SUBMIT_ORDERED:
		return knhk_ioctl(w->fd, KNHK_IOC_SUBMIT_ORDERED, &w->osb);
	case RW_GUARDS:
		return core_guards(w->fd, KNHK_GUARDS_SET, guards,
				   ARRAY_SIZE(guards));
	case RW_RELEASE:
		r = knhk_ioctl(w->fd, KNHK_IOC_RELEASE, &rel);
		if (!r) {
			w->released += rel.released;
			w->to_read += rel.released;
		}
		return r;
	case RW_READ:
		r = knhk_read_all(w->fd, w->done, w->to_read);
		return r < 0 ? r : 0;
	case RW_DIGEST:
		return core_digest(w->fd, &w->d);
	case RW_CLOSE:
		r = close(w->fd) ? -errno : 0;
		w->fd = -1;
		return r;
	}
	return -EINVAL;
}

/* Run a whole plan; 0 or the first -errno (the fd is closed either way). */
static inline int rel_wl_run(struct rel_wl *w, const int *plan)
{
	int i, r = 0;

	for (i = 0; plan[i] != RW_END && !r; i++)
		r = rel_wl_step(w, plan[i]);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	return r;
}

/* ---- the kernel log ---- */

/*
 * Kernel log records since rel_kmsg_open(): count those that look like a
 * kernel error report (the patterns of scripts/qemu-run.sh but "Call
 * Trace:", which every report has beside its own header line, and which
 * allocation failure warnings have alone), printing them. A KCSAN report
 * counts only if its title or an access stack above any interrupt entry
 * names knhk, or if it has not ended yet, but for poll()'s wake-up flag
 * (pollwake / poll_schedule_timeout), the kernel's own whoever wakes
 * (kcsan_reports in scripts/lib.sh: the kernel's own races are not ours).
 */
static inline int rel_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

static inline int rel_kmsg_bad(int fd, int *alloc_warnings)
{
	static const char *const bad[] = {
		"BUG:", "kernel BUG at", "WARNING:", "Oops", "Kernel panic",
		"KASAN", "UBSAN", "possible recursive locking",
		"possible circular locking", "lockdep is turned off",
		"locking correctness validator", "unreferenced object",
		"general protection fault", "INFO: task", "detected stall",
	};
	char rec[8192], kcsan[256] = "";
	bool kcsan_own = false, kcsan_kernel = false, cut = true;
	int nbad = 0;
	size_t i;

	if (alloc_warnings)
		*alloc_warnings = 0;
	for (;;) {
		ssize_t n = read(fd, rec, sizeof(rec) - 1);

		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten records: go on */
		if (n <= 0)
			break;
		rec[n] = 0;
		if (alloc_warnings && (strstr(rec, "vmalloc error") ||
				       strstr(rec, "allocation failure")))
			(*alloc_warnings)++;
		if (strstr(rec, "BUG: KCSAN:")) {
			snprintf(kcsan, sizeof(kcsan), "%.200s", rec);
			kcsan[strcspn(kcsan, "\n")] = 0;
			kcsan_own = !!strstr(rec, "knhk");
			kcsan_kernel = !kcsan_own && strstr(rec, "pollwake") &&
				       strstr(rec, "poll_schedule_timeout");
			cut = true;
			continue;
		}
		if (kcsan[0]) {
			size_t len = strcspn(rec, "\n");

			/* An access stack starts; an interrupt entry ends it. */
			if (len && rec[len - 1] == ':' && strstr(rec, " on cpu "))
				cut = false;
			else if (strstr(rec, " asm_") ||
				 strstr(rec, "Reported by Kernel Concurrency"))
				cut = true;
			else if (!cut && strstr(rec, "knhk"))
				kcsan_own = true;
			if (!strstr(rec, "======"))
				continue;
			if (kcsan_own && !kcsan_kernel) {
				printf("# kernel: %s\n", kcsan);
				nbad++;
			}
			kcsan[0] = 0;
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(bad); i++) {
			if (strstr(rec, bad[i])) {
				printf("# kernel: %s", rec);
				nbad++;
				break;
			}
		}
	}
	if (kcsan[0]) {
		printf("# kernel: %s\n", kcsan);
		nbad++;
	}
	return nbad;
}

/* Console log level (first field of /proc/sys/kernel/printk); -1 on error. */
static inline int rel_console_level(int set)
{
	char buf[64] = "";
	int fd = open("/proc/sys/kernel/printk", O_RDWR | O_CLOEXEC), old = -1;

	if (fd < 0)
		return -1;
	if (read(fd, buf, sizeof(buf) - 1) > 0)
		old = atoi(buf);
	if (set >= 0) {
		snprintf(buf, sizeof(buf), "%d", set);
		if (pwrite(fd, buf, strlen(buf), 0) < 0)
			old = -1;
	}
	close(fd);
	return old;
}

/* Write a string to a file; 0 or -errno. */
static inline int rel_write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), r = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		r = -errno;
	close(fd);
	return r;
}

/*
 * Runs of the instance behind @fd, summed over its lanes: how many times
 * workers took one of them off a ready list (debugfs stats, "laneN ...
 * runs R"). What idle and parked lanes cost, which must be nothing.
 * -errno, or -ENODATA for a stats file without runs.
 */
static inline long long rel_lane_runs(int fd)
{
	static char buf[1 << 16];	/* 256 lanes: about 13 KiB */
	long id = rel_instance(fd);
	long long sum = 0;
	char path[96], *p;
	ssize_t n;
	int lines = 0;

	if (id < 0)
		return id;
	snprintf(path, sizeof(path), REL_DEBUGFS "/%ld/stats", id);
	n = knhk_read_file(path, buf, sizeof(buf));
	if (n < 0)
		return n;
	for (p = buf; (p = strstr(p, " runs ")); p += 6, lines++)
		sum += strtoll(p + 6, NULL, 10);
	return lines ? sum : -ENODATA;
}

/* Wait up to @ms for @pid to exit; its wait status, or -1 on timeout. */
static inline int rel_wait_ms(pid_t pid, int ms)
{
	int st, i;

	for (i = 0; i < ms; i += 10) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return st;
		usleep(10000);
	}
	return -1;
}

static inline int rel_pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set) ? -errno : 0;
}

/*
 * A thread that reads the replay file @path until @stop is set, counting
 * the bytes: a reader that keeps a lossless stream moving.
 */
struct drainer {
	char path[128];
	int stop;	/* atomic */
	long bytes;
};

static inline void *drain_fn(void *arg)
{
	struct drainer *d = arg;
	char buf[16384];
	int fd = open(d->path, O_RDONLY);

	if (fd < 0)
		return NULL;
	while (!__atomic_load_n(&d->stop, __ATOMIC_RELAXED)) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n > 0)
			d->bytes += n;
		else
			usleep(1000);
	}
	close(fd);
	return NULL;
}

#endif /* KNHK_REL_H */
