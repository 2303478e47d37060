// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_log - libFuzzer target for the replay log parser (make -C tools
 * fuzz). Every input is parsed twice: as it is, and with the integrity
 * hashes skipped, so that mutated records reach the record checks; a log
 * that parses is then verified, diffed against itself, re-encoded and
 * parsed again, which must give the same records.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "knhk_log.h"

static void exercise(const struct knhk_log *log)
{
	struct knhk_log back;
	struct knhk_verify v;
	struct knhk_diff d;
	char line[256];
	size_t len, i;
	void *buf;

	knhk_log_verify(log, &v);
	knhk_log_diff(log, log, &d);
	if (!v.incomplete && d.grade != KNHK_EXACT_MATCH)
		abort();
	for (i = 0; i < log->n; i++)
		knhk_ev_describe(log->recs[i].ev, line, sizeof(line));
	if (knhk_log_encode(log, &buf, &len))
		return;
	if (knhk_log_parse(&back, buf, len, 0, NULL) || back.n != log->n)
		abort();
	for (i = 0; i < log->n; i++)
		if (memcmp(back.recs[i].ev, log->recs[i].ev, sizeof(struct knhk_event)))
			abort();
	knhk_log_free(&back);
	free(buf);
}

/* libFuzzer's entry point; the Makefile gives it libFuzzer's name. */
int knhk_fuzz_one(const uint8_t *data, size_t size);

int knhk_fuzz_one(const uint8_t *data, size_t size)
{
	char err[KNHK_ERRLEN];
	struct knhk_log log;

	if (!knhk_log_parse(&log, data, size, 0, err))
		exercise(&log);
	knhk_log_free(&log);
	if (!knhk_log_parse(&log, data, size, KNHK_PARSE_NO_HASH, err))
		exercise(&log);
	knhk_log_free(&log);
	return 0;
}
