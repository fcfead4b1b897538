// SPDX-License-Identifier: MIT
/*
 * ioasctl layout: check a guest RAM layout against the reserved regions of
 * a set of devices, or plan one that avoids them.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasctl.h"

#define MAX_WORDS 64

void layout_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl layout check dev DEV [dev DEV ...] ram GPA:SIZE [ram GPA:SIZE ...]\n"
	      "                        [hole START-LAST ...]\n"
	      "       ioasctl layout plan dev DEV [dev DEV ...] size SIZE [base GPA] [align SIZE]\n"
	      "                       [below4g SIZE] [hole START-LAST ...]\n",
	      stdout);
}

struct layout_args {
	const char *devs[MAX_WORDS];
	char canon[MAX_WORDS][IOASID_NAME_MAX];
	uint32_t num_devs;
	struct ioasid_ram_range ram[MAX_WORDS];
	uint32_t num_ram;
	struct ioasid_resv_region holes[MAX_WORDS];
	uint32_t num_holes;
	uint64_t size, base, align, below4g;
	bool has_size;
};

static int get_ram(struct cli *cli, const char *s, struct ioasid_ram_range *r)
{
	const char *colon = strchr(s, ':');
	char gpa[64];
	const char *why;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof(gpa))
		return arg_wrong(cli, s, "not a RAM range GPA:SIZE");
	memcpy(gpa, s, colon - s);
	gpa[colon - s] = '\0';
	why = parse_u64(gpa, true, &r->gpa);
	if (!why)
		why = parse_u64(colon + 1, true, &r->size);
	return why ? arg_wrong(cli, s, why) : CMD_OK;
}

static int parse_args(struct cli *cli, int argc, char **argv, bool plan,
		      struct layout_args *a)
{
	memset(a, 0, sizeof(*a));
	for (int i = 0; i < argc; i += 2) {
		const char *kw = argv[i];
		int ret = CMD_OK;

		if (i + 1 >= argc)
			return arg_needs_value(cli, kw);
		if (!strcmp(kw, "dev") && a->num_devs < MAX_WORDS) {
			a->devs[a->num_devs++] = argv[i + 1];
		} else if (!strcmp(kw, "hole") && a->num_holes < MAX_WORDS) {
			struct ioasid_iova_range r;

			ret = get_range(cli, argv[i + 1], &r);
			a->holes[a->num_holes].start = r.start;
			a->holes[a->num_holes].last = r.last;
			a->holes[a->num_holes++].type = IOASID_RESV_RESERVED;
		} else if (!plan && !strcmp(kw, "ram") && a->num_ram < MAX_WORDS) {
			ret = get_ram(cli, argv[i + 1], &a->ram[a->num_ram++]);
		} else if (plan && !strcmp(kw, "size")) {
			ret = get_u64(cli, argv[i + 1], true, &a->size);
			a->has_size = true;
		} else if (plan && !strcmp(kw, "base")) {
			ret = get_u64(cli, argv[i + 1], true, &a->base);
		} else if (plan && !strcmp(kw, "align")) {
			ret = get_u64(cli, argv[i + 1], true, &a->align);
		} else if (plan && !strcmp(kw, "below4g")) {
			ret = get_u64(cli, argv[i + 1], true, &a->below4g);
		} else {
			return arg_unexpected(cli, kw,
					      plan ? "dev, size, base, align, below4g or hole" :
						     "dev, ram or hole");
		}
		if (ret)
			return ret;
	}
	if (!a->num_devs)
		return arg_missing(cli, "dev DEV");
	if (!plan && !a->num_ram)
		return arg_missing(cli, "ram GPA:SIZE");
	if (plan && !a->has_size)
		return arg_missing(cli, "size SIZE");
	return CMD_OK;
}

/* Endpoints for the devices, plus one for the platform holes. */
static int build_eps(struct cli *cli, struct layout_args *a,
		     struct ioasid_endpoint *eps,
		     struct ioasid_resv_region **regs, uint32_t *num_eps)
{
	uint32_t n = 0;
	int ret;

	for (uint32_t i = 0; i < a->num_devs; i++) {
		IOASID_OPTS(ioasid_iommu_info, iommu);
		char *canon = a->canon[i];
		uint32_t nr;

		dev_word_canon(a->devs[i], canon, IOASID_NAME_MAX);
		ret = ioasid_dev_iommu_info(cli->ctx, canon, &iommu);
		if (ret)
			return lib_err(cli, ret);
		ret = ranges_dev_regions(cli, canon, &regs[n], &nr);
		if (ret)
			return ret;
		memset(&eps[n], 0, sizeof(eps[n]));
		eps[n].sz = sizeof(eps[n]);
		eps[n].name = canon;
		eps[n].regions = regs[n];
		eps[n].num_regions = nr;
		eps[n].aperture_last = iommu.aperture_last;
		eps[n].page_sizes = iommu.page_sizes;
		n++;
	}
	if (a->num_holes) {
		memset(&eps[n], 0, sizeof(eps[n]));
		eps[n].sz = sizeof(eps[n]);
		eps[n].name = "platform";
		eps[n].regions = a->holes;
		eps[n].num_regions = a->num_holes;
		n++;
	}
	*num_eps = n;
	return CMD_OK;
}

static void print_ram(struct cli *cli, const char *key,
		      const struct ioasid_ram_range *r, uint32_t n)
{
	out_arr_open(cli, key);
	for (uint32_t i = 0; i < n; i++) {
		out_obj_open(cli, NULL);
		out_u64(cli, "gpa", "\tram 0x%" PRIx64, r[i].gpa);
		out_u64(cli, "size", ":0x%" PRIx64 "\n", r[i].size);
		out_obj_close(cli);
	}
	out_arr_close(cli);
}

static int plan(const struct ioasid_endpoint *eps,
		uint32_t num_eps, const struct layout_args *a,
		struct ioasid_ram_range **out, uint32_t *num)
{
	IOASID_OPTS(ioasid_layout_plan_opts, o, .base = a->base,
		    .align = a->align, .min_below_4g = a->below4g);
	struct ioasid_ram_range *r = NULL;
	uint32_t n = 0;
	int ret;

	for (;;) {
		uint32_t want = n;

		ret = ioasid_layout_plan(eps, num_eps, a->size, &o, r, &n);
		if (ret == -EMSGSIZE && n > want) {
			free(r);
			r = calloc(n, sizeof(*r));
			if (!r)
				return -ENOMEM;
			continue;
		}
		break;
	}
	if (ret) {
		free(r);
		return ret;
	}
	*out = r;
	*num = n;
	return 0;
}

/*
 * Fail with errno @err and @msg, keeping the result the command has built
 * so far (conflicts, a suggested layout, blocking regions): in JSON the
 * error object is {"error": MSG, ...the result's members}, in text the
 * result is already printed and the error goes to stderr as usual.
 */
static int fail_with_result(struct cli *cli, int err, const char *msg)
{
	json_object *result = cli->json ? out_end(cli) : NULL;
	int ret;

	if (!result || !json_object_is_type(result, json_type_object)) {
		if (result)
			json_object_put(result);
		return cmd_err(cli, err, "%s", msg);
	}
	if (cli->batch) {
		/* The batch turns the error into the command's output. */
		ret = cmd_err(cli, err, "%s", msg);
		if (cli->out_root && cli->out_error) {
			json_object_object_foreach(result, key, val)
				json_object_object_add(cli->out_root, key,
						       json_object_get(val));
		}
	} else {
		/* Alone, the error object is the whole document. */
		json_object *o = json_object_new_object();

		snprintf(cli->last_msg, sizeof(cli->last_msg), "%s", msg);
		cli->last_err = err;
		json_object_object_add(o, "error", json_object_new_string(msg));
		json_object_object_foreach(result, key, val)
			json_object_object_add(o, key, json_object_get(val));
		out_print_json(cli, o);
		json_object_put(o);
		ret = CMD_FAIL;
	}
	json_object_put(result);
	return ret;
}

static void free_regs(struct ioasid_resv_region **regs, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		free(regs[i]);
}

static int layout_check(struct cli *cli, int argc, char **argv)
{
	struct layout_args a;
	struct ioasid_endpoint eps[MAX_WORDS + 1];
	struct ioasid_resv_region *regs[MAX_WORDS + 1] = { 0 };
	struct ioasid_layout_conflict *c = NULL;
	struct ioasid_ram_range *suggest = NULL;
	uint32_t num_eps = 0, nc = 0, ns = 0;
	char msg[768];
	int ret;

	ret = parse_args(cli, argc, argv, false, &a);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	ret = build_eps(cli, &a, eps, regs, &num_eps);
	if (ret)
		goto out;
	ret = ioasid_layout_check(eps, num_eps, a.ram, a.num_ram, NULL, &nc);
	if (ret == 0) {
		out_obj_open(cli, NULL);
		out_bool(cli, "ok", NULL, true);
		out_text(cli, "layout ok\n");
		print_ram(cli, "ram", a.ram, a.num_ram);
		out_obj_close(cli);
		ret = CMD_OK;
		goto out;
	}
	if (ret != -EADDRINUSE) {
		ret = lib_err(cli, ret);
		goto out;
	}
	snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
	c = calloc(nc, sizeof(*c));
	if (!c) {
		ret = cmd_err(cli, ENOMEM, "out of memory");
		goto out;
	}
	ioasid_layout_check(eps, num_eps, a.ram, a.num_ram, c, &nc);

	/* A layout of the same size that would have worked. */
	a.size = 0;
	a.base = UINT64_MAX;
	for (uint32_t i = 0; i < a.num_ram; i++) {
		a.size += a.ram[i].size;
		if (a.ram[i].gpa < a.base)
			a.base = a.ram[i].gpa;
	}
	a.align = 0;
	if (a.size % (2u << 20))
		a.align = 4096;
	if (plan(eps, num_eps, &a, &suggest, &ns))
		ns = 0;

	out_obj_open(cli, NULL);
	out_bool(cli, "ok", NULL, false);
	out_arr_open(cli, "conflicts");
	for (uint32_t i = 0; i < nc; i++) {
		const char *type = ioasid_resv_type_name(c[i].region.type);

		out_obj_open(cli, NULL);
		out_u64(cli, "gpa", "conflict ram 0x%" PRIx64, c[i].ram.gpa);
		out_u64(cli, "size", ":0x%" PRIx64, c[i].ram.size);
		out_str(cli, "device", " device %s", c[i].device);
		out_u64(cli, "start", " region 0x%" PRIx64, c[i].region.start);
		out_u64(cli, "last", "-0x%" PRIx64, c[i].region.last);
		out_str(cli, "type", " %s\n", type ? type : "unknown");
		out_obj_close(cli);
	}
	out_arr_close(cli);
	if (ns)
		out_text(cli, "would work:\n");
	print_ram(cli, "suggested", suggest, ns);
	out_obj_close(cli);
	ret = fail_with_result(cli, EADDRINUSE, msg);
out:
	free_regs(regs, a.num_devs);
	free(c);
	free(suggest);
	return ret;
}

static int layout_plan(struct cli *cli, int argc, char **argv)
{
	struct layout_args a;
	struct ioasid_endpoint eps[MAX_WORDS + 1];
	struct ioasid_resv_region *regs[MAX_WORDS + 1] = { 0 };
	struct ioasid_ram_range *r = NULL;
	uint32_t num_eps = 0, n = 0;
	int ret;

	ret = parse_args(cli, argc, argv, true, &a);
	if (ret || cli->check_only)
		return ret;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	ret = build_eps(cli, &a, eps, regs, &num_eps);
	if (ret)
		goto out;
	ret = plan(eps, num_eps, &a, &r, &n);
	if (ret) {
		ret = lib_err(cli, ret);
		goto out;
	}
	out_obj_open(cli, NULL);
	out_u64(cli, "size", "plan 0x%" PRIx64 " bytes\n", a.size);
	print_ram(cli, "ram", r, n);
	out_obj_close(cli);
out:
	free_regs(regs, a.num_devs);
	free(r);
	return ret;
}

int do_layout(struct cli *cli, int argc, char **argv)
{
	static const struct cmd cmds[] = {
		{ "check", layout_check },
		{ "plan", layout_plan },
		{ NULL, NULL },
	};

	return cmd_select(cli, "layout", cmds, argc, argv, layout_help);
}
