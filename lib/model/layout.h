/* SPDX-License-Identifier: MIT */
/*
 * Guest layouts against the reserved regions of endpoints (a device, or
 * what a device model reports, seen by one guest address space): the
 * endpoints of one address space combined (endpoints_combine.c), guest
 * RAM checked against them (layout_check.c), planned around them
 * (layout_plan.c) and compared between two platforms for migration
 * (layout_compare.c); the facts of an endpoint array they share
 * (endpoints.c).  Arguments are checked by the caller (model.h): every
 * endpoint's reserved bytes, its regions array and the regions' bounds
 * and types, RAM ranges neither empty nor wrapping, flags.
 * Never installed.
 */
#ifndef IOASID_LIB_LAYOUT_H
#define IOASID_LIB_LAYOUT_H

#include <stdint.h>

#include <ioasid/ioasid.h>

/* ------------------------------------------------------------------ */
/* An endpoint array (endpoints.c)                                      */

/* @ep's name for messages: its own, or "endpoint @index" in @buf. */
const char *endpoint_name(const struct ioasid_endpoint *ep, uint32_t index,
			  char buf[32]);

/* The smallest address-width ceiling of an endpoint array and the largest
 * granule (smallest page size), and which endpoints set them. */
struct endpoints_limits {
	uint64_t top;	     /* UINT64_MAX: no ceiling */
	uint32_t top_ep;
	uint64_t granule;    /* 0: no granule */
	uint32_t granule_ep;
};

void endpoints_limits(const struct ioasid_endpoint *eps, uint32_t n,
		      struct endpoints_limits *l);

/* The regions of @eps that RAM must avoid (resv_forbids_ram()), in any
 * order, in a malloc'ed *@out of *@nout.  Return: 0 or -ENOMEM, with a
 * message. */
int endpoints_forbidden(const struct ioasid_endpoint *eps, uint32_t n,
			struct ioasid_resv_region **out, uint32_t *nout);

/*
 * endpoints_combine - the endpoints of one guest address space combined
 * (ioasid_endpoints_combine()): the smallest PASID width and ceiling, the
 * largest granule and the page sizes all of them can map, their regions
 * merged by precedence and their MSI doorbells merged, and
 * IOASID_COMBINED_MSI_CONFLICT.  The inputs of @res (regions,
 * max_regions, doorbells, max_doorbells) say where the lists go; the rest
 * of @res is zero and gets the outputs, num_regions and num_doorbells
 * counting all even when the arrays are shorter.
 * Return: 0 or -ENOMEM, with a message.
 */
int endpoints_combine(const struct ioasid_endpoint *eps, uint32_t num_eps,
		      struct ioasid_combined *res);

/* ------------------------------------------------------------------ */
/* Guest RAM (layout_check.c, layout_plan.c, layout_compare.c)          */

/*
 * layout_check - what @ram overlaps of what some endpoint forbids
 * (ioasid_layout_check()): its regions but direct-relaxable ones, and the
 * IOVAs above its address-width ceiling.  @num_conflicts may be NULL;
 * otherwise the first *@num_conflicts conflicts go to @conflicts and
 * *@num_conflicts is set to the count of all.
 * Return: 0, or -EADDRINUSE naming the first conflict.
 */
int layout_check(const struct ioasid_endpoint *eps, uint32_t num_eps,
		 const struct ioasid_ram_range *ram, uint32_t num_ram,
		 struct ioasid_layout_conflict *conflicts,
		 uint32_t *num_conflicts);

/*
 * layout_plan - @ram_size bytes of guest RAM from @base up, in ranges
 * aligned to @align (a power of two that divides @ram_size), around what
 * the endpoints forbid and below their smallest ceiling, at least
 * @min_low bytes of it below 4 GiB (ioasid_layout_plan()).  *@plan is
 * malloc'ed.
 * Return: 0, -ENOSPC (it does not fit) or -ENOMEM, with a message.
 */
int layout_plan(const struct ioasid_endpoint *eps, uint32_t num_eps,
		uint64_t ram_size, uint64_t base, uint64_t align,
		uint64_t min_low, struct ioasid_ram_range **plan,
		uint32_t *nplan);

/*
 * layout_compare - what keeps a guest with RAM @ram, told its IOMMU by
 * the endpoints @src, from moving to the endpoints @dst
 * (ioasid_layout_compare()): a lower ceiling, a larger granule, regions
 * over its RAM and, with IOASID_COMPARE_GUEST_IOVAS in @flags, regions
 * the source did not reserve.  @num_blocks may be NULL; otherwise the
 * first *@num_blocks blocks go to @blocks and *@num_blocks is set to the
 * count of all.
 * Return: 0, -EADDRINUSE naming the first block, or -ENOMEM (*@num_blocks
 * untouched); with a message.
 */
int layout_compare(const struct ioasid_endpoint *src, uint32_t num_src,
		   const struct ioasid_endpoint *dst, uint32_t num_dst,
		   const struct ioasid_ram_range *ram, uint32_t num_ram,
		   uint32_t flags, struct ioasid_migration_block *blocks,
		   uint32_t *num_blocks);

#endif /* IOASID_LIB_LAYOUT_H */
