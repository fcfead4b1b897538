// SPDX-License-Identifier: MIT
/*
 * ioasctl ranges: the reserved regions of a device, a group or an IOAS in
 * both forms, the typed holes and the usable ranges, with the
 * address-width ceiling.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasctl.h"

void ranges_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl ranges device DEV\n"
	      "       ioasctl ranges group GROUP\n"
	      "       ioasctl ranges ioas IOAS\n",
	      stdout);
}

static void print_holes(struct cli *cli, const struct ioasid_resv_region *r,
			uint32_t n)
{
	out_text(cli, "holes\n");
	out_arr_open(cli, "holes");
	for (uint32_t i = 0; i < n; i++) {
		const char *type = ioasid_resv_type_name(r[i].type);

		out_obj_open(cli, NULL);
		out_u64(cli, "start", "\t0x%" PRIx64, r[i].start);
		out_u64(cli, "last", "-0x%" PRIx64, r[i].last);
		out_str(cli, "type", " %s\n", type ? type : "unknown");
		out_obj_close(cli);
	}
	out_arr_close(cli);
}

static void print_usable(struct cli *cli, const struct ioasid_iova_range *r,
			 uint32_t n)
{
	out_text(cli, "usable\n");
	out_arr_open(cli, "usable");
	for (uint32_t i = 0; i < n; i++) {
		out_obj_open(cli, NULL);
		out_u64(cli, "start", "\t0x%" PRIx64, r[i].start);
		out_u64(cli, "last", "-0x%" PRIx64 "\n", r[i].last);
		out_obj_close(cli);
	}
	out_arr_close(cli);
}

/* The usable complement of @r, printed. */
static int print_usable_of(struct cli *cli, const struct ioasid_resv_region *r,
			   uint32_t n)
{
	struct ioasid_iova_range *u = calloc(n + 1, sizeof(*u));
	uint32_t nu = n + 1;
	int ret;

	if (!u)
		return cmd_err(cli, ENOMEM, "out of memory");
	ret = ioasid_resv_usable(r, n, 0, UINT64_MAX, u, &nu);
	if (ret) {
		free(u);
		return lib_err(cli, ret);
	}
	print_usable(cli, u, nu);
	free(u);
	return CMD_OK;
}

/* The reserved regions of a device or an IOAS (get_list()). */
struct regions_of {
	struct ioasid_ctx *ctx;
	const char *dev;
	uint32_t ioas;
};

static int get_dev_regions(const void *arg, void *arr, uint32_t *num)
{
	const struct regions_of *o = arg;

	return ioasid_dev_resv_regions(o->ctx, o->dev, arr, num);
}

static int get_ioas_regions(const void *arg, void *arr, uint32_t *num)
{
	const struct regions_of *o = arg;

	return ioasid_ioas_resv_regions(o->ctx, o->ioas, arr, num);
}

/* The device's holes (group regions + aperture), malloc'ed. */
int ranges_dev_regions(struct cli *cli, const char *name,
		       struct ioasid_resv_region **out, uint32_t *num)
{
	struct regions_of o = { .ctx = cli->ctx, .dev = name };
	struct ioasid_resv_region *r;
	int ret;

	r = get_list(cli, get_dev_regions, &o, sizeof(*r), num, &ret);
	if (!ret)
		*out = r;
	return ret;
}

/* What an "(estimated)" value was estimated from, and how to get the
 * IOMMU's own: neither sysfs (only VT-d publishes its capabilities) nor,
 * for a device this process could not open and bind, IOMMU_GET_HW_INFO
 * said. */
void print_estimates(struct cli *cli, uint32_t flags)
{
	if (!(flags & IOASID_IOMMU_APERTURE_KNOWN))
		out_text(cli, "\testimated: ceiling assumed 48-bit (sysfs has no address width for this IOMMU;"
			      " with /dev/iommu and the device on vfio-pci and not in use, the kernel is asked instead: the IOMMU's registers, or the IOVA ranges of a scratch IOAS)\n");
	if (!(flags & IOASID_IOMMU_PAGE_SIZES_KNOWN))
		out_text(cli, "\testimated: granule assumed to be the CPU page size (sysfs has no page sizes for this IOMMU)\n");
}

static int print_device(struct cli *cli, const char *name, const char *what,
			int64_t group)
{
	IOASID_OPTS(ioasid_iommu_info, iommu);
	struct ioasid_resv_region *r;
	uint32_t n;
	int ret;

	ret = ioasid_dev_iommu_info(cli->ctx, name, &iommu);
	if (ret)
		return lib_err(cli, ret);
	ret = ranges_dev_regions(cli, name, &r, &n);
	if (ret)
		return ret;
	out_obj_open(cli, NULL);
	if (group >= 0)
		out_int(cli, "group", "group %" PRId64, group);
	else
		out_str(cli, "device", "device %s", what);
	out_str(cli, "iommu", " iommu %s", iommu.name);
	out_u64(cli, "aperture_last", " ceiling 0x%" PRIx64,
		iommu.aperture_last);
	if (!(iommu.flags & IOASID_IOMMU_APERTURE_KNOWN))
		out_text(cli, " (estimated)");
	out_u64(cli, "granule", " granule 0x%" PRIx64,
		iommu.page_sizes & -iommu.page_sizes);
	if (!(iommu.flags & IOASID_IOMMU_PAGE_SIZES_KNOWN))
		out_text(cli, " (estimated)");
	out_text(cli, "\n");
	print_estimates(cli, iommu.flags);
	print_holes(cli, r, n);
	ret = print_usable_of(cli, r, n);
	out_obj_close(cli);
	free(r);
	return ret;
}

static int ranges_device(struct cli *cli, int argc, char **argv)
{
	char canon[IOASID_NAME_MAX];
	int ret = one_dev_arg(cli, argc, argv);

	if (ret || cli->check_only)
		return ret;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	dev_word_canon(argv[0], canon, sizeof(canon));
	return print_device(cli, canon, canon, -1);
}

/* A group's regions with its IOMMU's ceiling are those of any of its
 * devices; a group without devices has no IOMMU to ask. */
static int ranges_group(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_dev_info, info);
	uint32_t group;
	int ret;

	if (argc < 1)
		return arg_missing(cli, "GROUP");
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after GROUP");
	ret = get_u32(cli, argv[0], &group);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	for (uint32_t i = 0;; i++) {
		ret = ioasid_dev_info_at(cli->ctx, i, &info);
		if (ret == -ENOENT)
			break;
		if (ret)
			return lib_err(cli, ret);
		if (info.group == (int32_t)group)
			return print_device(cli, info.name, info.name, group);
	}
	return cmd_err(cli, ENOENT, "group %u has no devices", group);
}

static int ranges_ioas(struct cli *cli, int argc, char **argv)
{
	struct ioasid_resv_region *r;
	struct ioasid_iova_range *u;
	uint64_t alignment = 0;
	uint32_t id, n, nu;
	int ret;

	if (argc < 1)
		return arg_missing(cli, "IOAS");
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after IOAS");
	ret = get_obj_id(cli, argv[0], NAME_IOAS, false, &id);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	r = get_list(cli, get_ioas_regions,
		     &(struct regions_of){ .ctx = cli->ctx, .ioas = id },
		     sizeof(*r), &n, &ret);
	if (ret)
		return ret;
	ret = get_iova_ranges(cli, id, &u, &nu, &alignment);
	if (ret) {
		free(r);
		return ret;
	}
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", "ioas %" PRIu64, id);
	out_u64(cli, "alignment", " alignment 0x%" PRIx64 "\n", alignment);
	print_holes(cli, r, n);
	/* The backend's own ranges: what it enforces. */
	print_usable(cli, u, nu);
	out_obj_close(cli);
	free(r);
	free(u);
	return CMD_OK;
}

const struct cmd ranges_cmds[] = {
	{ "device", ranges_device },
	{ "group", ranges_group },
	{ "ioas", ranges_ioas },
	{ NULL, NULL },
};
