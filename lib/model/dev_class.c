// SPDX-License-Identifier: MIT
/* The six device classes: their names, and the fields of a device report
 * that follow from a class.  Pure: no context. */
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

const char *ioasid_dev_class_name(enum ioasid_dev_class cls)
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
