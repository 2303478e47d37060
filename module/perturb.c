// SPDX-License-Identifier: GPL-2.0
/*
 * perturb.c - timing perturbation, to show that timing never changes a
 * result
 *
 * The module parameter perturb (0: off, the default; anything else: a seed)
 * makes the submit path and the workers stall for a few microseconds, and
 * yield where they may sleep, at pseudo-random points. The determinism
 * contract says results, timestamps and the digest do not depend on timing;
 * the determinism matrix (selftests/knhk_matrix.c) runs the same workload
 * with and without perturbation and requires one digest.
 *
 * Each CPU draws from a PRNG of its own, seeded from the parameter and the
 * CPU number, so a run is reproducible as far as a multi-CPU run can be.
 * Off, a perturbation point costs one patched-out jump (a static key).
 * The parameter may be written at runtime: each CPU notices the new seed
 * at its next draw and reseeds.
 */
#include <linux/delay.h>
#include <linux/jump_label.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sched.h>

#include <knhk/sched.h>

DEFINE_STATIC_KEY_FALSE(knhk_perturb_key);

static unsigned int knhk_perturb_seed;

/**
 * struct knhk_prng - one CPU's perturbation PRNG
 * @state: splitmix64 state
 * @seed: the parameter value @state was seeded from
 */
struct knhk_prng {
	u64 state;
	unsigned int seed;
};

static DEFINE_PER_CPU(struct knhk_prng, knhk_prngs);

static u64 knhk_prng_next(struct knhk_prng *p)
{
	u64 z;

	p->state += 0x9e3779b97f4a7c15ULL;
	z = p->state;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A draw from this CPU's PRNG, reseeded when the parameter changed. */
static u64 knhk_perturb_draw(unsigned int seed)
{
	struct knhk_prng *p = get_cpu_ptr(&knhk_prngs);
	u64 r;

	if (p->seed != seed) {
		p->seed = seed;
		p->state = ((u64)seed << 32) ^ smp_processor_id();
	}
	r = knhk_prng_next(p);
	put_cpu_ptr(&knhk_prngs);
	return r;
}

/**
 * __knhk_perturb() - maybe stall, maybe yield; see knhk_perturb()
 * @may_sleep: the caller may sleep here (no RCU read section, no spinlock,
 *	preemption enabled)
 *
 * About one call in three busy-waits 0.1 to 4 microseconds, one in 64 up
 * to 20; with @may_sleep one in eight also calls cond_resched(). Never
 * sleeps otherwise.
 */
void __knhk_perturb(bool may_sleep)
{
	unsigned int seed = READ_ONCE(knhk_perturb_seed);
	u64 r;

	if (!seed)
		return;
	r = knhk_perturb_draw(seed);
	if ((r & 63) == 0)
		udelay(5 + (r >> 8) % 16);
	else if (r % 3 == 0)
		ndelay(100 + (r >> 8) % 3900);
	if (may_sleep && ((r >> 32) & 7) == 0)
		cond_resched();
}

static int knhk_perturb_set(const char *val, const struct kernel_param *kp)
{
	unsigned int seed;
	int ret;

	ret = kstrtouint(val, 0, &seed);
	if (ret)
		return ret;
	/* Writers are serialised by the module's parameter lock. */
	WRITE_ONCE(knhk_perturb_seed, seed);
	if (seed)
		static_branch_enable(&knhk_perturb_key);
	else
		static_branch_disable(&knhk_perturb_key);
	return 0;
}

static const struct kernel_param_ops knhk_perturb_ops = {
	.set	= knhk_perturb_set,
	.get	= param_get_uint,
};

module_param_cb(perturb, &knhk_perturb_ops, &knhk_perturb_seed, 0644);
MODULE_PARM_DESC(perturb,
		 "Inject pseudo-random delays and yields; 0 = off, else the seed (testing only)");
