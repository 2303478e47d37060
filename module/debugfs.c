// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs.c - knhk_sched/<instance>/: config, stats, digest, dropped
 *
 * Plain text, one "name value" per line, for people and scripts; the relay
 * files replay<cpu> beside them are replay.c's. Everything is root-only, and
 * instances are named by their small number, never by an address.
 *
 * An open file outlives its instance (reads then fail with EIO, through
 * debugfs's proxy) and must keep the module loaded until it is closed:
 * DEFINE_SHOW_ATTRIBUTE() sets .owner, and debugfs_create_file() (not the
 * _unsafe variant) takes a reference on it at open.
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include <knhk/sched.h>

static struct dentry *knhk_debugfs_root;

static int knhk_config_show(struct seq_file *m, void *unused)
{
	struct knhk_instance *inst = m->private;

	mutex_lock(&inst->lock);
	seq_printf(m, "lanes %u\nring_size %u\ncq_size %u\nstep_mode %u\n",
		   inst->nr_lanes, inst->ring_size, inst->cq_size,
		   inst->step_mode);
	seq_printf(m, "replay %s\nsubbuf_size %u\nnr_subbufs %u\nstarted %u\n",
		   !inst->replay ? "off" :
		   inst->replay_drop ? "drop" : "lossless",
		   inst->subbuf_size, inst->nr_subbufs, inst->started);
	mutex_unlock(&inst->lock);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(knhk_config);

static int knhk_stats_show(struct seq_file *m, void *unused)
{
	struct knhk_instance *inst = m->private;
	struct knhk_stats st = {};
	struct knhk_lane *lanes = knhk_lanes(inst);
	u32 i;

	knhk_instance_stats(inst, &st, NULL, 0);
	seq_printf(m, "submitted %llu\nexecuted %llu\ncompleted %llu\ninflight %llu\n",
		   st.submitted, st.executed, st.completed, st.inflight);
	for (i = 0; i < st.lanes; i++) {
		struct knhk_lane_stats ls;

		knhk_instance_lane_stats(inst, i, &ls);
		/* runs: what the lane has cost its workers (selftests). */
		seq_printf(m, "lane%u enqueued %llu executed %llu runs %llu\n", i,
			   ls.enqueued, ls.executed,
			   lanes ? READ_ONCE(lanes[i].nr_runs) : 0);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(knhk_stats);

static int knhk_digest_show(struct seq_file *m, void *unused)
{
	struct knhk_digest d = {};
	int ret;

	ret = knhk_instance_digest(m->private, &d);
	if (ret)
		return ret;
	seq_printf(m, "digest %016llx\nchecksum %016llx\nevents %llu\n",
		   d.digest, d.checksum, d.events);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(knhk_digest);

static int knhk_dropped_show(struct seq_file *m, void *unused)
{
	struct knhk_instance *inst = m->private;
	u64 n, total = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		n = knhk_replay_dropped(inst, cpu);
		total += n;
		if (n)
			seq_printf(m, "cpu%d %llu\n", cpu, n);
	}
	seq_printf(m, "total %llu\n", total);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(knhk_dropped);

/**
 * knhk_debugfs_instance() - create an instance's directory and files
 * @inst: the instance, its id set
 *
 * debugfs is optional: without it the instance works, only without its
 * files (and a replay stream cannot be opened).
 */
void knhk_debugfs_instance(struct knhk_instance *inst)
{
	char name[16];

	snprintf(name, sizeof(name), "%u", inst->id);
	inst->dir = debugfs_create_dir(name, knhk_debugfs_root);
	debugfs_create_file("config", 0400, inst->dir, inst, &knhk_config_fops);
	debugfs_create_file("stats", 0400, inst->dir, inst, &knhk_stats_fops);
	debugfs_create_file("digest", 0400, inst->dir, inst, &knhk_digest_fops);
	debugfs_create_file("dropped", 0400, inst->dir, inst,
			    &knhk_dropped_fops);
}

/**
 * knhk_debugfs_init() - create knhk_sched/ in debugfs
 */
void knhk_debugfs_init(void)
{
	knhk_debugfs_root = debugfs_create_dir(KNHK_DEVICE_NAME, NULL);
}

/**
 * knhk_debugfs_exit() - remove knhk_sched/; no instance may be left
 */
void knhk_debugfs_exit(void)
{
	debugfs_remove(knhk_debugfs_root);
}
