// SPDX-License-Identifier: MIT
/* Endpoints that share one guest address space combined into what a
 * virtio-iommu device model answers PROBE with: the narrowest limits, the
 * union of the reserved regions, the MSI doorbells. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "resv.h"
#include "util.h"

/* Copy @n regions into the caller's array of @max; the count is always
 * reported. */
static void put_regions(struct ioasid_resv_region *dst, uint32_t max,
			const struct ioasid_resv_region *src, uint32_t n,
			uint32_t *count)
{
	uint32_t copy = n < max ? n : max;

	/* An empty list may be NULL: memcpy() wants valid pointers even
	 * for a count of 0. */
	if (dst && copy)
		memcpy(dst, src, copy * sizeof(*src));
	*count = n;
}

int endpoints_combine(const struct ioasid_endpoint *eps, uint32_t num_eps,
		      struct ioasid_combined *res)
{
	struct ioasid_resv_region *all = NULL, *merged = NULL, *bells = NULL;
	uint32_t total = 0, nmerged = 0, nbells = 0;
	uint64_t common_sizes = UINT64_MAX;

	res->pasid_width = UINT8_MAX;
	res->aperture_last = UINT64_MAX;
	for (uint32_t e = 0; e < num_eps; e++) {
		const struct ioasid_endpoint *ep = &eps[e];

		total += ep->num_regions;
		if (ep->pasid_width < res->pasid_width)
			res->pasid_width = ep->pasid_width;
		if (ep->aperture_last &&
		    ep->aperture_last < res->aperture_last)
			res->aperture_last = ep->aperture_last;
		if (ep->page_sizes) {
			uint64_t g = ep->page_sizes & -ep->page_sizes;

			if (g > res->granule)
				res->granule = g;
			common_sizes &= ep->page_sizes;
		}
	}
	/* Larger sizes every endpoint maps natively; the granule itself is
	 * always usable, as every endpoint can build it from its own smaller
	 * pages (all page sizes are powers of two). */
	if (res->granule)
		res->page_sizes =
			res->granule | (common_sizes & ~(res->granule - 1));

	all = malloc((total ? total : 1) * sizeof(*all));
	if (!all)
		return ioasid_fail(-ENOMEM, "out of memory");
	total = 0;
	for (uint32_t e = 0; e < num_eps; e++)
		for (uint32_t i = 0; i < eps[e].num_regions; i++)
			all[total++] = eps[e].regions[i];
	if (resv_merge(all, total, RESV_ALL_TYPES, &merged, &nmerged) ||
	    resv_merge(all, total, RESV_DOORBELL_TYPES, &bells, &nbells)) {
		free(all);
		free(merged);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	if (msi_window_conflict(all, total))
		res->flags |= IOASID_COMBINED_MSI_CONFLICT;
	put_regions(res->regions, res->max_regions, merged, nmerged,
		    &res->num_regions);
	put_regions(res->doorbells, res->max_doorbells, bells, nbells,
		    &res->num_doorbells);
	free(all);
	free(merged);
	free(bells);
	return 0;
}
