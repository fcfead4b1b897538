// SPDX-License-Identifier: MIT
/*
 * The kernel backend: the backend ops over /dev/iommu and VFIO device
 * cdevs, plus mock devices of CONFIG_IOMMUFD_TEST (kernel-internal.h lists
 * the files).  This file opens and closes a context and holds the ops
 * table.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kernel-internal.h"

/* ------------------------------------------------------------------ */
/* Context                                                              */

static void kernel_close(void *be_)
{
	struct kernel_be *be = be_;

	/* Each queue fd holds a reference on the iommufd context: close
	 * them, or the context outlives its fd. */
	kernel_obj_close_all(be);
	krec_free(be);
	if (be->own_fd)
		close(be->fd);
	free(be);
}

static int kernel_ctx_fd(void *be_)
{
	struct kernel_be *be = be_;

	if (be->fd < 0)
		return ioasid_fail(-EBADF,
				   "this context was opened for inspection only (inspect_only): it has no iommufd");
	return be->fd;
}

/* ------------------------------------------------------------------ */
/* The ops table                                                        */

/* Linux iommufd has no PowerPC PAMU MSI banks: no ioctl for them,
 * drivers/vfio has no PAMU container driver (the FSL PAMU VFIO work was
 * for the legacy container, not iommufd), and fsl_pamu_domain.c exposes
 * none; so the table has no ioas_*msi_bank* operations. */
static const struct ioasid_backend_ops kernel_ops = {
	.name = "kernel",
	/* Context (kernel.c; IOMMU_OPTION in iommufd.c) */
	.close = kernel_close,
	.ctx_fd = kernel_ctx_fd,
	.option = kernel_option,
	/* Inventory (inventory.c) */
	.dev_info_at = kernel_dev_info_at,
	.dev_info_get = kernel_dev_info_get,
	.group_info_at = kernel_group_info_at,
	.group_resv_regions = kernel_group_resv_regions,
	.iommu_info = kernel_iommu_info,
	.set_driver = kernel_set_driver,
	/* Objects, IOAS, HWPT (iommufd.c) */
	.destroy = kernel_destroy,
	.ioas_alloc = kernel_ioas_alloc,
	.ioas_map = kernel_ioas_map,
	.ioas_map_file = kernel_ioas_map_file,
	.ioas_unmap = kernel_ioas_unmap,
	.ioas_copy = kernel_ioas_copy,
	.ioas_iova_ranges = kernel_ioas_iova_ranges,
	.ioas_allow_iovas = kernel_ioas_allow_iovas,
	.ioas_change_process = kernel_ioas_change_process,
	.ioas_noiommu_get_pa = kernel_ioas_noiommu_get_pa,
	/* Iteration, from the record (iterate.c) */
	.ioas_mappings = kernel_ioas_mappings,
	.objects = kernel_objects,
	.hwpt_alloc = kernel_hwpt_alloc,
	.hwpt_alloc_user = kernel_hwpt_alloc_user,
	.hwpt_invalidate = kernel_hwpt_invalidate,
	/* Devices and PASID (vfio.c, mock devices in mock.c) */
	.dev_open = kernel_dev_open,
	.dev_bind = kernel_dev_bind,
	.dev_attach = kernel_dev_attach,
	.dev_detach = kernel_dev_detach,
	.dev_fd = kernel_dev_fd,
	.dev_dma_buf = kernel_dev_dma_buf,
	.dev_close = kernel_dev_close,
	.hw_info = kernel_hw_info,
	.dev_pasid_attach = kernel_dev_pasid_attach,
	.dev_pasid_detach = kernel_dev_pasid_detach,
	.dev_pasid_list = kernel_dev_pasid_list,
	/* vIOMMU objects and queues (viommu.c) */
	.viommu_alloc = kernel_viommu_alloc,
	.vdevice_alloc = kernel_vdevice_alloc,
	.veventq_alloc = kernel_veventq_alloc,
	.veventq_read = kernel_veventq_read,
	.fault_alloc = kernel_fault_alloc,
	.fault_read = kernel_fault_read,
	.fault_respond = kernel_fault_respond,
	/* Dirty tracking (iommufd.c) */
	.set_dirty_tracking = kernel_set_dirty_tracking,
	.get_dirty_bitmap = kernel_get_dirty_bitmap,
	/* Test hooks (mock.c) */
	.test_dirty = kernel_test_dirty,
	.test_iopf = kernel_test_iopf,
	.test_vevent = kernel_test_vevent,
	.test_check_iotlb = kernel_test_check_iotlb,
	/* Capabilities (caps.c) */
	.caps_probe = kernel_caps_probe,
	/* HW queues and MMIO pages (hw_queue.c) */
	.viommu_alloc_data = kernel_viommu_alloc_data,
	.hw_queue_alloc = kernel_hw_queue_alloc,
	.ctx_mmap = kernel_ctx_mmap,
	.ctx_munmap = kernel_ctx_munmap,
};

/* ------------------------------------------------------------------ */
/* Open                                                                 */

bool ioasid_kernel_backend_is(const struct ioasid_backend_ops *ops)
{
	return ops == &kernel_ops;
}

int ioasid_kernel_open(const char *dev_iommu, int fd, bool own_fd,
		       const struct ioasid_backend_ops **ops, void **be_out)
{
	struct kernel_be *be;
	struct utsname uts;

	be = calloc(1, sizeof(*be));
	if (!be)
		return ioasid_fail(-ENOMEM, "out of memory");
	if (uname(&uts) == 0)
		snprintf(be->release, sizeof(be->release), "%s", uts.release);

	if (!dev_iommu)
		dev_iommu = "/dev/iommu";
	if (fd < 0) {
		int err;

		fd = open(dev_iommu, O_RDWR | O_CLOEXEC);
		err = errno;
		if (fd < 0) {
			free(be);
			if (err == ENOENT || err == ENXIO || err == ENODEV)
				return ioasid_fail(-err,
						   "open %s: %s: the kernel needs CONFIG_IOMMUFD (Linux 6.2 or later; modprobe iommufd if it is a module)",
						   dev_iommu, strerror(err));
			if (err == EACCES || err == EPERM)
				return ioasid_fail(-err,
						   "open %s: %s: the caller needs read/write access to %s (root, or a udev rule or group granting it)",
						   dev_iommu, strerror(err), dev_iommu);
			return ioasid_fail(-err, "open %s: %s", dev_iommu,
					   strerror(err));
		}
		own_fd = true;
	} else {
		/* A harmless query of IOAS 0, which never exists: an
		 * iommufd answers ENOENT, anything else does not. */
		struct iommu_ioas_iova_ranges probe = { .size = sizeof(probe) };
		int rc = kernel_ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &probe);

		if (rc != -ENOENT) {
			free(be);
			if (rc == -EBADF)
				return ioasid_fail(-EBADF, "fd %d is not open", fd);
			return ioasid_fail(-ENOTTY,
					   "fd %d is not an iommufd: IOMMU_IOAS_IOVA_RANGES on it gave %s instead of ENOENT",
					   fd, rc ? strerror(-rc) : "success");
		}
	}
	be->fd = fd;
	be->own_fd = own_fd;
	*ops = &kernel_ops;
	*be_out = be;
	return 0;
}

int ioasid_kernel_open_inspect(const struct ioasid_backend_ops **ops,
			       void **be_out)
{
	struct kernel_be *be;
	struct utsname uts;

	be = calloc(1, sizeof(*be));
	if (!be)
		return ioasid_fail(-ENOMEM, "out of memory");
	if (uname(&uts) == 0)
		snprintf(be->release, sizeof(be->release), "%s", uts.release);
	/* No iommufd: every ioctl on it gets EBADF, which kernel_fail() explains. */
	be->fd = -1;
	be->own_fd = false;
	*ops = &kernel_ops;
	*be_out = be;
	return 0;
}
