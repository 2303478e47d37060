/* SPDX-License-Identifier: GPL-2.0 */
/*
 * knhk_test.h - helpers shared by the knhk-sched selftests.
 *
 * Include after kselftest_harness.h. The helpers that check things take the
 * harness' _metadata so ASSERT_* and EXPECT_* work inside them.
 *
 * Expected results are never copied from a run: struct knhk_model below
 * recomputes every deterministic field of a completion from the contract
 * (docs in include/uapi/linux/knhk_sched.h and shared/DESIGN.md).
 */
#ifndef KNHK_TEST_H
#define KNHK_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/knhk_sched.h>

#define KNHK_DEV	"/dev/" KNHK_DEVICE_NAME
#define KNHK_MAX_CPUS	1024

/*
 * Configuration limits. The header bounds ring_size and cq_size by the
 * instance's task slots: lanes * ring_size, plus one more ring for the
 * ordered queue in the ABI versions that have ordered tasks.
 */
#ifdef KNHK_IOC_ENQUEUE_ORDERED
#define KNHK_SLOT_RINGS(lanes)	((__u64)(lanes) + 1)
#else
#define KNHK_SLOT_RINGS(lanes)	((__u64)(lanes))
#endif

/* Largest cq_size (and slot count) of a configuration. */
static inline __u64 cfg_slots(__u32 lanes, __u32 ring)
{
	return KNHK_SLOT_RINGS(lanes) * ring;
}

/* The largest valid ring_size for @lanes lanes. */
static inline __u32 cfg_max_ring(__u32 lanes)
{
	__u32 r = KNHK_MAX_RING;

	while (r > KNHK_MIN_RING && cfg_slots(lanes, r) > KNHK_MAX_SLOTS)
		r /= 2;
	return r;
}

/*
 * The smallest size each argument accepts: its first version's. Structs
 * that have grown say so in the header; the others have one version.
 */
#ifndef KNHK_VERSION_SIZE_VER0
#define KNHK_VERSION_SIZE_VER0	sizeof(struct knhk_version)
#endif
#ifndef KNHK_CONFIG_SIZE_VER0
#define KNHK_CONFIG_SIZE_VER0	sizeof(struct knhk_config)
#endif
#ifndef KNHK_ENQUEUE_SIZE_VER0
#define KNHK_ENQUEUE_SIZE_VER0	sizeof(struct knhk_enqueue)
#endif
#ifndef KNHK_BARRIER_SIZE_VER0
#define KNHK_BARRIER_SIZE_VER0	sizeof(struct knhk_barrier)
#endif
#ifndef KNHK_STATS_SIZE_VER0
#define KNHK_STATS_SIZE_VER0	sizeof(struct knhk_stats)
#endif

/* cq_size of an instance that is never configured. */
#define KNHK_DEFAULT_CQ	cfg_slots(KNHK_DEFAULT_LANES, KNHK_DEFAULT_RING)

/* The lowest knhk_config flag bit the header does not define. */
#define KNHK_CONFIG_UNKNOWN_FLAG \
	((KNHK_CONFIG_FLAGS + 1) & ~(__u32)KNHK_CONFIG_FLAGS)

/* ---- the task model, written from the ABI header's comments ---- */

static inline __u64 knhk_mix64(__u64 x)
{
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static inline __u64 knhk_rol64(__u64 v, __u64 s)
{
	s &= 63;
	return s ? (v << s) | (v >> (64 - s)) : v;
}

/* The state of one instance as the contract defines it. */
struct knhk_model {
	unsigned int lanes;
	__u64 submit_clock;
	__u64 lane_clock[KNHK_MAX_LANES];
	__u64 lane_state[KNHK_MAX_LANES][KNHK_LANE_SLOTS];
	__u64 lane_enqueued[KNHK_MAX_LANES];
	__u64 lane_executed[KNHK_MAX_LANES];
};

static inline void model_init(struct knhk_model *m, unsigned int lanes)
{
	memset(m, 0, sizeof(*m));
	m->lanes = lanes;
}

/*
 * One instruction of the register machine, as the header documents it.
 * @state is the lane state (LDL/STL) or the shared state (LDS/STS): the
 * module decides which a task may use, the model just runs what it gets.
 */
static inline void model_insn(const struct knhk_insn *in, __u64 *r,
			      __u64 *state)
{
	__u64 *d = &r[in->dst], s = r[in->src];

	switch (in->op) {
	case KNHK_OP_LDI:
		*d = in->imm;
		break;
	case KNHK_OP_ADD:
		*d += s;
		break;
	case KNHK_OP_SUB:
		*d -= s;
		break;
	case KNHK_OP_XOR:
		*d ^= s;
		break;
	case KNHK_OP_MUL:
		*d *= s;
		break;
	case KNHK_OP_ROL:
		*d = knhk_rol64(*d, in->imm);
		break;
	case KNHK_OP_MIX:
		*d = knhk_mix64(*d ^ s);
		break;
	case KNHK_OP_LDL:
	case KNHK_OP_LDS:
		*d = state[in->imm];
		break;
	case KNHK_OP_STL:
	case KNHK_OP_STS:
		state[in->imm] = s;
		break;
	default:
		abort();	/* the tests only model valid programs */
	}
}

/*
 * Run an accepted plain task through the model and fill the deterministic
 * fields of its completion: submit clock ticks once per accepted task, the
 * lane clock is max(lane_clock, enqueue_ts) + 1, lanes run FIFO, guards fail
 * in an instance where none is set (no output, no tick, no side effect),
 * programs stop after @budget instructions.
 */
static inline void model_run(struct knhk_model *m, const struct knhk_task *t,
			     struct knhk_completion *c)
{
	unsigned int lane = t->task_id & (m->lanes - 1);
	__u64 *st = m->lane_state[lane];
	__u64 r[KNHK_NR_REGS] = { t->payload, 0, 0, 0 };
	unsigned int i;

	memset(c, 0, sizeof(*c));
	c->task_id = t->task_id;
	c->lane = lane;
	c->enqueue_ts = ++m->submit_clock;
	m->lane_enqueued[lane]++;
	m->lane_executed[lane]++;
	if (m->lane_clock[lane] < c->enqueue_ts)
		m->lane_clock[lane] = c->enqueue_ts;
	c->execute_ts = ++m->lane_clock[lane];

	if (t->nguards) {
		c->status = KNHK_STATUS_GUARD_FAILED;
		c->ticks = 0;
		c->output = 0;
		return;
	}
	if (t->kind == KNHK_WORK_PURE) {
		c->status = KNHK_STATUS_OK;
		c->ticks = 1;
		c->output = knhk_mix64(t->payload);
		return;
	}
	c->status = KNHK_STATUS_OK;
	for (i = 0; i < t->ninsns; i++) {
		if (i == t->budget) {
			c->status = KNHK_STATUS_BUDGET_EXCEEDED;
			break;
		}
		model_insn(&t->prog[i], r, st);
		c->ticks++;
	}
	c->output = r[0];
}

/* ---- building tasks ---- */

static inline void task_pure(struct knhk_task *t, __u64 id, __u64 payload)
{
	memset(t, 0, sizeof(*t));
	t->task_id = id;
	t->payload = payload;
	t->kind = KNHK_WORK_PURE;
	t->priority = KNHK_PRIO_NORMAL;
	t->budget = 1;
}

static inline void task_prog(struct knhk_task *t, __u64 id, __u64 payload,
			     unsigned int budget)
{
	memset(t, 0, sizeof(*t));
	t->task_id = id;
	t->payload = payload;
	t->kind = KNHK_WORK_PROGRAM;
	t->priority = KNHK_PRIO_NORMAL;
	t->budget = budget;
}

static inline void task_insn(struct knhk_task *t, __u32 op, __u32 dst,
			     __u32 src, __u64 imm)
{
	struct knhk_insn *in = &t->prog[t->ninsns++];

	in->op = op;
	in->dst = dst;
	in->src = src;
	in->imm = imm;
}

/*
 * Zero the fields @in->op does not use (src of LDI, ROL and the loads, dst
 * of the stores, imm of the register ALU operations): the module rejects
 * them otherwise. Generators draw every field and then call this, so the
 * outputs stay what they were.
 */
static inline void insn_zero_unused(struct knhk_insn *in)
{
	switch (in->op) {
	case KNHK_OP_LDI:
	case KNHK_OP_ROL:
	case KNHK_OP_LDL:
	case KNHK_OP_LDS:
		in->src = 0;
		break;
	case KNHK_OP_STL:
	case KNHK_OP_STS:
		in->dst = 0;
		break;
	case KNHK_OP_ADD:
	case KNHK_OP_SUB:
	case KNHK_OP_XOR:
	case KNHK_OP_MUL:
	case KNHK_OP_MIX:
		in->imm = 0;
		break;
	}
}

/* Small deterministic PRNG (xorshift64*) for generated workloads. */
static inline __u64 test_rand(__u64 *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

/* A random valid plain task: PURE or PROGRAM, sometimes guarded. */
static inline void task_random(struct knhk_task *t, __u64 id, __u64 *seed)
{
	static const __u32 ops[] = {
		KNHK_OP_LDI, KNHK_OP_ADD, KNHK_OP_SUB, KNHK_OP_XOR, KNHK_OP_MUL,
		KNHK_OP_ROL, KNHK_OP_MIX, KNHK_OP_LDL, KNHK_OP_STL,
	};
	unsigned int i, n;

	if (test_rand(seed) % 3 == 0) {
		task_pure(t, id, test_rand(seed));
	} else {
		task_prog(t, id, test_rand(seed), 1 + test_rand(seed) % KNHK_MAX_BUDGET);
		n = 1 + test_rand(seed) % KNHK_MAX_INSNS;
		for (i = 0; i < n; i++) {
			__u32 op = ops[test_rand(seed) % ARRAY_SIZE(ops)];
			__u64 imm = test_rand(seed);

			if (op == KNHK_OP_LDL || op == KNHK_OP_STL)
				imm %= KNHK_LANE_SLOTS;
			task_insn(t, op, test_rand(seed) % KNHK_NR_REGS,
				  test_rand(seed) % KNHK_NR_REGS, imm);
			insn_zero_unused(&t->prog[t->ninsns - 1]);
		}
	}
	t->priority = test_rand(seed) % 3;
	if (test_rand(seed) % 10 == 0) {
		t->nguards = 1 + test_rand(seed) % KNHK_MAX_GUARDS;
		for (i = 0; i < t->nguards; i++)
			t->guards[i] = test_rand(seed) % KNHK_GUARD_IDS;
	}
}

/* ---- the device; each returns 0 or -errno ---- */

static inline int knhk_open(int flags)
{
	return open(KNHK_DEV, O_RDWR | O_CLOEXEC | flags);
}

static inline int knhk_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? -errno : 0;
}

static inline int knhk_configure(int fd, __u32 lanes, __u32 ring, __u32 cq)
{
	struct knhk_config c = {
		.size = sizeof(c), .lanes = lanes, .ring_size = ring, .cq_size = cq,
	};

	return knhk_ioctl(fd, KNHK_IOC_CONFIGURE, &c);
}

static inline int knhk_enqueue(int fd, const struct knhk_task *t)
{
	struct knhk_enqueue e = { .size = sizeof(e), .task = *t };

	return knhk_ioctl(fd, KNHK_IOC_ENQUEUE, &e);
}

static inline int knhk_barrier(int fd)
{
	struct knhk_barrier b = { .size = sizeof(b) };

	return knhk_ioctl(fd, KNHK_IOC_BARRIER, &b);
}

/* @ls may be NULL with @n 0. */
static inline int knhk_stats(int fd, struct knhk_stats *s,
			     struct knhk_lane_stats *ls, __u32 n)
{
	memset(s, 0, sizeof(*s));
	s->size = sizeof(*s);
	s->lanes = n;
	s->lane_stats = (uintptr_t)ls;
	return knhk_ioctl(fd, KNHK_IOC_STATS, s);
}

static inline int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) ? -errno : 0;
}

/* One read() of up to @max records; returns records read or -errno. */
static inline long knhk_read(int fd, struct knhk_completion *c, size_t max)
{
	ssize_t r;

	memset(c, 0xa5, max * sizeof(*c));	/* catch fields left unset */
	r = read(fd, c, max * sizeof(*c));
	if (r < 0)
		return -errno;
	if (r % sizeof(*c))
		return -EPROTO;		/* never a partial record */
	return r / sizeof(*c);
}

/* Read exactly @n records, blocking; returns @n or -errno. */
static inline long knhk_read_all(int fd, struct knhk_completion *c, size_t n)
{
	size_t got = 0;

	while (got < n) {
		long r = knhk_read(fd, c + got, n - got);

		if (r < 0)
			return r;
		if (r == 0)
			return -ENODATA;
		got += r;
	}
	return got;
}

static inline double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* A page-aligned address with nothing mapped there. */
static inline void *unmapped_addr(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *p = mmap(NULL, pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, pg);
	return p;
}

/*
 * Online CPUs in ascending order, from /sys/devices/system/cpu/online
 * ("0-3", "0,2-3", ...). Returns how many, or -1.
 */
static inline int online_cpus(int *cpu, int max)
{
	char buf[4096], *p, *end;
	int n = 0;
	FILE *f = fopen("/sys/devices/system/cpu/online", "r");

	if (!f)
		return -1;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	for (p = buf; *p && *p != '\n';) {
		long a = strtol(p, &end, 10), b = a;

		if (end == p)
			return -1;
		p = end;
		if (*p == '-') {
			b = strtol(p + 1, &end, 10);
			if (end == p + 1)
				return -1;
			p = end;
		}
		for (; a <= b && n < max; a++)
			cpu[n++] = a;
		if (*p == ',')
			p++;
	}
	return n;
}

static inline int cmp_completion(const void *a, const void *b)
{
	const struct knhk_completion *x = a, *y = b;

	if (x->task_id != y->task_id)
		return x->task_id < y->task_id ? -1 : 1;
	if (x->enqueue_ts != y->enqueue_ts)
		return x->enqueue_ts < y->enqueue_ts ? -1 : 1;
	return 0;
}

/*
 * Compare completions read from the device (any order) with the model's
 * (any order): every deterministic field, zero flags/reserved, and, when
 * @cpus is given, that each lane ran at its home: cpu == the
 * ((lane + @instance) mod ncpus)-th online CPU.
 */
static inline void check_completions(struct __test_metadata *_metadata,
				     struct knhk_completion *got,
				     struct knhk_completion *want, size_t n,
				     const int *cpus, int ncpus, __u32 instance)
{
	size_t i;
	int bad = 0;

	qsort(got, n, sizeof(*got), cmp_completion);
	qsort(want, n, sizeof(*want), cmp_completion);
	for (i = 0; i < n; i++) {
		const struct knhk_completion *g = &got[i], *w = &want[i];
		bool ok = g->task_id == w->task_id && g->output == w->output &&
			  g->enqueue_ts == w->enqueue_ts &&
			  g->execute_ts == w->execute_ts && g->lane == w->lane &&
			  g->status == w->status && g->ticks == w->ticks &&
			  g->flags == 0 && g->reserved == 0;
		bool cpu_ok = !cpus ||
			      g->cpu == (__u32)cpus[(g->lane + instance) % ncpus];

		if (ok && cpu_ok)
			continue;
		if (bad++ < 8) {
			TH_LOG("record %zu: got id %llu lane %u status %u ticks %u",
			       i, (unsigned long long)g->task_id, g->lane,
			       g->status, g->ticks);
			TH_LOG("  enq %llu exe %llu out %#llx cpu %u flags %u rsv %u",
			       (unsigned long long)g->enqueue_ts,
			       (unsigned long long)g->execute_ts,
			       (unsigned long long)g->output, g->cpu, g->flags,
			       g->reserved);
			TH_LOG("  want id %llu lane %u status %u ticks %u",
			       (unsigned long long)w->task_id, w->lane, w->status,
			       w->ticks);
			TH_LOG("  enq %llu exe %llu out %#llx cpu %d",
			       (unsigned long long)w->enqueue_ts,
			       (unsigned long long)w->execute_ts,
			       (unsigned long long)w->output,
			       cpus ? cpus[(w->lane + instance) % ncpus] : -1);
		}
	}
	EXPECT_EQ(0, bad);
}

/*
 * Submit @n tasks (blocking), barrier, read them all and compare with the
 * model. Tasks must fit in the instance's completion queue.
 */
static inline void run_and_check(struct __test_metadata *_metadata, int fd,
				 struct knhk_model *m, const struct knhk_task *t,
				 size_t n, bool check_cpu)
{
	struct knhk_completion *want = calloc(n, sizeof(*want));
	struct knhk_completion *got = calloc(n + 1, sizeof(*got));
	int cpus[KNHK_MAX_CPUS], ncpus = 0;
	struct knhk_stats st;
	size_t i;

	ASSERT_NE(NULL, want);
	ASSERT_NE(NULL, got);
	if (check_cpu) {
		ncpus = online_cpus(cpus, KNHK_MAX_CPUS);
		ASSERT_GT(ncpus, 0) TH_LOG("cannot parse /sys/devices/system/cpu/online");
		ASSERT_EQ(0, knhk_stats(fd, &st, NULL, 0));
	}
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, knhk_enqueue(fd, &t[i])) TH_LOG("enqueue of task %zu", i);
		model_run(m, &t[i], &want[i]);
	}
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ((long)n, knhk_read_all(fd, got, n));
	/* Nothing more: exactly one completion per task. */
	ASSERT_EQ(0, set_nonblock(fd, true));
	EXPECT_EQ(-EAGAIN, knhk_read(fd, got + n, 1));
	ASSERT_EQ(0, set_nonblock(fd, false));
	check_completions(_metadata, got, want, n, check_cpu ? cpus : NULL, ncpus,
			  check_cpu ? st.instance : 0);
	free(want);
	free(got);
}

/* Open the device or fail the test with a clear reason. */
static inline int open_dev(struct __test_metadata *_metadata, int flags)
{
	int fd = knhk_open(flags);

	ASSERT_LE(0, fd) TH_LOG("open %s: %s (is knhk_sched.ko loaded?)",
				KNHK_DEV, strerror(errno));
	return fd;
}

#define OPEN_DEV(fd, flags)	((fd) = open_dev(_metadata, (flags)))

/* Read a whole (small) file into @buf, NUL-terminated; bytes or -errno. */
static inline ssize_t knhk_read_file(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got < max - 1 && (n = read(fd, buf + got, max - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = 0;
	return got;
}

/* The state letter of /proc/<pid>/stat (R, S, D, ...), or 0. */
static inline char knhk_proc_state(pid_t pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	if (knhk_read_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p[2] : 0;
}

#endif /* KNHK_TEST_H */
