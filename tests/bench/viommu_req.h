/* SPDX-License-Identifier: MIT */
/*
 * The guest requests the virtio-iommu benchmarks send: one request and its
 * status, and MAP/UNMAP of one 4 KiB page in domain 1.
 */
#ifndef IOASID_TESTS_BENCH_VIOMMU_REQ_H
#define IOASID_TESTS_BENCH_VIOMMU_REQ_H

#include <stddef.h>
#include <stdint.h>

#include <ioasid/virtio-iommu.h>

#include "le.h"

#define BENCH_PAGE 4096ull

/* The request's status, or -1 if the device answered no tail. */
static inline int bench_request(struct ioasid_virtio_iommu *v, const uint8_t *req,
				size_t len)
{
	uint8_t tail[4];
	uint32_t used;

	if (ioasid_virtio_iommu_handle_buffers(v, req, len, tail, sizeof(tail),
					 &used) || used != 4)
		return -1;
	return tail[0];
}

static inline int bench_map_page(struct ioasid_virtio_iommu *v, uint64_t iova,
				 uint64_t phys)
{
	uint8_t r[36] = { 3 };

	le32_put(r + 4, 1);
	le64_put(r + 8, iova);
	le64_put(r + 16, iova + BENCH_PAGE - 1);
	le64_put(r + 24, phys);
	le32_put(r + 32, 3);
	return bench_request(v, r, sizeof(r));
}

static inline int bench_unmap_page(struct ioasid_virtio_iommu *v, uint64_t iova)
{
	uint8_t r[28] = { 4 };

	le32_put(r + 4, 1);
	le64_put(r + 8, iova);
	le64_put(r + 16, iova + BENCH_PAGE - 1);
	return bench_request(v, r, sizeof(r));
}

#endif /* IOASID_TESTS_BENCH_VIOMMU_REQ_H */
