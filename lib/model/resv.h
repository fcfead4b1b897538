/* SPDX-License-Identifier: MIT */
/*
 * Reserved-region algebra shared by lib/core and the backends: region
 * types, merging by precedence, and the complement of a merged list (the
 * usable ranges) and back.  Arguments are checked by the caller
 * (model.h).  Never installed.
 */
#ifndef IOASID_LIB_RESV_H
#define IOASID_LIB_RESV_H

#include <stdbool.h>
#include <stdint.h>

#include <ioasid/ioasid.h>
#include <ioasid/testing.h> /* struct ioasid_msi_bank */

/* ------------------------------------------------------------------ */
/* Region types (resv_types.c)                                          */

/* How strongly a guest must respect a region type: larger wins an
 * overlap.  0 for an unknown type. */
int resv_rank(enum ioasid_resv_type type);

/* The sysfs name of @type ("direct", ..., plus our "sw-msi"); NULL for an
 * unknown type.  resv_type_str() gives "?" instead, for messages. */
const char *resv_type_name(enum ioasid_resv_type type);

static inline const char *resv_type_str(enum ioasid_resv_type type)
{
	const char *n = resv_type_name(type);

	return n ? n : "?";
}

/* Whether guest RAM may not overlap a region of @r's type: every type but
 * direct-relaxable, which the kernel does not enforce on attach. */
bool resv_forbids_ram(const struct ioasid_resv_region *r);

/* ------------------------------------------------------------------ */
/* Merging (resv_merge.c)                                               */

/*
 * resv_merge - @n regions (any order, overlapping) into disjoint sorted
 * regions, overlaps taking the higher-ranked type, touching regions of one
 * type joined.  @types_mask: bit T set keeps regions of type T, others are
 * ignored.  *@out is malloc'ed (NULL when *@num_out is 0).
 * Return: 0 or -ENOMEM (without a message).
 */
int resv_merge(const struct ioasid_resv_region *in, uint32_t n,
	       uint32_t types_mask, struct ioasid_resv_region **out,
	       uint32_t *num_out);

#define RESV_ALL_TYPES 0x1fu
#define RESV_DOORBELL_TYPES                                                \
	((1u << IOASID_RESV_MSI) | (1u << IOASID_RESV_SW_MSI))

/* ------------------------------------------------------------------ */
/* Regions and ranges (resv_ranges.c)                                   */

/* Whether regions @a and @b share an IOVA. */
bool resv_overlaps(const struct ioasid_resv_region *a,
		   const struct ioasid_resv_region *b);

/* Whether [@start, @last] lies inside the union of the disjoint sorted
 * regions @r (a resv_merge() result); @start <= @last. */
bool resv_covered(const struct ioasid_resv_region *r, uint32_t n,
		  uint64_t start, uint64_t last);

/*
 * resv_complement - the IOVAs of [@start, @last] that no region of the
 * disjoint sorted @holes (a resv_merge() result) covers, as disjoint
 * sorted ranges; @start <= @last.  *@out is malloc'ed with room for
 * @n + 1 ranges, even when *@nout is 0.
 * Return: 0 or -ENOMEM (without a message).
 */
int resv_complement(const struct ioasid_resv_region *holes, uint32_t n,
		    uint64_t start, uint64_t last,
		    struct ioasid_iova_range **out, uint32_t *nout);

/*
 * resv_usable - the IOVAs of [@start, @last] outside @n regions of any
 * order and overlap (ioasid_resv_usable()): resv_merge(), then
 * resv_complement().  *@out is malloc'ed.
 * Return: 0 or -ENOMEM (with a message).
 */
int resv_usable(const struct ioasid_resv_region *regions, uint32_t n,
		uint64_t start, uint64_t last,
		struct ioasid_iova_range **out, uint32_t *nout);

/*
 * resv_with_aperture - a device's reserved regions as
 * ioasid_dev_resv_regions() reports them: @regions (its group's, any
 * order) and, as reserved regions, the IOVAs outside its IOMMU's aperture
 * [@aperture_start, @aperture_last], merged into a malloc'ed *@out.
 * @regions has room for @n + 2: the aperture's limits are appended there.
 * Return: 0 or -ENOMEM, with a message.
 */
int resv_with_aperture(struct ioasid_resv_region *regions, uint32_t n,
		       uint64_t aperture_start, uint64_t aperture_last,
		       struct ioasid_resv_region **out, uint32_t *nout);

/*
 * resv_ioas_holes - the typed holes of an IOAS as
 * ioasid_ioas_resv_regions() reports them: *@merged (its devices' and
 * mapped MSI banks' regions, resv_merge()d) plus, as reserved regions,
 * the holes between its usable @ranges (disjoint, sorted) that *@merged
 * does not explain (the kernel's IOMMU_TEST_OP_ADD_RESERVED, an IOMMU
 * driver's reservation of the IOAS itself), so that the typed holes are
 * the exact complement of the usable ranges.  *@merged is replaced when
 * that adds a region.
 * Return: 0 or -ENOMEM, with a message.
 */
int resv_ioas_holes(const struct ioasid_iova_range *ranges, uint32_t nranges,
		    struct ioasid_resv_region **merged, uint32_t *nmerged);

/* ------------------------------------------------------------------ */
/* MSI windows (msi_windows.c)                                          */

/* The mapped windows of PAMU-style MSI banks (ioasid_ioas_msi_banks()) as
 * sw-msi regions, written to @out (room for @n).  Return: how many. */
uint32_t msi_bank_regions(const struct ioasid_msi_bank *banks, uint32_t n,
			  struct ioasid_resv_region *out);

/* Whether a sw-msi window among @r (any order, overlapping) overlaps a
 * region that forbids any mapping (a higher-ranked type), where the host
 * could not map the doorbell (IOASID_COMBINED_MSI_CONFLICT). */
bool msi_window_conflict(const struct ioasid_resv_region *r, uint32_t n);

#endif /* IOASID_LIB_RESV_H */
