// SPDX-License-Identifier: MIT
/*
 * The locked-memory budget against the kernel's own accounting (issue 15,
 * "Memlock before the VM starts"): for a few layouts on mock devices
 * (CONFIG_IOMMUFD_TEST), with CAP_IPC_LOCK dropped so that pins are
 * charged, ioasid_layout_budget()'s figure is what the kernel charges and
 * its limit is the one the kernel enforces:
 *
 *   - "guest RAM" of two ranges (1 MiB and 512 KiB at GPAs = IOVAs inside
 *     the mock aperture) mapped 1:1 into every IOAS of the layout: one
 *     IOAS shared by two devices (no vIOMMU), and one IOAS per device (a
 *     shadowing vIOMMU, each guest domain mapping all of RAM);
 *   - with RLIMIT_MEMLOCK set to the budget's "needed" every map goes in
 *     and VmPin (mm->pinned_vm) grows by exactly "charged"; per process
 *     (IOMMU_OPTION_RLIMIT_MODE 1) VmLck (mm->locked_vm, the counter the
 *     kernel checks) grows by it too; per user VmLck does not move;
 *   - with the limit one page lower the budget says it does not fit, and
 *     the kernel refuses the last map with ENOMEM, the others going in.
 *
 * Nested (one stage-2 IOAS) is the no-vIOMMU layout as far as pinning
 * goes (the nested HWPTs pin nothing of their own) and is not run
 * separately.
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mock devices).
 */
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>

#include "vmtest.h"

#define GPA0 0x10000000ull /* inside the mock domain's aperture */
#define SIZE0 (1ull << 20)
#define GPA1 0x10400000ull
#define SIZE1 (512ull << 10)
#define MAX_DEVS 2

/* Map the two RAM ranges of @buf into each of @nioas IOASes, IOVA = GPA;
 * return how many maps went in before the first refusal (*@rc its
 * result, 0 when all did). */
static int map_all(struct ioasid_ctx *ctx, const uint32_t *ioas, int nioas,
		   uint8_t *buf, int *rc)
{
	int done = 0;

	*rc = 0;
	for (int i = 0; i < nioas; i++) {
		IOASID_OPTS(ioasid_map_opts, o,
			    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE);
		uint64_t iova0 = GPA0, iova1 = GPA1;

		*rc = ioasid_ioas_map(ctx, ioas[i], buf, SIZE0, &iova0, &o);
		if (*rc)
			return done;
		done++;
		*rc = ioasid_ioas_map(ctx, ioas[i], buf + SIZE0 + 0x10000, SIZE1,
				      &iova1, &o);
		if (*rc)
			return done;
		done++;
	}
	return done;
}

static void unmap_all(struct ioasid_ctx *ctx, const uint32_t *ioas, int nioas)
{
	for (int i = 0; i < nioas; i++)
		VT_OK(ioasid_ioas_unmap_all(ctx, ioas[i], NULL));
}

static void layout_case(enum ioasid_rlimit_mode mode,
			enum ioasid_budget_viommu viommu, int ndevs, uint8_t *buf)
{
	static const struct ioasid_ram_range ram[] = {
		{ .gpa = GPA0, .size = SIZE0 },
		{ .gpa = GPA1, .size = SIZE1 },
	};
	const char *what = viommu == IOASID_BUDGET_VIOMMU_SHADOW ? "shadow" : "none";
	int nioas = viommu == IOASID_BUDGET_VIOMMU_SHADOW ? ndevs : 1;
	IOASID_OPTS(ioasid_budget_opts, o, .ram = ram, .num_ram = 2,
		    .num_devices = (uint32_t)ndevs, .viommu = viommu,
		    .rlimit_mode = mode);
	IOASID_OPTS(ioasid_budget, b);
	struct ioasid_ctx *ctx = vt_kernel_ctx();
	struct ioasid_dev *dev[MAX_DEVS];
	uint32_t ioas[MAX_DEVS];
	long pin0, lck0, pin1, lck1, page;
	int rc, done;

	VT_OK(ioasid_ctx_set_rlimit_mode(ctx, mode));
	for (int i = 0; i < nioas; i++)
		VT_OK(ioasid_ioas_alloc(ctx, &ioas[i]));
	for (int i = 0; i < ndevs; i++) {
		char name[16];

		snprintf(name, sizeof(name), "mock%d", i);
		rc = ioasid_dev_open(ctx, name, &dev[i]);
		if (rc == -EOPNOTSUPP || rc == -ENODEV || rc == -ENOTTY)
			vt_skip("no mock device %s: %s", name, ioasid_errmsg());
		VT_OK(rc);
		VT_OK(ioasid_dev_bind(dev[i], NULL));
		VT_OK(ioasid_dev_attach(dev[i], ioas[i % nioas], NULL));
	}

	/* The limit the budget says to set: everything goes in. */
	vt_set_memlock(RLIM_INFINITY);
	VT_OK(ioasid_layout_budget(&o, &b));
	page = (long)b.page_size;
	VT_CHECK(b.num_ioas == (uint32_t)nioas, "budget counts %u IOASes, the layout has %d",
		 b.num_ioas, nioas);
	vt_set_memlock(b.needed);
	VT_OK(ioasid_layout_budget(&o, &b));
	VT_CHECK(b.flags & IOASID_BUDGET_FITS, "at its own figure the budget does not fit");
	pin0 = vt_status_kib(0, "VmPin");
	lck0 = vt_status_kib(0, "VmLck");
	done = map_all(ctx, ioas, nioas, buf, &rc);
	VT_CHECK(rc == 0, "%s %s: map %d refused at RLIMIT_MEMLOCK = needed %llu: %s",
		 what, mode ? "per process" : "per user", done,
		 (unsigned long long)b.needed, ioasid_errmsg());
	pin1 = vt_status_kib(0, "VmPin");
	lck1 = vt_status_kib(0, "VmLck");
	vt_say("%s, %d devices, %s: budget pinned %llu KiB charged %llu KiB; kernel VmPin +%ld kB, VmLck +%ld kB",
	       what, ndevs, mode ? "per process" : "per user",
	       (unsigned long long)b.pinned / 1024,
	       (unsigned long long)b.charged / 1024, pin1 - pin0, lck1 - lck0);
	VT_CHECK((uint64_t)(pin1 - pin0) * 1024 == b.charged,
		 "VmPin grew by %ld kB, the budget charges %llu KiB", pin1 - pin0,
		 (unsigned long long)b.charged / 1024);
	if (mode == IOASID_RLIMIT_PER_PROCESS)
		VT_CHECK((uint64_t)(lck1 - lck0) * 1024 == b.charged,
			 "per process VmLck grew by %ld kB, the budget charges %llu KiB",
			 lck1 - lck0, (unsigned long long)b.charged / 1024);
	else
		VT_CHECK(lck1 == lck0, "per user VmLck moved by %ld kB", lck1 - lck0);
	unmap_all(ctx, ioas, nioas);
	VT_CHECK(vt_status_kib(0, "VmPin") == pin0, "unmapping left VmPin at %ld kB (was %ld)",
		 vt_status_kib(0, "VmPin"), pin0);

	/* One page less: the budget says no, and the kernel refuses the
	 * last map and only it. */
	vt_set_memlock(b.needed - (uint64_t)page);
	VT_OK(ioasid_layout_budget(&o, &b));
	VT_CHECK(!(b.flags & IOASID_BUDGET_FITS), "one page under, the budget still fits");
	done = map_all(ctx, ioas, nioas, buf, &rc);
	vt_say("  one page under the limit: %d of %d maps in, then %d: %s", done,
	       2 * nioas, rc, ioasid_errmsg());
	VT_CHECK(rc == -ENOMEM && done == 2 * nioas - 1,
		 "one page under the budget: %d of %d maps went in, then %d", done,
		 2 * nioas, rc);
	unmap_all(ctx, ioas, nioas);
	vt_set_memlock(RLIM_INFINITY);

	for (int i = 0; i < ndevs; i++) {
		VT_OK(ioasid_dev_detach(dev[i]));
		ioasid_dev_close(dev[i]);
	}
	for (int i = 0; i < nioas; i++)
		VT_OK(ioasid_ioas_destroy(ctx, ioas[i]));
	ioasid_ctx_close(ctx);
}

int main(void)
{
	size_t len = SIZE0 + 0x10000 + SIZE1;
	uint8_t *buf;

	vt_drop_ipc_lock();
	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(buf != MAP_FAILED, "mmap: %s", strerror(errno));
	for (int mode = 0; mode < 2; mode++) {
		layout_case((enum ioasid_rlimit_mode)mode, IOASID_BUDGET_VIOMMU_NONE, 2, buf);
		layout_case((enum ioasid_rlimit_mode)mode, IOASID_BUDGET_VIOMMU_SHADOW, 2, buf);
	}
	munmap(buf, len);
	vt_say("PASS");
	return 0;
}
