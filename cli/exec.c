// SPDX-License-Identifier: MIT
/*
 * ioasctl exec [OBJECTS] -- PROGRAM [ARGS]: open the iommufd, prepare
 * IOASes and devices in it, and run PROGRAM with the iommufd inherited,
 * the way a manager hands "-object iommufd,fd=N" to QEMU.  ioasctl keeps
 * its own handles (the devices' cdevs) until PROGRAM exits, so what it
 * prepared stays in place while PROGRAM runs.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ioasctl.h"

void exec_help(struct cli *cli)
{
	(void)cli;
	fputs("Usage: ioasctl exec [OBJECT ...] -- PROGRAM [ARGS]\n"
	      "OBJECT := { ioas NAME | device DEV [name NAME] [to IOAS] }\n"
	      "PROGRAM gets the iommufd as an inherited fd; its number is in\n"
	      "IOASCTL_IOMMUFD, each IOAS id in IOASCTL_IOAS_<NAME>.\n"
	      "Needs /dev/iommu: the simulator has no fd to hand over.\n",
	      stdout);
}

struct exec_obj {
	bool is_dev;
	const char *word;  /* IOAS name, or DEV */
	const char *alias; /* device: name NAME */
	const char *to;	   /* device: IOAS to attach to, or NULL */
};

/* Parse the OBJECT words before "--" into @objs (argc entries at most). */
static int parse_objects(struct cli *cli, int argc, char **argv,
			 struct exec_obj *objs, int *num)
{
	int n = 0;

	for (int i = 0; i < argc; i++) {
		struct exec_obj *o = &objs[n];

		memset(o, 0, sizeof(*o));
		if (!strcmp(argv[i], "ioas")) {
			if (i + 1 >= argc)
				return arg_needs_value(cli, "ioas");
			o->word = argv[++i];
		} else if (!strcmp(argv[i], "device")) {
			if (i + 1 >= argc)
				return arg_needs_value(cli, "device");
			o->is_dev = true;
			o->word = argv[++i];
			while (i + 1 < argc && (!strcmp(argv[i + 1], "name") ||
						!strcmp(argv[i + 1], "to"))) {
				const char *kw = argv[++i];
				const char **slot =
					kw[0] == 'n' ? &o->alias : &o->to;

				if (i + 1 >= argc)
					return arg_needs_value(cli, kw);
				if (*slot)
					return arg_duplicate(cli, kw,
							     argv[i + 1]);
				*slot = argv[++i];
			}
		} else {
			return arg_unexpected(cli, argv[i],
					      "\"ioas\", \"device\" or \"--\"");
		}
		n++;
	}
	*num = n;
	return CMD_OK;
}

/* IOASCTL_IOAS_<NAME>: the name upper-cased, '-' and '.' as '_'. */
static void export_ioas(const char *name, uint32_t id)
{
	char var[IOASID_NAME_MAX + 16], val[16];
	char *p;

	snprintf(var, sizeof(var), "IOASCTL_IOAS_%s", name);
	for (p = var + strlen("IOASCTL_IOAS_"); *p; p++)
		*p = (*p == '-' || *p == '.') ? '_' :
						toupper((unsigned char)*p);
	snprintf(val, sizeof(val), "%" PRIu32, id);
	setenv(var, val, 1);
}

/* Declare (check pass) or create (run) the objects, printing their ids. */
static int prepare(struct cli *cli, const struct exec_obj *objs, int num)
{
	char canon[IOASID_NAME_MAX + 8];
	int ret;

	out_arr_open(cli, "objects");
	for (int i = 0; i < num; i++) {
		const struct exec_obj *o = &objs[i];
		struct ioasid_dev *dev;
		struct cli_name *n;
		uint32_t id, pt = 0, hwpt = 0;

		if (!o->is_dev) {
			if (cli->check_only) {
				ret = name_declare(cli, o->word, NAME_IOAS, 0);
				if (ret)
					return ret;
				continue;
			}
			ret = ioasid_ioas_alloc(cli->ctx, &id);
			if (ret < 0)
				return lib_err(cli, ret);
			ret = name_declare(cli, o->word, NAME_IOAS, id);
			if (ret)
				return ret;
			export_ioas(o->word, id);
			out_obj_open(cli, NULL);
			out_str(cli, "type", "%s", "ioas");
			out_str(cli, "name", " %s", o->word);
			out_uint(cli, "id", " id %" PRIu64 "\n", id);
			out_obj_close(cli);
			continue;
		}
		if (o->to) {
			ret = get_obj_id(cli, o->to, NAME_IOAS, false, &pt);
			if (ret)
				return ret;
		}
		dev_word_canon(o->word, canon, sizeof(canon));
		if (cli->check_only) {
			if (dev_find(cli, o->word))
				return usage_err(cli, "device \"%s\" is "
						 "given twice", o->word);
			if (!dev_declare(cli, canon, o->alias))
				return CMD_USAGE;
			continue;
		}
		ret = ioasid_dev_open(cli->ctx, o->word, &dev);
		if (ret < 0)
			return lib_err(cli, ret);
		n = dev_declare(cli, canon, o->alias);
		if (!n) {
			ioasid_dev_close(dev);
			return CMD_USAGE;
		}
		n->dev = dev;
		ret = ioasid_dev_bind(dev, &id);
		if (ret < 0)
			return lib_err(cli, ret);
		if (o->to) {
			ret = ioasid_dev_attach(dev, pt, &hwpt);
			if (ret < 0)
				return lib_err(cli, ret);
		}
		out_obj_open(cli, NULL);
		out_str(cli, "type", "%s", "device");
		out_str(cli, "name", " %s", ioasid_dev_name(dev));
		out_uint(cli, "id", " id %" PRIu64, id);
		out_uint(cli, "pt", " pt %" PRIu64, pt);
		out_uint(cli, "hwpt", " hwpt %" PRIu64 "\n", hwpt);
		out_obj_close(cli);
	}
	out_arr_close(cli);
	return CMD_OK;
}

/*
 * File descriptors: exec keeps the iommufd and each device's VFIO cdev
 * open while PROGRAM runs, and opening them reads sysfs through one more.
 * Whether @need more fit under RLIMIT_NOFILE is checked before each step
 * creates anything, so that running out names the limit to raise instead
 * of an open() failing halfway through the objects.
 */
static int check_nofile(struct cli *cli, unsigned int need, const char *what)
{
	struct rlimit lim;
	unsigned int used = 0;

	/* Counted by probing each descriptor: only for a limit that can
	 * actually be short. */
	if (getrlimit(RLIMIT_NOFILE, &lim) || lim.rlim_cur == RLIM_INFINITY ||
	    lim.rlim_cur > 65536)
		return CMD_OK;
	for (int fd = 0; fd < (int)lim.rlim_cur; fd++)
		used += fcntl(fd, F_GETFD) >= 0;
	if (used + need <= lim.rlim_cur)
		return CMD_OK;
	return cmd_err(cli, EMFILE,
		       "exec needs %u more file descriptors (%s), %u of the %llu that RLIMIT_NOFILE allows are open: raise the limit (ulimit -n, LimitNOFILE= of a systemd unit); nothing was created (EMFILE)",
		       need, what, used, (unsigned long long)lim.rlim_cur);
}

/* The descriptors the devices of @objs keep: one per VFIO cdev (the
 * kernel's mock devices have none), and one for the sysfs reads. */
static int check_nofile_devices(struct cli *cli, const struct exec_obj *objs,
				int num)
{
	unsigned int cdevs = 0;
	char what[64];

	for (int i = 0; i < num; i++) {
		IOASID_OPTS(ioasid_dev_info, info);
		char canon[IOASID_NAME_MAX + 8];

		if (!objs[i].is_dev)
			continue;
		/* A device that is not there fails its open anyway. */
		dev_word_canon(objs[i].word, canon, sizeof(canon));
		if (!ioasid_dev_info_get(cli->ctx, canon, &info) &&
		    info.cdev[0])
			cdevs++;
	}
	if (!cdevs)
		return CMD_OK;
	snprintf(what, sizeof(what), "%u device cdev%s and one for sysfs",
		 cdevs, cdevs == 1 ? "" : "s");
	return check_nofile(cli, cdevs + 1, what);
}

/* Run @argv with the iommufd inherited; the child's exit status. */
static int run_child(struct cli *cli, char **argv)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid < 0)
		return cmd_err(cli, errno, "fork: %s", strerror(errno));
	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "Error: cannot run \"%s\": %s\n", argv[0],
			strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return cmd_err(cli, errno, "waitpid: %s",
				       strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int do_exec(struct cli *cli, int argc, char **argv)
{
	struct exec_obj *objs;
	int sep = -1, num = 0, fd, flags, ret;
	char fdstr[16];

	if (argc == 1 && !strcmp(argv[0], "help")) {
		if (!cli->check_only && !cli->quiet)
			exec_help(cli);
		return CMD_OK;
	}
	if (cli->batch)
		return usage_err(cli, "\"exec\" cannot be used inside a batch "
				      "file");
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			sep = i;
			break;
		}
	if (sep < 0)
		return arg_missing(cli, "--");
	if (sep + 1 >= argc)
		return arg_missing(cli, "PROGRAM");
	objs = calloc(sep + 1, sizeof(*objs));
	if (!objs)
		return cmd_err(cli, ENOMEM, "out of memory");
	ret = parse_objects(cli, sep, argv, objs, &num);
	if (ret)
		goto out;
	if (cli->check_only) {
		ret = prepare(cli, objs, num);
		goto out;
	}
	if (cli->sim) {
		ret = cmd_err(cli, EOPNOTSUPP,
			      "exec hands the iommufd to \"%s\", and the "
			      "simulator has none: run it without --sim, on a "
			      "kernel with /dev/iommu (%s)",
			      argv[sep + 1], errno_name(EOPNOTSUPP));
		goto out;
	}
	ret = cli->ctx ? CMD_OK
		       : check_nofile(cli, 2, "the iommufd and one for sysfs");
	if (!ret)
		ret = cli_need_ctx(cli);
	if (!ret)
		ret = check_nofile_devices(cli, objs, num);
	if (ret)
		goto out;
	fd = ioasid_ctx_fd(cli->ctx);
	if (fd < 0) {
		ret = lib_err(cli, fd);
		goto out;
	}

	out_obj_open(cli, NULL);
	out_int(cli, "iommufd", "iommufd %" PRId64 "\n", fd);
	ret = prepare(cli, objs, num);
	out_obj_close(cli);
	if (ret)
		goto out;

	/* The child inherits the fd: clear close-on-exec on it only. */
	flags = fcntl(fd, F_GETFD);
	if (flags < 0 || fcntl(fd, F_SETFD, flags & ~FD_CLOEXEC) < 0) {
		ret = cmd_err(cli, errno, "fcntl on fd %d: %s", fd,
			      strerror(errno));
		goto out;
	}
	snprintf(fdstr, sizeof(fdstr), "%d", fd);
	setenv("IOASCTL_IOMMUFD", fdstr, 1);

	/* The ids go out before PROGRAM writes anything. */
	if (cli->json) {
		json_object *o = out_end(cli);

		out_print_json(cli, o);
		json_object_put(o);
		out_begin(cli);
	}
	fflush(stdout);
	ret = run_child(cli, argv + sep + 1);
	/* What PROGRAM printed is its own: no JSON from us after it. */
	cli->json = false;
out:
	free(objs);
	return ret;
}
