// SPDX-License-Identifier: MIT
/*
 * Reserved regions per device and per IOAS in both forms (typed holes and
 * usable ranges), and guest RAM layouts checked or planned against them.
 * Every function here is built on the public API and lib/core/resv.c: it adds
 * no backend state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model.h"

#define SZ_2M (2ull << 20)
#define SZ_4G (4ull << 30)

/* Copy @n entries of @size bytes to the caller's array of *@num; report
 * the count and -EMSGSIZE when it was short. */
static int copy_out_array(void *dst, const void *src, uint32_t n, size_t size,
			  uint32_t *num, const char *what)
{
	uint32_t max = *num;

	if (dst && n)
		memcpy(dst, src, (n < max ? n : max) * size);
	*num = n;
	if (n > max)
		return ioasid_fail(-EMSGSIZE, "there are %u %s, the array holds %u",
				   n, what, max);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Per device and per IOAS                                              */

/* The group's regions plus aperture limits, merged; *@out malloc'ed. */
static int dev_regions_alloc(struct ioasid_ctx *ctx, const char *name,
			     struct ioasid_resv_region **out, uint32_t *nout)
{
	IOASID_OPTS(ioasid_dev_info, dinfo);
	IOASID_OPTS(ioasid_iommu_info, iommu);
	struct ioasid_resv_region *all;
	uint32_t n = 0;
	int rc;

	rc = ioasid_dev_info_get(ctx, name, &dinfo);
	if (rc)
		return rc;
	/* A CONFIG_IOMMUFD_TEST mock device has no group but an IOMMU
	 * with an aperture, which is all it reserves. */
	if (dinfo.group < 0 && dinfo.kind != IOASID_DEV_MOCK)
		return ioasid_fail(-ENODEV, "device %s has no IOMMU group", name);
	rc = ioasid_dev_iommu_info(ctx, name, &iommu);
	if (rc)
		return rc;
	if (dinfo.group >= 0)
		rc = ioasid_group_resv_regions(ctx, dinfo.group, NULL, &n);
	if (rc && rc != -EMSGSIZE)
		return rc;
	all = calloc(n + 2, sizeof(*all));
	if (!all)
		return ioasid_fail(-ENOMEM, "out of memory");
	if (n) {
		rc = ioasid_group_resv_regions(ctx, dinfo.group, all, &n);
		if (rc) {
			free(all);
			return rc;
		}
	}
	if (iommu.aperture_start > 0) {
		all[n].start = 0;
		all[n].last = iommu.aperture_start - 1;
		all[n++].type = IOASID_RESV_RESERVED;
	}
	if (iommu.aperture_last < UINT64_MAX) {
		all[n].start = iommu.aperture_last + 1;
		all[n].last = UINT64_MAX;
		all[n++].type = IOASID_RESV_RESERVED;
	}
	rc = resv_merge(all, n, RESV_ALL_TYPES, out, nout);
	free(all);
	if (rc)
		return ioasid_fail(rc, "out of memory");
	return 0;
}

int ioasid_dev_resv_regions(struct ioasid_ctx *ctx, const char *name,
			    struct ioasid_resv_region *regions, uint32_t *num)
{
	struct ioasid_resv_region *all = NULL;
	uint32_t n = 0;
	int rc;

	ioasid_clear_error();
	if (!ctx)
		return ioasid_fail(-EINVAL, "ctx is NULL");
	if (!name)
		return ioasid_fail(-EINVAL, "name is NULL");
	if (!num)
		return ioasid_fail(-EINVAL, "num is NULL");
	if (!regions && *num)
		return ioasid_fail(-EINVAL, "regions is NULL but *num is %u",
				   *num);
	rc = dev_regions_alloc(ctx, name, &all, &n);
	if (rc)
		return rc;
	rc = copy_out_array(regions, all, n, sizeof(*all), num,
			    "reserved regions");
	free(all);
	return rc;
}

/*
 * Append the MSI bank windows mapped into the IOAS (PAMU-style banks,
 * ioasid_ioas_msi_banks()) as sw-msi regions: they are holes the IOAS has
 * because the user mapped a doorbell there, not reservations of a device.
 * A backend without banks (the kernel) has nothing to add.
 */
static int add_mapped_msi_banks(struct ioasid_ctx *ctx, uint32_t ioas_id,
				struct ioasid_resv_region **all, uint32_t *nall)
{
	struct ioasid_msi_bank *banks = NULL;
	struct ioasid_resv_region *grown;
	uint32_t num = 0;
	int rc;

	rc = ioasid_ioas_msi_banks(ctx, ioas_id, NULL, &num);
	if (rc == -EOPNOTSUPP || (rc == 0 && !num)) {
		ioasid_clear_error();
		return 0;
	}
	if (rc && rc != -EMSGSIZE)
		return rc;
	banks = calloc(num, sizeof(*banks));
	if (!banks)
		return ioasid_fail(-ENOMEM, "out of memory");
	rc = ioasid_ioas_msi_banks(ctx, ioas_id, banks, &num);
	if (rc)
		goto out;
	grown = realloc(*all, (*nall + num + 1) * sizeof(**all));
	if (!grown) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	*all = grown;
	for (uint32_t i = 0; i < num; i++)
		if (banks[i].mapped)
			(*all)[(*nall)++] = (struct ioasid_resv_region){
				.start = banks[i].iova,
				.last = banks[i].iova + banks[i].size - 1,
				.type = IOASID_RESV_SW_MSI,
			};
out:
	free(banks);
	return rc;
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

int ioasid_ioas_resv_regions(struct ioasid_ctx *ctx, uint32_t ioas_id,
			     struct ioasid_resv_region *regions, uint32_t *num)
{
	struct ioasid_resv_region *all = NULL, *merged = NULL, *extra = NULL;
	struct ioasid_iova_range *ranges = NULL;
	char (*names)[IOASID_NAME_MAX] = NULL;
	uint32_t ndev = 0, nall = 0, nmerged = 0, zero = 0, nranges, nextra;
	struct ioasid_dev *dev;
	int rc;

	ioasid_clear_error();
	if (!ctx)
		return ioasid_fail(-EINVAL, "ctx is NULL");
	if (!num)
		return ioasid_fail(-EINVAL, "num is NULL");
	if (!regions && *num)
		return ioasid_fail(-EINVAL, "regions is NULL but *num is %u",
				   *num);
	/* Does the IOAS exist?  (The backend's answer, -ENOENT if not.) */
	rc = ioasid_ioas_iova_ranges(ctx, ioas_id, NULL, &zero, NULL);
	if (rc && rc != -EMSGSIZE)
		return rc;

	/* Names first, under the lock; the public calls below lock again. */
	ioasid_ctx_enter(ctx);
	for (dev = ctx->devs; dev; dev = dev->next)
		ndev++;
	names = calloc(ndev + 1, sizeof(*names));
	ndev = 0;
	for (dev = names ? ctx->devs : NULL; dev; dev = dev->next)
		if (dev->pt_id == ioas_id)
			memcpy(names[ndev++], dev->name, IOASID_NAME_MAX);
	rc = ioasid_ctx_leave(ctx, names ? 0 : ioasid_fail(-ENOMEM, "out of memory"),
			      "listing the devices of an IOAS");
	if (rc)
		return rc;

	for (uint32_t i = 0; i < ndev; i++) {
		struct ioasid_resv_region *d, *grown;
		uint32_t nd;

		rc = dev_regions_alloc(ctx, names[i], &d, &nd);
		if (rc)
			goto out;
		grown = realloc(all, (nall + nd + 1) * sizeof(*all));
		if (!grown) {
			free(d);
			rc = ioasid_fail(-ENOMEM, "out of memory");
			goto out;
		}
		all = grown;
		if (nd)
			memcpy(all + nall, d, nd * sizeof(*d));
		nall += nd;
		free(d);
	}
	rc = add_mapped_msi_banks(ctx, ioas_id, &all, &nall);
	if (rc)
		goto out;
	if (resv_merge(all, nall, RESV_ALL_TYPES, &merged, &nmerged)) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	/* Holes of the IOAS itself that no device explains. */
	nranges = 0;
	rc = ioasid_ioas_iova_ranges(ctx, ioas_id, NULL, &nranges, NULL);
	if (rc && rc != -EMSGSIZE)
		goto out;
	ranges = calloc(nranges + 1, sizeof(*ranges));
	if (!ranges) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	rc = ioasid_ioas_iova_ranges(ctx, ioas_id, ranges, &nranges, NULL);
	if (rc)
		goto out;
	nextra = nmerged;
	extra = malloc((nmerged + 1) * sizeof(*extra));
	if (!extra) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	if (nmerged)
		memcpy(extra, merged, nmerged * sizeof(*merged));
	rc = add_unexplained_holes(ranges, nranges, merged, nmerged, &extra,
				   &nextra);
	if (rc)
		goto out;
	if (nextra > nmerged) {
		free(merged);
		merged = NULL;
		if (resv_merge(extra, nextra, RESV_ALL_TYPES, &merged, &nmerged)) {
			rc = ioasid_fail(-ENOMEM, "out of memory");
			goto out;
		}
	}
	rc = copy_out_array(regions, merged, nmerged, sizeof(*merged), num,
			    "reserved regions");
out:
	free(names);
	free(all);
	free(merged);
	free(ranges);
	free(extra);
	return rc;
}

static int check_regions(const struct ioasid_resv_region *r, uint32_t n,
			 const char *who)
{
	for (uint32_t i = 0; i < n; i++) {
		if (r[i].start > r[i].last)
			return ioasid_fail(-EINVAL,
					   "%s: region %u 0x%llx-0x%llx has start > last",
					   who, i, (unsigned long long)r[i].start,
					   (unsigned long long)r[i].last);
		if (!resv_rank(r[i].type))
			return ioasid_fail(-EINVAL,
					   "%s: region %u has unknown type %d",
					   who, i, (int)r[i].type);
	}
	return 0;
}

int ioasid_resv_usable(const struct ioasid_resv_region *regions,
		       uint32_t num_regions, uint64_t start, uint64_t last,
		       struct ioasid_iova_range *ranges, uint32_t *num)
{
	struct ioasid_iova_range *r = NULL;
	uint32_t nr = 0;
	int rc;

	ioasid_clear_error();
	if (!num)
		return ioasid_fail(-EINVAL, "num is NULL");
	if (!ranges && *num)
		return ioasid_fail(-EINVAL, "ranges is NULL but *num is %u", *num);
	if (!regions && num_regions)
		return ioasid_fail(-EINVAL, "regions is NULL but num_regions is %u",
				   num_regions);
	if (start > last)
		return ioasid_fail(-EINVAL, "start 0x%llx is above last 0x%llx",
				   (unsigned long long)start,
				   (unsigned long long)last);
	rc = check_regions(regions, num_regions, "regions");
	if (rc)
		return rc;
	rc = resv_usable(regions, num_regions, start, last, &r, &nr);
	if (rc)
		return rc;
	rc = copy_out_array(ranges, r, nr, sizeof(*r), num, "usable ranges");
	free(r);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Guest RAM layouts                                                    */

static int check_eps(const struct ioasid_endpoint *eps, uint32_t num_eps)
{
	char who[96];

	if (!eps && num_eps)
		return ioasid_fail(-EINVAL, "eps is NULL but num_eps is %u",
				   num_eps);
	for (uint32_t e = 0; e < num_eps; e++) {
		uint32_t n = IOASID_OPTS_GET(&eps[e], num_regions, 0);
		int rc;

		snprintf(who, sizeof(who), "endpoint %u %s", e,
			 eps[e].name ? eps[e].name : "");
		if (eps[e].sz < sizeof(size_t))
			return ioasid_fail(-EINVAL, "%s: ioasid_endpoint.sz is not set",
					   who);
		rc = ioasid_opts_check(&eps[e], IOASID_OPTS_KNOWN(ioasid_endpoint),
				       "ioasid_endpoint");
		if (rc)
			return rc;
		if (n && !eps[e].regions)
			return ioasid_fail(-EINVAL,
					   "%s: regions is NULL but num_regions is %u",
					   who, n);
		rc = check_regions(eps[e].regions, n, who);
		if (rc)
			return rc;
	}
	return 0;
}

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

static const char *ep_name(const struct ioasid_endpoint *ep, uint32_t index,
			   char buf[32])
{
	if (ep->name && *ep->name)
		return ep->name;
	snprintf(buf, 32, "endpoint %u", index);
	return buf;
}

int ioasid_layout_check(const struct ioasid_endpoint *eps, uint32_t num_eps,
			const struct ioasid_ram_range *ram, uint32_t num_ram,
			struct ioasid_layout_conflict *conflicts,
			uint32_t *num_conflicts)
{
	struct ioasid_layout_conflict first;
	uint32_t max = 0, found = 0;
	char buf[32];
	int rc;

	ioasid_clear_error();
	if (num_conflicts) {
		max = *num_conflicts;
		if (!conflicts && max)
			return ioasid_fail(-EINVAL,
					   "conflicts is NULL but *num_conflicts is %u",
					   max);
	}
	if (!ram && num_ram)
		return ioasid_fail(-EINVAL, "ram is NULL but num_ram is %u",
				   num_ram);
	rc = check_eps(eps, num_eps);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < num_ram; i++) {
		if (!ram[i].size)
			return ioasid_fail(-EINVAL, "RAM range %u at 0x%llx has size 0",
					   i, (unsigned long long)ram[i].gpa);
		if (ram[i].gpa + (ram[i].size - 1) < ram[i].gpa)
			return ioasid_fail(-EINVAL,
					   "RAM range %u at 0x%llx size 0x%llx wraps",
					   i, (unsigned long long)ram[i].gpa,
					   (unsigned long long)ram[i].size);
	}

	for (uint32_t i = 0; i < num_ram; i++) {
		uint64_t lo = ram[i].gpa, hi = ram[i].gpa + ram[i].size - 1;

		for (uint32_t e = 0; e < num_eps; e++) {
			const struct ioasid_endpoint *ep = &eps[e];
			uint32_t n = IOASID_OPTS_GET(ep, num_regions, 0);
			uint64_t top = IOASID_OPTS_GET(ep, aperture_last, 0);

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
						 "%s", ep_name(ep, e, buf));
					first.region = r;
					first.ram = ram[i];
				}
				if (found < max) {
					struct ioasid_layout_conflict *c =
						&conflicts[found];

					memset(c, 0, sizeof(*c));
					snprintf(c->device, sizeof(c->device),
						 "%s", ep_name(ep, e, buf));
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

int ioasid_layout_plan(const struct ioasid_endpoint *eps, uint32_t num_eps,
		       uint64_t ram_size,
		       const struct ioasid_layout_plan_opts *opts,
		       struct ioasid_ram_range *ram, uint32_t *num)
{
	struct ioasid_resv_region *all = NULL, *merged = NULL;
	struct ioasid_iova_range *usable = NULL;
	struct ioasid_ram_range *plan = NULL;
	uint64_t base, align, min_low, top = UINT64_MAX, left, low = 0;
	uint32_t total = 0, nmerged = 0, nusable = 0, nplan = 0;
	int rc;

	ioasid_clear_error();
	if (!num)
		return ioasid_fail(-EINVAL, "num is NULL");
	if (!ram && *num)
		return ioasid_fail(-EINVAL, "ram is NULL but *num is %u", *num);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_layout_plan_opts),
			       "ioasid_layout_plan_opts");
	if (rc)
		return rc;
	rc = check_eps(eps, num_eps);
	if (rc)
		return rc;
	base = IOASID_OPTS_GET(opts, base, 0);
	align = IOASID_OPTS_GET(opts, align, 0);
	if (!align)
		align = SZ_2M;
	min_low = IOASID_OPTS_GET(opts, min_below_4g, 0);
	if (align & (align - 1))
		return ioasid_fail(-EINVAL, "alignment 0x%llx is not a power of two",
				   (unsigned long long)align);
	if (!ram_size || ram_size % align)
		return ioasid_fail(-EINVAL,
				   "RAM size 0x%llx is not a non-zero multiple of the alignment 0x%llx",
				   (unsigned long long)ram_size,
				   (unsigned long long)align);

	for (uint32_t e = 0; e < num_eps; e++) {
		uint64_t t = IOASID_OPTS_GET(&eps[e], aperture_last, 0);

		total += IOASID_OPTS_GET(&eps[e], num_regions, 0);
		if (t && t < top)
			top = t;
	}
	all = malloc((total + 1) * sizeof(*all));
	if (!all)
		return ioasid_fail(-ENOMEM, "out of memory");
	total = 0;
	for (uint32_t e = 0; e < num_eps; e++)
		for (uint32_t k = 0; k < IOASID_OPTS_GET(&eps[e], num_regions, 0); k++)
			if (resv_forbids_ram(&eps[e].regions[k]))
				all[total++] = eps[e].regions[k];
	if (base > top) {
		rc = ioasid_fail(-ENOSPC,
				 "base 0x%llx is above the smallest address-width ceiling 0x%llx",
				 (unsigned long long)base, (unsigned long long)top);
		goto out;
	}
	if (resv_merge(all, total, RESV_ALL_TYPES, &merged, &nmerged) ||
	    resv_complement(merged, nmerged, base, top, &usable, &nusable)) {
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
		if (s > e || e - s + 1 < align)
			continue;
		len = (e - s + 1) & ~(align - 1);
		if (e == UINT64_MAX && s == 0)
			len = UINT64_MAX & ~(align - 1);
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
				 (unsigned long long)base, (unsigned long long)top,
				 nmerged, (unsigned long long)left);
		goto out;
	}
	if (low < min_low) {
		rc = ioasid_fail(-ENOSPC,
				 "only 0x%llx bytes of RAM fit below 4 GiB, 0x%llx are required",
				 (unsigned long long)low,
				 (unsigned long long)min_low);
		goto out;
	}
	rc = copy_out_array(ram, plan, nplan, sizeof(*plan), num, "RAM ranges");
out:
	free(all);
	free(merged);
	free(usable);
	free(plan);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Migration between two platforms                                      */

/* The smallest ceiling and largest granule of @eps, and who sets them. */
static void platform_limits(const struct ioasid_endpoint *eps, uint32_t n,
			    uint64_t *top, uint32_t *top_ep, uint64_t *granule,
			    uint32_t *granule_ep)
{
	*top = UINT64_MAX;
	*granule = 0;
	*top_ep = *granule_ep = 0;
	for (uint32_t e = 0; e < n; e++) {
		uint64_t t = IOASID_OPTS_GET(&eps[e], aperture_last, 0);
		uint64_t ps = IOASID_OPTS_GET(&eps[e], page_sizes, 0);

		if (t && t < *top) {
			*top = t;
			*top_ep = e;
		}
		if (ps && (ps & -ps) > *granule) {
			*granule = ps & -ps;
			*granule_ep = e;
		}
	}
}

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

int ioasid_layout_compare(const struct ioasid_endpoint *src, uint32_t num_src,
			  const struct ioasid_endpoint *dst, uint32_t num_dst,
			  const struct ioasid_ram_range *ram, uint32_t num_ram,
			  const struct ioasid_compare_opts *opts,
			  struct ioasid_migration_block *blocks,
			  uint32_t *num_blocks)
{
	struct ioasid_resv_region *all = NULL, *src_merged = NULL;
	uint64_t src_top, dst_top, src_gran, dst_gran;
	uint32_t src_top_ep, dst_top_ep, src_gran_ep, dst_gran_ep;
	uint32_t total = 0, nsrc = 0, flags;
	struct block_list l = { 0 };
	struct ioasid_migration_block b;
	char buf[32];
	int rc;

	ioasid_clear_error();
	if (num_blocks) {
		l.max = *num_blocks;
		l.v = blocks;
		if (!blocks && l.max)
			return ioasid_fail(-EINVAL,
					   "blocks is NULL but *num_blocks is %u",
					   l.max);
	}
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_compare_opts),
			       "ioasid_compare_opts");
	if (rc)
		return rc;
	flags = IOASID_OPTS_GET(opts, flags, 0);
	if (flags & ~IOASID_COMPARE_GUEST_IOVAS)
		return ioasid_fail(-EINVAL, "unknown flags 0x%x", flags);
	if (!ram && num_ram)
		return ioasid_fail(-EINVAL, "ram is NULL but num_ram is %u",
				   num_ram);
	for (uint32_t i = 0; i < num_ram; i++)
		if (!ram[i].size || ram[i].gpa + (ram[i].size - 1) < ram[i].gpa)
			return ioasid_fail(-EINVAL,
					   "RAM range %u at 0x%llx size 0x%llx is empty or wraps",
					   i, (unsigned long long)ram[i].gpa,
					   (unsigned long long)ram[i].size);
	rc = check_eps(src, num_src);
	if (!rc)
		rc = check_eps(dst, num_dst);
	if (rc)
		return rc;

	platform_limits(src, num_src, &src_top, &src_top_ep, &src_gran,
			&src_gran_ep);
	platform_limits(dst, num_dst, &dst_top, &dst_top_ep, &dst_gran,
			&dst_gran_ep);

	/* The source's holes, as the guest was told them. */
	for (uint32_t e = 0; e < num_src; e++)
		total += IOASID_OPTS_GET(&src[e], num_regions, 0);
	all = malloc((total + 1) * sizeof(*all));
	if (!all)
		return ioasid_fail(-ENOMEM, "out of memory");
	total = 0;
	for (uint32_t e = 0; e < num_src; e++)
		for (uint32_t k = 0; k < IOASID_OPTS_GET(&src[e], num_regions, 0); k++)
			if (resv_forbids_ram(&src[e].regions[k]))
				all[total++] = src[e].regions[k];
	if (resv_merge(all, total, RESV_ALL_TYPES, &src_merged, &nsrc)) {
		free(all);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	free(all);

	if (dst_top < src_top) {
		memset(&b, 0, sizeof(b));
		b.reason = IOASID_BLOCK_CEILING;
		snprintf(b.device, sizeof(b.device), "%s",
			 ep_name(&dst[dst_top_ep], dst_top_ep, buf));
		b.region.start = dst_top + 1;
		b.region.last = src_top;
		b.region.type = IOASID_RESV_RESERVED;
		block_add(&l, &b);
	}
	if (dst_gran > src_gran) {
		memset(&b, 0, sizeof(b));
		b.reason = IOASID_BLOCK_GRANULE;
		snprintf(b.device, sizeof(b.device), "%s",
			 ep_name(&dst[dst_gran_ep], dst_gran_ep, buf));
		b.src_granule = src_gran;
		b.dst_granule = dst_gran;
		block_add(&l, &b);
	}
	for (uint32_t e = 0; e < num_dst; e++) {
		const struct ioasid_endpoint *ep = &dst[e];

		for (uint32_t k = 0; k < IOASID_OPTS_GET(ep, num_regions, 0); k++) {
			const struct ioasid_resv_region *r = &ep->regions[k];

			if (!resv_forbids_ram(r))
				continue;
			memset(&b, 0, sizeof(b));
			snprintf(b.device, sizeof(b.device), "%s",
				 ep_name(ep, e, buf));
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
			    !(r->last == UINT64_MAX && r->start > dst_top) &&
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
