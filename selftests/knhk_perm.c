// SPDX-License-Identifier: GPL-2.0
/*
 * knhk_perm - permissions and leaks: the device is 0600 root and a
 * non-root user (uid 65534) cannot open it; every debugfs file of an
 * instance is root-only; no kernel address shows up in an instance id, a
 * debugfs file, a completion record, the stats, or the replay stream.
 *
 * "Kernel address": text like ffff8... / ffffffff... (16 hex digits from
 * ffff), or a 64-bit value at or above 0xffff800000000000 (the x86-64
 * kernel half) in any field that is not a hash or a task output. The
 * replay records are also compared whole between two instances running
 * the same workload at the same time: every field is deterministic, so a
 * pointer (different for each instance) would show as a difference.
 */
#include <ctype.h>
#include <grp.h>

#include "kselftest_harness.h"
#include "knhk_rel.h"

#define NOBODY		65534
#define KADDR_MIN	0xffff800000000000ULL
#define PERM_TASKS	256

/* Run @fn as uid/gid 65534 in a child; its exit status (0..255) or -1. */
static int as_nobody(int (*fn)(const char *), const char *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (!pid) {
		if (setgroups(0, NULL) || setgid(NOBODY) || setuid(NOBODY))
			_exit(100);
		_exit(fn(arg));
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* Exit code: 0 if open(@path) failed with EACCES, 1 if it opened, 2 other. */
static int try_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_NONBLOCK);

	if (fd >= 0)
		return 1;
	return errno == EACCES ? 0 : 2;
}

static int try_open_dev(const char *path)
{
	int fd = open(path, O_RDWR);

	if (fd >= 0)
		return 1;
	return errno == EACCES ? 0 : 2;
}

FIXTURE(perm) {
	int fd;
	long id;
	char dir[128];
};

FIXTURE_SETUP(perm)
{
	struct knhk_task t[8];
	int i;

	OPEN_DEV(self->fd, 0);
	ASSERT_EQ(0, core_config(self->fd, KNHK_CONFIG_REPLAY, 4, 256, 1280));
	for (i = 0; i < 8; i++)
		task_pure(&t[i], i, i);
	ASSERT_EQ(0, core_submit(self->fd, t, 8, NULL));
	ASSERT_EQ(0, knhk_barrier(self->fd));
	self->id = rel_instance(self->fd);
	ASSERT_LE(0, self->id);
	snprintf(self->dir, sizeof(self->dir), REL_DEBUGFS "/%ld", self->id);
}

FIXTURE_TEARDOWN(perm)
{
	close(self->fd);
}

TEST_F(perm, device_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(KNHK_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777) TH_LOG("mode %o", st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, as_nobody(try_open_dev, KNHK_DEV))
		TH_LOG("uid %d: want EACCES opening %s", NOBODY, KNHK_DEV);
}

TEST_F(perm, debugfs_files_are_root_only)
{
	char path[512];
	struct dirent *de;
	struct stat st;
	int n = 0, replay = 0;
	DIR *d = opendir(self->dir);

	if (!d && errno == ENOENT && access(REL_DEBUGFS, F_OK))
		SKIP(return, "no %s (debugfs not mounted?)", REL_DEBUGFS);
	ASSERT_NE(NULL, d) TH_LOG("%s: %s", self->dir, strerror(errno));
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", self->dir, de->d_name);
		ASSERT_EQ(0, stat(path, &st));
		EXPECT_TRUE(S_ISREG(st.st_mode)) TH_LOG("%s", path);
		EXPECT_EQ(0, st.st_mode & 0077) TH_LOG("%s: mode %o", path, st.st_mode & 07777);
		EXPECT_EQ(0, st.st_mode & 0222) TH_LOG("%s: writable, mode %o", path,
						       st.st_mode & 07777);
		EXPECT_EQ(0, st.st_uid) TH_LOG("%s", path);
		EXPECT_EQ(0, as_nobody(try_open, path))
			TH_LOG("uid %d: want EACCES opening %s", NOBODY, path);
		n++;
		replay += !strncmp(de->d_name, "replay", 6);
	}
	closedir(d);
	EXPECT_LE(4 + 1, n) TH_LOG("only %d files in %s", n, self->dir);
	EXPECT_LE(1, replay) TH_LOG("no replay<cpu> file");
	TH_LOG("%d files checked (%d replay streams)", n, replay);
}

/* Text that looks like a kernel address: 16 hex digits starting ffff. */
static int text_kaddr(const char *s, const char *what)
{
	const char *p;
	int bad = 0;

	for (p = s; (p = strstr(p, "ffff")); p++) {
		int n = 0;

		while (isxdigit((unsigned char)p[n]))
			n++;
		if (n >= 12 && (p == s || !isxdigit((unsigned char)p[-1]))) {
			printf("# %s: address-like text \"%.*s\"\n", what, n, p);
			bad++;
		}
	}
	return bad;
}

static bool kword(__u64 v)
{
	return v >= KADDR_MIN;
}

struct stream {
	unsigned char *buf;
	size_t len;
};

/* All of an instance's replay<cpu> files, concatenated per CPU in @s. */
static int read_streams(const char *dir, struct stream *s, int ncpu_max)
{
	char path[512];
	int cpu, n = 0;

	for (cpu = 0; cpu < ncpu_max; cpu++) {
		int fd;
		ssize_t r;
		size_t cap = 1 << 20;

		snprintf(path, sizeof(path), "%s/replay%d", dir, cpu);
		fd = open(path, O_RDONLY);
		s[cpu].buf = NULL;
		s[cpu].len = 0;
		if (fd < 0)
			continue;
		s[cpu].buf = malloc(cap);
		while (s[cpu].buf && (r = read(fd, s[cpu].buf + s[cpu].len,
					       cap - s[cpu].len)) > 0)
			s[cpu].len += r;
		close(fd);
		n++;
	}
	return n;
}

/* Events of all streams as whole records (event + data), sorted. */
struct rec {
	size_t len;
	const unsigned char *p;
};

static int cmp_rec(const void *a, const void *b)
{
	const struct rec *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static size_t split_records(struct __test_metadata *_metadata,
			    struct stream *s, int ncpu, struct rec *out,
			    size_t max, int *bad)
{
	size_t n = 0;
	int cpu;

	for (cpu = 0; cpu < ncpu; cpu++) {
		size_t off = 0;

		while (s[cpu].buf && off + sizeof(struct knhk_event) <= s[cpu].len) {
			const struct knhk_event *ev = (const void *)(s[cpu].buf + off);
			size_t len = sizeof(*ev) + ((ev->len + 7) & ~7U);
			size_t i;

			ASSERT_LE(off + len, s[cpu].len);
			ASSERT_GT(max, n);
			/* Every field but the hash is small or ours. */
			if (kword(ev->seq) || kword(ev->ts) || kword(ev->task_id) ||
			    kword(ev->aux) || ev->type > 4 || ev->len > 4096 ||
			    ev->lane > 0xffff || ev->ticks > KNHK_MAX_BUDGET) {
				TH_LOG("cpu %d: event at %zu: type %u src %#x",
				       cpu, off, ev->type, ev->source);
				TH_LOG("  seq %#llx ts %#llx aux %#llx",
				       (unsigned long long)ev->seq,
				       (unsigned long long)ev->ts,
				       (unsigned long long)ev->aux);
				(*bad)++;
			}
			for (i = sizeof(*ev) + ev->len; i < len; i++)
				if (s[cpu].buf[off + i]) {
					TH_LOG("cpu %d: non-zero padding", cpu);
					(*bad)++;
					break;
				}
			out[n].p = s[cpu].buf + off;
			out[n].len = len;
			n++;
			off += len;
		}
		EXPECT_EQ(off, s[cpu].len) TH_LOG("cpu %d: trailing bytes", cpu);
	}
	qsort(out, n, sizeof(*out), cmp_rec);
	return n;
}

TEST_F_TIMEOUT(perm, no_kernel_addresses, 120)
{
	static const char *const files[] = { "config", "stats", "digest", "dropped" };
	struct knhk_completion c[PERM_TASKS + 8];
	struct knhk_ordered_task ot[8];
	struct knhk_task t[PERM_TASKS];
	struct stream s[2][KNHK_MAX_CPUS];
	struct rec *r[2];
	size_t nr[2];
	struct knhk_digest d[2];
	struct knhk_stats st;
	struct knhk_version v = { .size = sizeof(v) };
	char dir[2][128], path[512], text[4096], want[64];
	int fd[2], i, k, bad = 0, ncpu = KNHK_MAX_CPUS;
	static const __u32 g[] = { 1, 2, 3 };
	static const __u64 vals[] = { 11, 22, 33 };

	for (i = 0; i < PERM_TASKS; i++)
		task_pure(&t[i], i * 3 + 1, i);
	for (i = 0; i < 8; i++)
		otask_pure(&ot[i], 10 + i, 9000 + i, i);
	/* The same workload on two instances open at the same time. */
	for (k = 0; k < 2; k++) {
		OPEN_DEV(fd[k], 0);
		ASSERT_EQ(0, core_config(fd[k], KNHK_CONFIG_REPLAY, 4, 256, 1280));
		ASSERT_EQ(0, core_guards(fd[k], KNHK_GUARDS_SET, g, 3));
		ASSERT_EQ(0, core_load_shared(fd[k], 0, vals, 3));
		ASSERT_EQ(0, core_submit(fd[k], t, PERM_TASKS, NULL));
		ASSERT_EQ(0, core_submit_ordered(fd[k], ot, 8, NULL));
		ASSERT_EQ(0, core_release(fd[k], KNHK_RELEASE_ALL, 0, NULL));
		ASSERT_EQ(0, core_digest(fd[k], &d[k]));
		ASSERT_EQ(PERM_TASKS + 8, knhk_read_all(fd[k], c, PERM_TASKS + 8));
		for (i = 0; i < PERM_TASKS + 8; i++) {
			const struct knhk_completion *x = &c[i];

			/* Outputs are ours: mix64 of a small payload. */
			EXPECT_EQ(knhk_mix64(x->task_id >= 9000 ? x->task_id - 9000 :
					     (x->task_id - 1) / 3), x->output);
			if (kword(x->task_id) || kword(x->enqueue_ts) ||
			    kword(x->execute_ts) || kword(x->cycles) ||
			    x->lane > 3 || x->status || x->ticks > 1 ||
			    x->cpu >= KNHK_MAX_CPUS || x->flags > 1 || x->reserved) {
				TH_LOG("suspicious completion %d: id %llu cycles %#llx cpu %u",
				       i, (unsigned long long)x->task_id,
				       (unsigned long long)x->cycles, x->cpu);
				bad++;
			}
		}
		ASSERT_EQ(0, knhk_stats(fd[k], &st, NULL, 0));
		EXPECT_GT(1U << 20, st.instance) TH_LOG("instance id %#x", st.instance);
		EXPECT_EQ(0, st.reserved);
		EXPECT_EQ(0, st.reserved2);
		snprintf(dir[k], sizeof(dir[k]), REL_DEBUGFS "/%u", st.instance);
		for (i = 0; i < (int)ARRAY_SIZE(files); i++) {
			snprintf(path, sizeof(path), "%s/%s", dir[k], files[i]);
			ASSERT_LE(0, knhk_read_file(path, text, sizeof(text)))
				TH_LOG("%s", path);
			if (!strcmp(files[i], "digest")) {
				/* Random-looking by design: must be the ioctl's. */
				snprintf(want, sizeof(want), "digest %016llx\n",
					 (unsigned long long)d[k].digest);
				EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
				snprintf(want, sizeof(want), "checksum %016llx\n",
					 (unsigned long long)d[k].checksum);
				EXPECT_NE(NULL, strstr(text, want)) TH_LOG("%s", text);
				continue;
			}
			bad += text_kaddr(text, path);
		}
		ncpu = read_streams(dir[k], s[k], KNHK_MAX_CPUS);
		ASSERT_LT(0, ncpu);
	}
	ASSERT_EQ(0, knhk_ioctl(fd[0], KNHK_IOC_VERSION, &v));
	EXPECT_FALSE(kword(((__u64)v.minor << 32) | v.major));
	EXPECT_EQ(d[0].digest, d[1].digest);

	for (k = 0; k < 2; k++) {
		r[k] = calloc(4 * (PERM_TASKS + 64), sizeof(*r[k]));
		ASSERT_NE(NULL, r[k]);
		nr[k] = split_records(_metadata, s[k], KNHK_MAX_CPUS, r[k],
				      4 * (PERM_TASKS + 64), &bad);
	}
	EXPECT_EQ(d[0].events, nr[0]);
	ASSERT_EQ(nr[0], nr[1]);
	for (i = 0; i < (int)nr[0]; i++) {
		if (!cmp_rec(&r[0][i], &r[1][i]))
			continue;
		TH_LOG("replay record %d differs between two instances", i);
		bad++;
		break;
	}
	TH_LOG("checked %zu replay records, %d completions, 2x4 debugfs files",
	       nr[0], PERM_TASKS + 8);
	EXPECT_EQ(0, bad);
	for (k = 0; k < 2; k++) {
		for (i = 0; i < KNHK_MAX_CPUS; i++)
			free(s[k][i].buf);
		free(r[k]);
		close(fd[k]);
	}
}

TEST_HARNESS_MAIN
