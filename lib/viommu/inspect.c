// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device model: the VMM's view of the guest-made state, the
 * walks of domains, endpoints and a domain's mappings.  Calls of the
 * serialized kind (the writer's indexes, not the readers' copies): the
 * VMM runs them between requests, as it runs save().
 */
#include <string.h>

#include "util.h"
#include "viommu-internal.h"

static uint32_t perm_of_flags(uint32_t flags)
{
	return (flags & VIOMMU_MAP_F_READ ? IOASID_VIRTIO_IOMMU_ACCESS_READ : 0) |
	       (flags & VIOMMU_MAP_F_WRITE ? IOASID_VIRTIO_IOMMU_ACCESS_WRITE : 0) |
	       (flags & VIOMMU_MAP_F_MMIO ? IOASID_VIRTIO_IOMMU_ACCESS_MMIO : 0);
}

int ioasid_virtio_iommu_domain_mappings(const struct ioasid_virtio_iommu *v, uint32_t domain,
				  ioasid_virtio_iommu_mapping_fn fn,
				  void *arg)
{
	const struct viommu_mapping *m;
	const struct viommu_domain *d;
	uint64_t from = 0;
	int rc;

	ioasid_clear_error();
	if (!v || !fn)
		return ioasid_fail(-EINVAL, "viommu mappings: %s is NULL",
				   v ? "fn" : "device");
	d = vidx_find(&v->domains, domain);
	if (!d)
		return ioasid_fail(-ENOENT, "viommu domain %u does not exist",
				   domain);
	/* The next mapping is looked up after the callback: it may take
	 * as long as it likes (translate() threads do not wait for it). */
	while ((m = vidx_next_from(&d->maps, from))) {
		struct ioasid_virtio_iommu_mapping out;

		memset(&out, 0, sizeof(out));
		out.sz = sizeof(out);
		out.iova_start = m->start;
		out.iova_last = m->last;
		out.gpa = m->phys;
		out.perm = perm_of_flags(m->flags);
		rc = fn(&out, arg);
		if (rc)
			return rc;
		if (out.iova_last == UINT64_MAX)
			break;
		from = out.iova_last + 1;
	}
	return 0;
}

int ioasid_virtio_iommu_domains(const struct ioasid_virtio_iommu *v,
			  ioasid_virtio_iommu_domain_fn fn,
			  void *arg)
{
	const struct viommu_domain *d;
	int rc;

	ioasid_clear_error();
	if (!v || !fn)
		return ioasid_fail(-EINVAL, "viommu domains: %s is NULL",
				   v ? "fn" : "device");
	VIDX_FOR_EACH_ID(&v->domains, d) {
		struct ioasid_virtio_iommu_domain_info out;

		memset(&out, 0, sizeof(out));
		out.sz = sizeof(out);
		out.domain = d->id;
		out.mode = d->nested ? IOASID_VIRTIO_IOMMU_MODE_NESTED
				     : IOASID_VIRTIO_IOMMU_MODE_SHADOW;
		out.bypass = d->bypass;
		out.num_endpoints = d->num_endpoints;
		out.num_mappings = vidx_count(&d->maps);
		rc = fn(&out, arg);
		if (rc)
			return rc;
	}
	return 0;
}

int ioasid_virtio_iommu_endpoints(const struct ioasid_virtio_iommu *v,
			    ioasid_virtio_iommu_endpoint_fn fn,
			    void *arg)
{
	const struct viommu_endpoint *ep;
	int rc;

	ioasid_clear_error();
	if (!v || !fn)
		return ioasid_fail(-EINVAL, "viommu endpoints: %s is NULL",
				   v ? "fn" : "device");
	VIDX_FOR_EACH_ID(&v->endpoints, ep) {
		struct ioasid_virtio_iommu_endpoint_info out;

		memset(&out, 0, sizeof(out));
		out.sz = sizeof(out);
		out.endpoint = ep->id;
		out.physical = ep->dev != NULL;
		out.attached = ep->domain != NULL;
		out.domain = ep->domain ? ep->domain->id : 0;
		out.bypass = ep->domain ? ep->domain->bypass
					: viommu_unattached_bypass(v);
		rc = fn(&out, arg);
		if (rc)
			return rc;
	}
	return 0;
}
