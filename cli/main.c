// SPDX-License-Identifier: MIT
/*
 * ioasctl - inspect and drive iommufd I/O address spaces through
 * libioasid.  Options, the object table, help and version.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioasctl.h"

static void usage(FILE *f)
{
	fputs("Usage: ioasctl [OPTIONS] OBJECT { COMMAND | help } [ARGS]\n"
	      "       ioasctl [OPTIONS] batch FILE|-\n"
	      "       ioasctl [OPTIONS] exec [OBJECTS] -- PROGRAM [ARGS]\n"
	      "       ioasctl { version | help }\n"
	      "OBJECT := { device | group | ioas | hwpt | ranges | layout | viommu |\n"
	      "            expect }\n"
	      "OPTIONS := { -j|--json | -p|--pretty | --sim[=TOPOLOGY] |\n"
	      "             -f|--force | -h|--help | -V|--version }\n"
	      "Try \"ioasctl OBJECT help\" for the commands of an object.\n",
	      f);
}

static int do_help(struct cli *cli, int argc, char **argv)
{
	(void)argv;
	if (argc > 0)
		return arg_unexpected(cli, argv[0], "nothing after \"help\"");
	/* In JSON mode help is null, as for bpftool: the text is for people. */
	if (!cli->check_only && !cli->quiet && !cli->json)
		usage(stdout);
	return CMD_OK;
}

static int do_version(struct cli *cli, int argc, char **argv)
{
	if (argc > 0)
		return arg_unexpected(cli, argv[0],
				      "nothing after \"version\"");
	out_obj_open(cli, NULL);
	out_str(cli, "version", "ioasctl %s", ioasid_version_string());
	out_uint(cli, "major", NULL, ioasid_version_major());
	out_uint(cli, "minor", NULL, ioasid_version_minor());
	out_text(cli, " (libioasid %s)\n", ioasid_version_string());
	out_obj_close(cli);
	return CMD_OK;
}

static int do_batch_nested(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return usage_err(cli, "\"batch\" cannot be used inside a batch file");
}

static const struct cmd objects[] = {
	{ "device", do_device },
	{ "group", do_group },
	{ "ioas", do_ioas },
	{ "hwpt", do_hwpt },
	{ "ranges", do_ranges },
	{ "layout", do_layout },
	{ "viommu", do_viommu },
	{ "expect", do_expect },
	{ "exec", do_exec },
	{ "version", do_version },
	{ "help", do_help },
};

int cli_run(struct cli *cli, int argc, char **argv)
{
	if (argc < 1)
		return usage_err(cli, "an object is required, try \"ioasctl "
				      "help\"");
	if (!strcmp(argv[0], "batch"))
		return do_batch_nested(cli, argc - 1, argv + 1);
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++)
		if (!strcmp(argv[0], objects[i].name))
			return objects[i].fn(cli, argc - 1, argv + 1);
	return usage_err(cli, "object \"%s\" is unknown, try \"ioasctl help\"",
			 argv[0]);
}

int cmd_select(struct cli *cli, const char *object, const struct cmd *cmds,
	       int argc, char **argv, void (*help)(struct cli *cli))
{
	if (argc < 1)
		return usage_err(cli,
				 "a command is required for \"%s\", try "
				 "\"ioasctl %s help\"",
				 object, object);
	if (!strcmp(argv[0], "help")) {
		if (argc > 1)
			return arg_unexpected(cli, argv[1],
					      "nothing after \"help\"");
		if (!cli->check_only && !cli->quiet && !cli->json)
			help(cli);
		return CMD_OK;
	}
	for (size_t i = 0; cmds[i].name; i++)
		if (!strcmp(argv[0], cmds[i].name))
			return cmds[i].fn(cli, argc - 1, argv + 1);
	return usage_err(cli,
			 "command \"%s\" is unknown for \"%s\", try \"ioasctl "
			 "%s help\"",
			 argv[0], object, object);
}

static int open_ctx(struct cli *cli, bool inspect)
{
	IOASID_OPTS(ioasid_ctx_opts, opts);
	int ret;

	if (cli->ctx && (!cli->ctx_inspect || inspect))
		return CMD_OK;
	/* An inspection context holds no objects and no devices: trade it
	 * for one with the iommufd. */
	ioasid_ctx_close(cli->ctx);
	cli->ctx = NULL;
	if (cli->sim) {
		opts.backend = IOASID_BACKEND_SIM;
		opts.topology = cli->topology;
		inspect = false;
	} else {
		/* The kernel unless $IOASID_BACKEND or the [defaults] of
		 * ioasid.conf(5) say otherwise. */
		opts.backend = IOASID_BACKEND_DEFAULT;
		opts.inspect_only = inspect;
	}
	ret = ioasid_ctx_open(&opts, &cli->ctx);
	if (ret < 0) {
		const char *msg = ioasid_errmsg();

		if (cli->sim)
			return lib_err(cli, ret);
		return cmd_err(cli, -ret,
			       "%s (%s); only inspection works without "
			       "/dev/iommu: device list|show|bind|unbind, "
			       "group list|show",
			       msg && *msg ? msg : strerror(-ret),
			       errno_name(-ret));
	}
	cli->ctx_inspect = inspect;
	return CMD_OK;
}

int cli_need_ctx(struct cli *cli)
{
	return open_ctx(cli, false);
}

int cli_need_inspect_ctx(struct cli *cli)
{
	return open_ctx(cli, true);
}

/* Objects live in the iommufd, which closes when ioasctl exits. */
void warn_ephemeral(struct cli *cli, const char *what)
{
	if (cli->batch || cli->check_only)
		return;
	print_warning(cli,
		      "%s is destroyed when ioasctl exits; run the commands "
		      "that use it in one \"ioasctl batch\"",
		      what);
}

/* One command from the command line: check its words, then run it. */
static int run_single(struct cli *cli, int argc, char **argv)
{
	json_object *out;
	int ret;

	cli->check_only = true;
	out_begin(cli);
	ret = cli_run(cli, argc, argv);
	cli_cleanup(cli);
	cli->check_only = false;
	if (ret != CMD_OK)
		return ret;

	out_begin(cli);
	ret = cli_run(cli, argc, argv);
	out = out_end(cli);
	if (cli->json && ret == CMD_OK)
		out_print_json(cli, out);
	if (out)
		json_object_put(out);
	return ret;
}

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "sim", optional_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct cli cli = { 0 };
	bool show_version = false;
	int opt, ret;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+jpfhV", long_opts, NULL)) !=
	       -1) {
		switch (opt) {
		case 'j':
			cli.json = true;
			break;
		case 'p':
			cli.json = cli.pretty = true;
			break;
		case 'f':
			cli.force = true;
			break;
		case 's':
			cli.sim = true;
			cli.topology = optarg;
			break;
		case 'h':
			usage(stdout);
			return CMD_OK;
		case 'V':
			show_version = true;
			break;
		default:
			if (optopt)
				fprintf(stderr,
					"Error: option \"-%c\" is unknown, "
					"try \"ioasctl --help\"\n",
					optopt);
			else
				fprintf(stderr,
					"Error: option \"%s\" is unknown, "
					"try \"ioasctl --help\"\n",
					argv[optind - 1]);
			return CMD_USAGE;
		}
	}
	argc -= optind;
	argv += optind;

	if (show_version) {
		char *words[] = { "version" };

		return run_single(&cli, 1, words);
	}
	if (argc < 1) {
		usage(stderr);
		return CMD_USAGE;
	}
	/* A topology that does not load is a bad file given on the command
	 * line: say so before anything runs. */
	if (cli.sim) {
		ret = cli_need_ctx(&cli);
		cli_cleanup(&cli);
		if (ret)
			return CMD_USAGE;
	}
	if (!strcmp(argv[0], "batch"))
		ret = do_batch(&cli, argc - 1, argv + 1);
	else
		ret = run_single(&cli, argc, argv);
	cli_cleanup(&cli);
	return ret;
}
