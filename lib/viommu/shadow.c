// SPDX-License-Identifier: MIT
/*
 * Shadow strategy: one IOAS per guest domain, every physical endpoint of
 * the domain attached to it (so a MAP is one IOAS map, whatever the number
 * of endpoints, and a joining endpoint needs no replay), plus one identity
 * IOAS mapping all guest RAM at its GPA for endpoints in bypass.
 *
 * A domain gets its IOAS when its first physical endpoint attaches: a
 * domain of emulated endpoints only has no host side (its devices DMA
 * through translate()), so its MAP and UNMAP cost no host work.  The
 * mappings made before then are copied into the new IOAS once, for the
 * domain, not per endpoint.  The IOAS then stays until the domain goes.
 *
 * One IOAS map per guest MAP (per RAM slot the range crosses): unmapping a
 * guest mapping then never splits an IOAS mapping, which coalescing
 * neighbours would make possible.  iommufd already merges the pinned pages
 * of neighbouring areas, so coalescing would save ioctls, not memory.
 */
#include <stdio.h>

#include "util.h"
#include "viommu-internal.h"

static int shadow_init(struct ioasid_virtio_iommu *v)
{
	return ioasid_ioas_alloc(v->ctx, &v->identity_ioas);
}

static void shadow_fini(struct ioasid_virtio_iommu *v)
{
	if (v->identity_ioas)
		ioasid_ioas_destroy(v->ctx, v->identity_ioas);
	v->identity_ioas = 0;
}

static int shadow_domain_create(struct ioasid_virtio_iommu *v,
				struct viommu_domain *d)
{
	(void)v;
	d->ioas = 0; /* made by the first physical endpoint */
	return 0;
}

static void shadow_domain_destroy(struct ioasid_virtio_iommu *v,
				  struct viommu_domain *d)
{
	if (!d->ioas)
		return;
	/* The logic moved every endpoint out first; destroying the IOAS
	 * drops its mappings. */
	if (ioasid_ioas_destroy(v->ctx, d->ioas))
		ioasid_log(IOASID_WARN, "viommu: destroying IOAS %u of domain %u: %s",
			   d->ioas, d->id, ioasid_errmsg());
	d->ioas = 0;
}

static int shadow_map(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
		      const struct viommu_mapping *m);

/* The first physical endpoint of @d: its IOAS, with the domain's
 * mappings so far. */
static int domain_host_create(struct ioasid_virtio_iommu *v, struct viommu_domain *d)
{
	struct viommu_mapping *m;
	int rc;

	rc = ioasid_ioas_alloc(v->ctx, &d->ioas);
	if (rc)
		return rc;
	for (m = vidx_next_from(&d->maps, 0); m;
	     m = m->last == UINT64_MAX ? NULL
				       : vidx_next_from(&d->maps, m->last + 1)) {
		rc = shadow_map(v, d, m);
		if (rc) {
			/* Destroying the IOAS drops what was copied. */
			shadow_domain_destroy(v, d);
			return rc;
		}
	}
	return 0;
}

static int shadow_endpoint_place(struct ioasid_virtio_iommu *v,
				 struct viommu_endpoint *ep,
				 struct viommu_domain *d, bool bypass)
{
	bool created = false;
	uint32_t target;
	int rc;

	if (!ep->dev)
		return 0;
	if (d && !d->bypass && !d->ioas) {
		rc = domain_host_create(v, d);
		if (rc)
			return rc;
		created = true;
	}
	if (d)
		target = d->bypass ? v->identity_ioas : d->ioas;
	else
		target = bypass ? v->identity_ioas : 0;
	if (target == ep->host_pt)
		return 0;
	if (!target) {
		rc = ioasid_dev_detach(ep->dev);
	} else if (ep->host_pt) {
		/* Replace: DMA never sees an unattached device. */
		rc = ioasid_dev_replace(ep->dev, target, NULL);
	} else {
		rc = ioasid_dev_attach(ep->dev, target, NULL);
	}
	if (rc == 0) {
		ep->host_pt = target;
	} else if (created) {
		/* The cleanup clears the message: keep the failure's. */
		char msg[512];

		snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
		shadow_domain_destroy(v, d);
		return ioasid_fail(rc, "%s", msg);
	}
	return rc;
}

static uint32_t host_flags(uint32_t flags)
{
	return (flags & VIOMMU_MAP_F_READ ? IOASID_MAP_READ : 0) |
	       (flags & VIOMMU_MAP_F_WRITE ? IOASID_MAP_WRITE : 0);
}

/* Whether a guest mapping has a host counterpart: MMIO ranges are not
 * guest RAM (no peer-to-peer through the shadow), and a mapping without
 * access gives the device nothing to reach. */
static bool host_backed(const struct viommu_mapping *m)
{
	return !(m->flags & VIOMMU_MAP_F_MMIO) && host_flags(m->flags);
}

static int shadow_map(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
		      const struct viommu_mapping *m)
{
	IOASID_OPTS(ioasid_map_opts, opts, .flags = host_flags(m->flags));
	uint64_t iova = m->start, gpa = m->phys;
	int rc = 0;

	if (!d->ioas || !host_backed(m))
		return 0;
	/* The logic checked that [phys, phys + last - start] is RAM; one
	 * IOAS map per RAM slot the range crosses. */
	for (;;) {
		uint64_t remaining_minus_1 = m->last - iova, avail, len, at = iova;
		uint8_t *hva;

		if (!viommu_ram_lookup(v, gpa, &hva, &avail)) {
			rc = -EFAULT;
			break;
		}
		len = remaining_minus_1 < avail - 1 ? remaining_minus_1 + 1 : avail;
		rc = ioasid_ioas_map(v->ctx, d->ioas, hva, len, &at, &opts);
		if (rc)
			break;
		if (len - 1 == remaining_minus_1)
			return 0;
		iova += len;
		gpa += len;
	}
	if (iova > m->start)
		ioasid_ioas_unmap(v->ctx, d->ioas, m->start, iova - m->start,
				  NULL);
	return rc;
}

static int count_mapping(const struct ioasid_mapping *m, void *data)
{
	(void)m;
	++*(unsigned int *)data;
	return 0;
}

static int shadow_unmap(struct ioasid_virtio_iommu *v, struct viommu_domain *d,
			const struct viommu_mapping *m)
{
	IOASID_OPTS(ioasid_mapping_opts, range, .iova = m->start,
		    .length = m->last - m->start + 1);
	unsigned int left = 0;
	int rc;

	if (!d->ioas || !host_backed(m))
		return 0;
	rc = ioasid_ioas_unmap(v->ctx, d->ioas, m->start,
			       m->last - m->start + 1, NULL);
	if (rc != -ENOENT)
		return rc;
	/*
	 * The device mapped exactly this range, so the kernel's "nothing
	 * there" is believed only when the IOAS indeed maps nothing there
	 * (the VMM unmapped it itself): a failure inside the kernel can
	 * answer ENOENT too, and taking it for success would leave the
	 * guest's page mapped for the device while the guest thinks it is
	 * gone.  Anything else keeps the mapping and fails the request.
	 */
	if (ioasid_ioas_for_each_mapping(v->ctx, d->ioas, &range, count_mapping,
					 &left) == 0 && !left)
		return 0;
	return ioasid_fail(-EIO,
			   "the host refused to unmap iova %#llx-%#llx of ioas %u with ENOENT, but %s: the mapping stays",
			   (unsigned long long)m->start, (unsigned long long)m->last,
			   d->ioas, left ? "the ioas still maps it" : "the library cannot tell what the ioas maps");
}

static int shadow_ram_added(struct ioasid_virtio_iommu *v,
			    const struct viommu_ram_slot *slot)
{
	uint64_t iova = slot->gpa;

	return ioasid_ioas_map(v->ctx, v->identity_ioas, slot->hva, slot->size,
			       &iova, NULL);
}

static bool shadow_domain_holds(const struct ioasid_virtio_iommu *v,
				const struct viommu_domain *d, uint32_t pt_id)
{
	return pt_id == (d->bypass ? v->identity_ioas : d->ioas);
}

const struct viommu_strategy viommu_shadow_strategy = {
	.init = shadow_init,
	.fini = shadow_fini,
	.domain_create = shadow_domain_create,
	.domain_destroy = shadow_domain_destroy,
	.endpoint_place = shadow_endpoint_place,
	.map = shadow_map,
	.unmap = shadow_unmap,
	.ram_added = shadow_ram_added,
	.domain_holds = shadow_domain_holds,
};
