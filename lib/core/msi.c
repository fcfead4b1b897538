// SPDX-License-Identifier: MIT
/*
 * PowerPC PAMU style MSI banks: the logic layer's checks around the
 * backend ops.  The state (which bank is mapped where, which is enabled)
 * is the backend's; see ioasid_ioas_msi_banks(3).
 */
#include <errno.h>
#include <stdio.h>

#include "core.h"

static int no_banks(struct ioasid_ctx *ctx)
{
	return ioasid_fail(-EOPNOTSUPP,
			   "the %s backend has no PAMU MSI banks",
			   ctx->ops->name);
}

int ioasid_ioas_msi_banks(struct ioasid_ctx *ctx, uint32_t ioas_id,
			  struct ioasid_msi_bank *banks, uint32_t *num)
{
	int rc;

	ioasid_clear_error();
	if (!ctx)
		return ioasid_fail(-EINVAL, "ctx is NULL");
	if (!num)
		return ioasid_fail(-EINVAL, "num is NULL");
	if (!banks && *num)
		return ioasid_fail(-EINVAL, "banks is NULL but *num is %u",
				   *num);
	ioasid_ctx_enter(ctx);
	if (ctx->ops->ioas_msi_banks)
		rc = ctx->ops->ioas_msi_banks(ctx->be, ioas_id, banks, num);
	else
		rc = no_banks(ctx);
	return ioasid_ctx_leave(ctx, rc, "reading the MSI banks");
}

int ioasid_ioas_map_msi_bank(struct ioasid_ctx *ctx, uint32_t ioas_id,
			     uint32_t bank, uint64_t iova)
{
	int rc;

	ioasid_clear_error();
	if (!ctx)
		return ioasid_fail(-EINVAL, "ctx is NULL");
	ioasid_ctx_enter(ctx);
	if (ctx->ops->ioas_map_msi_bank)
		rc = ctx->ops->ioas_map_msi_bank(ctx->be, ioas_id, bank, iova);
	else
		rc = no_banks(ctx);
	return ioasid_ctx_leave(ctx, rc, "mapping the MSI bank");
}

int ioasid_ioas_unmap_msi_bank(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       uint32_t bank)
{
	int rc;

	ioasid_clear_error();
	if (!ctx)
		return ioasid_fail(-EINVAL, "ctx is NULL");
	ioasid_ctx_enter(ctx);
	if (ctx->ops->ioas_unmap_msi_bank)
		rc = ctx->ops->ioas_unmap_msi_bank(ctx->be, ioas_id, bank);
	else
		rc = no_banks(ctx);
	return ioasid_ctx_leave(ctx, rc, "unmapping the MSI bank");
}
