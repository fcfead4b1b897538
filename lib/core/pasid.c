// SPDX-License-Identifier: MIT
/*
 * PASID attach by device class: the public ioasid_dev_*_pasid() calls
 * (the records the backends keep are in lib/model/pasid_records.c).
 *
 * Where the state lives: the backend keeps each device's PASID
 * attachments (it must anyway, to model or drive the kernel), tagged
 * with the guest's vPASID, so they die with the device handle and the
 * context exactly as the kernel's do.  This file keeps no state of its
 * own: the allocator derives the PASIDs in use from those records.
 *
 * The allocator is per context, not process-wide: a context is one
 * iommufd, which is what a VMM opens per VM, and its attachments vanish
 * with it; a process-wide table would outlive closed contexts and still
 * not see other processes, so host-wide uniqueness needs the manager to
 * hand out PASIDs (IOASID_PASID_FIXED) anyway.  Global PASIDs (classes 2,
 * 4 and 5) are unique within the context; class 3 PASIDs are the guest's
 * own and need only be unique per device (one guest process may use the
 * same PASID on several devices).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"
#include "pasid.h"

/* ------------------------------------------------------------------ */
/* The logic layer                                                      */

/* What a PASID call needs to know of a device. */
struct pasid_dev {
	enum ioasid_dev_class cls;
	uint8_t width; /* usable PASID width: device and IOMMU */
	uint32_t fixed;
};

static int pasid_dev_get(struct ioasid_dev *dev, struct pasid_dev *pd)
{
	struct ioasid_ctx *ctx = dev->ctx;
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_hw_info hw = { .sz = sizeof(hw) };
	uint32_t len = 0;
	int rc;

	rc = ctx->ops->dev_info_get(ctx->be, dev->name, &info);
	if (rc)
		return rc;
	pd->cls = info.dev_class;
	pd->fixed = info.fixed_pasid;
	pd->width = info.pasid_width;
	/* The IOMMU may support fewer bits than the device
	 * (dev_iommu_get_max_pasids() takes the smaller); a device whose
	 * own width is unknown (0) takes the IOMMU's. */
	if (dev->bound && info.kind != IOASID_DEV_MDEV &&
	    ctx->ops->hw_info(ctx->be, dev->dev_id, &hw, NULL, &len) == 0 &&
	    (!pd->width || hw.max_pasid_log2 < pd->width))
		pd->width = hw.max_pasid_log2;
	if (pd->width > IOASID_PASID_WIDTH_MAX)
		pd->width = IOASID_PASID_WIDTH_MAX;
	return 0;
}

static bool class_is_global(enum ioasid_dev_class cls)
{
	return cls == IOASID_CLASS_MDEV_FIXED_PASID ||
	       cls == IOASID_CLASS_PASID_DEV_TRANSLATE ||
	       cls == IOASID_CLASS_PASID_CPU_TRANSLATE;
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
		rc = ctx->ops->dev_pasid_list(ctx->be, dev->bdev, *out, &num);
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

/* Which device of the context holds physical PASID @pasid in a way that
 * conflicts with a global use of it (NULL if none): any use on @self,
 * and global uses elsewhere.  *@vpasid gets the holder's vPASID. */
static int pasid_holder(struct ioasid_dev *self, uint32_t pasid,
			struct ioasid_dev **holder, uint32_t *vpasid)
{
	struct ioasid_dev *d;
	int rc = 0;

	*holder = NULL;
	for (d = self->ctx->devs; d && !*holder; d = d->next) {
		struct ioasid_pasid_entry *e;
		struct pasid_dev pd;
		uint32_t n;

		rc = pasid_dev_get(d, &pd);
		if (rc)
			return rc;
		if (d != self && !class_is_global(pd.cls))
			continue;
		if (pd.cls == IOASID_CLASS_MDEV_FIXED_PASID && d != self &&
		    pd.fixed == pasid) {
			/* Set at bind: reserved whether attached or not. */
			*holder = d;
			*vpasid = 0;
			break;
		}
		rc = pasid_list(d, &pd, &e, &n);
		if (rc)
			return rc;
		for (uint32_t i = 0; i < n; i++)
			if (e[i].ppasid == pasid) {
				*holder = d;
				*vpasid = e[i].vpasid;
				break;
			}
		free(e);
	}
	return 0;
}

/* The lowest physical PASID below 2^@width that nothing in the context
 * holds (pasid_holder()). */
static int pasid_alloc(struct ioasid_dev *dev, uint8_t width, uint32_t *out)
{
	uint32_t limit = 1u << width;

	for (uint32_t p = 1; p < limit; p++) {
		struct ioasid_dev *holder;
		uint32_t v;
		int rc = pasid_holder(dev, p, &holder, &v);

		if (rc)
			return rc;
		if (!holder) {
			*out = p;
			return 0;
		}
	}
	return ioasid_fail(-ENOSPC,
			   "device %s: every PASID of its %u-bit width is in use in this context",
			   dev->name, width);
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

static int check_attach_arg(const struct ioasid_pasid_attach *a)
{
	size_t sz;

	if (!a)
		return ioasid_fail(-EINVAL, "attach is NULL");
	sz = a->sz;
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

static enum ioasid_pasid_action class_action(enum ioasid_dev_class cls)
{
	switch (cls) {
	case IOASID_CLASS_PASID_DEV_TRANSLATE:
		return IOASID_PASID_PROGRAM_DEVICE;
	case IOASID_CLASS_PASID_CPU_TRANSLATE:
		return IOASID_PASID_PROGRAM_CPU;
	default:
		return IOASID_PASID_PROGRAM_NOTHING;
	}
}

static int refuse_no_pasid(struct ioasid_dev *dev, const struct pasid_dev *pd)
{
	return ioasid_fail(-EOPNOTSUPP,
			   "device %s is class %d (%s): it has no PASID to attach; use ioasid_dev_attach()",
			   dev->name, (int)pd->cls, ioasid_dev_class_name(pd->cls));
}

/* Class 2: the mdev's parent uses the fixed PASID for whatever the mdev
 * is attached to, so the attach is the device's own (VFIO has no PASID
 * attach for emulated devices: only vfio-pci sets pasid_attach_ioas). */
static int attach_fixed(struct ioasid_dev *dev, const struct pasid_dev *pd,
			uint32_t pt_id, struct ioasid_pasid_attach *a,
			bool replace)
{
	struct ioasid_ctx *ctx = dev->ctx;
	struct ioasid_dev *holder;
	uint32_t hwpt = 0, v;
	int rc;

	if (a->vpasid)
		return ioasid_fail(-EINVAL,
				   "device %s is class 2 (mdev-fixed-pasid): it takes no vPASID from the guest, vpasid must be 0 (got %u)",
				   dev->name, a->vpasid);
	if ((a->flags & IOASID_PASID_FIXED) && a->ppasid != pd->fixed)
		return ioasid_fail(-EINVAL,
				   "device %s is class 2 (mdev-fixed-pasid): its PASID is %u, set at bind, not %u",
				   dev->name, pd->fixed, a->ppasid);
	if (!replace && dev->pt_id)
		return ioasid_fail(-EBUSY,
				   "device %s: its fixed PASID %u is attached to %u already: use ioasid_dev_replace_pasid()",
				   dev->name, pd->fixed, dev->pt_id);
	if (replace && !dev->pt_id)
		return ioasid_fail(-EINVAL,
				   "device %s: its fixed PASID %u is not attached",
				   dev->name, pd->fixed);
	if (!replace) {
		rc = pasid_holder(dev, pd->fixed, &holder, &v);
		if (rc)
			return rc;
		if (holder && holder != dev)
			return ioasid_fail(-EBUSY,
					   "device %s: fixed PASID %u is in use by device %s",
					   dev->name, pd->fixed, holder->name);
	}
	rc = ctx->ops->dev_attach(ctx->be, dev->bdev, pt_id, &hwpt);
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
	struct ioasid_dev *holder;
	struct pasid_dev pd;
	uint32_t pasid = 0, hwpt = 0, v = 0;
	int rc;

	rc = ioasid_dev_need_bound(dev);
	if (rc)
		return rc;
	rc = pasid_dev_get(dev, &pd);
	if (rc)
		return rc;
	if (pd.cls <= IOASID_CLASS_MDEV_NO_PASID)
		return refuse_no_pasid(dev, &pd);
	if (pd.cls == IOASID_CLASS_MDEV_FIXED_PASID)
		return attach_fixed(dev, &pd, pt_id, a, replace);
	if (pd.cls > IOASID_CLASS_PASID_CPU_TRANSLATE)
		return ioasid_fail(-EINVAL, "device %s has unknown class %d",
				   dev->name, (int)pd.cls);
	if (!pd.width)
		return ioasid_fail(-EOPNOTSUPP,
				   "device %s is class %d (%s) but neither it nor its IOMMU reports a PASID width",
				   dev->name, (int)pd.cls,
				   ioasid_dev_class_name(pd.cls));
	if (a->vpasid == IOASID_NO_PASID || a->vpasid >= (1u << pd.width))
		return ioasid_fail(-EINVAL,
				   "device %s: vpasid %u is outside 1..%u (PASID width %u)",
				   dev->name, a->vpasid, (1u << pd.width) - 1,
				   pd.width);
	rc = find_vpasid(dev, &pd, a->vpasid, &cur);
	if (rc && rc != -ENOENT)
		return rc;
	if (replace) {
		if (rc)
			return ioasid_fail(-EINVAL,
					   "device %s: vpasid %u is not attached: use ioasid_dev_attach_pasid()",
					   dev->name, a->vpasid);
		if ((a->flags & IOASID_PASID_FIXED) && a->ppasid != cur.ppasid)
			return ioasid_fail(-EINVAL,
					   "device %s: vpasid %u uses PASID %u; a replace keeps it (asked for %u)",
					   dev->name, a->vpasid, cur.ppasid, a->ppasid);
		pasid = cur.ppasid;
	} else {
		if (!rc)
			return ioasid_fail(-EBUSY,
					   "device %s: vpasid %u is attached to %u already (PASID %u): use ioasid_dev_replace_pasid()",
					   dev->name, a->vpasid, cur.pt_id, cur.ppasid);
		if (pd.cls == IOASID_CLASS_PASID_PASSTHROUGH) {
			if ((a->flags & IOASID_PASID_FIXED) && a->ppasid != a->vpasid)
				return ioasid_fail(-EINVAL,
						   "device %s is class 3 (pasid-passthrough): it emits the guest's PASID, so the PASID must be vpasid %u, not %u",
						   dev->name, a->vpasid, a->ppasid);
			pasid = a->vpasid;
		} else if (a->flags & IOASID_PASID_FIXED) {
			pasid = a->ppasid;
			if (pasid == IOASID_NO_PASID || pasid >= (1u << pd.width))
				return ioasid_fail(-EINVAL,
						   "device %s: PASID %u is outside 1..%u (PASID width %u)",
						   dev->name, pasid,
						   (1u << pd.width) - 1, pd.width);
		} else {
			rc = pasid_alloc(dev, pd.width, &pasid);
			if (rc)
				return rc;
		}
		/* A global PASID must be free in the whole context; the
		 * guest's own (class 3) only on this device. */
		rc = pasid_holder(dev, pasid, &holder, &v);
		if (rc)
			return rc;
		if (holder && (holder == dev || class_is_global(pd.cls)))
			return ioasid_fail(-EBUSY,
					   "device %s: PASID %u is in use by device %s (vpasid %u)",
					   dev->name, pasid, holder->name, v);
	}
	rc = ctx->ops->dev_pasid_attach(ctx->be, dev->bdev, pasid, a->vpasid,
					pt_id, replace, &hwpt);
	if (rc)
		return rc;
	attach_out(a, pasid, hwpt, class_action(pd.cls));
	return 0;
}

static int pasid_entry(struct ioasid_dev *dev, uint32_t pt_id,
		       struct ioasid_pasid_attach *attach, bool replace)
{
	struct ioasid_ctx *ctx;
	int rc;

	ioasid_clear_error();
	if (!dev)
		return ioasid_fail(-EINVAL, "dev is NULL");
	rc = check_attach_arg(attach);
	if (rc)
		return rc;
	ctx = dev->ctx;
	pthread_mutex_lock(&ctx->lock);
	rc = pasid_attach_common(dev, pt_id, attach, replace);
	pthread_mutex_unlock(&ctx->lock);
	if (rc < 0) {
		if (!ioasid_has_errmsg())
			ioasid_fail(rc, "%s PASID of device %s: %s",
				    replace ? "replacing the" : "attaching a",
				    dev->name, strerror(-rc));
		errno = -rc;
	}
	return rc;
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
		return refuse_no_pasid(dev, &pd);
	rc = find_vpasid(dev, &pd, vpasid, &cur);
	if (rc == -ENOENT)
		return ioasid_fail(-EINVAL, "device %s: vpasid %u is not attached",
				   dev->name, vpasid);
	if (rc)
		return rc;
	if (pd.cls == IOASID_CLASS_MDEV_FIXED_PASID) {
		rc = ctx->ops->dev_detach(ctx->be, dev->bdev);
		if (!rc)
			dev->pt_id = dev->hwpt_id = 0;
		return rc;
	}
	return ctx->ops->dev_pasid_detach(ctx->be, dev->bdev, cur.ppasid);
}

int ioasid_dev_detach_pasid(struct ioasid_dev *dev, uint32_t vpasid)
{
	struct ioasid_ctx *ctx;
	int rc;

	ioasid_clear_error();
	if (!dev)
		return ioasid_fail(-EINVAL, "dev is NULL");
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
	uint32_t n = 0, i, j, k;
	int rc;

	ioasid_clear_error();
	if (!dev)
		return ioasid_fail(-EINVAL, "dev is NULL");
	if (!num)
		return ioasid_fail(-EINVAL, "num is NULL");
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
	/* Sorted by vPASID for the caller (the records are by PASID). */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && e[j - 1].vpasid > e[j].vpasid; j--) {
			struct ioasid_pasid_entry t = e[j];

			e[j] = e[j - 1];
			e[j - 1] = t;
		}
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
