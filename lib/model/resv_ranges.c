// SPDX-License-Identifier: MIT
/* Reserved regions and usable ranges, each the complement of the other:
 * overlap and coverage tests, the complement of a merged list, and the
 * regions a device and an IOAS report. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

int resv_with_aperture(struct ioasid_resv_region *regions, uint32_t n,
		       uint64_t aperture_start, uint64_t aperture_last,
		       struct ioasid_resv_region **out, uint32_t *nout)
{
	if (aperture_start > 0)
		regions[n++] = (struct ioasid_resv_region){
			.start = 0,
			.last = aperture_start - 1,
			.type = IOASID_RESV_RESERVED,
		};
	if (aperture_last < UINT64_MAX)
		regions[n++] = (struct ioasid_resv_region){
			.start = aperture_last + 1,
			.last = UINT64_MAX,
			.type = IOASID_RESV_RESERVED,
		};
	if (resv_merge(regions, n, RESV_ALL_TYPES, out, nout))
		return ioasid_fail(-ENOMEM, "out of memory");
	return 0;
}

/*
 * Append to *@all (*@nall entries, @merged of them sorted and disjoint
 * at its start) the parts of the holes between @ranges that no region of
 * @merged covers, as reserved regions: holes of the IOAS itself (the
 * kernel's IOMMU_TEST_OP_ADD_RESERVED, an IOMMU driver's reservation of
 * the IOAS) that no attached device's report explains, so that the typed
 * holes stay the exact complement of the usable ranges.
 */
static int add_unexplained_holes(const struct ioasid_iova_range *ranges,
				 uint32_t nranges,
				 const struct ioasid_resv_region *merged,
				 uint32_t nmerged,
				 struct ioasid_resv_region **all, uint32_t *nall)
{
	uint64_t next = 0; /* first IOVA not yet looked at */
	bool done = false;

	for (uint32_t i = 0; i <= nranges && !done; i++) {
		uint64_t hole_start = next, hole_last;

		if (i < nranges) {
			if (ranges[i].start == next) {
				if (ranges[i].last == UINT64_MAX)
					break;
				next = ranges[i].last + 1;
				continue;
			}
			hole_last = ranges[i].start - 1;
			if (ranges[i].last == UINT64_MAX)
				done = true;
			else
				next = ranges[i].last + 1;
		} else {
			hole_last = UINT64_MAX;
		}
		/* Walk the hole, skipping what @merged covers. */
		for (uint64_t at = hole_start;;) {
			uint64_t piece_last = hole_last;
			bool covered = false;

			for (uint32_t m = 0; m < nmerged; m++) {
				if (merged[m].last < at || merged[m].start > hole_last)
					continue;
				if (merged[m].start <= at) {
					covered = true;
					piece_last = merged[m].last < hole_last ?
							     merged[m].last : hole_last;
					break;
				}
				if (merged[m].start - 1 < piece_last)
					piece_last = merged[m].start - 1;
			}
			if (!covered) {
				struct ioasid_resv_region *grown =
					realloc(*all, (*nall + 1) * sizeof(**all));

				if (!grown)
					return ioasid_fail(-ENOMEM, "out of memory");
				*all = grown;
				memset(&grown[*nall], 0, sizeof(grown[*nall]));
				grown[*nall].start = at;
				grown[*nall].last = piece_last;
				grown[*nall].type = IOASID_RESV_RESERVED;
				(*nall)++;
			}
			if (piece_last == hole_last)
				break;
			at = piece_last + 1;
		}
		if (hole_last == UINT64_MAX)
			break;
	}
	return 0;
}

int resv_ioas_holes(const struct ioasid_iova_range *ranges, uint32_t nranges,
		    struct ioasid_resv_region **merged, uint32_t *nmerged)
{
	struct ioasid_resv_region *extra;
	uint32_t nextra = *nmerged;
	int rc;

	extra = malloc((*nmerged + 1) * sizeof(*extra));
	if (!extra)
		return ioasid_fail(-ENOMEM, "out of memory");
	if (*nmerged)
		memcpy(extra, *merged, *nmerged * sizeof(*extra));
	rc = add_unexplained_holes(ranges, nranges, *merged, *nmerged, &extra,
				   &nextra);
	if (!rc && nextra > *nmerged) {
		free(*merged);
		if (resv_merge(extra, nextra, RESV_ALL_TYPES, merged, nmerged))
			rc = ioasid_fail(-ENOMEM, "out of memory");
	}
	free(extra);
	return rc;
}
