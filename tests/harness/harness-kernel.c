// SPDX-License-Identifier: MIT
/*
 * The harness on the kernel backend (tests/harness/harness.h): /dev/iommu
 * with the kernel's CONFIG_IOMMUFD_TEST mock devices, named as the kernel
 * backend takes them ("mockN", "mockN:pasid,no-dirty"), and the mock's
 * test ops for the checks the public API cannot make
 * (lib/backend/kernel/kernel.h).  Built static for the VM suite.
 */
#include <stdio.h>
#include <string.h>

#include "core.h"
#include "kernel.h"
#include "harness.h"

/* Whether mock devices exist here: binding one fails with -ENOTTY on a
 * kernel without CONFIG_IOMMUFD_TEST.  Asked once per program. */
static int mocks_present(struct hx_why *why)
{
	static int known; /* 0 unknown, 1 yes, 77 no */
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev;
	uint32_t id;
	int rc;

	if (known)
		return known;
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .config = "");
	rc = ioasid_ctx_open(&opts, &ctx);
	if (rc == -ENOENT) {
		snprintf(why->text, sizeof(why->text), "no /dev/iommu: %s",
			 ioasid_errmsg());
		return known = 77;
	}
	if (rc)
		return rc;
	rc = ioasid_dev_open(ctx, "mock0", &dev);
	if (!rc)
		rc = ioasid_dev_bind(dev, &id);
	if (rc == -ENOTTY)
		snprintf(why->text, sizeof(why->text),
			 "no mock devices (CONFIG_IOMMUFD_TEST): %s",
			 ioasid_errmsg());
	ioasid_ctx_close(ctx);
	if (rc == -ENOTTY)
		return known = 77;
	return rc ? rc : (known = 1);
}

static int kernel_open(struct hx *h, const struct hx_test *t,
		       struct hx_why *why)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .config = "");
	int rc = mocks_present(why);

	if (rc != 1)
		return rc;
	for (unsigned int i = 0; i < t->num_devs; i++) {
		uint32_t fl = t->dev_flags[i];

		snprintf(h->name[i], sizeof(h->name[i]), "mock%u%s%s%s%s", i,
			 fl ? ":" : "", fl & HX_DEV_PASID ? "pasid" : "",
			 (fl & HX_DEV_PASID) && (fl & HX_DEV_NO_DIRTY) ? "," : "",
			 fl & HX_DEV_NO_DIRTY ? "no-dirty" : "");
	}
	rc = ioasid_ctx_open(&opts, &h->ctx);
	if (rc)
		snprintf(why->text, sizeof(why->text), "ioasid_ctx_open: %s",
			 ioasid_errmsg());
	return rc;
}

static int kernel_check_map(struct hx *h, uint32_t hwpt, uint64_t iova,
			    uint64_t len, const void *va)
{
	return ioasid_kernel_mock_check_map(h->ctx->be, hwpt, iova, len, va);
}

static int kernel_check_refs(struct hx *h, const void *va, uint64_t len,
			     uint32_t refs)
{
	return ioasid_kernel_mock_check_refs(h->ctx->be, va, len, refs);
}

static int kernel_reserve(struct hx *h, uint32_t ioas, uint64_t start,
			  uint64_t len)
{
	return ioasid_kernel_mock_add_reserved(h->ctx->be, ioas, start, len);
}

const struct hx_backend_ops hx_backend = {
	.id = HX_KERNEL,
	.name = "kernel",
	.open = kernel_open,
	.check_map = kernel_check_map,
	.check_refs = kernel_check_refs,
	.reserve = kernel_reserve,
};
