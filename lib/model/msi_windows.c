// SPDX-License-Identifier: MIT
/* MSI windows: the sw-msi holes mapped MSI banks leave in an IOAS, and
 * whether a sw-msi window can work where the regions of several endpoints
 * meet. */
#include "resv.h"

uint32_t msi_bank_regions(const struct ioasid_msi_bank *banks, uint32_t n,
			  struct ioasid_resv_region *out)
{
	uint32_t k = 0;

	for (uint32_t i = 0; i < n; i++)
		if (banks[i].mapped)
			out[k++] = (struct ioasid_resv_region){
				.start = banks[i].iova,
				.last = banks[i].iova + banks[i].size - 1,
				.type = IOASID_RESV_SW_MSI,
			};
	return k;
}

/* A window the host must map to a doorbell cannot work where some
 * endpoint forbids any mapping. */
bool msi_window_conflict(const struct ioasid_resv_region *r, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].type != IOASID_RESV_SW_MSI)
			continue;
		for (uint32_t j = 0; j < n; j++)
			if (resv_rank(r[j].type) > resv_rank(IOASID_RESV_SW_MSI) &&
			    resv_overlaps(&r[i], &r[j]))
				return true;
	}
	return false;
}
