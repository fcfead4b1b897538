// SPDX-License-Identifier: MIT
/*
 * Peer-to-peer DMA: a dma-buf of a device's BAR (vfio-pci's exporter,
 * VFIO_DEVICE_FEATURE_DMA_BUF), for ioasid_ioas_map_file().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <unistd.h>

#include "core.h"

/* Checked here so that every backend words them alike; the kernel's
 * exporter wants page-aligned slices of a BAR it has. */
int ioasid_dev_dma_buf(struct ioasid_dev *dev, uint32_t region_index,
		       uint64_t offset, uint64_t length,
		       const struct ioasid_dma_buf_opts *opts, int *fd)
{
	uint64_t page = (uint64_t)sysconf(_SC_PAGESIZE);
	char what[IOASID_NAME_MAX + 64];
	uint32_t flags;
	int rc;

	CHECK_DEV(dev);
	CHECK_PTR(fd);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_dma_buf_opts),
			       "ioasid_dma_buf_opts");
	if (rc)
		return rc;
	flags = IOASID_OPTS_GET(opts, flags, 0);
	if (flags)
		return ioasid_fail(-EOPNOTSUPP,
				   "dma-buf flags 0x%x: none are defined", flags);
	if (!length)
		return ioasid_fail(-EINVAL, "dma-buf of region %u of %s: length 0",
				   region_index, dev->name);
	if (offset + length < offset)
		return ioasid_fail(-EOVERFLOW,
				   "dma-buf of region %u of %s: offset 0x%" PRIx64
				   " + length 0x%" PRIx64 " wraps",
				   region_index, dev->name, offset, length);
	if ((offset | length) & (page - 1))
		return ioasid_fail(-EINVAL,
				   "dma-buf of region %u of %s: offset 0x%" PRIx64
				   " and length 0x%" PRIx64
				   " must be multiples of the page size 0x%" PRIx64,
				   region_index, dev->name, offset, length, page);
	snprintf(what, sizeof(what), "a dma-buf of a region of %s", dev->name);
	BOUND_CALL(dev, "exporting a device region as a dma-buf", dev_dma_buf,
		   what, dev->bdev, region_index, offset, length, fd);
}
