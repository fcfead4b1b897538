// SPDX-License-Identifier: MIT
/*
 * Reserved regions per device and per IOAS in both forms (typed holes and
 * usable ranges), and guest RAM layouts checked, planned and compared
 * against them: the public entry points, which check their arguments,
 * gather what they need through the public API and leave the arithmetic
 * to lib/model (resv.h, layout.h).  Nothing here adds backend state.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model.h"

#define SZ_2M (2ull << 20)

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

/* The group's regions plus aperture limits, merged (resv_with_aperture());
 * *@out malloc'ed. */
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
	rc = resv_with_aperture(all, n, iommu.aperture_start, iommu.aperture_last,
				out, nout);
	free(all);
	return rc;
}

int ioasid_dev_resv_regions(struct ioasid_ctx *ctx, const char *name,
			    struct ioasid_resv_region *regions, uint32_t *num)
{
	struct ioasid_resv_region *all = NULL;
	uint32_t n = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(name);
	CHECK_PTR(num);
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
	*nall += msi_bank_regions(banks, num, grown + *nall);
out:
	free(banks);
	return rc;
}

int ioasid_ioas_resv_regions(struct ioasid_ctx *ctx, uint32_t ioas_id,
			     struct ioasid_resv_region *regions, uint32_t *num)
{
	struct ioasid_resv_region *all = NULL, *merged = NULL;
	struct ioasid_iova_range *ranges = NULL;
	char (*names)[IOASID_NAME_MAX] = NULL;
	uint32_t ndev = 0, nall = 0, nmerged = 0, zero = 0, nranges;
	struct ioasid_dev *dev;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(num);
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
	rc = resv_ioas_holes(ranges, nranges, &merged, &nmerged);
	if (rc)
		goto out;
	rc = copy_out_array(regions, merged, nmerged, sizeof(*merged), num,
			    "reserved regions");
out:
	free(names);
	free(all);
	free(merged);
	free(ranges);
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
	CHECK_PTR(num);
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
		uint32_t n = eps[e].num_regions;
		int rc;

		snprintf(who, sizeof(who), "endpoint %u %s", e,
			 eps[e].name ? eps[e].name : "");
		if (!ioasid_all_zero(eps[e].__reserved0, sizeof(eps[e].__reserved0)) ||
		    !ioasid_all_zero(eps[e].__reserved, sizeof(eps[e].__reserved)))
			return ioasid_fail(-EINVAL,
					   "%s: ioasid_endpoint has non-zero reserved bytes (a member this libioasid does not know)",
					   who);
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

int ioasid_layout_check(const struct ioasid_endpoint *eps, uint32_t num_eps,
			const struct ioasid_ram_range *ram, uint32_t num_ram,
			struct ioasid_layout_conflict *conflicts,
			uint32_t *num_conflicts)
{
	int rc;

	ioasid_clear_error();
	if (num_conflicts && !conflicts && *num_conflicts)
		return ioasid_fail(-EINVAL,
				   "conflicts is NULL but *num_conflicts is %u",
				   *num_conflicts);
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
	return layout_check(eps, num_eps, ram, num_ram, conflicts,
			    num_conflicts);
}

/* The smallest block guest RAM can be mapped in here: the host's page
 * (a 64 KiB-page arm64 host maps nothing smaller) or an endpoint's
 * smallest IOMMU page if larger; @why receives which. */
static uint64_t map_granule(const struct ioasid_endpoint *eps, uint32_t num_eps,
			    char *why, size_t why_len)
{
	uint64_t granule = ioasid_page_size();

	snprintf(why, why_len, "the host page size");
	for (uint32_t i = 0; i < num_eps; i++) {
		uint64_t smallest = eps[i].page_sizes & -eps[i].page_sizes;

		if (smallest <= granule)
			continue;
		granule = smallest;
		if (eps[i].name)
			snprintf(why, why_len, "the smallest IOMMU page of endpoint %s",
				 eps[i].name);
		else
			snprintf(why, why_len, "the smallest IOMMU page of endpoint %u", i);
	}
	return granule;
}

int ioasid_layout_plan(const struct ioasid_endpoint *eps, uint32_t num_eps,
		       uint64_t ram_size,
		       const struct ioasid_layout_plan_opts *opts,
		       struct ioasid_ram_range *ram, uint32_t *num)
{
	struct ioasid_ram_range *plan = NULL;
	uint64_t base, align, min_low, granule;
	char granule_of[IOASID_NAME_MAX + 48];
	uint32_t nplan = 0;
	int rc;

	ioasid_clear_error();
	CHECK_PTR(num);
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
	granule = map_granule(eps, num_eps, granule_of, sizeof(granule_of));
	if (!align)
		align = granule > SZ_2M ? granule : SZ_2M;
	min_low = IOASID_OPTS_GET(opts, min_below_4g, 0);
	if (align & (align - 1))
		return ioasid_fail(-EINVAL, "alignment 0x%llx is not a power of two",
				   (unsigned long long)align);
	if (align < granule)
		return ioasid_fail(-EINVAL,
				   "alignment 0x%llx is below 0x%llx (%s): guest RAM placed on it could not be mapped whole",
				   (unsigned long long)align,
				   (unsigned long long)granule, granule_of);
	if (!ram_size || ram_size % align)
		return ioasid_fail(-EINVAL,
				   "RAM size 0x%llx is not a non-zero multiple of the alignment 0x%llx",
				   (unsigned long long)ram_size,
				   (unsigned long long)align);
	rc = layout_plan(eps, num_eps, ram_size, base, align, min_low, &plan,
			 &nplan);
	if (rc)
		return rc;
	rc = copy_out_array(ram, plan, nplan, sizeof(*plan), num, "RAM ranges");
	free(plan);
	return rc;
}

/* ------------------------------------------------------------------ */
/* Migration between two platforms                                      */

int ioasid_layout_compare(const struct ioasid_endpoint *src, uint32_t num_src,
			  const struct ioasid_endpoint *dst, uint32_t num_dst,
			  const struct ioasid_ram_range *ram, uint32_t num_ram,
			  const struct ioasid_compare_opts *opts,
			  struct ioasid_migration_block *blocks,
			  uint32_t *num_blocks)
{
	uint32_t flags;
	int rc;

	ioasid_clear_error();
	if (num_blocks && !blocks && *num_blocks)
		return ioasid_fail(-EINVAL, "blocks is NULL but *num_blocks is %u",
				   *num_blocks);
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
	return layout_compare(src, num_src, dst, num_dst, ram, num_ram, flags,
			      blocks, num_blocks);
}
