// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_fuzz - a bounded in-guest ioctl fuzzer.
 *
 * Rounds of random calls, each round in a child process with four files
 * of the device: the 13 ioctls with well-formed arguments mutated (size,
 * flags, reserved fields, counts, random bytes) and their inner pointers
 * and the argument pointer itself chosen among valid, NULL, unmapped,
 * partially mapped (running into a PROT_NONE page), misaligned and
 * kernel-looking addresses; ioctl numbers with our magic and any number
 * and size; random numbers altogether (but for the generic VFS ones that
 * would change the file or the file system: FIONBIO and friends, FIFREEZE);
 * read() with any size and pointer; poll(); closing and reopening files.
 * A child that blocks (a full ring, a barrier behind an unread lossless
 * stream) is killed after a while, which must work.
 *
 * Lossless replay is fuzzed with drop mode forced on: a release into a
 * full lossless stream cannot be killed (see knhk_life's
 * kill_in_release_full_stream), which would hang the fuzzer, not find
 * anything new.
 *
 * Afterwards a fresh instance must run the reference workload to the
 * digest of a reference run made before the fuzzing. The time budget is
 * $KNHK_FUZZ_SECS (default 10 s), the seed $KNHK_FUZZ_SEED (default fixed).
 */
#include "kselftest_harness.h"
#include "knhk_rel.h"

#define FUZZ_FDS	4
#define FUZZ_PAGES	40
#define FUZZ_ROUND_OPS	400
#define FUZZ_ROUND_MS	8000

static const unsigned long knhk_cmds[] = {
	KNHK_IOC_VERSION, KNHK_IOC_CONFIGURE, KNHK_IOC_ENQUEUE,
	KNHK_IOC_BARRIER, KNHK_IOC_STATS, KNHK_IOC_SUBMIT,
	KNHK_IOC_ENQUEUE_ORDERED, KNHK_IOC_SUBMIT_ORDERED, KNHK_IOC_RELEASE,
	KNHK_IOC_RUN_CYCLE, KNHK_IOC_GUARDS, KNHK_IOC_LOAD_SHARED,
	KNHK_IOC_DIGEST,
};

struct fuzz {
	__u64 seed;
	unsigned char *mem;	/* FUZZ_PAGES pages, then a PROT_NONE page */
	size_t memlen;
	long pg;
	void *unmapped;
	int fd[FUZZ_FDS];
	bool blocking[FUZZ_FDS];
	/* per-round counts, sent to the parent */
	struct {
		long ops, ioctls, reads, polls, reopens, ok;
	} c;
};

static __u64 fr(struct fuzz *f)
{
	return test_rand(&f->seed);
}

static __u32 fb(struct fuzz *f, __u32 n)
{
	return fr(f) % n;
}

/* A pointer for @len bytes: mostly valid, else one of the bad kinds. */
static void *fuzz_ptr(struct fuzz *f, size_t len)
{
	unsigned char *end = f->mem + f->memlen;	/* the PROT_NONE page */

	if (len > f->memlen)
		len = f->memlen;
	switch (fb(f, 16)) {
	case 0:
		return NULL;
	case 1:
		return f->unmapped;
	case 2:	/* runs into the PROT_NONE page */
		return end - 1 - fb(f, len ? len : 1);
	case 3:
		return end;
	case 4:
		return (void *)0xffff888000000000ULL;
	case 5:
		return (void *)0xffffffff81000000ULL;
	case 6:
		return (void *)(uintptr_t)(0xffff800000000000ULL + fb(f, 1 << 30));
	case 7:
		return f->mem + 1 + fb(f, 7);	/* misaligned */
	case 8:
		return (void *)(uintptr_t)fr(f);
	default:
		return f->mem + fb(f, 64) * 8;
	}
}

/* Mutate @len bytes at @p a little. */
static void fuzz_mutate(struct fuzz *f, unsigned char *p, size_t len)
{
	int i, n = fb(f, 4);

	for (i = 0; i < n && len; i++) {
		size_t at = fb(f, len);

		switch (fb(f, 4)) {
		case 0:
			p[at] ^= 1 << fb(f, 8);
			break;
		case 1:
			p[at] = fr(f);
			break;
		case 2:
			p[at] = 0xff;
			break;
		default:
			p[at] = 0;
			break;
		}
	}
}

static __u32 fuzz_size(struct fuzz *f, __u32 real)
{
	static const __u32 odd[] = { 0, 1, 4, 8, 16, 24, 4095, 4096, 4097, 65536 };

	switch (fb(f, 8)) {
	case 0:
		return odd[fb(f, ARRAY_SIZE(odd))];
	case 1:
		return real + 8 * (1 + fb(f, 4));	/* tail: zero or not */
	case 2:
		return real - 8 * fb(f, 2);
	case 3:
		return fr(f);
	default:
		return real;
	}
}

/* A (mostly) valid config: drop mode whenever the stream is on. */
static void fill_config(struct fuzz *f, struct knhk_config *c)
{
	__u32 lanes = 1U << fb(f, 5), ring = 1U << (1 + fb(f, 8));

	memset(c, 0, sizeof(*c));
	c->size = sizeof(*c);
	c->flags = fb(f, 8);
	c->lanes = lanes;
	c->ring_size = ring;
	c->cq_size = 1 + fb(f, (lanes + 1) * ring);
	if (fb(f, 4) == 0) {
		c->replay_subbuf_size = KNHK_REPLAY_MIN_SUBBUF << fb(f, 3);
		c->replay_nr_subbufs = 2 + fb(f, 6);
	}
}

static void fill_task(struct fuzz *f, struct knhk_task *t)
{
	task_random(t, fr(f) % 4096, &f->seed);
}

/* Build a well-formed argument for @cmd at @arg, then mutate it. */
static void fuzz_arg(struct fuzz *f, unsigned long cmd, unsigned char *arg)
{
	size_t len = _IOC_SIZE(cmd);
	unsigned char *inner = f->mem + f->memlen / 2;
	__u32 n;
	size_t i;

	memset(arg, 0, len);
	switch (cmd) {
	case KNHK_IOC_CONFIGURE:
		fill_config(f, (void *)arg);
		break;
	case KNHK_IOC_ENQUEUE:
		fill_task(f, &((struct knhk_enqueue *)arg)->task);
		break;
	case KNHK_IOC_ENQUEUE_ORDERED:
		fill_task(f, &((struct knhk_enqueue_ordered *)arg)->ot.task);
		((struct knhk_enqueue_ordered *)arg)->ot.timestamp = fb(f, 1000);
		break;
	case KNHK_IOC_SUBMIT:
	case KNHK_IOC_SUBMIT_ORDERED: {
		struct knhk_submit *sb = (void *)arg;
		bool ord = cmd == KNHK_IOC_SUBMIT_ORDERED;
		size_t stride = ord ? sizeof(struct knhk_ordered_task) :
				      sizeof(struct knhk_task);

		n = 1 + fb(f, fb(f, 2) ? 16 : KNHK_MAX_BATCH);
		for (i = 0; i < n && (i + 1) * stride <= f->memlen / 2; i++) {
			unsigned char *p = inner + i * stride;

			if (ord) {
				((struct knhk_ordered_task *)p)->timestamp = fb(f, 1000);
				p += 8;
			}
			fill_task(f, (void *)p);
		}
		sb->count = fb(f, 16) ? n : fr(f);
		sb->accepted = fb(f, 16) ? 0 : fb(f, n + 2);
		sb->tasks = (uintptr_t)(fb(f, 4) ? inner : fuzz_ptr(f, n * stride));
		if (fb(f, 8) == 0)	/* a random byte of a random entry */
			fuzz_mutate(f, inner, n * stride);
		break;
	}
	case KNHK_IOC_RELEASE:
		((struct knhk_release *)arg)->flags = fb(f, 3);
		((struct knhk_release *)arg)->watermark = fb(f, 2000);
		break;
	case KNHK_IOC_RUN_CYCLE:
		((struct knhk_run_cycle *)arg)->lane = fb(f, 20);
		break;
	case KNHK_IOC_GUARDS: {
		struct knhk_guards *g = (void *)arg;

		n = 1 + fb(f, fb(f, 2) ? 8 : KNHK_GUARD_IDS);
		for (i = 0; i < n; i++)
			((__u32 *)inner)[i] = fb(f, 8) ? fb(f, KNHK_GUARD_IDS) : fr(f);
		g->flags = 1 + fb(f, 2);
		g->count = fb(f, 16) ? n : fr(f);
		g->ids = (uintptr_t)(fb(f, 4) ? inner : fuzz_ptr(f, n * 4));
		break;
	}
	case KNHK_IOC_LOAD_SHARED: {
		struct knhk_shared_load *s = (void *)arg;

		s->first = fb(f, KNHK_SHARED_SLOTS);
		s->count = 1 + fb(f, KNHK_SHARED_SLOTS - s->first);
		if (fb(f, 8) == 0)
			s->count = fr(f);
		for (i = 0; i < KNHK_SHARED_SLOTS; i++)
			((__u64 *)inner)[i] = fr(f);
		s->values = (uintptr_t)(fb(f, 4) ? inner : fuzz_ptr(f, s->count * 8));
		break;
	}
	case KNHK_IOC_STATS: {
		struct knhk_stats *s = (void *)arg;

		s->lanes = fb(f, 300);
		s->lane_stats = (uintptr_t)(fb(f, 3) ? inner :
					    fuzz_ptr(f, s->lanes * 16));
		break;
	}
	}
	((__u32 *)arg)[0] = fuzz_size(f, len);
	if (fb(f, 8) == 0)
		((__u32 *)arg)[1] = fr(f);	/* flags */
	if (fb(f, 4) == 0)
		fuzz_mutate(f, arg + 8, len - 8);
	/* Never a lossless stream, as explained at the top. */
	if (cmd == KNHK_IOC_CONFIGURE &&
	    ((struct knhk_config *)arg)->flags & KNHK_CONFIG_REPLAY)
		((struct knhk_config *)arg)->flags |= KNHK_CONFIG_REPLAY_DROP;
}

/* Generic ioctls the VFS handles before the driver: not ours to fuzz. */
static bool vfs_cmd(unsigned long cmd)
{
	switch (_IOC_TYPE(cmd)) {
	case 'T':	/* FIONBIO, FIOASYNC, FIOCLEX, FIONREAD, ... */
	case 'X':	/* FIFREEZE, FITHAW */
	case 'f':	/* FS_IOC_* */
	case 0x94:	/* FICLONE, FIDEDUPERANGE */
	case 0:		/* FIBMAP, FIGETBSZ */
		return true;
	}
	return false;
}

static void fuzz_reopen(struct fuzz *f, int i)
{
	if (f->fd[i] >= 0)
		close(f->fd[i]);
	f->blocking[i] = fb(f, 8) == 0;
	f->fd[i] = knhk_open(f->blocking[i] ? 0 : O_NONBLOCK);
	f->c.reopens++;
}

static void fuzz_one(struct fuzz *f)
{
	int i = fb(f, FUZZ_FDS), fd = f->fd[i];
	unsigned char *argbuf = f->mem + 4096;
	unsigned long cmd;
	void *arg;
	long r = 0;

	f->c.ops++;
	switch (fb(f, 20)) {
	case 0 ... 9:	/* our ioctls, well-formed then mutated */
		cmd = knhk_cmds[fb(f, ARRAY_SIZE(knhk_cmds))];
		/* Placed so that a bigger size field may run off the mapping. */
		arg = fb(f, 4) ? argbuf :
		      f->mem + f->memlen - _IOC_SIZE(cmd) - 8 * fb(f, 2);
		fuzz_arg(f, cmd, arg);
		if (fb(f, 16) == 0)
			arg = fuzz_ptr(f, _IOC_SIZE(cmd));
		r = ioctl(fd, cmd, arg);
		f->c.ioctls++;
		break;
	case 10 ... 12:	/* our magic, any number, direction and size */
		cmd = _IOC(fb(f, 4), KNHK_IOC_MAGIC, fb(f, 8) ? fb(f, 16) : fb(f, 256),
			   fb(f, 4) ? fb(f, 512) : fb(f, 1 << 14));
		fuzz_mutate(f, argbuf, 512);
		r = ioctl(fd, cmd, fb(f, 2) ? (void *)argbuf : fuzz_ptr(f, 64));
		f->c.ioctls++;
		break;
	case 13 ... 14:	/* anything at all */
		do {
			cmd = (__u32)fr(f);
		} while (vfs_cmd(cmd));
		r = ioctl(fd, cmd, fb(f, 2) ? (void *)argbuf : fuzz_ptr(f, 64));
		f->c.ioctls++;
		break;
	case 15 ... 16: {
		size_t len = fb(f, 4) ? sizeof(struct knhk_completion) * (1 + fb(f, 64)) :
					fb(f, 1000);
		struct pollfd p = { .fd = fd, .events = POLLIN };

		/* A blocking file only reads what is there. */
		if (f->blocking[i] && poll(&p, 1, 0) != 1)
			break;
		r = read(fd, fuzz_ptr(f, len), len);
		f->c.reads++;
		break;
	}
	case 17 ... 18: {
		struct pollfd p[FUZZ_FDS];
		int k;

		for (k = 0; k < FUZZ_FDS; k++) {
			p[k].fd = f->fd[k];
			p[k].events = fb(f, 2) ? POLLIN | POLLOUT : fr(f);
		}
		r = poll(p, FUZZ_FDS, 0);
		f->c.polls++;
		break;
	}
	default:
		fuzz_reopen(f, i);
		r = f->fd[i] < 0 ? -1 : 0;
		break;
	}
	if (r >= 0)
		f->c.ok++;
}

/* One round in a child; the counts come back through @wr. */
static void fuzz_round(struct fuzz *f, int wr)
{
	int i;

	for (i = 0; i < FUZZ_FDS; i++) {
		f->fd[i] = -1;
		fuzz_reopen(f, i);
	}
	f->c.reopens = 0;
	for (i = 0; i < FUZZ_ROUND_OPS; i++) {
		fuzz_one(f);
		/* Sent as we go: a child killed for blocking still counts. */
		if (i % 16 == 15 || i == FUZZ_ROUND_OPS - 1)
			if (pwrite(wr, &f->c, sizeof(f->c), 0) < 0)
				_exit(2);
	}
	_exit(0);
}

FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, random_ioctls_then_workload, 600)
{
	const char *e = getenv("KNHK_FUZZ_SECS");
	double budget = (e ? atof(e) : 10) * 1e3, t0;
	long tot[6] = { 0 }, rounds = 0, killed = 0;
	struct rel_wl *ref = malloc(sizeof(*ref)), *w = malloc(sizeof(*w));
	char tmpl[] = "/tmp/knhk_fuzz.XXXXXX";
	struct fuzz f = { 0 };
	int kmsg, k, cfd, st, warns;

	ASSERT_NE(NULL, ref);
	ASSERT_NE(NULL, w);
	e = getenv("KNHK_FUZZ_SEED");
	f.seed = e ? strtoull(e, NULL, 0) : 0xf022f022ULL;
	rel_wl_init(ref, 0);
	ASSERT_EQ(0, rel_wl_run(ref, rel_plan_submit));

	f.pg = sysconf(_SC_PAGESIZE);
	f.memlen = FUZZ_PAGES * f.pg;
	f.mem = mmap(NULL, f.memlen + f.pg, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, f.mem);
	ASSERT_EQ(0, mprotect(f.mem + f.memlen, f.pg, PROT_NONE));
	f.unmapped = unmapped_addr();
	/* Counts of a round: a file, since the child may be killed. */
	cfd = mkstemp(tmpl);
	ASSERT_LE(0, cfd);
	unlink(tmpl);
	kmsg = rel_kmsg_open();

	TH_LOG("seed %#llx, budget %.0f s", (unsigned long long)f.seed, budget / 1e3);
	t0 = now_ms();
	while (now_ms() - t0 < budget) {
		long got[6] = { 0 };
		pid_t pid;

		ASSERT_EQ(0, ftruncate(cfd, 0));
		pid = fork();
		ASSERT_LE(0, pid);
		f.seed = knhk_mix64(f.seed + rounds);
		if (!pid)
			fuzz_round(&f, cfd);
		st = rel_wait_ms(pid, FUZZ_ROUND_MS);
		if (st == -1) {
			/* Blocked somewhere: killing it must work. */
			kill(pid, SIGKILL);
			st = rel_wait_ms(pid, 10000);
			ASSERT_NE(-1, st) TH_LOG("round %ld: child does not die", rounds);
			killed++;
		} else {
			EXPECT_TRUE(WIFEXITED(st) && !WEXITSTATUS(st))
				TH_LOG("round %ld: child status %#x", rounds, st);
		}
		if (pread(cfd, got, sizeof(got), 0) == sizeof(got))
			for (k = 0; k < 6; k++)
				tot[k] += got[k];
		rounds++;
	}
	printf("# fuzz: %ld calls in %ld rounds, %.1f s; %ld blocked rounds killed\n",
	       tot[0], rounds, (now_ms() - t0) / 1e3, killed);
	printf("# fuzz: %ld ioctls, %ld reads, %ld polls, %ld reopens; %ld succeeded\n",
	       tot[1], tot[2], tot[3], tot[4], tot[5]);
	EXPECT_LT(0, tot[0]);

	/* Afterwards, a normal workload: the reference digest. */
	rel_wl_init(w, 0);
	ASSERT_EQ(0, rel_wl_run(w, rel_plan_submit));
	EXPECT_EQ(ref->d.digest, w->d.digest);
	EXPECT_EQ(ref->d.events, w->d.events);
	if (kmsg >= 0) {
		EXPECT_EQ(0, rel_kmsg_bad(kmsg, &warns));
		close(kmsg);
	}
	close(cfd);
	munmap(f.mem, f.memlen + f.pg);
	free(ref);
	free(w);
}

TEST_HARNESS_MAIN
