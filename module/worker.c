// SPDX-License-Identifier: GPL-2.0
/*
 * worker.c - one kthread per online CPU, and which lanes each one runs
 *
 * Workers are module-wide: knhk/<cpu> runs the lanes, of every instance,
 * whose home is its CPU. Lane l of instance i has its home on the
 * ((l + i) mod n)-th CPU, in ascending order, of the n CPUs whose workers
 * are up: each instance starts on another CPU, so that small instances do
 * not all crowd the first ones. A lane leaves its home in two ways, and
 * which CPU runs it never changes a result:
 *
 * - CPU hotplug: homes are recomputed whenever a CPU comes or goes, and
 *   every lane not at its (new) home moves there, so a lane always has a
 *   running worker. This also brings stolen lanes home.
 * - Work stealing (module parameter steal): a worker that found nothing to
 *   run in its own lanes takes a whole lane with waiting tasks from another
 *   CPU whose ready list has at least two such lanes. The lane stays the
 *   thief's until the next hotplug event or until it is stolen again.
 *
 * A worker never looks at an idle lane. Whoever gives a lane work (the
 * submit path, run-cycle, a lane move, a replay reader making room in a
 * full lossless stream) kicks the lane: it joins its worker's ready list,
 * once, and the worker is woken. A worker takes lanes from the head of its
 * list, runs a bounded batch of each (knhk_lane_run()) and puts a lane
 * with more at the tail, so lanes share a CPU round robin; a lane whose
 * stream is full parks off every list instead. After KNHK_PASS_LANES lanes
 * a worker yields, outside any RCU read section. A pass costs what it
 * runs, however many lanes exist or wait for a reader.
 *
 * No kick is lost:
 * - a kicker publishes the work, then smp_mb(), then, if the lane's QUEUED
 *   bit is clear, puts it on the ready list of READ_ONCE(lane->cpu) (and
 *   sets the bit, under that list's lock) and wakes the worker;
 * - a worker takes a lane off its list and clears QUEUED under the lock,
 *   then smp_mb(), then looks at the lane's ring.
 * Either the kicker finds QUEUED clear and queues the lane again, or the
 * worker's look at the ring comes after the publication (store buffering,
 * fenced on both sides).
 *
 * Ownership: a worker runs a lane only inside an RCU read section in which
 * it took the lane off its list and read lane->cpu == its CPU. A lane
 * moves only under knhk_home_lock, in two halves a grace period apart:
 * knhk_lane_unhome() sets lane->cpu = KNHK_CPU_NONE, so no worker starts
 * it and no kicker queues it; after synchronize_rcu() no worker is still
 * running it and no kicker is still queueing it on the old list (kickers
 * queue inside an RCU read section too), and knhk_lane_rehome() takes it
 * off the old list, sets the new CPU, smp_mb(), and kicks it if its ring
 * has work. A kicker that read KNHK_CPU_NONE queued nothing, but its
 * publication came before that read, and the mover reads the ring after
 * its write of the new CPU and a full barrier: the mover sees the work.
 * So each ring stage keeps a single owner, the lane runs its ring FIFO,
 * and its clock, chain and state pass to the new worker whole. Hotplug,
 * stealing and an instance going away all move lanes this way, serialised
 * by the lock; a worker steals only with a trylock, outside its RCU read
 * section, and only while its CPU is in knhk_cpus.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/cpumask.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/smpboot.h>
#include <linux/spinlock.h>

#include <knhk/sched.h>

/* Lanes a worker runs in one pass before it yields. */
#define KNHK_PASS_LANES	16

/**
 * struct knhk_worker - per-CPU worker state
 * @lock: protects @ready, and the QUEUED bit of the lanes on it
 * @ready: lanes kicked and not yet run, in kick order
 */
struct knhk_worker {
	spinlock_t lock;	/* @ready */
	struct list_head ready;
};

/*
 * Other CPUs write a worker's lock and list (every kick): its own cache
 * line, shared with no other per-CPU data.
 */
static DEFINE_PER_CPU_SHARED_ALIGNED(struct knhk_worker, knhk_workers);
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
/* Lanes of another CPU's ready list a thief looks at. */
#define KNHK_STEAL_SCAN	64

static int knhk_lane_home(const struct knhk_lane *lane)
{
	u32 i = (lane->id + lane->inst->id) % cpumask_weight(&knhk_cpus);

	return cpumask_nth(i, &knhk_cpus);
}

/* Put @lane on @w's ready list unless it is on one; with @w->lock held. */
static bool knhk_ready_add(struct knhk_worker *w, struct knhk_lane *lane,
			   int cpu)
{
	lockdep_assert_held(&w->lock);
	if (test_and_set_bit(KNHK_LANE_QUEUED, &lane->flags))
		return false;
	lane->qcpu = cpu;
	list_add_tail(&lane->ready, &w->ready);
	return true;
}

/**
 * knhk_lane_kick() - make @lane's worker run it
 * @lane: a lane of a started instance
 *
 * Called after publishing work for the lane (tasks, a step credit, room in
 * its replay stream). See the protocol at the top of this file.
 */
void knhk_lane_kick(struct knhk_lane *lane)
{
	struct knhk_worker *w;
	bool wake;
	int cpu;

	smp_mb(); /* publication before QUEUED test; pairs with knhk_worker_pop() */
	if (test_bit(KNHK_LANE_QUEUED, &lane->flags))
		return;
	/* A mover waits for this section before it empties the old list. */
	rcu_read_lock();
	cpu = READ_ONCE(lane->cpu);
	if (cpu != KNHK_CPU_NONE) {
		w = per_cpu_ptr(&knhk_workers, cpu);
		spin_lock(&w->lock);
		/*
		 * Only the kick that makes the list non-empty wakes the
		 * worker: one wakeup per CPU per submission, none while the
		 * worker has lanes to run. The worker sleeps only after
		 * set_current_state() (a full barrier) and then finding its
		 * list empty (knhk_worker_should_run()), and it empties the
		 * list only under this lock. So a kicker that finds the list
		 * non-empty here comes after another kicker's add to an
		 * empty list, whose wake_up_process() follows, or after the
		 * worker put back a lane it still runs: either way the
		 * worker is awake or being woken, and will find this lane
		 * before it can see the list empty again.
		 */
		wake = list_empty(&w->ready);
		wake &= knhk_ready_add(w, lane, cpu);
		spin_unlock(&w->lock);
		if (wake)
			wake_up_process(per_cpu(knhk_worker_tasks, cpu));
	}
	rcu_read_unlock();
}

/* The lane at the head of @w's ready list, taken off it; or NULL. */
static struct knhk_lane *knhk_worker_pop(struct knhk_worker *w)
{
	struct knhk_lane *lane;

	spin_lock(&w->lock);
	lane = list_first_entry_or_null(&w->ready, struct knhk_lane, ready);
	if (lane) {
		list_del_init(&lane->ready);
		clear_bit(KNHK_LANE_QUEUED, &lane->flags);
	}
	spin_unlock(&w->lock);
	smp_mb(); /* QUEUED clear before the ring is read; pairs with kick() */
	return lane;
}

/*
 * First half of a move, with knhk_home_lock held: from now on no worker
 * starts @lane and no kicker queues it. Then a grace period, then
 * knhk_lane_rehome().
 */
static void knhk_lane_unhome(struct knhk_lane *lane)
{
	lockdep_assert_held(&knhk_home_lock);
	WRITE_ONCE(lane->cpu, KNHK_CPU_NONE);
}

/*
 * Second half of a move, a grace period after knhk_lane_unhome(): no
 * worker runs @lane and no kicker is queueing it. Take it off the ready
 * list it may still be on, give it to @cpu (KNHK_CPU_NONE: to nobody, the
 * instance is going away), and kick it if it has work: kicks made while it
 * had no CPU went nowhere.
 */
static void knhk_lane_rehome(struct knhk_lane *lane, int cpu)
{
	struct knhk_worker *w;

	lockdep_assert_held(&knhk_home_lock);
	if (test_bit(KNHK_LANE_QUEUED, &lane->flags)) {
		/* @qcpu is stable: nobody can queue the lane now. */
		w = per_cpu_ptr(&knhk_workers, lane->qcpu);
		spin_lock(&w->lock);
		/* Unless its worker took it off meanwhile. */
		if (test_bit(KNHK_LANE_QUEUED, &lane->flags)) {
			list_del_init(&lane->ready);
			clear_bit(KNHK_LANE_QUEUED, &lane->flags);
		}
		spin_unlock(&w->lock);
	}
	if (cpu == KNHK_CPU_NONE)
		return;
	WRITE_ONCE(lane->cpu, cpu);
	smp_mb(); /* new home before the ring is read; pairs with kick() */
	if (knhk_ring_pending(&lane->ring, KNHK_STAGE_EXEC))
		knhk_lane_kick(lane);
}

static int knhk_worker_should_run(unsigned int cpu)
{
	return !list_empty(&this_cpu_ptr(&knhk_workers)->ready);
}

/*
 * The lane to steal for @cpu: of the other CPUs whose ready lists hold at
 * least two lanes with waiting tasks (among the first KNHK_STEAL_SCAN),
 * the lane with the most, if that is at least KNHK_STEAL_MIN. Step-mode
 * lanes stay where run-cycle kicks them. Called with knhk_home_lock held,
 * so the lane cannot go away; the counts are snapshots, good enough to
 * choose.
 */
static struct knhk_lane *knhk_steal_pick(unsigned int cpu)
{
	struct knhk_lane *lane, *best = NULL;
	u32 most = KNHK_STEAL_MIN - 1;
	int victim;

	lockdep_assert_held(&knhk_home_lock);
	for_each_cpu(victim, &knhk_cpus) {
		struct knhk_worker *w = per_cpu_ptr(&knhk_workers, victim);
		struct knhk_lane *top = NULL;
		u32 busy = 0, top_n = 0, seen = 0;

		if (victim == cpu)
			continue;
		spin_lock(&w->lock);
		list_for_each_entry(lane, &w->ready, ready) {
			u32 n;

			if (++seen > KNHK_STEAL_SCAN)
				break;
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
		spin_unlock(&w->lock);
		if (busy >= 2 && top_n > most) {
			best = top;
			most = top_n;
		}
	}
	return best;
}

/*
 * Work stealing: move a lane to idle @cpu, the way hotplug moves lanes
 * (see the comment at the top). Sleeps for a grace period; never waits
 * for the home lock. Return: whether a lane was moved.
 */
static bool knhk_steal_lane(unsigned int cpu)
{
	struct knhk_lane *lane = NULL;

	if (!mutex_trylock(&knhk_home_lock))
		return false;
	if (cpumask_test_cpu(cpu, &knhk_cpus))
		lane = knhk_steal_pick(cpu);
	if (lane) {
		knhk_lane_unhome(lane);
		synchronize_rcu();
		knhk_lane_rehome(lane, cpu);	/* kicks us */
		WRITE_ONCE(knhk_steals, knhk_steals + 1);
	}
	mutex_unlock(&knhk_home_lock);
	return lane;
}

/*
 * Run a batch of @lane, which @cpu's worker owns, and queue it again if it
 * has more. A lane stalled by its lossless replay stream parks instead:
 * it is off every list, costs its worker nothing, and is kicked again by
 * the reader that makes room (or by a submission).
 */
static void knhk_worker_run(struct knhk_worker *w, struct knhk_lane *lane,
			    unsigned int cpu)
{
	switch (knhk_lane_run(lane, cpu)) {
	case KNHK_LANE_IDLE:
		return;
	case KNHK_LANE_STALLED:
		if (!knhk_replay_park(lane, cpu))
			return;
		fallthrough;	/* room came meanwhile */
	case KNHK_LANE_MORE:
		spin_lock(&w->lock);
		knhk_ready_add(w, lane, cpu);
		spin_unlock(&w->lock);
	}
}

static void knhk_worker_fn(unsigned int cpu)
{
	struct knhk_worker *w = this_cpu_ptr(&knhk_workers);
	struct knhk_lane *lane = NULL;
	unsigned int n;

	for (n = 0; n < KNHK_PASS_LANES; n++) {
		/* Taken off the list inside the read section: see the top. */
		rcu_read_lock();
		lane = knhk_worker_pop(w);
		/* A lane being moved is the mover's: it kicks it afterwards. */
		if (lane && READ_ONCE(lane->cpu) == cpu)
			knhk_worker_run(w, lane, cpu);
		knhk_perturb(false);	/* inside the RCU read section */
		rcu_read_unlock();
		if (!lane)
			break;
	}

	if (!lane && READ_ONCE(knhk_steal))
		knhk_steal_lane(cpu);	/* kicks us if it took a lane */
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
 * Move every lane whose home changed, the two halves of every move one
 * grace period apart. Called with knhk_home_lock held.
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
			knhk_lane_unhome(lane);
			moved = true;
		}
	}
	if (!moved)
		return;
	synchronize_rcu();
	list_for_each_entry(inst, &knhk_instances, node) {
		for (i = 0; i < inst->nr_lanes; i++) {
			struct knhk_lane *lane = &inst->lanes[i];

			if (lane->cpu == KNHK_CPU_NONE)
				knhk_lane_rehome(lane, knhk_lane_home(lane));
		}
		cond_resched();
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

		INIT_LIST_HEAD(&lane->ready);
		WRITE_ONCE(lane->cpu, knhk_lane_home(lane));
	}
	mutex_unlock(&knhk_home_lock);
}

/**
 * knhk_lanes_detach() - take @inst's lanes away from the workers
 * @inst: instance attached with knhk_lanes_attach()
 *
 * On return no worker is running, will run or has queued any lane of
 * @inst, and a kick of one of them does nothing.
 */
void knhk_lanes_detach(struct knhk_instance *inst)
{
	u32 i;

	/* Held throughout: a thief must not pick a lane half gone. */
	mutex_lock(&knhk_home_lock);
	list_del(&inst->node);
	for (i = 0; i < inst->nr_lanes; i++)
		knhk_lane_unhome(&inst->lanes[i]);
	synchronize_rcu();
	for (i = 0; i < inst->nr_lanes; i++)
		knhk_lane_rehome(&inst->lanes[i], KNHK_CPU_NONE);
	mutex_unlock(&knhk_home_lock);
}

/*
 * Hotplug: the smpboot threads are unparked before and parked after these
 * dynamic AP states run, so a CPU's worker is up whenever it is in
 * knhk_cpus. Rehoming takes every lane off a CPU going offline, and so off
 * its ready list.
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
	WARN_ON_ONCE(!list_empty(&per_cpu_ptr(&knhk_workers, cpu)->ready));
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

	for_each_possible_cpu(cpu) {
		struct knhk_worker *w = per_cpu_ptr(&knhk_workers, cpu);

		spin_lock_init(&w->lock);
		INIT_LIST_HEAD(&w->ready);
	}

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
