// SPDX-License-Identifier: MIT
/*
 * bench_nested (VM) - replay a recorded Linux guest's virtio-iommu
 * requests (/files/traces/linux-guest-blk-strict.trace, staged by
 * `make vm-files` from tests/data) through the device model on the
 * real kernel, in shadow mode and in nested mode, in one run (issue 7
 * item 7).  The trace's eight endpoints are the kernel's mock devices
 * (CONFIG_IOMMUFD_TEST: mock0..mock7).
 *
 * Shadow mode: each guest MAP is an IOMMU_IOAS_MAP (pinning the pages,
 * mapping them into the mock domain), each UNMAP an IOMMU_IOAS_UNMAP.
 *
 * Nested mode, TEST-ONLY FORMAT: the mock IOMMU nests only with its own
 * selftest data type, not VT-d stage 1.  viommu_nested_use_selftest_format()
 * keeps everything the library does in nested mode (guest RAM pinned once
 * in a nest parent, the same VT-d stage-1 tables written in the table
 * region, one IOMMU_HWPT_INVALIDATE per nested HWPT per batch with one
 * entry per cleared range) but allocates the nested HWPTs and encodes the
 * invalidation entries in the selftest type.  The mock never walks the
 * tables, so no translation is exercised here: the benchmark measures the
 * real costs of each mode (table writes and invalidation calls against
 * map/unmap calls with pinning), not correctness (tests/unit covers that
 * on the simulator's walker).
 *
 * Addresses are moved into the mock's aperture (16 MiB - 2 GiB): guest
 * RAM (64 MiB, the trace's phys lie below 44 MiB) at GPA 16 MiB, phys +16
 * MiB, IOVAs (0xbfbfe000-0xffffffff) -2 GiB; the same in both modes.
 *
 * Reported per mode and batch size (1: a strict guest's kick per request;
 * 16): ns per guest MAP+UNMAP (time in MAP and UNMAP requests, the
 * batch's flush included, over the pairs), and kernel calls per guest
 * request (every ioctl() the library makes during the replay, counted by
 * wrapping ioctl at link time: -Wl,--wrap=ioctl).  Times are those of the
 * guest under QEMU TCG: relative, not absolute.
 *
 * `make vmcheck` runs one replay per case (fails only if a request is
 * not answered OK or the setup fails); `make vmbench-nested` boots with
 * ioasid_bench=full for the median of 5 replays and the targets (nested
 * >= 5x cheaper per MAP+UNMAP than shadow, <= 0.1 kernel calls per guest
 * request), which are reported, not enforced.
 */
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <ioasid/virtio-iommu.h>

#include "le.h"
#include "core.h"
#include "viommu/viommu-internal.h"
#include "vmtest.h"

#define RAM_GPA (16ull << 20)
#define RAM_SIZE (64ull << 20)
#define REGION_GPA (1ull << 30) /* in the aperture, outside RAM and IOVAs */
#define REGION_SIZE (4ull << 20)
#define IOVA_SHIFT (2ull << 30)
#define MAX_EPS 16
#define FULL_REPS 5
#define DEFAULT_TRACE "/files/traces/linux-guest-blk-strict.trace"

/* ---- ioctl counter (-Wl,--wrap=ioctl) --------------------------------- */

static uint64_t ioctl_calls;

int __real_ioctl(int fd, unsigned long req, ...);
int __wrap_ioctl(int fd, unsigned long req, ...);

int __wrap_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	ioctl_calls++;
	return __real_ioctl(fd, req, arg);
}

/* ---- Replay ------------------------------------------------------------ */

struct result {
	double ns_per_pair;
	uint64_t requests, maps, unmaps, not_ok, calls;
	uint64_t refused; /* MAPs off the host's granule, answered RANGE */
	uint32_t nested_domains, domains;
};

/* The host page, the device's granule.  The trace is of a guest with
 * 4 KiB pages: on a host with larger ones (the arm64-64k kernel) its MAPs
 * that are not whole granules must be answered RANGE (virtio 1.3, MAP),
 * the rest as recorded; the replay then checks that instead of timing. */
static uint64_t granule;

/* The status the device must answer the relocated request with. */
static uint8_t expected_status(const uint8_t *req, uint32_t type)
{
	uint64_t mask = granule - 1;

	if (type != 3 || granule == 4096)
		return 0;
	if ((le64_get(req + 8) & mask) || (le64_get(req + 24) & mask) ||
	    ((le64_get(req + 16) + 1) & mask))
		return 5; /* VIRTIO_IOMMU_S_RANGE */
	return 0;
}

static uint8_t *ram, *region;

/* Move a MAP's or UNMAP's addresses into the mock's aperture. */
static void relocate(uint8_t *req, uint32_t type)
{
	if (type != 3 && type != 4)
		return;
	le64_put(req + 8, le64_get(req + 8) - IOVA_SHIFT);
	le64_put(req + 16, le64_get(req + 16) - IOVA_SHIFT);
	if (type == 3)
		le64_put(req + 24, le64_get(req + 24) + RAM_GPA);
}

/* The trace's endpoint ids (ATTACH, DETACH, PROBE) in first-seen order. */
static void scan_endpoints(const char *path, uint32_t *eps, uint32_t *num)
{
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
	struct ioasid_virtio_iommu_trace *t;
	int rc;

	*num = 0;
	VT_OK(ioasid_virtio_iommu_trace_open(path, &t));
	while ((rc = ioasid_virtio_iommu_trace_next(t, &e)) == 1) {
		bool known = false;

		if (e.kind != IOASID_VIRTIO_IOMMU_TRACE_REQUEST ||
		    (e.type != 1 && e.type != 2 && e.type != 5))
			continue;
		for (uint32_t i = 0; i < *num; i++)
			known = known || eps[i] == e.endpoint;
		if (!known) {
			VT_CHECK(*num < MAX_EPS, "more than %u endpoints", MAX_EPS);
			eps[(*num)++] = e.endpoint;
		}
	}
	VT_OK(rc);
	ioasid_virtio_iommu_trace_close(t);
}

static void replay(const char *path, bool nested, unsigned int batch,
		   struct result *res)
{
	IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no, .region_gpa = REGION_GPA,
		    .region_size = REGION_SIZE, .region_hva = region);
	struct ioasid_virtio_iommu_trace_entry e = { .sz = sizeof(e) };
	struct ioasid_dev *devs[MAX_EPS];
	struct ioasid_virtio_iommu_trace *t;
	struct ioasid_virtio_iommu *v;
	struct ioasid_ctx *ctx = vt_kernel_ctx();
	uint64_t t_map = 0, t_unmap = 0, in_batch = 0, calls0;
	uint32_t eps[MAX_EPS], num_eps = 0;
	static uint8_t req[65536], resp[65536 + 4];
	int rc;

	memset(res, 0, sizeof(*res));
	scan_endpoints(path, eps, &num_eps);
	VT_OK(ioasid_virtio_iommu_create(ctx, NULL, &v));
	VT_OK(ioasid_virtio_iommu_add_ram(v, RAM_GPA, RAM_SIZE, ram));
	for (uint32_t i = 0; i < num_eps; i++) {
		char name[16];
		uint32_t dev_id;

		snprintf(name, sizeof(name), "mock%u", i);
		VT_OK(ioasid_dev_open(ctx, name, &devs[i]));
		VT_OK(ioasid_dev_bind(devs[i], &dev_id));
		VT_OK(ioasid_virtio_iommu_add_endpoint(v, eps[i], devs[i], NULL));
	}
	if (nested) {
		VT_OK(ioasid_virtio_iommu_enable_nested(v, &no));
		VT_OK(viommu_nested_use_selftest_format(v));
	}
	VT_OK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)));
	VT_OK(ioasid_virtio_iommu_trace_open(path, &t));
	calls0 = ioctl_calls;
	while ((rc = ioasid_virtio_iommu_trace_next(t, &e)) == 1) {
		uint64_t t0, t1;
		uint32_t used = 0;
		uint8_t want;

		if (e.kind != IOASID_VIRTIO_IOMMU_TRACE_REQUEST)
			continue;
		VT_CHECK(e.req_len <= sizeof(req) && e.resp_len <= sizeof(resp),
			 "request of %zu/%zu bytes", (size_t)e.req_len,
			 (size_t)e.resp_len);
		memcpy(req, e.req, e.req_len);
		relocate(req, e.type);
		t0 = vt_now_ns();
		VT_OK(ioasid_virtio_iommu_handle_buffers(v, req, e.req_len, resp,
						   e.resp_len, &used));
		/* The kick's end: invalidations go out before the used ring
		 * (nothing to do in shadow mode). */
		if (++in_batch == batch) {
			if (ioasid_virtio_iommu_flush(v)) {
				vt_say("flush: %s", ioasid_errmsg());
				res->not_ok++;
			}
			in_batch = 0;
		}
		t1 = vt_now_ns();
		res->requests++;
		want = expected_status(req, e.type);
		res->refused += want != 0;
		if (used < 4 || resp[used - 4] != want) {
			if (res->not_ok++ < 5)
				vt_say("request %llu (type %u) answered %d, expected %u",
				       (unsigned long long)res->requests, e.type,
				       used < 4 ? -1 : resp[used - 4], want);
		}
		if (e.type == 3) {
			res->maps++;
			t_map += t1 - t0;
		} else if (e.type == 4) {
			res->unmaps++;
			t_unmap += t1 - t0;
		}
	}
	VT_OK(rc);
	if (ioasid_virtio_iommu_flush(v))
		res->not_ok++;
	res->calls = ioctl_calls - calls0;
	ioasid_virtio_iommu_trace_close(t);
	res->ns_per_pair = (double)(t_map + t_unmap) /
			   (double)(res->maps < res->unmaps ? res->maps : res->unmaps);
	/* Which mode the domains really had: a nested run that fell back to
	 * shadow would measure shadow twice. */
	for (uint32_t d = 1; d < 64; d++) {
		uint32_t mode;

		if (ioasid_virtio_iommu_domain_mode(v, d, &mode))
			continue;
		res->domains++;
		res->nested_domains += mode == IOASID_VIRTIO_IOMMU_MODE_NESTED;
	}
	ioasid_virtio_iommu_destroy(v);
	for (uint32_t i = 0; i < num_eps; i++)
		ioasid_dev_close(devs[i]);
	ioasid_ctx_close(ctx);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void run(const char *path, const char *name, bool nested,
		unsigned int batch, int reps, struct result *out)
{
	double ns[FULL_REPS];

	for (int i = 0; i < reps; i++) {
		replay(path, nested, batch, out);
		ns[i] = out->ns_per_pair;
		VT_CHECK(!out->not_ok, "%s: %llu of %llu requests not answered as expected",
			 name, (unsigned long long)out->not_ok,
			 (unsigned long long)out->requests);
		VT_CHECK(out->nested_domains == (nested ? out->domains : 0),
			 "%s: %u of %u domains nested", name,
			 out->nested_domains, out->domains);
	}
	qsort(ns, (size_t)reps, sizeof(ns[0]), cmp_double);
	out->ns_per_pair = ns[reps / 2];
	if (granule != 4096) {
		vt_say("%-17s %llu requests: %llu MAP, %llu off the 0x%llx granule answered RANGE, the rest OK; %u/%u domains nested",
		       name, (unsigned long long)out->requests,
		       (unsigned long long)out->maps,
		       (unsigned long long)out->refused,
		       (unsigned long long)granule, out->nested_domains,
		       out->domains);
		return;
	}
	vt_say("%-17s %9.0f ns/MAP+UNMAP  %6.3f kernel calls/request  (%llu requests: %llu MAP, %llu UNMAP; %llu ioctls; %u/%u domains nested)",
	       name, out->ns_per_pair,
	       (double)out->calls / (double)out->requests,
	       (unsigned long long)out->requests, (unsigned long long)out->maps,
	       (unsigned long long)out->unmaps, (unsigned long long)out->calls,
	       out->nested_domains, out->domains);
}

static bool full_run(void)
{
	char line[1024] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (!f)
		return false;
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	return strstr(line, "ioasid_bench=full") != NULL;
}

int main(void)
{
	const char *path = getenv("VIOMMU_TRACE");
	struct ioasid_ctx *probe_ctx;
	struct ioasid_dev *probe;
	struct result sh1, sh16, ne1, ne16;
	bool full = full_run();
	int reps = full ? FULL_REPS : 1;
	double c1, c16;

	if (!path)
		path = DEFAULT_TRACE;
	if (access(path, R_OK))
		vt_fail("no trace at %s (make vm-files copies tests/data/linux-guest-blk-strict.trace)",
			path);
	probe_ctx = vt_kernel_ctx();
	if (ioasid_dev_open(probe_ctx, "mock0", &probe))
		vt_skip("no mock devices (CONFIG_IOMMUFD_TEST): %s",
			ioasid_errmsg());
	ioasid_dev_close(probe);
	ioasid_ctx_close(probe_ctx);
	ioasid_set_print(NULL, NULL);

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	VT_CHECK(ram != MAP_FAILED && region != MAP_FAILED, "mmap: %s",
		 strerror(errno));
	/* Fault the pages in once: otherwise the first case alone would pay
	 * for allocating them when it pins. */
	memset(ram, 0, RAM_SIZE);
	vt_say("%s run: %s, %d replay(s) per case (median), kernel mock devices, QEMU TCG timings; nested uses the TEST-ONLY selftest HWPT format (tables written, not walked)",
	       full ? "full" : "short (ioasid_bench=full for the full run)",
	       path, reps);
	granule = vt_page_size();
	if (granule != 4096) {
		/* Timings of refused requests compare nothing. */
		vt_say("host page 0x%llx: the trace's 4 KiB-page guest cannot map whole granules; checking the device refuses what it must, not timing",
		       (unsigned long long)granule);
		run(path, "shadow, batch 1", false, 1, 1, &sh1);
		run(path, "nested, batch 16", true, 16, 1, &ne16);
		VT_CHECK(sh1.refused > 0, "no MAP of the trace is off the 0x%llx granule",
			 (unsigned long long)granule);
		return VT_EXIT_PASS;
	}
	run(path, "shadow, batch 1", false, 1, reps, &sh1);
	run(path, "shadow, batch 16", false, 16, reps, &sh16);
	run(path, "nested, batch 1", true, 1, reps, &ne1);
	run(path, "nested, batch 16", true, 16, reps, &ne16);
	c1 = (double)ne1.calls / (double)ne1.requests;
	c16 = (double)ne16.calls / (double)ne16.requests;
	vt_say("nested vs shadow per MAP+UNMAP: batch 1 %.1fx, batch 16 %.1fx cheaper (target >= 5x: %s)",
	       sh1.ns_per_pair / ne1.ns_per_pair,
	       sh16.ns_per_pair / ne16.ns_per_pair,
	       sh1.ns_per_pair >= 5 * ne1.ns_per_pair ? "met" : "missed");
	vt_say("nested kernel calls/request: batch 1 %.3f, batch 16 %.3f (target <= 0.1: %s / %s)",
	       c1, c16, c1 <= 0.1 ? "met" : "missed",
	       c16 <= 0.1 ? "met" : "missed");
	return VT_EXIT_PASS;
}
