// SPDX-License-Identifier: MIT
/*
 * ioasid.conf(5) (lib/host/config.c): a good file and what it changes, every
 * mistake reported as FILE:LINE, the precedence explicit options >
 * environment > configuration > built-in, and the [device] overrides
 * applied to the simulator's reports and PASID attach.
 */
#include <sys/stat.h>

#include "helpers.h"

#define TOPO "pasid.ini"
#define RID_ONLY "0000:00:03.0"	 /* pasid.ini: class 0 */
#define PASSTHRU "0000:00:04.0"	 /* pasid.ini: class 3, width 20 */
#define MDEV_NOPASID "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001" /* class 1 */
#define HWPT_ALLOC_PASID (1u << 3) /* uAPI IOMMU_HWPT_ALLOC_PASID */

static char dir[64];
static char conf[128];

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static void write_conf(const char *text)
{
	write_file(conf, text);
}

static int setup(void **state)
{
	char topo[128], target[4096];

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/ioasid-config-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(conf, sizeof(conf), "%s/ioasid.conf", dir);
	/* A topology next to the file, to check that a relative path is
	 * read relative to it. */
	snprintf(topo, sizeof(topo), "%s/pasid.ini", dir);
	assert_non_null(realpath(topology_path(TOPO), target));
	assert_int_equal(symlink(target, topo), 0);
	unsetenv("IOASID_CONFIG");
	unsetenv("IOASID_BACKEND");
	unsetenv("IOASID_TOPOLOGY");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int reset_env(void **state)
{
	(void)state;
	unsetenv("IOASID_CONFIG");
	unsetenv("IOASID_BACKEND");
	unsetenv("IOASID_TOPOLOGY");
	return 0;
}

static struct ioasid_ctx *open_default(const char *config)
{
	IOASID_OPTS(ioasid_ctx_opts, o, .config = config);
	struct ioasid_ctx *ctx = NULL;

	OK(ioasid_ctx_open(&o, &ctx));
	return ctx;
}

static void dev_info(struct ioasid_ctx *ctx, const char *name,
		     struct ioasid_dev_info *info)
{
	memset(info, 0, sizeof(*info));
	info->sz = sizeof(*info);
	OK(ioasid_dev_info_get(ctx, name, info));
}

/* Comments, upper case, class names and numbers, [defaults] with a
 * relative topology: a context with the default backend gets the
 * simulator on that topology, with the overrides in its reports. */
static void test_good_file(void **state)
{
	struct ioasid_dev_info info;
	struct ioasid_ctx *ctx;
	uint32_t i, n = 0;

	(void)state;
	write_conf("# SPDX-License-Identifier: MIT\n"
		   "; operator overrides\n"
		   "[Defaults]\n"
		   "BACKEND = sim      # the simulator\n"
		   "topology = pasid.ini\n"
		   "\n"
		   "[device 00:03.0]\n"
		   "class = pasid-dev-translate\n"
		   "pasid_width = 0x8\n"
		   "[DEVICE 83B8F4F2-509F-382F-3C1E-E6BFE0FA1001]\n"
		   "class = 2\n"
		   "pasid = 0x30 ; set by the parent driver at bind\n"
		   "[device 0000:00:04.0]\n"
		   "Class = 5\n"
		   "[device 0000:00:1f.0]\n"
		   "class = 4\n");
	ctx = open_default(conf);
	assert_string_equal(ioasid_ctx_backend(ctx), "sim");

	dev_info(ctx, RID_ONLY, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_DEV_TRANSLATE);
	assert_int_equal(info.pasid_width, 8);
	assert_true(info.needs_vpasid);
	assert_false(info.needs_cpu_translation);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_CONFIG);

	dev_info(ctx, PASSTHRU, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_CPU_TRANSLATE);
	assert_int_equal(info.pasid_width, 20); /* the topology's, kept */
	assert_true(info.needs_cpu_translation);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_CONFIG);

	dev_info(ctx, MDEV_NOPASID, &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_MDEV_FIXED_PASID);
	assert_int_equal(info.fixed_pasid, 0x30);
	assert_false(info.needs_vpasid);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_CONFIG);

	/* Untouched devices keep the topology's class; the listing says
	 * the same as the lookup. */
	dev_info(ctx, "0000:00:08.0", &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_CPU_TRANSLATE);
	assert_int_equal(info.class_source, IOASID_CLASS_SRC_TOPOLOGY);
	for (i = 0;; i++) {
		memset(&info, 0, sizeof(info));
		info.sz = sizeof(info);
		if (ioasid_dev_info_at(ctx, i, &info))
			break;
		if (!strcmp(info.name, RID_ONLY)) {
			assert_int_equal(info.dev_class,
					 IOASID_CLASS_PASID_DEV_TRANSLATE);
			assert_int_equal(info.class_source, IOASID_CLASS_SRC_CONFIG);
			n++;
		}
	}
	assert_int_equal(n, 1);
	ioasid_ctx_close(ctx);
}

/* The override drives PASID attach: the topology's class-3 device,
 * configured as class 4 with 8 bits, gets a PASID from the allocator and
 * the device-programming action; the class-1 mdev, configured as class
 * 2, attaches its fixed PASID.  A configured width cannot widen what the
 * bound device's IOMMU reports: the class-0 device, which the simulated
 * hardware gives no PASID, stays without one. */
static void test_override_drives_attach(void **state)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, ho, .flags = HWPT_ALLOC_PASID);
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 7);
	IOASID_OPTS(ioasid_pasid_attach, m);
	struct ioasid_dev *dev, *mdev, *rid;
	struct ioasid_ctx *ctx;
	uint32_t ioas, hwpt, dev_id;

	(void)state;
	write_conf("[defaults]\nbackend = sim\ntopology = pasid.ini\n"
		   "[device 0000:00:04.0]\nclass = 4\npasid_width = 8\n"
		   "[device 0000:00:03.0]\nclass = 4\npasid_width = 8\n"
		   "[device 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001]\n"
		   "class = 2\npasid = 0x30\n");
	ctx = open_default(conf);
	OK(ioasid_ioas_alloc(ctx, &ioas));
	OK(ioasid_dev_open(ctx, PASSTHRU, &dev));
	OK(ioasid_dev_bind(dev, &dev_id));
	OK(ioasid_hwpt_alloc(dev, ioas, &ho, &hwpt));
	OK(ioasid_dev_attach_pasid(dev, hwpt, &a));
	assert_int_equal(a.ppasid, 1);
	assert_int_equal(a.action, IOASID_PASID_PROGRAM_DEVICE);
	assert_true(a.translated);
	/* The configured width bounds the vPASID. */
	a.vpasid = 256;
	EXPECT_ERR(EINVAL, "PASID width 8", ioasid_dev_attach_pasid(dev, hwpt, &a));

	OK(ioasid_dev_open(ctx, RID_ONLY, &rid));
	OK(ioasid_dev_bind(rid, &dev_id));
	a.vpasid = 7;
	EXPECT_ERR(EOPNOTSUPP, "reports a PASID width",
		   ioasid_dev_attach_pasid(rid, ioas, &a));

	OK(ioasid_dev_open(ctx, MDEV_NOPASID, &mdev));
	OK(ioasid_dev_bind(mdev, &dev_id));
	OK(ioasid_dev_attach_pasid(mdev, ioas, &m));
	assert_int_equal(m.ppasid, 0x30);
	ioasid_ctx_close(ctx);

	/* Without the file the device is class 3 again: the PASID is the
	 * vPASID. */
	{
		IOASID_OPTS(ioasid_ctx_opts, o, .backend = IOASID_BACKEND_SIM,
			    .topology = topology_path(TOPO), .config = "");

		OK(ioasid_ctx_open(&o, &ctx));
	}
	OK(ioasid_ioas_alloc(ctx, &ioas));
	OK(ioasid_dev_open(ctx, PASSTHRU, &dev));
	OK(ioasid_dev_bind(dev, &dev_id));
	OK(ioasid_hwpt_alloc(dev, ioas, &ho, &hwpt));
	OK(ioasid_dev_attach_pasid(dev, hwpt, &a));
	assert_int_equal(a.ppasid, 7);
	assert_int_equal(a.action, IOASID_PASID_PROGRAM_NOTHING);
	ioasid_ctx_close(ctx);
}

/* Every mistake: -EINVAL with FILE:LINE and what is wrong. */
static void test_bad_files(void **state)
{
	static const struct {
		const char *text;
		unsigned int line;
		const char *what;
	} cases[] = {
		{ "class = 3\n", 1, "key outside any section" },
		{ "[defaults]\nbackend = qemu\n", 2, "expected kernel or sim" },
		{ "[defaults x]\n", 1, "takes no name" },
		{ "[devices 0000:00:04.0]\n", 1, "unknown section [devices]" },
		{ "[device]\nclass = 3\n", 1, "needs a device name" },
		{ "[device nic0]\nclass = 3\n", 1, "is not a PCI address" },
		{ "[device 0000:00:04.0\n", 1, "missing ']'" },
		{ "[device 0000:00:04.0] x\n", 1, "text after ']'" },
		{ "[device 0000:00:04.0]\n", 1, "sets nothing" },
		{ "\n\n[device 0000:00:04.0]\nclass\n", 4, "expected 'key = value'" },
		{ "[device 0000:00:04.0]\n = 3\n", 2, "missing key" },
		{ "[device 0000:00:04.0]\ncolour = red\n", 2, "unknown key 'colour'" },
		{ "[device 0000:00:04.0]\nclass = # none\n", 2, "has no value" },
		{ "[device 0000:00:04.0]\nclass = 6\n", 2, "class = 6: expected 0 to 5" },
		{ "[device 0000:00:04.0]\nclass = 03\n", 2, "class = 03" },
		{ "[device 0000:00:04.0]\nclass = three\n", 2, "class = three" },
		{ "[device 0000:00:04.0]\nclass = 1\n", 2, "class of mdevs" },
		{ "[device 0000:00:04.0]\npasid_width = 21\n", 2, "out of range (0 to 20)" },
		{ "[device 0000:00:04.0]\npasid_width = 2K\n", 2, "is not a number" },
		{ "[device 0000:00:04.0]\nclass = 3\nCLASS = 4\n", 3,
		  "duplicate key 'class' (first at line 2)" },
		{ "[device 00:04.0]\nclass = 3\n[device 0000:00:04.0]\nclass = 4\n", 3,
		  "duplicate section [device 0000:00:04.0] (first at line 1)" },
		{ "[device 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001]\nclass = 2\n", 2,
		  "needs 'pasid ='" },
		{ "[device 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001]\nclass = 1\npasid = 5\n", 3,
		  "pasid needs class = 2" },
		{ "[device 83b8f4f2-509f-382f-3c1e-e6bfe0fa1001]\nclass = 2\npasid = 0\n", 3,
		  "out of range (1 to 0xfffff)" },
		{ "[device 0000:00:04.0]\nclass = \"3\"\n", 2, "quotes" },
		{ "[device 0000:00:04.0]\nclass = 3 \\\n", 2, "continuation" },
		{ "[device 0000:00:04.0]\nclass = 3\x01\n", 2, "control character" },
	};
	char want[256], longline[1100];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		IOASID_OPTS(ioasid_ctx_opts, o, .config = conf);
		struct ioasid_ctx *ctx = NULL;

		write_conf(cases[i].text);
		snprintf(want, sizeof(want), "%s:%u: ", conf, cases[i].line);
		EXPECT_ERR(EINVAL, want, ioasid_ctx_open(&o, &ctx));
		if (!strstr(ioasid_errmsg(), cases[i].what))
			fail_msg("case %zu: message \"%s\" lacks \"%s\"", i,
				 ioasid_errmsg(), cases[i].what);
		assert_null(ctx);
	}

	/* iniparser's line buffer is 1024 bytes. */
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = '\0';
	memcpy(longline, "[device 0000:00:04.0]\n#", 23);
	write_conf(longline);
	{
		IOASID_OPTS(ioasid_ctx_opts, o, .config = conf);
		struct ioasid_ctx *ctx = NULL;

		snprintf(want, sizeof(want), "%s:2: line longer than", conf);
		EXPECT_ERR(EINVAL, want, ioasid_ctx_open(&o, &ctx));
	}
}

/* A file named explicitly must exist and be readable as a file. */
static void test_missing_file(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, o, .config = "/nonexistent/ioasid.conf");
	struct ioasid_ctx *ctx = NULL;

	(void)state;
	EXPECT_ERR(ENOENT, "/nonexistent/ioasid.conf", ioasid_ctx_open(&o, &ctx));
	o.config = dir;
	EXPECT_ERR(EISDIR, dir, ioasid_ctx_open(&o, &ctx));
	/* $IOASID_CONFIG stands for opts.config NULL; "" means none. */
	setenv("IOASID_CONFIG", "/nonexistent/env.conf", 1);
	o.config = NULL;
	o.backend = IOASID_BACKEND_SIM;
	EXPECT_ERR(ENOENT, "/nonexistent/env.conf", ioasid_ctx_open(&o, &ctx));
	o.config = "";
	OK(ioasid_ctx_open(&o, &ctx));
	ioasid_ctx_close(ctx);
	setenv("IOASID_CONFIG", "", 1);
	o.config = NULL;
	OK(ioasid_ctx_open(&o, &ctx));
	ioasid_ctx_close(ctx);
}

/* Explicit options > environment > configuration > built-in. */
static void test_precedence(void **state)
{
	struct ioasid_dev_info info;
	struct ioasid_ctx *ctx = NULL;
	char unit[4096];

	(void)state;
	snprintf(unit, sizeof(unit), "%s", topology_path(TOPO_UNIT));
	write_conf("[defaults]\nbackend = sim\ntopology = pasid.ini\n");

	/* Configuration over built-in: the simulator on pasid.ini, which
	 * has a class-5 device at 00:08.0. */
	setenv("IOASID_CONFIG", conf, 1);
	ctx = open_default(NULL);
	assert_string_equal(ioasid_ctx_backend(ctx), "sim");
	dev_info(ctx, "0000:00:08.0", &info);
	assert_int_equal(info.dev_class, IOASID_CLASS_PASID_CPU_TRANSLATE);
	ioasid_ctx_close(ctx);

	/* Environment over configuration: the topology... */
	setenv("IOASID_TOPOLOGY", unit, 1);
	ctx = open_default(NULL);
	OK(ioasid_dev_info_get(ctx, DEV_HOST, &(struct ioasid_dev_info){ .sz = sizeof(info) }));
	ioasid_ctx_close(ctx);
	/* ... and the backend (inspect_only: no /dev/iommu needed). */
	setenv("IOASID_BACKEND", "kernel", 1);
	{
		IOASID_OPTS(ioasid_ctx_opts, o, .inspect_only = true);

		OK(ioasid_ctx_open(&o, &ctx));
		assert_string_equal(ioasid_ctx_backend(ctx), "kernel");
		ioasid_ctx_close(ctx);
	}
	setenv("IOASID_BACKEND", "qemu", 1);
	EXPECT_ERR(EINVAL, "IOASID_BACKEND=qemu", ioasid_ctx_open(NULL, &ctx));

	/* Explicit options over the environment. */
	setenv("IOASID_BACKEND", "sim", 1);
	{
		IOASID_OPTS(ioasid_ctx_opts, o, .backend = IOASID_BACKEND_KERNEL,
			    .inspect_only = true);

		OK(ioasid_ctx_open(&o, &ctx));
		assert_string_equal(ioasid_ctx_backend(ctx), "kernel");
		ioasid_ctx_close(ctx);
	}
	{
		IOASID_OPTS(ioasid_ctx_opts, o, .topology = topology_path(TOPO));

		/* Default backend = sim (environment), topology explicit
		 * over IOASID_TOPOLOGY: pasid.ini, which has no DEV_HOST. */
		OK(ioasid_ctx_open(&o, &ctx));
		EXPECT_ERR(ENODEV, DEV_HOST,
			   ioasid_dev_info_get(ctx, DEV_HOST, &(struct ioasid_dev_info){ .sz = sizeof(info) }));
		ioasid_ctx_close(ctx);
	}
	{
		/* An explicit simulator without a topology is the built-in
		 * one: the [defaults] are for IOASID_BACKEND_DEFAULT. */
		IOASID_OPTS(ioasid_ctx_opts, o, .backend = IOASID_BACKEND_SIM);

		OK(ioasid_ctx_open(&o, &ctx));
		EXPECT_ERR(ENODEV, "0000:00:08.0",
			   ioasid_dev_info_get(ctx, "0000:00:08.0", &(struct ioasid_dev_info){ .sz = sizeof(info) }));
		ioasid_ctx_close(ctx);
	}
	/* A topology for a kernel context is still refused. */
	setenv("IOASID_BACKEND", "kernel", 1);
	{
		IOASID_OPTS(ioasid_ctx_opts, o, .topology = unit,
			    .inspect_only = true);

		EXPECT_ERR(EINVAL, "only for the simulator", ioasid_ctx_open(&o, &ctx));
	}
	/* The configuration's backend alone, environment gone. */
	unsetenv("IOASID_BACKEND");
	unsetenv("IOASID_TOPOLOGY");
	write_conf("[defaults]\nbackend = kernel\n");
	{
		IOASID_OPTS(ioasid_ctx_opts, o, .inspect_only = true);

		OK(ioasid_ctx_open(&o, &ctx));
		assert_string_equal(ioasid_ctx_backend(ctx), "kernel");
		ioasid_ctx_close(ctx);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_good_file, reset_env),
		cmocka_unit_test_setup(test_override_drives_attach, reset_env),
		cmocka_unit_test_setup(test_bad_files, reset_env),
		cmocka_unit_test_setup(test_missing_file, reset_env),
		cmocka_unit_test_setup_teardown(test_precedence, reset_env, reset_env),
	};

	return cmocka_run_group_tests_name("config", tests, setup, teardown);
}
