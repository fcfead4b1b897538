// SPDX-License-Identifier: MIT
/*
 * vIOMMU hardware queues (IOMMU_HW_QUEUE_ALLOC, Linux 6.17), a vIOMMU's
 * driver data, and the iommufd's MMIO regions (mmap of the iommufd).
 */
#include <errno.h>

#include "core.h"

int ioasid_viommu_alloc_data(struct ioasid_dev *dev, uint32_t hwpt_id,
			     uint32_t type,
			     const struct ioasid_viommu_alloc_opts *opts,
			     uint32_t *viommu_id)
{
	void *data;
	uint32_t len;
	int rc;

	CHECK_DEV(dev);
	CHECK_PTR(viommu_id);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_viommu_alloc_opts),
			       "ioasid_viommu_alloc_opts");
	if (rc)
		return rc;
	data = IOASID_OPTS_GET(opts, data, NULL);
	len = IOASID_OPTS_GET(opts, data_len, 0);
	if (!data != !len)
		return ioasid_fail(-EINVAL,
				   "viommu data %s with data_len %u: both or neither",
				   data ? "given" : "NULL", len);
	BOUND_CALL(dev, "allocating a vIOMMU", viommu_alloc_data,
		   "vIOMMUs with driver data", dev->dev_id, hwpt_id, type, data,
		   len, viommu_id);
}

/*
 * viommu.c iommufd_hw_queue_alloc_ioctl() checks, before it looks the
 * vIOMMU up: flags and type 0 (EOPNOTSUPP), a length of 0 (EINVAL), a
 * range that wraps (EOVERFLOW).
 */
int ioasid_hw_queue_alloc(struct ioasid_ctx *ctx, uint32_t viommu_id,
			  uint32_t type, uint64_t iova, uint64_t length,
			  const struct ioasid_hw_queue_opts *opts,
			  uint32_t *hw_queue_id)
{
	uint32_t flags, index;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(hw_queue_id);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_hw_queue_opts),
			       "ioasid_hw_queue_opts");
	if (rc)
		return rc;
	flags = IOASID_OPTS_GET(opts, flags, 0);
	index = IOASID_OPTS_GET(opts, index, 0);
	if (flags)
		return ioasid_fail(-EOPNOTSUPP,
				   "hw queue flags 0x%x: none are defined", flags);
	if (!type)
		return ioasid_fail(-EOPNOTSUPP, "hw queue type 0 is reserved");
	if (!length)
		return ioasid_fail(-EINVAL, "hw queue length is 0");
	if (iova + (length - 1) < iova)
		return ioasid_fail(-EOVERFLOW,
				   "hw queue iova 0x%llx + length 0x%llx wraps",
				   (unsigned long long)iova,
				   (unsigned long long)length);
	LOCKED_CALL(ctx, "allocating a HW queue", hw_queue_alloc, "HW queues",
		    viommu_id, type, index, iova, length, hw_queue_id);
}

int ioasid_hw_queue_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "destroying a HW queue", destroy, "IOMMU_DESTROY", id,
		    IOASID_OBJ_HW_QUEUE);
}

int ioasid_ctx_mmap(struct ioasid_ctx *ctx, uint64_t offset, uint64_t length,
		    void **addr)
{
	CHECK_CTX(ctx);
	CHECK_PTR(addr);
	if (!length)
		return ioasid_fail(-EINVAL, "mmap length is 0");
	LOCKED_CALL(ctx, "mapping an MMIO region of the iommufd", ctx_mmap,
		    "mmap of the iommufd", offset, length, addr);
}

int ioasid_ctx_munmap(struct ioasid_ctx *ctx, void *addr, uint64_t length)
{
	CHECK_CTX(ctx);
	CHECK_PTR(addr);
	LOCKED_CALL(ctx, "unmapping an MMIO region of the iommufd", ctx_munmap,
		    "mmap of the iommufd", addr, length);
}
