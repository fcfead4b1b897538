// SPDX-License-Identifier: MIT
/*
 * Contexts, options structs, versions, error messages and logging.
 *
 * The log tests re-run this binary as a child ("log-child MODE") with
 * IOASID_LOG_LEVEL set in its environment before the library starts, and
 * read what the child's library wrote to stderr.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "helpers.h"

/* ------------------------------------------------------------------ */
/* Opening and closing                                                  */

static void test_open_builtin(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx = sim_open(NULL);
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	assert_string_equal(ioasid_ctx_backend(ctx), "sim");
	/* The built-in x86 server has devices to assign. */
	OK(ioasid_dev_info_at(ctx, 0, &info));
	assert_true(info.name[0] != '\0');
	ioasid_ctx_close(ctx);
}

static void test_open_file(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct ioasid_dev_info info = { .sz = sizeof(info) };
	uint32_t n = 0;

	assert_string_equal(ioasid_ctx_backend(ctx), "sim");
	while (ioasid_dev_info_at(ctx, n, &info) == 0)
		n++;
	assert_int_equal(n, 6); /* five PCI functions and one mdev */
	ioasid_ctx_close(ctx);
}

static void test_open_missing_file(void **state)
{
	(void)state;
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM,
		    .topology = "/nonexistent/no-such-topology.ini");
	struct ioasid_ctx *ctx = NULL;

	EXPECT_ERR(ENOENT, "no-such-topology.ini",
		   ioasid_ctx_open(&opts, &ctx));
	assert_null(ctx);
}

static void test_open_bad_topology(void **state)
{
	(void)state;
	char path[] = "/tmp/ioasid-unit-bad-XXXXXX.ini";
	int fd = mkstemps(path, 4);
	const char text[] = "[iommu vtd0]\n"
			    "aw_bits = 48\n"
			    "this line is neither a section nor a key\n";

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)sizeof(text) - 1);
	close(fd);

	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM,
		    .topology = path);
	struct ioasid_ctx *ctx = NULL;

	/* ioasid_ctx_open(): a bad topology file is -EINVAL with FILE:LINE. */
	EXPECT_ERR(EINVAL, ".ini:3", ioasid_ctx_open(&opts, &ctx));
	assert_null(ctx);
	unlink(path);
}

static void test_ctx_fd_sim(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);

	/* The simulator has no iommufd to hand out. */
	EXPECT_ERR(EOPNOTSUPP, NULL, ioasid_ctx_fd(ctx));
	ioasid_ctx_close(ctx);
}

static void test_close_null(void **state)
{
	(void)state;
	ioasid_ctx_close(NULL);
	ioasid_dev_close(NULL);
}

/* ------------------------------------------------------------------ */
/* Options structs                                                      */

static void test_opts_sz_too_small(void **state)
{
	(void)state;
	struct ioasid_ctx_opts opts = { .backend = IOASID_BACKEND_SIM };
	struct ioasid_ctx *ctx = NULL;

	opts.sz = 0;
	EXPECT_ERR(EINVAL, "ctx_opts", ioasid_ctx_open(&opts, &ctx));
	assert_null(ctx);
	opts.sz = sizeof(opts.sz) - 1;
	EXPECT_ERR(EINVAL, "ctx_opts", ioasid_ctx_open(&opts, &ctx));
	assert_null(ctx);
}

/* A program built against a newer header: a larger struct is fine while
 * the part this library does not know is zero. */
struct newer_ctx_opts {
	struct ioasid_ctx_opts base;
	uint64_t future_field;
};

static void test_opts_larger_struct(void **state)
{
	(void)state;
	struct newer_ctx_opts n;
	struct ioasid_ctx *ctx = NULL;

	memset(&n, 0, sizeof(n));
	n.base.sz = sizeof(n);
	n.base.backend = IOASID_BACKEND_SIM;
	n.base.topology = topology_path(TOPO_UNIT);
	OK(ioasid_ctx_open(&n.base, &ctx));
	ioasid_ctx_close(ctx);
	ctx = NULL;

	n.future_field = 1;
	EXPECT_ERR(EINVAL, "ctx_opts", ioasid_ctx_open(&n.base, &ctx));
	assert_null(ctx);
}

/* A program built against an older header: fields past sz take their
 * defaults, the fields it has are used. */
static void test_opts_older_struct(void **state)
{
	(void)state;
	struct ioasid_ctx_opts opts;
	struct ioasid_ctx *ctx = NULL;
	struct ioasid_dev_info info = { .sz = sizeof(info) };

	memset(&opts, 0, sizeof(opts));
	opts.sz = offsetof(struct ioasid_ctx_opts, topology) +
		  sizeof(opts.topology);
	opts.backend = IOASID_BACKEND_SIM;
	opts.topology = topology_path(TOPO_UNIT);
	opts.dev_iommu = "/garbage/not/read";
	OK(ioasid_ctx_open(&opts, &ctx));
	assert_string_equal(ioasid_ctx_backend(ctx), "sim");
	OK(ioasid_dev_info_get(ctx, DEV_C, &info)); /* unit.ini, not built-in */
	ioasid_ctx_close(ctx);
}

/* ------------------------------------------------------------------ */
/* ioasid_ctx_from_fd()                                                 */

static void test_from_fd_closed_fd(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx = NULL;
	int fd = memfd_create("unit", 0);

	assert_true(fd >= 0);
	close(fd);
	EXPECT_ERR(EBADF, NULL, ioasid_ctx_from_fd(fd, NULL, &ctx));
	assert_null(ctx);
}

/* Not an iommufd: -ENOTTY, and a failed call leaves the fd open even with
 * own_fd (a failed call changes nothing). */
static void test_from_fd_not_iommufd_own_fd(void **state)
{
	(void)state;
	IOASID_OPTS(ioasid_ctx_opts, opts, .own_fd = true);
	struct ioasid_ctx *ctx = NULL;
	int fd = memfd_create("unit", 0);

	assert_true(fd >= 0);
	EXPECT_ERR(ENOTTY, NULL, ioasid_ctx_from_fd(fd, &opts, &ctx));
	assert_null(ctx);
	assert_true(fcntl(fd, F_GETFD) >= 0);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* Versions and messages                                                */

static void test_version(void **state)
{
	(void)state;
	char want[64];
	const char *v = ioasid_version_string();

	assert_non_null(v);
	snprintf(want, sizeof(want), "%u.%u.", ioasid_version_major(),
		 ioasid_version_minor());
	assert_true(strncmp(v, want, strlen(want)) == 0);
}

static void test_errmsg_cleared_by_success(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	uint32_t ioas;

	EXPECT_ERR(ENOENT, BAD_ID_STR, ioasid_ioas_destroy(ctx, BAD_ID));
	OK(ioasid_ioas_alloc(ctx, &ioas));
	assert_string_equal(ioasid_errmsg(), "");
	ioasid_ctx_close(ctx);
}

static void *errmsg_of_other_thread(void *arg)
{
	(void)arg;
	return strdup(ioasid_errmsg());
}

static void test_errmsg_per_thread(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	pthread_t t;
	char *other = NULL;

	EXPECT_ERR(ENOENT, BAD_ID_STR, ioasid_ioas_destroy(ctx, BAD_ID));
	assert_int_equal(pthread_create(&t, NULL, errmsg_of_other_thread,
					NULL), 0);
	assert_int_equal(pthread_join(t, (void **)&other), 0);
	assert_non_null(other);
	assert_string_equal(other, ""); /* that thread never failed */
	free(other);
	assert_non_null(strstr(ioasid_errmsg(), BAD_ID_STR));
	ioasid_ctx_close(ctx);
}

/* ------------------------------------------------------------------ */
/* Logging                                                              */

struct log_seen {
	int calls;
	int debug_with_id;
};

static void log_cb(enum ioasid_print_level level, const char *msg,
		   void *data)
{
	struct log_seen *seen = data;

	seen->calls++;
	if (level == IOASID_DEBUG && strstr(msg, BAD_ID_STR))
		seen->debug_with_id++;
}

static void test_set_print_returns_previous(void **state)
{
	(void)state;
	struct log_seen seen = { 0 };
	ioasid_print_fn_t def = ioasid_set_print(log_cb, &seen);

	/* The default prints warnings to stderr: it is a callback too. */
	assert_non_null(def);
	assert_ptr_equal(ioasid_set_print(NULL, NULL), log_cb);
	assert_null(ioasid_set_print(def, NULL));
	assert_ptr_equal(ioasid_set_print(def, NULL), def);
}

/* A user callback gets every line, debug included: the level in the
 * environment only raises the default printer's level.  A failure is
 * logged at debug level with its message (ioasid_fail()). */
static void test_callback_gets_failures(void **state)
{
	(void)state;
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct log_seen seen = { 0 };
	ioasid_print_fn_t def = ioasid_set_print(log_cb, &seen);

	EXPECT_ERR(ENOENT, BAD_ID_STR, ioasid_ioas_destroy(ctx, BAD_ID));
	ioasid_set_print(def, NULL);
	assert_int_equal(seen.debug_with_id, 1);

	/* With NULL the callback is gone. */
	seen = (struct log_seen){ 0 };
	ioasid_set_print(NULL, NULL);
	EXPECT_ERR(ENOENT, BAD_ID_STR, ioasid_ioas_destroy(ctx, BAD_ID));
	ioasid_set_print(def, NULL);
	assert_int_equal(seen.calls, 0);
	ioasid_ctx_close(ctx);
}

/* Child: one failing call, with the default printer or with NULL. */
static int log_child(const char *mode)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM);
	struct ioasid_ctx *ctx = NULL;

	if (strcmp(mode, "null") == 0)
		ioasid_set_print(NULL, NULL);
	if (ioasid_ctx_open(&opts, &ctx))
		return 2;
	if (ioasid_ioas_destroy(ctx, BAD_ID) != -ENOENT)
		return 3;
	ioasid_ctx_close(ctx);
	return 0;
}

/* Run the child with IOASID_LOG_LEVEL=@level (NULL: unset) and return
 * what it wrote to stderr. */
static char *run_log_child(const char *mode, const char *level)
{
	static char out[8192];
	size_t used = 0;
	int pipefd[2], status;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		close(pipefd[1]);
		if (level)
			setenv("IOASID_LOG_LEVEL", level, 1);
		else
			unsetenv("IOASID_LOG_LEVEL");
		execl("/proc/self/exe", "test_ctx", "log-child", mode,
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], out + used, sizeof(out) - 1 - used);

		if (n <= 0)
			break;
		used += (size_t)n;
	}
	out[used] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return out;
}

static void test_log_level_env(void **state)
{
	(void)state;
	/* debug: the default printer shows the failure on stderr. */
	assert_non_null(strstr(run_log_child("default", "debug"),
			       BAD_ID_STR));
	/* Default level (warn): a failure is not a warning. */
	assert_null(strstr(run_log_child("default", NULL), BAD_ID_STR));
	/* NULL callback: nothing at all, even at debug. */
	assert_string_equal(run_log_child("null", "debug"), "");
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "log-child") == 0)
		return log_child(argv[2]);

	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_builtin),
		cmocka_unit_test(test_open_file),
		cmocka_unit_test(test_open_missing_file),
		cmocka_unit_test(test_open_bad_topology),
		cmocka_unit_test(test_ctx_fd_sim),
		cmocka_unit_test(test_close_null),
		cmocka_unit_test(test_opts_sz_too_small),
		cmocka_unit_test(test_opts_larger_struct),
		cmocka_unit_test(test_opts_older_struct),
		cmocka_unit_test(test_from_fd_closed_fd),
		cmocka_unit_test(test_from_fd_not_iommufd_own_fd),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_errmsg_cleared_by_success),
		cmocka_unit_test(test_errmsg_per_thread),
		cmocka_unit_test(test_set_print_returns_previous),
		cmocka_unit_test(test_callback_gets_failures),
		cmocka_unit_test(test_log_level_env),
	};
	return cmocka_run_group_tests_name("ctx", tests, NULL, NULL);
}
