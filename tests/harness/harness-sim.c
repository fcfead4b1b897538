// SPDX-License-Identifier: MIT
/*
 * The harness on the simulator (tests/harness/harness.h): a topology
 * written for each fixture, with the mock IOMMU of
 * examples/topologies/mock.ini (HX_MOCK_INI, set by the Makefile) and
 * one [mock mockN] device per fixture device.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core.h"
#include "harness.h"

#ifndef HX_MOCK_INI
#error "HX_MOCK_INI: the path of examples/topologies/mock.ini"
#endif

/* lib/backend/sim's test hook (selftest.c): the process address behind
 * @iova of paging HWPT @hwpt_id.  Declared here rather than taken from
 * the simulator's headers, which are being reorganised. */
int ioasid_sim_hwpt_translate(void *be, uint32_t hwpt_id, uint64_t iova,
			      uint64_t *va);

struct sim_priv {
	char topology[64];
};

/* Copy mock.ini's [iommu mock] section to @out as [iommu NAME]; with
 * @no_dirty, dirty_tracking = no. */
static int copy_mock_iommu(FILE *out, const char *name, bool no_dirty,
			   struct hx_why *why)
{
	FILE *in = fopen(HX_MOCK_INI, "re");
	char line[512];
	bool in_section = false, seen = false;

	if (!in) {
		snprintf(why->text, sizeof(why->text), "%s: %s", HX_MOCK_INI,
			 strerror(errno));
		return -errno;
	}
	while (fgets(line, sizeof(line), in)) {
		if (line[0] == '[') {
			in_section = !strncmp(line, "[iommu mock]", 12);
			if (in_section) {
				fprintf(out, "[iommu %s]\n", name);
				seen = true;
			}
			continue;
		}
		if (!in_section || line[0] == '#')
			continue;
		if (no_dirty && !strncmp(line, "dirty_tracking", 14))
			continue;
		fputs(line, out);
	}
	fclose(in);
	if (no_dirty)
		fprintf(out, "dirty_tracking = no\n");
	fprintf(out, "\n");
	if (!seen) {
		snprintf(why->text, sizeof(why->text),
			 "%s has no [iommu mock] section", HX_MOCK_INI);
		return -EINVAL;
	}
	return 0;
}

static int write_topology(struct hx *h, const struct hx_test *t, FILE *out,
			  struct hx_why *why)
{
	bool no_dirty = false;
	int rc;

	fprintf(out, "# Written by tests/harness/harness-sim.c for %s.\n\n",
		t->name);
	rc = copy_mock_iommu(out, "mock", false, why);
	for (unsigned int i = 0; i < t->num_devs; i++)
		no_dirty |= t->dev_flags[i] & HX_DEV_NO_DIRTY;
	if (!rc && no_dirty)
		rc = copy_mock_iommu(out, "mock-nodirty", true, why);
	/* A topology needs a device: an unused one if the fixture has none. */
	for (unsigned int i = 0; !rc && i < (t->num_devs ? t->num_devs : 1);
	     i++) {
		uint32_t fl = t->num_devs ? t->dev_flags[i] : 0;

		snprintf(h->name[i], sizeof(h->name[i]), "mock%u", i);
		fprintf(out, "[mock %s]\niommu = %s\n", h->name[i],
			fl & HX_DEV_NO_DIRTY ? "mock-nodirty" : "mock");
		if (fl & HX_DEV_PASID)
			fprintf(out, "pasid_width = 20\nclass = 3\n");
		fprintf(out, "\n");
	}
	return rc;
}

static int sim_open(struct hx *h, const struct hx_test *t, struct hx_why *why)
{
	struct sim_priv *p = calloc(1, sizeof(*p));
	const char *tmp = getenv("TMPDIR");
	FILE *out;
	int fd, rc;

	if (!p)
		return -ENOMEM;
	h->priv = p;
	snprintf(p->topology, sizeof(p->topology), "%.40s/hx-topo-XXXXXX",
		 tmp && *tmp ? tmp : "/tmp");
	fd = mkstemp(p->topology);
	if (fd < 0 || !(out = fdopen(fd, "w"))) {
		snprintf(why->text, sizeof(why->text), "%s: %s", p->topology,
			 strerror(errno));
		if (fd >= 0)
			close(fd);
		p->topology[0] = '\0';
		return -errno;
	}
	rc = write_topology(h, t, out, why);
	if (fclose(out) && !rc)
		rc = -errno;
	if (!rc) {
		IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM,
			    .topology = p->topology, .config = "");

		rc = ioasid_ctx_open(&opts, &h->ctx);
		if (rc)
			snprintf(why->text, sizeof(why->text),
				 "ioasid_ctx_open(%s): %s", p->topology,
				 ioasid_errmsg());
	}
	return rc;
}

static void sim_close(struct hx *h)
{
	struct sim_priv *p = h->priv;

	if (p && p->topology[0])
		unlink(p->topology);
	free(p);
	h->priv = NULL;
}

static int sim_check_map(struct hx *h, uint32_t hwpt, uint64_t iova,
			 uint64_t len, const void *va)
{
	for (uint64_t off = 0; off < len; off += h->page) {
		uint64_t got = 0;
		int rc = ioasid_sim_hwpt_translate(h->ctx->be, hwpt, iova + off,
						   &got);

		if (rc)
			return rc;
		if (got != (uint64_t)(uintptr_t)va + off)
			return -EINVAL;
	}
	return 0;
}

static int sim_reserve(struct hx *h, uint32_t ioas, uint64_t start,
		       uint64_t len)
{
	/* No simulator hook reserves IOVA in an IOAS (its reserved regions
	 * are the topology's devices'); hx_need_reserve() skips. */
	(void)h, (void)ioas, (void)start, (void)len;
	return -EOPNOTSUPP;
}

const struct hx_backend_ops hx_backend = {
	.id = HX_SIM,
	.name = "sim",
	.open = sim_open,
	.close = sim_close,
	.check_map = sim_check_map,
	.check_refs = NULL, /* the simulator pins nothing */
	.reserve = sim_reserve,
};
