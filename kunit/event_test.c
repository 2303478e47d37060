// SPDX-License-Identifier: GPL-2.0
/*
 * event_test.c - KUnit tests of Lamport clocks, event order and digests
 */
#include <kunit/test.h>

#include <knhk/clock.h>

#include "../module/event.c"

static void clock_tick_and_recv(struct kunit *test)
{
	struct knhk_clock c = {};

	KUNIT_EXPECT_EQ(test, knhk_clock_tick(&c), 1);
	KUNIT_EXPECT_EQ(test, knhk_clock_tick(&c), 2);
	/* A remote time ahead of us pulls the clock forward... */
	KUNIT_EXPECT_EQ(test, knhk_clock_recv(&c, 10), 11);
	/* ...one behind still moves it by one. */
	KUNIT_EXPECT_EQ(test, knhk_clock_recv(&c, 3), 12);
	KUNIT_EXPECT_EQ(test, knhk_clock_recv(&c, 12), 13);
	KUNIT_EXPECT_EQ(test, knhk_clock_tick(&c), 14);
}

/* The largest accepted caller timestamp leaves the clock far from wrapping. */
static void clock_no_wrap_at_max(struct kunit *test)
{
	struct knhk_clock c = {};

	KUNIT_EXPECT_EQ(test, knhk_clock_recv(&c, KNHK_TS_MAX), KNHK_TS_MAX + 1);
	KUNIT_EXPECT_GT(test, knhk_clock_tick(&c), KNHK_TS_MAX);
}

/* A receive after a send is later: happens-before implies a smaller ts. */
static void clock_happens_before(struct kunit *test)
{
	struct knhk_clock submit = {}, lane = {};
	u64 enq, exec;

	knhk_clock_recv(&lane, 100);	/* the lane is ahead */
	enq = knhk_clock_tick(&submit);
	exec = knhk_clock_recv(&lane, enq);
	KUNIT_EXPECT_LT(test, enq, exec);
	enq = knhk_clock_recv(&submit, 500);	/* an ordered task at 500 */
	exec = knhk_clock_recv(&lane, enq);
	KUNIT_EXPECT_LT(test, enq, exec);
}

static void event_canonical_order(struct kunit *test)
{
	struct knhk_event a = { .ts = 5, .source = 3, .seq = 9 };
	struct knhk_event b = a;

	KUNIT_EXPECT_EQ(test, knhk_event_cmp(&a, &b), 0);
	b.seq = 10;
	KUNIT_EXPECT_LT(test, knhk_event_cmp(&a, &b), 0);
	b.source = KNHK_SRC_ORDERED;
	b.seq = 0;	/* lanes sort before the ordered chain */
	KUNIT_EXPECT_LT(test, knhk_event_cmp(&a, &b), 0);
	b.source = 0;	/* a lower source beats a lower seq */
	KUNIT_EXPECT_GT(test, knhk_event_cmp(&a, &b), 0);
	b.ts = 6;	/* the timestamp decides first */
	KUNIT_EXPECT_LT(test, knhk_event_cmp(&a, &b), 0);
	KUNIT_EXPECT_GT(test, knhk_event_cmp(&b, &a), 0);
	b.source = KNHK_SRC_SUBMIT;
	a.source = KNHK_SRC_ORDERED;
	b.ts = a.ts;
	KUNIT_EXPECT_LT(test, knhk_event_cmp(&a, &b), 0);
}

static void chain_two(struct knhk_chain *c, u64 ts1, u64 ts2)
{
	struct knhk_event e1 = { .type = KNHK_EV_TASK_EXECUTED, .ts = ts1 };
	struct knhk_event e2 = { .type = KNHK_EV_TASK_EXECUTED, .ts = ts2 };

	knhk_chain_add(c, &e1);
	knhk_chain_add(c, &e2);
}

/* The chain sees order; the seed's XOR checksum does not. */
static void digest_chain_order_sensitive(struct kunit *test)
{
	struct knhk_chain ab = {}, ba = {}, ab2 = {};

	chain_two(&ab, 1, 2);
	chain_two(&ba, 2, 1);
	chain_two(&ab2, 1, 2);
	KUNIT_EXPECT_EQ(test, ab.count, 2);
	KUNIT_EXPECT_EQ(test, ab.hash, ab2.hash);
	KUNIT_EXPECT_NE(test, ab.hash, ba.hash);
	KUNIT_EXPECT_EQ(test, ab.xor, ba.xor);
	KUNIT_EXPECT_EQ(test, ab.xor, 1 ^ 2);
}

static void digest_chain_assigns_seq(struct kunit *test)
{
	struct knhk_chain c = {};
	struct knhk_event e = {};

	knhk_chain_add(&c, &e);
	KUNIT_EXPECT_EQ(test, e.seq, 0);
	knhk_chain_add(&c, &e);
	KUNIT_EXPECT_EQ(test, e.seq, 1);
}

/* The hash is xxh64 of the record: a known answer ties it to userspace. */
static void digest_chain_is_xxh64(struct kunit *test)
{
	struct knhk_chain c = { .hash = 1234 };
	struct knhk_event e = { .ts = 7 };
	struct knhk_event copy;

	knhk_chain_add(&c, &e);
	copy = e;
	KUNIT_EXPECT_EQ(test, c.hash, xxh64(&copy, sizeof(copy), 1234));
	KUNIT_EXPECT_EQ(test, sizeof(struct knhk_event), 64);
}

static u64 digest_of(u32 lanes, const struct knhk_chain *chains,
		     unsigned int n)
{
	const struct knhk_digest_cfg cfg = { KNHK_DIGEST_VERSION, lanes };
	struct xxh64_state st;
	unsigned int i;

	knhk_digest_begin(&st, &cfg);
	for (i = 0; i < n; i++)
		knhk_digest_add(&st, i, &chains[i]);
	return xxh64_digest(&st);
}

/* The digest covers the configuration and which source saw what. */
static void digest_combine(struct kunit *test)
{
	struct knhk_chain c[2] = {}, swapped[2];
	u64 d;

	chain_two(&c[0], 1, 2);
	chain_two(&c[1], 3, 4);
	swapped[0] = c[1];
	swapped[1] = c[0];
	d = digest_of(2, c, 2);
	KUNIT_EXPECT_EQ(test, d, digest_of(2, c, 2));
	KUNIT_EXPECT_NE(test, d, digest_of(4, c, 2));
	KUNIT_EXPECT_NE(test, d, digest_of(2, swapped, 2));
}

static void output_hash_fields(struct kunit *test)
{
	u64 h = knhk_output_hash(1, 2, 0, 1);

	KUNIT_EXPECT_EQ(test, h, knhk_output_hash(1, 2, 0, 1));
	KUNIT_EXPECT_NE(test, h, knhk_output_hash(2, 2, 0, 1));
	KUNIT_EXPECT_NE(test, h, knhk_output_hash(1, 3, 0, 1));
	KUNIT_EXPECT_NE(test, h, knhk_output_hash(1, 2, 1, 1));
	KUNIT_EXPECT_NE(test, h, knhk_output_hash(1, 2, 0, 2));
}

static struct kunit_case knhk_event_cases[] = {
	KUNIT_CASE(clock_tick_and_recv),
	KUNIT_CASE(clock_no_wrap_at_max),
	KUNIT_CASE(clock_happens_before),
	KUNIT_CASE(event_canonical_order),
	KUNIT_CASE(digest_chain_order_sensitive),
	KUNIT_CASE(digest_chain_assigns_seq),
	KUNIT_CASE(digest_chain_is_xxh64),
	KUNIT_CASE(digest_combine),
	KUNIT_CASE(output_hash_fields),
	{}
};

static struct kunit_suite knhk_event_suite = {
	.name = "knhk_event",
	.test_cases = knhk_event_cases,
};

kunit_test_suite(knhk_event_suite);
