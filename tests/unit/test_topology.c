/* SPDX-License-Identifier: MIT */
/* Unit tests for lib/backend/sim/topology.c: good files load, each kind of bad file
 * fails with -EINVAL and a FILE:LINE message, and the built-in topology is
 * byte for byte examples/topologies/x86-server.ini. */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core.h"
#include "topology.h"

static char tmpdir[] = "/tmp/test_topology.XXXXXX";

/* The repository root: the working directory, or two levels above this
 * source file. */
static FILE *open_example(const char *name)
{
	char path[4096];
	const char *slash = strrchr(__FILE__, '/');
	FILE *f;

	snprintf(path, sizeof(path), "examples/topologies/%s", name);
	f = fopen(path, "r");
	if (f || !slash)
		return f;
	snprintf(path, sizeof(path), "%.*s/../../examples/topologies/%s",
		 (int)(slash - __FILE__), __FILE__, name);
	return fopen(path, "r");
}

static char *example_path(const char *name)
{
	static char path[4096];
	const char *slash = strrchr(__FILE__, '/');

	snprintf(path, sizeof(path), "examples/topologies/%s", name);
	if (!access(path, R_OK) || !slash)
		return path;
	snprintf(path, sizeof(path), "%.*s/../../examples/topologies/%s",
		 (int)(slash - __FILE__), __FILE__, name);
	return path;
}

static const char *write_tmp(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	fclose(f);
	return path;
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void builtin_equals_example(void **state)
{
	FILE *f = open_example("x86-server.ini");
	size_t len = strlen(topology_builtin_text);
	char *buf;

	(void)state;
	assert_non_null(f);
	buf = malloc(len + 2);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, len + 1, f), len);
	assert_memory_equal(buf, topology_builtin_text, len);
	free(buf);
	fclose(f);
}

static void builtin_loads(void **state)
{
	struct topology *t = NULL;
	const struct topo_dev *d;
	const struct topo_group *g;
	struct topo_resv_list l;

	(void)state;
	assert_int_equal(topology_load(NULL, &t), 0);
	assert_string_equal(t->source, TOPO_BUILTIN_NAME);
	assert_int_equal(t->num_iommus, 1);
	assert_int_equal(t->iommus[0].aperture_last, (1ull << 48) - 1);
	assert_int_equal(t->iommus[0].pgsize_bitmap,
			 (4ull << 10) | (2ull << 20) | (1ull << 30));
	assert_true(t->iommus[0].dirty_tracking);

	/* Both spellings of a PCI address and the cdev path find it. */
	d = topology_find_dev(t, "00:03.0");
	assert_non_null(d);
	assert_ptr_equal(d, topology_find_dev(t, "0000:00:03.0"));
	assert_ptr_equal(d, topology_find_dev(t, "/dev/vfio/devices/vfio0"));
	assert_string_equal(d->info.driver, "vfio-pci");
	assert_int_equal(d->info.vendor_id, 0x8086);

	/* Bound to nvme: no cdev, and cdev numbers skip it. */
	d = topology_find_dev(t, "0000:00:06.0");
	assert_non_null(d);
	assert_string_equal(d->info.cdev, "");
	d = topology_find_dev(t, "0000:00:14.0");
	assert_string_equal(d->info.cdev, "/dev/vfio/devices/vfio4");

	/* A device naming only its IOMMU gets a group after the others. */
	d = topology_find_dev(t, "0000:00:07.0");
	assert_int_equal(d->info.group, 15);

	/* The two functions share group 12. */
	g = topology_find_group(t, 12);
	assert_non_null(g);
	assert_int_equal(g->num_devices, 2);

	/* Group 14: RMRR plus the IOMMU's MSI window, sorted. */
	g = topology_find_group(t, 14);
	assert_int_equal(topology_group_resv(t, g, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.v[0].start, 0xbd000000);
	assert_int_equal(l.v[0].type, IOASID_RESV_DIRECT);
	assert_int_equal(l.v[1].start, 0xfee00000);
	assert_int_equal(l.v[1].last, 0xfeefffff);
	assert_int_equal(l.v[1].type, IOASID_RESV_MSI);
	free(l.v);

	d = topology_find_dev(t, "83B8F4F2-509F-382F-3C1E-E6BFE0FA1002");
	assert_non_null(d);
	assert_int_equal(d->info.kind, IOASID_DEV_MDEV);
	assert_string_equal(d->info.parent, "0000:00:05.0");
	assert_int_equal(d->info.group, -1);
	topology_free(t);
}

static void examples_load(void **state)
{
	static const char *const names[] = { "x86-server.ini", "arm-server.ini",
					     "mock.ini" };
	struct topology *t;

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(names); i++) {
		t = NULL;
		assert_int_equal(topology_load(example_path(names[i]), &t), 0);
		topology_free(t);
	}
	assert_int_equal(topology_load(example_path("mock.ini"), &t), 0);
	assert_int_equal(t->iommus[0].aperture_start, 1ull << 24);
	assert_int_equal(t->iommus[0].aperture_last, (1ull << 31) - 1);
	assert_int_equal(t->iommus[0].pgsize_bitmap, 2048);
	assert_int_equal(t->devs[0].info.kind, IOASID_DEV_MOCK);
	topology_free(t);
}

static void good_syntax_variants(void **state)
{
	struct topology *t = NULL;
	const char *p = write_tmp("good.ini",
				  "; comment\n"
				  "[IOMMU Big]\n"
				  "AW_Bits = 0x27   # 39 bits\n"
				  "page_sizes = 4k, 64K\n"
				  "reserved = 0x0-0xfff reserved, 16M-0x10fffff direct\n"
				  "\n"
				  "[device 01:00.0]\n"
				  "iommu = big\n"
				  "vendor = 10\n");

	(void)state;
	assert_int_equal(topology_load(p, &t), 0);
	assert_int_equal(t->iommus[0].aperture_last, (1ull << 39) - 1);
	assert_int_equal(t->iommus[0].pgsize_bitmap, 0x1000 | 0x10000);
	assert_int_equal(t->iommus[0].resv.n, 2);
	assert_int_equal(t->iommus[0].resv.v[1].start, 16u << 20);
	assert_string_equal(t->devs[0].info.name, "0000:01:00.0");
	assert_int_equal(t->devs[0].info.vendor_id, 10);
	assert_int_equal(t->devs[0].info.group, 0);
	topology_free(t);
}

struct bad_case {
	const char *text;
	const char *message; /* after "FILE:" */
};

static const struct bad_case bad_cases[] = {
	{ "[iommu a]\naw_bits = 48\n[bogus x]\n", "3: unknown section kind 'bogus'" },
	{ "aw_bits = 48\n", "1: key outside any section" },
	{ "[iommu a]\naw_bits = 48\naw_bits = 39\n",
	  "3: duplicate key 'aw_bits' (first at line 2)" },
	{ "[iommu a]\nAW_BITS = 48\naw_bits = 39\n",
	  "3: duplicate key 'aw_bits' (first at line 2)" },
	{ "[iommu a]\ncolour = blue\n", "2: unknown key 'colour' in [iommu] section" },
	{ "[iommu a]\naw_bits = 010\n[device 00:01.0]\niommu = a\n",
	  "2: aw_bits = 010 is not a number" },
	{ "[iommu a]\naw_bits = 4x8\n[device 00:01.0]\niommu = a\n",
	  "2: aw_bits = 4x8 is not a number" },
	{ "[iommu a]\naw_bits = 99\n[device 00:01.0]\niommu = a\n",
	  "2: aw_bits = 99 is out of range (at most 0x40)" },
	{ "[iommu a]\nreserved = 0x2000-0x1000 msi\n[device 00:01.0]\niommu = a\n",
	  "2: inverted range '0x2000-0x1000'" },
	{ "[iommu a]\nreserved = 0x0-0x1fff reserved, 0x1000-0x2fff msi\n"
	  "[device 00:01.0]\niommu = a\n",
	  "2: region 0x1000-0x2fff overlaps 0-0x1fff" },
	{ "[iommu a]\nreserved = 0x0-0x1fff weird\n[device 00:01.0]\niommu = a\n",
	  "2: unknown region type 'weird'" },
	{ "[iommu a]\n[device 00:01.0]\ngroup = 4\n", "3: no [group 4] section" },
	{ "[iommu a]\n[device 00:01.0]\niommu = b\n", "3: no [iommu b] section" },
	{ "[iommu a]\n[device 00:01.0]\n", "2: device 00:01.0 needs 'group =' or 'iommu ='" },
	{ "[iommu a]\n[device 00:1.0]\niommu = a\n", "2: '00:1.0' is not a PCI address" },
	{ "[iommu a]\n[device 00:01.0]\niommu = a\n[mdev 1234]\nparent = 00:01.0\n",
	  "4: '1234' is not a UUID" },
	{ "[iommu a]\n[device 00:01.0]\niommu = a\n[device 0000:00:01.0]\niommu = a\n",
	  "4: duplicate device 0000:00:01.0" },
	{ "[iommu a]\n[iommu A]\n", "2: duplicate section [iommu a] (first at line 1)" },
	{ "[iommu a\n", "1: missing ']'" },
	{ "[iommu a]\njust words\n", "2: expected 'key = value' or '[section]'" },
	{ "[iommu a]\nmodel = x \\\n", "2: line continuation" },
	{ "[iommu a]\nmodel = \"x\"\n", "2: quotes are not supported" },
	{ "[iommu a]\npage_sizes = 3K\n[device 00:01.0]\niommu = a\n",
	  "2: page size '3K' is not a power of two" },
	{ "[group 1]\niommu = nope\n", "2: no [iommu nope] section" },
	/* The implicit group after an explicit INT32_MAX would overflow. */
	{ "[iommu a]\n[group 2147483647]\niommu = a\n[device 00:01.0]\n"
	  "group = 2147483647\n[device 00:02.0]\niommu = a\n",
	  "6: device 00:02.0: no group number is left after group 2147483647" },
	/* A key refused after 'reserved' was parsed (run under valgrind or
	 * LeakSanitizer: nothing leaks). */
	{ "[iommu a]\nreserved = 0x1000-0x1fff reserved\nmsi_banks = 2\n",
	  "3: msi_banks = 2 needs msi_bank_size" },
	{ "[iommu a]\n[device 00:01.0]\niommu = a\n"
	  "reserved = 0x1000-0x1fff reserved\n"
	  "driver = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	  "5: driver is too long" },
	/* A mock device the library would refuse to look up (fuzz_ini). */
	{ "[iommu a]\n[mock moc+0]\niommu = a\n",
	  "2: 'moc+0' is not a mock device name" },
};

static void bad_files(void **state)
{
	char name[32], want[512];

	(void)state;
	for (unsigned int i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		struct topology *t = NULL;
		const char *p;

		snprintf(name, sizeof(name), "bad-%u.ini", i);
		p = write_tmp(name, bad_cases[i].text);
		ioasid_clear_error();
		assert_int_equal(topology_load(p, &t), -EINVAL);
		assert_null(t);
		snprintf(want, sizeof(want), "%s:%s", p, bad_cases[i].message);
		if (strncmp(ioasid_errmsg(), want, strlen(want)))
			fail_msg("case %u: got \"%s\", want \"%s...\"", i,
				 ioasid_errmsg(), want);
	}
}

static void long_line(void **state)
{
	char *text = malloc(2100), want[512];
	struct topology *t = NULL;
	const char *p;

	(void)state;
	assert_non_null(text);
	strcpy(text, "[iommu a]\nmodel = ");
	memset(text + strlen(text), 'x', 1100);
	strcpy(text + strlen("[iommu a]\nmodel = ") + 1100, "\n");
	p = write_tmp("long.ini", text);
	free(text);
	assert_int_equal(topology_load(p, &t), -EINVAL);
	snprintf(want, sizeof(want), "%s:2: line longer than 1023 characters", p);
	assert_string_equal(ioasid_errmsg(), want);
}

static void missing_file(void **state)
{
	struct topology *t = NULL;

	(void)state;
	assert_int_equal(topology_load("/nonexistent/topo.ini", &t), -ENOENT);
	assert_null(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(builtin_equals_example),
		cmocka_unit_test(builtin_loads),
		cmocka_unit_test(examples_load),
		cmocka_unit_test(good_syntax_variants),
		cmocka_unit_test(bad_files),
		cmocka_unit_test(long_line),
		cmocka_unit_test(missing_file),
	};

	return cmocka_run_group_tests_name("topology", tests, setup, teardown);
}
