// SPDX-License-Identifier: MIT
/* Migration between two platforms: what of the destination's endpoints
 * blocks a guest that was told the source's, and the message that names
 * the first block. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "layout.h"
#include "resv.h"
#include "util.h"

struct block_list {
	struct ioasid_migration_block *v, first;
	uint32_t max, n;
};

static void block_add(struct block_list *l, const struct ioasid_migration_block *b)
{
	if (!l->n)
		l->first = *b;
	if (l->n < l->max)
		l->v[l->n] = *b;
	l->n++;
}

int layout_compare(const struct ioasid_endpoint *src, uint32_t num_src,
		   const struct ioasid_endpoint *dst, uint32_t num_dst,
		   const struct ioasid_ram_range *ram, uint32_t num_ram,
		   uint32_t flags, struct ioasid_migration_block *blocks,
		   uint32_t *num_blocks)
{
	struct ioasid_resv_region *all = NULL, *src_merged = NULL;
	struct endpoints_limits s, d;
	uint32_t total = 0, nsrc = 0;
	struct block_list l = { .v = blocks,
				.max = num_blocks ? *num_blocks : 0 };
	struct ioasid_migration_block b;
	char buf[32];
	int rc;

	endpoints_limits(src, num_src, &s);
	endpoints_limits(dst, num_dst, &d);

	/* The source's holes, as the guest was told them. */
	rc = endpoints_forbidden(src, num_src, &all, &total);
	if (rc)
		return rc;
	if (resv_merge(all, total, RESV_ALL_TYPES, &src_merged, &nsrc)) {
		free(all);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	free(all);

	if (d.top < s.top) {
		memset(&b, 0, sizeof(b));
		b.reason = IOASID_BLOCK_CEILING;
		snprintf(b.device, sizeof(b.device), "%s",
			 endpoint_name(&dst[d.top_ep], d.top_ep, buf));
		b.region.start = d.top + 1;
		b.region.last = s.top;
		b.region.type = IOASID_RESV_RESERVED;
		block_add(&l, &b);
	}
	if (d.granule > s.granule) {
		memset(&b, 0, sizeof(b));
		b.reason = IOASID_BLOCK_GRANULE;
		snprintf(b.device, sizeof(b.device), "%s",
			 endpoint_name(&dst[d.granule_ep], d.granule_ep, buf));
		b.src_granule = s.granule;
		b.dst_granule = d.granule;
		block_add(&l, &b);
	}
	for (uint32_t e = 0; e < num_dst; e++) {
		const struct ioasid_endpoint *ep = &dst[e];

		for (uint32_t k = 0; k < ep->num_regions; k++) {
			const struct ioasid_resv_region *r = &ep->regions[k];

			if (!resv_forbids_ram(r))
				continue;
			memset(&b, 0, sizeof(b));
			snprintf(b.device, sizeof(b.device), "%s",
				 endpoint_name(ep, e, buf));
			b.region = *r;
			for (uint32_t i = 0; i < num_ram; i++) {
				uint64_t lo = ram[i].gpa;
				uint64_t hi = lo + ram[i].size - 1;

				if (r->start > hi || r->last < lo)
					continue;
				b.reason = IOASID_BLOCK_RAM;
				b.ram = ram[i];
				block_add(&l, &b);
			}
			/* The ceiling above is reported once, as such. */
			if ((flags & IOASID_COMPARE_GUEST_IOVAS) &&
			    !(r->last == UINT64_MAX && r->start > d.top) &&
			    !resv_covered(src_merged, nsrc, r->start, r->last)) {
				memset(&b.ram, 0, sizeof(b.ram));
				b.reason = IOASID_BLOCK_NEW_REGION;
				block_add(&l, &b);
			}
		}
	}
	free(src_merged);
	if (num_blocks)
		*num_blocks = l.n;
	if (!l.n)
		return 0;
	b = l.first;
	switch (b.reason) {
	case IOASID_BLOCK_CEILING:
		return ioasid_fail(-EADDRINUSE,
				   "cannot migrate: the destination's ceiling 0x%llx (%s) is below the source's 0x%llx%s",
				   (unsigned long long)(b.region.start - 1),
				   b.device, (unsigned long long)b.region.last,
				   l.n > 1 ? " (and more)" : "");
	case IOASID_BLOCK_GRANULE:
		return ioasid_fail(-EADDRINUSE,
				   "cannot migrate: the destination's granule 0x%llx (%s) is larger than the source's 0x%llx%s",
				   (unsigned long long)b.dst_granule, b.device,
				   (unsigned long long)b.src_granule,
				   l.n > 1 ? " (and more)" : "");
	case IOASID_BLOCK_NEW_REGION:
		return ioasid_fail(-EADDRINUSE,
				   "cannot migrate: reserved region 0x%llx-0x%llx (%s) of destination device %s is not reserved on the source%s",
				   (unsigned long long)b.region.start,
				   (unsigned long long)b.region.last,
				   resv_type_str(b.region.type), b.device,
				   l.n > 1 ? " (and more)" : "");
	default:
		return ioasid_fail(-EADDRINUSE,
				   "cannot migrate: reserved region 0x%llx-0x%llx (%s) of destination device %s overlaps RAM 0x%llx-0x%llx%s",
				   (unsigned long long)b.region.start,
				   (unsigned long long)b.region.last,
				   resv_type_str(b.region.type), b.device,
				   (unsigned long long)b.ram.gpa,
				   (unsigned long long)(b.ram.gpa + b.ram.size - 1),
				   l.n > 1 ? " (and more)" : "");
	}
}
