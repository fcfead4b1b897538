// SPDX-License-Identifier: MIT
/* Reserved regions of any order and overlap merged by precedence
 * (resv_rank()) into disjoint sorted ones. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "resv.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int resv_merge(const struct ioasid_resv_region *in, uint32_t n,
	       uint32_t types_mask, struct ioasid_resv_region **out,
	       uint32_t *num_out)
{
	struct ioasid_resv_region *res = NULL;
	uint64_t *cuts;
	uint32_t ncuts = 0, nres = 0;

	*out = NULL;
	*num_out = 0;
	if (!n)
		return 0;
	/* Every start and every end+1 cuts the line into elementary pieces
	 * that no region boundary splits; each piece then takes the type of
	 * the highest-ranked region covering it. */
	cuts = malloc(2 * (size_t)n * sizeof(*cuts));
	res = malloc(2 * (size_t)n * sizeof(*res));
	if (!cuts || !res) {
		free(cuts);
		free(res);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++) {
		if (!(types_mask & (1u << in[i].type)))
			continue;
		cuts[ncuts++] = in[i].start;
		if (in[i].last != UINT64_MAX)
			cuts[ncuts++] = in[i].last + 1;
	}
	qsort(cuts, ncuts, sizeof(*cuts), cmp_u64);
	for (uint32_t k = 0; k < ncuts; k++) {
		uint64_t start = cuts[k], last;
		int best = 0;
		enum ioasid_resv_type type = IOASID_RESV_RESERVED;

		if (k && cuts[k - 1] == start)
			continue;
		last = UINT64_MAX;
		for (uint32_t j = k + 1; j < ncuts; j++)
			if (cuts[j] != start) {
				last = cuts[j] - 1;
				break;
			}
		for (uint32_t i = 0; i < n; i++) {
			if (!(types_mask & (1u << in[i].type)))
				continue;
			if (in[i].start <= start && start <= in[i].last &&
			    resv_rank(in[i].type) > best) {
				best = resv_rank(in[i].type);
				type = in[i].type;
			}
		}
		if (!best)
			continue;
		if (nres && res[nres - 1].type == type &&
		    res[nres - 1].last != UINT64_MAX &&
		    res[nres - 1].last + 1 == start) {
			res[nres - 1].last = last;
			continue;
		}
		memset(&res[nres], 0, sizeof(res[nres]));
		res[nres].start = start;
		res[nres].last = last;
		res[nres].type = type;
		nres++;
	}
	free(cuts);
	if (!nres) {
		free(res);
		res = NULL;
	}
	*out = res;
	*num_out = nres;
	return 0;
}
