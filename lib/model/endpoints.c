// SPDX-License-Identifier: MIT
/* The facts of an endpoint array that the layout computations share:
 * names for messages, the ceiling and granule, the regions RAM avoids. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "layout.h"
#include "resv.h"
#include "util.h"

const char *endpoint_name(const struct ioasid_endpoint *ep, uint32_t index,
			  char buf[32])
{
	if (ep->name && *ep->name)
		return ep->name;
	snprintf(buf, 32, "endpoint %u", index);
	return buf;
}

void endpoints_limits(const struct ioasid_endpoint *eps, uint32_t n,
		      struct endpoints_limits *l)
{
	l->top = UINT64_MAX;
	l->granule = 0;
	l->top_ep = l->granule_ep = 0;
	for (uint32_t e = 0; e < n; e++) {
		uint64_t t = eps[e].aperture_last;
		uint64_t ps = eps[e].page_sizes;

		if (t && t < l->top) {
			l->top = t;
			l->top_ep = e;
		}
		if (ps && (ps & -ps) > l->granule) {
			l->granule = ps & -ps;
			l->granule_ep = e;
		}
	}
}

int endpoints_forbidden(const struct ioasid_endpoint *eps, uint32_t n,
			struct ioasid_resv_region **out, uint32_t *nout)
{
	struct ioasid_resv_region *all;
	uint32_t total = 0;

	for (uint32_t e = 0; e < n; e++)
		total += eps[e].num_regions;
	all = malloc((total + 1) * sizeof(*all));
	if (!all)
		return ioasid_fail(-ENOMEM, "out of memory");
	total = 0;
	for (uint32_t e = 0; e < n; e++)
		for (uint32_t k = 0; k < eps[e].num_regions; k++)
			if (resv_forbids_ram(&eps[e].regions[k]))
				all[total++] = eps[e].regions[k];
	*out = all;
	*nout = total;
	return 0;
}
