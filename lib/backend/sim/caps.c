// SPDX-License-Identifier: MIT
/*
 * The simulator's answer to ioasid_caps_get(): what it models of the
 * Linux 7.3 uAPI, and for a bound device what its topology gives the
 * IOMMU behind it (nesting, dirty tracking, PASID width), as
 * IOMMU_GET_HW_INFO reports it (device.c sim_hw_info()).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sim.h"
#include "caps.h"

/* The ioctls the simulator does not model. */
static bool not_modelled(uint32_t id)
{
	return id == IOASID_CAP_IOAS_NOIOMMU_GET_PA;
}

static void probe_device(struct sim *s, const struct sim_dev *dev,
			 struct ioasid_cap *caps)
{
	const struct topo_iommu *im;
	uint8_t width;

	if (dev->t->iommu < 0) {
		for (uint32_t i = IOASID_CAP_DEV_HW_INFO; i < IOASID_CAP_COUNT; i++)
			cap_set(&caps[i], IOASID_CAP_MISSING, IOASID_CAP_OTHER,
			    "%s is an mdev: it has no IOMMU of its own (IOMMU_GET_HW_INFO: ENOENT)",
			    dev->t->info.name);
		return;
	}
	im = &s->topo->iommus[dev->t->iommu];
	width = dev->t->info.pasid_width < im->pasid_width ?
			dev->t->info.pasid_width : im->pasid_width;
	cap_set(&caps[IOASID_CAP_DEV_HW_INFO], IOASID_CAP_WORKS, IOASID_CAP_OK,
	    "iommu %s (%s) of the topology", im->name, im->model);
	if (im->nesting)
		cap_set(&caps[IOASID_CAP_DEV_NESTING], IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "iommu %s nests (nesting = yes)", im->name);
	else
		cap_set(&caps[IOASID_CAP_DEV_NESTING], IOASID_CAP_MISSING,
		    IOASID_CAP_IOMMU_LACKS,
		    "iommu %s has no nested translation (nesting = no in the topology)",
		    im->name);
	if (im->dirty_tracking)
		cap_set(&caps[IOASID_CAP_DEV_DIRTY_TRACKING], IOASID_CAP_WORKS,
		    IOASID_CAP_OK, "iommu %s tracks dirty pages", im->name);
	else
		cap_set(&caps[IOASID_CAP_DEV_DIRTY_TRACKING], IOASID_CAP_MISSING,
		    IOASID_CAP_IOMMU_LACKS,
		    "iommu %s does not track dirty pages (dirty_tracking = no)",
		    im->name);
	if (width)
		cap_set(&caps[IOASID_CAP_DEV_PASID], IOASID_CAP_WORKS, IOASID_CAP_OK,
		    "%u-bit PASIDs (device %u, iommu %u)", width,
		    dev->t->info.pasid_width, im->pasid_width);
	else
		cap_set(&caps[IOASID_CAP_DEV_PASID], IOASID_CAP_MISSING,
		    IOASID_CAP_NO_PASID,
		    "%s has no PASID capability (pasid_width %u, iommu %s %u)",
		    dev->t->info.pasid_width ? "the IOMMU" : "the device",
		    dev->t->info.pasid_width, im->name, im->pasid_width);
	cap_set(&caps[IOASID_CAP_DEV_ATS], IOASID_CAP_UNKNOWN, IOASID_CAP_BACKEND,
	    "the simulator does not model ATS");
}

int sim_caps_probe(void *be, void *bdev, uint32_t dev_id,
		   struct ioasid_cap *caps, uint32_t num, char release[65])
{
	struct sim *s = be;

	(void)dev_id;
	if (num < IOASID_CAP_COUNT)
		return ioasid_fail(-EINVAL, "caps_probe: %u entries", num);
	snprintf(release, 65, "7.3 (simulated)");
	cap_set(&caps[IOASID_CAP_IOMMUFD], IOASID_CAP_WORKS, IOASID_CAP_OK,
	    "the simulator models iommufd of Linux 7.3");
	cap_set(&caps[IOASID_CAP_VFIO_CDEV], IOASID_CAP_WORKS, IOASID_CAP_OK,
	    "devices bound to vfio-pci in the topology have cdevs");
	for (uint32_t i = 0; i < IOASID_CAP_COUNT; i++) {
		struct ioasid_cap *c = &caps[i];

		if (c->kind != IOASID_CAP_KIND_IOCTL &&
		    c->kind != IOASID_CAP_KIND_FLAG)
			continue;
		if (not_modelled(i))
			cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_BACKEND,
			    "the simulator does not model it");
		else if (i == IOASID_CAP_TEST_CMD)
			cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			    "the simulator's mock devices and test hooks stand for it");
		else
			cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			    "modelled (Linux %u.%u)", c->since_major,
			    c->since_minor);
	}
	if (bdev)
		probe_device(s, bdev, caps);
	return 0;
}
