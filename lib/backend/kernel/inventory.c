// SPDX-License-Identifier: MIT
/*
 * The kernel backend's inventory: devices, IOMMU groups, reserved regions
 * and IOMMUs as sysfs describes them (lib/host/sysfs.c), the device
 * classes, the reports of CONFIG_IOMMUFD_TEST mock devices, and host
 * driver binding.  None of it needs an iommufd.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kernel-internal.h"
#include "sysfs.h"

bool kernel_parse_mock_name(const char *name, uint32_t *flags, bool *bad_flag,
			    char *bad, size_t bad_size)
{
	const char *p = name + 4;

	*flags = 0;
	*bad_flag = false;
	if (strncmp(name, "mock", 4))
		return false;
	while (*p >= '0' && *p <= '9')
		p++;
	if (!*p)
		return true;
	if (*p != ':')
		return false;
	p++;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == 5 && !strncmp(p, "pasid", 5))
			*flags |= IOASID_TEST_MOCK_DEV_PASID;
		else if (len == 8 && !strncmp(p, "no-dirty", 8))
			*flags |= IOASID_TEST_MOCK_DEV_NO_DIRTY;
		else {
			snprintf(bad, bad_size, "%.*s", (int)len, p);
			*bad_flag = true;
			return true;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return true;
}

/*
 * The PASID class of a device sysfs described, in the order the facts
 * come: the PCI PASID capability (class 3 with its width, 0 without;
 * unknown to callers without CAP_SYS_ADMIN), then IOMMU_GET_HW_INFO's
 * max_pasid_log2 if this context has the device bound (the width both
 * the device and its IOMMU support; 0 refines nothing, since kernels
 * before 6.15 leave it 0 too), mdevs class 1 (sysfs does not say whether
 * an mdev type uses a PASID); class_source says which.  The rest is
 * core's (lib/core/inventory.c): the fields that follow from the class,
 * then the configuration, which alone can tell classes 2, 4 and 5.
 */
static void kernel_dev_class(struct kernel_be *be, struct ioasid_dev_info *info)
{
	enum ioasid_class_source src = IOASID_CLASS_SRC_DEFAULT;
	struct kernel_dev *dev;
	uint8_t width = 0;
	uint16_t caps;

	info->dev_class = IOASID_CLASS_RID_ONLY;
	info->pasid_width = 0;
	if (info->kind == IOASID_DEV_MDEV) {
		info->dev_class = IOASID_CLASS_MDEV_NO_PASID;
	} else if (info->kind == IOASID_DEV_PCI) {
		int rc = ioasid_sysfs_pci_pasid(info->name, &width, &caps);

		if (rc >= 0)
			src = IOASID_CLASS_SRC_HARDWARE;
		if (rc == 1 && width) {
			info->dev_class = IOASID_CLASS_PASID_PASSTHROUGH;
			info->pasid_width = width;
		}
		for (dev = be->devs; dev; dev = dev->next) {
			struct ioasid_hw_info hw = { .sz = sizeof(hw) };
			uint32_t len = 0;

			if (!dev->bound || strcmp(dev->name, info->name))
				continue;
			/* A report must not fail, nor leave a message,
			 * because the refinement did. */
			if (kernel_hw_info(be, dev->dev_id, &hw, NULL, &len)) {
				ioasid_clear_error();
			} else if (hw.max_pasid_log2) {
				info->dev_class = IOASID_CLASS_PASID_PASSTHROUGH;
				info->pasid_width = hw.max_pasid_log2;
				src = IOASID_CLASS_SRC_HARDWARE;
			}
			break;
		}
	}
	info->class_source = src;
}

int kernel_dev_info_at(void *be, uint32_t index,
		       struct ioasid_dev_info *info)
{
	int rc = ioasid_sysfs_dev_info_at(index, info);

	if (rc == 0)
		kernel_dev_class(be, info);
	return rc;
}

/* Needs no iommufd: driver_override, unbind and drivers_probe in sysfs. */
int kernel_set_driver(void *be, const char *name, const char *driver,
		      bool force)
{
	(void)be;
	return ioasid_sysfs_set_driver(name, driver, force);
}

int kernel_dev_info_get(void *be, const char *name,
			struct ioasid_dev_info *info)
{
	char bad[IOASID_NAME_MAX];
	uint32_t flags;
	bool bad_flag;
	int rc;

	if (kernel_parse_mock_name(name, &flags, &bad_flag, bad, sizeof(bad))) {
		size_t sz = info->sz;

		if (bad_flag)
			return ioasid_fail(-EINVAL,
					   "mock device %s: unknown flag \"%s\" (known: pasid, no-dirty)",
					   name, bad);
		if (strlen(name) >= IOASID_NAME_MAX)
			return ioasid_fail(-EINVAL, "mock device name %s is too long",
					   name);
		memset(info, 0, sizeof(*info));
		info->sz = sz;
		snprintf(info->name, sizeof(info->name), "%s", name);
		info->kind = IOASID_DEV_MOCK;
		info->group = -1;
		snprintf(info->driver, sizeof(info->driver), "iommufd-selftest");
		snprintf(info->iommu, sizeof(info->iommu), "mock");
		/* The selftest's PASID-capable mock device takes any PASID
		 * as is (class 3), 20 bits wide (MOCK_PASID_WIDTH), like
		 * [mock] devices with pasid_width = 20 and class = 3 in
		 * examples/topologies/mock.ini. */
		if (flags & IOASID_TEST_MOCK_DEV_PASID) {
			info->pasid_width = 20;
			info->dev_class = IOASID_CLASS_PASID_PASSTHROUGH;
		}
		info->class_source = IOASID_CLASS_SRC_HARDWARE;
		return 0;
	}
	rc = ioasid_sysfs_dev_info_get(name, info);
	if (rc == 0)
		kernel_dev_class(be, info);
	return rc;
}

/*
 * The last IOVA of a paging domain of the SMMUv3 behind bound device
 * @dev, from its ID registers (IOMMU_GET_HW_INFO), as
 * drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c arm_smmu_domain_finalise()
 * sizes it: stage 1 when SMMU_IDR0.S1P is set, 48 bits (52 with
 * SMMU_IDR5.VAX = 1 only if the kernel's VA_BITS allow, which user space
 * cannot see: unknown then); else stage 2, the output size
 * SMMU_IDR5.OAS.  The bits are read here rather than through
 * ioasid_hw_info_smmuv3_decode(): the backend does not call up into the
 * public API.  Return: true and @last when the registers tell.
 */
static bool smmuv3_top(const struct kernel_be *be, const struct kernel_dev *dev,
		       uint64_t *last)
{
	static const uint8_t oas_bits[8] = { 32, 36, 40, 42, 44, 48, 52, 0 };
	struct iommu_hw_info_arm_smmuv3 regs = { 0 };
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = dev->dev_id,
		.data_len = sizeof(regs),
		.data_uptr = (uintptr_t)&regs,
	};
	unsigned int bits;

	if (kernel_ioctl(be->fd, IOMMU_GET_HW_INFO, &cmd) ||
	    cmd.out_data_type != IOMMU_HW_INFO_TYPE_ARM_SMMUV3 ||
	    cmd.data_len < offsetof(struct iommu_hw_info_arm_smmuv3, iidr))
		return false;
	if (regs.idr[0] & (1u << 1)) {		/* S1P */
		if (((regs.idr[5] >> 10) & 3) == 1)	/* VAX: 52 bits */
			return false;
		bits = 48;
	} else {
		bits = oas_bits[regs.idr[5] & 7];
		if (!bits)
			return false;
	}
	*last = (1ull << bits) - 1;
	return true;
}

/*
 * The last usable IOVA of an IOMMU whose IOMMU_GET_HW_INFO carries no
 * driver data (IOMMU_HW_INFO_TYPE_NONE: virtio-iommu, whose input range
 * the guest's kernel learns from the virtio config and publishes nowhere
 * else): a paging HWPT for bound device @dev is allocated on a scratch
 * IOAS (IOMMU_HWPT_ALLOC, which attaches nothing, so it works while the
 * device is attached elsewhere), the kernel reserves in that IOAS what
 * lies outside the domain's aperture, and the top of its IOVA ranges is
 * the aperture's last IOVA.  Both are destroyed again.  Return: true and
 * @last when the kernel told.
 */
static bool ranges_top(const struct kernel_be *be, const struct kernel_dev *dev,
		       uint64_t *last)
{
	struct iommu_hw_info hw = { .size = sizeof(hw), .dev_id = dev->dev_id };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_iova_range r[32];
	struct iommu_ioas_iova_ranges rcmd = {
		.size = sizeof(rcmd),
		.num_iovas = 32,
		.allowed_iovas = (uintptr_t)r,
	};
	struct iommu_hwpt_alloc hwpt = {
		.size = sizeof(hwpt),
		.dev_id = dev->dev_id,
	};
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	bool ok = false;

	if (kernel_ioctl(be->fd, IOMMU_GET_HW_INFO, &hw) ||
	    hw.out_data_type != IOMMU_HW_INFO_TYPE_NONE ||
	    kernel_ioctl(be->fd, IOMMU_IOAS_ALLOC, &alloc))
		return false;
	hwpt.pt_id = alloc.out_ioas_id;
	rcmd.ioas_id = alloc.out_ioas_id;
	if (kernel_ioctl(be->fd, IOMMU_HWPT_ALLOC, &hwpt) == 0) {
		if (kernel_ioctl(be->fd, IOMMU_IOAS_IOVA_RANGES, &rcmd) == 0 &&
		    rcmd.num_iovas >= 1 && rcmd.num_iovas <= 32) {
			*last = r[rcmd.num_iovas - 1].last;
			ok = true;
		}
		destroy.id = hwpt.out_hwpt_id;
		kernel_ioctl(be->fd, IOMMU_DESTROY, &destroy);
	}
	destroy.id = alloc.out_ioas_id;
	kernel_ioctl(be->fd, IOMMU_DESTROY, &destroy);
	return ok;
}

/* What a bound device's IOMMU tells of its aperture: the SMMUv3's
 * registers, or, with no driver data, the kernel's own ranges. */
static bool bound_top(const struct kernel_be *be, const struct kernel_dev *dev,
		      uint64_t *last)
{
	return smmuv3_top(be, dev, last) || ranges_top(be, dev, last);
}

/* A device with a VFIO cdev that this context has not opened: opened
 * and bound to this iommufd for the question alone, then closed (which
 * unbinds it).  A device another process uses refuses the open or the
 * bind, and the estimate stays. */
static bool scratch_top(const struct kernel_be *be, const char *name,
			uint64_t *last)
{
	IOASID_OPTS(ioasid_dev_info, dinfo);
	struct kernel_dev d = { .fd = -1 };
	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetofend(struct vfio_device_bind_iommufd, out_devid),
		.iommufd = be->fd,
	};
	bool ok = false;

	if (be->fd < 0 || ioasid_sysfs_dev_info_get(name, &dinfo) ||
	    !dinfo.cdev[0])
		return false;
	d.fd = open(dinfo.cdev, O_RDWR | O_CLOEXEC);
	if (d.fd < 0)
		return false;
	if (kernel_ioctl(d.fd, VFIO_DEVICE_BIND_IOMMUFD, &bind) == 0) {
		d.dev_id = bind.out_devid;
		ok = bound_top(be, &d, last);
	}
	close(d.fd);
	return ok;
}

/* What the hardware says where sysfs could only estimate: the aperture
 * of the IOMMU behind device @name, asked through the device's own
 * binding in this context, or a scratch one.  Only the top: the bottom
 * stays sysfs's (a virtio-iommu input range starting above 0 would look
 * like a reserved region at the bottom of the kernel's ranges). */
static void hw_aperture(const struct kernel_be *be, const char *name,
			struct ioasid_iommu_info *info)
{
	const struct kernel_dev *d;
	uint64_t last;
	bool ok;

	for (d = be->devs; d; d = d->next)
		if (!strcmp(d->name, name))
			break;
	if (d)
		ok = d->bound && d->dev_id && bound_top(be, d, &last);
	else
		ok = scratch_top(be, name, &last);
	if (ok) {
		info->aperture_last = last;
		info->flags |= IOASID_IOMMU_APERTURE_KNOWN;
	}
}

/* Sysfs for real IOMMUs, corrected by IOMMU_GET_HW_INFO of a bound
 * device; the selftest's mock IOMMU has fixed values
 * (iommufd_test.h MOCK_APERTURE_*, MOCK_PAGE_SIZE). */
int kernel_iommu_info(void *be, const char *name,
		      struct ioasid_iommu_info *info)
{
	uint32_t flags;
	bool bad_flag;
	char bad[32];
	int rc;

	if (kernel_parse_mock_name(name, &flags, &bad_flag, bad, sizeof(bad))) {
		snprintf(info->name, sizeof(info->name), "mock");
		info->aperture_start = 1ull << 24;
		info->aperture_last = (1ull << 31) - 1;
		info->page_sizes = 2048;
		info->pasid_width = 20;
		info->flags = IOASID_IOMMU_APERTURE_KNOWN |
			      IOASID_IOMMU_PAGE_SIZES_KNOWN;
		return 0;
	}
	rc = ioasid_sysfs_iommu_info(name, info);
	if (rc == 0 && !(info->flags & IOASID_IOMMU_APERTURE_KNOWN) && be)
		hw_aperture(be, name, info);
	return rc;
}

int kernel_group_info_at(void *be, uint32_t index,
			 struct ioasid_group_info *info)
{
	(void)be;
	return ioasid_sysfs_group_info_at(index, info);
}

int kernel_group_resv_regions(void *be, int32_t group,
			      struct ioasid_resv_region *regions,
			      uint32_t *num)
{
	(void)be;
	return ioasid_sysfs_group_resv_regions(group, regions, num);
}
