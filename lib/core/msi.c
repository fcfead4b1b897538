// SPDX-License-Identifier: MIT
/*
 * PowerPC PAMU style MSI banks: the logic layer's checks around the
 * backend ops.  The state (which bank is mapped where, which is enabled)
 * is the backend's; see ioasid_ioas_msi_banks(3).
 */
#include "core.h"

int ioasid_ioas_msi_banks(struct ioasid_ctx *ctx, uint32_t ioas_id,
			  struct ioasid_msi_bank *banks, uint32_t *num)
{
	CHECK_CTX(ctx);
	CHECK_PTR(num);
	if (!banks && *num)
		return ioasid_fail(-EINVAL, "banks is NULL but *num is %u",
				   *num);
	LOCKED_CALL(ctx, "reading the MSI banks", ioas_msi_banks,
		    "PAMU MSI banks", ioas_id, banks, num);
}

int ioasid_ioas_map_msi_bank(struct ioasid_ctx *ctx, uint32_t ioas_id,
			     uint32_t bank, uint64_t iova)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "mapping the MSI bank", ioas_map_msi_bank,
		    "PAMU MSI banks", ioas_id, bank, iova);
}

int ioasid_ioas_unmap_msi_bank(struct ioasid_ctx *ctx, uint32_t ioas_id,
			       uint32_t bank)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "unmapping the MSI bank", ioas_unmap_msi_bank,
		    "PAMU MSI banks", ioas_id, bank);
}
