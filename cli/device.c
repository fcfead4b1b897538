// SPDX-License-Identifier: MIT
/* ioasctl device ... and ioasctl group ... */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasctl.h"

void device_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl device { list | show } [DEV]\n"
	      "       ioasctl device { bind | unbind } DEV [force]\n"
	      "       ioasctl device open DEV [name NAME]\n"
	      "       ioasctl device hw-info DEV\n"
	      "       ioasctl device { detach | close } DEV\n"
	      "       ioasctl device { attach | replace } DEV to PT\n"
	      "DEV := { PCI-ADDRESS | MDEV-UUID | CDEV-PATH | NAME }\n"
	      "PT := { IOAS | HWPT }   (an id or a name)\n"
	      "bind/unbind change the host driver (vfio-pci or the default);\n"
	      "open (and bind its iommufd), attach, replace, detach, close\n"
	      "act in the iommufd and last until ioasctl exits: use a batch.\n",
	      stdout);
}

void group_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl group { list | show } [GROUP]\n"
	      "GROUP := the IOMMU group number\n",
	      stdout);
}

const char *dev_kind_name(enum ioasid_dev_kind kind)
{
	switch (kind) {
	case IOASID_DEV_PCI: return "pci";
	case IOASID_DEV_MDEV: return "mdev";
	case IOASID_DEV_MOCK: return "mock";
	}
	return "unknown";
}

/* Empty strings read as "-" in text and stay "" in JSON. */
#define or_dash(s) (*(s) || cli->json ? (s) : "-")

/* The reserved regions of a group (get_list()). */
struct group_of {
	struct ioasid_ctx *ctx;
	int32_t group;
};

static int get_group_regions(const void *arg, void *arr, uint32_t *num)
{
	const struct group_of *g = arg;

	return ioasid_group_resv_regions(g->ctx, g->group, arr, num);
}

int print_resv_regions(struct cli *cli, int32_t group, const char *indent)
{
	struct ioasid_resv_region *regions;
	uint32_t num;
	int ret;

	regions = get_list(cli, get_group_regions,
			   &(struct group_of){ cli->ctx, group },
			   sizeof(*regions), &num, &ret);
	if (ret)
		return ret;
	out_arr_open(cli, "reserved_regions");
	for (uint32_t i = 0; i < num; i++) {
		const char *type = ioasid_resv_type_name(regions[i].type);

		out_obj_open(cli, NULL);
		out_text(cli, "%sreserved ", indent);
		out_u64(cli, "start", "0x%" PRIx64, regions[i].start);
		out_u64(cli, "last", "-0x%" PRIx64, regions[i].last);
		out_str(cli, "type", " %s\n", type ? type : "unknown");
		out_obj_close(cli);
	}
	if (num == 0)
		out_text(cli, "%sno reserved regions\n", indent);
	out_arr_close(cli);
	free(regions);
	return CMD_OK;
}

/*
 * The text of "device list" and "group list" is a table: a line of
 * column names, then one line per entry, each column as wide as its
 * widest value (measured in a first walk), as lsblk prints.  JSON is
 * the same either way: the widths only change the text formats.
 */
struct dev_cols {
	int name, kind, parent, driver, group, iommu, cdev, class;
};

static void widen(int *w, const char *s)
{
	int n = (int)strlen(s);

	if (n > *w)
		*w = n;
}

/* " %-Ws" (or without the leading blank for the first column), with a
 * conversion @conv of <inttypes.h>. */
static const char *col(char *buf, size_t size, bool first, int width,
		       const char *conv)
{
	snprintf(buf, size, "%s%%-%d%s", first ? "" : " ", width, conv);
	return buf;
}

static const char *dev_class_word(const struct ioasid_dev_info *in)
{
	return ioasid_dev_class_name(in->dev_class) ?: "unknown";
}

/* @w NULL: the words of "device show" ("KEY VALUE" after the name);
 * else a row of the table of "device list". */
static void print_dev_info(struct cli *cli, const struct ioasid_dev_info *in,
			   const struct dev_cols *w)
{
	char f[32];

	if (w) {
		out_str(cli, "name", col(f, sizeof(f), true, w->name, "s"),
			in->name);
		out_str(cli, "kind", col(f, sizeof(f), false, w->kind, "s"),
			dev_kind_name(in->kind));
		if (in->kind == IOASID_DEV_MDEV)
			out_str(cli, "parent",
				col(f, sizeof(f), false, w->parent, "s"),
				in->parent);
		else
			out_text(cli, " %-*s", w->parent, "-");
		out_str(cli, "driver", col(f, sizeof(f), false, w->driver, "s"),
			or_dash(in->driver));
		if (in->group >= 0 || cli->json)
			out_int(cli, "group",
				col(f, sizeof(f), false, w->group, PRId64),
				in->group);
		else
			out_text(cli, " %-*s", w->group, "-");
		out_str(cli, "iommu", col(f, sizeof(f), false, w->iommu, "s"),
			or_dash(in->iommu));
		out_str(cli, "cdev", col(f, sizeof(f), false, w->cdev, "s"),
			or_dash(in->cdev));
		out_str(cli, "class", col(f, sizeof(f), false, w->class, "s"),
			dev_class_word(in));
		out_uint(cli, "class_id", NULL, in->dev_class);
		out_uint(cli, "pasid_width", " %" PRIu64 "\n",
			 in->pasid_width);
		return;
	}
	out_str(cli, "name", "%s", in->name);
	out_str(cli, "kind", " %s", dev_kind_name(in->kind));
	if (in->kind == IOASID_DEV_MDEV)
		out_str(cli, "parent", " parent %s", in->parent);
	out_str(cli, "driver", " driver %s", or_dash(in->driver));
	if (in->group >= 0 || cli->json)
		out_int(cli, "group", " group %" PRId64, in->group);
	else
		out_text(cli, " group -");
	out_str(cli, "iommu", " iommu %s", or_dash(in->iommu));
	out_str(cli, "cdev", " cdev %s", or_dash(in->cdev));
	out_str(cli, "class", " class %s", dev_class_word(in));
	out_uint(cli, "class_id", NULL, in->dev_class);
	out_uint(cli, "pasid_width", " pasid-width %" PRIu64 "\n",
		 in->pasid_width);
}

/*
 * "device list" and "group list": @show prints entry @i of the library's
 * walk (ioasid_dev_info_at(), ioasid_group_info_at()) with the column
 * widths @cols until it returns -ENOENT, past the last; any other result
 * but CMD_OK ends the command.  In text, @measure first widens @cols
 * over the same walk and @header prints the line of column names.
 */
static int list_all(struct cli *cli, int argc, char **argv,
		    int (*show)(struct cli *cli, uint32_t i, void *cols),
		    int (*measure)(struct cli *cli, uint32_t i, void *cols),
		    void (*header)(struct cli *cli, const void *cols),
		    void *cols)
{
	if (argc > 0)
		return arg_unexpected(cli, argv[0], "nothing after \"list\"");
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	if (out_text_on(cli)) {
		for (uint32_t i = 0;; i++) {
			int ret = measure(cli, i, cols);

			if (ret == -ENOENT)
				break;
			if (ret)
				return lib_err(cli, ret);
		}
		header(cli, cols);
	}
	out_arr_open(cli, NULL);
	for (uint32_t i = 0;; i++) {
		int ret = show(cli, i, cols);

		if (ret == -ENOENT)
			break;
		if (ret)
			return ret;
	}
	out_arr_close(cli);
	return CMD_OK;
}

static int measure_dev_at(struct cli *cli, uint32_t i, void *cols)
{
	IOASID_OPTS(ioasid_dev_info, info);
	struct dev_cols *w = cols;
	char group[16];
	int ret = ioasid_dev_info_at(cli->ctx, i, &info);

	if (ret < 0)
		return ret;
	snprintf(group, sizeof(group), "%" PRId32, info.group);
	widen(&w->name, info.name);
	widen(&w->kind, dev_kind_name(info.kind));
	if (info.kind == IOASID_DEV_MDEV)
		widen(&w->parent, info.parent);
	widen(&w->driver, info.driver);
	widen(&w->group, group);
	widen(&w->iommu, info.iommu);
	widen(&w->cdev, info.cdev);
	widen(&w->class, dev_class_word(&info));
	return 0;
}

static void dev_header(struct cli *cli, const void *cols)
{
	const struct dev_cols *w = cols;

	out_text(cli, "%-*s %-*s %-*s %-*s %-*s %-*s %-*s %-*s %s\n",
		 w->name, "device", w->kind, "kind", w->parent, "parent",
		 w->driver, "driver", w->group, "group", w->iommu, "iommu",
		 w->cdev, "cdev", w->class, "class", "pasid-width");
}

static int show_dev_at(struct cli *cli, uint32_t i, void *cols)
{
	IOASID_OPTS(ioasid_dev_info, info);
	int ret = ioasid_dev_info_at(cli->ctx, i, &info);

	if (ret < 0)
		return ret == -ENOENT ? ret : lib_err(cli, ret);
	out_obj_open(cli, NULL);
	print_dev_info(cli, &info, cols);
	out_obj_close(cli);
	return CMD_OK;
}

static int device_list(struct cli *cli, int argc, char **argv)
{
	/* At least as wide as the column names. */
	struct dev_cols w = {
		.name = 6, .kind = 4, .parent = 6, .driver = 6, .group = 5,
		.iommu = 5, .cdev = 4, .class = 5,
	};

	return list_all(cli, argc, argv, show_dev_at, measure_dev_at,
			dev_header, &w);
}

static int device_show(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_dev_info, info);
	char canon[IOASID_NAME_MAX + 8];
	struct cli_name *n;
	int ret;

	if (argc < 1)
		return device_list(cli, argc, argv);
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after DEV");
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	n = dev_find(cli, argv[0]);
	if (n && n->dev)
		snprintf(canon, sizeof(canon), "%s", ioasid_dev_name(n->dev));
	else if (n)
		snprintf(canon, sizeof(canon), "%s", n->dev_word);
	else
		dev_word_canon(argv[0], canon, sizeof(canon));
	ret = ioasid_dev_info_get(cli->ctx, canon, &info);
	if (ret < 0)
		return lib_err(cli, ret);

	out_obj_open(cli, NULL);
	print_dev_info(cli, &info, NULL);
	out_uint(cli, "vendor", "\tvendor 0x%04" PRIx64, info.vendor_id);
	out_uint(cli, "device", " device 0x%04" PRIx64 "\n", info.device_id);
	if (n && n->dev) {
		out_obj_open(cli, "open");
		out_str(cli, "name", "\topen as %s", n->name);
		out_uint(cli, "dev_id", " id %" PRIu64,
			 ioasid_dev_id(n->dev));
		out_uint(cli, "pt", " pt %" PRIu64, ioasid_dev_pt_id(n->dev));
		out_uint(cli, "hwpt", " hwpt %" PRIu64 "\n",
			 ioasid_dev_hwpt_id(n->dev));
		out_obj_close(cli);
	}
	if (info.group >= 0) {
		ret = print_resv_regions(cli, info.group, "\t");
		if (ret)
			return ret;
	}
	out_obj_close(cli);
	return CMD_OK;
}

/*
 * device open DEV [name NAME]: open the VFIO cdev and bind it to the
 * iommufd (VFIO_DEVICE_BIND_IOMMUFD), as a VMM does before attaching.
 */
int dev_open_bound(struct cli *cli, const char *word, struct ioasid_dev **dev)
{
	int ret;

	if (cli_need_ctx(cli))
		return CMD_FAIL;
	ret = ioasid_dev_open(cli->ctx, word, dev);
	if (ret < 0)
		return lib_err(cli, ret);
	ret = ioasid_dev_bind(*dev, NULL);
	if (ret < 0) {
		ret = lib_err(cli, ret);
		ioasid_dev_close(*dev);
		*dev = NULL;
		return ret;
	}
	return CMD_OK;
}

int one_dev_arg(struct cli *cli, int argc, char **argv)
{
	if (argc < 1)
		return arg_missing(cli, "DEV");
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after DEV");
	return CMD_OK;
}

static int device_open(struct cli *cli, int argc, char **argv)
{
	char canon[IOASID_NAME_MAX + 8];
	const char *alias = NULL;
	const struct kw_value kws[] = { { "name", &alias }, { NULL } };
	struct cli_name *n;
	struct ioasid_dev *dev;
	int ret;

	if (argc < 1)
		return arg_missing(cli, "DEV");
	ret = get_kw_values(cli, argc - 1, argv + 1, kws, "\"name\"");
	if (ret)
		return ret;
	dev_word_canon(argv[0], canon, sizeof(canon));
	if (cli->check_only)
		return dev_declare(cli, canon, alias) ? CMD_OK : CMD_USAGE;

	ret = dev_open_bound(cli, argv[0], &dev);
	if (ret)
		return ret;
	n = dev_declare(cli, canon, alias);
	if (!n) {
		ioasid_dev_close(dev);
		return CMD_USAGE;
	}
	n->dev = dev;
	warn_ephemeral(cli, "the open device");
	return CMD_OK;
}

static int get_one_dev(struct cli *cli, int argc, char **argv,
		       const char *cmd, struct ioasid_dev **dev)
{
	if (argc < 1)
		return arg_missing(cli, "DEV");
	if (argc > 1) {
		char what[64];

		snprintf(what, sizeof(what), "nothing after \"%s DEV\"", cmd);
		return arg_unexpected(cli, argv[1], what);
	}
	return get_dev(cli, argv[0], dev);
}

/*
 * Before "device open" bound the device itself, scripts said
 * "device open DEV; device bind DEV".  A device open in the batch cannot
 * change host drivers (the library refuses), so "device bind" of one is
 * read, from the batch text alone, as that old iommufd bind: it prints
 * the device id as it did.
 */
static int device_bind_legacy(struct cli *cli, int argc, char **argv)
{
	struct ioasid_dev *dev;
	uint32_t dev_id;
	int ret;

	ret = get_one_dev(cli, argc, argv, "bind", &dev);
	if (ret || cli->check_only)
		return ret;
	dev_id = ioasid_dev_id(dev);
	if (!dev_id) {
		ret = ioasid_dev_bind(dev, &dev_id);
		if (ret < 0)
			return lib_err(cli, ret);
	}
	out_obj_open(cli, NULL);
	out_str(cli, "device", "device %s", ioasid_dev_name(dev));
	out_uint(cli, "dev_id", " id %" PRIu64 "\n", dev_id);
	out_obj_close(cli);
	return CMD_OK;
}

/*
 * device bind DEV [force]: hand a PCI device to vfio-pci;
 * device unbind DEV [force]: give it back to its default host driver.
 * Both go through driver_override and last until changed again.
 */
static int device_set_driver(struct cli *cli, int argc, char **argv,
			     bool bind)
{
	const char *cmd = bind ? "bind" : "unbind";
	IOASID_OPTS(ioasid_driver_opts, opts);
	IOASID_OPTS(ioasid_dev_info, before);
	IOASID_OPTS(ioasid_dev_info, after);
	char canon[IOASID_NAME_MAX + 8];
	struct cli_name *n;
	bool force = false;
	int ret;

	if (argc < 1)
		return arg_missing(cli, "DEV");
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "force") && strcmp(argv[i], "--force")) {
			char what[64];

			snprintf(what, sizeof(what), "\"force\" or nothing "
				 "after \"%s DEV\"", cmd);
			return arg_unexpected(cli, argv[i], what);
		}
		if (force)
			return arg_duplicate(cli, "force", argv[i]);
		force = true;
	}
	n = dev_find(cli, argv[0]);
	if (n && bind && argc == 1)
		return device_bind_legacy(cli, argc, argv);
	if (cli->check_only)
		return CMD_OK;
	if (n && n->dev)
		return cmd_err(cli, EBUSY,
			       "device \"%s\" is open in this batch: close it "
			       "before \"device %s\" changes its host driver "
			       "(%s)",
			       argv[0], cmd, errno_name(EBUSY));
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	dev_word_canon(n ? n->dev_word : argv[0], canon, sizeof(canon));
	ret = ioasid_dev_info_get(cli->ctx, canon, &before);
	if (ret < 0)
		return lib_err(cli, ret);
	if (force)
		opts.flags |= IOASID_DRIVER_FORCE;
	ret = ioasid_dev_set_driver(cli->ctx, canon, bind ? "vfio-pci" : NULL,
				    &opts);
	if (ret < 0) {
		if (ret == -EBUSY && !force && before.driver[0] &&
		    strcmp(before.driver, "vfio-pci"))
			return cmd_err(cli, EBUSY,
				       "device %s is in use by host driver %s: "
				       "\"device bind %s force\" takes it "
				       "away, stopping whatever it serves (%s)",
				       before.name, before.driver, argv[0],
				       errno_name(EBUSY));
		return lib_err(cli, ret);
	}
	ret = ioasid_dev_info_get(cli->ctx, canon, &after);
	if (ret < 0)
		return lib_err(cli, ret);
	out_obj_open(cli, NULL);
	out_str(cli, "device", "device %s", after.name);
	out_str(cli, "driver", " driver %s", or_dash(after.driver));
	out_str(cli, "previous_driver", " (was %s)", or_dash(before.driver));
	out_str(cli, "cdev", " cdev %s\n", or_dash(after.cdev));
	out_obj_close(cli);
	return CMD_OK;
}

static int device_bind(struct cli *cli, int argc, char **argv)
{
	return device_set_driver(cli, argc, argv, true);
}

static int device_unbind(struct cli *cli, int argc, char **argv)
{
	return device_set_driver(cli, argc, argv, false);
}

static int device_attach_common(struct cli *cli, int argc, char **argv,
				bool replace)
{
	const char *cmd = replace ? "replace" : "attach";
	struct ioasid_dev *dev = NULL;
	uint32_t pt, hwpt = 0;
	int ret;

	if (argc < 1)
		return arg_missing(cli, "DEV");
	if (argc < 2)
		return arg_missing(cli, "to");
	if (strcmp(argv[1], "to"))
		return arg_unexpected(cli, argv[1], "\"to\"");
	if (argc < 3)
		return arg_needs_value(cli, "to");
	if (argc > 3) {
		char what[64];

		snprintf(what, sizeof(what), "nothing after \"%s DEV to PT\"",
			 cmd);
		return arg_unexpected(cli, argv[3], what);
	}
	ret = get_obj_id(cli, argv[2], NAME_IOAS, true, &pt);
	if (ret)
		return ret;
	ret = get_dev(cli, argv[0], &dev);
	if (ret || cli->check_only)
		return ret;
	ret = replace ? ioasid_dev_replace(dev, pt, &hwpt) :
			ioasid_dev_attach(dev, pt, &hwpt);
	if (ret < 0)
		return lib_err(cli, ret);
	out_obj_open(cli, NULL);
	out_str(cli, "device", "device %s", ioasid_dev_name(dev));
	out_uint(cli, "pt", " pt %" PRIu64, pt);
	out_uint(cli, "hwpt", " hwpt %" PRIu64 "\n", hwpt);
	out_obj_close(cli);
	warn_ephemeral(cli, "the attachment");
	return CMD_OK;
}

static int device_attach(struct cli *cli, int argc, char **argv)
{
	return device_attach_common(cli, argc, argv, false);
}

static int device_replace(struct cli *cli, int argc, char **argv)
{
	return device_attach_common(cli, argc, argv, true);
}

static int device_detach(struct cli *cli, int argc, char **argv)
{
	struct ioasid_dev *dev;
	int ret;

	ret = get_one_dev(cli, argc, argv, "detach", &dev);
	if (ret || cli->check_only)
		return ret;
	ret = ioasid_dev_detach(dev);
	return ret < 0 ? lib_err(cli, ret) : CMD_OK;
}

static int device_close(struct cli *cli, int argc, char **argv)
{
	struct ioasid_dev *dev;
	int ret;

	ret = get_one_dev(cli, argc, argv, "close", &dev);
	if (ret || cli->check_only)
		return ret;
	ioasid_dev_close(dev);
	dev_find(cli, argv[0])->dev = NULL;
	return CMD_OK;
}

const struct cmd device_cmds[] = {
	{ "list", device_list },
	{ "show", device_show },
	{ "hw-info", device_hw_info },
	{ "open", device_open },
	{ "bind", device_bind },
	{ "unbind", device_unbind },
	{ "attach", device_attach },
	{ "replace", device_replace },
	{ "detach", device_detach },
	{ "close", device_close },
	{ NULL, NULL },
};

/* ------------------------------------------------------------------ */

static int print_group(struct cli *cli, const struct ioasid_group_info *g,
		       bool devices)
{
	int ret;

	out_obj_open(cli, NULL);
	out_int(cli, "id", "group %" PRId64, g->id);
	out_str(cli, "iommu", " iommu %s", or_dash(g->iommu));
	out_uint(cli, "num_devices", " devices %" PRIu64 "\n",
		 g->num_devices);
	if (devices) {
		out_arr_open(cli, "devices");
		for (uint32_t i = 0;; i++) {
			IOASID_OPTS(ioasid_dev_info, info);

			ret = ioasid_dev_info_at(cli->ctx, i, &info);
			if (ret == -ENOENT)
				break;
			if (ret < 0)
				return lib_err(cli, ret);
			if (info.group == g->id)
				out_str(cli, NULL, "\tdevice %s\n", info.name);
		}
		out_arr_close(cli);
	}
	ret = print_resv_regions(cli, g->id, "\t");
	out_obj_close(cli);
	return ret;
}

struct group_cols {
	int group, iommu, devices;
};

/* A row of "group list": the group, then its reserved regions, the
 * first on the row and each further one on a line of its own under it. */
static int print_group_row(struct cli *cli, const struct ioasid_group_info *g,
			   const struct group_cols *w)
{
	struct ioasid_resv_region *regions;
	uint32_t num;
	char f[32];
	int ret;

	out_obj_open(cli, NULL);
	out_int(cli, "id", col(f, sizeof(f), true, w->group, PRId64), g->id);
	out_str(cli, "iommu", col(f, sizeof(f), false, w->iommu, "s"),
		or_dash(g->iommu));
	out_uint(cli, "num_devices", col(f, sizeof(f), false, w->devices, PRIu64),
		 g->num_devices);
	regions = get_list(cli, get_group_regions,
			   &(struct group_of){ cli->ctx, g->id },
			   sizeof(*regions), &num, &ret);
	if (ret)
		return ret;
	out_arr_open(cli, "reserved_regions");
	for (uint32_t i = 0; i < num; i++) {
		const char *type = ioasid_resv_type_name(regions[i].type);

		out_obj_open(cli, NULL);
		if (i)
			out_text(cli, "\n%*s", w->group + w->iommu + w->devices + 3,
				 "");
		else
			out_text(cli, " ");
		out_u64(cli, "start", "0x%" PRIx64, regions[i].start);
		out_u64(cli, "last", "-0x%" PRIx64, regions[i].last);
		out_str(cli, "type", " %s", type ? type : "unknown");
		out_obj_close(cli);
	}
	out_text(cli, num ? "\n" : " -\n");
	out_arr_close(cli);
	out_obj_close(cli);
	free(regions);
	return CMD_OK;
}

static int measure_group_at(struct cli *cli, uint32_t i, void *cols)
{
	IOASID_OPTS(ioasid_group_info, g);
	struct group_cols *w = cols;
	char num[24];
	int ret = ioasid_group_info_at(cli->ctx, i, &g);

	if (ret < 0)
		return ret;
	snprintf(num, sizeof(num), "%" PRId32, g.id);
	widen(&w->group, num);
	widen(&w->iommu, g.iommu);
	snprintf(num, sizeof(num), "%" PRIu32, g.num_devices);
	widen(&w->devices, num);
	return 0;
}

static void group_header(struct cli *cli, const void *cols)
{
	const struct group_cols *w = cols;

	out_text(cli, "%-*s %-*s %-*s %s\n", w->group, "group", w->iommu,
		 "iommu", w->devices, "devices", "reserved");
}

static int show_group_at(struct cli *cli, uint32_t i, void *cols)
{
	IOASID_OPTS(ioasid_group_info, g);
	int ret = ioasid_group_info_at(cli->ctx, i, &g);

	if (ret < 0)
		return ret == -ENOENT ? ret : lib_err(cli, ret);
	return print_group_row(cli, &g, cols);
}

static int group_list(struct cli *cli, int argc, char **argv)
{
	struct group_cols w = { .group = 5, .iommu = 5, .devices = 7 };

	return list_all(cli, argc, argv, show_group_at, measure_group_at,
			group_header, &w);
}

static int group_show(struct cli *cli, int argc, char **argv)
{
	uint32_t want;
	int ret;

	if (argc < 1)
		return group_list(cli, argc, argv);
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after GROUP");
	ret = get_u32(cli, argv[0], &want);
	if (ret)
		return ret;
	if (want > INT32_MAX)
		return arg_wrong(cli, argv[0], "too large for a group number");
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	for (uint32_t i = 0;; i++) {
		IOASID_OPTS(ioasid_group_info, g);

		ret = ioasid_group_info_at(cli->ctx, i, &g);
		if (ret == -ENOENT)
			break;
		if (ret < 0)
			return lib_err(cli, ret);
		if ((uint32_t)g.id == want)
			return print_group(cli, &g, true);
	}
	return cmd_err(cli, ENOENT, "group %" PRIu32 " does not exist (%s)",
		       want, errno_name(ENOENT));
}

const struct cmd group_cmds[] = {
	{ "list", group_list },
	{ "show", group_show },
	{ NULL, NULL },
};
