// SPDX-License-Identifier: MIT
/* The six device classes: their names, the fields of a device report that
 * follow from a class, and what a class asks of and allows a PASID call. */
#include <errno.h>
#include <stddef.h>

#include "pasid.h"
#include "util.h"

#define INFO_HAS(info, field)                                               \
	((info)->sz >= offsetof(struct ioasid_dev_info, field) +            \
			       sizeof((info)->field))

void ioasid_dev_class_finish(struct ioasid_dev_info *info,
			     enum ioasid_class_source src)
{
	enum ioasid_dev_class cls = info->dev_class;

	if (INFO_HAS(info, needs_vpasid))
		info->needs_vpasid = cls >= IOASID_CLASS_PASID_PASSTHROUGH;
	if (INFO_HAS(info, needs_cpu_translation))
		info->needs_cpu_translation =
			cls == IOASID_CLASS_PASID_CPU_TRANSLATE;
	if (INFO_HAS(info, fixed_pasid) &&
	    cls != IOASID_CLASS_MDEV_FIXED_PASID)
		info->fixed_pasid = 0;
	if (INFO_HAS(info, class_source))
		info->class_source = src;
}

const char *dev_class_name(enum ioasid_dev_class cls)
{
	static const char *const names[] = {
		[IOASID_CLASS_RID_ONLY] = "rid-only",
		[IOASID_CLASS_MDEV_NO_PASID] = "mdev-no-pasid",
		[IOASID_CLASS_MDEV_FIXED_PASID] = "mdev-fixed-pasid",
		[IOASID_CLASS_PASID_PASSTHROUGH] = "pasid-passthrough",
		[IOASID_CLASS_PASID_DEV_TRANSLATE] = "pasid-dev-translate",
		[IOASID_CLASS_PASID_CPU_TRANSLATE] = "pasid-cpu-translate",
	};

	if ((unsigned int)cls >= ARRAY_SIZE(names))
		return NULL;
	return names[cls];
}

uint8_t pasid_usable_width(uint8_t dev_width, bool iommu_known,
			   uint8_t iommu_width)
{
	uint8_t width = dev_width;

	/* The IOMMU may support fewer bits than the device
	 * (dev_iommu_get_max_pasids() takes the smaller); a device whose
	 * own width is unknown (0) takes the IOMMU's. */
	if (iommu_known && (!width || iommu_width < width))
		width = iommu_width;
	if (width > IOASID_PASID_WIDTH_MAX)
		width = IOASID_PASID_WIDTH_MAX;
	return width;
}

bool dev_class_pasid_global(enum ioasid_dev_class cls)
{
	return cls == IOASID_CLASS_MDEV_FIXED_PASID ||
	       cls == IOASID_CLASS_PASID_DEV_TRANSLATE ||
	       cls == IOASID_CLASS_PASID_CPU_TRANSLATE;
}

enum ioasid_pasid_action dev_class_pasid_action(enum ioasid_dev_class cls)
{
	switch (cls) {
	case IOASID_CLASS_PASID_DEV_TRANSLATE:
		return IOASID_PASID_PROGRAM_DEVICE;
	case IOASID_CLASS_PASID_CPU_TRANSLATE:
		return IOASID_PASID_PROGRAM_CPU;
	default:
		return IOASID_PASID_PROGRAM_NOTHING;
	}
}

int dev_class_refuse_pasid(const char *name, const struct pasid_dev *pd)
{
	return ioasid_fail(-EOPNOTSUPP,
			   "device %s is class %d (%s): it has no PASID to attach; use ioasid_dev_attach()",
			   name, (int)pd->cls, dev_class_name(pd->cls));
}
