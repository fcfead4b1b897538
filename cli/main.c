// SPDX-License-Identifier: MIT
/*
 * ioasctl - inspect and drive iommufd I/O address spaces through
 * libioasid.  The global options; the words after them go to batch.c
 * (a batch file) or to the dispatch of commands.c (one command).
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "ioasctl.h"

/* Long-only options have no short letter. */
enum { OPT_LIST_CMDS = 256 };

int main(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "pretty", no_argument, NULL, 'p' },
		{ "force", no_argument, NULL, 'f' },
		{ "sim", optional_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		/* Not in the usage: the object table for
		 * tests/scripts/commands.test, as git has --list-cmds. */
		{ "list-cmds", no_argument, NULL, OPT_LIST_CMDS },
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
			cli_usage(stdout);
			return CMD_OK;
		case 'V':
			show_version = true;
			break;
		case OPT_LIST_CMDS:
			cli_list_cmds(stdout);
			return CMD_OK;
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

		return cli_run_checked(&cli, 1, words);
	}
	if (argc < 1) {
		cli_usage(stderr);
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
	/* A batch checks and runs its lines itself; it is no command of the
	 * dispatch, so that batch.c needs only commands.c. */
	if (!strcmp(argv[0], "batch"))
		ret = do_batch(&cli, argc - 1, argv + 1);
	else
		ret = cli_run_checked(&cli, argc, argv);
	cli_cleanup(&cli);
	return ret;
}
