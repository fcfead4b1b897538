// SPDX-License-Identifier: MIT
/*
 * Real guest traffic: the recorded Linux guest trace
 * (tests/data/linux-guest-blk-strict.trace, or $VIOMMU_TRACE)
 * replayed through the device model on the simulator, with the guest RAM
 * it describes (1 GiB at GPA 0, reserved lazily) and one endpoint per
 * endpoint id in the trace.  Every request must succeed, PROBE must return
 * what QEMU returned, and the live mappings at the end must be what a
 * simple model of the trace (computed here, independently of lib/viommu)
 * says.  Also the trace reader's handling of malformed lines.
 */
#include "viommu_helpers.h"

#include <stdio.h>

/* The Makefile passes the trace's absolute path in the repository. */
#ifndef IOASID_TEST_TRACE
#define IOASID_TEST_TRACE "tests/data/linux-guest-blk-strict.trace"
#endif
#define GUEST_RAM (1ULL << 30)
#define MAX_EPS 64

/* The trace's endpoints as a topology: BDF from the requester id, the
 * ICH9 functions of slot 0x1f share one group (as on a q35 host). */
static const char trace_topology[] =
	"# SPDX-License-Identifier: MIT\n"
	"[iommu vtd0]\n"
	"model = intel-vtd\n"
	"aw_bits = 48\n"
	"page_sizes = 4K,2M,1G\n"
	"reserved = 0xfee00000-0xfeefffff msi\n"
	"[group 1]\niommu = vtd0\n"
	"[group 2]\niommu = vtd0\n"
	"[group 3]\niommu = vtd0\n"
	"[group 4]\niommu = vtd0\n"
	"[group 5]\niommu = vtd0\n"
	"[group 6]\niommu = vtd0\n"
	"[device 0000:00:00.0]\ngroup = 1\n"
	"[device 0000:00:01.0]\ngroup = 2\n"
	"[device 0000:00:02.0]\ngroup = 3\n"
	"[device 0000:00:04.0]\ngroup = 4\n"
	"[device 0000:00:05.0]\ngroup = 5\n"
	"[device 0000:00:1f.0]\ngroup = 6\n"
	"[device 0000:00:1f.2]\ngroup = 6\n"
	"[device 0000:00:1f.3]\ngroup = 6\n";

static const char *trace_path(void)
{
	const char *env = getenv("VIOMMU_TRACE");

	return env && *env ? env : IOASID_TEST_TRACE;
}

/* The trace is part of the repository: without it every test fails. */
static void need_trace(void)
{
	if (access(trace_path(), R_OK))
		fail_msg("trace %s not readable (tests/data/ in the repository, or $VIOMMU_TRACE)",
			 trace_path());
}

/* The model: per domain, the live mappings as one MAP made them. */
struct model_map {
	uint32_t domain;
	uint64_t start, last, phys;
	uint32_t flags;
	bool live;
};

struct model {
	struct model_map *maps;
	size_t num, cap;
};

static void model_map(struct model *m, const struct ioasid_virtio_iommu_trace_entry *e)
{
	if (m->num == m->cap) {
		m->cap = m->cap ? 2 * m->cap : 1024;
		m->maps = realloc(m->maps, m->cap * sizeof(*m->maps));
		assert_non_null(m->maps);
	}
	m->maps[m->num++] = (struct model_map){ e->domain, e->virt_start,
						e->virt_end, e->phys_start,
						e->flags, true };
}

/* The spec's rule, for a guest that never splits: every live mapping of
 * the domain inside the range goes. */
static void model_unmap(struct model *m,
			const struct ioasid_virtio_iommu_trace_entry *e)
{
	for (size_t i = 0; i < m->num; i++) {
		struct model_map *x = &m->maps[i];

		if (!x->live || x->domain != e->domain)
			continue;
		/* The recorded guest never asks for a split. */
		assert_false(x->start <= e->virt_end && e->virt_start <= x->last &&
			     (x->start < e->virt_start || x->last > e->virt_end));
		if (x->start >= e->virt_start && x->last <= e->virt_end)
			x->live = false;
	}
}

struct replay {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *devs[MAX_EPS];
	uint32_t eps[MAX_EPS];
	unsigned int num_eps;
	uint8_t *ram;
	struct model model;
	unsigned int requests, probes_compared;
};

static int open_trace(struct ioasid_virtio_iommu_trace **t)
{
	need_trace();
	OK(ioasid_virtio_iommu_trace_open(trace_path(), t));
	return 0;
}

/* First pass: the config line and every endpoint id. */
static void collect(struct replay *r, struct ioasid_virtio_iommu_trace_entry *config)
{
	struct ioasid_virtio_iommu_trace *t;
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
	int rc;

	assert_int_equal(open_trace(&t), 0);
	config->kind = UINT32_MAX;
	while ((rc = ioasid_virtio_iommu_trace_next(t, &e)) == 1) {
		bool known = false;

		if (e.kind == IOASID_VIRTIO_IOMMU_TRACE_CONFIG) {
			*config = e;
			continue;
		}
		if (e.type != 1 && e.type != 2 && e.type != 5)
			continue;
		for (unsigned int i = 0; i < r->num_eps; i++)
			known |= r->eps[i] == e.endpoint;
		if (!known) {
			assert_true(r->num_eps < MAX_EPS);
			r->eps[r->num_eps++] = e.endpoint;
		}
	}
	assert_int_equal(rc, 0);
	ioasid_virtio_iommu_trace_close(t);
	assert_int_equal(config->kind, IOASID_VIRTIO_IOMMU_TRACE_CONFIG);
}

static void replay_setup(struct replay *r, bool physical)
{
	struct ioasid_virtio_iommu_trace_entry config = { .sz = sizeof(config) };
	static const struct ioasid_resv_region msi = { MSI_START, MSI_LAST,
						       IOASID_RESV_MSI, 0 };
	IOASID_OPTS(ioasid_virtio_iommu_endpoint_opts, eo, .resv = &msi, .num_resv = 1);
	char topo[] = "/tmp/viommu-trace-topo-XXXXXX";
	uint8_t cfg[IOASID_VIRTIO_IOMMU_CONFIG_SIZE];
	int fd;

	collect(r, &config);
	fd = mkstemp(topo);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, trace_topology, sizeof(trace_topology) - 1),
			 (ssize_t)sizeof(trace_topology) - 1);
	close(fd);
	{
		IOASID_OPTS(ioasid_ctx_opts, co, .backend = IOASID_BACKEND_SIM,
			    .topology = topo);
		OK(ioasid_ctx_open(&co, &r->ctx));
	}
	unlink(topo);
	{
		IOASID_OPTS(ioasid_virtio_iommu_opts, o, .bypass = config.bypass,
			    .domain_start = config.domain_start,
			    .domain_end = config.domain_end,
			    .probe_size = config.probe_size);
		OK(ioasid_virtio_iommu_create(r->ctx, &o, &r->v));
	}
	/* 1 GiB the guest mostly never touches: reserve, do not commit. */
	r->ram = mmap(NULL, GUEST_RAM, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(r->ram != MAP_FAILED);
	OK(ioasid_virtio_iommu_add_ram(r->v, 0, GUEST_RAM, r->ram));
	for (unsigned int i = 0; i < r->num_eps; i++) {
		char bdf[32];

		if (physical) {
			snprintf(bdf, sizeof(bdf), "0000:%02x:%02x.%x",
				 (r->eps[i] >> 8) & 0xff, (r->eps[i] >> 3) & 0x1f,
				 r->eps[i] & 7);
			r->devs[i] = dev_open_bound(r->ctx, bdf);
			OK(ioasid_virtio_iommu_add_endpoint(r->v, r->eps[i], r->devs[i],
						      NULL));
		} else {
			OK(ioasid_virtio_iommu_add_endpoint(r->v, r->eps[i], NULL, &eo));
		}
	}
	OK(ioasid_virtio_iommu_set_features(r->v, ioasid_virtio_iommu_features(r->v)));
	/* The granule the guest saw must be the device's. */
	OK(ioasid_virtio_iommu_config_read(r->v, 0, cfg, sizeof(cfg)));
	assert_int_equal(le64_get(cfg) & -le64_get(cfg),
			 config.page_size_mask & -config.page_size_mask);
	/* The recorded IOVAs must be inside the device's input range. */
	assert_true(le64_get(cfg + 8) <= config.input_start);
	assert_true(le64_get(cfg + 16) >= config.input_end);
}

static void replay_teardown(struct replay *r)
{
	ioasid_virtio_iommu_destroy(r->v);
	for (unsigned int i = 0; i < r->num_eps; i++)
		if (r->devs[i])
			ioasid_dev_close(r->devs[i]);
	ioasid_ctx_close(r->ctx);
	munmap(r->ram, GUEST_RAM);
	free(r->model.maps);
}

/* The PROBE reply's RESV_MEM properties against the recorded ones. */
static void compare_probe(const struct ioasid_virtio_iommu_trace_entry *e,
			  const uint8_t *props, uint32_t probe_size)
{
	uint32_t off = 0, n = 0;

	while (off + 4 <= probe_size && (le16_get(props + off) & 0xfff) != 0) {
		const uint8_t *p = props + off;

		assert_int_equal(le16_get(p) & 0xfff, 1); /* RESV_MEM */
		assert_int_equal(le16_get(p + 2), 20);
		assert_true(n < e->num_resv);
		assert_int_equal(p[4], e->resv[n].subtype);
		assert_int_equal(le64_get(p + 8), e->resv[n].start);
		assert_int_equal(le64_get(p + 16), e->resv[n].last);
		n++;
		off += 24;
	}
	assert_int_equal(n, e->num_resv);
}

static void replay_run(struct replay *r)
{
	struct ioasid_virtio_iommu_trace *t;
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
	uint8_t resp[65536 + 4];
	int rc;

	assert_int_equal(open_trace(&t), 0);
	while ((rc = ioasid_virtio_iommu_trace_next(t, &e)) == 1) {
		uint32_t used = 0;

		if (e.kind != IOASID_VIRTIO_IOMMU_TRACE_REQUEST)
			continue;
		assert_true(e.resp_len <= sizeof(resp));
		memset(resp, 0xee, e.resp_len);
		OK(ioasid_virtio_iommu_handle_buffers(r->v, e.req, e.req_len, resp,
						e.resp_len, &used));
		if (used != e.resp_len || resp[e.resp_len - 4] != S_OK)
			fail_msg("trace line %u (type %u): used %u of %u, status %u",
				 e.line, e.type, used, e.resp_len,
				 resp[e.resp_len - 4]);
		r->requests++;
		if (e.type == 3)
			model_map(&r->model, &e);
		else if (e.type == 4)
			model_unmap(&r->model, &e);
		else if (e.type == 5) {
			compare_probe(&e, resp, e.resp_len - 4);
			r->probes_compared++;
		}
	}
	assert_int_equal(rc, 0);
	ioasid_virtio_iommu_trace_close(t);
	/* The README says 4355; its own breakdown (8+8+2170+2168) and the
	 * file have 4354. */
	assert_int_equal(r->requests, 4354);
	assert_int_equal(r->probes_compared, 8);
}

static size_t model_live(const struct model *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->num; i++)
		n += m->maps[i].live;
	return n;
}

/* The trace replayed onto a new device (@physical: the physical
 * endpoints; otherwise emulated ones): every request answered OK, and
 * the device's live mappings are the model's. */
static void replay_trace(struct replay *r, bool physical)
{
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	need_trace();
	replay_setup(r, physical);
	replay_run(r);
	OK(ioasid_virtio_iommu_get_stats(r->v, &st));
	assert_int_equal(st.mappings, model_live(&r->model));
}

static void test_trace_replay_physical(void **state)
{
	struct replay r = { 0 };

	(void)state;
	replay_trace(&r, true);
	/* Each live mapping is in its domain's IOAS; each dead one's range
	 * is not (unless a live one covers it again). */
	for (size_t i = 0; i < r.model.num; i++) {
		const struct model_map *x = &r.model.maps[i];
		uint32_t ioas;
		bool covered = false;

		OK(ioasid_virtio_iommu_domain_ioas(r.v, x->domain, &ioas));
		for (size_t j = 0; j < r.model.num && !x->live; j++)
			covered |= r.model.maps[j].live &&
				   r.model.maps[j].domain == x->domain &&
				   r.model.maps[j].start <= x->last &&
				   x->start <= r.model.maps[j].last;
		if (x->live)
			assert_true(is_mapped(r.ctx, ioas, x->start,
					      x->last - x->start + 1));
		else if (!covered)
			assert_false(is_mapped(r.ctx, ioas, x->start, SZ_4K));
	}
	replay_teardown(&r);
}

/* Emulated endpoints: translate() says where each live mapping lands, so
 * the model's physical addresses and permissions are checked too. */
static void test_trace_replay_emulated(void **state)
{
	struct replay r = { 0 };
	uint32_t dom_ep[64] = { 0 };

	(void)state;
	replay_trace(&r, false);
	/* An endpoint of each domain (the trace attaches each once). */
	{
		struct ioasid_virtio_iommu_trace *t;
		struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };

		assert_int_equal(open_trace(&t), 0);
		while (ioasid_virtio_iommu_trace_next(t, &e) == 1)
			if (e.type == 1 && e.domain < 64)
				dom_ep[e.domain] = e.endpoint;
		ioasid_virtio_iommu_trace_close(t);
	}
	for (size_t i = 0; i < r.model.num; i++) {
		const struct model_map *x = &r.model.maps[i];
		struct ioasid_virtio_iommu_translation tr;
		uint32_t access = x->flags & 3;

		if (!x->live || !access)
			continue;
		assert_true(x->domain < 64);
		OK(ioasid_virtio_iommu_translate(r.v, dom_ep[x->domain], x->last,
					   access, &tr));
		assert_int_equal(tr.gpa, x->phys + (x->last - x->start));
		assert_int_equal(tr.iova_last, x->last);
		assert_int_equal(tr.perm & 3, access);
	}
	replay_teardown(&r);
}

/* ---- The reader on its own ----------------------------------------- */

static struct ioasid_virtio_iommu_trace *trace_from(const char *text, char *path)
{
	struct ioasid_virtio_iommu_trace *t = NULL;
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	OK(ioasid_virtio_iommu_trace_open(path, &t));
	unlink(path);
	return t;
}

static void test_trace_reader_encodes(void **state)
{
	char path[] = "/tmp/viommu-trace-XXXXXX";
	struct ioasid_virtio_iommu_trace *t = trace_from(
		"# comment\n\n"
		"config page_size_mask=0xfffffffffffff000 input=0x0-0x7fffffffff domains=0x0-0xffffffff probe_size=0x100 bypass=1\n"
		"probe ep=0x8 resv=msi:0xfee00000-0xfeefffff resv=reserved:0x0-0xfff\n"
		"attach domain=0x1 ep=0x8\n"
		"map domain=0x1 virt=0x1000-0x1fff phys=0x5000 flags=0x3  # trailing\n"
		"unmap domain=1 virt=4096-8191\n"
		"detach domain=0x1 ep=0x8\n", path);
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };

	(void)state;
	assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), 1);
	assert_int_equal(e.kind, IOASID_VIRTIO_IOMMU_TRACE_CONFIG);
	assert_int_equal(e.line, 3);
	assert_int_equal(e.probe_size, 0x100);
	assert_int_equal(e.input_end, 0x7fffffffffULL);
	assert_int_equal(e.domain_end, UINT32_MAX);
	assert_int_equal(e.bypass, 1);

	assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), 1);
	assert_int_equal(e.type, 5);
	assert_int_equal(e.req_len, 72);
	assert_int_equal(e.resp_len, 0x104); /* probe_size of the config */
	assert_int_equal(le32_get(e.req + 4), 8);
	assert_int_equal(e.num_resv, 2);
	assert_int_equal(e.resv[0].subtype, 1);
	assert_int_equal(e.resv[1].subtype, 0);
	assert_int_equal(e.resv[1].last, 0xfff);

	assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), 1);
	assert_int_equal(e.req[0], 1);
	assert_int_equal(e.req_len, 20);
	assert_int_equal(le32_get(e.req + 4), 1);
	assert_int_equal(le32_get(e.req + 8), 8);
	assert_int_equal(le32_get(e.req + 12), 0);

	assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), 1);
	assert_int_equal(e.req[0], 3);
	assert_int_equal(e.req_len, 36);
	assert_int_equal(le64_get(e.req + 8), 0x1000);
	assert_int_equal(le64_get(e.req + 16), 0x1fff);
	assert_int_equal(le64_get(e.req + 24), 0x5000);
	assert_int_equal(le32_get(e.req + 32), 3);
	assert_int_equal(e.resp_len, 4);

	assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), 1);
	assert_int_equal(e.req[0], 4);
	assert_int_equal(e.req_len, 28);
	assert_int_equal(le64_get(e.req + 16), 0x1fff);

	assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), 1);
	assert_int_equal(e.req[0], 2);
	assert_int_equal(e.line, 8);
	assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), 0);
	ioasid_virtio_iommu_trace_close(t);
}

static void test_trace_reader_rejects(void **state)
{
	static const char *const bad[] = {
		"frobnicate ep=1\n",
		"attach domain=1\n",			 /* ep missing */
		"attach domain=1 ep=2 ep=3\n",		 /* twice */
		"attach domain=1 ep=0x100000000\n",	 /* > u32 */
		"map domain=1 virt=0x2000-0x1000 phys=0 flags=3\n", /* empty */
		"map domain=1 virt=0x1000-0x1fff phys=-1 flags=3\n",
		"unmap domain=1 virt=0x1000-0x1fff phys=0\n", /* extra field */
		"probe ep=1 resv=io:0-1\n",
		"attach domain=1 ep=2 resv=msi:0-1\n",
		"detach domain=1 ep\n",
		"config page_size_mask=0x1000 input=0-1 domains=0-1 probe_size=0 bypass=0\n",
		"attach domain=010 ep=2\n",	/* neither hex nor decimal */
		"attach domain=0x ep=2\n",
		"attach domain=0x-1 ep=2\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char path[] = "/tmp/viommu-trace-XXXXXX";
		struct ioasid_virtio_iommu_trace *t = trace_from(bad[i], path);
		struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };

		assert_int_equal(ioasid_virtio_iommu_trace_next(t, &e), -EINVAL);
		assert_non_null(strstr(ioasid_errmsg(), "line 1"));
		ioasid_virtio_iommu_trace_close(t);
	}
	{
		struct ioasid_virtio_iommu_trace *t = NULL;

		assert_int_equal(ioasid_virtio_iommu_trace_open("/nonexistent/x", &t),
				 -ENOENT);
	}
}

/* A NUL byte is refused where it is, on any line and on a last line
 * without a newline (fgets made it look like the end of the line). */
static void test_trace_reader_rejects_nul(void **state)
{
	static const char two_lines[] = "attach domain=1 ep=2\nattach domain=1\0 ep=3\n";
	static const char last_line[] = "attach domain=1 ep=2\0 garbage";
	const struct { const char *bytes; size_t len; const char *where; } cases[] = {
		{ two_lines, sizeof(two_lines) - 1, "line 2: byte 16 is NUL" },
		{ last_line, sizeof(last_line) - 1, "line 1: byte 21 is NUL" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[] = "/tmp/viommu-trace-XXXXXX";
		struct ioasid_virtio_iommu_trace *t = NULL;
		struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
		int fd = mkstemp(path), rc;

		assert_true(fd >= 0);
		assert_int_equal(write(fd, cases[i].bytes, cases[i].len),
				 (ssize_t)cases[i].len);
		close(fd);
		OK(ioasid_virtio_iommu_trace_open(path, &t));
		unlink(path);
		while ((rc = ioasid_virtio_iommu_trace_next(t, &e)) > 0)
			;
		assert_int_equal(rc, -EINVAL);
		if (!strstr(ioasid_errmsg(), cases[i].where))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i,
				 ioasid_errmsg(), cases[i].where);
		ioasid_virtio_iommu_trace_close(t);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_trace_reader_encodes),
		cmocka_unit_test(test_trace_reader_rejects),
		cmocka_unit_test(test_trace_reader_rejects_nul),
		cmocka_unit_test(test_trace_replay_physical),
		cmocka_unit_test(test_trace_replay_emulated),
	};

	return cmocka_run_group_tests_name("viommu_trace", tests, NULL, NULL);
}
