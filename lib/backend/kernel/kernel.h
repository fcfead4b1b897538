/* SPDX-License-Identifier: MIT */
/*
 * Calls of the kernel backend beyond struct ioasid_backend_ops, for the
 * logic layer to expose.  Plain integer types only, so that callers need
 * no Linux uAPI headers.  @be is the handle ioasid_kernel_open() returned
 * (check ioasid_kernel_backend_is() first), @bdev a device handle of its
 * dev_open().  All return 0 or a negative errno and set a message.
 */
#ifndef IOASID_LIB_KERNEL_H
#define IOASID_LIB_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "backend.h"

/* Whether @ops is the kernel backend's table. */
bool ioasid_kernel_backend_is(const struct ioasid_backend_ops *ops);

/* A kernel backend without an iommufd (ioasid_ctx_opts.inspect_only):
 * sysfs inventory and host drivers only; the rest fails with -EBADF. */
int ioasid_kernel_open_inspect(const struct ioasid_backend_ops **ops,
			       void **be);

/* The VFIO device fd of an open device (-1 for mock devices), for BAR
 * access, interrupts and region queries; the backend keeps owning it. */
int ioasid_kernel_dev_fd(void *bdev);

/*
 * Mock devices (CONFIG_IOMMUFD_TEST).  A device named "mock" or "mockN",
 * optionally followed by ":FLAG[,FLAG]" with FLAG "pasid" or "no-dirty",
 * is a mock device: dev_bind creates it with IOMMU_TEST_OP_MOCK_DOMAIN
 * attached to a private IOAS the backend keeps for this, dev_attach (and
 * replace) use IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE, dev_detach replaces back
 * to the private IOAS, dev_close destroys the mock device object.
 */

/* The mock device's selftest object id (0 if @bdev is not a bound mock
 * device), which the PASID test ops take. */
uint32_t ioasid_kernel_mock_stdev_id(void *bdev);

/* IOMMU_TEST_OP_ADD_RESERVED: reserve [start, start+length-1] in an
 * IOAS, like a device's reserved region. */
int ioasid_kernel_mock_add_reserved(void *be, uint32_t ioas_id,
				    uint64_t start, uint64_t length);
/* IOMMU_TEST_OP_MD_CHECK_MAP: whether mock HWPT @hwpt_id maps
 * [iova, iova+length) to the memory at @va (-EINVAL if not). */
int ioasid_kernel_mock_check_map(void *be, uint32_t hwpt_id, uint64_t iova,
				 uint64_t length, const void *va);
/* IOMMU_TEST_OP_MD_CHECK_REFS: whether every page of [va, va+length)
 * has @refs pin references (-EIO if not; -EINVAL for an unaligned
 * range). */
int ioasid_kernel_mock_check_refs(void *be, const void *va, uint64_t length,
				  uint32_t refs);

/* IOMMU_TEST_OP_PASID_CHECK_HWPT: whether PASID @pasid of mock device
 * @bdev is attached to @hwpt_id (0: not attached); -EINVAL if not. */
int ioasid_kernel_mock_pasid_check(void *be, void *bdev, uint32_t pasid,
				   uint32_t hwpt_id);

#endif /* IOASID_LIB_KERNEL_H */
