// SPDX-License-Identifier: MIT
/*
 * ioasid_caps_get(): what the running kernel (or the simulator) and the
 * IOMMU behind a device can do.  Core owns the list (names, kinds, the
 * release that added each), the locked-memory limit and the binding
 * probe; the backend answers the rest without changing anything.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "caps.h"
#include "core.h"

struct cap_def {
	uint32_t kind;
	const char *name;
	uint16_t major, minor;
};

#define HOST IOASID_CAP_KIND_HOST
#define IOCTL IOASID_CAP_KIND_IOCTL
#define FLAG IOASID_CAP_KIND_FLAG
#define DEVICE IOASID_CAP_KIND_DEVICE

/* The releases are those of the kernel's merge history (as in the kernel
 * backend's kernel_features[]). */
static const struct cap_def cap_defs[IOASID_CAP_COUNT] = {
	[IOASID_CAP_IOMMUFD] = { HOST, "iommufd", 6, 2 },
	[IOASID_CAP_VFIO_CDEV] = { HOST, "vfio-cdev", 6, 6 },
	[IOASID_CAP_PIN] = { HOST, "memlock", 0, 0 },
	[IOASID_CAP_IOAS_ALLOC] = { IOCTL, "IOMMU_IOAS_ALLOC", 6, 2 },
	[IOASID_CAP_IOAS_ALLOW_IOVAS] = { IOCTL, "IOMMU_IOAS_ALLOW_IOVAS", 6, 2 },
	[IOASID_CAP_IOAS_COPY] = { IOCTL, "IOMMU_IOAS_COPY", 6, 2 },
	[IOASID_CAP_IOAS_IOVA_RANGES] = { IOCTL, "IOMMU_IOAS_IOVA_RANGES", 6, 2 },
	[IOASID_CAP_IOAS_MAP] = { IOCTL, "IOMMU_IOAS_MAP", 6, 2 },
	[IOASID_CAP_IOAS_UNMAP] = { IOCTL, "IOMMU_IOAS_UNMAP", 6, 2 },
	[IOASID_CAP_OPTION] = { IOCTL, "IOMMU_OPTION", 6, 2 },
	[IOASID_CAP_HWPT_ALLOC] = { IOCTL, "IOMMU_HWPT_ALLOC", 6, 6 },
	[IOASID_CAP_GET_HW_INFO] = { IOCTL, "IOMMU_GET_HW_INFO", 6, 6 },
	[IOASID_CAP_HWPT_SET_DIRTY_TRACKING] = { IOCTL, "IOMMU_HWPT_SET_DIRTY_TRACKING", 6, 7 },
	[IOASID_CAP_HWPT_GET_DIRTY_BITMAP] = { IOCTL, "IOMMU_HWPT_GET_DIRTY_BITMAP", 6, 7 },
	[IOASID_CAP_HWPT_INVALIDATE] = { IOCTL, "IOMMU_HWPT_INVALIDATE", 6, 8 },
	[IOASID_CAP_FAULT_QUEUE_ALLOC] = { IOCTL, "IOMMU_FAULT_QUEUE_ALLOC", 6, 11 },
	[IOASID_CAP_IOAS_MAP_FILE] = { IOCTL, "IOMMU_IOAS_MAP_FILE", 6, 13 },
	[IOASID_CAP_VIOMMU_ALLOC] = { IOCTL, "IOMMU_VIOMMU_ALLOC", 6, 13 },
	[IOASID_CAP_VDEVICE_ALLOC] = { IOCTL, "IOMMU_VDEVICE_ALLOC", 6, 13 },
	[IOASID_CAP_IOAS_CHANGE_PROCESS] = { IOCTL, "IOMMU_IOAS_CHANGE_PROCESS", 6, 13 },
	[IOASID_CAP_VEVENTQ_ALLOC] = { IOCTL, "IOMMU_VEVENTQ_ALLOC", 6, 15 },
	[IOASID_CAP_HW_QUEUE_ALLOC] = { IOCTL, "IOMMU_HW_QUEUE_ALLOC", 6, 17 },
	[IOASID_CAP_IOAS_NOIOMMU_GET_PA] = { IOCTL, "IOMMU_IOAS_NOIOMMU_GET_PA", 7, 3 },
	[IOASID_CAP_TEST_CMD] = { IOCTL, "IOMMU_TEST_CMD", 6, 2 },
	[IOASID_CAP_HWPT_ALLOC_NEST_PARENT] = { FLAG, "IOMMU_HWPT_ALLOC_NEST_PARENT", 6, 7 },
	[IOASID_CAP_HWPT_ALLOC_DIRTY_TRACKING] = { FLAG, "IOMMU_HWPT_ALLOC_DIRTY_TRACKING", 6, 7 },
	[IOASID_CAP_HWPT_FAULT_ID_VALID] = { FLAG, "IOMMU_HWPT_FAULT_ID_VALID", 6, 11 },
	[IOASID_CAP_HWPT_ALLOC_PASID] = { FLAG, "IOMMU_HWPT_ALLOC_PASID", 6, 15 },
	[IOASID_CAP_HW_INFO_INPUT_TYPE] = { FLAG, "IOMMU_HW_INFO_FLAG_INPUT_TYPE", 6, 17 },
	[IOASID_CAP_DEV_BIND] = { DEVICE, "dev-bind", 6, 6 },
	[IOASID_CAP_DEV_HW_INFO] = { DEVICE, "dev-hw-info", 6, 6 },
	[IOASID_CAP_DEV_NESTING] = { DEVICE, "dev-nesting", 6, 7 },
	[IOASID_CAP_DEV_DIRTY_TRACKING] = { DEVICE, "dev-dirty-tracking", 6, 7 },
	[IOASID_CAP_DEV_PASID] = { DEVICE, "dev-pasid", 6, 15 },
	[IOASID_CAP_DEV_ATS] = { DEVICE, "dev-ats", 0, 0 },
};

static const char *const state_names[] = { "unknown", "works", "missing" };
static const char *const reason_names[] = {
	"ok", "no-iommufd", "kernel-too-old", "not-configured",
	"iommu-lacks", "no-pasid", "no-msi-isolation", "memlock",
	"needs-device", "backend", "other",
};
static const char *const kind_names[] = { "host", "ioctl", "flag", "device" };

const char *ioasid_cap_state_name(uint32_t state)
{
	return state < ARRAY_SIZE(state_names) ? state_names[state] : NULL;
}

const char *ioasid_cap_reason_name(uint32_t reason)
{
	return reason < ARRAY_SIZE(reason_names) ? reason_names[reason] : NULL;
}

const char *ioasid_cap_kind_name(uint32_t kind)
{
	return kind < ARRAY_SIZE(kind_names) ? kind_names[kind] : NULL;
}

static uint64_t rlim_bytes(rlim_t v)
{
	return v == RLIM_INFINITY ? UINT64_MAX : (uint64_t)v;
}

static void kib(char *buf, size_t size, uint64_t v)
{
	if (v == UINT64_MAX)
		snprintf(buf, size, "unlimited");
	else
		snprintf(buf, size, "%llu KiB", (unsigned long long)(v / 1024));
}

/* Whether the process has CAP_IPC_LOCK (/proc/self/status CapEff). */
static bool has_ipc_lock(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	unsigned long long caps = 0;
	char line[256];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, "CapEff:", 7))
			found = sscanf(line + 7, "%llx", &caps) == 1;
	fclose(f);
	return found && (caps & (1ull << 14));
}

/* IOASID_CAP_PIN: the limit pinning is charged against. */
static void probe_memlock(struct ioasid_cap *c, struct ioasid_caps_info *info)
{
	struct rlimit lim;
	char cur[32], max[32];

	if (getrlimit(RLIMIT_MEMLOCK, &lim)) {
		cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_OTHER,
			"RLIMIT_MEMLOCK: %s", strerror(errno));
		return;
	}
	info->memlock_cur = rlim_bytes(lim.rlim_cur);
	info->memlock_max = rlim_bytes(lim.rlim_max);
	kib(cur, sizeof(cur), info->memlock_cur);
	kib(max, sizeof(max), info->memlock_max);
	if (has_ipc_lock())
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			"RLIMIT_MEMLOCK %s (hard %s), not enforced: the process has CAP_IPC_LOCK",
			cur, max);
	else if (!info->memlock_cur)
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_MEMLOCK,
			"RLIMIT_MEMLOCK is 0 (hard %s): no mapping can pin memory; raise it (ulimit -l, LimitMEMLOCK= of a systemd unit, memlock in limits.conf) to the guest memory the devices map",
			max);
	else if (info->memlock_cur == UINT64_MAX)
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			"RLIMIT_MEMLOCK unlimited");
	else
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			"RLIMIT_MEMLOCK %s (hard %s): mappings pin at most that much, counted for every process of the user (IOMMU_OPTION_RLIMIT_MODE 0) or for this one (1)",
			cur, max);
}

/* IOASID_CAP_DEV_BIND: @bind_rc is the result of binding it here (1: it
 * was bound before), @msg its message. */
static void probe_bind(struct ioasid_cap *c, const struct ioasid_dev *dev,
		       int bind_rc, const char *msg)
{
	if (bind_rc > 0 || (!bind_rc && dev->bound))
		cap_set(c, IOASID_CAP_WORKS, IOASID_CAP_OK,
			"device %s is bound (device id %u): its IOMMU isolates MSIs, or iommufd.allow_unsafe_interrupts is set",
			dev->name, dev->dev_id);
	else if (bind_rc == -EPERM)
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_NO_MSI_ISOLATION,
			"%s", msg);
	else if (bind_rc)
		cap_set(c, IOASID_CAP_MISSING, IOASID_CAP_OTHER, "%s", msg);
	else
		cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_NEEDS_DEVICE,
			"device %s is open but not bound: bind it (ioasid_dev_bind(), or IOASID_CAPS_BIND)",
			dev->name);
}

int ioasid_caps_get(struct ioasid_ctx *ctx, const struct ioasid_caps_opts *opts,
		    struct ioasid_caps_info *info, struct ioasid_cap *caps,
		    uint32_t *num)
{
	struct ioasid_cap all[IOASID_CAP_COUNT];
	struct ioasid_caps_info out;
	char bind_msg[IOASID_CAP_WHY_MAX] = "";
	struct ioasid_dev *dev;
	uint32_t flags, n;
	int rc, bind_rc = 0;

	CHECK_CTX(ctx);
	rc = ioasid_opts_check(opts, IOASID_OPTS_KNOWN(ioasid_caps_opts),
			       "ioasid_caps_opts");
	if (rc)
		return rc;
	if (info) {
		rc = ioasid_check_info(info, "info");
		if (rc)
			return rc;
	}
	CHECK_ARRAY(caps, num);
	flags = IOASID_OPTS_GET(opts, flags, 0);
	dev = IOASID_OPTS_GET(opts, dev, NULL);
	if (flags & ~IOASID_CAPS_BIND)
		return ioasid_fail(-EINVAL, "caps flags 0x%x: unknown bits 0x%x",
				   flags, flags & ~IOASID_CAPS_BIND);
	if (dev && dev->ctx != ctx)
		return ioasid_fail(-EINVAL,
				   "device %s was opened from another context",
				   dev->name);
	if ((flags & IOASID_CAPS_BIND) && !dev)
		return ioasid_fail(-EINVAL, "IOASID_CAPS_BIND needs opts->dev");

	memset(&out, 0, sizeof(out));
	out.sz = sizeof(out);
	snprintf(out.backend, sizeof(out.backend), "%s", ctx->ops->name);
	memset(all, 0, sizeof(all));
	for (uint32_t i = 0; i < IOASID_CAP_COUNT; i++) {
		const struct cap_def *d = &cap_defs[i];
		struct ioasid_cap *c = &all[i];

		c->id = i;
		c->kind = d->kind;
		c->since_major = d->major;
		c->since_minor = d->minor;
		snprintf(c->name, sizeof(c->name), "%s", d->name);
		if (d->kind == IOASID_CAP_KIND_DEVICE && !dev)
			cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_NEEDS_DEVICE,
				"about a device: give one (ioasctl caps DEV)");
		else
			cap_set(c, IOASID_CAP_UNKNOWN, IOASID_CAP_BACKEND,
				"the %s backend does not say", ctx->ops->name);
	}
	probe_memlock(&all[IOASID_CAP_PIN], &out);

	/* Binding is the probe of MSI isolation; the bind takes the lock
	 * itself.  Its failure is an answer, not this call's error. */
	if (dev && (flags & IOASID_CAPS_BIND) && !dev->bound) {
		bind_rc = ioasid_dev_bind(dev, NULL);
		if (bind_rc)
			snprintf(bind_msg, sizeof(bind_msg), "%s", ioasid_errmsg());
		ioasid_clear_error();
	} else if (dev && dev->bound) {
		bind_rc = 1;
	}

	ioasid_ctx_enter(ctx);
	if (dev)
		probe_bind(&all[IOASID_CAP_DEV_BIND], dev, bind_rc, bind_msg);
	if (dev && !dev->bound)
		for (uint32_t i = 0; i < IOASID_CAP_COUNT; i++)
			if (all[i].kind == IOASID_CAP_KIND_DEVICE &&
			    i != IOASID_CAP_DEV_BIND)
				cap_set(&all[i], IOASID_CAP_UNKNOWN,
					IOASID_CAP_NEEDS_DEVICE,
					"device %s is not bound", dev->name);
	rc = 0;
	if (ctx->ops->caps_probe)
		rc = ctx->ops->caps_probe(ctx->be,
					  dev && dev->bound ? dev->bdev : NULL,
					  dev && dev->bound ? dev->dev_id : 0,
					  all, IOASID_CAP_COUNT, out.release);
	rc = ioasid_ctx_leave(ctx, rc, "probing capabilities");
	if (rc)
		return rc;

	for (uint32_t i = 0; i < IOASID_CAP_COUNT; i++) {
		if (all[i].state == IOASID_CAP_WORKS)
			out.works++;
		else if (all[i].state == IOASID_CAP_MISSING)
			out.missing++;
		else
			out.unknown++;
	}
	if (info)
		ioasid_copy_out(info, &out, IOASID_OPTS_KNOWN(ioasid_caps_info));
	n = *num < IOASID_CAP_COUNT ? *num : IOASID_CAP_COUNT;
	if (n)
		memcpy(caps, all, n * sizeof(*caps));
	if (*num < IOASID_CAP_COUNT) {
		rc = ioasid_fail(-EMSGSIZE,
				 "caps: the library has %u capabilities, the array %u",
				 (unsigned int)IOASID_CAP_COUNT, *num);
		*num = IOASID_CAP_COUNT;
		return rc;
	}
	*num = IOASID_CAP_COUNT;
	return 0;
}
