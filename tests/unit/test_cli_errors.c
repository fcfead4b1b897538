// SPDX-License-Identifier: MIT
/*
 * How ioasctl prints a library failure (cli/util.c lib_err(),
 * errno_tail()): the library's message, then " (ENAME)" only when the
 * message does not already end with that errno's name.  The kernel
 * backend's explained messages end with " (IOCTL: ENAME)"
 * (lib/backend/kernel/explain.c kexplained(), called here as the backend
 * calls it after a refusal), and were printed with the name a second
 * time.  Linked with ioasctl's objects but main.o (Makefile).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>

#include "ioasctl.h"
#include "util.h"

/* lib/backend/kernel/kernel-internal.h, which needs the Linux uAPI. */
int kexplained(int rc, const char *ioctl);

/* What lib_err(@ret) prints to stderr (one command line, text mode),
 * into @out; cli.last_msg must be the same message without "Error: ". */
static void printed(int ret, char *out, size_t size)
{
	struct cli cli = { 0 };
	FILE *tmp = tmpfile();
	int saved, n;

	assert_non_null(tmp);
	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(tmp), 2) == 2);
	assert_int_equal(lib_err(&cli, ret), CMD_FAIL);
	fflush(stderr);
	assert_true(dup2(saved, 2) == 2);
	close(saved);
	rewind(tmp);
	n = (int)fread(out, 1, size - 1, tmp);
	fclose(tmp);
	out[n] = '\0';
	assert_int_equal(cli.last_err, ret < 0 ? -ret : ret);
	assert_true(n > 8 && !strncmp(out, "Error: ", 7) && out[n - 1] == '\n');
	out[n - 1] = '\0';
	assert_string_equal(out + 7, cli.last_msg);
	memmove(out, out + 7, strlen(out + 7) + 1);
}

static unsigned int count(const char *s, const char *needle)
{
	unsigned int n = 0;

	for (const char *p = s; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* The kernel backend's explained refusal: its words, the ioctl and the
 * errno name, once. */
static void kernel_message_once(void **state)
{
	char out[1024];

	(void)state;
	ioasid_fail(-EINVAL, "iova 0xfee00000+0x1000 overlaps reserved region "
			     "0xfee00000-0xfeefffff (msi) of device 0000:00:04.0");
	assert_int_equal(kexplained(-EINVAL, "IOMMU_IOAS_MAP"), -EINVAL);
	printed(-EINVAL, out, sizeof(out));
	assert_string_equal(out, "iova 0xfee00000+0x1000 overlaps reserved "
				 "region 0xfee00000-0xfeefffff (msi) of device "
				 "0000:00:04.0 (IOMMU_IOAS_MAP: EINVAL)");
	assert_int_equal(count(out, "EINVAL"), 1);

	ioasid_fail(-EBUSY, "ioas 1 is in use by hwpt 3");
	kexplained(-EBUSY, "IOMMU_DESTROY");
	printed(-EBUSY, out, sizeof(out));
	assert_string_equal(out, "ioas 1 is in use by hwpt 3 (IOMMU_DESTROY: EBUSY)");

	/* An errno with no name: both sides say "errno N". */
	ioasid_fail(-ENOLINK, "device 0000:00:04.0: gone");
	kexplained(-ENOLINK, "IOMMU_IOAS_MAP");
	printed(-ENOLINK, out, sizeof(out));
	assert_int_equal(count(out, "errno"), 1);
	assert_int_equal(count(out, "(IOMMU_IOAS_MAP: errno "), 1);
}

/* The simulator's words end with no errno: ioasctl names it. */
static void sim_message_named(void **state)
{
	char out[1024];

	(void)state;
	ioasid_fail(-ENOENT, "ioas 99 does not exist");
	printed(-ENOENT, out, sizeof(out));
	assert_string_equal(out, "ioas 99 does not exist (ENOENT)");

	/* A message that ends with the name already. */
	ioasid_fail(-ENOENT, "ioas 99 does not exist (ENOENT)");
	printed(-ENOENT, out, sizeof(out));
	assert_string_equal(out, "ioas 99 does not exist (ENOENT)");

	/* No message at all: strerror() and the name. */
	ioasid_clear_error();
	printed(-ENOMEM, out, sizeof(out));
	assert_string_equal(out, "Cannot allocate memory (ENOMEM)");
}

/* Only the same errno's name, as a whole word in the closing
 * parenthesis, counts. */
static void other_endings_named(void **state)
{
	static const struct {
		const char *msg;
		int err;
		const char *tail;
	} cases[] = {
		{ "x (IOMMU_IOAS_MAP: EBUSY)", EINVAL, " (EINVAL)" },
		{ "x (EBUSY)", EINVAL, " (EINVAL)" },
		{ "x (NOTEINVAL)", EINVAL, " (EINVAL)" },
		{ "x (IOMMU_IOAS_MAP:EINVAL)", EINVAL, " (EINVAL)" },
		{ "x EINVAL)", EINVAL, " (EINVAL)" },
		{ "x (EINVAL) more", EINVAL, " (EINVAL)" },
		{ "EINVAL)", EINVAL, " (EINVAL)" },
		{ "", EINVAL, " (EINVAL)" },
		{ "(EINVAL)", EINVAL, "" },
		{ "x (VFIO_DEVICE_BIND_IOMMUFD: EPERM)", EPERM, "" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(errno_tail(cases[i].msg, cases[i].err), cases[i].tail))
			fail_msg("\"%s\": tail \"%s\", want \"%s\"", cases[i].msg,
				 errno_tail(cases[i].msg, cases[i].err),
				 cases[i].tail);
	assert_string_equal(errno_tail(NULL, EIO), " (EIO)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(kernel_message_once),
		cmocka_unit_test(sim_message_named),
		cmocka_unit_test(other_endings_named),
	};

	return cmocka_run_group_tests_name("cli_errors", tests, NULL, NULL);
}
