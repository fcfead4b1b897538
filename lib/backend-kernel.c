// SPDX-License-Identifier: MIT
/*
 * The kernel backend: the backend ops over /dev/iommu and VFIO device
 * cdevs.  The only file of the project that includes Linux uAPI headers.
 * This first version opens the iommufd; the other ops follow.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "internal.h"

struct kernel_be {
	int fd;
	bool own_fd;
};

#define NOT_YET(op) \
	ioasid_fail(-EOPNOTSUPP, "kernel backend: %s is not implemented yet", op)

static void kernel_close(void *be_)
{
	struct kernel_be *be = be_;

	if (be->own_fd)
		close(be->fd);
	free(be);
}

static int kernel_ctx_fd(void *be_)
{
	return ((struct kernel_be *)be_)->fd;
}

static int kernel_dev_info_at(void *be, uint32_t index, struct ioasid_dev_info *info)
{ (void)be; (void)index; (void)info; return NOT_YET("dev_info_at"); }
static int kernel_dev_info_get(void *be, const char *name, struct ioasid_dev_info *info)
{ (void)be; (void)name; (void)info; return NOT_YET("dev_info_get"); }
static int kernel_group_info_at(void *be, uint32_t index, struct ioasid_group_info *info)
{ (void)be; (void)index; (void)info; return NOT_YET("group_info_at"); }
static int kernel_group_resv_regions(void *be, int32_t group, struct ioasid_resv_region *r, uint32_t *num)
{ (void)be; (void)group; (void)r; (void)num; return NOT_YET("group_resv_regions"); }
static int kernel_ioas_alloc(void *be, uint32_t *id)
{ (void)be; (void)id; return NOT_YET("ioas_alloc"); }
static int kernel_destroy(void *be, uint32_t id, enum ioasid_obj_type type)
{ (void)be; (void)id; (void)type; return NOT_YET("destroy"); }
static int kernel_ioas_map(void *be, uint32_t ioas, uint32_t flags, uint64_t va, uint64_t length, uint64_t *iova)
{ (void)be; (void)ioas; (void)flags; (void)va; (void)length; (void)iova; return NOT_YET("ioas_map"); }
static int kernel_ioas_map_file(void *be, uint32_t ioas, uint32_t flags, int fd, uint64_t start, uint64_t length, uint64_t *iova)
{ (void)be; (void)ioas; (void)flags; (void)fd; (void)start; (void)length; (void)iova; return NOT_YET("ioas_map_file"); }
static int kernel_ioas_unmap(void *be, uint32_t ioas, uint64_t iova, uint64_t length, uint64_t *unmapped)
{ (void)be; (void)ioas; (void)iova; (void)length; (void)unmapped; return NOT_YET("ioas_unmap"); }
static int kernel_ioas_copy(void *be, uint32_t dst, uint32_t src, uint32_t flags, uint64_t length, uint64_t *dst_iova, uint64_t src_iova)
{ (void)be; (void)dst; (void)src; (void)flags; (void)length; (void)dst_iova; (void)src_iova; return NOT_YET("ioas_copy"); }
static int kernel_ioas_iova_ranges(void *be, uint32_t ioas, struct ioasid_iova_range *r, uint32_t *num, uint64_t *align)
{ (void)be; (void)ioas; (void)r; (void)num; (void)align; return NOT_YET("ioas_iova_ranges"); }
static int kernel_ioas_allow_iovas(void *be, uint32_t ioas, const struct ioasid_iova_range *r, uint32_t num)
{ (void)be; (void)ioas; (void)r; (void)num; return NOT_YET("ioas_allow_iovas"); }
static int kernel_hwpt_alloc(void *be, uint32_t dev_id, uint32_t pt_id, uint32_t flags, uint32_t *hwpt)
{ (void)be; (void)dev_id; (void)pt_id; (void)flags; (void)hwpt; return NOT_YET("hwpt_alloc"); }
static int kernel_dev_open(void *be, const struct ioasid_dev_info *info, void **bdev)
{ (void)be; (void)info; (void)bdev; return NOT_YET("dev_open"); }
static int kernel_dev_bind(void *be, void *bdev, uint32_t *dev_id)
{ (void)be; (void)bdev; (void)dev_id; return NOT_YET("dev_bind"); }
static int kernel_dev_attach(void *be, void *bdev, uint32_t pt_id, uint32_t *hwpt)
{ (void)be; (void)bdev; (void)pt_id; (void)hwpt; return NOT_YET("dev_attach"); }
static int kernel_dev_detach(void *be, void *bdev)
{ (void)be; (void)bdev; return NOT_YET("dev_detach"); }
static void kernel_dev_close(void *be, void *bdev) { (void)be; (void)bdev; }

static const struct ioasid_backend_ops kernel_ops = {
	.name = "kernel",
	.close = kernel_close,
	.ctx_fd = kernel_ctx_fd,
	.dev_info_at = kernel_dev_info_at,
	.dev_info_get = kernel_dev_info_get,
	.group_info_at = kernel_group_info_at,
	.group_resv_regions = kernel_group_resv_regions,
	.ioas_alloc = kernel_ioas_alloc,
	.destroy = kernel_destroy,
	.ioas_map = kernel_ioas_map,
	.ioas_map_file = kernel_ioas_map_file,
	.ioas_unmap = kernel_ioas_unmap,
	.ioas_copy = kernel_ioas_copy,
	.ioas_iova_ranges = kernel_ioas_iova_ranges,
	.ioas_allow_iovas = kernel_ioas_allow_iovas,
	.hwpt_alloc = kernel_hwpt_alloc,
	.dev_open = kernel_dev_open,
	.dev_bind = kernel_dev_bind,
	.dev_attach = kernel_dev_attach,
	.dev_detach = kernel_dev_detach,
	.dev_close = kernel_dev_close,
};

int ioasid_kernel_open(const char *dev_iommu, int fd, bool own_fd,
		       const struct ioasid_backend_ops **ops, void **be_out)
{
	struct iommu_ioas_iova_ranges probe = { .size = sizeof(probe) };
	struct kernel_be *be;

	if (!dev_iommu)
		dev_iommu = "/dev/iommu";
	if (fd < 0) {
		fd = open(dev_iommu, O_RDWR | O_CLOEXEC);
		if (fd < 0) {
			int err = errno;

			return ioasid_fail(-err, "open %s: %s: the kernel needs CONFIG_IOMMUFD (Linux 6.2 or later) and the caller read/write access to the node",
					   dev_iommu, strerror(err));
		}
		own_fd = true;
	} else if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &probe) == 0 || errno != ENOENT) {
		int err = errno;

		return ioasid_fail(err == EBADF ? -EBADF : -ENOTTY,
				   "fd %d is not an iommufd (IOMMU_IOAS_IOVA_RANGES probe: %s)",
				   fd, strerror(err));
	}
	be = calloc(1, sizeof(*be));
	if (!be) {
		if (own_fd)
			close(fd);
		return ioasid_fail(-ENOMEM, "out of memory");
	}
	be->fd = fd;
	be->own_fd = own_fd;
	*ops = &kernel_ops;
	*be_out = be;
	return 0;
}
