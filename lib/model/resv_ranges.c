// SPDX-License-Identifier: MIT
/* Reserved regions and usable ranges, each the complement of the other:
 * overlap and coverage tests, and the complement of a merged list. */
#include <errno.h>
#include <stdlib.h>

#include "resv.h"
#include "util.h"

bool resv_overlaps(const struct ioasid_resv_region *a,
		   const struct ioasid_resv_region *b)
{
	return a->start <= b->last && b->start <= a->last;
}

bool resv_covered(const struct ioasid_resv_region *r, uint32_t n,
		  uint64_t start, uint64_t last)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].last < start)
			continue;
		if (r[i].start > start)
			return false;
		if (r[i].last >= last)
			return true;
		start = r[i].last + 1;
	}
	return false;
}

int resv_complement(const struct ioasid_resv_region *holes, uint32_t n,
		    uint64_t start, uint64_t last,
		    struct ioasid_iova_range **out, uint32_t *nout)
{
	struct ioasid_iova_range *r = calloc(n + 1, sizeof(*r));
	uint32_t k = 0;
	uint64_t cur = start;
	bool done = false;

	if (!r)
		return -ENOMEM;
	for (uint32_t i = 0; i < n && !done; i++) {
		if (holes[i].last < cur)
			continue;
		if (holes[i].start > last)
			break;
		if (holes[i].start > cur) {
			r[k].start = cur;
			r[k++].last = holes[i].start - 1;
		}
		if (holes[i].last >= last)
			done = true;
		else
			cur = holes[i].last + 1;
	}
	if (!done) {
		r[k].start = cur;
		r[k++].last = last;
	}
	*out = r;
	*nout = k;
	return 0;
}

int resv_usable(const struct ioasid_resv_region *regions, uint32_t n,
		uint64_t start, uint64_t last,
		struct ioasid_iova_range **out, uint32_t *nout)
{
	struct ioasid_resv_region *merged = NULL;
	uint32_t nmerged = 0;
	int rc;

	rc = resv_merge(regions, n, RESV_ALL_TYPES, &merged, &nmerged);
	if (!rc)
		rc = resv_complement(merged, nmerged, start, last, out, nout);
	free(merged);
	if (rc)
		return ioasid_fail(-ENOMEM, "out of memory");
	return 0;
}
