/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace stand-in for <asm/barrier.h>. C11 acquire and release compile
 * on x86-64 to what the kernel's smp_load_acquire()/smp_store_release()
 * are there: a plain load or store that the compiler may not move across
 * (x86 keeps loads and stores in order). On a weaker CPU they still give
 * the kernel's semantics, if not its exact instructions.
 */
#ifndef _KNHK_BENCH_COMPAT_ASM_BARRIER_H
#define _KNHK_BENCH_COMPAT_ASM_BARRIER_H

#define smp_load_acquire(p)	__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define smp_store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

#endif
