/* SPDX-License-Identifier: MIT */
/*
 * A fake sysfs tree for unit tests: a temporary directory that
 * IOASID_SYSFS_ROOT names while it exists, and helpers that fill it
 * (paths relative to its root).  Every step is checked with cmocka.
 */
#ifndef IOASID_TESTS_UNIT_FAKE_SYSFS_H
#define IOASID_TESTS_UNIT_FAKE_SYSFS_H

#include <stddef.h>

/* The tree's root; short enough that every path built from it fits
 * PATH_MAX. */
extern char fake_sysfs_root[256];

/* An empty tree, $TMPDIR/@name-XXXXXX (/tmp without TMPDIR), which
 * IOASID_SYSFS_ROOT now names. */
void fake_sysfs_create(const char *name);
/* Removes the tree and unsets IOASID_SYSFS_ROOT. */
void fake_sysfs_remove(void);

/* A directory and its missing parents. */
void fake_mkdir(const char *rel);
/* A file holding @len bytes of @data, or the string @text. */
void fake_write(const char *rel, const void *data, size_t len);
void fake_put(const char *rel, const char *text);
/* A symlink at @rel pointing to @target (relative, as sysfs has them). */
void fake_link(const char *target, const char *rel);

#endif
