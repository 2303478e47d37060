// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_abi - the ABI's versioning and the contract's settled details.
 *
 * - Old and new struct sizes: the ioctl number encodes sizeof, so a
 *   program built against the first struct knhk_config (24 bytes) or
 *   struct knhk_stats (56 bytes) sends another number; the module
 *   dispatches on the number's type, direction and index and takes the
 *   size from the struct. A larger struct with a zero tail works, a
 *   non-zero tail is -E2BIG.
 * - Instruction fields an opcode does not use must be zero.
 * - DESIGN.md section 4's settled details, each as the uapi states it, and
 *   the smaller defects of issue 10: a release on a never-configured
 *   instance, an ordered -ENOSPC that reading completions must not change,
 *   a submit whose struct cannot be written back.
 */
#include <assert.h>
#include <stddef.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "knhk_core.h"

/* The first version of struct knhk_config, as an old program has it. */
struct knhk_config_v0 {
	__u32 size;
	__u32 flags;
	__u32 lanes;
	__u32 ring_size;
	__u32 cq_size;
	__u32 reserved;
};

/* The first version of struct knhk_stats: no @instance. */
struct knhk_stats_v0 {
	__u32 size;
	__u32 flags;
	__u32 lanes;
	__u32 reserved;
	__u64 lane_stats;
	__u64 submitted;
	__u64 executed;
	__u64 completed;
	__u64 inflight;
};

/* A struct from a future version: today's and 16 more bytes. */
struct knhk_config_big {
	struct knhk_config c;
	__u8 tail[16];
};

struct knhk_stats_big {
	struct knhk_stats s;
	__u8 tail[16];
};

#define IOC_CONFIGURE_V0	_IOW(KNHK_IOC_MAGIC, 0x01, struct knhk_config_v0)
#define IOC_STATS_V0		_IOWR(KNHK_IOC_MAGIC, 0x04, struct knhk_stats_v0)
#define IOC_CONFIGURE_BIG	_IOW(KNHK_IOC_MAGIC, 0x01, struct knhk_config_big)
#define IOC_STATS_BIG		_IOWR(KNHK_IOC_MAGIC, 0x04, struct knhk_stats_big)

static_assert(sizeof(struct knhk_config_v0) == KNHK_CONFIG_SIZE_VER0, "config v0");
static_assert(sizeof(struct knhk_stats_v0) == KNHK_STATS_SIZE_VER0, "stats v0");

static __u32 stats_lanes(int fd)
{
	struct knhk_stats s;

	return knhk_stats(fd, &s, NULL, 0) ? 0 : s.lanes;
}

/* CONFIGURE with the first version's number and size. */
TEST(configure_first_version_number)
{
	struct knhk_config_v0 c = {
		.size = sizeof(c), .lanes = 8, .ring_size = 64, .cq_size = 100,
	};
	int fd = open_dev(_metadata, 0);

	ASSERT_NE(KNHK_IOC_CONFIGURE, IOC_CONFIGURE_V0);
	EXPECT_EQ(0, knhk_ioctl(fd, IOC_CONFIGURE_V0, &c));
	EXPECT_EQ(8, stats_lanes(fd));
	/* Today's number with the old size works too. */
	c.lanes = 2;
	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_CONFIGURE, &c));
	EXPECT_EQ(2, stats_lanes(fd));
	close(fd);
}

/* STATS with the 56-byte number: filled up to its size, not a byte more. */
TEST(stats_first_version_number)
{
	struct {
		struct knhk_stats_v0 s;
		__u8 canary[16];
	} b;
	struct knhk_task t;
	size_t i;
	int fd = open_dev(_metadata, 0);

	task_pure(&t, 1, 1);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, knhk_barrier(fd));
	memset(&b, 0x5a, sizeof(b));
	memset(&b.s, 0, sizeof(b.s));
	b.s.size = sizeof(b.s);
	ASSERT_NE(KNHK_IOC_STATS, IOC_STATS_V0);
	EXPECT_EQ(0, knhk_ioctl(fd, IOC_STATS_V0, &b.s));
	EXPECT_EQ(KNHK_STATS_SIZE_VER0, b.s.size);
	EXPECT_EQ(KNHK_DEFAULT_LANES, b.s.lanes);
	EXPECT_EQ(1, b.s.submitted);
	EXPECT_EQ(1, b.s.executed);
	for (i = 0; i < sizeof(b.canary); i++)
		EXPECT_EQ(0x5a, b.canary[i]) TH_LOG("byte %zu after the struct", i);
	close(fd);
}

/* A future, larger struct with a zero tail, under its own number. */
TEST(larger_struct_zero_tail)
{
	struct knhk_config_big c;
	struct knhk_stats_big s;
	int fd = open_dev(_metadata, 0);

	memset(&c, 0, sizeof(c));
	c.c.size = sizeof(c);
	c.c.lanes = 16;
	c.c.ring_size = 32;
	c.c.cq_size = 64;
	EXPECT_EQ(0, knhk_ioctl(fd, IOC_CONFIGURE_BIG, &c));
	memset(&s, 0, sizeof(s));
	s.s.size = sizeof(s);
	EXPECT_EQ(0, knhk_ioctl(fd, IOC_STATS_BIG, &s));
	/* The size says how much the kernel filled: today's struct. */
	EXPECT_EQ(sizeof(struct knhk_stats), s.s.size);
	EXPECT_EQ(16, s.s.lanes);
	close(fd);
}

/* ... and with a non-zero tail: -E2BIG, nothing changes. */
TEST(larger_struct_nonzero_tail)
{
	struct knhk_config_big c;
	struct knhk_stats_big s;
	int fd = open_dev(_metadata, 0);

	memset(&c, 0, sizeof(c));
	c.c.size = sizeof(c);
	c.c.lanes = 16;
	c.c.ring_size = 32;
	c.c.cq_size = 64;
	c.tail[15] = 1;
	EXPECT_EQ(-E2BIG, knhk_ioctl(fd, IOC_CONFIGURE_BIG, &c));
	EXPECT_EQ(KNHK_DEFAULT_LANES, stats_lanes(fd));
	memset(&s, 0, sizeof(s));
	s.s.size = sizeof(s);
	s.tail[0] = 1;
	EXPECT_EQ(-E2BIG, knhk_ioctl(fd, IOC_STATS_BIG, &s));
	close(fd);
}

/* The number's type, direction and index must be right: -ENOTTY. */
TEST(wrong_number_is_enotty)
{
	struct knhk_config c = {
		.size = sizeof(c), .lanes = 2, .ring_size = 32, .cq_size = 64,
	};
	int fd = open_dev(_metadata, 0);

	EXPECT_EQ(-ENOTTY, knhk_ioctl(fd, _IOR(KNHK_IOC_MAGIC, 0x01, struct knhk_config), &c));
	EXPECT_EQ(-ENOTTY, knhk_ioctl(fd, _IOWR(KNHK_IOC_MAGIC, 0x01, struct knhk_config), &c));
	EXPECT_EQ(-ENOTTY, knhk_ioctl(fd, _IOW(KNHK_IOC_MAGIC + 1, 0x01, struct knhk_config), &c));
	EXPECT_EQ(-ENOTTY, knhk_ioctl(fd, _IO(KNHK_IOC_MAGIC, 0x01), &c));
	EXPECT_EQ(-ENOTTY, knhk_ioctl(fd, _IOWR(KNHK_IOC_MAGIC, 0x0d, struct knhk_config), &c));
	EXPECT_EQ(-ENOTTY, knhk_ioctl(fd, _IOW(KNHK_IOC_MAGIC, 0x04, struct knhk_stats), &c));
	EXPECT_EQ(KNHK_DEFAULT_LANES, stats_lanes(fd));
	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_CONFIGURE, &c));
	EXPECT_EQ(2, stats_lanes(fd));
	close(fd);
}

/* ---- instruction fields an opcode does not use ---- */

enum field { F_DST, F_SRC, F_IMM };

static const struct {
	const char *name;
	__u32 op;
	bool ordered;
	enum field unused;
} unused_fields[] = {
	{ "ldi src", KNHK_OP_LDI, false, F_SRC },
	{ "rol src", KNHK_OP_ROL, false, F_SRC },
	{ "ldl src", KNHK_OP_LDL, false, F_SRC },
	{ "lds src", KNHK_OP_LDS, true, F_SRC },
	{ "stl dst", KNHK_OP_STL, false, F_DST },
	{ "sts dst", KNHK_OP_STS, true, F_DST },
	{ "add imm", KNHK_OP_ADD, false, F_IMM },
	{ "sub imm", KNHK_OP_SUB, false, F_IMM },
	{ "xor imm", KNHK_OP_XOR, false, F_IMM },
	{ "mul imm", KNHK_OP_MUL, false, F_IMM },
	{ "mix imm", KNHK_OP_MIX, false, F_IMM },
};

static int submit_one_insn(int fd, __u32 op, bool ordered, enum field f,
			   __u64 val)
{
	struct knhk_ordered_task ot;
	struct knhk_insn *in;

	memset(&ot, 0, sizeof(ot));
	ot.timestamp = 1;
	task_prog(&ot.task, 1, 7, 1);
	task_insn(&ot.task, op, 1, 2, 3);
	in = &ot.task.prog[0];
	/* What the opcode uses is valid; the one unused field gets @val. */
	switch (op) {
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
	default:
		in->imm = 0;
	}
	if (f == F_DST)
		in->dst = val;
	else if (f == F_SRC)
		in->src = val;
	else
		in->imm = val;
	if (ordered)
		return core_enqueue_ordered(fd, &ot);
	return knhk_enqueue(fd, &ot.task);
}

/*
 * Each opcode with its unused field zero is accepted; with 1, or the
 * largest value a register field may hold, it is -EINVAL and nothing is
 * accepted.
 */
TEST(insn_unused_fields_must_be_zero)
{
	int fd = open_dev(_metadata, 0);
	long long ok = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(unused_fields); i++) {
		__u32 op = unused_fields[i].op;
		bool ord = unused_fields[i].ordered;
		enum field f = unused_fields[i].unused;

		EXPECT_EQ(0, submit_one_insn(fd, op, ord, f, 0))
			TH_LOG("%s = 0", unused_fields[i].name);
		ok++;
		EXPECT_EQ(-EINVAL, submit_one_insn(fd, op, ord, f, 1))
			TH_LOG("%s = 1", unused_fields[i].name);
		EXPECT_EQ(-EINVAL, submit_one_insn(fd, op, ord, f,
						   f == F_IMM ? 1ULL << 63 : KNHK_NR_REGS - 1))
			TH_LOG("%s = another non-zero value", unused_fields[i].name);
		EXPECT_EQ(ok, core_submitted(fd)) TH_LOG("%s", unused_fields[i].name);
	}
	close(fd);
}

/* ---- settled details (DESIGN.md section 4) ---- */

/* A release on a never-configured instance with nothing waiting: 0, 0. */
TEST(release_unconfigured)
{
	__u32 rel = 7;
	int fd = open_dev(_metadata, 0);

	EXPECT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(0, rel);
	close(fd);
	fd = open_dev(_metadata, 0);
	rel = 7;
	EXPECT_EQ(0, core_release(fd, 0, 100, &rel));
	EXPECT_EQ(0, rel);
	/* The defaults are in force, and the instance works. */
	EXPECT_EQ(KNHK_DEFAULT_LANES, stats_lanes(fd));
	close(fd);
}

/*
 * The ordered queue's -ENOSPC depends only on the submit path: waiting
 * tasks fill it, and only a release empties it. Released tasks whose
 * completions are unread take room too, but that room is made by the
 * reader: the call waits for it (-EAGAIN non-blocking), like a full lane.
 * Two instances given the same calls, one reading its completions and
 * one not, answer each call the same way, but for -EAGAIN.
 */
TEST(ordered_enospc_not_from_reads)
{
	struct knhk_ordered_task ot[5];
	struct knhk_completion c[4];
	struct knhk_submit sb;
	__u32 rel, i;
	int fd = open_dev(_metadata, O_NONBLOCK);

	ASSERT_EQ(0, core_config(fd, 0, 4, 4, 20));
	for (i = 0; i < 5; i++)
		otask_pure(&ot[i], i, i, i);
	ASSERT_EQ(0, core_submit_ordered(fd, ot, 4, &sb));
	EXPECT_EQ(-ENOSPC, core_enqueue_ordered(fd, &ot[4]));
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	EXPECT_EQ(4, rel);
	/* Four completions unread: waiting for the reader, not -ENOSPC. */
	EXPECT_EQ(-EAGAIN, core_enqueue_ordered(fd, &ot[4]));
	EXPECT_EQ(-EAGAIN, core_submit_ordered(fd, ot, 4, &sb));
	EXPECT_EQ(0, sb.accepted);
	/* More than the queue holds is -ENOSPC whatever was read. */
	EXPECT_EQ(-ENOSPC, core_submit_ordered(fd, ot, 5, &sb));
	ASSERT_EQ(1, knhk_read_all(fd, c, 1));
	EXPECT_EQ(0, core_enqueue_ordered(fd, &ot[4]));
	EXPECT_EQ(-EAGAIN, core_enqueue_ordered(fd, &ot[0]));
	ASSERT_EQ(3, knhk_read_all(fd, c, 3));
	/* One waiting: three more fit, a fourth is -ENOSPC. */
	EXPECT_EQ(-ENOSPC, core_submit_ordered(fd, ot, 4, &sb));
	EXPECT_EQ(0, core_submit_ordered(fd, ot, 3, &sb));
	EXPECT_EQ(8, core_submitted(fd));
	close(fd);
}

/* A blocking ordered submission waits for the reader to make room. */
static void *read_later(void *arg)
{
	struct knhk_completion c[4];
	int fd = *(int *)arg;

	usleep(200 * 1000);
	return (void *)(long)knhk_read_all(fd, c, 4);
}

TEST(ordered_waits_for_reader)
{
	struct knhk_ordered_task ot[5];
	pthread_t th;
	void *got;
	__u32 rel, i;
	int fd = open_dev(_metadata, 0);

	ASSERT_EQ(0, core_config(fd, 0, 4, 4, 20));
	for (i = 0; i < 5; i++)
		otask_pure(&ot[i], i, i, i);
	ASSERT_EQ(0, core_submit_ordered(fd, ot, 4, NULL));
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	ASSERT_EQ(0, pthread_create(&th, NULL, read_later, &fd));
	EXPECT_EQ(0, core_enqueue_ordered(fd, &ot[4]));
	pthread_join(th, &got);
	EXPECT_EQ(4, (long)got);
	close(fd);
}

/*
 * A submit whose struct cannot be written back (read-only) fails with
 * -EFAULT before it accepts anything, so the caller, who cannot learn
 * @accepted, has lost nothing.
 */
TEST(submit_struct_not_writable)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct knhk_submit *sb;
	struct knhk_task t[2];
	int fd = open_dev(_metadata, 0);

	sb = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, sb);
	task_pure(&t[0], 1, 1);
	task_pure(&t[1], 2, 2);
	core_sb(sb, t, 2);
	ASSERT_EQ(0, mprotect(sb, pg, PROT_READ));
	EXPECT_EQ(-EFAULT, knhk_ioctl(fd, KNHK_IOC_SUBMIT, sb));
	EXPECT_EQ(0, core_submitted(fd));
	EXPECT_EQ(-EFAULT, knhk_ioctl(fd, KNHK_IOC_SUBMIT_ORDERED, sb));
	EXPECT_EQ(0, core_submitted(fd));
	ASSERT_EQ(0, mprotect(sb, pg, PROT_READ | PROT_WRITE));
	EXPECT_EQ(0, knhk_ioctl(fd, KNHK_IOC_SUBMIT, sb));
	EXPECT_EQ(2, sb->accepted);
	EXPECT_EQ(2, core_submitted(fd));
	munmap(sb, pg);
	close(fd);
}

/* BUDGET_EXCEEDED: the output is r0 when the program stopped. */
TEST(settled_budget_exceeded_output)
{
	struct knhk_completion c;
	struct knhk_task t;
	int fd = open_dev(_metadata, 0);

	task_prog(&t, 0, 5, 3);
	task_insn(&t, KNHK_OP_LDI, 1, 0, 10);
	task_insn(&t, KNHK_OP_ADD, 0, 1, 0);	/* r0 = 15 */
	task_insn(&t, KNHK_OP_ADD, 0, 1, 0);	/* r0 = 25: the last that runs */
	task_insn(&t, KNHK_OP_ADD, 0, 1, 0);
	task_insn(&t, KNHK_OP_LDI, 0, 0, 99);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(KNHK_STATUS_BUDGET_EXCEEDED, c.status);
	EXPECT_EQ(25, c.output);
	EXPECT_EQ(3, c.ticks);
	close(fd);
}

/*
 * GUARD_FAILED: output 0, ticks 0, stamped by its lane's clock like any
 * task; STATS.executed counts it.
 */
TEST(settled_guard_failed)
{
	struct knhk_completion c[3];
	struct knhk_lane_stats ls[4];
	struct knhk_stats st;
	struct knhk_task t[3];
	int fd = open_dev(_metadata, 0);

	task_pure(&t[0], 1, 1);			/* lane 1, enqueue 1, runs at 2 */
	task_pure(&t[1], 5, 5);			/* lane 1, enqueue 2, runs at 3 */
	t[1].nguards = 1;
	t[1].guards[0] = 9;			/* not set */
	task_pure(&t[2], 9, 9);			/* lane 1, enqueue 3, runs at 4 */
	ASSERT_EQ(0, core_submit(fd, t, 3, NULL));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(3, knhk_read_all(fd, c, 3));
	for (int i = 0; i < 3; i++) {
		EXPECT_EQ(t[i].task_id, c[i].task_id);
		EXPECT_EQ(i + 1, c[i].enqueue_ts);
		EXPECT_EQ(i + 2, c[i].execute_ts);
		EXPECT_EQ(1, c[i].lane);
	}
	EXPECT_EQ(KNHK_STATUS_GUARD_FAILED, c[1].status);
	EXPECT_EQ(0, c[1].output);
	EXPECT_EQ(0, c[1].ticks);
	ASSERT_EQ(0, knhk_stats(fd, &st, ls, 4));
	EXPECT_EQ(3, st.executed);
	EXPECT_EQ(3, ls[1].executed);
	close(fd);
}

/* An ordered GUARD_FAILED task counts in STATS.executed too. */
TEST(settled_executed_counts_ordered_guard_failures)
{
	struct knhk_ordered_task ot;
	struct knhk_completion c;
	struct knhk_stats st;
	__u32 rel;
	int fd = open_dev(_metadata, 0);

	otask_pure(&ot, 5, 1, 1);
	task_guard(&ot.task, 3);
	ASSERT_EQ(0, core_enqueue_ordered(fd, &ot));
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, &rel));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(KNHK_STATUS_GUARD_FAILED, c.status);
	EXPECT_EQ(0, c.ticks);
	EXPECT_EQ(0, c.output);
	ASSERT_EQ(0, knhk_stats(fd, &st, NULL, 0));
	EXPECT_EQ(1, st.executed);
	close(fd);
}

/*
 * Barrier and digest never wait for a task that needs a further call: an
 * unreleased ordered task, a task of a step-mode lane. Both return at once,
 * and the digest counts what has happened (the enqueues).
 */
TEST(settled_barrier_digest_do_not_wait)
{
	struct knhk_ordered_task ot;
	struct knhk_completion c;
	struct knhk_digest d;
	struct knhk_task t;
	double t0;
	int fd = open_dev(_metadata, 0);

	ASSERT_EQ(0, core_config(fd, KNHK_CONFIG_STEP_MODE, 2, 16, 32));
	task_pure(&t, 0, 1);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	otask_pure(&ot, 5, 1, 1);
	ASSERT_EQ(0, core_enqueue_ordered(fd, &ot));
	t0 = now_ms();
	EXPECT_EQ(0, knhk_barrier(fd));
	EXPECT_EQ(0, core_digest(fd, &d));
	EXPECT_GT(5000, now_ms() - t0);
	EXPECT_EQ(2, d.events);
	EXPECT_EQ(1 ^ 6, d.checksum);	/* enqueues at 1 and max(1, 5) + 1 */
	/* They run when asked to, and then the digest counts them. */
	ASSERT_EQ(0, core_run_cycle(fd, 0, &c));
	EXPECT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(0, core_digest(fd, &d));
	EXPECT_EQ(3, d.events);
	close(fd);
}

/*
 * The digest covers the lane count and the digest version, not the ring,
 * completion-queue and replay sizes nor step mode: the same calls give the
 * same digest under those, and another with another lane count.
 */
static __u64 digest_of(struct __test_metadata *_metadata, __u32 flags,
		       __u32 lanes, __u32 ring, __u32 cq, __u32 subbuf)
{
	struct knhk_config cfg = {
		.size = sizeof(cfg), .flags = flags, .lanes = lanes,
		.ring_size = ring, .cq_size = cq, .replay_subbuf_size = subbuf,
	};
	struct knhk_ordered_task ot;
	struct knhk_completion c;
	struct knhk_digest d;
	struct knhk_task t;
	__u32 rel, i;
	int fd = open_dev(_metadata, 0);

	if (knhk_ioctl(fd, KNHK_IOC_CONFIGURE, &cfg))
		return 0;
	for (i = 0; i < 8; i++) {
		task_pure(&t, i, 100 + i);
		if (knhk_enqueue(fd, &t))
			return 0;
		if (flags & KNHK_CONFIG_STEP_MODE &&
		    core_run_cycle(fd, i & (lanes - 1), &c))
			return 0;
	}
	otask_pure(&ot, 3, 1, 1);
	if (core_enqueue_ordered(fd, &ot) ||
	    core_release(fd, KNHK_RELEASE_ALL, 0, &rel) || core_digest(fd, &d))
		return 0;
	close(fd);
	return d.digest;
}

TEST(settled_digest_coverage)
{
	__u64 ref = digest_of(_metadata, 0, 4, 64, 64, 0);

	ASSERT_NE(0, ref);
	EXPECT_EQ(ref, digest_of(_metadata, 0, 4, 16, 20, 0));
	EXPECT_EQ(ref, digest_of(_metadata, 0, 4, 1024, 4096, 0));
	EXPECT_EQ(ref, digest_of(_metadata, KNHK_CONFIG_STEP_MODE, 4, 64, 64, 0));
	EXPECT_EQ(ref, digest_of(_metadata, KNHK_CONFIG_REPLAY | KNHK_CONFIG_REPLAY_DROP,
				 4, 64, 64, KNHK_REPLAY_MIN_SUBBUF));
	EXPECT_NE(ref, digest_of(_metadata, 0, 8, 64, 64, 0));
	EXPECT_NE(ref, digest_of(_metadata, 0, 2, 64, 64, 0));
}

TEST_HARNESS_MAIN
