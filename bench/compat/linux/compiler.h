/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <linux/compiler.h>: READ_ONCE/WRITE_ONCE as the
 * kernel defines them for scalars (one volatile access, never torn or
 * merged by the compiler).
 */
#ifndef _KNHK_BENCH_COMPAT_LINUX_COMPILER_H
#define _KNHK_BENCH_COMPAT_LINUX_COMPILER_H

#define __aligned(x)		__attribute__((__aligned__(x)))
#define barrier()		__asm__ __volatile__("" ::: "memory")
#define READ_ONCE(x)		(*(const volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, val)	(*(volatile __typeof__(x) *)&(x) = (val))

#endif
