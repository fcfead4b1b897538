// SPDX-License-Identifier: MIT
/*
 * device hw-info DEV: what IOMMU_GET_HW_INFO says about the IOMMU behind a
 * device, with the driver's registers named: the SMMUv3's ID registers
 * and the AMD EFR decoded field by field, VT-d's CAP and ECAP as read.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "ioasctl.h"

static const char *hw_type_name(uint32_t type)
{
	switch (type) {
	case IOASID_HW_INFO_NONE: return "none";
	case IOASID_HW_INFO_INTEL_VTD: return "intel-vtd";
	case IOASID_HW_INFO_ARM_SMMUV3: return "arm-smmuv3";
	case IOASID_HW_INFO_TEGRA241_CMDQV: return "tegra241-cmdqv";
	case IOASID_HW_INFO_AMD: return "amd";
	}
	return "other"; /* e.g. the CONFIG_IOMMUFD_TEST mock's */
}

/* A feature flag printed as a word in text and as a boolean in JSON:
 * @offset is that of a bool in the decoded struct. */
struct flag_word {
	const char *key, *word;
	size_t offset;
};

static void print_flags(struct cli *cli, const void *f,
			const struct flag_word *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out_bool(cli, w[i].key, w[i].word,
			 *(const bool *)((const char *)f + w[i].offset));
}

static void print_caps(struct cli *cli, uint64_t caps)
{
	static const struct { const char *key, *word; uint64_t bit; } c[] = {
		{ "dirty_tracking", " dirty-tracking", IOASID_HW_CAP_DIRTY_TRACKING },
		{ "pasid_exec", " pasid-exec", IOASID_HW_CAP_PCI_PASID_EXEC },
		{ "pasid_priv", " pasid-privileged", IOASID_HW_CAP_PCI_PASID_PRIV },
		{ "ats_not_supported", " no-ats", IOASID_HW_CAP_PCI_ATS_NOT_SUPPORTED },
	};

	out_text(cli, "\tcapabilities:%s", caps ? "" : " none");
	out_obj_open(cli, "capabilities");
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++)
		out_bool(cli, c[i].key, c[i].word, caps & c[i].bit);
	out_obj_close(cli);
	out_text(cli, "\n");
}

#define SMMU(field, word) { #field, word, offsetof(struct ioasid_smmuv3_features, field) }
static const struct flag_word smmuv3_flags[] = {
	SMMU(stage1, " stage-1"), SMMU(stage2, " stage-2"),
	SMMU(aarch64_tables, " aarch64-tables"),
	SMMU(aarch32_tables, " aarch32-tables"),
	SMMU(coherent, " coherent-walks"), SMMU(btm, " broadcast-tlbi"),
	SMMU(hyp, " hyp"), SMMU(ats, " ats"), SMMU(pri, " pri"),
	SMMU(msi, " msi"), SMMU(asid16, " asid16"), SMMU(vmid16, " vmid16"),
	SMMU(cd_2level, " cd-2level"), SMMU(ril, " range-invalidation"),
	SMMU(fwb, " s2fwb"), SMMU(term_model, " term-model"),
};
#define AMD(field, word) { #field, word, offsetof(struct ioasid_amd_features, field) }
static const struct flag_word amd_flags[] = {
	AMD(gt, " guest-translation"), AMD(gio, " guest-io-protection"),
	AMD(ga, " guest-apic"), AMD(ppr, " ppr"), AMD(eph, " enhanced-ppr"),
	AMD(ha, " host-access-bits"), AMD(hd, " host-dirty-bits"),
	AMD(snp, " snp"), AMD(gcr3_trap, " gcr3-trap"),
};

static const char *const httu_words[] = { "none", "access flag",
					  "access flag and dirty state" };
static const char *const stall_words[] = { "stall and terminate",
					   "terminate only", "stall forced",
					   "reserved" };

static int print_smmuv3(struct cli *cli, const void *data, uint32_t len)
{
	IOASID_OPTS(ioasid_smmuv3_features, f);
	int ret = ioasid_hw_info_smmuv3_decode(data, len, &f);

	if (ret < 0)
		return lib_err(cli, ret);
	out_obj_open(cli, "smmuv3");
	out_text(cli, "\tsmmuv3:");
	print_flags(cli, &f, smmuv3_flags, sizeof(smmuv3_flags) / sizeof(smmuv3_flags[0]));
	out_text(cli, "\n");
	out_text(cli, "\tnesting: %s\n",
		 f.stage1 && f.stage2 ? "possible (stage 1 and stage 2)"
		 : f.stage1 ? "no stage 2: no nest parent"
			    : "no stage 1");
	out_uint(cli, "httu", "\thardware table updates: %" PRIu64, f.httu);
	out_text(cli, " (%s)\n", httu_words[f.httu <= 2 ? f.httu : 0]);
	out_uint(cli, "stall_model", "\tstall model: %" PRIu64, f.stall_model);
	out_text(cli, " (%s)", stall_words[f.stall_model & 3]);
	out_uint(cli, "stall_max", ", at most %" PRIu64 " stalled\n",
		 f.stall_max);
	out_uint(cli, "st_levels", "\tstream table: %" PRIu64 " level(s)",
		 f.st_levels);
	out_uint(cli, "sid_bits", ", %" PRIu64 "-bit StreamIDs", f.sid_bits);
	out_uint(cli, "ssid_bits", ", %" PRIu64 "-bit SubstreamIDs (PASIDs)\n",
		 f.ssid_bits);
	out_uint(cli, "cmdq_log2", "\tqueues: command 2^%" PRIu64, f.cmdq_log2);
	out_uint(cli, "evtq_log2", ", event 2^%" PRIu64, f.evtq_log2);
	out_uint(cli, "priq_log2", ", PRI 2^%" PRIu64 " entries\n", f.priq_log2);
	out_uint(cli, "oas_bits", "\taddresses: %" PRIu64 "-bit output",
		 f.oas_bits);
	out_uint(cli, "va_bits", ", %" PRIu64 "-bit input; granules", f.va_bits);
	out_bool(cli, "gran_4k", " 4K", f.gran_4k);
	out_bool(cli, "gran_16k", " 16K", f.gran_16k);
	out_bool(cli, "gran_64k", " 64K", f.gran_64k);
	out_uint(cli, "bbml", "; break-before-make level %" PRIu64 "\n", f.bbml);
	out_uint(cli, "arch_minor", "\tarchitecture SMMUv3.%" PRIu64, f.arch_minor);
	out_uint(cli, "implementer", ", implementer 0x%03" PRIx64, f.implementer);
	out_uint(cli, "product", " product 0x%03" PRIx64, f.product);
	out_uint(cli, "variant", " variant %" PRIu64, f.variant);
	out_uint(cli, "revision", " revision %" PRIu64 "\n", f.revision);
	out_obj_close(cli);
	return CMD_OK;
}

static int print_amd(struct cli *cli, const void *data, uint32_t len)
{
	IOASID_OPTS(ioasid_amd_features, f);
	int ret = ioasid_hw_info_amd_decode(data, len, &f);

	if (ret < 0)
		return lib_err(cli, ret);
	out_obj_open(cli, "amd");
	out_text(cli, "\tamd:");
	print_flags(cli, &f, amd_flags, sizeof(amd_flags) / sizeof(amd_flags[0]));
	out_text(cli, "\n");
	out_uint(cli, "guest_levels", "\tguest page tables: %" PRIu64 " levels",
		 f.guest_levels);
	out_uint(cli, "glx", ", GLX %" PRIu64, f.glx);
	out_uint(cli, "pasid_width", ", PASID width %" PRIu64 "\n", f.pasid_width);
	out_u64(cli, "vmm_efr", "\tEFR a guest may see: 0x%016" PRIx64 "\n",
		f.vmm_efr);
	out_obj_close(cli);
	return CMD_OK;
}

/* VT-d: the uAPI's struct iommu_hw_info_vtd (flags, reserved, then the
 * 64-bit CAP_REG and ECAP_REG). */
static int print_vtd(struct cli *cli, const unsigned char *data, uint32_t len)
{
	uint64_t cap = 0, ecap = 0;

	if (len >= 16)
		memcpy(&cap, data + 8, 8);
	if (len >= 24)
		memcpy(&ecap, data + 16, 8);
	out_obj_open(cli, "vtd");
	out_u64(cli, "cap_reg", "\tvtd: CAP_REG 0x%016" PRIx64, cap);
	out_u64(cli, "ecap_reg", " ECAP_REG 0x%016" PRIx64 "\n", ecap);
	out_obj_close(cli);
	return CMD_OK;
}

static int print_hw_info(struct cli *cli, struct ioasid_dev *dev)
{
	IOASID_OPTS(ioasid_hw_info, info);
	unsigned char data[256];
	uint32_t len;
	int ret = ioasid_dev_hw_info(dev, &info, data, sizeof(data));

	if (ret < 0)
		return lib_err(cli, ret);
	len = info.data_len < sizeof(data) ? info.data_len : sizeof(data);
	out_obj_open(cli, NULL);
	out_str(cli, "device", "device %s", ioasid_dev_name(dev));
	out_str(cli, "type", " type %s", hw_type_name(info.type));
	out_uint(cli, "max_pasid_log2", " max_pasid_log2 %" PRIu64 "\n",
		 info.max_pasid_log2);
	print_caps(cli, info.capabilities);
	out_uint(cli, "data_len", NULL, info.data_len);
	if (info.type == IOASID_HW_INFO_ARM_SMMUV3 && len)
		ret = print_smmuv3(cli, data, len);
	else if (info.type == IOASID_HW_INFO_AMD && len)
		ret = print_amd(cli, data, len);
	else if (info.type == IOASID_HW_INFO_INTEL_VTD && len)
		ret = print_vtd(cli, data, len);
	out_obj_close(cli);
	return ret;
}

/*
 * device hw-info DEV: a device open in the batch, or one opened and bound
 * for the command alone.
 */
int device_hw_info(struct cli *cli, int argc, char **argv)
{
	struct cli_name *n;
	struct ioasid_dev *dev;
	int ret = one_dev_arg(cli, argc, argv);

	if (ret || cli->check_only)
		return ret;
	n = dev_find(cli, argv[0]);
	if (n && n->dev)
		return print_hw_info(cli, n->dev);
	ret = dev_open_bound(cli, argv[0], &dev);
	if (ret)
		return ret;
	ret = print_hw_info(cli, dev);
	ioasid_dev_close(dev);
	return ret;
}
