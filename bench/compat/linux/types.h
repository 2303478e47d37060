/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/types.h> for include/knhk/ring.h: the uapi
 * header (for __u32 and friends, which other system headers need) plus the
 * kernel-internal short names.
 */
#ifndef _KNHK_BENCH_COMPAT_LINUX_TYPES_H
#define _KNHK_BENCH_COMPAT_LINUX_TYPES_H

#include_next <linux/types.h>

#include <stdbool.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;

#endif
