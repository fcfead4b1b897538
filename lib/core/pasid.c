// SPDX-License-Identifier: MIT
/*
 * PASID attach by device class: the public ioasid_dev_*_pasid() calls,
 * their argument checks and backend calls.  What a class allows and the
 * allocator are lib/model's (dev_class.c, pasid_alloc.c), the records the
 * backends keep too (pasid_records.c).
 *
 * Where the state lives: the backend keeps each device's PASID
 * attachments (it must anyway, to model or drive the kernel), tagged
 * with the guest's vPASID, so they die with the device handle and the
 * context exactly as the kernel's do.  This file keeps no state of its
 * own: the allocator derives the PASIDs in use from those records, per
 * context (pasid_alloc.c says why).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "model.h"

static int pasid_dev_get(struct ioasid_dev *dev, struct pasid_dev *pd)
{
	struct ioasid_ctx *ctx = dev->ctx;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_hw_info hw = { .sz = sizeof(hw) };
	uint32_t len = 0;
	bool iommu_known;
	int rc;

	rc = ioasid_ctx_dev_info_get(ctx, dev->name, &info);
	if (rc)
		return rc;
	pd->cls = info.dev_class;
	pd->fixed = info.fixed_pasid;
	/* A backend without IOMMU_GET_HW_INFO leaves the device's width. */
	iommu_known = dev->bound && info.kind != IOASID_DEV_MDEV &&
		      ctx->ops->hw_info &&
		      ctx->ops->hw_info(ctx->be, dev->dev_id, &hw, NULL, &len) == 0;
	pd->width = pasid_usable_width(info.pasid_width, iommu_known,
				       hw.max_pasid_log2);
	return 0;
}

/* The attachments of @dev, in a malloc'ed array (*@out, *@n).  Class 2
 * devices attach through their RID, so their one entry comes from the
 * device's attachment. */
static int pasid_list(struct ioasid_dev *dev, const struct pasid_dev *pd,
		      struct ioasid_pasid_entry **out, uint32_t *n)
{
	struct ioasid_ctx *ctx = dev->ctx;
	uint32_t num = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (pd->cls == IOASID_CLASS_MDEV_FIXED_PASID) {
		if (!dev->pt_id)
			return 0;
		*out = calloc(1, sizeof(**out));
		if (!*out)
			return ioasid_fail(-ENOMEM, "out of memory");
		(*out)->ppasid = pd->fixed;
		(*out)->pt_id = dev->pt_id;
		(*out)->hwpt_id = dev->hwpt_id;
		*n = 1;
		return 0;
	}
	if (pd->cls < IOASID_CLASS_PASID_PASSTHROUGH || !dev->bound)
		return 0;
	for (;;) {
		rc = BE_CALL(ctx, dev_pasid_list, "PASID attachments", dev->bdev,
			     *out, &num);
		if (rc != -EMSGSIZE)
			break;
		free(*out);
		*out = calloc(num, sizeof(**out));
		if (!*out)
			return ioasid_fail(-ENOMEM, "out of memory");
	}
	if (rc) {
		free(*out);
		*out = NULL;
		return rc;
	}
	*n = num;
	return 0;
}

/*
 * The PASIDs in use in @self's context that a global use conflicts with
 * (pasid_conflicting_uses()), device by device in the context's order,
 * until the question is answered: who holds @want, or (@alloc) whether
 * any PASID below 2^@width is left.  A device that fails to report ends
 * the walk with its error only if it is reached.
 */
static int pasid_uses_get(struct ioasid_dev *self, bool alloc, uint32_t want,
			  uint8_t width, struct pasid_uses *u)
{
	for (struct ioasid_dev *d = self->ctx->devs; d; d = d->next) {
		struct ioasid_pasid_entry *e = NULL;
		struct pasid_dev pd;
		uint32_t n = 0;
		int rc;

		rc = pasid_dev_get(d, &pd);
		if (rc)
			return rc;
		switch (pasid_conflicting_uses(&pd, d == self)) {
		case PASID_USES_NONE:
			continue;
		case PASID_USES_FIXED:
			rc = pasid_uses_add(u, pd.fixed, 0, d, d->name);
			break;
		case PASID_USES_ALL:
			rc = pasid_list(d, &pd, &e, &n);
			for (uint32_t i = 0; !rc && i < n; i++)
				rc = pasid_uses_add(u, e[i].ppasid, e[i].vpasid,
						    d, d->name);
			free(e);
			break;
		}
		if (rc)
			return rc;
		if (alloc ? !pasid_lowest_free(u, width) :
			    pasid_uses_find(u, want) != NULL)
			break;
	}
	return 0;
}

static int find_vpasid(struct ioasid_dev *dev, const struct pasid_dev *pd,
		       uint32_t vpasid, struct ioasid_pasid_entry *found)
{
	struct ioasid_pasid_entry *e;
	uint32_t n;
	int rc = pasid_list(dev, pd, &e, &n);

	if (rc)
		return rc;
	rc = -ENOENT;
	for (uint32_t i = 0; i < n; i++)
		if (e[i].vpasid == vpasid) {
			*found = e[i];
			rc = 0;
			break;
		}
	free(e);
	return rc;
}

/* Check the caller's @a (not NULL): sz, unknown bytes and flags. */
static int check_attach_arg(const struct ioasid_pasid_attach *a)
{
	size_t sz = a->sz;

	if (sz < offsetof(struct ioasid_pasid_attach, ppasid) + sizeof(a->ppasid))
		return ioasid_fail(-EINVAL,
				   "ioasid_pasid_attach.sz is %zu: too small (use IOASID_OPTS())",
				   sz);
	if (ioasid_opts_check(a, IOASID_OPTS_KNOWN(ioasid_pasid_attach),
			      "ioasid_pasid_attach"))
		return -EINVAL;
	if (a->flags & ~IOASID_PASID_FIXED)
		return ioasid_fail(-EINVAL,
				   "ioasid_pasid_attach.flags 0x%x: bits 0x%x are unknown",
				   a->flags, a->flags & ~IOASID_PASID_FIXED);
	return 0;
}

/* Fill the outputs the caller's struct has room for. */
static void attach_out(struct ioasid_pasid_attach *a, uint32_t ppasid,
		       uint32_t hwpt_id, enum ioasid_pasid_action action)
{
	a->ppasid = ppasid;
	if (a->sz >= offsetof(struct ioasid_pasid_attach, hwpt_id) + sizeof(a->hwpt_id))
		a->hwpt_id = hwpt_id;
	if (a->sz >= offsetof(struct ioasid_pasid_attach, action) + sizeof(a->action))
		a->action = action;
	if (a->sz >= offsetof(struct ioasid_pasid_attach, translated) + sizeof(a->translated))
		a->translated = ppasid != a->vpasid;
}

/* Class 2: the fixed PASID follows the device's own attachment
 * (pasid_check_fixed()). */
static int attach_fixed(struct ioasid_dev *dev, const struct pasid_dev *pd,
			uint32_t pt_id, struct ioasid_pasid_attach *a,
			bool replace)
{
	struct ioasid_ctx *ctx = dev->ctx;
	uint32_t hwpt = 0;
	int rc;

	rc = pasid_check_fixed(dev->name, pd, a, dev->pt_id, replace);
	if (rc)
		return rc;
	if (!replace) {
		struct pasid_uses uses = { 0 };

		rc = pasid_uses_get(dev, false, pd->fixed, pd->width, &uses);
		if (!rc)
			rc = pasid_check_holder(dev->name, pd, pd->fixed,
						pasid_uses_find(&uses, pd->fixed),
						dev);
		pasid_uses_free(&uses);
		if (rc)
			return rc;
	}
	rc = BE_CALL(ctx, dev_attach, "device attachment", dev->bdev, pt_id,
		     &hwpt);
	if (rc)
		return rc;
	dev->pt_id = pt_id;
	dev->hwpt_id = hwpt;
	attach_out(a, pd->fixed, hwpt, IOASID_PASID_PROGRAM_NOTHING);
	return 0;
}

static int pasid_attach_common(struct ioasid_dev *dev, uint32_t pt_id,
			       struct ioasid_pasid_attach *a, bool replace)
{
	struct ioasid_ctx *ctx = dev->ctx;
	struct ioasid_pasid_entry cur;
	struct pasid_dev pd;
	uint32_t pasid = 0, hwpt = 0;
	int rc;

	rc = ioasid_dev_need_bound(dev);
	if (rc)
		return rc;
	rc = pasid_dev_get(dev, &pd);
	if (rc)
		return rc;
	if (pd.cls <= IOASID_CLASS_MDEV_NO_PASID)
		return dev_class_refuse_pasid(dev->name, &pd);
	if (pd.cls == IOASID_CLASS_MDEV_FIXED_PASID)
		return attach_fixed(dev, &pd, pt_id, a, replace);
	rc = pasid_check_vpasid(dev->name, &pd, a->vpasid);
	if (rc)
		return rc;
	rc = find_vpasid(dev, &pd, a->vpasid, &cur);
	if (rc && rc != -ENOENT)
		return rc;
	rc = pasid_choose(dev->name, &pd, a, rc ? NULL : &cur, replace, &pasid);
	if (rc)
		return rc;
	if (!replace) {
		/* A global PASID must be free in the whole context; the
		 * guest's own (class 3) only on this device. */
		struct pasid_uses uses = { 0 };

		rc = pasid_uses_get(dev, !pasid, pasid, pd.width, &uses);
		if (!rc && !pasid)
			rc = pasid_alloc(dev->name, &uses, pd.width, &pasid);
		if (!rc)
			rc = pasid_check_holder(dev->name, &pd, pasid,
						pasid_uses_find(&uses, pasid), dev);
		pasid_uses_free(&uses);
		if (rc)
			return rc;
	}
	rc = BE_CALL(ctx, dev_pasid_attach, "PASID attachment", dev->bdev,
		     pasid, a->vpasid, pt_id, replace, &hwpt);
	if (rc)
		return rc;
	attach_out(a, pasid, hwpt, dev_class_pasid_action(pd.cls));
	return 0;
}

static int pasid_entry(struct ioasid_dev *dev, uint32_t pt_id,
		       struct ioasid_pasid_attach *attach, bool replace)
{
	char what[IOASID_NAME_MAX + 32];
	int rc;

	CHECK_DEV(dev);
	CHECK_PTR(attach);
	rc = check_attach_arg(attach);
	if (rc)
		return rc;
	snprintf(what, sizeof(what), "%s PASID of device %s",
		 replace ? "replacing the" : "attaching a", dev->name);
	ioasid_ctx_enter(dev->ctx);
	rc = pasid_attach_common(dev, pt_id, attach, replace);
	return ioasid_ctx_leave(dev->ctx, rc, what);
}

int ioasid_dev_attach_pasid(struct ioasid_dev *dev, uint32_t pt_id,
			    struct ioasid_pasid_attach *attach)
{
	return pasid_entry(dev, pt_id, attach, false);
}

int ioasid_dev_replace_pasid(struct ioasid_dev *dev, uint32_t pt_id,
			     struct ioasid_pasid_attach *attach)
{
	return pasid_entry(dev, pt_id, attach, true);
}

static int pasid_detach_locked(struct ioasid_dev *dev, uint32_t vpasid)
{
	struct ioasid_ctx *ctx = dev->ctx;
	struct ioasid_pasid_entry cur;
	struct pasid_dev pd;
	int rc;

	if (!dev->bound)
		return ioasid_fail(-EINVAL, "device %s is not bound", dev->name);
	rc = pasid_dev_get(dev, &pd);
	if (rc)
		return rc;
	if (pd.cls <= IOASID_CLASS_MDEV_NO_PASID)
		return dev_class_refuse_pasid(dev->name, &pd);
	rc = find_vpasid(dev, &pd, vpasid, &cur);
	if (rc == -ENOENT)
		return ioasid_fail(-EINVAL, "device %s: vpasid %u is not attached",
				   dev->name, vpasid);
	if (rc)
		return rc;
	if (pd.cls == IOASID_CLASS_MDEV_FIXED_PASID) {
		rc = BE_CALL(ctx, dev_detach, "device detachment", dev->bdev);
		if (!rc)
			dev->pt_id = dev->hwpt_id = 0;
		return rc;
	}
	return BE_CALL(ctx, dev_pasid_detach, "PASID detachment", dev->bdev,
		       cur.ppasid);
}

int ioasid_dev_detach_pasid(struct ioasid_dev *dev, uint32_t vpasid)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	pthread_mutex_lock(&ctx->lock);
	rc = pasid_detach_locked(dev, vpasid);
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0)
		errno = -rc;
	return rc;
}

int ioasid_dev_pasid_table(struct ioasid_dev *dev,
			   struct ioasid_pasid_entry *entries, uint32_t *num)
{
	struct ioasid_pasid_entry *e = NULL;
	struct ioasid_ctx *ctx;
	struct pasid_dev pd;
	uint32_t n = 0, k;
	int rc;

	CHECK_DEV(dev);
	CHECK_PTR(num);
	if (!entries && *num)
		return ioasid_fail(-EINVAL, "entries is NULL but *num is %u", *num);
	ctx = dev->ctx;
	pthread_mutex_lock(&ctx->lock);
	rc = pasid_dev_get(dev, &pd);
	if (!rc)
		rc = pasid_list(dev, &pd, &e, &n);
	pthread_mutex_unlock(&ctx->lock);
	if (rc) {
		errno = -rc;
		return rc;
	}
	pasid_entries_sort_by_vpasid(e, n);
	k = *num < n ? *num : n;
	if (k)
		memcpy(entries, e, k * sizeof(*e));
	free(e);
	*num = n;
	if (k < n)
		return ioasid_fail(-EMSGSIZE, "%u PASID entries, room for %u",
				   n, k);
	return 0;
}

const char *ioasid_dev_class_name(enum ioasid_dev_class cls)
{
	return dev_class_name(cls);
}
