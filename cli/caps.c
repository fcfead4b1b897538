// SPDX-License-Identifier: MIT
/*
 * ioasctl caps [DEV]: what the running kernel (or the simulator) and the
 * IOMMU behind DEV can do, one line per capability, and why what is
 * missing is missing (ioasid_caps_get()).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasctl.h"

void caps_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl caps [DEV]\n"
	      "  What the kernel (or the simulator) can do: every iommufd ioctl\n"
	      "  and flag the library knows, the host (/dev/iommu, VFIO cdevs,\n"
	      "  RLIMIT_MEMLOCK) and, with DEV, the IOMMU behind that device\n"
	      "  (opened and bound for the probe unless a batch has opened it);\n"
	      "  for each that does not work, why.\n",
	      stdout);
}

/* A context with the iommufd if there is one, else one for inspection:
 * the probe says why there is no iommufd instead of failing on it. */
static int caps_ctx(struct cli *cli)
{
	IOASID_OPTS(ioasid_ctx_opts, opts);
	struct ioasid_ctx *ctx;

	if (cli->sim || (cli->ctx && !cli->ctx_inspect))
		return cli_need_ctx(cli);
	opts.backend = IOASID_BACKEND_DEFAULT;
	if (ioasid_ctx_open(&opts, &ctx) == 0) {
		ioasid_ctx_close(cli->ctx);
		cli->ctx = ctx;
		cli->ctx_inspect = false;
		return CMD_OK;
	}
	return cli_need_inspect_ctx(cli);
}

static void print_cap(struct cli *cli, const struct ioasid_cap *c)
{
	char since[16] = "-";

	if (c->since_major)
		snprintf(since, sizeof(since), "%u.%u", c->since_major,
			 c->since_minor);
	out_obj_open(cli, NULL);
	out_str(cli, "name", "%-31s", c->name);
	out_uint(cli, "id", NULL, c->id);
	out_str(cli, "kind", " %-6s", ioasid_cap_kind_name(c->kind) ?: "?");
	out_str(cli, "state", " %-7s", ioasid_cap_state_name(c->state) ?: "?");
	out_str(cli, "since", " %-5s", since);
	out_str(cli, "reason", " %-16s",
		ioasid_cap_reason_name(c->reason) ?: "?");
	out_str(cli, "why", " %s\n", c->why);
	out_obj_close(cli);
}

int do_caps(struct cli *cli, int argc, char **argv)
{
	IOASID_OPTS(ioasid_caps_opts, opts);
	IOASID_OPTS(ioasid_caps_info, info);
	struct ioasid_cap caps[IOASID_CAP_COUNT];
	uint32_t num = IOASID_CAP_COUNT;
	struct ioasid_dev *own = NULL;
	struct cli_name *n = NULL;
	int ret;

	if (argc > 0 && !strcmp(argv[0], "help")) {
		if (argc > 1)
			return arg_unexpected(cli, argv[1], "nothing after \"help\"");
		if (!cli->check_only && !cli->quiet && !cli->json)
			caps_help(cli);
		return CMD_OK;
	}
	if (argc > 1)
		return arg_unexpected(cli, argv[1], "nothing after DEV");
	if (argc == 1) {
		n = dev_find(cli, argv[0]);
		if (n && !n->dev && !cli->check_only)
			return cmd_err(cli, ENODEV, "device %s is closed (%s)",
				       argv[0], errno_name(ENODEV));
	}
	if (cli->check_only)
		return CMD_OK;
	if (caps_ctx(cli))
		return CMD_FAIL;
	if (n) {
		opts.dev = n->dev;
	} else if (argc == 1) {
		char canon[IOASID_NAME_MAX + 8];

		dev_word_canon(argv[0], canon, sizeof(canon));
		ret = ioasid_dev_open(cli->ctx, canon, &own);
		if (ret < 0)
			return lib_err(cli, ret);
		opts.dev = own;
	}
	if (opts.dev)
		opts.flags = IOASID_CAPS_BIND;
	ret = ioasid_caps_get(cli->ctx, &opts, &info, caps, &num);
	if (ret < 0) {
		ret = lib_err(cli, ret);
		ioasid_dev_close(own);
		return ret;
	}

	out_obj_open(cli, NULL);
	out_str(cli, "backend", "backend %s", info.backend);
	out_str(cli, "release", " release %s", info.release);
	out_uint(cli, "memlock_cur", NULL, info.memlock_cur);
	out_uint(cli, "memlock_max", NULL, info.memlock_max);
	if (opts.dev)
		out_str(cli, "device", " device %s", ioasid_dev_name(opts.dev));
	out_uint(cli, "works", ": %" PRIu64 " work", info.works);
	out_uint(cli, "missing", ", %" PRIu64 " missing", info.missing);
	out_uint(cli, "unknown", ", %" PRIu64 " unknown\n", info.unknown);
	out_text(cli, "%-31s %-6s %-7s %-5s %-16s %s\n", "name", "kind",
		 "state", "since", "reason", "why");
	out_arr_open(cli, "caps");
	for (uint32_t i = 0; i < num; i++)
		print_cap(cli, &caps[i]);
	out_arr_close(cli);
	out_obj_close(cli);
	ioasid_dev_close(own);
	return CMD_OK;
}
