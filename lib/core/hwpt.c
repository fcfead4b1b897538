// SPDX-License-Identifier: MIT
/*
 * HWPTs (paging and nested), cache invalidation, vIOMMU objects, event and
 * fault queues, dirty tracking and the test hooks: argument checks that
 * need no state, the context lock, then the backend.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

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
		rc = BE_CALL(ctx, hwpt_alloc_user, "nested HWPTs", dev->dev_id,
			     pt_id, &a, hwpt_id);
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
	if (!ctx->ops->hwpt_invalidate) {
		*entry_num = 0;
		rc = ioasid_ctx_no_op(ctx, "cache invalidation");
	} else {
		rc = ctx->ops->hwpt_invalidate(ctx->be, id, data_type, entries,
					       entry_len, entry_num);
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

int ioasid_viommu_alloc(struct ioasid_dev *dev, uint32_t hwpt_id,
			uint32_t type, uint32_t *viommu_id)
{
	CHECK_DEV(dev);
	CHECK_PTR(viommu_id);
	BOUND_CALL(dev, "allocating a vIOMMU", viommu_alloc, "vIOMMUs",
		   dev->dev_id, hwpt_id, type, viommu_id);
}

int ioasid_vdevice_alloc(struct ioasid_dev *dev, uint32_t viommu_id,
			 uint64_t virt_id, uint32_t *vdevice_id)
{
	CHECK_DEV(dev);
	CHECK_PTR(vdevice_id);
	BOUND_CALL(dev, "allocating a vDEVICE", vdevice_alloc, "vDEVICEs",
		   viommu_id, dev->dev_id, virt_id, vdevice_id);
}

int ioasid_veventq_alloc(struct ioasid_ctx *ctx, uint32_t viommu_id,
			 uint32_t type, uint32_t depth, uint32_t *veventq_id,
			 int *fd)
{
	int dummy;

	CHECK_CTX(ctx);
	CHECK_PTR(veventq_id);
	LOCKED_CALL(ctx, "allocating a vEVENTQ", veventq_alloc, "vEVENTQs",
		    viommu_id, type, depth, veventq_id, fd ? fd : &dummy);
}

int ioasid_veventq_read(struct ioasid_ctx *ctx, uint32_t veventq_id,
			struct ioasid_vevent *events, uint32_t *num)
{
	CHECK_CTX(ctx);
	CHECK_ARRAY(events, num);
	LOCKED_CALL(ctx, "reading a vEVENTQ", veventq_read, "vEVENTQs",
		    veventq_id, events, num);
}

int ioasid_fault_queue_alloc(struct ioasid_ctx *ctx, uint32_t *fault_id,
			     int *fd)
{
	int dummy;

	CHECK_CTX(ctx);
	CHECK_PTR(fault_id);
	LOCKED_CALL(ctx, "allocating a fault queue", fault_alloc,
		    "fault queues", fault_id, fd ? fd : &dummy);
}

int ioasid_fault_read(struct ioasid_ctx *ctx, uint32_t fault_id,
		      struct ioasid_fault *faults, uint32_t *num)
{
	CHECK_CTX(ctx);
	CHECK_ARRAY(faults, num);
	LOCKED_CALL(ctx, "reading a fault queue", fault_read, "fault queues",
		    fault_id, faults, num);
}

int ioasid_fault_respond(struct ioasid_ctx *ctx, uint32_t fault_id,
			 const struct ioasid_fault_response *resp,
			 uint32_t *num)
{
	CHECK_CTX(ctx);
	CHECK_ARRAY(resp, num);
	LOCKED_CALL(ctx, "answering faults", fault_respond, "fault queues",
		    fault_id, resp, num);
}

int ioasid_hwpt_set_dirty_tracking(struct ioasid_ctx *ctx, uint32_t hwpt_id,
				   bool enable)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "setting dirty tracking", set_dirty_tracking,
		    "dirty tracking", hwpt_id, enable);
}

int ioasid_hwpt_get_dirty_bitmap(struct ioasid_ctx *ctx, uint32_t hwpt_id,
				 uint64_t iova, uint64_t length,
				 uint64_t page_size, uint32_t flags,
				 uint64_t *bitmap)
{
	CHECK_CTX(ctx);
	CHECK_PTR(bitmap);
	if (flags & ~IOASID_DIRTY_NO_CLEAR)
		return ioasid_fail(-EOPNOTSUPP, "unknown dirty bitmap flags %#x",
				   flags & ~IOASID_DIRTY_NO_CLEAR);
	LOCKED_CALL(ctx, "reading the dirty bitmap", get_dirty_bitmap,
		    "dirty tracking", hwpt_id, iova, length, page_size, bitmap,
		    flags);
}

static int obj_destroy(struct ioasid_ctx *ctx, uint32_t id,
		       enum ioasid_obj_type type, const char *what)
{
	int rc;

	CHECK_CTX(ctx);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, destroy, "IOMMU_DESTROY", id, type);
	return ioasid_ctx_leave(ctx, rc, what);
}

int ioasid_viommu_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy(ctx, id, IOASID_OBJ_VIOMMU, "destroying a vIOMMU");
}

int ioasid_vdevice_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy(ctx, id, IOASID_OBJ_VDEVICE, "destroying a vDEVICE");
}

int ioasid_veventq_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy(ctx, id, IOASID_OBJ_VEVENTQ, "destroying a vEVENTQ");
}

int ioasid_fault_queue_destroy(struct ioasid_ctx *ctx, uint32_t id)
{
	return obj_destroy(ctx, id, IOASID_OBJ_FAULT,
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
	rc = BE_CALL(ctx, test_dirty, "dirty test hook", hwpt_id, iova, length,
		     page_size, bitmap, &nr);
	if (!rc && nr_dirty)
		*nr_dirty = nr;
	return ioasid_ctx_leave(ctx, rc, "marking pages dirty");
}

int ioasid_test_iopf(struct ioasid_dev *dev, uint32_t pasid, uint32_t grpid,
		     uint32_t perm, uint64_t addr)
{
	CHECK_DEV(dev);
	BOUND_CALL(dev, "raising a page fault", test_iopf, "fault test hook",
		   dev->dev_id, pasid, grpid, perm, addr);
}

int ioasid_test_vevent(struct ioasid_dev *dev)
{
	CHECK_DEV(dev);
	BOUND_CALL(dev, "raising a vIOMMU event", test_vevent,
		   "vEVENT test hook", dev->dev_id);
}

int ioasid_test_check_iotlb(struct ioasid_ctx *ctx, uint32_t hwpt_id,
			    uint32_t index, uint32_t value)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "checking a mock IOTLB", test_check_iotlb,
		    "IOTLB test hook", hwpt_id, index, value);
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
	rc = BE_CALL(ctx, hwpt_alloc, "HWPTs", dev->dev_id, ioas_id,
		     IOASID_OPTS_GET(opts, flags, 0), hwpt_id);
out:
	return ioasid_ctx_leave(ctx, rc, "allocating a HWPT");
}

int ioasid_hwpt_destroy(struct ioasid_ctx *ctx, uint32_t hwpt_id)
{
	CHECK_CTX(ctx);
	LOCKED_CALL(ctx, "destroying a HWPT", destroy, "IOMMU_DESTROY", hwpt_id,
		    IOASID_OBJ_HWPT);
}
