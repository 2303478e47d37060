/* SPDX-License-Identifier: GPL-2.0 */
/* Userspace stand-in for <linux/cache.h>: x86-64's L1 line, as the kernel's. */
#ifndef _KNHK_BENCH_COMPAT_LINUX_CACHE_H
#define _KNHK_BENCH_COMPAT_LINUX_CACHE_H

#include <linux/compiler.h>

#define SMP_CACHE_BYTES			64
#define ____cacheline_aligned		__aligned(SMP_CACHE_BYTES)
#define ____cacheline_aligned_in_smp	____cacheline_aligned

#endif
