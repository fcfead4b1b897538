// SPDX-License-Identifier: MIT
/*
 * device hw-info DEV: what IOMMU_GET_HW_INFO says about the IOMMU behind a
 * device, with the driver's registers named: the SMMUv3's ID registers
 * and the AMD EFR decoded field by field, VT-d's CAP and ECAP as read.
 */
#include <inttypes.h>
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

static void print_caps(struct cli *cli, uint64_t caps)
{
	out_text(cli, "\tcapabilities:%s", caps ? "" : " none");
	out_obj_open(cli, "capabilities");
	out_bool(cli, "dirty_tracking", " dirty-tracking",
		 caps & IOASID_HW_CAP_DIRTY_TRACKING);
	out_bool(cli, "pasid_exec", " pasid-exec",
		 caps & IOASID_HW_CAP_PCI_PASID_EXEC);
	out_bool(cli, "pasid_priv", " pasid-privileged",
		 caps & IOASID_HW_CAP_PCI_PASID_PRIV);
	out_bool(cli, "ats_not_supported", " no-ats",
		 caps & IOASID_HW_CAP_PCI_ATS_NOT_SUPPORTED);
	out_obj_close(cli);
	out_text(cli, "\n");
}

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
	out_bool(cli, "stage1", " stage-1", f.stage1);
	out_bool(cli, "stage2", " stage-2", f.stage2);
	out_bool(cli, "aarch64_tables", " aarch64-tables", f.aarch64_tables);
	out_bool(cli, "aarch32_tables", " aarch32-tables", f.aarch32_tables);
	out_bool(cli, "coherent", " coherent-walks", f.coherent);
	out_bool(cli, "btm", " broadcast-tlbi", f.btm);
	out_bool(cli, "hyp", " hyp", f.hyp);
	out_bool(cli, "ats", " ats", f.ats);
	out_bool(cli, "pri", " pri", f.pri);
	out_bool(cli, "msi", " msi", f.msi);
	out_bool(cli, "asid16", " asid16", f.asid16);
	out_bool(cli, "vmid16", " vmid16", f.vmid16);
	out_bool(cli, "cd_2level", " cd-2level", f.cd_2level);
	out_bool(cli, "ril", " range-invalidation", f.ril);
	out_bool(cli, "fwb", " s2fwb", f.fwb);
	out_bool(cli, "term_model", " term-model", f.term_model);
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
	out_bool(cli, "gt", " guest-translation", f.gt);
	out_bool(cli, "gio", " guest-io-protection", f.gio);
	out_bool(cli, "ga", " guest-apic", f.ga);
	out_bool(cli, "ppr", " ppr", f.ppr);
	out_bool(cli, "eph", " enhanced-ppr", f.eph);
	out_bool(cli, "ha", " host-access-bits", f.ha);
	out_bool(cli, "hd", " host-dirty-bits", f.hd);
	out_bool(cli, "snp", " snp", f.snp);
	out_bool(cli, "gcr3_trap", " gcr3-trap", f.gcr3_trap);
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
	int ret;

	if (argc < 1)
		return arg_missing(cli, "DEV");
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after DEV");
	if (cli->check_only)
		return CMD_OK;
	n = dev_find(cli, argv[0]);
	if (n && n->dev)
		return print_hw_info(cli, n->dev);
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = ioasid_dev_open(cli->ctx, argv[0], &dev);
	if (ret < 0)
		return lib_err(cli, ret);
	ret = ioasid_dev_bind(dev, NULL);
	if (ret < 0)
		ret = lib_err(cli, ret);
	else
		ret = print_hw_info(cli, dev);
	ioasid_dev_close(dev);
	return ret;
}
