// SPDX-License-Identifier: MIT
/*
 * Live update: IOMMU_IOAS_CHANGE_PROCESS, the pinned-page accounting of
 * every IOAS of a context moved to the calling process.
 */
#include <errno.h>

#include "core.h"

/*
 * ioas.c iommufd_ioas_change_process() checks its reserved field before
 * it takes the IOASes (-EOPNOTSUPP); everything after (the mappings, the
 * charge) is the backend's.
 */
int ioasid_ioas_change_process(struct ioasid_ctx *ctx,
			       const struct ioasid_change_process_opts *opts)
{
	uint32_t flags;
	int rc;

	CHECK_CTX(ctx);
	rc = ioasid_opts_check(opts,
			       IOASID_OPTS_KNOWN(ioasid_change_process_opts),
			       "ioasid_change_process_opts");
	if (rc)
		return rc;
	flags = IOASID_OPTS_GET(opts, flags, 0);
	if (flags)
		return ioasid_fail(-EOPNOTSUPP,
				   "change_process flags 0x%x: none are defined",
				   flags);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, ioas_change_process, "IOMMU_IOAS_CHANGE_PROCESS");
	return ioasid_ctx_leave(ctx, rc,
				"moving the pinned-page accounting to this process");
}
