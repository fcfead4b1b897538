// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the INI files: each input is read as a simulator
 * topology (ioasid-topology(5), lib/backend/sim/topology.c) and as an
 * ioasid.conf (ioasid.conf(5), lib/host/config.c), both on the INI
 * pre-scan of lib/host/ini.c.  A file that loads is then used: the
 * topology's devices and groups with their reserved regions, once
 * through the loader's own lists and once through a simulator context
 * opened on it; the configuration applied to every device of the
 * built-in topology by a context opened with it.
 *
 * Checked: no crash, no undefined behaviour, no leak (LeakSanitizer),
 * also when a file is refused half-way; a refusal is -EINVAL (or
 * -ENOMEM) with a message that starts with the file's name ("FILE:LINE:
 * ..." or "FILE: ..."), nothing returned; a loaded topology opens as a
 * context, and its reserved regions come back sorted (and disjoint for
 * a device, as ioasid_dev_resv_regions() promises).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#include "config.h"
#include "fuzz.h"
#include "topology.h"

/* A refusal names the file first. */
static void check_refusal(int rc, const char *path)
{
	const char *msg = ioasid_errmsg();

	CHECK(rc == -EINVAL || rc == -ENOMEM);
	if (rc == -EINVAL && strncmp(msg, path, strlen(path))) {
		fprintf(stderr, "message \"%s\" does not name %s\n", msg, path);
		CHECK(!"a refusal names the file");
	}
}

/* Regions not inverted; a group's list sorted (a device's is its
 * IOMMU's, its group's and its own, one after the other). */
static void check_list(const struct topo_resv_list *l, bool sorted)
{
	for (unsigned int i = 0; i < l->n; i++) {
		CHECK(l->v[i].start <= l->v[i].last);
		if (i && sorted)
			CHECK(l->v[i - 1].start <= l->v[i].start);
	}
}

/* Every device's and group's regions through the public API: sorted,
 * disjoint (the device's), as many as the count said. */
static void walk_ctx(struct ioasid_ctx *ctx)
{
	struct ioasid_resv_region r[64];

	for (uint32_t i = 0;; i++) {
		IOASID_OPTS(ioasid_dev_info, info);
		uint32_t num = 64;
		int rc = ioasid_dev_info_at(ctx, i, &info);

		if (rc == -ENOENT)
			break;
		CHECK(rc == 0);
		rc = ioasid_dev_resv_regions(ctx, info.name, r, &num);
		CHECK(rc == 0 || rc == -ENODEV || rc == -EMSGSIZE);
		for (uint32_t k = 1; rc == 0 && k < num; k++)
			CHECK(r[k - 1].last < r[k].start);
	}
	for (uint32_t i = 0;; i++) {
		IOASID_OPTS(ioasid_group_info, g);
		uint32_t num = 64;
		int rc = ioasid_group_info_at(ctx, i, &g);

		if (rc == -ENOENT)
			break;
		CHECK(rc == 0);
		rc = ioasid_group_resv_regions(ctx, g.id, r, &num);
		CHECK(rc == 0 || rc == -EMSGSIZE);
		for (uint32_t k = 1; rc == 0 && k < num; k++)
			CHECK(r[k - 1].start <= r[k].start);
	}
}

static void fuzz_topology(const char *path)
{
	struct topology *t = NULL;
	struct ioasid_ctx *ctx = NULL;
	int rc;

	rc = topology_load(path, &t);
	if (rc) {
		CHECK(!t);
		check_refusal(rc, path);
		return;
	}
	for (unsigned int i = 0; i < t->num_devs; i++) {
		struct topo_resv_list l = { 0 };

		if (topology_dev_resv(t, &t->devs[i], &l) == 0)
			check_list(&l, false);
		free(l.v);
	}
	for (unsigned int i = 0; i < t->num_groups; i++) {
		struct topo_resv_list l = { 0 };

		if (topology_group_resv(t, &t->groups[i], &l) == 0)
			check_list(&l, true);
		free(l.v);
	}
	topology_free(t);

	{
		IOASID_OPTS(ioasid_ctx_opts, o, .backend = IOASID_BACKEND_SIM,
			    .topology = path, .config = "");

		rc = ioasid_ctx_open(&o, &ctx);
		if (rc)
			fprintf(stderr, "loaded, but no context: %s\n",
				ioasid_errmsg());
		CHECK(rc == 0);
		walk_ctx(ctx);
		ioasid_ctx_close(ctx);
	}
}

static void fuzz_config(const char *path)
{
	struct ioasid_config *cfg = NULL;
	struct ioasid_ctx *ctx = NULL;
	int rc;

	rc = ioasid_config_load(path, &cfg);
	if (rc) {
		CHECK(!cfg);
		check_refusal(rc, path);
		return;
	}
	(void)ioasid_config_backend(cfg);
	(void)ioasid_config_topology(cfg);
	ioasid_config_free(cfg);

	{
		/* The built-in topology's devices, with the file's [device]
		 * overrides. */
		IOASID_OPTS(ioasid_ctx_opts, o, .backend = IOASID_BACKEND_SIM,
			    .config = path);

		rc = ioasid_ctx_open(&o, &ctx);
		CHECK(rc == 0);
		walk_ctx(ctx);
		ioasid_ctx_close(ctx);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64];
	int fd = memfd_create("fuzz.ini", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("fuzz_ini: memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fuzz_topology(path);
	fuzz_config(path);
	close(fd);
	return 0;
}
