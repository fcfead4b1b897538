// SPDX-License-Identifier: MIT
/* The fake sysfs tree of tests/unit/fake_sysfs.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_sysfs.h"

char fake_sysfs_root[256];

void fake_sysfs_create(const char *name)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(fake_sysfs_root, sizeof(fake_sysfs_root), "%s/%s-XXXXXX",
		 tmp ? tmp : "/tmp", name);
	assert_non_null(mkdtemp(fake_sysfs_root));
	setenv("IOASID_SYSFS_ROOT", fake_sysfs_root, 1);
}

void fake_sysfs_remove(void)
{
	char cmd[sizeof(fake_sysfs_root) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", fake_sysfs_root);
	assert_int_equal(system(cmd), 0);
	unsetenv("IOASID_SYSFS_ROOT");
}

void fake_mkdir(const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake_sysfs_root, rel);
	for (char *p = path + strlen(fake_sysfs_root) + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			mkdir(path, 0755);
			*p = '/';
		}
	}
	mkdir(path, 0755);
}

void fake_write(const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", fake_sysfs_root, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void fake_put(const char *rel, const char *text)
{
	fake_write(rel, text, strlen(text));
}

void fake_link(const char *target, const char *rel)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", fake_sysfs_root, rel);
	assert_int_equal(symlink(target, path), 0);
}
