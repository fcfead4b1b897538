// SPDX-License-Identifier: MIT
/*
 * ioasid_caps_get() on whichever kernel the VM booted (make check boots
 * 7.3, Debian's 6.12 and 7.3 built without IOMMUFD: tests/vm/kernel.sh
 * --kernel), judged by what the kernel says of itself rather than by
 * which kernel the lane meant to boot:
 *  - the release (uname) against the release each capability names as
 *    the one that added it: an ioctl or flag newer than the running
 *    kernel is missing with the reason kernel-too-old, every older one
 *    works (the test kernels are built with everything the library
 *    knows, so "not configured" would be a wrong answer here);
 *  - /dev/iommu: without it the context opens for inspection only, the
 *    iommufd capability is missing with the reason no-iommufd and a
 *    "why" that names CONFIG_IOMMUFD, every ioctl and flag is missing
 *    for the same reason, and no device capability works; devices,
 *    groups and reserved regions are still read (edu is found with its
 *    group and the MSI window), and an iommufd call fails with EBADF
 *    and a message;
 *  - the VFIO cdevs: with edu bound to vfio-pci first (which works
 *    without iommufd too), the capability works exactly when a VFIO
 *    device has one (/sys/class/vfio-dev/vfioN/dev), and is otherwise
 *    missing because the kernel was built without them;
 *  - with /dev/iommu, edu's own capabilities: bind works (the probe
 *    binds it), GET_HW_INFO on it works;
 *  - ioasctl (staged in /files): `ioasctl -j caps` gives the same counts
 *    and `ioasctl device list` lists edu, on every kernel.
 */
#include <dirent.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "vmtest.h"

static unsigned int rel_major, rel_minor;

static bool kernel_has(const struct ioasid_cap *c)
{
	return rel_major > c->since_major ||
	       (rel_major == c->since_major && rel_minor >= c->since_minor);
}

/* A device bound to a VFIO driver with a cdev. */
static bool any_vfio_cdev(void)
{
	DIR *d = opendir("/sys/class/vfio-dev");
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while (!found && (de = readdir(d))) {
		char path[PATH_MAX];

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/dev", de->d_name);
		found = access(path, F_OK) == 0;
	}
	closedir(d);
	return found;
}

static void check_entry(const struct ioasid_cap *c, bool iommufd, bool cdev)
{
	const char *state = ioasid_cap_state_name(c->state);
	const char *reason = ioasid_cap_reason_name(c->reason);

	VT_CHECK(state && reason, "%s: state %u reason %u", c->name, c->state,
		 c->reason);
	VT_CHECK((c->state == IOASID_CAP_WORKS) == (c->reason == IOASID_CAP_OK),
		 "%s: %s with reason %s (%s)", c->name, state, reason, c->why);
	switch (c->id) {
	case IOASID_CAP_IOMMUFD:
		VT_CHECK((c->state == IOASID_CAP_WORKS) == iommufd,
			 "iommufd: %s (%s) with%s /dev/iommu", state, c->why,
			 iommufd ? "" : "out");
		if (!iommufd)
			VT_CHECK(c->reason == IOASID_CAP_NO_IOMMUFD &&
					 strstr(c->why, "CONFIG_IOMMUFD"),
				 "iommufd: reason %s: %s", reason, c->why);
		return;
	case IOASID_CAP_VFIO_CDEV:
		VT_CHECK((c->state == IOASID_CAP_WORKS) == cdev,
			 "VFIO cdevs: %s (%s), though a cdev %s", state, c->why,
			 cdev ? "exists" : "does not exist");
		if (!cdev)
			VT_CHECK(c->reason == IOASID_CAP_NOT_CONFIGURED &&
					 strstr(c->why, "CONFIG_VFIO_DEVICE_CDEV"),
				 "VFIO cdevs: reason %s: %s", reason, c->why);
		return;
	default:
		break;
	}
	if (c->kind == IOASID_CAP_KIND_DEVICE) {
		if (!iommufd)
			VT_CHECK(c->state != IOASID_CAP_WORKS,
				 "%s works without /dev/iommu: %s", c->name, c->why);
		return;
	}
	if (c->kind != IOASID_CAP_KIND_IOCTL && c->kind != IOASID_CAP_KIND_FLAG)
		return;
	if (!iommufd) {
		VT_CHECK(c->state == IOASID_CAP_MISSING &&
				 c->reason == IOASID_CAP_NO_IOMMUFD,
			 "%s without /dev/iommu: %s, %s (%s)", c->name, state,
			 reason, c->why);
		return;
	}
	VT_CHECK(c->since_major, "%s: no release named", c->name);
	if (kernel_has(c))
		VT_CHECK(c->state == IOASID_CAP_WORKS,
			 "%s (Linux %u.%u) on %u.%u: %s, %s (%s)", c->name,
			 c->since_major, c->since_minor, rel_major, rel_minor,
			 state, reason, c->why);
	else
		VT_CHECK(c->state == IOASID_CAP_MISSING &&
				 c->reason == IOASID_CAP_KERNEL_TOO_OLD,
			 "%s (Linux %u.%u) on %u.%u: %s, %s (%s)", c->name,
			 c->since_major, c->since_minor, rel_major, rel_minor,
			 state, reason, c->why);
}

/* ioasctl asked what the library was asked: of edu when it was bound. */
static void check_ioasctl(const struct ioasid_caps_info *info, const char *bdf,
			  bool with_dev)
{
	static char out[64 * 1024];
	char args[IOASID_NAME_MAX + 16];
	int st;

	snprintf(args, sizeof(args), "-j caps %s", with_dev ? bdf : "");
	st = vt_ioasctl(args, out, sizeof(out));
	if (st < 0) {
		vt_say("  /files/ioasctl not staged (run.sh without --files): not compared");
		return;
	}
	VT_CHECK(st == 0, "ioasctl %s: exit %d: %.300s", args, st, out);
	VT_CHECK(vt_json_field(out, "works") == info->works &&
			 vt_json_field(out, "missing") == info->missing &&
			 vt_json_field(out, "unknown") == info->unknown,
		 "ioasctl %s: counts differ from the library's (%u/%u/%u): %.300s",
		 args, info->works, info->missing, info->unknown, out);
	st = vt_ioasctl("device list", out, sizeof(out));
	VT_CHECK(st == 0 && strstr(out, bdf), "ioasctl device list: exit %d: %.300s",
		 st, out);
	vt_say("  ioasctl caps: the same counts; ioasctl device list lists %s", bdf);
}

/* Inspection without /dev/iommu: devices, groups, reserved regions. */
static void check_inspection(struct ioasid_ctx *ctx, const char *bdf)
{
	IOASID_OPTS(ioasid_dev_info, di);
	struct ioasid_resv_region r[16];
	uint32_t num = 16, ioas;
	bool found = false, msi = false;

	for (uint32_t i = 0; !found && ioasid_dev_info_at(ctx, i, &di) == 0; i++)
		found = !strcmp(di.name, bdf);
	VT_CHECK(found, "edu %s not among the devices", bdf);
	VT_CHECK(di.group >= 0, "edu %s: no IOMMU group", bdf);
	VT_OK(ioasid_group_resv_regions(ctx, di.group, r, &num));
	for (uint32_t i = 0; i < num && i < 16; i++)
		msi |= r[i].type == IOASID_RESV_MSI || r[i].type == IOASID_RESV_SW_MSI;
	VT_CHECK(msi, "group %d of %s: %u reserved regions, none for MSIs",
		 di.group, bdf, num);
	VT_ERR(EBADF, ioasid_ioas_alloc(ctx, &ioas));
	vt_say("  inspection: %s in group %d (driver %s), %u reserved regions; ioas alloc: %s",
	       bdf, di.group, di.driver[0] ? di.driver : "none", num, ioasid_errmsg());
}

int main(void)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .config = "");
	IOASID_OPTS(ioasid_caps_opts, copts);
	IOASID_OPTS(ioasid_caps_info, info);
	struct ioasid_cap caps[IOASID_CAP_COUNT];
	uint32_t num = IOASID_CAP_COUNT, too_old = 0;
	struct ioasid_dev *dev = NULL;
	struct ioasid_ctx *ctx = NULL;
	char bdf[IOASID_NAME_MAX];
	struct utsname u;
	bool iommufd = access("/dev/iommu", F_OK) == 0, cdev;

	VT_CHECK(uname(&u) == 0, "uname: %s", strerror(errno));
	VT_CHECK(sscanf(u.release, "%u.%u", &rel_major, &rel_minor) == 2,
		 "release %s", u.release);
	if (vt_find_pci(VT_EDU_VENDOR, VT_EDU_DEVICE, bdf))
		vt_skip("no edu device");
	opts.inspect_only = !iommufd;
	VT_OK(ioasid_ctx_open(&opts, &ctx));
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	cdev = any_vfio_cdev();
	vt_say("kernel %s, %s/dev/iommu, %s VFIO cdev", u.release,
	       iommufd ? "" : "no ", cdev ? "a" : "no");
	if (iommufd) {
		VT_OK(ioasid_dev_open(ctx, bdf, &dev));
		copts.dev = dev;
		copts.flags = IOASID_CAPS_BIND;
	}
	VT_OK(ioasid_caps_get(ctx, &copts, &info, caps, &num));
	VT_CHECK(num == IOASID_CAP_COUNT, "%u entries", num);
	VT_CHECK(!strcmp(info.release, u.release), "release %s, uname %s",
		 info.release, u.release);
	for (uint32_t i = 0; i < num; i++) {
		VT_CHECK(caps[i].id == i, "entry %u has id %u", i, caps[i].id);
		check_entry(&caps[i], iommufd, cdev);
		too_old += caps[i].reason == IOASID_CAP_KERNEL_TOO_OLD;
		if (caps[i].state != IOASID_CAP_WORKS)
			vt_say("  %s: %s, %s: %s", caps[i].name,
			       ioasid_cap_state_name(caps[i].state),
			       ioasid_cap_reason_name(caps[i].reason), caps[i].why);
	}
	if (iommufd) {
		VT_CHECK(caps[IOASID_CAP_DEV_BIND].state == IOASID_CAP_WORKS,
			 "dev-bind of %s: %s", bdf, caps[IOASID_CAP_DEV_BIND].why);
		VT_CHECK(caps[IOASID_CAP_DEV_HW_INFO].state == IOASID_CAP_WORKS,
			 "dev-hw-info of %s: %s", bdf, caps[IOASID_CAP_DEV_HW_INFO].why);
		ioasid_dev_close(dev);
	} else {
		check_inspection(ctx, bdf);
	}
	ioasid_ctx_close(ctx);
	check_ioasctl(&info, bdf, iommufd);
	vt_say("%u work, %u missing (%u: kernel too old), %u unknown", info.works,
	       info.missing, too_old, info.unknown);
	return 0;
}
