// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c - one kthread per online CPU, and which lanes each one runs
 *
 * Workers are module-wide: knhk/<cpu> runs every lane, of every instance,
 * on its CPU's list. Lane l's initial home is the (l mod n)-th CPU, in
 * ascending order, of the n CPUs whose workers are up. A lane leaves its
 * home in two ways, and which CPU runs it never changes a result:
 *
 * - CPU hotplug: homes are recomputed whenever a CPU comes or goes, and
 *   every lane not at its (new) home moves there, so a lane always has a
 *   running worker. This also brings stolen lanes home.
 * - Work stealing (module parameter steal): a worker that found nothing to
 *   run in its own lanes takes a whole lane with waiting tasks from another
 *   CPU whose list has at least two such lanes. The lane stays on the
 *   thief's list until the next hotplug event or until it is stolen again.
 *
 * Each worker keeps an RCU list of its lanes and walks it with no lock. A
 * lane changes list only under knhk_home_lock, with a grace period between
 * leaving the old list and joining the new one: the old worker has finished
 * with the lane before the new one can start, so each ring stage keeps a
 * single owner, the lane runs its ring FIFO, and its clock, chain and state
 * pass to the new worker whole. Stealing and rehoming use this same handoff,
 * serialised by the lock; a worker steals only with a trylock, outside its
 * RCU read section, and only while its CPU is in knhk_cpus.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/smpboot.h>

#include <knhk/sched.h>

/**
 * struct knhk_worker - per-CPU worker state
 * @lanes: lanes whose home is this CPU (RCU list, changed under the home lock)
 * @kick: bit 0 set when a lane of this CPU may have work
 */
struct knhk_worker {
	struct list_head lanes;
	unsigned long kick;
};

static DEFINE_PER_CPU(struct knhk_worker, knhk_workers);
static DEFINE_PER_CPU(struct task_struct *, knhk_worker_tasks);

/* Protects lane homes, knhk_instances and knhk_cpus; never on a task path. */
static DEFINE_MUTEX(knhk_home_lock);
static LIST_HEAD(knhk_instances);
static struct cpumask knhk_cpus;
static enum cpuhp_state knhk_cpuhp_state;

static bool knhk_steal;
module_param_named(steal, knhk_steal, bool, 0644);
MODULE_PARM_DESC(steal, "Idle workers take whole lanes from busy ones");

/* Lanes stolen since the module was loaded; written under the home lock. */
static unsigned int knhk_steals;
module_param_named(steals, knhk_steals, uint, 0444);
MODULE_PARM_DESC(steals, "Lanes stolen so far (read-only)");

/* Waiting tasks that make a lane worth a grace period to steal. */
#define KNHK_STEAL_MIN	4

static int knhk_lane_home(const struct knhk_lane *lane)
{
	return cpumask_nth(lane->id % cpumask_weight(&knhk_cpus), &knhk_cpus);
}

/**
 * knhk_worker_kick() - make @cpu's worker look at its lanes
 * @cpu: the CPU; any CPU that is or was a lane's home
 *
 * Called after publishing work. The barrier orders the publication before
 * the test of the kick bit; the worker clears the bit before it looks at its
 * rings, so either it sees the work or we see the bit clear and wake it.
 */
void knhk_worker_kick(int cpu)
{
	struct knhk_worker *w = per_cpu_ptr(&knhk_workers, cpu);

	smp_mb(); /* publication before kick test; pairs with knhk_worker_fn() */
	if (!test_and_set_bit(0, &w->kick))
		wake_up_process(per_cpu(knhk_worker_tasks, cpu));
}

static int knhk_worker_should_run(unsigned int cpu)
{
	return test_bit(0, &this_cpu_ptr(&knhk_workers)->kick);
}

/*
 * The lane to steal for @cpu: of the other CPUs whose lists hold at least
 * two lanes with waiting tasks, the lane with the most, if that is at least
 * KNHK_STEAL_MIN. Step-mode lanes stay where run-cycle kicks them. Called
 * with knhk_home_lock held; the counts are snapshots, good enough to choose.
 */
static struct knhk_lane *knhk_steal_pick(unsigned int cpu)
{
	struct knhk_lane *lane, *best = NULL;
	u32 most = KNHK_STEAL_MIN - 1;
	int victim;

	lockdep_assert_held(&knhk_home_lock);
	for_each_cpu(victim, &knhk_cpus) {
		struct list_head *lanes = &per_cpu_ptr(&knhk_workers, victim)->lanes;
		struct knhk_lane *top = NULL;
		u32 busy = 0, top_n = 0;

		if (victim == cpu)
			continue;
		list_for_each_entry_rcu(lane, lanes, node,
					lockdep_is_held(&knhk_home_lock)) {
			u32 n;

			if (lane->inst->step_mode)
				continue;
			n = knhk_ring_pending(&lane->ring, KNHK_STAGE_EXEC);
			if (!n)
				continue;
			busy++;
			if (n > top_n) {
				top = lane;
				top_n = n;
			}
		}
		if (busy >= 2 && top_n > most) {
			best = top;
			most = top_n;
		}
	}
	return best;
}

/*
 * Work stealing: move a lane to idle @cpu's list, the way hotplug moves
 * lanes (see the comment at the top). Sleeps for a grace period; never
 * waits for the home lock. Return: whether a lane was moved.
 */
static bool knhk_steal_lane(unsigned int cpu)
{
	struct knhk_lane *lane = NULL;

	if (!mutex_trylock(&knhk_home_lock))
		return false;
	if (cpumask_test_cpu(cpu, &knhk_cpus))
		lane = knhk_steal_pick(cpu);
	if (lane) {
		list_del_rcu(&lane->node);
		synchronize_rcu();
		WRITE_ONCE(lane->cpu, cpu);
		list_add_tail_rcu(&lane->node,
				  &per_cpu_ptr(&knhk_workers, cpu)->lanes);
		WRITE_ONCE(knhk_steals, knhk_steals + 1);
		knhk_worker_kick(cpu);
	}
	mutex_unlock(&knhk_home_lock);
	return lane;
}

static void knhk_worker_fn(unsigned int cpu)
{
	struct knhk_worker *w = this_cpu_ptr(&knhk_workers);
	enum knhk_lane_state state = KNHK_LANE_IDLE;
	struct knhk_lane *lane;

	clear_bit(0, &w->kick);
	smp_mb__after_atomic(); /* kick clear before ring reads; see kick() */

	rcu_read_lock();
	list_for_each_entry_rcu(lane, &w->lanes, node) {
		state = max(state, knhk_lane_run(lane, cpu));
		knhk_perturb(false);	/* inside the RCU read section */
	}
	rcu_read_unlock();

	/* knhk_lane_run() runs a bounded batch: come back for the rest. */
	if (state != KNHK_LANE_IDLE)
		set_bit(0, &w->kick);
	else if (READ_ONCE(knhk_steal))
		knhk_steal_lane(cpu);	/* kicks us if it took a lane */
	if (state == KNHK_LANE_STALLED)
		knhk_replay_wait();
	knhk_perturb(true);
	cond_resched();
}

static struct smp_hotplug_thread knhk_worker_threads = {
	.store			= &knhk_worker_tasks,
	.thread_should_run	= knhk_worker_should_run,
	.thread_fn		= knhk_worker_fn,
	.thread_comm		= "knhk/%u",
};

/*
 * Move every lane whose home changed. Lanes first leave their old lists; one
 * grace period later no old worker can still be running them, and they join
 * their new lists. Called with knhk_home_lock held.
 */
static void knhk_rehome_all(void)
{
	struct knhk_instance *inst;
	bool moved = false;
	u32 i;

	lockdep_assert_held(&knhk_home_lock);
	list_for_each_entry(inst, &knhk_instances, node) {
		for (i = 0; i < inst->nr_lanes; i++) {
			struct knhk_lane *lane = &inst->lanes[i];

			if (lane->cpu == knhk_lane_home(lane))
				continue;
			list_del_rcu(&lane->node);
			moved = true;
		}
	}
	if (!moved)
		return;
	synchronize_rcu();
	list_for_each_entry(inst, &knhk_instances, node) {
		for (i = 0; i < inst->nr_lanes; i++) {
			struct knhk_lane *lane = &inst->lanes[i];
			int home = knhk_lane_home(lane);

			if (lane->cpu == home)
				continue;
			WRITE_ONCE(lane->cpu, home);
			list_add_tail_rcu(&lane->node,
					  &per_cpu_ptr(&knhk_workers, home)->lanes);
			knhk_worker_kick(home);
		}
	}
}

/**
 * knhk_lanes_attach() - give every lane of @inst a worker
 * @inst: instance whose lanes were just allocated
 */
void knhk_lanes_attach(struct knhk_instance *inst)
{
	u32 i;

	mutex_lock(&knhk_home_lock);
	list_add_tail(&inst->node, &knhk_instances);
	for (i = 0; i < inst->nr_lanes; i++) {
		struct knhk_lane *lane = &inst->lanes[i];

		lane->cpu = knhk_lane_home(lane);
		list_add_tail_rcu(&lane->node,
				  &per_cpu_ptr(&knhk_workers, lane->cpu)->lanes);
	}
	mutex_unlock(&knhk_home_lock);
}

/**
 * knhk_lanes_detach() - take @inst's lanes away from the workers
 * @inst: instance attached with knhk_lanes_attach()
 *
 * On return no worker is running or will run any lane of @inst.
 */
void knhk_lanes_detach(struct knhk_instance *inst)
{
	u32 i;

	mutex_lock(&knhk_home_lock);
	list_del(&inst->node);
	for (i = 0; i < inst->nr_lanes; i++)
		list_del_rcu(&inst->lanes[i].node);
	mutex_unlock(&knhk_home_lock);
	synchronize_rcu();
}

/*
 * Hotplug: the smpboot threads are unparked before and parked after these
 * dynamic AP states run, so a CPU's worker is up whenever it is in
 * knhk_cpus.
 */
static int knhk_cpu_online(unsigned int cpu)
{
	mutex_lock(&knhk_home_lock);
	cpumask_set_cpu(cpu, &knhk_cpus);
	knhk_rehome_all();
	mutex_unlock(&knhk_home_lock);
	return 0;
}

static int knhk_cpu_offline(unsigned int cpu)
{
	mutex_lock(&knhk_home_lock);
	cpumask_clear_cpu(cpu, &knhk_cpus);
	knhk_rehome_all();
	mutex_unlock(&knhk_home_lock);
	return 0;
}

/**
 * knhk_workers_init() - start the per-CPU workers and track CPU hotplug
 *
 * Return: 0 or a negative errno.
 */
int knhk_workers_init(void)
{
	int cpu, ret;

	for_each_possible_cpu(cpu)
		INIT_LIST_HEAD(&per_cpu_ptr(&knhk_workers, cpu)->lanes);

	ret = smpboot_register_percpu_thread(&knhk_worker_threads);
	if (ret)
		return ret;
	ret = cpuhp_setup_state(CPUHP_AP_ONLINE_DYN, "knhk_sched:online",
				knhk_cpu_online, knhk_cpu_offline);
	if (ret < 0) {
		smpboot_unregister_percpu_thread(&knhk_worker_threads);
		return ret;
	}
	knhk_cpuhp_state = ret;
	return 0;
}

/**
 * knhk_workers_exit() - stop the workers; no instance may be left
 */
void knhk_workers_exit(void)
{
	cpuhp_remove_state(knhk_cpuhp_state);
	smpboot_unregister_percpu_thread(&knhk_worker_threads);
}
