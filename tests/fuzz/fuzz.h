/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer targets (fuzz_viommu.c, fuzz_restore.c): the
 * invariant check, which aborts so that libFuzzer reports the input; the
 * input read as a stream of bytes; the probe of an IOAS's mappings.
 */
#ifndef IOASID_TESTS_FUZZ_FUZZ_H
#define IOASID_TESTS_FUZZ_FUZZ_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <ioasid/ioasid.h>

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "invariant failed at %s:%d: %s\n", \
				__FILE__, __LINE__, #cond);                \
			abort();                                           \
		}                                                          \
	} while (0)

struct input {
	const uint8_t *p;
	size_t left;
};

/* The next input byte; 0 once the input is used up. */
static inline uint8_t u8(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

/* Whether mappings of @ioas cover [iova, iova + len): IOMMU_IOAS_COPY
 * into a scratch IOAS takes the range only then (-ENOENT otherwise). */
static inline bool ioas_has(struct ioasid_ctx *ctx, uint32_t ioas,
			    uint64_t iova, uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	uint32_t scratch;
	uint64_t dst = 0;
	int rc;

	CHECK(ioasid_ioas_alloc(ctx, &scratch) == 0);
	rc = ioasid_ioas_copy(ctx, scratch, &dst, ioas, iova, len, &o);
	CHECK(rc == 0 || rc == -ENOENT);
	CHECK(ioasid_ioas_destroy(ctx, scratch) == 0);
	return rc == 0;
}

#endif /* IOASID_TESTS_FUZZ_FUZZ_H */
