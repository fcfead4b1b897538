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
#include <unistd.h>

#include "ioasctl.h"

#define MAX_WORDS 64

void layout_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl layout check dev DEV [dev DEV ...] ram GPA:SIZE [ram GPA:SIZE ...]\n"
	      "                        [hole START-LAST ...]\n"
	      "       ioasctl layout plan dev DEV [dev DEV ...] size SIZE [base GPA] [align SIZE]\n"
	      "                       [below4g SIZE] [hole START-LAST ...]\n"
	      "       ioasctl layout report [dev DEV ...] [name NAME]\n"
	      "       ioasctl layout compare SRC DST [ram GPA:SIZE ...] [iova START-LAST ...]\n"
	      "                          [guest-iovas]\n"
	      "       ioasctl layout budget ram GPA:SIZE [ram GPA:SIZE ...] | size SIZE\n"
	      "                         [devices N] [viommu none|shadow|nested] [domains N]\n"
	      "                         [rlimit-mode user|process] [other SIZE]\n"
	      "                         [limit SIZE|unlimited] [page SIZE]\n",
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
	/* The endpoints build_eps() makes of them (free_regs()). */
	struct ioasid_endpoint eps[MAX_WORDS + 1];
	struct ioasid_resv_region *regs[MAX_WORDS + 1];
	uint32_t num_eps;
	/* Each device's IOASID_IOMMU_*_KNOWN: what is an estimate. */
	uint32_t known[MAX_WORDS];
};

/* Text: the inputs of a check or a plan that were estimates. */
static void print_estimated_inputs(struct cli *cli, const struct layout_args *a)
{
	const uint32_t both = IOASID_IOMMU_APERTURE_KNOWN |
			      IOASID_IOMMU_PAGE_SIZES_KNOWN;

	for (uint32_t i = 0; i < a->num_devs; i++) {
		if ((a->known[i] & both) == both)
			continue;
		out_text(cli, "estimated input: device %s%s%s\n", a->canon[i],
			 a->known[i] & IOASID_IOMMU_APERTURE_KNOWN ? ""
				 : " ceiling (48-bit assumed)",
			 a->known[i] & IOASID_IOMMU_PAGE_SIZES_KNOWN ? ""
				 : " granule (CPU page size assumed)");
	}
}

static int get_ram(struct cli *cli, const char *s, struct ioasid_ram_range *r)
{
	const char *why;

	if (!parse_u64_pair(s, ':', &r->gpa, &r->size, &why))
		return arg_wrong(cli, s, "not a RAM range GPA:SIZE");
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
static int build_eps(struct cli *cli, struct layout_args *a)
{
	struct ioasid_endpoint *eps = a->eps;
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
		ret = ranges_dev_regions(cli, canon, &a->regs[n], &nr);
		if (ret)
			return ret;
		memset(&eps[n], 0, sizeof(eps[n]));
		eps[n].name = canon;
		eps[n].regions = a->regs[n];
		eps[n].num_regions = nr;
		eps[n].aperture_last = iommu.aperture_last;
		eps[n].page_sizes = iommu.page_sizes;
		a->known[i] = iommu.flags;
		n++;
	}
	if (a->num_holes) {
		memset(&eps[n], 0, sizeof(eps[n]));
		eps[n].name = "platform";
		eps[n].regions = a->holes;
		eps[n].num_regions = a->num_holes;
		n++;
	}
	a->num_eps = n;
	return CMD_OK;
}

static void free_regs(struct layout_args *a)
{
	for (uint32_t i = 0; i < a->num_devs; i++)
		free(a->regs[i]);
}

/* "layout check|plan" (@plan) up to the endpoints of its devices, which
 * only the run builds; free_regs() after either. */
static int layout_setup(struct cli *cli, int argc, char **argv, bool plan,
			struct layout_args *a)
{
	int ret = parse_args(cli, argc, argv, plan, a);

	if (ret || cli->check_only)
		return ret;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	return build_eps(cli, a);
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

/* A layout plan (get_list()). */
struct plan_of {
	const struct ioasid_endpoint *eps;
	uint32_t num_eps;
	uint64_t size;
	const struct ioasid_layout_plan_opts *opts;
};

static int get_plan(const void *arg, void *arr, uint32_t *num)
{
	const struct plan_of *p = arg;

	return ioasid_layout_plan(p->eps, p->num_eps, p->size, p->opts, arr,
				  num);
}

/* 0 with the plan in *@out, or the -errno (nothing reported). */
static int plan(const struct layout_args *a, struct ioasid_ram_range **out,
		uint32_t *num)
{
	IOASID_OPTS(ioasid_layout_plan_opts, o, .base = a->base,
		    .align = a->align, .min_below_4g = a->below4g);
	struct plan_of p = { a->eps, a->num_eps, a->size, &o };
	int ret;

	*out = get_list(NULL, get_plan, &p, sizeof(**out), num, &ret);
	return ret;
}

static int layout_check(struct cli *cli, int argc, char **argv)
{
	struct layout_args a;
	struct ioasid_layout_conflict *c = NULL;
	struct ioasid_ram_range *suggest = NULL;
	uint32_t nc = 0, ns = 0;
	char msg[768];
	int ret;

	ret = layout_setup(cli, argc, argv, false, &a);
	if (ret || cli->check_only)
		goto out;
	ret = ioasid_layout_check(a.eps, a.num_eps, a.ram, a.num_ram, NULL, &nc);
	if (ret == 0) {
		out_obj_open(cli, NULL);
		out_bool(cli, "ok", NULL, true);
		out_text(cli, "layout ok\n");
		print_ram(cli, "ram", a.ram, a.num_ram);
		print_estimated_inputs(cli, &a);
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
	ioasid_layout_check(a.eps, a.num_eps, a.ram, a.num_ram, c, &nc);

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
	if (plan(&a, &suggest, &ns))
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
	print_estimated_inputs(cli, &a);
	out_obj_close(cli);
	ret = fail_with_result(cli, EADDRINUSE, msg);
out:
	free_regs(&a);
	free(c);
	free(suggest);
	return ret;
}

static int layout_plan(struct cli *cli, int argc, char **argv)
{
	struct layout_args a;
	struct ioasid_ram_range *r = NULL;
	uint32_t n = 0;
	int ret;

	ret = layout_setup(cli, argc, argv, true, &a);
	if (ret || cli->check_only)
		goto out;
	ret = plan(&a, &r, &n);
	if (ret) {
		ret = lib_err(cli, ret);
		goto out;
	}
	out_obj_open(cli, NULL);
	out_u64(cli, "size", "plan 0x%" PRIx64 " bytes\n", a.size);
	print_ram(cli, "ram", r, n);
	print_estimated_inputs(cli, &a);
	out_obj_close(cli);
out:
	free_regs(&a);
	free(r);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Saved platform reports and migration                                 */

/* @lead: what the text line has before "region". */
static void print_region(struct cli *cli, const char *lead,
			 const struct ioasid_resv_region *r)
{
	const char *type = ioasid_resv_type_name(r->type);

	out_text(cli, "%s", lead);
	out_u64(cli, "start", "region 0x%" PRIx64, r->start);
	out_u64(cli, "last", "-0x%" PRIx64, r->last);
	out_str(cli, "type", " %s", type ? type : "unknown");
}

/* Every device with an IOMMU group, when the command names none. */
static int all_group_devices(struct cli *cli, struct layout_args *a,
			     char (*names)[IOASID_NAME_MAX])
{
	IOASID_OPTS(ioasid_dev_info, info);

	for (uint32_t i = 0; a->num_devs < MAX_WORDS; i++) {
		int ret = ioasid_dev_info_at(cli->ctx, i, &info);

		if (ret == -ENOENT)
			break;
		if (ret)
			return lib_err(cli, ret);
		if (info.group < 0)
			continue;
		memcpy(names[a->num_devs], info.name, IOASID_NAME_MAX);
		a->devs[a->num_devs] = names[a->num_devs];
		a->num_devs++;
	}
	return CMD_OK;
}

static int layout_report(struct cli *cli, int argc, char **argv)
{
	struct layout_args a;
	static char names[MAX_WORDS][IOASID_NAME_MAX];
	char host[IOASID_NAME_MAX] = "";
	const char *name = NULL;
	int ret;

	memset(&a, 0, sizeof(a));
	for (int i = 0; i < argc; i += 2) {
		if (i + 1 >= argc)
			return arg_needs_value(cli, argv[i]);
		if (!strcmp(argv[i], "dev") && a.num_devs < MAX_WORDS)
			a.devs[a.num_devs++] = argv[i + 1];
		else if (!strcmp(argv[i], "name"))
			name = argv[i + 1];
		else
			return arg_unexpected(cli, argv[i], "dev or name");
	}
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_inspect_ctx(cli))
		return CMD_FAIL;
	if (!a.num_devs) {
		ret = all_group_devices(cli, &a, names);
		if (ret)
			return ret;
	}
	ret = build_eps(cli, &a);
	if (ret)
		goto out;
	if (!name) {
		if (gethostname(host, sizeof(host) - 1))
			snprintf(host, sizeof(host), "unknown");
		name = host;
	}
	out_obj_open(cli, NULL);
	out_str(cli, "platform", "platform %s\n", name);
	out_arr_open(cli, "devices");
	for (uint32_t e = 0; e < a.num_eps; e++) {
		const struct ioasid_endpoint *ep = &a.eps[e];
		IOASID_OPTS(ioasid_iommu_info, iommu);

		ioasid_dev_iommu_info(cli->ctx, ep->name, &iommu);
		out_obj_open(cli, NULL);
		out_str(cli, "name", "device %s", ep->name);
		out_str(cli, "iommu", " iommu %s", iommu.name);
		out_u64(cli, "aperture_last", " ceiling 0x%" PRIx64,
			ep->aperture_last);
		if (!(iommu.flags & IOASID_IOMMU_APERTURE_KNOWN))
			out_text(cli, " (estimated)");
		out_u64(cli, "page_sizes", " page_sizes 0x%" PRIx64,
			ep->page_sizes);
		if (!(iommu.flags & IOASID_IOMMU_PAGE_SIZES_KNOWN))
			out_text(cli, " (estimated)");
		out_text(cli, "\n");
		print_estimates(cli, iommu.flags);
		out_arr_open(cli, "regions");
		for (uint32_t k = 0; k < ep->num_regions; k++) {
			out_obj_open(cli, NULL);
			print_region(cli, "\t", &ep->regions[k]);
			out_text(cli, "\n");
			out_obj_close(cli);
		}
		out_arr_close(cli);
		out_obj_close(cli);
	}
	out_arr_close(cli);
	out_obj_close(cli);
out:
	free_regs(&a);
	return ret;
}

/* A saved report (ioasctl -j layout report) read back as endpoints. */
struct platform {
	json_object *root;
	const char *name;
	struct ioasid_endpoint eps[MAX_WORDS];
	struct ioasid_resv_region *regs[MAX_WORDS];
	uint32_t num_eps;
};

/* A u64 member: the exact "KEY_hex" string, else the number. */
static bool json_u64(json_object *o, const char *key, uint64_t *v)
{
	char hexkey[64];
	json_object *m;

	snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
	if (json_object_object_get_ex(o, hexkey, &m) &&
	    json_object_is_type(m, json_type_string))
		return !parse_u64(json_object_get_string(m), false, v);
	if (json_object_object_get_ex(o, key, &m) &&
	    json_object_is_type(m, json_type_int)) {
		*v = json_object_get_uint64(m);
		return true;
	}
	return false;
}

static bool json_type_of(json_object *o, enum ioasid_resv_type *type)
{
	json_object *m;
	const char *s;

	if (!json_object_object_get_ex(o, "type", &m))
		return false;
	s = json_object_get_string(m);
	for (int t = IOASID_RESV_DIRECT; t <= IOASID_RESV_SW_MSI; t++) {
		const char *n = ioasid_resv_type_name((enum ioasid_resv_type)t);

		if (n && s && !strcmp(n, s)) {
			*type = (enum ioasid_resv_type)t;
			return true;
		}
	}
	return false;
}

static void platform_free(struct platform *p)
{
	for (uint32_t i = 0; i < p->num_eps; i++)
		free(p->regs[i]);
	if (p->root)
		json_object_put(p->root);
}

static int platform_load(struct cli *cli, const char *path,
			 struct platform *p)
{
	json_object *devs, *m;
	size_t ndev;

	memset(p, 0, sizeof(*p));
	p->root = json_object_from_file(path);
	if (!p->root)
		return cmd_err(cli, EINVAL,
			       "%s: not a readable JSON file; save a report with \"ioasctl -j layout report\"",
			       path);
	p->name = path;
	if (json_object_object_get_ex(p->root, "platform", &m))
		p->name = json_object_get_string(m);
	if (!json_object_object_get_ex(p->root, "devices", &devs) ||
	    !json_object_is_type(devs, json_type_array))
		return cmd_err(cli, EINVAL,
			       "%s: no \"devices\" array; save a report with \"ioasctl -j layout report\"",
			       path);
	ndev = json_object_array_length(devs);
	if (ndev > MAX_WORDS)
		return cmd_err(cli, EINVAL, "%s: more than %d devices", path,
			       MAX_WORDS);
	for (size_t i = 0; i < ndev; i++) {
		json_object *d = json_object_array_get_idx(devs, i), *regs;
		struct ioasid_endpoint *ep = &p->eps[p->num_eps];
		size_t nr = 0;

		memset(ep, 0, sizeof(*ep));
		if (json_object_object_get_ex(d, "name", &m))
			ep->name = json_object_get_string(m);
		if (!json_u64(d, "aperture_last", &ep->aperture_last) ||
		    !json_u64(d, "page_sizes", &ep->page_sizes))
			return cmd_err(cli, EINVAL,
				       "%s: device %zu lacks aperture_last or page_sizes",
				       path, i);
		if (json_object_object_get_ex(d, "regions", &regs) &&
		    json_object_is_type(regs, json_type_array))
			nr = json_object_array_length(regs);
		p->regs[p->num_eps] = calloc(nr + 1, sizeof(**p->regs));
		p->num_eps++;
		if (!p->regs[p->num_eps - 1])
			return cmd_err(cli, ENOMEM, "out of memory");
		for (size_t k = 0; k < nr; k++) {
			json_object *r = json_object_array_get_idx(regs, k);
			struct ioasid_resv_region *rr = &p->regs[p->num_eps - 1][k];

			if (!json_u64(r, "start", &rr->start) ||
			    !json_u64(r, "last", &rr->last) ||
			    !json_type_of(r, &rr->type))
				return cmd_err(cli, EINVAL,
					       "%s: device %zu region %zu needs start, last and a known type",
					       path, i, k);
		}
		ep->regions = p->regs[p->num_eps - 1];
		ep->num_regions = (uint32_t)nr;
	}
	return CMD_OK;
}

static const char *block_reason_name(enum ioasid_block_reason r)
{
	switch (r) {
	case IOASID_BLOCK_RAM:
		return "ram";
	case IOASID_BLOCK_NEW_REGION:
		return "new-region";
	case IOASID_BLOCK_CEILING:
		return "ceiling";
	case IOASID_BLOCK_GRANULE:
		return "granule";
	}
	return "unknown";
}

static int layout_compare(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_compare_opts, o);
	struct ioasid_ram_range ram[2 * MAX_WORDS];
	struct ioasid_migration_block *b = NULL;
	struct platform src, dst;
	uint32_t num_ram = 0, nb = 0;
	char msg[768];
	int ret;

	if (argc < 2)
		return arg_missing(cli, argc ? "DST" : "SRC");
	for (int i = 2; i < argc; i++) {
		const char *kw = argv[i];

		if (!strcmp(kw, "guest-iovas")) {
			o.flags |= IOASID_COMPARE_GUEST_IOVAS;
			continue;
		}
		if (i + 1 >= argc)
			return arg_needs_value(cli, kw);
		if (num_ram >= ARRAY_SIZE(ram))
			return usage_err(cli, "too many ram and iova ranges");
		if (!strcmp(kw, "ram")) {
			ret = get_ram(cli, argv[++i], &ram[num_ram++]);
		} else if (!strcmp(kw, "iova")) {
			struct ioasid_iova_range r;

			ret = get_range(cli, argv[++i], &r);
			ram[num_ram].gpa = r.start;
			ram[num_ram++].size = r.last - r.start + 1;
		} else {
			return arg_unexpected(cli, kw, "ram, iova or guest-iovas");
		}
		if (ret)
			return ret;
	}
	if (cli->check_only)
		return CMD_OK;
	ret = platform_load(cli, argv[0], &src);
	if (!ret)
		ret = platform_load(cli, argv[1], &dst);
	else
		memset(&dst, 0, sizeof(dst));
	if (ret)
		goto out;
	ret = ioasid_layout_compare(src.eps, src.num_eps, dst.eps, dst.num_eps,
				    ram, num_ram, &o, NULL, &nb);
	if (ret && ret != -EADDRINUSE) {
		ret = lib_err(cli, ret);
		goto out;
	}
	snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
	if (nb) {
		b = calloc(nb, sizeof(*b));
		if (!b) {
			ret = cmd_err(cli, ENOMEM, "out of memory");
			goto out;
		}
		ioasid_layout_compare(src.eps, src.num_eps, dst.eps,
				      dst.num_eps, ram, num_ram, &o, b, &nb);
	}
	out_obj_open(cli, NULL);
	out_bool(cli, "ok", NULL, !nb);
	out_str(cli, "source", "migrate %s", src.name);
	out_str(cli, "destination", " -> %s", dst.name);
	out_text(cli, nb ? ": blocked\n" : ": ok\n");
	out_arr_open(cli, "blocks");
	for (uint32_t i = 0; i < nb; i++) {
		out_obj_open(cli, NULL);
		out_str(cli, "reason", "blocked %s", block_reason_name(b[i].reason));
		out_str(cli, "device", " device %s", b[i].device);
		if (b[i].reason == IOASID_BLOCK_GRANULE) {
			out_u64(cli, "src_granule", " granule 0x%" PRIx64,
				b[i].src_granule);
			out_u64(cli, "dst_granule", " -> 0x%" PRIx64,
				b[i].dst_granule);
		} else {
			print_region(cli, " ", &b[i].region);
		}
		if (b[i].reason == IOASID_BLOCK_RAM) {
			out_u64(cli, "gpa", " ram 0x%" PRIx64, b[i].ram.gpa);
			out_u64(cli, "size", ":0x%" PRIx64, b[i].ram.size);
		}
		out_text(cli, "\n");
		out_obj_close(cli);
	}
	out_arr_close(cli);
	out_obj_close(cli);
	ret = nb ? fail_with_result(cli, EADDRINUSE, msg) : CMD_OK;
out:
	platform_free(&src);
	platform_free(&dst);
	free(b);
	return ret;
}

/* ------------------------------------------------------------------ */
/* Locked-memory budget                                                 */

static const char *const viommu_names[] = { "none", "shadow", "nested" };

/* "4 GiB", "12 MiB", "64 KiB" or bytes: what a person reads. */
static const char *human(char *buf, size_t len, uint64_t v)
{
	static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	int u = -1;

	while (u < 5 && v >= 1024 && !(v % 1024)) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64 " bytes", v);
	else
		snprintf(buf, len, "%" PRIu64 " %s", v, unit[u]);
	return buf;
}

static int budget_args(struct cli *cli, int argc, char **argv,
		       struct ioasid_budget_opts *o, struct ioasid_ram_range *ram)
{
	uint64_t size = 0;
	bool has_size = false;

	o->num_devices = 1;
	for (int i = 0; i < argc; i += 2) {
		const char *kw = argv[i], *v;
		int ret = CMD_OK;

		if (i + 1 >= argc)
			return arg_needs_value(cli, kw);
		v = argv[i + 1];
		if (!strcmp(kw, "ram")) {
			if (o->num_ram >= MAX_WORDS)
				return usage_err(cli, "too many ram ranges (at most %d)", MAX_WORDS);
			ret = get_ram(cli, v, &ram[o->num_ram++]);
		} else if (!strcmp(kw, "size")) {
			ret = get_u64(cli, v, true, &size);
			has_size = true;
		} else if (!strcmp(kw, "devices")) {
			ret = get_u32(cli, v, &o->num_devices);
		} else if (!strcmp(kw, "domains")) {
			ret = get_u32(cli, v, &o->num_ioas);
			if (!ret && !o->num_ioas)
				return arg_wrong(cli, v, "domains must be at least 1");
		} else if (!strcmp(kw, "viommu")) {
			uint32_t k = 0;

			while (k < ARRAY_SIZE(viommu_names) && strcmp(v, viommu_names[k]))
				k++;
			if (k == ARRAY_SIZE(viommu_names))
				return arg_wrong(cli, v, "not none, shadow or nested");
			o->viommu = (enum ioasid_budget_viommu)k;
		} else if (!strcmp(kw, "rlimit-mode")) {
			if (!strcmp(v, "user"))
				o->rlimit_mode = IOASID_RLIMIT_PER_USER;
			else if (!strcmp(v, "process"))
				o->rlimit_mode = IOASID_RLIMIT_PER_PROCESS;
			else
				return arg_wrong(cli, v, "not user or process");
		} else if (!strcmp(kw, "other")) {
			ret = get_u64(cli, v, true, &o->other_charged);
		} else if (!strcmp(kw, "limit")) {
			o->flags |= IOASID_BUDGET_GIVEN_LIMIT;
			if (!strcmp(v, "unlimited"))
				o->limit = UINT64_MAX;
			else
				ret = get_u64(cli, v, true, &o->limit);
		} else if (!strcmp(kw, "page")) {
			ret = get_u64(cli, v, true, &o->page_size);
		} else {
			return arg_unexpected(cli, kw,
					      "ram, size, devices, viommu, domains, rlimit-mode, other, limit or page");
		}
		if (ret)
			return ret;
	}
	if (has_size && o->num_ram)
		return usage_err(cli, "give ram ranges or a size, not both");
	if (has_size) {
		if (!size)
			return arg_wrong(cli, "0", "the RAM size is zero");
		ram[0].gpa = 0;
		ram[0].size = size;
		o->num_ram = 1;
	}
	if (!o->num_ram)
		return arg_missing(cli, "ram GPA:SIZE or size SIZE");
	o->ram = ram;
	return CMD_OK;
}

static int layout_budget(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_budget_opts, o);
	IOASID_OPTS(ioasid_budget, b);
	struct ioasid_ram_range ram[MAX_WORDS];
	bool user, unlimited;
	char h1[32], h2[32], msg[512];
	uint64_t kib;
	int ret;

	ret = budget_args(cli, argc, argv, &o, ram);
	if (ret || cli->check_only)
		return ret;
	ret = ioasid_layout_budget(&o, &b);
	if (ret)
		return lib_err(cli, ret);
	user = o.rlimit_mode == IOASID_RLIMIT_PER_USER;
	unlimited = b.flags & IOASID_BUDGET_UNLIMITED;
	kib = b.needed / 1024 + !!(b.needed % 1024);

	out_obj_open(cli, NULL);
	out_u64(cli, "ram", "guest RAM 0x%" PRIx64, b.ram);
	out_text(cli, " (%s", human(h1, sizeof(h1), b.ram));
	out_u64(cli, "page_size", " in pages of 0x%" PRIx64 ")", b.page_size);
	out_uint(cli, "devices", ", %" PRIu64 " device", o.num_devices);
	out_text(cli, o.num_devices == 1 ? "" : "s");
	out_str(cli, "viommu", ", viommu %s", viommu_names[o.viommu]);
	out_uint(cli, "num_ioas", ", %" PRIu64 " IOAS", b.num_ioas);
	out_text(cli, b.num_ioas == 1 ? "" : "es");
	out_text(cli, " mapping it\n");
	out_u64(cli, "pinned", "pinned 0x%" PRIx64, b.pinned);
	out_text(cli, " (%s: each page once)\n", human(h1, sizeof(h1), b.pinned));
	out_u64(cli, "charged", "charged 0x%" PRIx64, b.charged);
	out_text(cli, " (%s: the RAM once per IOAS)", human(h1, sizeof(h1), b.charged));
	out_str(cli, "rlimit_mode", " per %s", user ? "user" : "process");
	out_text(cli, user ? ": user->locked_vm, shared by all the user's processes; and VmPin\n"
			   : ": this process's locked_vm (VmLck); and VmPin\n");
	out_u64(cli, "other_charged", NULL, o.other_charged);
	out_u64(cli, "needed", "needed 0x%" PRIx64, b.needed);
	if (o.other_charged)
		out_text(cli, " (%s with 0x%" PRIx64 " already charged)",
			 human(h1, sizeof(h1), b.needed), o.other_charged);
	else
		out_text(cli, " (%s)", human(h1, sizeof(h1), b.needed));
	out_uint(cli, "ulimit_kib", ": ulimit -l %" PRIu64, kib);
	out_text(cli, ", LimitMEMLOCK=%" PRIu64 "\n", kib * 1024);
	out_bool(cli, "unlimited", NULL, unlimited);
	out_bool(cli, "ipc_lock", NULL, b.flags & IOASID_BUDGET_IPC_LOCK);
	out_bool(cli, "given_limit", NULL, o.flags & IOASID_BUDGET_GIVEN_LIMIT);
	out_u64(cli, "limit", NULL, b.limit);
	out_u64(cli, "limit_max", NULL, b.limit_max);
	out_text(cli, "limit %s", unlimited ? "unlimited" : human(h1, sizeof(h1), b.limit));
	if (!(o.flags & IOASID_BUDGET_GIVEN_LIMIT))
		out_text(cli, " (RLIMIT_MEMLOCK, hard %s)",
			 b.limit_max == UINT64_MAX ? "unlimited"
						   : human(h2, sizeof(h2), b.limit_max));
	if (b.flags & IOASID_BUDGET_IPC_LOCK)
		out_text(cli, ", not enforced: the process has CAP_IPC_LOCK");
	out_bool(cli, "fits", NULL, b.flags & IOASID_BUDGET_FITS);
	out_text(cli, b.flags & IOASID_BUDGET_FITS ? ": fits\n" : ": does not fit\n");
	out_bool(cli, "hard_too_low", NULL, b.flags & IOASID_BUDGET_HARD_TOO_LOW);
	out_obj_close(cli);
	if (b.flags & IOASID_BUDGET_FITS)
		return CMD_OK;
	snprintf(msg, sizeof(msg),
		 "the VM needs %s of locked memory and the limit is %s: raise RLIMIT_MEMLOCK to at least %" PRIu64 " KiB (ulimit -l %" PRIu64 ", LimitMEMLOCK=%" PRIu64 ")%s",
		 human(h1, sizeof(h1), b.needed), human(h2, sizeof(h2), b.limit), kib,
		 kib, kib * 1024,
		 b.flags & IOASID_BUDGET_HARD_TOO_LOW ? "; the hard limit is lower too" : "");
	return fail_with_result(cli, ENOMEM, msg);
}

const struct cmd layout_cmds[] = {
	{ "check", layout_check },
	{ "plan", layout_plan },
	{ "report", layout_report },
	{ "compare", layout_compare },
	{ "budget", layout_budget },
	{ NULL, NULL },
};
