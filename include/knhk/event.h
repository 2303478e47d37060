/* SPDX-License-Identifier: GPL-2.0 */
/*
 * event.h - replay events and the per-source digest chains
 */
#ifndef _KNHK_EVENT_H
#define _KNHK_EVENT_H

#include <linux/types.h>
#include <linux/xxhash.h>
#include <uapi/linux/knhk_sched.h>

/**
 * struct knhk_chain - one source's events, folded as they happen
 * @hash: xxh64 chain over the source's records, h = xxh64(record, h_prev)
 * @count: records so far, which is also the next record's sequence number
 * @xor: XOR of the records' timestamps
 */
struct knhk_chain {
	u64 hash;
	u64 count;
	u64 xor;
};

/**
 * struct knhk_digest_src - what the digest takes from one source
 * @source: lane number, %KNHK_SRC_ORDERED or %KNHK_SRC_SUBMIT
 * @reserved: 0
 * @count: its events
 * @hash: its chain
 */
struct knhk_digest_src {
	u32 source;
	u32 reserved;
	u64 count;
	u64 hash;
};

/**
 * struct knhk_digest_cfg - the configuration the digest covers: what can
 *	change a result
 * @version: %KNHK_DIGEST_VERSION
 * @lanes: lane count
 */
struct knhk_digest_cfg {
	u32 version;
	u32 lanes;
};

void knhk_chain_add(struct knhk_chain *c, struct knhk_event *ev);
u64 knhk_output_hash(u64 task_id, u64 output, u32 status, u32 ticks);
void knhk_digest_begin(struct xxh64_state *st,
		       const struct knhk_digest_cfg *cfg);
void knhk_digest_add(struct xxh64_state *st, u32 source,
		     const struct knhk_chain *c);

#endif /* _KNHK_EVENT_H */
