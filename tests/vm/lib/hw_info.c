// SPDX-License-Identifier: MIT
/*
 * IOMMU_GET_HW_INFO through the library on the real kernel, for every edu
 * device: the driver data the library hands back is the uAPI's struct
 * (layout checked against <linux/iommufd.h>), and what the library
 * decodes agrees with how the kernel itself uses those registers
 * (tests/vm/lib/vm_hw.h, written from the kernel's drivers, not from the
 * library):
 *  - SMMUv3: ioasid_hw_info_smmuv3_decode()'s stage 1, VAX and OAS give
 *    the same top IOVA as vm_smmuv3_top(); the top of the usable IOVA
 *    ranges of an IOAS the device is attached to is that top; the PASID
 *    width the kernel grants the device is at most SSIDSIZE; a 4K-page
 *    kernel runs on an SMMU with the 4K granule;
 *  - VT-d: CAP_REG and ECAP_REG are where the uAPI puts them (vm_vtd_top()
 *    of them is the top of the usable ranges);
 *  - no driver data (IOMMU_HW_INFO_TYPE_NONE: virtio-iommu): there are no
 *    registers to decode, so the test says so and checks what it can:
 *    no data comes back, the library's aperture is known (asked of the
 *    kernel's ranges, not guessed) and ends where the kernel's usable
 *    ranges end; `ioasctl -j device hw-info` says type none; `ioasctl
 *    ranges device` alone (an inspection context, without /dev/iommu)
 *    calls its ceiling "(estimated)" and says what it assumed, while in
 *    a batch that binds the device it prints the kernel's top, not
 *    called an estimate.
 * With the static ioasctl staged in /files (make vmcheck), `ioasctl -j
 * device hw-info` must print the same decoded fields.
 */
#include <stddef.h>
#include <unistd.h>

#include "vmtest.h"

_Static_assert(sizeof(struct ioasid_hw_info_arm_smmuv3) ==
		       sizeof(struct iommu_hw_info_arm_smmuv3),
	       "SMMUv3 hw info is the uAPI's struct");
_Static_assert(offsetof(struct ioasid_hw_info_arm_smmuv3, idr) ==
		       offsetof(struct iommu_hw_info_arm_smmuv3, idr) &&
	       offsetof(struct ioasid_hw_info_arm_smmuv3, iidr) ==
		       offsetof(struct iommu_hw_info_arm_smmuv3, iidr) &&
	       offsetof(struct ioasid_hw_info_arm_smmuv3, aidr) ==
		       offsetof(struct iommu_hw_info_arm_smmuv3, aidr),
	       "SMMUv3 hw info fields where the uAPI has them");

static uint64_t ranges_top(struct ioasid_ctx *ctx, struct ioasid_dev *dev)
{
	struct ioasid_iova_range r[16];
	uint32_t ioas, hwpt, num = 16;
	uint64_t align;

	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, &hwpt));
	VT_OK(ioasid_ioas_iova_ranges(ctx, ioas, r, &num, &align));
	VT_OK(ioasid_dev_detach(dev));
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	VT_CHECK(num >= 1, "no usable range");
	return r[num - 1].last;
}

static void check_ioasctl(const char *bdf, const struct ioasid_smmuv3_features *f)
{
	static const char *const ioasctl = "/files/ioasctl";
	char cmd[256], out[8192];
	size_t got;
	FILE *p;

	if (access(ioasctl, X_OK)) {
		vt_say("  %s not staged (run.sh without --files): ioasctl not compared",
		       ioasctl);
		return;
	}
	/* ioasctl opens the device itself: the test's handle is closed. */
	snprintf(cmd, sizeof(cmd), "%s -j device hw-info %s 2>&1", ioasctl, bdf);
	p = popen(cmd, "r");
	VT_CHECK(p, "popen: %s", strerror(errno));
	got = fread(out, 1, sizeof(out) - 1, p);
	out[got] = '\0';
	VT_CHECK(pclose(p) == 0, "%s: %s", cmd, out);
	vt_say("  ioasctl: %.200s...", out);
	VT_CHECK(strstr(out, "\"type\":\"arm-smmuv3\""), "no smmuv3 type: %s", out);
	VT_CHECK(vt_json_field(out, "stage1") == f->stage1 &&
			 vt_json_field(out, "stage2") == f->stage2 &&
			 vt_json_field(out, "va_bits") == f->va_bits &&
			 vt_json_field(out, "oas_bits") == f->oas_bits &&
			 vt_json_field(out, "ssid_bits") == f->ssid_bits &&
			 vt_json_field(out, "gran_4k") == f->gran_4k,
		 "ioasctl's fields differ from the library's: %s", out);
}

/* `ioasctl ARGS` (the device closed: ioasctl opens it itself) into @out;
 * false when /files/ioasctl is not staged. */
static bool run_ioasctl(const char *args, char *out, size_t size)
{
	int st = vt_ioasctl(args, out, size);

	if (st < 0) {
		vt_say("  /files/ioasctl not staged (run.sh without --files): ioasctl %s not run",
		       args);
		return false;
	}
	VT_CHECK(st == 0, "ioasctl %s: exit %d: %s", args, st, out);
	vt_say("  ioasctl %s: %.300s", args, out);
	return true;
}

/* No driver data: the library's ceiling, through the API and through
 * ioasctl, is the kernel's usable top, and not called an estimate. */
static void test_none(struct ioasid_ctx *ctx, const char *bdf,
		      const struct ioasid_hw_info *hw, uint64_t usable_top)
{
	IOASID_OPTS(ioasid_iommu_info, iommu);

	vt_say("  type NONE: the IOMMU driver gives no hw_info data (virtio-iommu); "
	       "no registers to decode, checking the library against the kernel's ranges");
	VT_CHECK(hw->data_len == 0, "type NONE with %u bytes of data", hw->data_len);
	VT_OK(ioasid_dev_iommu_info(ctx, bdf, &iommu));
	vt_say("  library: iommu %s aperture 0x%llx-0x%llx flags 0x%x", iommu.name,
	       (unsigned long long)iommu.aperture_start,
	       (unsigned long long)iommu.aperture_last, iommu.flags);
	VT_CHECK(iommu.flags & IOASID_IOMMU_APERTURE_KNOWN,
		 "the library estimates the ceiling (0x%llx) although the kernel's ranges tell",
		 (unsigned long long)iommu.aperture_last);
	VT_CHECK(iommu.aperture_last == usable_top,
		 "library ceiling 0x%llx, the kernel's usable top 0x%llx",
		 (unsigned long long)iommu.aperture_last,
		 (unsigned long long)usable_top);
}

/* After the device is closed: ioasctl alone cannot ask the kernel, and
 * says its ceiling is an estimate; ioasctl with the device bound in a
 * batch prints the kernel's top as known. */
static void check_ioasctl_none(const char *bdf, uint64_t usable_top)
{
	static const char *const batch = "/tmp/hw_info-none.batch";
	char args[128], out[8192], want[64];
	const char *line;
	FILE *f;

	snprintf(args, sizeof(args), "-j device hw-info %s", bdf);
	if (!run_ioasctl(args, out, sizeof(out)))
		return;
	VT_CHECK(strstr(out, "\"type\":\"none\""), "not type none: %s", out);

	snprintf(args, sizeof(args), "ranges device %s", bdf);
	VT_CHECK(run_ioasctl(args, out, sizeof(out)), "ioasctl vanished");
	line = strstr(out, " ceiling ");
	VT_CHECK(line, "ioasctl ranges device: no ceiling: %s", out);
	if (strtoull(line + 9, NULL, 16) != usable_top)
		VT_CHECK(strstr(line, " (estimated)") && strstr(out, "estimated: ceiling assumed"),
			 "ioasctl ranges device prints a ceiling that is not the kernel's 0x%llx "
			 "and does not call it an estimate: %s",
			 (unsigned long long)usable_top, out);

	f = fopen(batch, "w");
	VT_CHECK(f, "%s: %s", batch, strerror(errno));
	fprintf(f, "device open %s name e\ndevice bind e\nranges device %s\ndevice close e\n",
		bdf, bdf);
	VT_CHECK(fclose(f) == 0, "%s: %s", batch, strerror(errno));
	snprintf(args, sizeof(args), "batch %s", batch);
	VT_CHECK(run_ioasctl(args, out, sizeof(out)), "ioasctl vanished");
	snprintf(want, sizeof(want), "ceiling 0x%llx", (unsigned long long)usable_top);
	line = strstr(out, want);
	VT_CHECK(line, "ioasctl batch, device bound: no \"%s\": %s", want, out);
	line += strlen(want);
	VT_CHECK(strncmp(line, " (estimated)", 12) && !strstr(out, "estimated: ceiling"),
		 "ioasctl calls the kernel's ceiling an estimate: %s", out);
	unlink(batch);
}

static void test_smmuv3(struct ioasid_ctx *ctx, struct ioasid_dev *dev,
			const struct ioasid_hw_info *hw, const void *data,
			uint64_t usable_top)
{
	IOASID_OPTS(ioasid_smmuv3_features, f);
	const struct iommu_hw_info_arm_smmuv3 *raw = data;
	uint64_t top;
	unsigned int width;

	(void)ctx;
	VT_CHECK(hw->data_len >= sizeof(*raw), "SMMUv3 data of %u bytes",
		 hw->data_len);
	VT_OK(ioasid_hw_info_smmuv3_decode(data, hw->data_len, &f));
	vt_say("  SMMUv3.%u: stage1 %d stage2 %d httu %u oas %u va %u ssid %u sid %u granules%s%s%s",
	       f.arch_minor, f.stage1, f.stage2, f.httu, f.oas_bits, f.va_bits,
	       f.ssid_bits, f.sid_bits, f.gran_4k ? " 4K" : "",
	       f.gran_16k ? " 16K" : "", f.gran_64k ? " 64K" : "");
	VT_CHECK(f.stage1 == !!(raw->idr[0] & 2) && f.stage2 == !!(raw->idr[0] & 1),
		 "stages decoded %d/%d from IDR0 0x%x", f.stage1, f.stage2,
		 raw->idr[0]);
	/* The kernel's paging domain: stage 1 when there is one. */
	if (f.stage1)
		width = f.va_bits == 52 && vm_va_above_48() ? 52 : 48;
	else
		width = f.oas_bits;
	top = (1ull << width) - 1;
	VT_CHECK(top == vm_smmuv3_top(raw->idr),
		 "decoded top 0x%llx, the kernel's rule gives 0x%llx",
		 (unsigned long long)top,
		 (unsigned long long)vm_smmuv3_top(raw->idr));
	VT_CHECK(usable_top == top, "usable ranges end at 0x%llx, decoded 0x%llx",
		 (unsigned long long)usable_top, (unsigned long long)top);
	VT_CHECK(hw->max_pasid_log2 <= f.ssid_bits,
		 "kernel grants %u PASID bits, SSIDSIZE %u", hw->max_pasid_log2,
		 f.ssid_bits);
	if (sysconf(_SC_PAGESIZE) == 4096)
		VT_CHECK(f.gran_4k, "a 4K-page kernel on an SMMU without the 4K granule");
	else if (sysconf(_SC_PAGESIZE) == 65536)
		VT_CHECK(f.gran_64k, "a 64K-page kernel on an SMMU without the 64K granule");
	(void)dev;
}

static void test_edu(struct ioasid_ctx *ctx, const char *bdf)
{
	IOASID_OPTS(ioasid_hw_info, hw);
	uint64_t data[32] = { 0 };
	IOASID_OPTS(ioasid_smmuv3_features, f);
	struct ioasid_dev *dev;
	uint64_t usable_top;
	bool smmuv3 = false, none = false;

	vt_say("edu %s", bdf);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));
	VT_OK(ioasid_dev_open(ctx, bdf, &dev));
	VT_OK(ioasid_dev_bind(dev, NULL));
	VT_OK(ioasid_dev_hw_info(dev, &hw, data, sizeof(data)));
	vt_say("  type %u, max_pasid_log2 %u, %u bytes of driver data", hw.type,
	       hw.max_pasid_log2, hw.data_len);
	usable_top = ranges_top(ctx, dev);
	if (hw.type == IOASID_HW_INFO_ARM_SMMUV3) {
		test_smmuv3(ctx, dev, &hw, data, usable_top);
		VT_OK(ioasid_hw_info_smmuv3_decode(data, hw.data_len, &f));
		smmuv3 = true;
	} else if (hw.type == IOASID_HW_INFO_INTEL_VTD) {
		const struct iommu_hw_info_vtd *vtd = (const void *)data;

		VT_CHECK(hw.data_len >= sizeof(*vtd), "VT-d data of %u bytes",
			 hw.data_len);
		vt_say("  VT-d: CAP 0x%llx ECAP 0x%llx, MGAW %u",
		       (unsigned long long)vtd->cap_reg,
		       (unsigned long long)vtd->ecap_reg, vm_vtd_mgaw(vtd->cap_reg));
		VT_CHECK(usable_top == vm_vtd_top(vtd->cap_reg, vtd->ecap_reg),
			 "usable ranges end at 0x%llx, CAP/ECAP give 0x%llx",
			 (unsigned long long)usable_top,
			 (unsigned long long)vm_vtd_top(vtd->cap_reg, vtd->ecap_reg));
	} else if (hw.type == IOASID_HW_INFO_NONE) {
		test_none(ctx, bdf, &hw, usable_top);
		none = true;
	} else {
		vt_fail("hw info type %u: this test has no rule for it", hw.type);
	}
	ioasid_dev_close(dev);
	if (smmuv3)
		check_ioasctl(bdf, &f);
	if (none)
		check_ioasctl_none(bdf, usable_top);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
}

int main(void)
{
	vt_each_edu(test_edu);
	return 0;
}
