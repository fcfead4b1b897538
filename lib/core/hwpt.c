// SPDX-License-Identifier: MIT
/*
 * Logic layer for nested HWPTs, vIOMMU objects, event and fault queues,
 * and dirty tracking: argument checks that need no state, the context
 * lock, then the backend's ext table (lib/backend/hwpt-ext.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hwpt-ext.h"
#include "core.h"

/* The ext op @op of @ctx's backend, or NULL. */
#define EXT_OP(ctx, op) ((ctx)->ops->ext ? (ctx)->ops->ext->op : NULL)

static int no_op(struct ioasid_ctx *ctx, const char *what)
{
	return ioasid_fail(-EOPNOTSUPP, "the %s backend has no %s",
			   ctx->ops->name, what);
}

int ioasid_hwpt_alloc_nested(struct ioasid_dev *dev, uint32_t pt_id,
			     const struct ioasid_hwpt_nested *nested,
			     uint32_t *hwpt_id)
{
	struct ioasid_hwpt_user_args a = { 0 };
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	CHECK_PTR(nested);
	CHECK_PTR(hwpt_id);
	rc = ioasid_opts_check(nested, IOASID_OPTS_KNOWN(ioasid_hwpt_nested),
			       "ioasid_hwpt_nested");
	if (rc)
		return rc;
	a.flags = IOASID_OPTS_GET(nested, flags, 0);
	a.fault_id = IOASID_OPTS_GET(nested, fault_id, 0);
	a.data_type = IOASID_OPTS_GET(nested, data_type, 0);
	a.data_len = IOASID_OPTS_GET(nested, data_len, 0);
	a.data = IOASID_OPTS_GET(nested, data, NULL);
	if (a.data_len && !a.data)
		return ioasid_fail(-EINVAL, "data is NULL with data_len %u",
				   a.data_len);
	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (!rc)
		rc = EXT_OP(ctx, hwpt_alloc_user)
			     ? ctx->ops->ext->hwpt_alloc_user(ctx->be, dev->dev_id,
							      pt_id, &a, hwpt_id)
			     : no_op(ctx, "nested HWPTs");
	return ioasid_ctx_leave(ctx, rc, "allocating a nested HWPT");
}

int ioasid_hwpt_invalidate(struct ioasid_ctx *ctx, uint32_t id,
			   uint32_t data_type, const void *entries,
			   uint32_t entry_len, uint32_t *entry_num)
{
	uint32_t asked;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(entry_num);
	asked = *entry_num;
	ioasid_ctx_enter(ctx);
	if (!EXT_OP(ctx, hwpt_invalidate)) {
		*entry_num = 0;
		rc = no_op(ctx, "cache invalidation");
	} else {
		rc = ctx->ops->ext->hwpt_invalidate(ctx->be, id, data_type,
						    entries, entry_len,
						    entry_num);
		if (rc && asked && *entry_num < asked) {
			char prev[200];

			snprintf(prev, sizeof(prev), "%s", ioasid_errmsg());
			rc = ioasid_fail(rc,
					 "invalidation of %u stopped at entry %u of %u (%u handled)%s%s",
					 id, *entry_num, asked, *entry_num,
					 prev[0] ? ": " : "", prev);
		}
	}
	return ioasid_ctx_leave(ctx, rc, "invalidating caches");
}

int ioasid_viommu_obj_alloc(struct ioasid_dev *dev, uint32_t hwpt_id,
			uint32_t type, uint32_t *viommu_id)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	CHECK_PTR(viommu_id);
	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (!rc)
		rc = EXT_OP(ctx, viommu_alloc)
			     ? ctx->ops->ext->viommu_alloc(ctx->be, dev->dev_id,
							   hwpt_id, type,
							   viommu_id)
			     : no_op(ctx, "vIOMMUs");
	return ioasid_ctx_leave(ctx, rc, "allocating a vIOMMU");
}

int ioasid_vdevice_alloc(struct ioasid_dev *dev, uint32_t viommu_id,
			 uint64_t virt_id, uint32_t *vdevice_id)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	CHECK_PTR(vdevice_id);
	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (!rc)
		rc = EXT_OP(ctx, vdevice_alloc)
			     ? ctx->ops->ext->vdevice_alloc(ctx->be, viommu_id,
							    dev->dev_id, virt_id,
							    vdevice_id)
			     : no_op(ctx, "vDEVICEs");
	return ioasid_ctx_leave(ctx, rc, "allocating a vDEVICE");
}

int ioasid_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu_id,
			 uint32_t type, uint32_t depth, uint32_t *veventq_id,
			 int *fd)
{
	int rc, dummy;

	CHECK_CTX(ctx);
	CHECK_PTR(veventq_id);
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, veventq_alloc)
		     ? ctx->ops->ext->veventq_alloc(ctx->be, viommu_id, type,
						    depth, veventq_id,
						    fd ? fd : &dummy)
		     : no_op(ctx, "vEVENTQs");
	return ioasid_ctx_leave(ctx, rc, "allocating a vEVENTQ");
}

int ioasid_veventq_read(struct ioasid_ctx *ctx, uint32_t veventq_id,
			struct ioasid_vevent *events, uint32_t *num)
{
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(num);
	if (*num && !events)
		return ioasid_fail(-EINVAL, "events is NULL");
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, veventq_read)
		     ? ctx->ops->ext->veventq_read(ctx->be, veventq_id, events,
						   num)
		     : no_op(ctx, "vEVENTQs");
	return ioasid_ctx_leave(ctx, rc, "reading a vEVENTQ");
}

int ioasid_fault_queue_alloc(struct ioasid_ctx *ctx, uint32_t *fault_id,
			     int *fd)
{
	int rc, dummy;

	CHECK_CTX(ctx);
	CHECK_PTR(fault_id);
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, fault_alloc)
		     ? ctx->ops->ext->fault_alloc(ctx->be, fault_id,
						  fd ? fd : &dummy)
		     : no_op(ctx, "fault queues");
	return ioasid_ctx_leave(ctx, rc, "allocating a fault queue");
}

int ioasid_fault_read(struct ioasid_ctx *ctx, uint32_t fault_id,
		      struct ioasid_fault *faults, uint32_t *num)
{
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(num);
	if (*num && !faults)
		return ioasid_fail(-EINVAL, "faults is NULL");
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, fault_read)
		     ? ctx->ops->ext->fault_read(ctx->be, fault_id, faults, num)
		     : no_op(ctx, "fault queues");
	return ioasid_ctx_leave(ctx, rc, "reading a fault queue");
}

int ioasid_fault_respond(struct ioasid_ctx *ctx, uint32_t fault_id,
			 const struct ioasid_fault_response *resp,
			 uint32_t *num)
{
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(num);
	if (*num && !resp)
		return ioasid_fail(-EINVAL, "resp is NULL");
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, fault_respond)
		     ? ctx->ops->ext->fault_respond(ctx->be, fault_id, resp, num)
		     : no_op(ctx, "fault queues");
	return ioasid_ctx_leave(ctx, rc, "answering faults");
}

int ioasid_hwpt_set_dirty_tracking(struct ioasid_ctx *ctx, uint32_t hwpt_id,
				   bool enable)
{
	int rc;

	CHECK_CTX(ctx);
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, set_dirty_tracking)
		     ? ctx->ops->ext->set_dirty_tracking(ctx->be, hwpt_id, enable)
		     : no_op(ctx, "dirty tracking");
	return ioasid_ctx_leave(ctx, rc, "setting dirty tracking");
}

int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ctx *ctx, uint32_t hwpt_id,
				 uint64_t iova, uint64_t length,
				 uint64_t page_size, uint64_t *bitmap,
				 uint32_t flags)
{
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(bitmap);
	if (flags & ~IOASID_DIRTY_NO_CLEAR)
		return ioasid_fail(-EOPNOTSUPP, "unknown dirty bitmap flags %#x",
				   flags & ~IOASID_DIRTY_NO_CLEAR);
	if (page_size & (page_size - 1))
		return ioasid_fail(-EINVAL, "page_size 0x%llx is not a power of two",
				   (unsigned long long)page_size);
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, get_dirty_bitmap)
		     ? ctx->ops->ext->get_dirty_bitmap(ctx->be, hwpt_id, iova,
						       length, page_size,
						       bitmap, flags)
		     : no_op(ctx, "dirty tracking");
	return ioasid_ctx_leave(ctx, rc, "reading the dirty bitmap");
}

static int ext_destroy(struct ioasid_ctx *ctx, uint32_t id,
		       enum ioasid_ext_obj type, const char *what)
{
	int rc;

	CHECK_CTX(ctx);
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, destroy) ? ctx->ops->ext->destroy(ctx->be, id, type)
				  : no_op(ctx, what);
	return ioasid_ctx_leave(ctx, rc, what);
}

int ioasid_viommu_obj_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return ext_destroy(ctx, id, IOASID_EXT_VIOMMU, "destroying a vIOMMU");
}

int ioasid_vdevice_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return ext_destroy(ctx, id, IOASID_EXT_VDEVICE, "destroying a vDEVICE");
}

int ioasid_veventq_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return ext_destroy(ctx, id, IOASID_EXT_VEVENTQ, "destroying a vEVENTQ");
}

int ioasid_fault_queue_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return ext_destroy(ctx, id, IOASID_EXT_FAULT,
			   "destroying a fault queue");
}

int ioasid_test_dirty(struct ioasid_ctx *ctx, uint32_t hwpt_id, uint64_t iova,
		      uint64_t length, uint64_t page_size,
		      const uint64_t *bitmap, uint64_t *nr_dirty)
{
	uint64_t nr = 0;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(bitmap);
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, test_dirty)
		     ? ctx->ops->ext->test_dirty(ctx->be, hwpt_id, iova, length,
						 page_size, bitmap, &nr)
		     : no_op(ctx, "dirty test hook");
	if (!rc && nr_dirty)
		*nr_dirty = nr;
	return ioasid_ctx_leave(ctx, rc, "marking pages dirty");
}

int ioasid_test_iopf(struct ioasid_dev *dev, uint32_t pasid, uint32_t grpid,
		     uint32_t perm, uint64_t addr)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (!rc)
		rc = EXT_OP(ctx, test_iopf)
			     ? ctx->ops->ext->test_iopf(ctx->be, dev->dev_id,
							pasid, grpid, perm, addr)
			     : no_op(ctx, "fault test hook");
	return ioasid_ctx_leave(ctx, rc, "raising a page fault");
}

int ioasid_test_vevent(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (!rc)
		rc = EXT_OP(ctx, test_vevent)
			     ? ctx->ops->ext->test_vevent(ctx->be, dev->dev_id)
			     : no_op(ctx, "vEVENT test hook");
	return ioasid_ctx_leave(ctx, rc, "raising a vIOMMU event");
}

int ioasid_test_check_iotlb(struct ioasid_ctx *ctx, uint32_t hwpt_id,
			    uint32_t index, uint32_t value)
{
	int rc;

	CHECK_CTX(ctx);
	ioasid_ctx_enter(ctx);
	rc = EXT_OP(ctx, test_check_iotlb)
		     ? ctx->ops->ext->test_check_iotlb(ctx->be, hwpt_id, index,
						       value)
		     : no_op(ctx, "IOTLB test hook");
	return ioasid_ctx_leave(ctx, rc, "checking a mock IOTLB");
}

/* ------------------------------------------------------------------ */
/* HWPT                                                                 */

int ioasid_hwpt_alloc(struct ioasid_dev *dev, uint32_t ioas_id,
		      const struct ioasid_hwpt_alloc_opts *opts,
		      uint32_t *hwpt_id)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	CHECK_PTR(hwpt_id);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_hwpt_alloc_opts),
			       "ioasid_hwpt_alloc_opts");
	if (rc)
		return rc;
	ctx = dev->ctx;
	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (rc)
		goto out;
	rc = ctx->ops->hwpt_alloc(ctx->be, dev->dev_id, ioas_id,
				  IOASID_OPTS_GET(opts, flags, 0), hwpt_id);
out:
	return ioasid_ctx_leave(ctx, rc, "allocating a HWPT");
}

int ioasid_hwpt_destroy(struct ioasid_ctx *ctx, uint32_t hwpt_id)
{
	int rc;

	CHECK_CTX(ctx);
	ioasid_ctx_enter(ctx);
	rc = ctx->ops->destroy(ctx->be, hwpt_id, IOASID_OBJ_HWPT);
	return ioasid_ctx_leave(ctx, rc, "destroying a HWPT");
}
