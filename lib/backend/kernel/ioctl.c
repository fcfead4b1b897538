// SPDX-License-Identifier: MIT
/*
 * The kernel backend's ioctl wrapper, and what an errno means: which
 * kernel introduced each call and flag the backend uses (so that ENOTTY,
 * EOPNOTSUPP, E2BIG and a refused flag name the Linux version needed),
 * the pinning limit behind ENOMEM.  Why the kernel refused a request
 * that it has is explain.c's.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "kernel-internal.h"

const struct kfeature kernel_features[KFEAT_NUM] = {
	[KFEAT_IOMMUFD] = { "iommufd (/dev/iommu)", 6, 2 },
	[KFEAT_MAP_FILE] = { "IOMMU_IOAS_MAP_FILE (mapping a file)", 6, 13 },
	[KFEAT_HWPT_ALLOC] = { "IOMMU_HWPT_ALLOC", 6, 6 },
	[KFEAT_HWPT_NEST_PARENT] = { "IOMMU_HWPT_ALLOC_NEST_PARENT (nesting parent)", 6, 7 },
	[KFEAT_HWPT_DIRTY_TRACKING] = { "IOMMU_HWPT_ALLOC_DIRTY_TRACKING (dirty tracking)", 6, 7 },
	[KFEAT_HWPT_FAULT_ID] = { "IOMMU_HWPT_FAULT_ID_VALID (I/O page faults)", 6, 11 },
	[KFEAT_HWPT_PASID] = { "IOMMU_HWPT_ALLOC_PASID (PASID attach)", 6, 15 },
	[KFEAT_GET_HW_INFO] = { "IOMMU_GET_HW_INFO", 6, 6 },
	[KFEAT_DIRTY_BITMAP] = {
		"IOMMU_HWPT_GET_DIRTY_BITMAP (used to check that an object is a HWPT before destroying it)",
		6, 7
	},
	[KFEAT_NESTED] = { "nested HWPTs (IOMMU_HWPT_ALLOC with driver data)", 6, 7 },
	[KFEAT_INVALIDATE] = { "IOMMU_HWPT_INVALIDATE", 6, 8 },
	[KFEAT_FAULT] = { "IOMMU_FAULT_QUEUE_ALLOC (I/O page fault queues)", 6, 11 },
	[KFEAT_VIOMMU] = { "IOMMU_VIOMMU_ALLOC (vIOMMUs)", 6, 13 },
	[KFEAT_VDEVICE] = { "IOMMU_VDEVICE_ALLOC (vDEVICEs)", 6, 13 },
	[KFEAT_VEVENTQ] = { "IOMMU_VEVENTQ_ALLOC (vIOMMU event queues)", 6, 15 },
	[KFEAT_DIRTY] = {
		"dirty tracking (IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP)", 6, 7
	},
	[KFEAT_VFIO_CDEV] = {
		"VFIO device cdev binding (VFIO_DEVICE_BIND_IOMMUFD, CONFIG_VFIO_DEVICE_CDEV)", 6, 6
	},
	[KFEAT_VFIO_ATTACH] = {
		"VFIO_DEVICE_ATTACH_IOMMUFD_PT (CONFIG_VFIO_DEVICE_CDEV)", 6, 6
	},
	[KFEAT_VFIO_PASID] = {
		"VFIO_DEVICE_ATTACH_IOMMUFD_PT with VFIO_DEVICE_ATTACH_PASID", 6, 15
	},
	[KFEAT_TEST] = { "IOMMU_TEST_CMD mock devices (CONFIG_IOMMUFD_TEST)", 6, 2 },
	[KFEAT_TEST_FLAGS] = {
		"IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS (mock device flags, CONFIG_IOMMUFD_TEST)", 6, 7
	},
	[KFEAT_TEST_REPLACE] = {
		"IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE (CONFIG_IOMMUFD_TEST)", 6, 6
	},
	[KFEAT_TEST_PASID] = { "IOMMU_TEST_OP_PASID_* (CONFIG_IOMMUFD_TEST)", 6, 15 },
	[KFEAT_TEST_DIRTY] = { "IOMMU_TEST_OP_DIRTY (CONFIG_IOMMUFD_TEST)", 6, 7 },
	[KFEAT_TEST_IOTLB] = { "IOMMU_TEST_OP_MD_CHECK_IOTLB (CONFIG_IOMMUFD_TEST)", 6, 7 },
	[KFEAT_TEST_IOPF] = { "IOMMU_TEST_OP_TRIGGER_IOPF (CONFIG_IOMMUFD_TEST)", 6, 11 },
	[KFEAT_TEST_VEVENT] = { "IOMMU_TEST_OP_TRIGGER_VEVENT (CONFIG_IOMMUFD_TEST)", 6, 15 },
	[KFEAT_CHANGE_PROCESS] = {
		"IOMMU_IOAS_CHANGE_PROCESS (moving pinned-page accounting to another process)", 6, 13
	},
	[KFEAT_HW_QUEUE] = {
		"IOMMU_HW_QUEUE_ALLOC and the iommufd's mmap (vIOMMU HW queues)", 6, 17
	},
	[KFEAT_VIOMMU_DATA] = {
		"IOMMU_VIOMMU_ALLOC with driver data", 6, 17
	},
	[KFEAT_DMA_BUF] = {
		"VFIO_DEVICE_FEATURE_DMA_BUF (vfio-pci's dma-buf exporter)", 6, 19
	},
	[KFEAT_NOIOMMU_GET_PA] = {
		"IOMMU_IOAS_NOIOMMU_GET_PA (physical addresses for VFIO no-IOMMU devices)", 7, 3
	},
};

int kernel_ioctl(int fd, unsigned long request, void *arg)
{
	return ioctl(fd, request, arg) < 0 ? -errno : 0;
}

bool kernel_older(const struct kernel_be *be, const struct kfeature *feat)
{
	unsigned int major, minor;

	if (!be || sscanf(be->release, "%u.%u", &major, &minor) != 2)
		return false;
	return major < feat->major || (major == feat->major && minor < feat->minor);
}

int kernel_fail(const struct kernel_be *be, int err, const struct kfeature *feat,
		unsigned int hints, const char *fmt, ...)
{
	char what[512], hint[768] = "";
	const char *release = be && be->release[0] ? be->release : "unknown";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);

	if (feat && err == -ENOTTY)
		snprintf(hint, sizeof(hint),
			 ": the running kernel (%s) does not have %s, which needs Linux %u.%u or later",
			 release, feat->what, feat->major, feat->minor);
	else if (feat && err == -EINVAL && kernel_older(be, feat))
		/* Older kernels refuse flag bits they do not know with
		 * EINVAL (VFIO_DEVICE_ATTACH_PASID before 6.15). */
		snprintf(hint, sizeof(hint),
			 ": the running kernel (%s) does not have %s, which needs Linux %u.%u or later",
			 release, feat->what, feat->major, feat->minor);
	else if (feat && err == -E2BIG)
		snprintf(hint, sizeof(hint),
			 ": the running kernel (%s) does not know a field of this call: %s needs Linux %u.%u or later",
			 release, feat->what, feat->major, feat->minor);
	else if (feat && err == -EOPNOTSUPP)
		snprintf(hint, sizeof(hint),
			 ": %s is not supported here: it needs Linux %u.%u or later (running %s) and an IOMMU driver that implements it",
			 feat->what, feat->major, feat->minor, release);
	else if ((hints & HINT_PIN) && err == -ENOMEM) {
		struct rlimit lim;
		char cur[48] = "unknown";

		if (getrlimit(RLIMIT_MEMLOCK, &lim) == 0) {
			if (lim.rlim_cur == RLIM_INFINITY)
				snprintf(cur, sizeof(cur), "unlimited");
			else
				snprintf(cur, sizeof(cur), "%llu KiB",
					 (unsigned long long)lim.rlim_cur / 1024);
		}
		snprintf(hint, sizeof(hint),
			 ": pinning the memory exceeds the locked-memory limit RLIMIT_MEMLOCK (now %s): raise it (ulimit -l, LimitMEMLOCK= in a systemd unit, memlock in limits.conf); by default (IOMMU_OPTION_RLIMIT_MODE 0) pinned pages are counted per user, so other processes of the same user count too, and a privileged manager (CAP_SYS_RESOURCE) can switch to per-process accounting with IOMMU_OPTION_RLIMIT_MODE 1",
			 cur);
	} else if (be && be->fd < 0 && err == -EBADF)
		snprintf(hint, sizeof(hint),
			 ": this context was opened for inspection only (inspect_only), without /dev/iommu; open it without inspect_only on a kernel with CONFIG_IOMMUFD");

	return ioasid_fail(err, "%s: %s%s", what, strerror(-err), hint);
}
