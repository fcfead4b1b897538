// SPDX-License-Identifier: MIT
/*
 * ioasctl object ...: the IOASes and HWPTs of ioasctl's context
 * (ioasid_ctx_for_each_object()) and what an IOAS maps
 * (ioasid_ioas_for_each_mapping()).  They live as long as the context,
 * so outside a batch file or "exec" there is nothing to see.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ioasctl.h"

void object_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl object list [ioas | hwpt]\n"
	      "       ioasctl object mappings IOAS [iova ADDR] [length LEN]\n"
	      "IOAS := an IOAS id or name; objects live as long as ioasctl's\n"
	      "        context: use these in a batch file or with exec\n",
	      stdout);
}

/* The batch name of object @id, or NULL. */
static const char *name_of(const struct cli *cli, uint32_t id, bool hwpt)
{
	for (size_t i = 0; i < cli->num_names; i++) {
		const struct cli_name *n = &cli->names[i];

		if (n->id == id && n->kind == (hwpt ? NAME_HWPT : NAME_IOAS))
			return n->name;
	}
	return NULL;
}

/* "flags" words of an object, comma separated, or "-". */
static const char *object_flags(const struct ioasid_object *o, char *buf,
				size_t size)
{
	static const struct {
		uint32_t bit;
		bool hwpt_flag;
		const char *word;
	} words[] = {
		{ IOASID_OBJECT_AUTO_DOMAIN, false, "auto" },
		{ IOASID_OBJECT_NESTED, false, "nested" },
		{ IOASID_HWPT_ALLOC_NEST_PARENT, true, "nest-parent" },
		{ IOASID_HWPT_ALLOC_DIRTY_TRACKING, true, "dirty-tracking" },
		{ IOASID_HWPT_ALLOC_FAULT_ID_VALID, true, "fault" },
		{ IOASID_HWPT_ALLOC_PASID, true, "pasid" },
	};
	size_t len = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		uint32_t v = words[i].hwpt_flag ? o->hwpt_flags : o->flags;

		if (v & words[i].bit)
			len += (size_t)snprintf(buf + len, size - len, "%s%s",
						len ? "," : "", words[i].word);
		if (len >= size)
			break;
	}
	return len ? buf : "-";
}

struct list_state {
	struct cli *cli;
	bool header_done;
};

/* The column names of "object mappings": before the first row, or alone
 * after a walk that found none, never before a refusal. */
static void mappings_header(struct list_state *st)
{
	if (st->header_done)
		return;
	st->header_done = true;
	out_text(st->cli, "%-16s %-12s %-6s %-7s %s\n", "iova", "length",
		 "access", "kind", "backing");
}

static void out_id_or_dash(struct cli *cli, const char *key, uint32_t v)
{
	if (v)
		out_uint(cli, key, " %-6" PRIu64, v);
	else
		out_text(cli, " %-6s", "-");
}

static int show_object(const struct ioasid_object *o, void *data)
{
	struct list_state *st = data;
	struct cli *cli = st->cli;
	bool hwpt = o->type == IOASID_OBJECT_HWPT;
	const char *name = name_of(cli, o->id, hwpt);
	char flags[96];

	out_obj_open(cli, NULL);
	out_uint(cli, "id", "%-6" PRIu64, o->id);
	out_str(cli, "type", " %-4s", hwpt ? "hwpt" : "ioas");
	if (name)
		out_str(cli, "name", " %-10s", name);
	else
		out_text(cli, " %-10s", "-");
	if (hwpt) {
		out_id_or_dash(cli, "ioas", o->ioas_id);
		out_id_or_dash(cli, "parent", o->parent);
	} else {
		out_text(cli, " %-6s %-6s", "-", "-");
	}
	out_uint(cli, "devices", " %-7" PRIu64, o->devices);
	if (hwpt) {
		out_text(cli, " %-8s %-10s", "-", "-");
	} else {
		out_uint(cli, "mappings", " %-8" PRIu64, o->mappings);
		out_u64(cli, "mapped", " 0x%-8" PRIx64, o->mapped);
	}
	out_str(cli, "flags", " %s\n", object_flags(o, flags, sizeof(flags)));
	if (hwpt) {
		out_bool(cli, "auto", NULL, o->flags & IOASID_OBJECT_AUTO_DOMAIN);
		out_bool(cli, "nested", NULL, o->flags & IOASID_OBJECT_NESTED);
		out_uint(cli, "hwpt_flags", NULL, o->hwpt_flags);
	}
	out_obj_close(cli);
	return 0;
}

static int object_list(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_object_opts, opts);
	struct list_state st = { cli, false };
	int ret;

	if (argc > 0) {
		if (!strcmp(argv[0], "ioas"))
			opts.type = IOASID_OBJECT_IOAS;
		else if (!strcmp(argv[0], "hwpt"))
			opts.type = IOASID_OBJECT_HWPT;
		else
			return arg_wrong(cli, argv[0], "expected \"ioas\" or \"hwpt\"");
	}
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after the type");
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	out_text(cli, "%-6s %-4s %-10s %-6s %-6s %-7s %-8s %-10s %s\n", "id",
		 "type", "name", "ioas", "parent", "devices", "mappings",
		 "mapped", "flags");
	out_obj_open(cli, NULL);
	out_arr_open(cli, "objects");
	ret = ioasid_ctx_for_each_object(cli->ctx, &opts, show_object, &st);
	out_arr_close(cli);
	out_obj_close(cli);
	if (ret < 0)
		return lib_err(cli, ret);
	return CMD_OK;
}

static int show_mapping(const struct ioasid_mapping *m, void *data)
{
	struct list_state *st = data;
	struct cli *cli = st->cli;
	static const char *const access_words[] = { "-", "r", "w", "rw" };
	const char *access = access_words[m->flags & 3];

	mappings_header(st);
	out_obj_open(cli, NULL);
	out_u64(cli, "iova", "0x%-14" PRIx64, m->iova);
	out_u64(cli, "length", " 0x%-10" PRIx64, m->length);
	out_str(cli, "access", " %-6s", access);
	switch (m->kind) {
	case IOASID_MAPPING_MEMORY:
		out_str(cli, "kind", " %-7s", "memory");
		out_u64(cli, "va", " va 0x%" PRIx64 "\n", m->va);
		break;
	case IOASID_MAPPING_FILE:
		out_str(cli, "kind", " %-7s", "file");
		out_int(cli, "fd", " fd %" PRId64, m->fd);
		out_u64(cli, "offset", " offset 0x%" PRIx64 "\n", m->offset);
		break;
	default:
		out_str(cli, "kind", " %s\n", "unknown");
		break;
	}
	out_obj_close(cli);
	return 0;
}

static int object_mappings(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_mapping_opts, opts);
	const char *iova_s = NULL, *len_s = NULL;
	const struct kw_value kws[] = { { "iova", &iova_s },
					{ "length", &len_s },
					{ NULL } };
	struct list_state st = { cli, false };
	uint32_t id;
	int ret;

	if (argc < 1)
		return arg_missing(cli, "IOAS");
	ret = get_obj_id(cli, argv[0], NAME_IOAS, false, &id);
	if (ret)
		return ret;
	ret = get_kw_values(cli, argc - 1, argv + 1, kws,
			    "\"iova\" or \"length\"");
	if (ret)
		return ret;
	if (iova_s && get_u64(cli, iova_s, true, &opts.iova))
		return CMD_USAGE;
	if (len_s && get_u64(cli, len_s, true, &opts.length))
		return CMD_USAGE;
	if (opts.length && opts.length - 1 > UINT64_MAX - opts.iova)
		return arg_wrong(cli, len_s, "iova + length wraps");
	if (cli->check_only)
		return CMD_OK;
	if (cli_need_ctx(cli))
		return CMD_FAIL;
	out_obj_open(cli, NULL);
	out_uint(cli, "ioas", NULL, id);
	out_arr_open(cli, "mappings");
	ret = ioasid_ioas_for_each_mapping(cli->ctx, id, &opts, show_mapping, &st);
	out_arr_close(cli);
	out_obj_close(cli);
	if (ret < 0)
		return lib_err(cli, ret);
	mappings_header(&st);
	return CMD_OK;
}

const struct cmd object_cmds[] = {
	{ "list", object_list },
	{ "mappings", object_mappings },
	{ NULL, NULL },
};
