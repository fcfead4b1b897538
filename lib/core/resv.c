// SPDX-License-Identifier: MIT
/*
 * Reserved regions seen from a guest: a device's IOMMU limits and its
 * endpoint, and the endpoints of one address space combined, which a
 * virtio-iommu device model answers PROBE with: the public entry points,
 * their argument checks and backend calls; the combining is lib/model's
 * (endpoints_combine.c).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "model.h"

int ioasid_endpoints_combine(const struct ioasid_endpoint *eps,
			     uint32_t num_eps, struct ioasid_combined *out)
{
	struct ioasid_combined res = { .sz = sizeof(res) };
	int rc;

	ioasid_clear_error();
	CHECK_PTR(eps);
	CHECK_PTR(out);
	if (!num_eps)
		return ioasid_fail(-EINVAL, "no endpoints to combine");
	rc = ioasid_check_info(out, "ioasid_combined");
	if (rc)
		return rc;
	res.regions = IOASID_OPTS_GET(out, regions, NULL);
	res.max_regions = IOASID_OPTS_GET(out, max_regions, 0);
	res.doorbells = IOASID_OPTS_GET(out, doorbells, NULL);
	res.max_doorbells = IOASID_OPTS_GET(out, max_doorbells, 0);
	if (!res.regions && res.max_regions)
		return ioasid_fail(-EINVAL, "regions is NULL but max_regions is %u",
				   res.max_regions);
	if (!res.doorbells && res.max_doorbells)
		return ioasid_fail(-EINVAL,
				   "doorbells is NULL but max_doorbells is %u",
				   res.max_doorbells);

	for (uint32_t e = 0; e < num_eps; e++) {
		const struct ioasid_endpoint *ep = &eps[e];
		const char *name = ep->name ? ep->name : "";
		uint32_t nreg;

		if (!ioasid_all_zero(ep->__reserved0, sizeof(ep->__reserved0)) ||
		    !ioasid_all_zero(ep->__reserved, sizeof(ep->__reserved)))
			return ioasid_fail(-EINVAL,
					   "endpoint %u %s: ioasid_endpoint has non-zero reserved bytes (a member this libioasid does not know)",
					   e, name);
		nreg = ep->num_regions;
		if (nreg && !ep->regions)
			return ioasid_fail(-EINVAL,
					   "endpoint %u %s: regions is NULL but num_regions is %u",
					   e, name, nreg);
		for (uint32_t i = 0; i < nreg; i++) {
			const struct ioasid_resv_region *r = &ep->regions[i];

			if (r->start > r->last)
				return ioasid_fail(-EINVAL,
						   "endpoint %u %s: region %u 0x%llx-0x%llx has start > last",
						   e, name, i,
						   (unsigned long long)r->start,
						   (unsigned long long)r->last);
			if (!resv_rank(r->type))
				return ioasid_fail(-EINVAL,
						   "endpoint %u %s: region %u has unknown type %d",
						   e, name, i, (int)r->type);
		}
	}
	rc = endpoints_combine(eps, num_eps, &res);
	if (rc)
		return rc;
	ioasid_copy_out(out, &res, IOASID_OPTS_KNOWN(ioasid_combined));
	if (res.num_regions > res.max_regions)
		return ioasid_fail(-EMSGSIZE,
				   "the combined endpoints have %u reserved regions, the array holds %u",
				   res.num_regions, res.max_regions);
	if (res.num_doorbells > res.max_doorbells)
		return ioasid_fail(-EMSGSIZE,
				   "the combined endpoints have %u MSI doorbells, the array holds %u",
				   res.num_doorbells, res.max_doorbells);
	return 0;
}

/* ------------------------------------------------------------------ */
/* IOMMU limits                                                         */

int ioasid_dev_iommu_info(struct ioasid_ctx *ctx, const char *name,
			  struct ioasid_iommu_info *info)
{
	struct ioasid_iommu_info full = { .sz = sizeof(full) };
	char what[IOASID_NAME_MAX + 32];
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(name);
	rc = ioasid_check_info(info, "ioasid_iommu_info");
	if (rc)
		return rc;
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, iommu_info, "IOMMU information", name, &full);
	snprintf(what, sizeof(what), "reading the IOMMU of %s", name);
	rc = ioasid_ctx_leave(ctx, rc, what);
	if (rc < 0)
		return rc;
	ioasid_copy_out(info, &full, IOASID_OPTS_KNOWN(ioasid_iommu_info));
	return 0;
}

int ioasid_endpoint_from_dev(struct ioasid_dev *dev,
			     struct ioasid_endpoint *ep,
			     struct ioasid_resv_region *regions, uint32_t *num)
{
	IOASID_OPTS(ioasid_iommu_info, iommu);
	IOASID_OPTS(ioasid_dev_info, dinfo);
	struct ioasid_endpoint res;
	struct ioasid_ctx *ctx;
	uint32_t max;
	int rc;

	CHECK_DEV(dev);
	CHECK_PTR(ep);
	CHECK_PTR(num);
	if (!regions && *num)
		return ioasid_fail(-EINVAL, "regions is NULL but *num is %u",
				   *num);
	ctx = dev->ctx;
	if (dev->group < 0)
		return ioasid_fail(-ENODEV, "device %s has no IOMMU group",
				   dev->name);
	rc = ioasid_dev_info_get(ctx, dev->name, &dinfo);
	if (rc)
		return rc;
	rc = ioasid_dev_iommu_info(ctx, dev->name, &iommu);
	if (rc)
		return rc;
	max = *num;
	rc = ioasid_group_resv_regions(ctx, dev->group, regions, num);
	if (rc && rc != -EMSGSIZE)
		return rc;
	memset(&res, 0, sizeof(res));
	res.name = dev->name;
	res.pasid_width = dinfo.pasid_width < iommu.pasid_width ?
				  dinfo.pasid_width :
				  iommu.pasid_width;
	res.page_sizes = iommu.page_sizes;
	res.aperture_last = iommu.aperture_last;
	res.regions = regions;
	res.num_regions = *num < max ? *num : max;
	*ep = res;
	if (rc)
		return ioasid_fail(rc,
				   "group %d of %s has %u reserved regions, the array holds %u",
				   dev->group, dev->name, *num, max);
	return 0;
}
