// SPDX-License-Identifier: MIT
/* Guest RAM planned around what the endpoints forbid: aligned ranges,
 * lowest first, from a base up to the smallest ceiling. */
#include <errno.h>
#include <stdlib.h>

#include "layout.h"
#include "resv.h"
#include "util.h"

#define SZ_4G (4ull << 30)

int layout_plan(const struct ioasid_endpoint *eps, uint32_t num_eps,
		uint64_t ram_size, uint64_t base, uint64_t align,
		uint64_t min_low, struct ioasid_ram_range **planp,
		uint32_t *nplanp)
{
	struct ioasid_resv_region *all = NULL, *merged = NULL;
	struct ioasid_iova_range *usable = NULL;
	struct ioasid_ram_range *plan = NULL;
	struct endpoints_limits lim;
	uint64_t left, low = 0;
	uint32_t total = 0, nmerged = 0, nusable = 0, nplan = 0;
	int rc;

	endpoints_limits(eps, num_eps, &lim);
	rc = endpoints_forbidden(eps, num_eps, &all, &total);
	if (rc)
		return rc;
	if (base > lim.top) {
		rc = ioasid_fail(-ENOSPC,
				 "base 0x%llx is above the smallest address-width ceiling 0x%llx",
				 (unsigned long long)base,
				 (unsigned long long)lim.top);
		goto out;
	}
	if (resv_merge(all, total, RESV_ALL_TYPES, &merged, &nmerged) ||
	    resv_complement(merged, nmerged, base, lim.top, &usable, &nusable)) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	plan = calloc(nusable + 1, sizeof(*plan));
	if (!plan) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	left = ram_size;
	for (uint32_t i = 0; i < nusable && left; i++) {
		uint64_t s = usable[i].start, e = usable[i].last, len;

		/* Align the start up and the end (exclusive) down. */
		if (s & (align - 1)) {
			if (s > UINT64_MAX - align)
				continue;
			s = (s | (align - 1)) + 1;
		}
		/* e - s + 1 wraps to 0 for all of [0, 2^64 - 1]: compare
		 * and size by e - s. */
		if (s > e || e - s < align - 1)
			continue;
		len = e - s == UINT64_MAX ? UINT64_MAX & ~(align - 1)
					  : (e - s + 1) & ~(align - 1);
		if (len > left)
			len = left;
		plan[nplan].gpa = s;
		plan[nplan++].size = len;
		left -= len;
		if (s < SZ_4G)
			low += (s + len > SZ_4G ? SZ_4G - s : len);
	}
	if (left) {
		rc = ioasid_fail(-ENOSPC,
				 "0x%llx bytes of RAM do not fit between 0x%llx and the address-width ceiling 0x%llx around %u reserved regions (0x%llx left over)",
				 (unsigned long long)ram_size,
				 (unsigned long long)base,
				 (unsigned long long)lim.top, nmerged,
				 (unsigned long long)left);
		goto out;
	}
	if (low < min_low) {
		rc = ioasid_fail(-ENOSPC,
				 "only 0x%llx bytes of RAM fit below 4 GiB, 0x%llx are required",
				 (unsigned long long)low,
				 (unsigned long long)min_low);
		goto out;
	}
	*planp = plan;
	*nplanp = nplan;
	plan = NULL;
out:
	free(all);
	free(merged);
	free(usable);
	free(plan);
	return rc;
}
