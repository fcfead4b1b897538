// SPDX-License-Identifier: MIT
/*
 * Inventory: devices, IOMMU groups and their reserved regions, as the
 * backend finds them, device reports finished with the device-class
 * rules and ioasid.conf(5), and the names a device may be given.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "config.h"
#include "core.h"
#include "pasid.h"
#include "resv.h"

static bool is_uuid(const char *s)
{
	static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	size_t i;

	if (strlen(s) != sizeof(pattern) - 1)
		return false;
	for (i = 0; pattern[i]; i++)
		if (pattern[i] == '-' ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/*
 * The forms a device may be named by: a PCI address in either form, an
 * mdev UUID, a VFIO cdev path, or a CONFIG_IOMMUFD_TEST mock device
 * ("mock" followed by anything, which the backend checks further).
 */
static bool name_is_wellformed(const char *name)
{
	char canon[IOASID_NAME_MAX];

	return ioasid_parse_pci_addr(name, canon) == 0 || is_uuid(name) ||
	       !strncmp(name, "/dev/vfio/devices/", 18) ||
	       !strncmp(name, "mock", 4);
}

int ioasid_check_dev_name(const char *name)
{
	if (!name_is_wellformed(name))
		return ioasid_fail(-EINVAL,
				   "device name \"%s\" is not a PCI address (0000:00:03.0), an mdev UUID, a VFIO cdev path or a mock device name",
				   name);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Inventory                                                            */

int ioasid_check_info(const void *info, const char *name)
{
	size_t sz;

	CHECK_PTR(info);
	sz = *(const size_t *)info;
	/* An output struct: the caller's may be older (smaller) than ours,
	 * and we fill only what fits. */
	if (sz < sizeof(size_t))
		return ioasid_fail(-EINVAL, "%s.sz is %zu, not set", name, sz);
	return 0;
}

/* Fill the caller's struct, which may be older and smaller than ours. */
void ioasid_copy_out(void *dst, const void *src, size_t known)
{
	size_t sz = *(size_t *)dst;

	memcpy(dst, src, sz < known ? sz : known);
	*(size_t *)dst = sz;
}

/* The policy on a report: the fields that follow from its class, then the
 * operator's overrides. */
static void dev_report_finish(const struct ioasid_ctx *ctx,
			      struct ioasid_dev_info *info)
{
	ioasid_dev_class_finish(info, info->class_source);
	ioasid_config_apply_dev(ctx->cfg, info);
}

int ioasid_ctx_dev_info_at(struct ioasid_ctx *ctx, uint32_t index,
			   struct ioasid_dev_info *info)
{
	int rc = BE_CALL(ctx, dev_info_at, "device list", index, info);

	if (rc == 0)
		dev_report_finish(ctx, info);
	return rc;
}

int ioasid_ctx_dev_info_get(struct ioasid_ctx *ctx, const char *name,
			    struct ioasid_dev_info *info)
{
	int rc = BE_CALL(ctx, dev_info_get, "device reports", name, info);

	if (rc == 0)
		dev_report_finish(ctx, info);
	return rc;
}

int ioasid_dev_info_at(struct ioasid_ctx *ctx, uint32_t index,
		       struct ioasid_dev_info *info)
{
	struct ioasid_dev_info full = { .sz = sizeof(full) };
	int rc;

	CHECK_CTX(ctx);
	rc = ioasid_check_info(info, "ioasid_dev_info");
	if (rc)
		return rc;
	ioasid_ctx_enter(ctx);
	rc = ioasid_ctx_dev_info_at(ctx, index, &full);
	if (rc == 0)
		ioasid_copy_out(info, &full, IOASID_OPTS_KNOWN(ioasid_dev_info));
	else if (rc == -ENOENT && !ioasid_has_errmsg())
		ioasid_fail(rc, "device index %u is past the last device", index);
	return ioasid_ctx_leave(ctx, rc, "reading device information");
}

int ioasid_dev_info_get(struct ioasid_ctx *ctx, const char *name,
			struct ioasid_dev_info *info)
{
	struct ioasid_dev_info full = { .sz = sizeof(full) };
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(name);
	rc = ioasid_check_info(info, "ioasid_dev_info");
	if (rc)
		return rc;
	rc = ioasid_check_dev_name(name);
	if (rc)
		return rc;
	ioasid_ctx_enter(ctx);
	rc = ioasid_ctx_dev_info_get(ctx, name, &full);
	if (rc == 0)
		ioasid_copy_out(info, &full, IOASID_OPTS_KNOWN(ioasid_dev_info));
	return ioasid_ctx_leave(ctx, rc, "reading device information");
}

int ioasid_group_info_at(struct ioasid_ctx *ctx, uint32_t index,
			 struct ioasid_group_info *info)
{
	struct ioasid_group_info full = { .sz = sizeof(full) };
	int rc;

	CHECK_CTX(ctx);
	rc = ioasid_check_info(info, "ioasid_group_info");
	if (rc)
		return rc;
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, group_info_at, "IOMMU group list", index, &full);
	if (rc == 0)
		ioasid_copy_out(info, &full, IOASID_OPTS_KNOWN(ioasid_group_info));
	else if (rc == -ENOENT && !ioasid_has_errmsg())
		ioasid_fail(rc, "group index %u is past the last group", index);
	return ioasid_ctx_leave(ctx, rc, "reading group information");
}

int ioasid_group_resv_regions(struct ioasid_ctx *ctx, int32_t group,
			      struct ioasid_resv_region *regions,
			      uint32_t *num)
{
	CHECK_CTX(ctx);
	CHECK_PTR(num);
	if (!regions && *num)
		return ioasid_fail(-EINVAL, "regions is NULL but *num is %u",
				   *num);
	LOCKED_CALL(ctx, "reading reserved regions", group_resv_regions,
		    "reserved regions", group, regions, num);
}

const char *ioasid_resv_type_name(enum ioasid_resv_type type)
{
	return resv_type_name(type);
}
