// SPDX-License-Identifier: MIT
/*
 * ioasctl: the object table and the dispatch from words to commands,
 * for the command line (main.c), batch files (batch.c) and "expect
 * error COMMAND..." (expect.c) alike.
 */
#include <stdio.h>
#include <string.h>

#include "ioasctl.h"

void cli_usage(FILE *f)
{
	fputs("Usage: ioasctl [OPTIONS] OBJECT { COMMAND | help } [ARGS]\n"
	      "       ioasctl [OPTIONS] batch FILE|-\n"
	      "       ioasctl [OPTIONS] exec [OBJECTS] -- PROGRAM [ARGS]\n"
	      "       ioasctl [OPTIONS] caps [DEV]\n"
	      "       ioasctl { version | help }\n"
	      "OBJECT := { device | group | ioas | hwpt | object | ranges | layout |\n"
	      "            viommu | expect }\n"
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
		cli_usage(stdout);
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

/* main.c runs "batch FILE" itself; here it would be nested. */
static int do_batch_nested(struct cli *cli, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return usage_err(cli, "\"batch\" cannot be used inside a batch file");
}

/*
 * An object has either a table of commands (with "help" added by
 * cmd_select()) or one function that reads all its words itself.
 */
struct object {
	const char *name;
	const struct cmd *cmds;
	void (*help)(struct cli *cli);
	cmd_fn fn;
};

/*
 * Every word ioasctl takes after its options, and the commands of each
 * object.  The help text, cli/bash-completion/ioasctl and the man pages
 * list the same words; tests/scripts/commands.test keeps them in sync.
 *
 * The check-then-run contract, which every command (here and in the
 * objects' tables) must honour.  A command line, and every line of a
 * batch file before any line runs, is dispatched twice:
 *
 * 1. Check (cli->check_only): the command parses and validates all its
 *    words (keywords, numbers, ranges, counts; it declares the names it
 *    would create and resolves the ones it uses), and refuses a wrong
 *    one with CMD_USAGE and a message naming it (arg_wrong(),
 *    arg_unexpected(), usage_err()...).  It changes nothing: no
 *    context (cli_need_ctx()), device, file or library call, no output.
 * 2. Run, only if every check passed: what the words could not say (the
 *    system's state, a file's contents) is looked at before the first
 *    change, so that a refusal (CMD_FAIL through cmd_err() or lib_err(),
 *    naming the object and the errno) leaves things as they were.
 *
 * So wrong words give exit status 2 and nothing has run (ioasctl(8),
 * EXIT STATUS), and a batch never stops half-way on a typo.
 */
static const struct object objects[] = {
	{ "device", device_cmds, device_help, NULL },
	{ "group", group_cmds, group_help, NULL },
	{ "ioas", ioas_cmds, ioas_help, NULL },
	{ "hwpt", hwpt_cmds, hwpt_help, NULL },
	{ "object", object_cmds, object_help, NULL },
	{ "ranges", ranges_cmds, ranges_help, NULL },
	{ "layout", layout_cmds, layout_help, NULL },
	{ "viommu", viommu_cmds, viommu_help, NULL },
	{ "expect", expect_cmds, expect_help, NULL },
	{ "batch", NULL, NULL, do_batch_nested },
	{ "exec", NULL, NULL, do_exec },
	{ "caps", NULL, NULL, do_caps },
	{ "version", NULL, NULL, do_version },
	{ "help", NULL, NULL, do_help },
};

/* Run the command of @obj's table that @argv[0] names. */
static int cmd_select(struct cli *cli, const struct object *obj, int argc,
		      char **argv)
{
	if (argc < 1)
		return usage_err(cli,
				 "a command is required for \"%s\", try "
				 "\"ioasctl %s help\"",
				 obj->name, obj->name);
	if (!strcmp(argv[0], "help")) {
		if (argc > 1)
			return arg_unexpected(cli, argv[1],
					      "nothing after \"help\"");
		if (!cli->check_only && !cli->quiet && !cli->json)
			obj->help(cli);
		return CMD_OK;
	}
	for (size_t i = 0; obj->cmds[i].name; i++)
		if (!strcmp(argv[0], obj->cmds[i].name))
			return obj->cmds[i].fn(cli, argc - 1, argv + 1);
	return usage_err(cli,
			 "command \"%s\" is unknown for \"%s\", try \"ioasctl "
			 "%s help\"",
			 argv[0], obj->name, obj->name);
}

int cli_run(struct cli *cli, int argc, char **argv)
{
	if (argc < 1)
		return usage_err(cli, "an object is required, try \"ioasctl "
				      "help\"");
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++) {
		const struct object *obj = &objects[i];

		if (strcmp(argv[0], obj->name))
			continue;
		if (obj->cmds)
			return cmd_select(cli, obj, argc - 1, argv + 1);
		return obj->fn(cli, argc - 1, argv + 1);
	}
	return usage_err(cli, "object \"%s\" is unknown, try \"ioasctl help\"",
			 argv[0]);
}

void cli_list_cmds(FILE *f)
{
	for (size_t i = 0; i < ARRAY_SIZE(objects); i++) {
		const struct object *obj = &objects[i];

		fputs(obj->name, f);
		for (size_t j = 0; obj->cmds && obj->cmds[j].name; j++)
			fprintf(f, " %s", obj->cmds[j].name);
		/* cmd_select() takes "help" for every table. */
		if (obj->cmds)
			fputs(" help", f);
		fputc('\n', f);
	}
}

int cli_run_checked(struct cli *cli, int argc, char **argv)
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
