// SPDX-License-Identifier: MIT
/*
 * The kernel backend's IOMMU_IOAS_CHANGE_PROCESS (Linux 6.13): a live
 * update's successor takes over the pinned-page accounting of every IOAS
 * of the iommufd.
 */
#include <errno.h>

#include "kernel-internal.h"

int kernel_ioas_change_process(void *be_)
{
	struct kernel_be *be = be_;
	struct iommu_ioas_change_process cmd = { .size = sizeof(cmd) };
	int rc = kernel_ioctl(be->fd, IOMMU_IOAS_CHANGE_PROCESS, &cmd);

	if (rc == -EINVAL)
		/* ioas.c iommufd_ioas_change_process(): an area whose pages
		 * are not IOPT_ADDRESS_FILE; the kernel does not say which. */
		return kernel_fail(be, rc, FEAT(CHANGE_PROCESS), 0,
				   "IOMMU_IOAS_CHANGE_PROCESS: an IOAS of this iommufd has a mapping of process memory (ioasid_ioas_map(), or a copy of one), which cannot change process; only file mappings (ioasid_ioas_map_file()) can");
	if (rc)
		return kernel_fail(be, rc, FEAT(CHANGE_PROCESS), HINT_PIN,
				   "IOMMU_IOAS_CHANGE_PROCESS");
	return 0;
}
