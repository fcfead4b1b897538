// SPDX-License-Identifier: MIT
/* Guest RAM checked against what every endpoint forbids: the conflicts,
 * and the message that names the first. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "layout.h"
#include "resv.h"
#include "util.h"

/* Whether the regions already hold the aperture limit above @top (as
 * ioasid_dev_resv_regions() reports it), so it is not counted twice. */
static bool covers_top(const struct ioasid_resv_region *r, uint32_t n,
		       uint64_t top)
{
	for (uint32_t i = 0; i < n; i++)
		if (r[i].last == UINT64_MAX && r[i].start <= top + 1 &&
		    resv_forbids_ram(&r[i]))
			return true;
	return false;
}

int layout_check(const struct ioasid_endpoint *eps, uint32_t num_eps,
		 const struct ioasid_ram_range *ram, uint32_t num_ram,
		 struct ioasid_layout_conflict *conflicts,
		 uint32_t *num_conflicts)
{
	struct ioasid_layout_conflict first;
	uint32_t max = num_conflicts ? *num_conflicts : 0, found = 0;
	char buf[32];

	for (uint32_t i = 0; i < num_ram; i++) {
		uint64_t lo = ram[i].gpa, hi = ram[i].gpa + ram[i].size - 1;

		for (uint32_t e = 0; e < num_eps; e++) {
			const struct ioasid_endpoint *ep = &eps[e];
			uint32_t n = ep->num_regions;
			uint64_t top = ep->aperture_last;

			for (uint32_t k = 0; k <= n; k++) {
				struct ioasid_resv_region r = { 0 };

				if (k < n) {
					r = ep->regions[k];
					if (!resv_forbids_ram(&r))
						continue;
				} else if (top && top < UINT64_MAX &&
					   !covers_top(ep->regions, n, top)) {
					/* The address-width ceiling. */
					r.start = top + 1;
					r.last = UINT64_MAX;
					r.type = IOASID_RESV_RESERVED;
				} else {
					continue;
				}
				if (r.start > hi || r.last < lo)
					continue;
				if (!found) {
					memset(&first, 0, sizeof(first));
					snprintf(first.device, sizeof(first.device),
						 "%s", endpoint_name(ep, e, buf));
					first.region = r;
					first.ram = ram[i];
				}
				if (found < max) {
					struct ioasid_layout_conflict *c =
						&conflicts[found];

					memset(c, 0, sizeof(*c));
					snprintf(c->device, sizeof(c->device),
						 "%s", endpoint_name(ep, e, buf));
					c->region = r;
					c->ram = ram[i];
				}
				found++;
			}
		}
	}
	if (num_conflicts)
		*num_conflicts = found;
	if (!found)
		return 0;
	return ioasid_fail(-EADDRINUSE,
			   "RAM 0x%llx-0x%llx overlaps reserved region 0x%llx-0x%llx (%s) of device %s%s",
			   (unsigned long long)first.ram.gpa,
			   (unsigned long long)(first.ram.gpa + first.ram.size - 1),
			   (unsigned long long)first.region.start,
			   (unsigned long long)first.region.last,
			   first.region.last == UINT64_MAX &&
					   first.region.type == IOASID_RESV_RESERVED ?
				   "above the IOMMU's address width" :
				   resv_type_str(first.region.type),
			   first.device,
			   found > 1 ? " (and more)" : "");
}
