// SPDX-License-Identifier: GPL-2.0
/*
 * main.c - knhk-sched module entry points and the /dev/knhk_sched ABI
 *
 * This file is the boundary with userspace: it copies ioctl arguments in and
 * out, checks sizes, flags and reserved fields, and hands kernel copies to
 * the instance. See include/uapi/linux/knhk_sched.h for the rules.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <knhk/sched.h>

static DEFINE_IDA(knhk_ids);

/*
 * Copy an ioctl argument that starts with {size, flags}. @ksize is the
 * kernel's struct size, @minsize the size of its first version; the
 * caller's size is returned in @usize. A larger caller struct is fine if
 * its tail is zero (-E2BIG otherwise); a page is more than any version will
 * need. A smaller one, down to @minsize, gets zeroes for the missing fields.
 */
static int knhk_copy_in(void *karg, size_t ksize, size_t minsize,
			const void __user *uarg, u32 *usize)
{
	if (get_user(*usize, (const u32 __user *)uarg))
		return -EFAULT;
	if (*usize < minsize)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(karg, ksize, uarg, *usize);
}

/*
 * Copy a result back, no more than the caller's struct holds; the size
 * field tells the caller how much was filled.
 */
static int knhk_copy_out(void __user *uarg, void *karg, size_t ksize,
			 u32 usize)
{
	size_t n = min_t(size_t, ksize, usize);

	*(u32 *)karg = n;
	return copy_to_user(uarg, karg, n) ? -EFAULT : 0;
}

/* The common case: structs that have only had one version. */
#define KNHK_COPY_IN(k, u, us)	knhk_copy_in(&(k), sizeof(k), sizeof(k), u, us)
#define KNHK_COPY_OUT(u, k, us)	knhk_copy_out(u, &(k), sizeof(k), us)

static long knhk_ioc_version(void __user *uarg)
{
	struct knhk_version v;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(v, uarg, &usize);
	if (ret)
		return ret;
	if (v.flags)
		return -EINVAL;
	v.major = KNHK_ABI_MAJOR;
	v.minor = KNHK_ABI_MINOR;
	return KNHK_COPY_OUT(uarg, v, usize);
}

static long knhk_ioc_configure(struct knhk_instance *inst, void __user *uarg)
{
	struct knhk_config cfg;
	u32 usize;
	int ret;

	ret = knhk_copy_in(&cfg, sizeof(cfg), KNHK_CONFIG_SIZE_VER0, uarg,
			   &usize);
	if (ret)
		return ret;
	if (cfg.reserved)
		return -EINVAL;
	return knhk_instance_configure(inst, &cfg);
}

/* A batch of one: the task is read again, from inside the ioctl argument. */
static long knhk_ioc_enqueue(struct knhk_instance *inst, void __user *uarg,
			     bool ordered, bool nonblock)
{
	struct knhk_enqueue_ordered eo;
	struct knhk_enqueue e;
	struct knhk_submit sb = { .count = 1 };
	void __user *task;
	u32 usize;
	int ret;

	if (ordered) {
		ret = KNHK_COPY_IN(eo, uarg, &usize);
		task = &((struct knhk_enqueue_ordered __user *)uarg)->ot;
	} else {
		ret = KNHK_COPY_IN(e, uarg, &usize);
		task = &((struct knhk_enqueue __user *)uarg)->task;
	}
	if (ret)
		return ret;
	if (ordered ? eo.flags : e.flags)
		return -EINVAL;
	sb.tasks = (uintptr_t)task;
	return knhk_instance_submit(inst, &sb, ordered, nonblock);
}

static long knhk_ioc_submit(struct knhk_instance *inst, void __user *uarg,
			    bool ordered, bool nonblock)
{
	struct knhk_submit sb;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(sb, uarg, &usize);
	if (ret)
		return ret;
	if (sb.flags || sb.reserved)
		return -EINVAL;
	/*
	 * The caller learns how far the call got only from the struct: one
	 * that cannot be written back is refused before anything is accepted.
	 */
	if (KNHK_COPY_OUT(uarg, sb, usize))
		return -EFAULT;
	ret = knhk_instance_submit(inst, &sb, ordered, nonblock);
	/* Whatever happened, say how far it got. */
	if (KNHK_COPY_OUT(uarg, sb, usize))
		return -EFAULT;
	return ret;
}

static long knhk_ioc_release(struct knhk_instance *inst, void __user *uarg)
{
	struct knhk_release rel;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(rel, uarg, &usize);
	if (ret)
		return ret;
	if (rel.flags & ~KNHK_RELEASE_ALL || rel.reserved)
		return -EINVAL;
	ret = knhk_instance_release(inst, &rel);
	if (ret)
		return ret;
	return KNHK_COPY_OUT(uarg, rel, usize);
}

static long knhk_ioc_run_cycle(struct knhk_instance *inst, void __user *uarg)
{
	struct knhk_run_cycle rc;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(rc, uarg, &usize);
	if (ret)
		return ret;
	if (rc.flags || rc.reserved)
		return -EINVAL;
	ret = knhk_instance_run_cycle(inst, &rc);
	if (ret)
		return ret;
	return KNHK_COPY_OUT(uarg, rc, usize);
}

static long knhk_ioc_guards(struct knhk_instance *inst, void __user *uarg)
{
	struct knhk_guards g;
	u32 *ids;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(g, uarg, &usize);
	if (ret)
		return ret;
	if ((g.flags != KNHK_GUARDS_SET && g.flags != KNHK_GUARDS_CLEAR) ||
	    g.reserved || !g.count || g.count > KNHK_GUARD_IDS)
		return -EINVAL;
	ids = memdup_user(u64_to_user_ptr(g.ids), g.count * sizeof(*ids));
	if (IS_ERR(ids))
		return PTR_ERR(ids);
	ret = knhk_instance_guards(inst, g.flags, ids, g.count);
	kfree(ids);
	return ret;
}

static long knhk_ioc_load_shared(struct knhk_instance *inst,
				 void __user *uarg)
{
	u64 values[KNHK_SHARED_SLOTS];
	struct knhk_shared_load sl;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(sl, uarg, &usize);
	if (ret)
		return ret;
	if (sl.flags || sl.first >= KNHK_SHARED_SLOTS || !sl.count ||
	    sl.count > KNHK_SHARED_SLOTS - sl.first)
		return -EINVAL;
	if (copy_from_user(values, u64_to_user_ptr(sl.values),
			   sl.count * sizeof(values[0])))
		return -EFAULT;
	return knhk_instance_load_shared(inst, sl.first, values, sl.count);
}

static long knhk_ioc_barrier(struct knhk_instance *inst, void __user *uarg)
{
	struct knhk_barrier b;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(b, uarg, &usize);
	if (ret)
		return ret;
	if (b.flags)
		return -EINVAL;
	return knhk_instance_barrier(inst);
}

static long knhk_ioc_digest(struct knhk_instance *inst, void __user *uarg)
{
	struct knhk_digest d;
	u32 usize;
	int ret;

	ret = KNHK_COPY_IN(d, uarg, &usize);
	if (ret)
		return ret;
	if (d.flags)
		return -EINVAL;
	ret = knhk_instance_digest(inst, &d);
	if (ret)
		return ret;
	return KNHK_COPY_OUT(uarg, d, usize);
}

static long knhk_ioc_stats(struct knhk_instance *inst, void __user *uarg)
{
	struct knhk_stats st;
	u32 room;
	u32 usize;
	int ret;

	ret = knhk_copy_in(&st, sizeof(st), KNHK_STATS_SIZE_VER0, uarg,
			   &usize);
	if (ret)
		return ret;
	if (st.flags || st.reserved || st.reserved2)
		return -EINVAL;
	room = st.lanes;
	ret = knhk_instance_stats(inst, &st, u64_to_user_ptr(st.lane_stats),
				  room);
	if (ret)
		return ret;
	return KNHK_COPY_OUT(uarg, st, usize);
}

/* Every ioctl, by number: its direction is checked, its size is not. */
static const unsigned int knhk_iocs[] = {
	KNHK_IOC_VERSION, KNHK_IOC_CONFIGURE, KNHK_IOC_ENQUEUE,
	KNHK_IOC_BARRIER, KNHK_IOC_STATS, KNHK_IOC_SUBMIT,
	KNHK_IOC_ENQUEUE_ORDERED, KNHK_IOC_SUBMIT_ORDERED, KNHK_IOC_RELEASE,
	KNHK_IOC_RUN_CYCLE, KNHK_IOC_GUARDS, KNHK_IOC_LOAD_SHARED,
	KNHK_IOC_DIGEST,
};

/*
 * The ioctl number encodes the size of the struct the caller was built
 * with, which may be an older, smaller version or a newer, larger one: so
 * the number is matched by type, direction and index only, and the size is
 * the struct's own @size field (knhk_copy_in()).
 */
static long knhk_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct knhk_instance *inst = file->private_data;
	void __user *uarg = (void __user *)arg;
	bool nonblock = file->f_flags & O_NONBLOCK;
	unsigned int nr = _IOC_NR(cmd);

	/* The table is in number order: the index is the number. */
	BUILD_BUG_ON(_IOC_NR(KNHK_IOC_DIGEST) != ARRAY_SIZE(knhk_iocs) - 1);
	if (_IOC_TYPE(cmd) != KNHK_IOC_MAGIC || nr >= ARRAY_SIZE(knhk_iocs) ||
	    _IOC_NR(knhk_iocs[nr]) != nr ||
	    _IOC_DIR(cmd) != _IOC_DIR(knhk_iocs[nr]))
		return -ENOTTY;

	switch (nr) {
	case _IOC_NR(KNHK_IOC_VERSION):
		return knhk_ioc_version(uarg);
	case _IOC_NR(KNHK_IOC_CONFIGURE):
		return knhk_ioc_configure(inst, uarg);
	case _IOC_NR(KNHK_IOC_ENQUEUE):
		return knhk_ioc_enqueue(inst, uarg, false, nonblock);
	case _IOC_NR(KNHK_IOC_ENQUEUE_ORDERED):
		return knhk_ioc_enqueue(inst, uarg, true, nonblock);
	case _IOC_NR(KNHK_IOC_SUBMIT):
		return knhk_ioc_submit(inst, uarg, false, nonblock);
	case _IOC_NR(KNHK_IOC_SUBMIT_ORDERED):
		return knhk_ioc_submit(inst, uarg, true, nonblock);
	case _IOC_NR(KNHK_IOC_RELEASE):
		return knhk_ioc_release(inst, uarg);
	case _IOC_NR(KNHK_IOC_RUN_CYCLE):
		return knhk_ioc_run_cycle(inst, uarg);
	case _IOC_NR(KNHK_IOC_GUARDS):
		return knhk_ioc_guards(inst, uarg);
	case _IOC_NR(KNHK_IOC_LOAD_SHARED):
		return knhk_ioc_load_shared(inst, uarg);
	case _IOC_NR(KNHK_IOC_BARRIER):
		return knhk_ioc_barrier(inst, uarg);
	case _IOC_NR(KNHK_IOC_DIGEST):
		return knhk_ioc_digest(inst, uarg);
	case _IOC_NR(KNHK_IOC_STATS):
		return knhk_ioc_stats(inst, uarg);
	default:
		return -ENOTTY;
	}
}

static int knhk_open(struct inode *inode, struct file *file)
{
	struct knhk_instance *inst;
	int id;

	id = ida_alloc(&knhk_ids, GFP_KERNEL);
	if (id < 0)
		return id;
	inst = knhk_instance_create(id);
	if (IS_ERR(inst)) {
		ida_free(&knhk_ids, id);
		return PTR_ERR(inst);
	}
	file->private_data = inst;
	return stream_open(inode, file);
}

static int knhk_release(struct inode *inode, struct file *file)
{
	struct knhk_instance *inst = file->private_data;
	u32 id = inst->id;

	knhk_instance_destroy(inst);
	ida_free(&knhk_ids, id);
	return 0;
}

static ssize_t knhk_read(struct file *file, char __user *buf, size_t count,
			 loff_t *ppos)
{
	return knhk_instance_read(file->private_data, buf, count,
				  file->f_flags & O_NONBLOCK);
}

static __poll_t knhk_poll(struct file *file, struct poll_table_struct *wait)
{
	return knhk_instance_poll(file->private_data, file, wait);
}

static const struct file_operations knhk_fops = {
	.owner		= THIS_MODULE,
	.open		= knhk_open,
	.release	= knhk_release,
	.read		= knhk_read,
	.poll		= knhk_poll,
	.unlocked_ioctl	= knhk_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

static struct miscdevice knhk_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= KNHK_DEVICE_NAME,
	.fops	= &knhk_fops,
	.mode	= 0600,
};

static int __init knhk_init(void)
{
	int ret;

	ret = knhk_workers_init();
	if (ret)
		return ret;
	knhk_debugfs_init();
	knhk_replay_init();
	ret = misc_register(&knhk_misc);
	if (ret) {
		knhk_debugfs_exit();
		knhk_workers_exit();
	}
	return ret;
}

static void __exit knhk_exit(void)
{
	misc_deregister(&knhk_misc);
	knhk_debugfs_exit();
	knhk_workers_exit();
	ida_destroy(&knhk_ids);
}

module_init(knhk_init);
module_exit(knhk_exit);

MODULE_DESCRIPTION("Deterministic multi-CPU task scheduler with a replay log");
MODULE_LICENSE("GPL");
MODULE_VERSION(KNHK_VERSION);
