// SPDX-License-Identifier: GPL-2.0
/*
 * ring_bench.c - include/knhk/ring.h against ConcurrencyKit's ck_ring and
 * DPDK's rte_ring, natively, one producer and one consumer thread pinned on
 * two different CPUs.
 *
 * Each ring carries 8-byte items (ck_ring and rte_ring hold pointers; the
 * knhk ring's slots are the caller's, here a u64 array) through 1024 slots.
 * A "burst" of B moves up to B items per call: rte_ring's *_burst calls,
 * ring.h's knhk_ring_ready() + B slot accesses + one knhk_ring_advance(),
 * and, as ck_ring has no bulk SPSC call, B single calls. Each side takes
 * what is there (a short burst when the ring is nearly full or empty), as
 * all three APIs do.
 *
 * Rounds are interleaved (every ring at every burst size, in an order that
 * rotates, then the next repetition), so that a change of machine load
 * lands on all rings alike, and each figure is the median over the rounds.
 *
 * Both threads run SCHED_FIFO when allowed (root; -F turns it off). On a
 * machine shared with other busy processes a normal thread is preempted
 * every few milliseconds, and while one side is off its CPU the other only
 * spins: a round then measures the scheduler, not the ring. A round lasts
 * a few milliseconds, far below the kernel's real-time throttling (95% of
 * each second), so the other processes only pause briefly.
 * The consumer checks that it sees 1, 2, 3, ... in order, so a ring (or
 * the compat shim under bench/compat) that loses or reorders items fails
 * the run instead of looking fast.
 *
 * Usage: ring_bench [-n ITEMS] [-r REPS] [-p CPU] [-c CPU] [-b B,B,...]
 *                   [-F] [-o FILE]
 *   -o FILE: also write one tab-separated line per figure for
 *   scripts/bench.sh: FIG key median min reps unit loadavg.
 */
#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <ck_ring.h>
#include <rte_ring.h>

#include <knhk/ring.h>

#define RING_SLOTS	1024
#define MAX_BURST	256
#define MAX_BURSTS	8
#define MAX_REPS	101

enum ring_kind { R_KNHK, R_CK, R_RTE, NR_RINGS };

static const char *const ring_name[NR_RINGS] = { "knhk", "ck", "rte" };
static const char *const ring_label[NR_RINGS] = {
	"ring.h (knhk)", "ck_ring SPSC", "rte_ring SP/SC",
};

/*
 * One round. The rings live in their own cache-line aligned allocations,
 * as they would in a real user; the round's own bookkeeping sits on lines
 * neither thread writes in the hot loop.
 */
struct round {
	enum ring_kind kind;
	unsigned int burst;
	uint64_t items;
	int cpu[2];		/* producer, consumer */

	struct knhk_ring *kr;
	uint64_t *kslots;
	struct ck_ring *ck;
	struct ck_ring_buffer *ckbuf;
	struct rte_ring *rte;

	bool fifo;
	pthread_barrier_t start;

	atomic_int ready ____cacheline_aligned;
	atomic_int go;
	double t0 ____cacheline_aligned;
	double t1 ____cacheline_aligned;
	long nivcsw[2];
	int bad;
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static void die(const char *what, int err)
{
	fprintf(stderr, "ring_bench: %s: %s\n", what, strerror(err));
	exit(1);
}

static void pin(int cpu)
{
	cpu_set_t set;
	int e;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	e = pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	if (e)
		die("pthread_setaffinity_np", e);
}

static long my_nivcsw(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_nivcsw;
}

/*
 * Pin, take real-time priority, meet the other side and start together:
 * the producer starts the clock once the consumer is spinning on its CPU,
 * so neither a wakeup nor the (normal priority) main thread is timed.
 */
static void start(struct round *r, int side)
{
	struct sched_param sp = { .sched_priority = 10 };
	int e;

	pin(r->cpu[side]);
	if (r->fifo) {
		e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
		if (e)
			die("pthread_setschedparam(SCHED_FIFO) (use -F)", e);
	}
	pthread_barrier_wait(&r->start);
	r->nivcsw[side] = my_nivcsw();
	atomic_fetch_add(&r->ready, 1);
	if (side == 0) {
		while (atomic_load(&r->ready) < 2)
			cpu_relax();
		r->t0 = now();
		atomic_store_explicit(&r->go, 1, memory_order_release);
	}
	while (!atomic_load_explicit(&r->go, memory_order_acquire))
		cpu_relax();
}

static void finish(struct round *r, int side)
{
	r->nivcsw[side] = my_nivcsw() - r->nivcsw[side];
}

/* ---- producers: items 1..items ---- */

static void produce_knhk(struct round *r)
{
	struct knhk_ring *kr = r->kr;
	uint64_t *slots = r->kslots, next = 1, end = r->items + 1;
	u32 n, i;

	while (next < end) {
		n = knhk_ring_ready(kr, 0);
		if (!n) {
			cpu_relax();
			continue;
		}
		if (n > r->burst)
			n = r->burst;
		if (n > end - next)
			n = end - next;
		for (i = 0; i < n; i++)
			slots[knhk_ring_slot(kr, 0, i)] = next + i;
		knhk_ring_advance(kr, 0, n);
		next += n;
	}
}

static void produce_ck(struct round *r)
{
	uint64_t next = 1, end = r->items + 1;
	unsigned int i, n;

	while (next < end) {
		n = r->burst < end - next ? r->burst : end - next;
		for (i = 0; i < n; i++)
			if (!ck_ring_enqueue_spsc(r->ck, r->ckbuf,
						  (void *)(uintptr_t)(next + i)))
				break;
		if (!i)
			cpu_relax();
		next += i;
	}
}

static void produce_rte(struct round *r)
{
	void *objs[MAX_BURST];
	uint64_t next = 1, end = r->items + 1;
	unsigned int i, n;

	while (next < end) {
		if (r->burst == 1) {
			/* The single-object call, as a user of one item makes. */
			if (rte_ring_sp_enqueue(r->rte, (void *)(uintptr_t)next))
				cpu_relax();
			else
				next++;
			continue;
		}
		n = r->burst < end - next ? r->burst : end - next;
		for (i = 0; i < n; i++)
			objs[i] = (void *)(uintptr_t)(next + i);
		n = rte_ring_sp_enqueue_burst(r->rte, objs, n, NULL);
		if (!n)
			cpu_relax();
		next += n;
	}
}

/* ---- consumers: check 1, 2, 3, ... ---- */

static void consume_knhk(struct round *r)
{
	struct knhk_ring *kr = r->kr;
	const uint64_t *slots = r->kslots;
	uint64_t want = 1, end = r->items + 1;
	u32 n, i;

	while (want < end) {
		n = knhk_ring_ready(kr, 1);
		if (!n) {
			cpu_relax();
			continue;
		}
		if (n > r->burst)
			n = r->burst;
		for (i = 0; i < n; i++)
			r->bad |= slots[knhk_ring_slot(kr, 1, i)] != want + i;
		knhk_ring_advance(kr, 1, n);
		want += n;
	}
}

static void consume_ck(struct round *r)
{
	uint64_t want = 1, end = r->items + 1;
	unsigned int i;
	void *v;

	while (want < end) {
		for (i = 0; i < r->burst; i++) {
			if (!ck_ring_dequeue_spsc(r->ck, r->ckbuf, &v))
				break;
			r->bad |= (uintptr_t)v != want + i;
		}
		if (!i)
			cpu_relax();
		want += i;
	}
}

static void consume_rte(struct round *r)
{
	void *objs[MAX_BURST];
	uint64_t want = 1, end = r->items + 1;
	unsigned int i, n;
	void *v;

	while (want < end) {
		if (r->burst == 1) {
			if (rte_ring_sc_dequeue(r->rte, &v)) {
				cpu_relax();
			} else {
				r->bad |= (uintptr_t)v != want;
				want++;
			}
			continue;
		}
		n = rte_ring_sc_dequeue_burst(r->rte, objs, r->burst, NULL);
		if (!n)
			cpu_relax();
		for (i = 0; i < n; i++)
			r->bad |= (uintptr_t)objs[i] != want + i;
		want += n;
	}
}

static void *producer_main(void *arg)
{
	static void (*const fn[NR_RINGS])(struct round *) = {
		produce_knhk, produce_ck, produce_rte,
	};
	struct round *r = arg;

	start(r, 0);
	fn[r->kind](r);
	finish(r, 0);
	return NULL;
}

static void *consumer_main(void *arg)
{
	static void (*const fn[NR_RINGS])(struct round *) = {
		consume_knhk, consume_ck, consume_rte,
	};
	struct round *r = arg;

	start(r, 1);
	fn[r->kind](r);
	r->t1 = now();
	finish(r, 1);
	return NULL;
}

static void *xalloc(size_t size)
{
	void *p = aligned_alloc(64, (size + 63) & ~(size_t)63);

	if (!p)
		die("aligned_alloc", ENOMEM);
	memset(p, 0, size);
	return p;
}

/* Empty rings for a round: every round starts from the same state. */
static void reset_rings(struct round *r)
{
	knhk_ring_init(r->kr, RING_SLOTS, 2, 0);
	ck_ring_init(r->ck, RING_SLOTS);
	if (rte_ring_init(r->rte, "bench", RING_SLOTS,
			  RING_F_SP_ENQ | RING_F_SC_DEQ))
		die("rte_ring_init", EINVAL);
}

/* Run one round; return ns per item, or a negative value on bad data. */
static double run_round(struct round *r, long *nivcsw)
{
	pthread_t th[2];
	double secs;
	int e;

	reset_rings(r);
	atomic_store(&r->ready, 0);
	atomic_store(&r->go, 0);
	r->bad = 0;
	e = pthread_create(&th[0], NULL, producer_main, r);
	if (!e)
		e = pthread_create(&th[1], NULL, consumer_main, r);
	if (e)
		die("pthread_create", e);
	pthread_barrier_wait(&r->start);
	pthread_join(th[0], NULL);
	pthread_join(th[1], NULL);
	*nivcsw = r->nivcsw[0] + r->nivcsw[1];
	if (r->bad)
		return -1;
	secs = r->t1 - r->t0;
	return secs * 1e9 / r->items;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double loadavg1(void)
{
	double l[1];

	return getloadavg(l, 1) == 1 ? l[0] : -1;
}

/* Whether this process may make real-time threads. */
static bool can_fifo(void)
{
	struct sched_param sp = { .sched_priority = 10 }, old;
	int pol, e;

	e = pthread_getschedparam(pthread_self(), &pol, &old);
	if (!e)
		e = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);
	if (e)
		return false;
	pthread_setschedparam(pthread_self(), pol, &old);
	return true;
}

/* The first two CPUs this process may run on. */
static void default_cpus(int cpu[2])
{
	cpu_set_t set;
	int c, k = 0;

	cpu[0] = 0;
	cpu[1] = 1;
	if (sched_getaffinity(0, sizeof(set), &set))
		return;
	for (c = 0; c < CPU_SETSIZE && k < 2; c++)
		if (CPU_ISSET(c, &set))
			cpu[k++] = c;
}

static void print_usage(void)
{
	fprintf(stderr,
		"usage: ring_bench [-n ITEMS] [-r REPS] [-p CPU] [-c CPU] [-b B,B,...] [-F] [-o FILE]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static double ns[MAX_BURSTS][NR_RINGS][MAX_REPS];
	static long csw[MAX_BURSTS][NR_RINGS][MAX_REPS];
	unsigned int bursts[MAX_BURSTS] = { 1, 8, 32 };
	int nbursts = 3, reps = 15, rep, b, k, i, opt;
	double med[MAX_BURSTS][NR_RINGS], load;
	uint64_t items = 200000;
	const char *outpath = NULL;
	struct round r = { 0 };
	bool nofifo = false;
	FILE *out = NULL;
	char *s, *end;

	default_cpus(r.cpu);
	while ((opt = getopt(argc, argv, "n:r:p:c:b:Fo:")) != -1) {
		switch (opt) {
		case 'n':
			items = strtoull(optarg, NULL, 0);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 'p':
			r.cpu[0] = atoi(optarg);
			break;
		case 'c':
			r.cpu[1] = atoi(optarg);
			break;
		case 'b':
			nbursts = 0;
			for (s = optarg; *s && nbursts < MAX_BURSTS; s = end) {
				bursts[nbursts] = strtoul(s, &end, 0);
				if (end == s || !bursts[nbursts] ||
				    bursts[nbursts] > MAX_BURST)
					print_usage();
				nbursts++;
				if (*end == ',')
					end++;
			}
			break;
		case 'F':
			nofifo = true;
			break;
		case 'o':
			outpath = optarg;
			break;
		default:
			print_usage();
		}
	}
	if (!items || reps < 1 || reps > MAX_REPS || !nbursts)
		print_usage();
	if (r.cpu[0] == r.cpu[1])
		fprintf(stderr, "ring_bench: warning: producer and consumer share CPU %d\n",
			r.cpu[0]);
	if (outpath) {
		out = fopen(outpath, "w");
		if (!out)
			die(outpath, errno);
	}

	r.items = items;
	r.fifo = !nofifo && can_fifo();
	pthread_barrier_init(&r.start, NULL, 3);
	r.kr = xalloc(sizeof(*r.kr));
	r.kslots = xalloc(RING_SLOTS * sizeof(*r.kslots));
	r.ck = xalloc(sizeof(*r.ck));
	r.ckbuf = xalloc(RING_SLOTS * sizeof(*r.ckbuf));
	r.rte = xalloc(rte_ring_get_memsize(RING_SLOTS));

	printf("# ring_bench: %llu items per round, %d repetitions, ",
	       (unsigned long long)items, reps);
	printf("producer on CPU %d, consumer on CPU %d, %d slots, %s\n",
	       r.cpu[0], r.cpu[1], RING_SLOTS,
	       r.fifo ? "SCHED_FIFO" : "SCHED_OTHER (preemption by other load is measured too)");
	printf("# host load average at start: %.2f\n", loadavg1());
	fflush(stdout);
	for (rep = 0; rep < reps; rep++) {
		for (b = 0; b < nbursts; b++) {
			for (i = 0; i < NR_RINGS; i++) {
				/* Rotate who goes first: no ring always warms up. */
				k = (i + rep + b) % NR_RINGS;
				r.kind = k;
				r.burst = bursts[b];
				ns[b][k][rep] = run_round(&r, &csw[b][k][rep]);
				if (ns[b][k][rep] < 0) {
					warnx("%s lost or reordered items (burst %u)",
					      ring_name[k], bursts[b]);
					return 1;
				}
			}
		}
	}
	load = loadavg1();

	printf("%-16s %6s %12s %12s %14s\n", "ring", "burst", "median ns", "min ns",
	       "preemptions");
	for (b = 0; b < nbursts; b++) {
		for (k = 0; k < NR_RINGS; k++) {
			double mn, cs[MAX_REPS];

			for (rep = 0; rep < reps; rep++)
				cs[rep] = csw[b][k][rep];
			med[b][k] = median(ns[b][k], reps);	/* sorts */
			mn = ns[b][k][0];
			printf("%-16s %6u %12.2f %12.2f %14.0f\n", ring_label[k],
			       bursts[b], med[b][k], mn, median(cs, reps));
			if (out)
				fprintf(out, "FIG\tring.%s.b%u\t%.3f\t%.3f\t%d\tns/item\t%.2f\n",
					ring_name[k], bursts[b], med[b][k], mn, reps,
					load);
		}
	}
	printf("# ratios of medians (below 1: ring.h is faster); host load average at end: %.2f\n",
	       load);
	for (b = 0; b < nbursts; b++) {
		double vs_ck = med[b][R_KNHK] / med[b][R_CK];
		double vs_rte = med[b][R_KNHK] / med[b][R_RTE];

		if (bursts[b] == 1) {
			printf("burst %3u: ring.h/ck_ring %.2fx ", bursts[b], vs_ck);
			printf("(target <= 1.0x, DESIGN <= 1.2x: %s), ",
			       vs_ck <= 1.0 ? "met" : vs_ck <= 1.2 ? "DESIGN only" : "missed");
			printf("ring.h/rte_ring %.2fx\n", vs_rte);
		} else {
			printf("burst %3u: ring.h/rte_ring %.2fx (target < 1.0x: %s), ",
			       bursts[b], vs_rte, vs_rte < 1.0 ? "met" : "missed");
			printf("ring.h/ck_ring %.2fx\n", vs_ck);
		}
	}
	if (out)
		fclose(out);
	return 0;
}
