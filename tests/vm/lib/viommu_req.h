/* SPDX-License-Identifier: MIT */
/*
 * virtio-iommu requests as a guest driver writes them (virtio 1.3
 * section 5.13.6), for the VM tests of the device model (viommu_shadow.c,
 * viommu_nested.c).  Header only.
 *
 * The including test defines how a request reaches the device:
 *     static int submit(struct ioasid_virtio_iommu *v, const uint8_t *req,
 *                       size_t len);
 * returning the status byte of the reply (viommu_shadow.c splits each
 * request over two buffers, viommu_nested.c hands over one).
 */
#ifndef IOASID_VMTEST_VIOMMU_REQ_H
#define IOASID_VMTEST_VIOMMU_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <ioasid/virtio-iommu.h>

#include "le.h"

/* Request types, status values and MAP flags. */
#define T_ATTACH 1
#define T_DETACH 2
#define T_MAP 3
#define T_UNMAP 4
#define S_OK 0
#define S_FAULT 7
#define MAP_READ 1u
#define MAP_WRITE 2u
#define MAP_MMIO 4u

static int submit(struct ioasid_virtio_iommu *v, const uint8_t *req, size_t len);

static inline int attach(struct ioasid_virtio_iommu *v, uint32_t domain, uint32_t ep)
{
	uint8_t req[20] = { T_ATTACH };

	le32_put(req + 4, domain);
	le32_put(req + 8, ep);
	return submit(v, req, sizeof(req));
}

static inline int detach(struct ioasid_virtio_iommu *v, uint32_t domain, uint32_t ep)
{
	uint8_t req[20] = { T_DETACH };

	le32_put(req + 4, domain);
	le32_put(req + 8, ep);
	return submit(v, req, sizeof(req));
}

/* [@iova, @iova + @len) -> @gpa */
static inline int map(struct ioasid_virtio_iommu *v, uint32_t domain, uint64_t iova,
		      uint64_t len, uint64_t gpa, uint32_t flags)
{
	uint8_t req[36] = { T_MAP };

	le32_put(req + 4, domain);
	le64_put(req + 8, iova);
	le64_put(req + 16, iova + len - 1);
	le64_put(req + 24, gpa);
	le32_put(req + 32, flags);
	return submit(v, req, sizeof(req));
}

static inline int unmap(struct ioasid_virtio_iommu *v, uint32_t domain,
			uint64_t iova, uint64_t len)
{
	uint8_t req[28] = { T_UNMAP };

	le32_put(req + 4, domain);
	le64_put(req + 8, iova);
	le64_put(req + 16, iova + len - 1);
	return submit(v, req, sizeof(req));
}

#endif /* IOASID_VMTEST_VIOMMU_REQ_H */
