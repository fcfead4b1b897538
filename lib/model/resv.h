/* SPDX-License-Identifier: MIT */
/*
 * Reserved-region arithmetic shared by lib/core/resv.c, lib/core/layout.c and the
 * backends: merging by precedence, complements, IOMMU limits from sysfs.
 * Never installed.
 */
#ifndef IOASID_LIB_RESV_H
#define IOASID_LIB_RESV_H

#include <stdint.h>

#include <ioasid/ioasid.h>

/* How strongly a guest must respect a region type: larger wins an
 * overlap.  0 for an unknown type. */
int resv_rank(enum ioasid_resv_type type);

/*
 * resv_merge - @n regions (any order, overlapping) into disjoint sorted
 * regions, overlaps taking the higher-ranked type, touching regions of one
 * type joined.  @types_mask: bit T set keeps regions of type T, others are
 * ignored.  *@out is malloc'ed (NULL when *@num_out is 0).
 * Return: 0 or -ENOMEM.
 */
int resv_merge(const struct ioasid_resv_region *in, uint32_t n,
	       uint32_t types_mask, struct ioasid_resv_region **out,
	       uint32_t *num_out);

#define RESV_ALL_TYPES 0x1fu
#define RESV_DOORBELL_TYPES                                                \
	((1u << IOASID_RESV_MSI) | (1u << IOASID_RESV_SW_MSI))

#endif /* IOASID_LIB_RESV_H */
