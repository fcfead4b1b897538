// SPDX-License-Identifier: MIT
/*
 * Devices: open, bind, attach/replace/detach (the IOMMU group moving as
 * one), close, the id accessors, and IOMMU_GET_HW_INFO.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* ------------------------------------------------------------------ */
/* Devices                                                              */

static struct ioasid_dev *dev_find(struct ioasid_ctx *ctx, const char *name)
{
	struct ioasid_dev *dev;

	for (dev = ctx->devs; dev; dev = dev->next)
		if (!strcmp(dev->name, name))
			return dev;
	return NULL;
}

int ioasid_dev_set_driver(struct ioasid_ctx *ctx, const char *name,
			  const char *driver,
			  const struct ioasid_driver_opts *opts)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	uint32_t flags;
	size_t i;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(name);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_driver_opts),
			       "ioasid_driver_opts");
	if (rc)
		return rc;
	flags = IOASID_OPTS_GET(opts, flags, 0);
	if (flags & ~IOASID_DRIVER_FORCE)
		return ioasid_fail(-EINVAL, "driver flags 0x%x: bits 0x%x are unknown",
				   flags, flags & ~IOASID_DRIVER_FORCE);
	if (driver) {
		/* A driver name becomes a sysfs path component. */
		for (i = 0; driver[i]; i++)
			if (!isalnum((unsigned char)driver[i]) &&
			    !strchr("-_", driver[i]))
				break;
		if (!*driver || driver[i] || i >= IOASID_NAME_MAX)
			return ioasid_fail(-EINVAL,
					   "driver name \"%s\" is not a driver name (letters, digits, - and _)",
					   driver);
	}
	rc = ioasid_check_dev_name(name);
	if (rc)
		return rc;
	ioasid_ctx_enter(ctx);
	rc = ioasid_ctx_dev_info_get(ctx, name, &info);
	if (rc)
		goto out;
	if (info.kind != IOASID_DEV_PCI) {
		rc = ioasid_fail(-EINVAL, "%s is not a PCI device: it has no host driver to change",
				 info.name);
		goto out;
	}
	if (dev_find(ctx, info.name)) {
		rc = ioasid_fail(-EBUSY, "device %s is open in this context: close it first",
				 info.name);
		goto out;
	}
	rc = BE_CALL(ctx, set_driver, "host drivers", info.name, driver,
		     flags & IOASID_DRIVER_FORCE);
out:
	return ioasid_ctx_leave(ctx, rc, "changing a device's driver");
}

int ioasid_dev_open(struct ioasid_ctx *ctx, const char *name,
		    struct ioasid_dev **devp)
{
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	struct ioasid_dev *dev;
	int rc;

	CHECK_CTX(ctx);
	CHECK_PTR(devp);
	*devp = NULL;
	CHECK_PTR(name);
	rc = ioasid_check_dev_name(name);
	if (rc)
		return rc;
	ioasid_ctx_enter(ctx);
	rc = ioasid_ctx_dev_info_get(ctx, name, &info);
	if (rc)
		goto out;
	if (dev_find(ctx, info.name)) {
		rc = ioasid_fail(-EBUSY, "device %s is already open in this context",
				 info.name);
		goto out;
	}
	dev = calloc(1, sizeof(*dev));
	if (!dev) {
		rc = ioasid_fail(-ENOMEM, "out of memory");
		goto out;
	}
	rc = BE_CALL(ctx, dev_open, "devices", &info, &dev->bdev);
	if (rc) {
		free(dev);
		goto out;
	}
	dev->ctx = ctx;
	dev->group = info.group;
	memcpy(dev->name, info.name, sizeof(dev->name));
	dev->next = ctx->devs;
	ctx->devs = dev;
	*devp = dev;
out:
	return ioasid_ctx_leave(ctx, rc, name);
}

/*
 * The ids a device's accessors (ioasid_dev_id(), ioasid_dev_pt_id(),
 * ioasid_dev_hwpt_id()) read without the context lock: written under it,
 * but as single atomic stores, so that a reader on another thread sees
 * the old or the new id, never a torn one (and the memory model, and
 * TSan, agree that this is no data race).
 */
static void set_id(uint32_t *field, uint32_t id)
{
	__atomic_store_n(field, id, __ATOMIC_RELAXED);
}

static uint32_t get_id(const uint32_t *field)
{
	return __atomic_load_n(field, __ATOMIC_RELAXED);
}

int ioasid_dev_bind(struct ioasid_dev *dev, uint32_t *dev_id)
{
	struct ioasid_ctx *ctx;
	uint32_t id = 0;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	ioasid_ctx_enter(ctx);
	if (dev->bound) {
		rc = ioasid_fail(-EALREADY, "device %s is already bound (id %u)",
				 dev->name, dev->dev_id);
		goto out;
	}
	rc = BE_CALL(ctx, dev_bind, "device binding", dev->bdev, &id);
	if (rc == 0) {
		dev->bound = true;
		set_id(&dev->dev_id, id);
		if (dev_id)
			*dev_id = id;
	}
out:
	return ioasid_ctx_leave(ctx, rc, "binding a device");
}

/*
 * The kernel attaches IOMMU groups as a unit: a replace moves every device
 * of the group that shared the old HWPT (iommufd_device_do_replace), so
 * their recorded attachment moves too.
 */
static void follow_group_replace(struct ioasid_dev *dev, uint32_t pt_id,
				 uint32_t hwpt_id)
{
	struct ioasid_dev *other;

	if (dev->group < 0)
		return;
	for (other = dev->ctx->devs; other; other = other->next)
		if (other != dev && other->group == dev->group &&
		    other->pt_id && other->hwpt_id == dev->hwpt_id) {
			set_id(&other->pt_id, pt_id);
			set_id(&other->hwpt_id, hwpt_id);
		}
}

static int dev_attach_common(struct ioasid_dev *dev, uint32_t pt_id,
			     uint32_t *hwpt_id, bool replace)
{
	struct ioasid_ctx *ctx = dev->ctx;
	uint32_t hwpt = 0;
	int rc;

	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (rc)
		goto out;
	if (!replace && dev->pt_id) {
		rc = ioasid_fail(-EBUSY,
				 "device %s is already attached to %u: use ioasid_dev_replace()",
				 dev->name, dev->pt_id);
		goto out;
	}
	if (replace && !dev->pt_id) {
		rc = ioasid_fail(-EINVAL,
				 "device %s is not attached: use ioasid_dev_attach()",
				 dev->name);
		goto out;
	}
	rc = BE_CALL(ctx, dev_attach, "device attachment", dev->bdev, pt_id,
		     &hwpt);
	if (rc == 0) {
		if (replace)
			follow_group_replace(dev, pt_id, hwpt);
		set_id(&dev->pt_id, pt_id);
		set_id(&dev->hwpt_id, hwpt);
		if (hwpt_id)
			*hwpt_id = hwpt;
	}
out:
	return ioasid_ctx_leave(ctx, rc, replace ? "replacing a device's attachment"
					   : "attaching a device");
}

int ioasid_dev_attach(struct ioasid_dev *dev, uint32_t pt_id,
		      uint32_t *hwpt_id)
{
	CHECK_DEV(dev);
	return dev_attach_common(dev, pt_id, hwpt_id, false);
}

int ioasid_dev_replace(struct ioasid_dev *dev, uint32_t pt_id,
		       uint32_t *hwpt_id)
{
	CHECK_DEV(dev);
	return dev_attach_common(dev, pt_id, hwpt_id, true);
}

int ioasid_dev_detach(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	ioasid_ctx_enter(ctx);
	if (!dev->pt_id) {
		rc = ioasid_fail(-EINVAL, "device %s is not attached", dev->name);
		goto out;
	}
	rc = BE_CALL(ctx, dev_detach, "device detachment", dev->bdev);
	if (rc == 0) {
		set_id(&dev->pt_id, 0);
		set_id(&dev->hwpt_id, 0);
	}
out:
	return ioasid_ctx_leave(ctx, rc, "detaching a device");
}

/* Unlink and free; the caller holds the lock or owns the context. */
void ioasid_dev_free(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx = dev->ctx;
	struct ioasid_dev **link;

	for (link = &ctx->devs; *link; link = &(*link)->next)
		if (*link == dev) {
			*link = dev->next;
			break;
		}
	if (ctx->ops->dev_close)
		ctx->ops->dev_close(ctx->be, dev->bdev);
	free(dev);
}

void ioasid_dev_close(struct ioasid_dev *dev)
{
	struct ioasid_ctx *ctx;

	if (!dev)
		return;
	ctx = dev->ctx;
	ioasid_ctx_enter(ctx);
	ioasid_dev_free(dev);
	pthread_mutex_unlock(&ctx->lock);
}

int ioasid_dev_fd(struct ioasid_dev *dev)
{
	char what[IOASID_NAME_MAX + 32];
	struct ioasid_ctx *ctx;
	int rc;

	CHECK_DEV(dev);
	ctx = dev->ctx;
	snprintf(what, sizeof(what), "VFIO device fd for %s", dev->name);
	ioasid_ctx_enter(ctx);
	rc = BE_CALL(ctx, dev_fd, what, dev->bdev);
	if (rc < 0 && !ioasid_has_errmsg())
		ioasid_fail(rc, "device %s has no device fd on the %s backend",
			    dev->name, ctx->ops->name);
	return ioasid_ctx_leave(ctx, rc, "reading a device's fd");
}

const char *ioasid_dev_name(const struct ioasid_dev *dev)
{
	return dev ? dev->name : NULL;
}

uint32_t ioasid_dev_id(const struct ioasid_dev *dev)
{
	return dev ? get_id(&dev->dev_id) : 0;
}

uint32_t ioasid_dev_pt_id(const struct ioasid_dev *dev)
{
	return dev ? get_id(&dev->pt_id) : 0;
}

uint32_t ioasid_dev_hwpt_id(const struct ioasid_dev *dev)
{
	return dev ? get_id(&dev->hwpt_id) : 0;
}

int ioasid_dev_hw_info(struct ioasid_dev *dev, struct ioasid_hw_info *info,
		       void *data, uint32_t data_size)
{
	struct ioasid_hw_info full = { .sz = sizeof(full) };
	struct ioasid_ctx *ctx;
	uint32_t len = data_size;
	int rc;

	CHECK_DEV(dev);
	rc = ioasid_check_info(info, "ioasid_hw_info");
	if (rc)
		return rc;
	if (data_size && !data)
		return ioasid_fail(-EINVAL, "data is NULL but data_size is %u",
				   data_size);
	ctx = dev->ctx;
	ioasid_ctx_enter(ctx);
	rc = ioasid_dev_need_bound(dev);
	if (rc)
		goto out;
	rc = BE_CALL(ctx, hw_info, "IOMMU_GET_HW_INFO", dev->dev_id, &full, data,
		     &len);
	if (rc == 0) {
		full.data_len = len;
		ioasid_copy_out(info, &full, IOASID_OPTS_KNOWN(ioasid_hw_info));
	}
out:
	return ioasid_ctx_leave(ctx, rc, "reading IOMMU hardware information");
}
