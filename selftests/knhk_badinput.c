// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_badinput - every validation path fed bad input.
 *
 * One table row per bad call (a fixture variant, so each row is its own
 * TAP line): a valid argument with some fields overwritten (@val where
 * @mask is set), how it is passed, and the exact errno expected. After each
 * rejected call the test checks that nothing was accepted (STATS submitted
 * and lanes unchanged), that the instance still works, and that the
 * rejected call did not tick the submit clock: the next valid task gets
 * enqueue_ts = (tasks submitted before) + 1.
 */
#include <stddef.h>
#include <termios.h>

#include "kselftest_harness.h"
#include "knhk_test.h"

enum call { C_VERSION, C_CONFIGURE, C_ENQUEUE, C_BARRIER, C_STATS, C_RAW };
enum argp { ARG_STRUCT, ARG_NULL, ARG_UNMAPPED, ARG_STRADDLE };

union any_arg {
	struct knhk_version v;
	struct knhk_config c;
	struct knhk_enqueue e;
	struct knhk_barrier b;
	struct knhk_stats s;
};

/* cfg_slots() as a constant expression, for the table. */
#define CFG_SLOTS(lanes, ring)	(KNHK_SLOT_RINGS(lanes) * (ring))

/* An unmapped address, for rows whose struct points at user memory. */
static void *g_unmapped;

FIXTURE(bad) {
	int fd;
	int nprep;
};

FIXTURE_VARIANT(bad) {
	const char *desc;
	enum call call;
	int err;		/* the errno expected */
	union any_arg val;	/* fields to overwrite ... */
	union any_arg mask;	/* ... where these bits are set */
	bool program;		/* the task is PROGRAM [LDI r0, 0] */
	bool lane_stats_unmapped;	/* stats.lane_stats = unmapped */
	unsigned int tail;	/* extra bytes after the struct (size grows) */
	unsigned char tail_byte;	/* value of the last extra byte */
	enum argp arg;
	int (*prep)(int fd);	/* returns tasks it submitted, or -errno */
	long (*raw)(int fd);	/* C_RAW: the call, 0 or -errno */
	int open_flags;
	bool may_consume;	/* may consume the one ready completion */
};

/* ---- preparations ---- */

static int prep_one_task(int fd)
{
	struct knhk_task t;
	int r;

	task_pure(&t, 1, 1);
	r = knhk_enqueue(fd, &t);
	return r ? r : 1;
}

static int prep_one_ready(int fd)
{
	int r = prep_one_task(fd);

	if (r < 0)
		return r;
	r = knhk_barrier(fd);
	return r ? r : 1;
}

static int prep_cq_full(int fd)
{
	int r = knhk_configure(fd, 4, 256, 1);

	return r ? r : prep_one_task(fd);
}

static int prep_configured_8(int fd)
{
	int r = knhk_configure(fd, 8, 64, 512);

	return r ? r : 0;
}

/* ---- raw calls ---- */

static struct knhk_completion g_rbuf[4];

static long unknown_nr(int fd)
{
	return knhk_ioctl(fd, _IO(KNHK_IOC_MAGIC, 0x7f), NULL);
}

static long unknown_nr_rw(int fd)
{
	struct knhk_stats s = { .size = sizeof(s) };

	return knhk_ioctl(fd, _IOWR(KNHK_IOC_MAGIC, 0x7f, struct knhk_stats), &s);
}

static long other_magic(int fd)
{
	struct knhk_version v = { .size = sizeof(v) };

	return knhk_ioctl(fd, _IOWR(KNHK_IOC_MAGIC + 1, 0x00, struct knhk_version), &v);
}

static long tty_tcgets(int fd)
{
	struct termios t;

	return knhk_ioctl(fd, TCGETS, &t);
}

static long read_ret(ssize_t r)
{
	return r < 0 ? -errno : r;
}

static long read_short(int fd)
{
	return read_ret(read(fd, g_rbuf, sizeof(g_rbuf[0]) - 1));
}

static long read_one_byte(int fd)
{
	return read_ret(read(fd, g_rbuf, 1));
}

static long read_zero(int fd)
{
	return read_ret(read(fd, g_rbuf, 0));
}

void *knhk_null;	/* NULL, hidden from -Wnonnull */

static long read_null(int fd)
{
	return read_ret(read(fd, knhk_null, sizeof(g_rbuf[0])));
}

static long read_unmapped(int fd)
{
	return read_ret(read(fd, g_unmapped, sizeof(g_rbuf[0])));
}

static long read_empty(int fd)
{
	return read_ret(read(fd, g_rbuf, sizeof(g_rbuf)));
}

/* ---- the table ---- */

/* VERSION */
FIXTURE_VARIANT_ADD(bad, version_flags) {
	.desc = "flags = 1",
	.call = C_VERSION, .err = EINVAL,
	.val.v.flags = 1, .mask.v.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, version_flags_high) {
	.desc = "flags = 0x80000000u",
	.call = C_VERSION, .err = EINVAL,
	.val.v.flags = 0x80000000u, .mask.v.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, version_size_zero) {
	.desc = "size = 0",
	.call = C_VERSION, .err = EINVAL,
	.val.v.size = 0, .mask.v.size = -1,
};

FIXTURE_VARIANT_ADD(bad, version_size_small) {
	.desc = "size = KNHK_VERSION_SIZE_VER0 - 4",
	.call = C_VERSION, .err = EINVAL,
	.val.v.size = KNHK_VERSION_SIZE_VER0 - 4, .mask.v.size = -1,
};

FIXTURE_VARIANT_ADD(bad, version_tail_nonzero) {
	.desc = "tail 8 bytes, last 1",
	.call = C_VERSION, .err = E2BIG,
	.tail = 8, .tail_byte = 1,
};

FIXTURE_VARIANT_ADD(bad, version_tail_nonzero_far) {
	.desc = "tail 64 bytes, last 0x80",
	.call = C_VERSION, .err = E2BIG,
	.tail = 64, .tail_byte = 0x80,
};

FIXTURE_VARIANT_ADD(bad, version_null) {
	.desc = "NULL",
	.call = C_VERSION, .err = EFAULT,
	.arg = ARG_NULL,
};

FIXTURE_VARIANT_ADD(bad, version_unmapped) {
	.desc = "unmapped",
	.call = C_VERSION, .err = EFAULT,
	.arg = ARG_UNMAPPED,
};

/* CONFIGURE (the instance is configured to 8 lanes first; must stay so) */
FIXTURE_VARIANT_ADD(bad, config_lanes_0) {
	.desc = "lanes = 0",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 0, .mask.c.lanes = -1,
};

FIXTURE_VARIANT_ADD(bad, config_lanes_3) {
	.desc = "lanes = 3",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 3, .mask.c.lanes = -1,
};

FIXTURE_VARIANT_ADD(bad, config_lanes_6) {
	.desc = "lanes = 6",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 6, .mask.c.lanes = -1,
};

FIXTURE_VARIANT_ADD(bad, config_lanes_257) {
	.desc = "lanes = 257",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 257, .mask.c.lanes = -1,
};

FIXTURE_VARIANT_ADD(bad, config_lanes_512) {
	.desc = "lanes = 512; cq_size = 512",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 512, .mask.c.lanes = -1,
	.val.c.cq_size = 512, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_lanes_2pow31) {
	.desc = "lanes = 0x80000000u; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 0x80000000u, .mask.c.lanes = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_ring_0) {
	.desc = "ring_size = 0; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.ring_size = 0, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_ring_1) {
	.desc = "ring_size = 1; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.ring_size = 1, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_ring_3) {
	.desc = "ring_size = 3; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.ring_size = 3, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_ring_100) {
	.desc = "ring_size = 100; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.ring_size = 100, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_ring_131072) {
	.desc = "ring_size = 131072; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.ring_size = 131072, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_cq_0) {
	.desc = "cq_size = 0",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.cq_size = 0, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_cq_over) {
	.desc = "cq_size = CFG_SLOTS(4, 256) + 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.cq_size = CFG_SLOTS(4, 256) + 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_cq_over_small) {
	.desc = "lanes = 1; ring_size = 2; cq_size = CFG_SLOTS(1, 2) + 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 1, .mask.c.lanes = -1,
	.val.c.ring_size = 2, .mask.c.ring_size = -1,
	.val.c.cq_size = CFG_SLOTS(1, 2) + 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_slots_over) {
	.desc = "lanes = 256; ring_size = 512; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 256, .mask.c.lanes = -1,
	.val.c.ring_size = 512, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_slots_over_2_lanes) {
	.desc = "lanes = 2; ring_size = KNHK_MAX_RING; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 2, .mask.c.lanes = -1,
	.val.c.ring_size = KNHK_MAX_RING, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_slots_over_by_one_ring) {
	.desc = "lanes = 64; ring_size = 2048; cq_size = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.lanes = 64, .mask.c.lanes = -1,
	.val.c.ring_size = 2048, .mask.c.ring_size = -1,
	.val.c.cq_size = 1, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_cq_huge) {
	.desc = "cq_size = 0xffffffffu",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.cq_size = 0xffffffffu, .mask.c.cq_size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_flags_unknown) {
	.desc = "flags = KNHK_CONFIG_UNKNOWN_FLAG",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.flags = KNHK_CONFIG_UNKNOWN_FLAG, .mask.c.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, config_flags_high) {
	.desc = "flags = 0x80000000u",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.flags = 0x80000000u, .mask.c.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, config_reserved) {
	.desc = "reserved = 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.reserved = 1, .mask.c.reserved = -1,
};

FIXTURE_VARIANT_ADD(bad, config_size_zero) {
	.desc = "size = 0",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.size = 0, .mask.c.size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_size_small) {
	.desc = "size = KNHK_CONFIG_SIZE_VER0 - 4",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.size = KNHK_CONFIG_SIZE_VER0 - 4, .mask.c.size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_size_one_short) {
	.desc = "size = KNHK_CONFIG_SIZE_VER0 - 1",
	.call = C_CONFIGURE, .err = EINVAL,
	.val.c.size = KNHK_CONFIG_SIZE_VER0 - 1, .mask.c.size = -1,
};

FIXTURE_VARIANT_ADD(bad, config_tail_nonzero) {
	.desc = "tail 8 bytes, last 1",
	.call = C_CONFIGURE, .err = E2BIG,
	.tail = 8, .tail_byte = 1,
};

FIXTURE_VARIANT_ADD(bad, config_null) {
	.desc = "NULL",
	.call = C_CONFIGURE, .err = EFAULT,
	.arg = ARG_NULL,
};

FIXTURE_VARIANT_ADD(bad, config_unmapped) {
	.desc = "unmapped",
	.call = C_CONFIGURE, .err = EFAULT,
	.arg = ARG_UNMAPPED,
};

FIXTURE_VARIANT_ADD(bad, config_straddle) {
	.desc = "straddles a page end",
	.call = C_CONFIGURE, .err = EFAULT,
	.arg = ARG_STRADDLE,
};

FIXTURE_VARIANT_ADD(bad, config_after_task) {
	.desc = "lanes = 8; ring_size = 64; cq_size = 512; after prep_one_task",
	.call = C_CONFIGURE, .err = EBUSY,
	.val.c.lanes = 8, .mask.c.lanes = -1,
	.val.c.ring_size = 64, .mask.c.ring_size = -1,
	.val.c.cq_size = 512, .mask.c.cq_size = -1,
	.prep = prep_one_task,
};

/* ENQUEUE: the task */
FIXTURE_VARIANT_ADD(bad, enqueue_kind_2) {
	.desc = "task.kind = 2",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.kind = 2, .mask.e.task.kind = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_kind_max) {
	.desc = "task.kind = 0xffffffffu",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.kind = 0xffffffffu, .mask.e.task.kind = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_priority_3) {
	.desc = "task.priority = 3",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.priority = 3, .mask.e.task.priority = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_priority_max) {
	.desc = "task.priority = 0xffffffffu",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.priority = 0xffffffffu, .mask.e.task.priority = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_budget_0) {
	.desc = "task.budget = 0",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.budget = 0, .mask.e.task.budget = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_budget_9) {
	.desc = "task.budget = KNHK_MAX_BUDGET + 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.budget = KNHK_MAX_BUDGET + 1, .mask.e.task.budget = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_nguards_9) {
	.desc = "task.nguards = KNHK_MAX_GUARDS + 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.nguards = KNHK_MAX_GUARDS + 1, .mask.e.task.nguards = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_nguards_max) {
	.desc = "task.nguards = 0xffffffffu",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.nguards = 0xffffffffu, .mask.e.task.nguards = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_guard_1024) {
	.desc = "task.nguards = 1; task.guards[0] = KNHK_GUARD_IDS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.nguards = 1, .mask.e.task.nguards = -1,
	.val.e.task.guards[0] = KNHK_GUARD_IDS, .mask.e.task.guards[0] = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_guard_2000) {
	.desc = "task.nguards = 1; task.guards[0] = 2000",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.nguards = 1, .mask.e.task.nguards = -1,
	.val.e.task.guards[0] = 2000, .mask.e.task.guards[0] = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_guard_last_bad) {
	.desc = "task.nguards = 8; task.guards[7] = 1024",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.nguards = 8, .mask.e.task.nguards = -1,
	.val.e.task.guards[7] = 1024, .mask.e.task.guards[7] = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_unused_guard) {
	.desc = "task.nguards = 1; task.guards[1] = 5",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.nguards = 1, .mask.e.task.nguards = -1,
	.val.e.task.guards[1] = 5, .mask.e.task.guards[1] = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_unused_guard_none) {
	.desc = "task.guards[7] = 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.guards[7] = 1, .mask.e.task.guards[7] = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_task_reserved) {
	.desc = "task.reserved = 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.reserved = 1, .mask.e.task.reserved = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_pure_ninsns_1) {
	.desc = "task.ninsns = 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.ninsns = 1, .mask.e.task.ninsns = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_pure_prog_nonzero) {
	.desc = "task.prog[0].imm = 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].imm = 1, .mask.e.task.prog[0].imm = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_pure_prog_last_nonzero) {
	.desc = "task.prog[7].op = KNHK_OP_ADD",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[7].op = KNHK_OP_ADD, .mask.e.task.prog[7].op = -1,
};

/* ENQUEUE: the program */
FIXTURE_VARIANT_ADD(bad, enqueue_prog_ninsns_0) {
	.desc = "program; task.ninsns = 0",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.ninsns = 0, .mask.e.task.ninsns = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_ninsns_9) {
	.desc = "program; task.ninsns = KNHK_MAX_INSNS + 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.ninsns = KNHK_MAX_INSNS + 1, .mask.e.task.ninsns = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_op_nr_ops) {
	.desc = "program; task.prog[0].op = KNHK_NR_OPS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_NR_OPS, .mask.e.task.prog[0].op = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_op_max) {
	.desc = "program; task.prog[0].op = 0xffffffffu",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = 0xffffffffu, .mask.e.task.prog[0].op = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_dst_4) {
	.desc = "program; task.prog[0].op = KNHK_OP_ADD; task.prog[0].dst = 4",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_OP_ADD, .mask.e.task.prog[0].op = -1,
	.val.e.task.prog[0].dst = 4, .mask.e.task.prog[0].dst = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_src_4) {
	.desc = "program; task.prog[0].op = KNHK_OP_ADD; task.prog[0].src = 4",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_OP_ADD, .mask.e.task.prog[0].op = -1,
	.val.e.task.prog[0].src = 4, .mask.e.task.prog[0].src = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_dst_huge) {
	.desc = "program; task.prog[0].dst = 0x80000000u",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].dst = 0x80000000u, .mask.e.task.prog[0].dst = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_ldl_slot_16) {
	.desc = "program; task.prog[0].op = KNHK_OP_LDL; task.prog[0].imm = KNHK_LANE_SLOTS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_OP_LDL, .mask.e.task.prog[0].op = -1,
	.val.e.task.prog[0].imm = KNHK_LANE_SLOTS, .mask.e.task.prog[0].imm = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_stl_slot_16) {
	.desc = "program; task.prog[0].op = KNHK_OP_STL; task.prog[0].imm = KNHK_LANE_SLOTS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_OP_STL, .mask.e.task.prog[0].op = -1,
	.val.e.task.prog[0].imm = KNHK_LANE_SLOTS, .mask.e.task.prog[0].imm = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_ldl_slot_2pow32) {
	.desc = "program; task.prog[0].op = KNHK_OP_LDL; task.prog[0].imm = 1ULL << 32",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_OP_LDL, .mask.e.task.prog[0].op = -1,
	.val.e.task.prog[0].imm = 1ULL << 32, .mask.e.task.prog[0].imm = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_lds) {
	.desc = "program; task.prog[0].op = KNHK_OP_LDS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_OP_LDS, .mask.e.task.prog[0].op = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_sts) {
	.desc = "program; task.prog[0].op = KNHK_OP_STS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].op = KNHK_OP_STS, .mask.e.task.prog[0].op = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_sts_past_budget) {
	.desc = "program; task.ninsns = 8; task.prog[7].op = KNHK_OP_STS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.ninsns = 8, .mask.e.task.ninsns = -1,
	.val.e.task.prog[7].op = KNHK_OP_STS, .mask.e.task.prog[7].op = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_bad_op_past_budget) {
	.desc = "program; task.ninsns = 8; task.prog[7].op = KNHK_NR_OPS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.ninsns = 8, .mask.e.task.ninsns = -1,
	.val.e.task.prog[7].op = KNHK_NR_OPS, .mask.e.task.prog[7].op = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_insn_reserved) {
	.desc = "program; task.prog[0].reserved = 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[0].reserved = 1, .mask.e.task.prog[0].reserved = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_unused_insn) {
	.desc = "program; task.prog[1].op = KNHK_OP_ADD",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[1].op = KNHK_OP_ADD, .mask.e.task.prog[1].op = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_unused_insn_imm) {
	.desc = "program; task.prog[7].imm = 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.prog[7].imm = 1, .mask.e.task.prog[7].imm = -1,
	.program = true,
};

FIXTURE_VARIANT_ADD(bad, enqueue_prog_guarded_bad_insn) {
	.desc = "program; task.nguards = 1; task.prog[0].op = KNHK_OP_LDS",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.task.nguards = 1, .mask.e.task.nguards = -1,
	.val.e.task.prog[0].op = KNHK_OP_LDS, .mask.e.task.prog[0].op = -1,
	.program = true,
};

/* ENQUEUE: the envelope */
FIXTURE_VARIANT_ADD(bad, enqueue_flags) {
	.desc = "flags = 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.flags = 1, .mask.e.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_flags_high) {
	.desc = "flags = 0x80000000u",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.flags = 0x80000000u, .mask.e.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_size_zero) {
	.desc = "size = 0",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.size = 0, .mask.e.size = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_size_header) {
	.desc = "size = 8",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.size = 8, .mask.e.size = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_size_small) {
	.desc = "size = KNHK_ENQUEUE_SIZE_VER0 - 8",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.size = KNHK_ENQUEUE_SIZE_VER0 - 8, .mask.e.size = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_size_one_short) {
	.desc = "size = KNHK_ENQUEUE_SIZE_VER0 - 1",
	.call = C_ENQUEUE, .err = EINVAL,
	.val.e.size = KNHK_ENQUEUE_SIZE_VER0 - 1, .mask.e.size = -1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_tail_nonzero) {
	.desc = "tail 8 bytes, last 1",
	.call = C_ENQUEUE, .err = E2BIG,
	.tail = 8, .tail_byte = 1,
};

FIXTURE_VARIANT_ADD(bad, enqueue_tail_nonzero_far) {
	.desc = "tail 256 bytes, last 0xff",
	.call = C_ENQUEUE, .err = E2BIG,
	.tail = 256, .tail_byte = 0xff,
};

FIXTURE_VARIANT_ADD(bad, enqueue_null) {
	.desc = "NULL",
	.call = C_ENQUEUE, .err = EFAULT,
	.arg = ARG_NULL,
};

FIXTURE_VARIANT_ADD(bad, enqueue_unmapped) {
	.desc = "unmapped",
	.call = C_ENQUEUE, .err = EFAULT,
	.arg = ARG_UNMAPPED,
};

FIXTURE_VARIANT_ADD(bad, enqueue_straddle) {
	.desc = "straddles a page end",
	.call = C_ENQUEUE, .err = EFAULT,
	.arg = ARG_STRADDLE,
};

FIXTURE_VARIANT_ADD(bad, enqueue_cq_full_nonblock) {
	.desc = "after prep_cq_full",
	.call = C_ENQUEUE, .err = EAGAIN,
	.prep = prep_cq_full, .open_flags = O_NONBLOCK,
};

/* BARRIER */
FIXTURE_VARIANT_ADD(bad, barrier_flags) {
	.desc = "flags = 1",
	.call = C_BARRIER, .err = EINVAL,
	.val.b.flags = 1, .mask.b.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, barrier_size_zero) {
	.desc = "size = 0",
	.call = C_BARRIER, .err = EINVAL,
	.val.b.size = 0, .mask.b.size = -1,
};

FIXTURE_VARIANT_ADD(bad, barrier_size_small) {
	.desc = "size = 4",
	.call = C_BARRIER, .err = EINVAL,
	.val.b.size = 4, .mask.b.size = -1,
};

FIXTURE_VARIANT_ADD(bad, barrier_tail_nonzero) {
	.desc = "tail 8 bytes, last 1",
	.call = C_BARRIER, .err = E2BIG,
	.tail = 8, .tail_byte = 1,
};

FIXTURE_VARIANT_ADD(bad, barrier_null) {
	.desc = "NULL",
	.call = C_BARRIER, .err = EFAULT,
	.arg = ARG_NULL,
};

FIXTURE_VARIANT_ADD(bad, barrier_unmapped) {
	.desc = "unmapped",
	.call = C_BARRIER, .err = EFAULT,
	.arg = ARG_UNMAPPED,
};

/* STATS */
FIXTURE_VARIANT_ADD(bad, stats_flags) {
	.desc = "flags = 1",
	.call = C_STATS, .err = EINVAL,
	.val.s.flags = 1, .mask.s.flags = -1,
};

FIXTURE_VARIANT_ADD(bad, stats_reserved) {
	.desc = "reserved = 1",
	.call = C_STATS, .err = EINVAL,
	.val.s.reserved = 1, .mask.s.reserved = -1,
};

FIXTURE_VARIANT_ADD(bad, stats_size_zero) {
	.desc = "size = 0",
	.call = C_STATS, .err = EINVAL,
	.val.s.size = 0, .mask.s.size = -1,
};

FIXTURE_VARIANT_ADD(bad, stats_size_small) {
	.desc = "size = KNHK_STATS_SIZE_VER0 - 8",
	.call = C_STATS, .err = EINVAL,
	.val.s.size = KNHK_STATS_SIZE_VER0 - 8, .mask.s.size = -1,
};

FIXTURE_VARIANT_ADD(bad, stats_size_one_short) {
	.desc = "size = KNHK_STATS_SIZE_VER0 - 1",
	.call = C_STATS, .err = EINVAL,
	.val.s.size = KNHK_STATS_SIZE_VER0 - 1, .mask.s.size = -1,
};

FIXTURE_VARIANT_ADD(bad, stats_tail_nonzero) {
	.desc = "tail 8 bytes, last 1",
	.call = C_STATS, .err = E2BIG,
	.tail = 8, .tail_byte = 1,
};

FIXTURE_VARIANT_ADD(bad, stats_null) {
	.desc = "NULL",
	.call = C_STATS, .err = EFAULT,
	.arg = ARG_NULL,
};

FIXTURE_VARIANT_ADD(bad, stats_unmapped) {
	.desc = "unmapped",
	.call = C_STATS, .err = EFAULT,
	.arg = ARG_UNMAPPED,
};

FIXTURE_VARIANT_ADD(bad, stats_array_null) {
	.desc = "lanes = 4; lane_stats = 0",
	.call = C_STATS, .err = EFAULT,
	.val.s.lanes = 4, .mask.s.lanes = -1,
	.val.s.lane_stats = 0, .mask.s.lane_stats = -1,
};

FIXTURE_VARIANT_ADD(bad, stats_array_unmapped) {
	.desc = "lanes = 4; lane_stats = unmapped",
	.call = C_STATS, .err = EFAULT,
	.val.s.lanes = 4, .mask.s.lanes = -1,
	.lane_stats_unmapped = true,
};

/* Unknown ioctls */
FIXTURE_VARIANT_ADD(bad, ioctl_unknown_nr) {
	.desc = "_IO(KNHK_IOC_MAGIC, 0x7f)",
	.call = C_RAW, .raw = unknown_nr, .err = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad, ioctl_unknown_nr_rw) {
	.desc = "_IOWR(KNHK_IOC_MAGIC, 0x7f, struct knhk_stats)",
	.call = C_RAW, .raw = unknown_nr_rw, .err = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad, ioctl_other_magic) {
	.desc = "KNHK_IOC_VERSION with magic + 1",
	.call = C_RAW, .raw = other_magic, .err = ENOTTY,
};

FIXTURE_VARIANT_ADD(bad, ioctl_tcgets) {
	.desc = "TCGETS (isatty)",
	.call = C_RAW, .raw = tty_tcgets, .err = ENOTTY,
};

/* read() */
FIXTURE_VARIANT_ADD(bad, read_short_buffer) {
	.desc = "read(sizeof(completion) - 1) with one ready",
	.call = C_RAW, .raw = read_short, .err = EINVAL,
	.prep = prep_one_ready,
};

FIXTURE_VARIANT_ADD(bad, read_one_byte) {
	.desc = "read(1) with one ready",
	.call = C_RAW, .raw = read_one_byte, .err = EINVAL,
	.prep = prep_one_ready,
};

FIXTURE_VARIANT_ADD(bad, read_zero_bytes) {
	.desc = "read(0) with one ready",
	.call = C_RAW, .raw = read_zero, .err = EINVAL,
	.prep = prep_one_ready,
};

FIXTURE_VARIANT_ADD(bad, read_null) {
	.desc = "read(NULL) with one ready",
	.call = C_RAW, .raw = read_null, .err = EFAULT,
	.prep = prep_one_ready, .may_consume = true,
};

FIXTURE_VARIANT_ADD(bad, read_unmapped) {
	.desc = "read(unmapped) with one ready",
	.call = C_RAW, .raw = read_unmapped, .err = EFAULT,
	.prep = prep_one_ready, .may_consume = true,
};

FIXTURE_VARIANT_ADD(bad, read_nonblock_empty) {
	.desc = "O_NONBLOCK read, nothing submitted",
	.call = C_RAW, .raw = read_empty, .err = EAGAIN,
	.open_flags = O_NONBLOCK,
};

/* ---- running a row ---- */

static void *straddle_end(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + pg, pg);
	return p + pg;	/* first unmapped byte */
}

/* @row: this test's FIXTURE_VARIANT(bad) */
static long do_call(const void *row, int fd)
{
	const FIXTURE_VARIANT(bad) * v = row;
	static union {
		union any_arg u;
		char raw[sizeof(union any_arg) + 256];
	} buf;	/* the argument and room for a tail */
	union any_arg u;
	unsigned long cmd;
	size_t sz, i;
	void *arg;

	memset(&u, 0, sizeof(u));
	switch (v->call) {
	case C_VERSION:
		sz = sizeof(u.v);
		cmd = KNHK_IOC_VERSION;
		break;
	case C_CONFIGURE:
		sz = sizeof(u.c);
		cmd = KNHK_IOC_CONFIGURE;
		u.c.lanes = 4;
		u.c.ring_size = 256;
		u.c.cq_size = 1024;
		break;
	case C_ENQUEUE:
		sz = sizeof(u.e);
		cmd = KNHK_IOC_ENQUEUE;
		task_pure(&u.e.task, 100, 0x1234);
		break;
	case C_BARRIER:
		sz = sizeof(u.b);
		cmd = KNHK_IOC_BARRIER;
		break;
	case C_STATS:
		sz = sizeof(u.s);
		cmd = KNHK_IOC_STATS;
		break;
	case C_RAW:
	default:
		return v->raw(fd);
	}
	if (v->program) {
		u.e.task.kind = KNHK_WORK_PROGRAM;
		u.e.task.ninsns = 1;	/* prog[0] all zero: LDI r0, 0 */
	}
	u.v.size = sz + v->tail;	/* every struct starts with size */
	for (i = 0; i < sizeof(u); i++) {
		unsigned char *d = (unsigned char *)&u;
		const unsigned char *val = (const void *)&v->val;
		const unsigned char *mask = (const void *)&v->mask;

		d[i] = (d[i] & ~mask[i]) | (val[i] & mask[i]);
	}
	if (v->lane_stats_unmapped)
		u.s.lane_stats = (uintptr_t)g_unmapped;
	memset(&buf, 0, sizeof(buf));
	memcpy(&buf, &u, sz);
	if (v->tail)
		buf.raw[sz + v->tail - 1] = v->tail_byte;

	switch (v->arg) {
	case ARG_NULL:
		arg = NULL;
		break;
	case ARG_UNMAPPED:
		arg = g_unmapped;
		break;
	case ARG_STRADDLE: {
		char *end = straddle_end();

		if (!end)
			return -ENOMEM;
		/* the first half mapped and valid, the rest past the end */
		memcpy(end - sz / 2, &u, sz / 2);
		arg = end - sz / 2;
		break;
	}
	case ARG_STRUCT:
	default:
		arg = &buf;
		break;
	}
	return knhk_ioctl(fd, cmd, arg);
}

FIXTURE_SETUP(bad)
{
	g_unmapped = unmapped_addr();
	ASSERT_NE(NULL, g_unmapped);
	OPEN_DEV(self->fd, variant->open_flags);
	if (variant->prep)
		self->nprep = variant->prep(self->fd);
	else if (variant->call == C_CONFIGURE)
		self->nprep = prep_configured_8(self->fd);
	ASSERT_LE(0, self->nprep) TH_LOG("preparation failed: %s",
					 strerror(-self->nprep));
}

FIXTURE_TEARDOWN(bad)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(bad, rejected)
{
	struct knhk_completion c[8];
	struct knhk_stats before, after;
	struct knhk_task t;
	long r, n = 0;
	int fd = self->fd;

	ASSERT_EQ(0, knhk_stats(fd, &before, NULL, 0));

	r = do_call(variant, fd);
	EXPECT_EQ(-variant->err, r)
		TH_LOG("%s: got %s, want %s", variant->desc,
		       r < 0 ? strerrorname_np(-r) : "success",
		       strerrorname_np(variant->err));

	/* Nothing was accepted, nothing reconfigured. */
	ASSERT_EQ(0, knhk_stats(fd, &after, NULL, 0));
	EXPECT_EQ(before.submitted, after.submitted);
	EXPECT_EQ(before.lanes, after.lanes);
	EXPECT_EQ((__u64)self->nprep, after.submitted);

	/* Drain what the preparation left; nothing may be lost. */
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(0, set_nonblock(fd, true));
	for (;;) {
		long k = knhk_read(fd, c, 8);

		if (k == -EAGAIN)
			break;
		ASSERT_LT(0, k);
		n += k;
	}
	EXPECT_LE(self->nprep - (variant->may_consume ? 1 : 0), n);
	EXPECT_GE(self->nprep, n);

	/* The instance works, and the rejected call did not tick its clock. */
	task_pure(&t, 3, 0xfeed);
	ASSERT_EQ(0, knhk_enqueue(fd, &t));
	ASSERT_EQ(0, set_nonblock(fd, false));
	ASSERT_EQ(0, knhk_barrier(fd));
	ASSERT_EQ(1, knhk_read_all(fd, c, 1));
	EXPECT_EQ(3, c[0].task_id);
	EXPECT_EQ(3 & (after.lanes - 1), c[0].lane);
	EXPECT_EQ((__u64)self->nprep + 1, c[0].enqueue_ts);
	EXPECT_EQ(KNHK_STATUS_OK, c[0].status);
	EXPECT_EQ(knhk_mix64(0xfeed), c[0].output);
}

TEST_HARNESS_MAIN
