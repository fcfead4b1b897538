// SPDX-License-Identifier: MIT
/*
 * The kernel backend's vIOMMU hardware queues (IOMMU_HW_QUEUE_ALLOC,
 * Linux 6.17), vIOMMU driver data (IOMMU_VIOMMU_ALLOC's data_uptr) and
 * mmap(2) of the iommufd, which maps an MMIO region a vIOMMU driver
 * registered (main.c iommufd_fops_mmap(): the offset and length must be
 * a region's exactly, ENXIO otherwise; the region's vIOMMU stays busy
 * while it is mapped).
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "kernel-internal.h"

int kernel_viommu_alloc_data(void *be_, uint32_t dev_id, uint32_t hwpt_id,
			     uint32_t type, void *data, uint32_t data_len,
			     uint32_t *viommu_id)
{
	struct kernel_be *be = be_;
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_VIOMMU_ALLOC, &cmd);

	if (rc == -EOPNOTSUPP && !kernel_older(be, FEAT(VIOMMU_DATA)))
		return ioasid_fail(rc,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x: %s: the IOMMU driver of device %u has no vIOMMU of that type (type 0 is reserved)",
				   dev_id, hwpt_id, type, strerror(-rc), dev_id);
	if (rc == -EINVAL)
		return ioasid_fail(rc,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x data_len %u: %s: hwpt %u must be a nest parent, and the data what type %#x takes",
				   dev_id, hwpt_id, type, data_len, strerror(-rc),
				   hwpt_id, type);
	if (rc)
		return kernel_fail(be, rc, FEAT(VIOMMU_DATA), 0,
				   "IOMMU_VIOMMU_ALLOC dev %u hwpt %u type %#x data_len %u",
				   dev_id, hwpt_id, type, data_len);
	rc = kernel_obj_add(be, cmd.out_viommu_id, IOASID_OBJ_VIOMMU, -1, NULL);
	if (rc) {
		kernel_obj_undo_alloc(be, cmd.out_viommu_id, -1);
		return rc;
	}
	*viommu_id = cmd.out_viommu_id;
	return 0;
}

int kernel_hw_queue_alloc(void *be_, uint32_t viommu_id, uint32_t type,
			  uint32_t index, uint64_t iova, uint64_t length,
			  uint32_t *hw_queue_id)
{
	struct kernel_be *be = be_;
	struct iommu_hw_queue_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.index = index,
		.nesting_parent_iova = iova,
		.length = length,
	};
	int rc = kernel_ioctl(be->fd, IOMMU_HW_QUEUE_ALLOC, &cmd);
	const char *why = "";

	if (rc) {
		/* viommu.c iommufd_hw_queue_alloc_ioctl() and
		 * iommufd_hw_queue_alloc_phys(), then the driver's
		 * hw_queue_init_phys(). */
		switch (rc) {
		case -EOPNOTSUPP:
			why = kernel_older(be, FEAT(HW_QUEUE)) ? "" :
			      ": the vIOMMU's driver has no HW queue of this type";
			break;
		case -ENOENT:
			why = ": no such vIOMMU, or the queue's IOVA range is not mapped in the nest parent's IOAS";
			break;
		case -EFAULT:
			why = ": the queue's memory is not physically contiguous";
			break;
		case -EEXIST:
			why = ": the vIOMMU has a queue of this type at this index";
			break;
		case -EIO:
			why = ": the driver wants the queues in index order (the previous index is not allocated)";
			break;
		case -EINVAL:
			why = ": the driver refuses this index or length";
			break;
		}
		if (why[0])
			return ioasid_fail(rc,
					   "IOMMU_HW_QUEUE_ALLOC viommu %u type %#x index %u iova 0x%llx length 0x%llx: %s%s",
					   viommu_id, type, index,
					   (unsigned long long)iova,
					   (unsigned long long)length,
					   strerror(-rc), why);
		return kernel_fail(be, rc, FEAT(HW_QUEUE), HINT_PIN,
				   "IOMMU_HW_QUEUE_ALLOC viommu %u type %#x index %u iova 0x%llx length 0x%llx",
				   viommu_id, type, index,
				   (unsigned long long)iova,
				   (unsigned long long)length);
	}
	rc = kernel_obj_add(be, cmd.out_hw_queue_id, IOASID_OBJ_HW_QUEUE, -1, NULL);
	if (rc) {
		kernel_obj_undo_alloc(be, cmd.out_hw_queue_id, -1);
		return rc;
	}
	*hw_queue_id = cmd.out_hw_queue_id;
	return 0;
}

int kernel_ctx_mmap(void *be_, uint64_t offset, uint64_t length, void **addr)
{
	struct kernel_be *be = be_;
	void *p;
	int err;

	if (be->fd < 0)
		return kernel_fail(be, -EBADF, NULL, 0, "mmap of the iommufd");
	p = mmap(NULL, (size_t)length, PROT_READ | PROT_WRITE, MAP_SHARED, be->fd,
		 (off_t)offset);
	if (p == MAP_FAILED) {
		err = -errno;
		if (err == -ENXIO)
			return ioasid_fail(err,
					   "mmap of the iommufd at offset 0x%llx length 0x%llx: %s: no MMIO region has that offset and length (take both from the vIOMMU's driver data)",
					   (unsigned long long)offset,
					   (unsigned long long)length, strerror(-err));
		return kernel_fail(be, err, FEAT(HW_QUEUE), 0,
				   "mmap of the iommufd at offset 0x%llx length 0x%llx",
				   (unsigned long long)offset,
				   (unsigned long long)length);
	}
	*addr = p;
	return 0;
}

int kernel_ctx_munmap(void *be_, void *addr, uint64_t length)
{
	(void)be_;
	if (munmap(addr, (size_t)length))
		return ioasid_fail(-errno, "munmap %p length 0x%llx: %s", addr,
				   (unsigned long long)length, strerror(errno));
	return 0;
}
