// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_badcore - the deterministic core's ioctls fed bad input: batch and
 * ordered submission, release, run-cycle, guards, shared-state loads and
 * the digest.
 *
 * One table row per bad call (a fixture variant: its own TAP line), with
 * the exact errno. After each, the test checks that nothing was accepted
 * (STATS.submitted unchanged), that bad_index and accepted say what the
 * header promises, and that the rejected call was not logged: a probe task
 * gets enqueue_ts = (submit-clock ticks of the preparation) + 1.
 */
#include "kselftest_harness.h"
#include "knhk_core.h"

/* What a preparation did: submit-clock ticks and tasks accepted. */
struct prep {
	__u64 ticks;
	__u64 submitted;
	bool step;
};

enum kind { K_SUBMIT, K_ORDERED, K_RAW };

FIXTURE(bad) {
	int fd;
	struct prep p;
};

FIXTURE_VARIANT(bad) {
	const char *desc;
	int err;
	int (*prep)(int fd, struct prep *p);	/* default: prep_cfg4 */
	enum kind kind;
	__u32 n;			/* batch entries (default 4) */
	__u32 at;			/* the bad entry */
	void (*task)(struct knhk_task *t);	/* makes entry @at bad */
	__u64 ts;			/* ordered: entry @at's timestamp */
	void (*batch)(struct knhk_submit *sb);	/* makes the batch bad */
	bool straddle;			/* the last entry crosses into a hole */
	bool check_bi;			/* bad_index must be ... */
	__u32 bi;			/* ... this */
	long (*raw)(int fd);		/* K_RAW: the call, 0 or -errno */
};

/* ---- preparations ---- */

static int prep_cfg4(int fd, struct prep *p)
{
	(void)p;
	return core_config(fd, 0, 4, 64, 256);
}

static int prep_fresh(int fd, struct prep *p)
{
	(void)fd;
	(void)p;
	return 0;
}

static int prep_step(int fd, struct prep *p)
{
	p->step = true;
	return core_config(fd, KNHK_CONFIG_STEP_MODE, 4, 16, 64);
}

static int prep_started(int fd, struct prep *p)
{
	struct knhk_task t;
	int r = prep_cfg4(fd, p);

	task_pure(&t, 0x200, 1);
	if (!r)
		r = knhk_enqueue(fd, &t);
	p->ticks = 1;
	p->submitted = 1;
	return r;
}

/* Ordered queue of two entries. */
static int prep_ring2(int fd, struct prep *p)
{
	(void)p;
	return core_config(fd, 0, 4, 2, 8);
}

/* ... holding two waiting tasks (T 0: ticks 1, 2). */
static int prep_ring2_full(int fd, struct prep *p)
{
	struct knhk_ordered_task ot[2];
	int r = prep_ring2(fd, p);

	otask_pure(&ot[0], 0, 0x210, 1);
	otask_pure(&ot[1], 0, 0x211, 2);
	if (!r)
		r = core_submit_ordered(fd, ot, 2, NULL);
	p->ticks = 2;
	p->submitted = 2;
	return r;
}

/* ... released, completions unread (release: tick 3). */
static int prep_ring2_released(int fd, struct prep *p)
{
	int r = prep_ring2_full(fd, p);

	if (!r)
		r = core_release(fd, KNHK_RELEASE_ALL, 0, NULL);
	p->ticks = 3;
	return r;
}

/* ---- bad tasks ---- */

static void t_prog(struct knhk_task *t, __u32 op, __u32 dst, __u32 src,
		   __u64 imm)
{
	t->kind = KNHK_WORK_PROGRAM;
	t->budget = 2;
	task_insn(t, KNHK_OP_LDI, 1, 0, 5);
	task_insn(t, op, dst, src, imm);
}

static void t_bad_opcode(struct knhk_task *t)
{
	t_prog(t, KNHK_NR_OPS, 0, 0, 0);
}

static void t_bad_register(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_ADD, 0, KNHK_NR_REGS, 0);
}

static void t_bad_dst(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_LDI, KNHK_NR_REGS, 0, 0);
}

static void t_ldl_16(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_LDL, 0, 0, KNHK_LANE_SLOTS);
}

static void t_stl_16(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_STL, 0, 1, KNHK_LANE_SLOTS);
}

static void t_sts(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_STS, 0, 1, 0);
}

static void t_lds(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_LDS, 0, 0, 0);
}

static void t_ldl(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_LDL, 0, 0, 0);
}

static void t_stl(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_STL, 0, 1, 0);
}

static void t_lds_64(struct knhk_task *t)
{
	t_prog(t, KNHK_OP_LDS, 0, 0, KNHK_SHARED_SLOTS);
}

static void t_budget_0(struct knhk_task *t)
{
	t->budget = 0;
}

static void t_budget_9(struct knhk_task *t)
{
	t->budget = KNHK_MAX_BUDGET + 1;
}

static void t_nguards_9(struct knhk_task *t)
{
	t->nguards = KNHK_MAX_GUARDS + 1;
}

static void t_guard_1024(struct knhk_task *t)
{
	task_guard(t, 1);
	task_guard(t, KNHK_GUARD_IDS);
}

static void t_guard_2000(struct knhk_task *t)
{
	task_guard(t, 2000);
}

static void t_priority_3(struct knhk_task *t)
{
	t->priority = KNHK_PRIO_LOW + 1;
}

static void t_kind_2(struct knhk_task *t)
{
	t->kind = 2;
}

/* ---- bad batches ---- */

static void sb_count_0(struct knhk_submit *sb)
{
	sb->count = 0;
}

static void sb_count_over(struct knhk_submit *sb)
{
	sb->count = KNHK_MAX_BATCH + 1;
}

static void sb_count_max(struct knhk_submit *sb)
{
	sb->count = 0xffffffffU;
}

static void sb_accepted_over(struct knhk_submit *sb)
{
	sb->accepted = sb->count + 1;
}

static void sb_null(struct knhk_submit *sb)
{
	sb->tasks = 0;
}

static void sb_unmapped(struct knhk_submit *sb)
{
	sb->tasks = (uintptr_t)unmapped_addr();
}

/* ---- raw calls ---- */

/* A valid one-task SUBMIT in a buffer with room for a tail. */
static struct knhk_task g_task;
static union {
	struct knhk_submit sb;
	char raw[sizeof(struct knhk_submit) + 64];
} g_sb;

static long submit_raw(int fd, unsigned long cmd, __u32 size,
		       void (*fix)(struct knhk_submit *sb))
{
	memset(&g_sb, 0, sizeof(g_sb));
	task_pure(&g_task, 0x300, 1);
	core_sb(&g_sb.sb, &g_task, 1);
	g_sb.sb.size = size;
	if (fix)
		fix(&g_sb.sb);
	return knhk_ioctl(fd, cmd, &g_sb);
}

static void fix_reserved(struct knhk_submit *sb)
{
	sb->reserved = 1;
}

static void fix_flags(struct knhk_submit *sb)
{
	sb->flags = 1;
}

static void fix_tail(struct knhk_submit *sb)
{
	g_sb.raw[sizeof(*sb) + 7] = 1;
}

static long submit_size_small(int fd)
{
	return submit_raw(fd, KNHK_IOC_SUBMIT, sizeof(struct knhk_submit) - 8, NULL);
}

static long submit_size_zero(int fd)
{
	return submit_raw(fd, KNHK_IOC_SUBMIT, 0, NULL);
}

static long submit_tail(int fd)
{
	return submit_raw(fd, KNHK_IOC_SUBMIT, sizeof(struct knhk_submit) + 8,
			  fix_tail);
}

static long submit_reserved(int fd)
{
	return submit_raw(fd, KNHK_IOC_SUBMIT, sizeof(struct knhk_submit),
			  fix_reserved);
}

static long submit_flags(int fd)
{
	return submit_raw(fd, KNHK_IOC_SUBMIT, sizeof(struct knhk_submit),
			  fix_flags);
}

static long ordered_reserved(int fd)
{
	return submit_raw(fd, KNHK_IOC_SUBMIT_ORDERED,
			  sizeof(struct knhk_submit), fix_reserved);
}

static long ordered_tail(int fd)
{
	return submit_raw(fd, KNHK_IOC_SUBMIT_ORDERED,
			  sizeof(struct knhk_submit) + 8, fix_tail);
}

static long enq_ordered_flags(int fd)
{
	struct knhk_enqueue_ordered e = { .size = sizeof(e), .flags = 1 };

	otask_pure(&e.ot, 1, 0x301, 1);
	return knhk_ioctl(fd, KNHK_IOC_ENQUEUE_ORDERED, &e);
}

static long enq_ordered_ldl(int fd)
{
	struct knhk_ordered_task ot;

	otask_pure(&ot, 1, 0x302, 1);
	t_ldl(&ot.task);
	return core_enqueue_ordered(fd, &ot);
}

static long enq_ordered_ts(int fd)
{
	struct knhk_ordered_task ot;

	otask_pure(&ot, CORE_TS_MAX + 1, 0x303, 1);
	return core_enqueue_ordered(fd, &ot);
}

/* Non-blocking: room held by unread completions is the reader's to make. */
static long enq_ordered_ring_full(int fd)
{
	struct knhk_ordered_task ot;
	long r;

	otask_pure(&ot, 0, 0x304, 1);
	if (set_nonblock(fd, true))
		return -EBADF;
	r = core_enqueue_ordered(fd, &ot);
	if (set_nonblock(fd, false))
		return -EBADF;
	return r;
}

static long release_flag_unknown(int fd)
{
	return core_release(fd, KNHK_RELEASE_ALL << 1, 0, NULL);
}

static long release_flag_high(int fd)
{
	return core_release(fd, KNHK_RELEASE_ALL | 1U << 31, 0, NULL);
}

static long release_reserved(int fd)
{
	struct knhk_release r = {
		.size = sizeof(r), .flags = KNHK_RELEASE_ALL, .reserved = 1,
	};

	return knhk_ioctl(fd, KNHK_IOC_RELEASE, &r);
}

static long release_size_small(int fd)
{
	struct knhk_release r = {
		.size = sizeof(r) - 8, .flags = KNHK_RELEASE_ALL,
	};

	return knhk_ioctl(fd, KNHK_IOC_RELEASE, &r);
}

static long run_cycle_lane(int fd, __u32 lane, __u32 flags, __u32 reserved)
{
	struct knhk_run_cycle rc = {
		.size = sizeof(rc), .flags = flags, .lane = lane,
		.reserved = reserved,
	};

	return knhk_ioctl(fd, KNHK_IOC_RUN_CYCLE, &rc);
}

static long run_cycle_0(int fd)
{
	return run_cycle_lane(fd, 0, 0, 0);
}

static long run_cycle_4(int fd)
{
	return run_cycle_lane(fd, 4, 0, 0);
}

static long run_cycle_max(int fd)
{
	return run_cycle_lane(fd, 0xffffffffU, 0, 0);
}

static long run_cycle_flags(int fd)
{
	return run_cycle_lane(fd, 0, 1, 0);
}

static long run_cycle_reserved(int fd)
{
	return run_cycle_lane(fd, 0, 0, 1);
}

static __u32 g_ids[KNHK_GUARD_IDS + 1];

static long guards_call(int fd, __u32 flags, __u32 count, __u32 bad_last,
			__u32 reserved)
{
	struct knhk_guards g = {
		.size = sizeof(g), .flags = flags, .count = count,
		.reserved = reserved, .ids = (uintptr_t)g_ids,
	};
	__u32 i;

	for (i = 0; i <= KNHK_GUARD_IDS; i++)
		g_ids[i] = i % KNHK_GUARD_IDS;
	if (bad_last && count)
		g_ids[count - 1] = bad_last;
	return knhk_ioctl(fd, KNHK_IOC_GUARDS, &g);
}

static long guards_flags_0(int fd)
{
	return guards_call(fd, 0, 2, 0, 0);
}

static long guards_both(int fd)
{
	return guards_call(fd, KNHK_GUARDS_SET | KNHK_GUARDS_CLEAR, 2, 0, 0);
}

static long guards_unknown(int fd)
{
	return guards_call(fd, KNHK_GUARDS_CLEAR << 1, 2, 0, 0);
}

static long guards_count_0(int fd)
{
	return guards_call(fd, KNHK_GUARDS_SET, 0, 0, 0);
}

static long guards_count_1025(int fd)
{
	return guards_call(fd, KNHK_GUARDS_SET, KNHK_GUARD_IDS + 1, 0, 0);
}

static long guards_id_1024(int fd)
{
	return guards_call(fd, KNHK_GUARDS_SET, 3, KNHK_GUARD_IDS, 0);
}

static long guards_id_2000_clear(int fd)
{
	return guards_call(fd, KNHK_GUARDS_CLEAR, 1, 2000, 0);
}

static long guards_reserved(int fd)
{
	return guards_call(fd, KNHK_GUARDS_SET, 2, 0, 1);
}

static long guards_null(int fd)
{
	struct knhk_guards g = {
		.size = sizeof(g), .flags = KNHK_GUARDS_SET, .count = 2,
	};

	return knhk_ioctl(fd, KNHK_IOC_GUARDS, &g);
}

static __u64 g_vals[KNHK_SHARED_SLOTS + 1];

static long shared_call(int fd, __u32 flags, __u32 first, __u32 count,
			const void *vals)
{
	struct knhk_shared_load s = {
		.size = sizeof(s), .flags = flags, .first = first,
		.count = count, .values = (uintptr_t)vals,
	};

	return knhk_ioctl(fd, KNHK_IOC_LOAD_SHARED, &s);
}

static long shared_first_64(int fd)
{
	return shared_call(fd, 0, KNHK_SHARED_SLOTS, 1, g_vals);
}

static long shared_count_0(int fd)
{
	return shared_call(fd, 0, 0, 0, g_vals);
}

static long shared_overrun(int fd)
{
	return shared_call(fd, 0, 60, 5, g_vals);
}

static long shared_count_65(int fd)
{
	return shared_call(fd, 0, 0, KNHK_SHARED_SLOTS + 1, g_vals);
}

static long shared_first_huge(int fd)
{
	/* first + count wraps around 2^32 */
	return shared_call(fd, 0, 0xffffffffU, 2, g_vals);
}

static long shared_flags(int fd)
{
	return shared_call(fd, 1, 0, 1, g_vals);
}

static long shared_null(int fd)
{
	return shared_call(fd, 0, 0, 4, NULL);
}

static long digest_flags(int fd)
{
	struct knhk_digest d = { .size = sizeof(d), .flags = 1 };

	return knhk_ioctl(fd, KNHK_IOC_DIGEST, &d);
}

static long digest_size_small(int fd)
{
	struct knhk_digest d = { .size = sizeof(d) - 8 };

	return knhk_ioctl(fd, KNHK_IOC_DIGEST, &d);
}

/* ---- the table ---- */

/* Bad entries, plain (SUBMIT) and ordered (SUBMIT_ORDERED). */
FIXTURE_VARIANT_ADD(bad, bad_opcode) {
	.desc = "t_bad_opcode", .kind = K_SUBMIT, .task = t_bad_opcode, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, bad_src_register) {
	.desc = "t_bad_register", .kind = K_SUBMIT, .task = t_bad_register, .err = EINVAL,
	.at = 1, .check_bi = true, .bi = 1,
};

FIXTURE_VARIANT_ADD(bad, bad_dst_register) {
	.desc = "t_bad_dst", .kind = K_ORDERED, .task = t_bad_dst, .err = EINVAL,
	.at = 3, .check_bi = true, .bi = 3,
};

FIXTURE_VARIANT_ADD(bad, lane_slot_16_load) {
	.desc = "t_ldl_16", .kind = K_SUBMIT, .task = t_ldl_16, .err = EINVAL,
	.at = 0, .check_bi = true, .bi = 0,
};

FIXTURE_VARIANT_ADD(bad, lane_slot_16_store) {
	.desc = "t_stl_16", .kind = K_SUBMIT, .task = t_stl_16, .err = EINVAL,
	.at = 3, .check_bi = true, .bi = 3,
};

FIXTURE_VARIANT_ADD(bad, plain_writes_shared) {
	.desc = "t_sts", .kind = K_SUBMIT, .task = t_sts, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, plain_reads_shared) {
	.desc = "t_lds", .kind = K_SUBMIT, .task = t_lds, .err = EINVAL,
	.at = 1, .check_bi = true, .bi = 1,
};

FIXTURE_VARIANT_ADD(bad, ordered_reads_lane_state) {
	.desc = "t_ldl", .kind = K_ORDERED, .task = t_ldl, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, ordered_writes_lane_state) {
	.desc = "t_stl", .kind = K_ORDERED, .task = t_stl, .err = EINVAL,
	.at = 0, .check_bi = true, .bi = 0,
};

FIXTURE_VARIANT_ADD(bad, shared_slot_64) {
	.desc = "t_lds_64", .kind = K_ORDERED, .task = t_lds_64, .err = EINVAL,
	.at = 1, .check_bi = true, .bi = 1,
};

FIXTURE_VARIANT_ADD(bad, budget_0) {
	.desc = "t_budget_0", .kind = K_SUBMIT, .task = t_budget_0, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, budget_9) {
	.desc = "t_budget_9", .kind = K_SUBMIT, .task = t_budget_9, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, ordered_budget_9) {
	.desc = "t_budget_9", .kind = K_ORDERED, .task = t_budget_9, .err = EINVAL,
	.at = 3, .check_bi = true, .bi = 3,
};

FIXTURE_VARIANT_ADD(bad, nguards_9) {
	.desc = "t_nguards_9", .kind = K_SUBMIT, .task = t_nguards_9, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, guard_1024) {
	.desc = "t_guard_1024", .kind = K_SUBMIT, .task = t_guard_1024, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, guard_2000) {
	.desc = "t_guard_2000", .kind = K_SUBMIT, .task = t_guard_2000, .err = EINVAL,
	.at = 0, .check_bi = true, .bi = 0,
};

FIXTURE_VARIANT_ADD(bad, ordered_guard_2000) {
	.desc = "t_guard_2000", .kind = K_ORDERED, .task = t_guard_2000, .err = EINVAL,
	.at = 1, .check_bi = true, .bi = 1,
};

FIXTURE_VARIANT_ADD(bad, priority_3) {
	.desc = "t_priority_3", .kind = K_SUBMIT, .task = t_priority_3, .err = EINVAL,
	.at = 3, .check_bi = true, .bi = 3,
};

FIXTURE_VARIANT_ADD(bad, ordered_priority_3) {
	.desc = "t_priority_3", .kind = K_ORDERED, .task = t_priority_3, .err = EINVAL,
	.at = 2, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, kind_2) {
	.desc = "t_kind_2", .kind = K_SUBMIT, .task = t_kind_2, .err = EINVAL,
	.at = 1, .check_bi = true, .bi = 1,
};

FIXTURE_VARIANT_ADD(bad, ordered_ts_over_2pow62) {
	.desc = "timestamp 2^62 + 1", .kind = K_ORDERED, .err = EINVAL,
	.at = 2, .ts = CORE_TS_MAX + 1, .check_bi = true, .bi = 2,
};

FIXTURE_VARIANT_ADD(bad, ordered_ts_u64_max) {
	.desc = "timestamp 2^64 - 1", .kind = K_ORDERED, .err = EINVAL,
	.at = 0, .ts = ~0ULL, .check_bi = true, .bi = 0,
};

FIXTURE_VARIANT_ADD(bad, last_of_max_batch) {
	.desc = "entry 255 of 256: budget 0", .kind = K_SUBMIT, .err = EINVAL,
	.n = KNHK_MAX_BATCH, .at = KNHK_MAX_BATCH - 1, .task = t_budget_0,
	.check_bi = true, .bi = KNHK_MAX_BATCH - 1,
};

/* Bad batches. */
FIXTURE_VARIANT_ADD(bad, count_0) {
	.desc = "sb_count_0", .kind = K_SUBMIT, .batch = sb_count_0, .err = EINVAL,
	.check_bi = true, .bi = KNHK_BAD_INDEX_NONE,
};

FIXTURE_VARIANT_ADD(bad, count_max_batch_plus_1) {
	.desc = "sb_count_over", .kind = K_SUBMIT, .batch = sb_count_over, .err = EINVAL,
	.check_bi = true, .bi = KNHK_BAD_INDEX_NONE,
};

FIXTURE_VARIANT_ADD(bad, count_u32_max) {
	.desc = "sb_count_max", .kind = K_SUBMIT, .batch = sb_count_max, .err = EINVAL,
	.check_bi = true, .bi = KNHK_BAD_INDEX_NONE,
};

FIXTURE_VARIANT_ADD(bad, accepted_over_count) {
	.desc = "sb_accepted_over", .kind = K_SUBMIT, .batch = sb_accepted_over, .err = EINVAL,
	.check_bi = true, .bi = KNHK_BAD_INDEX_NONE,
};

FIXTURE_VARIANT_ADD(bad, tasks_null) {
	.desc = "sb_null", .kind = K_SUBMIT, .batch = sb_null, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(bad, tasks_unmapped) {
	.desc = "sb_unmapped", .kind = K_SUBMIT, .batch = sb_unmapped, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(bad, ordered_count_0) {
	.desc = "sb_count_0", .kind = K_ORDERED, .batch = sb_count_0, .err = EINVAL,
	.check_bi = true, .bi = KNHK_BAD_INDEX_NONE,
};

FIXTURE_VARIANT_ADD(bad, ordered_count_u32_max) {
	.desc = "sb_count_max", .kind = K_ORDERED, .batch = sb_count_max, .err = EINVAL,
	.check_bi = true, .bi = KNHK_BAD_INDEX_NONE,
};

FIXTURE_VARIANT_ADD(bad, ordered_tasks_null) {
	.desc = "sb_null", .kind = K_ORDERED, .batch = sb_null, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(bad, ordered_tasks_unmapped) {
	.desc = "sb_unmapped", .kind = K_ORDERED, .batch = sb_unmapped, .err = EFAULT,
};

FIXTURE_VARIANT_ADD(bad, tasks_straddle_hole) {
	.desc = "last entry crosses into an unmapped page", .kind = K_SUBMIT,
	.err = EFAULT, .straddle = true,
};

FIXTURE_VARIANT_ADD(bad, ordered_tasks_straddle_hole) {
	.desc = "last entry crosses into an unmapped page", .kind = K_ORDERED,
	.err = EFAULT, .straddle = true,
};

/* The ordered queue is full for the batch: nothing is accepted. */
FIXTURE_VARIANT_ADD(bad, ordered_queue_full_batch) {
	.desc = "ring_size 2: three ordered tasks in one batch",
	.kind = K_ORDERED, .n = 3, .err = ENOSPC, .prep = prep_ring2,
};

FIXTURE_VARIANT_ADD(bad, ordered_queue_full_waiting) {
	.desc = "ring_size 2, two waiting: one more",
	.kind = K_ORDERED, .n = 1, .err = ENOSPC, .prep = prep_ring2_full,
};

FIXTURE_VARIANT_ADD(bad, ordered_queue_full_unread) {
	.desc = "enq_ordered_ring_full", .kind = K_RAW, .raw = enq_ordered_ring_full,
	.err = EAGAIN, .prep = prep_ring2_released,
};

/* The submit struct itself. */
FIXTURE_VARIANT_ADD(bad, submit_size_small) {
	.desc = "submit_size_small", .kind = K_RAW, .raw = submit_size_small,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, submit_size_zero) {
	.desc = "submit_size_zero", .kind = K_RAW, .raw = submit_size_zero,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, submit_tail_nonzero) {
	.desc = "submit_tail", .kind = K_RAW, .raw = submit_tail,
	.err = E2BIG,
};

FIXTURE_VARIANT_ADD(bad, submit_reserved) {
	.desc = "submit_reserved", .kind = K_RAW, .raw = submit_reserved,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, submit_flags) {
	.desc = "submit_flags", .kind = K_RAW, .raw = submit_flags,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, ordered_submit_reserved) {
	.desc = "ordered_reserved", .kind = K_RAW, .raw = ordered_reserved,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, ordered_submit_tail_nonzero) {
	.desc = "ordered_tail", .kind = K_RAW, .raw = ordered_tail,
	.err = E2BIG,
};

FIXTURE_VARIANT_ADD(bad, enqueue_ordered_flags) {
	.desc = "enq_ordered_flags", .kind = K_RAW, .raw = enq_ordered_flags,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, enqueue_ordered_lane_state) {
	.desc = "enq_ordered_ldl", .kind = K_RAW, .raw = enq_ordered_ldl,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, enqueue_ordered_ts_over) {
	.desc = "enq_ordered_ts", .kind = K_RAW, .raw = enq_ordered_ts,
	.err = EINVAL,
};

/* Release. (One before configure is valid: knhk_abi's release_unconfigured.) */
FIXTURE_VARIANT_ADD(bad, release_flag_unknown) {
	.desc = "release_flag_unknown", .kind = K_RAW, .raw = release_flag_unknown,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, release_flag_high) {
	.desc = "release_flag_high", .kind = K_RAW, .raw = release_flag_high,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, release_reserved) {
	.desc = "release_reserved", .kind = K_RAW, .raw = release_reserved,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, release_size_small) {
	.desc = "release_size_small", .kind = K_RAW, .raw = release_size_small,
	.err = EINVAL,
};

/* Run-cycle. */
FIXTURE_VARIANT_ADD(bad, run_cycle_not_step_mode) {
	.desc = "run_cycle_0", .kind = K_RAW, .raw = run_cycle_0,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, run_cycle_not_step_mode_started) {
	.desc = "run_cycle_0", .kind = K_RAW, .raw = run_cycle_0,
	.err = EINVAL, .prep = prep_started,
};

FIXTURE_VARIANT_ADD(bad, run_cycle_not_step_mode_fresh) {
	.desc = "run_cycle_0", .kind = K_RAW, .raw = run_cycle_0,
	.err = EINVAL, .prep = prep_fresh,
};

FIXTURE_VARIANT_ADD(bad, run_cycle_lane_4_of_4) {
	.desc = "run_cycle_4", .kind = K_RAW, .raw = run_cycle_4,
	.err = EINVAL, .prep = prep_step,
};

FIXTURE_VARIANT_ADD(bad, run_cycle_lane_u32_max) {
	.desc = "run_cycle_max", .kind = K_RAW, .raw = run_cycle_max,
	.err = EINVAL, .prep = prep_step,
};

FIXTURE_VARIANT_ADD(bad, run_cycle_flags) {
	.desc = "run_cycle_flags", .kind = K_RAW, .raw = run_cycle_flags,
	.err = EINVAL, .prep = prep_step,
};

FIXTURE_VARIANT_ADD(bad, run_cycle_reserved) {
	.desc = "run_cycle_reserved", .kind = K_RAW, .raw = run_cycle_reserved,
	.err = EINVAL, .prep = prep_step,
};

/* Guards. */
FIXTURE_VARIANT_ADD(bad, guards_flags_0) {
	.desc = "guards_flags_0", .kind = K_RAW, .raw = guards_flags_0,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_set_and_clear) {
	.desc = "guards_both", .kind = K_RAW, .raw = guards_both,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_flag_unknown) {
	.desc = "guards_unknown", .kind = K_RAW, .raw = guards_unknown,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_count_0) {
	.desc = "guards_count_0", .kind = K_RAW, .raw = guards_count_0,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_count_1025) {
	.desc = "guards_count_1025", .kind = K_RAW, .raw = guards_count_1025,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_id_1024) {
	.desc = "guards_id_1024", .kind = K_RAW, .raw = guards_id_1024,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_clear_id_2000) {
	.desc = "guards_id_2000_clear", .kind = K_RAW, .raw = guards_id_2000_clear,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_reserved) {
	.desc = "guards_reserved", .kind = K_RAW, .raw = guards_reserved,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, guards_ids_null) {
	.desc = "guards_null", .kind = K_RAW, .raw = guards_null,
	.err = EFAULT,
};

/* Shared-state loads. */
FIXTURE_VARIANT_ADD(bad, load_shared_first_64) {
	.desc = "shared_first_64", .kind = K_RAW, .raw = shared_first_64,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, load_shared_count_0) {
	.desc = "shared_count_0", .kind = K_RAW, .raw = shared_count_0,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, load_shared_past_end) {
	.desc = "shared_overrun", .kind = K_RAW, .raw = shared_overrun,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, load_shared_count_65) {
	.desc = "shared_count_65", .kind = K_RAW, .raw = shared_count_65,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, load_shared_first_wraps) {
	.desc = "shared_first_huge", .kind = K_RAW, .raw = shared_first_huge,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, load_shared_flags) {
	.desc = "shared_flags", .kind = K_RAW, .raw = shared_flags,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, load_shared_values_null) {
	.desc = "shared_null", .kind = K_RAW, .raw = shared_null,
	.err = EFAULT,
};

/* Digest. */
FIXTURE_VARIANT_ADD(bad, digest_flags) {
	.desc = "digest_flags", .kind = K_RAW, .raw = digest_flags,
	.err = EINVAL,
};

FIXTURE_VARIANT_ADD(bad, digest_size_small) {
	.desc = "digest_size_small", .kind = K_RAW, .raw = digest_size_small,
	.err = EINVAL,
};

/* ---- running a row ---- */

/*
 * A batch of @n entries whose last one ends 8 bytes into an unmapped page.
 * Returns the first entry, or NULL.
 */
static void *straddling_batch(size_t stride, __u32 n)
{
	long pg = sysconf(_SC_PAGESIZE);
	size_t len = ((stride * n) / pg + 2) * pg;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + len - pg, pg);
	return p + len - pg + 8 - stride * n;
}

static long do_batch(const FIXTURE_VARIANT(bad) * v, int fd,
		     struct knhk_submit *sb, struct knhk_submit *in)
{
	static struct knhk_ordered_task ot[KNHK_MAX_BATCH];
	static struct knhk_task t[KNHK_MAX_BATCH];
	bool ordered = v->kind == K_ORDERED;
	size_t stride = ordered ? sizeof(ot[0]) : sizeof(t[0]);
	__u32 n = v->n ? v->n : 4, i;
	void *tasks = ordered ? (void *)ot : (void *)t;

	for (i = 0; i < n; i++) {
		otask_pure(&ot[i], 1 + i, 0x100 + i, i);
		task_pure(&t[i], 0x100 + i, i);
	}
	if (v->task) {
		v->task(&t[v->at]);
		v->task(&ot[v->at].task);
	}
	if (v->ts)
		ot[v->at].timestamp = v->ts;
	if (v->straddle) {
		void *p = straddling_batch(stride, n);

		if (!p)
			return -ENOMEM;
		memcpy(p, tasks, stride * n - 8);
		tasks = p;
	}
	core_sb(sb, tasks, n);
	if (v->batch)
		v->batch(sb);
	*in = *sb;
	return knhk_ioctl(fd, ordered ? KNHK_IOC_SUBMIT_ORDERED :
			  KNHK_IOC_SUBMIT, sb);
}

FIXTURE_SETUP(bad)
{
	int r;

	OPEN_DEV(self->fd, 0);
	memset(&self->p, 0, sizeof(self->p));
	r = (variant->prep ? variant->prep : prep_cfg4)(self->fd, &self->p);
	ASSERT_EQ(0, r) TH_LOG("preparation failed: %s", strerror(-r));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(bad, rejected)
{
	struct knhk_submit sb, in;
	struct knhk_completion c;
	struct knhk_task t;
	long long before, after;
	long r;

	before = core_submitted(self->fd);
	ASSERT_EQ((long long)self->p.submitted, before);

	memset(&sb, 0, sizeof(sb));
	memset(&in, 0, sizeof(in));
	if (variant->kind == K_RAW)
		r = variant->raw(self->fd);
	else
		r = do_batch(variant, self->fd, &sb, &in);
	EXPECT_EQ(-variant->err, r)
		TH_LOG("%s: got %s, want %s", variant->desc,
		       r < 0 ? strerrorname_np(-r) : "success",
		       strerrorname_np(variant->err));
	if (variant->kind != K_RAW) {
		EXPECT_EQ(variant->check_bi ? variant->bi : sb.bad_index,
			  sb.bad_index);
		/* accepted is what the caller passed: nothing more. */
		EXPECT_EQ(in.accepted, sb.accepted);
	}

	after = core_submitted(self->fd);
	EXPECT_EQ(before, after);

	/*
	 * The rejected call was not logged: a probe on lane 3 (no task of a
	 * preparation is there) gets the next submit-clock tick.
	 */
	task_pure(&t, 3, 0x3333);
	ASSERT_EQ(0, knhk_enqueue(self->fd, &t));
	if (self->p.step) {
		ASSERT_EQ(0, core_run_cycle(self->fd, 3, &c));
	} else {
		do {
			ASSERT_EQ(1, knhk_read_all(self->fd, &c, 1));
		} while (c.task_id != 3);
	}
	EXPECT_EQ(self->p.ticks + 1, c.enqueue_ts);
	EXPECT_EQ(knhk_mix64(0x3333), c.output);
	EXPECT_EQ(3, c.lane);
}

/* ---- what a rejected call must leave alone ---- */

/* A rejected guard change changes no guard. */
TEST(rejected_guards_change_nothing)
{
	__u32 set[2] = { 5, KNHK_GUARD_IDS }, clear[2] = { 5, 2000 }, g5 = 5;
	struct knhk_completion c;
	struct knhk_task t;
	int fd = open_dev(_metadata, 0);

	EXPECT_EQ(-EINVAL, core_guards(fd, KNHK_GUARDS_SET, set, 2));
	task_pure(&t, 1, 1);
	task_guard(&t, 5);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(KNHK_STATUS_GUARD_FAILED, c.status);
	EXPECT_EQ(1, c.enqueue_ts);	/* the rejected call was not logged */

	ASSERT_EQ(0, core_guards(fd, KNHK_GUARDS_SET, &g5, 1));
	EXPECT_EQ(-EINVAL, core_guards(fd, KNHK_GUARDS_CLEAR, clear, 2));
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(KNHK_STATUS_OK, c.status);
	EXPECT_EQ(3, c.enqueue_ts);
	close(fd);
}

/* A rejected shared-state load loads nothing. */
TEST(rejected_load_changes_nothing)
{
	struct knhk_ordered_task ot;
	struct knhk_completion c;
	__u64 v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	char *end;
	int fd = open_dev(_metadata, 0);
	long pg = sysconf(_SC_PAGESIZE);

	ASSERT_EQ(0, core_config(fd, 0, 4, 16, 64));
	EXPECT_EQ(-EINVAL, core_load_shared(fd, 60, v, 5));
	/* Values that run into a hole: EFAULT, and nothing loaded. */
	end = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, end);
	munmap(end + pg, pg);
	memcpy(end + pg - 16, v, 16);
	EXPECT_EQ(-EFAULT, core_load_shared(fd, 60, (void *)(end + pg - 16), 4));

	otask_pure(&ot, 1, 0x40, 0);
	t_prog(&ot.task, KNHK_OP_LDS, 0, 0, 60);
	ASSERT_EQ(0, core_enqueue_ordered(fd, &ot));
	ASSERT_EQ(0, core_release(fd, KNHK_RELEASE_ALL, 0, NULL));
	ASSERT_EQ(1, knhk_read_all(fd, &c, 1));
	EXPECT_EQ(0, c.output);
	EXPECT_EQ(KNHK_STATUS_OK, c.status);
	EXPECT_EQ(1 + 1, c.enqueue_ts);	/* max(0, 1) + 1: nothing before */
	munmap(end, pg);
	close(fd);
}

/* Controls: the limits themselves are valid. */
TEST(limits_accepted)
{
	struct knhk_submit *big;
	struct knhk_task t;
	int fd = open_dev(_metadata, 0);

	/* 1024 guard ids at once, ids 0..1023. */
	EXPECT_EQ(0, guards_call(fd, KNHK_GUARDS_SET, KNHK_GUARD_IDS, 0, 0));
	/* All 64 shared slots; the last slot alone. */
	EXPECT_EQ(0, shared_call(fd, 0, 0, KNHK_SHARED_SLOTS, g_vals));
	EXPECT_EQ(0, shared_call(fd, 0, KNHK_SHARED_SLOTS - 1, 1, g_vals));
	/* A larger submit struct with a zero tail. */
	EXPECT_EQ(0, submit_raw(fd, KNHK_IOC_SUBMIT,
				sizeof(struct knhk_submit) + 8, NULL));
	big = &g_sb.sb;
	EXPECT_EQ(1, big->accepted);
	/* Budget 8, eight guards, all set. */
	task_pure(&t, 1, 1);
	t.budget = KNHK_MAX_BUDGET;
	while (t.nguards < KNHK_MAX_GUARDS)
		task_guard(&t, KNHK_GUARD_IDS - 1 - t.nguards);
	EXPECT_EQ(0, knhk_enqueue(fd, &t));
	EXPECT_EQ(2, core_submitted(fd));
	close(fd);
}

TEST_HARNESS_MAIN
