// SPDX-License-Identifier: MIT
/*
 * The kernel's own failure points under the library (issue 12, item 1,
 * the kernel side): each scenario runs once per N = 1, 2, ... with the
 * N-th fault-injection point of this thread failed, until a run gets
 * through without one:
 *   ioas+map+attach: ioasid_ioas_alloc(), ioasid_ioas_map() of 64 KiB (8 pages if larger),
 *     ioasid_dev_attach() of a mock device (CONFIG_IOMMUFD_TEST) to that
 *     IOAS;
 *   hwpt+replace: with that done before the window, ioasid_hwpt_alloc()
 *     of a paging HWPT for the mock on the IOAS, then ioasid_dev_replace()
 *     of the device from its automatic HWPT onto it;
 *   viommu shadow: the device model (lib/viommu) in shadow mode with the
 *     mock as endpoint, guest requests ATTACH, MAP of two pages, UNMAP; a
 *     failed request answers a status and leaves the device, the domain
 *     and the host mapping as they were, and retrying succeeds; in
 *     particular an UNMAP whose host unmap failed inside the kernel with
 *     ENOENT is not answered OK while the host still maps the page (it
 *     was, until shadow_unmap() checked what the IOAS still maps).
 *
 * The kernel's facilities (CONFIG_FAULT_INJECTION, CONFIG_FAILSLAB, as the
 * kernel's iommufd_fail_nth selftest uses them): writing N to
 * /proc/thread-self/fail-nth makes the N-th fault-injection check of the
 * thread fail, whatever the probability settings; reading it afterwards
 * gives 0 when that fault was injected, and something positive when the
 * thread made fewer checks.  /sys/kernel/debug/failslab/ignore-gfp-wait
 * is set to N so that sleeping allocations (GFP_KERNEL, most of iommufd's)
 * can fail too, and verbose to 0 so the kernel log stays quiet.
 *
 * The window holds only the scenario's calls (the context is opened, the
 * mock device bound and the steps before the window made before it;
 * nothing is printed inside it), so every point counted is a fault
 * injection point of one of their system calls.  A run in which a call
 * failed must show:
 *   - a negative errno, errno set to it, and a message;
 *   - the failed call left nothing: no kernel object above the ones that
 *     existed (IOMMU_DESTROY of the next ids answers ENOENT, as
 *     tests/vm/lib/viommu_nested.c probes), after a failed map nothing at
 *     its IOVA, after a failed attach the device detached, and the pages
 *     pinned by nobody (the mock's IOMMU_TEST_OP_MD_CHECK_REFS), after a
 *     failed HWPT alloc or replace the device still on its automatic
 *     HWPT with the mapping and the pages pinned once;
 *   - a message that calls no existing object missing: an id it calls
 *     missing ("... 5 does not exist") is none the run made and still
 *     has, and no IOAS IOMMU_IOAS_IOVA_RANGES answers for;
 *   - retrying the failed call and the rest succeeds.  Some failed allocations come back
 * as ENOENT, EFAULT or EINVAL; the library then says the kernel failed
 * inside ("... although ioas 5 exists in this context: a failure inside
 * the kernel ..."), and those messages are counted.
 * A run in which the fault was injected and every call still succeeded
 * (the kernel recovered on its own) is counted apart.  A line per
 * scenario gives its number of failure points and "all survived".
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mock devices, no fail-nth).
 */
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <unistd.h>

#include <linux/iommufd.h>

#include <ioasid/virtio-iommu.h>

#include "core.h"
#include "kernel.h"
#include "le.h"
#include "viommu/viommu-internal.h"
#include "viommu_req.h"
#include "vmtest.h"

/* Sizes follow the host page size (vt_page_size()): the suite also runs
 * on a 64 KiB-page arm64 kernel, where 4 KiB offsets are not aligned. */
static uint64_t buf_len;   /* the mapped buffer / guest RAM: 64 KiB, at least 8 pages */
#define IOVA 0x10000000ull /* inside the mock domain's aperture, 16 MiB to 2 GiB */
#define MAX_N 2000
#define PROBE_IDS 8

static int nth_fd = -1;

/* Arm fail-nth for the N-th point: one write, nothing after it. */
static void arm(unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	if (pwrite(nth_fd, buf, (size_t)len, 0) != len)
		vt_fail("write fail-nth: %s", strerror(errno));
}

/* Disarm; whether the fault was injected. */
static bool disarm(void)
{
	char buf[16] = "";
	ssize_t n = pread(nth_fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		vt_fail("read fail-nth: %s", n < 0 ? strerror(errno) : "EOF");
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		vt_fail("reset fail-nth: %s", strerror(errno));
	return strtoul(buf, NULL, 10) == 0;
}

/* The lowest free object id (a probe IOAS, destroyed again). */
static uint32_t lowest_free_id(struct ioasid_ctx *ctx)
{
	uint32_t id;

	VT_OK(ioasid_ioas_alloc(ctx, &id));
	VT_OK(ioasid_ioas_destroy(ctx, id));
	return id;
}

/* No object at the PROBE_IDS ids from @from but those of @live (the
 * run's, 0-terminated, or NULL): the ids may have holes below objects
 * that exist (an automatic HWPT goes with its last device). */
static void expect_no_objects(struct ioasid_ctx *ctx, uint32_t from,
			      unsigned int n, const char *what, const uint32_t *live)
{
	for (uint32_t id = from; id < from + PROBE_IDS; id++) {
		struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
		bool skip = false;
		int rc;

		for (const uint32_t *l = live; l && *l; l++)
			skip |= *l == id;
		if (skip)
			continue;
		rc = ioctl(ioasid_ctx_fd(ctx), IOMMU_DESTROY, &cmd);

		VT_CHECK(rc < 0 && errno == ENOENT,
			 "N=%u, failed %s: object %u exists (IOMMU_DESTROY: %s)",
			 n, what, id, rc ? strerror(errno) : "destroyed it");
	}
}

/* Whether IOAS @id exists: IOMMU_IOAS_IOVA_RANGES asking for no ranges
 * answers 0 or EMSGSIZE for an IOAS, ENOENT for anything else. */
static bool ioas_exists(struct ioasid_ctx *ctx, uint32_t id)
{
	struct iommu_ioas_iova_ranges cmd = { .size = sizeof(cmd), .ioas_id = id };
	int rc = ioctl(ioasid_ctx_fd(ctx), IOMMU_IOAS_IOVA_RANGES, &cmd);

	VT_CHECK(rc == 0 || errno == EMSGSIZE || errno == ENOENT,
		 "IOMMU_IOAS_IOVA_RANGES %u: %s", id, strerror(errno));
	return rc == 0 || errno == EMSGSIZE;
}

/* Every "<id> does not exist" of @msg names an object that is missing:
 * none of @live (ids the run made and nothing destroyed; 0 ends the
 * list), not an IOAS the kernel answers for.  Return: how many ids it
 * checked. */
static unsigned int check_missing_claims(struct ioasid_ctx *ctx, unsigned int n,
					 const uint32_t *live, const char *msg)
{
	static const char claim[] = " does not exist";
	unsigned int checked = 0;

	for (const char *p = strstr(msg, claim); p; p = strstr(p + 1, claim)) {
		const char *d = p;
		uint32_t id;

		while (d > msg && d[-1] >= '0' && d[-1] <= '9')
			d--;
		VT_CHECK(d < p, "N=%u: \"does not exist\" after no id: %s", n, msg);
		id = (uint32_t)strtoul(d, NULL, 10);
		for (const uint32_t *l = live; *l; l++)
			VT_CHECK(id != *l,
				 "N=%u: the message calls %u missing, which this run made and still has: %s",
				 n, id, msg);
		VT_CHECK(!ioas_exists(ctx, id),
			 "N=%u: the message calls %u missing, but IOAS %u exists: %s", n,
			 id, id, msg);
		checked++;
	}
	return checked;
}

/*
 * The steps of both scenarios:
 *   ioas+map+attach: ALLOC, MAP, ATTACH in the window;
 *   hwpt+replace:    ALLOC, MAP, ATTACH before it, then HWPT_ALLOC (a
 *                    paging HWPT of the mock on the IOAS) and REPLACE
 *                    (the device from its automatic HWPT to that one).
 */
enum step { ALLOC, MAP, ATTACH, HWPT_ALLOC, REPLACE, STEPS };
static const char *const step_name[STEPS] = { "ioas_alloc", "ioas_map",
					      "dev_attach", "hwpt_alloc",
					      "dev_replace" };

struct scenario {
	const char *name;
	enum step first, end; /* the window's steps: [first, end) */
};

static const struct scenario scenarios[] = {
	{ "ioas+map+attach", ALLOC, HWPT_ALLOC },
	{ "hwpt+replace", HWPT_ALLOC, STEPS },
};

struct run {
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev;
	uint32_t ioas, hwpt;	  /* hwpt: the automatic one of ATTACH */
	uint32_t new_hwpt, got;	  /* HWPT_ALLOC's; REPLACE's answer */
	uint64_t iova;
	int rc[STEPS];
	int err[STEPS];
};

static int do_step(struct run *r, enum step s, uint8_t *buf)
{
	switch (s) {
	case ALLOC:
		return ioasid_ioas_alloc(r->ctx, &r->ioas);
	case MAP:
		r->iova = IOVA;
		return ioasid_ioas_map(r->ctx, r->ioas, buf, buf_len, &r->iova, NULL);
	case ATTACH:
		return ioasid_dev_attach(r->dev, r->ioas, &r->hwpt);
	case HWPT_ALLOC:
		return ioasid_hwpt_alloc(r->dev, r->ioas, NULL, &r->new_hwpt);
	case REPLACE:
		return ioasid_dev_replace(r->dev, r->new_hwpt, &r->got);
	case STEPS:
		break;
	}
	return -EINVAL;
}

/* Fails when the mock has no devices (skip) or the setup fails; then the
 * steps before the scenario's window. */
static void setup(struct run *r, const struct scenario *sc, uint8_t *buf)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->ctx = vt_kernel_ctx();
	rc = ioasid_dev_open(r->ctx, "mock0", &r->dev);
	if (rc == -EOPNOTSUPP || rc == -ENODEV || rc == -ENOTTY)
		vt_skip("no mock devices: %s", ioasid_errmsg());
	VT_OK(rc);
	VT_OK(ioasid_dev_bind(r->dev, NULL));
	for (enum step t = ALLOC; t < sc->first; t++)
		VT_OK(do_step(r, t, buf));
}

static void teardown(struct run *r)
{
	ioasid_dev_close(r->dev);
	ioasid_ctx_close(r->ctx);
}

/* The device rests on the automatic HWPT of the run's IOAS, as ATTACH
 * left it, with the mapping in place. */
static void expect_on_auto_hwpt(struct run *r, unsigned int n, enum step s)
{
	VT_CHECK(ioasid_dev_pt_id(r->dev) == r->ioas && ioasid_dev_hwpt_id(r->dev) == r->hwpt,
		 "N=%u: the failed %s moved the device to %u/%u (was %u/%u)", n,
		 step_name[s], ioasid_dev_pt_id(r->dev), ioasid_dev_hwpt_id(r->dev),
		 r->ioas, r->hwpt);
	VT_CHECK(vt_is_mapped(r->ctx, r->ioas, IOVA, buf_len), "N=%u: the failed %s lost the mapping",
		 n, step_name[s]);
}

/* Check what the failed step @s of run @n left, then retry it and the
 * rest of @sc. */
static void check_failed(struct run *r, const struct scenario *sc, enum step s,
			 unsigned int n, uint32_t first_free, const uint32_t *live,
			 uint8_t *buf, char *msg)
{
	VT_CHECK(r->err[s] == -r->rc[s], "N=%u: %s returned %d, errno %d", n,
		 step_name[s], r->rc[s], r->err[s]);
	VT_CHECK(msg[0], "N=%u: %s returned %d without a message", n,
		 step_name[s], r->rc[s]);
	switch (s) {
	case ALLOC:
		expect_no_objects(r->ctx, first_free, n, step_name[s], NULL);
		break;
	case MAP:
		VT_CHECK(!vt_is_mapped(r->ctx, r->ioas, IOVA, vt_page_size()),
			 "N=%u: the failed map left a mapping", n);
		expect_no_objects(r->ctx, r->ioas + 1, n, step_name[s], NULL);
		break;
	case ATTACH:
		VT_CHECK(ioasid_dev_pt_id(r->dev) == 0 &&
			 ioasid_dev_hwpt_id(r->dev) == 0,
			 "N=%u: the failed attach left the device on %u/%u", n,
			 ioasid_dev_pt_id(r->dev), ioasid_dev_hwpt_id(r->dev));
		VT_CHECK(vt_is_mapped(r->ctx, r->ioas, IOVA, buf_len),
			 "N=%u: the failed attach lost the mapping", n);
		VT_OK(ioasid_kernel_mock_check_refs(r->ctx->be, buf, buf_len, 0));
		expect_no_objects(r->ctx, r->ioas + 1, n, step_name[s], NULL);
		break;
	case HWPT_ALLOC:
		expect_on_auto_hwpt(r, n, s);
		VT_OK(ioasid_kernel_mock_check_refs(r->ctx->be, buf, buf_len, 1));
		expect_no_objects(r->ctx, first_free, n, step_name[s], live);
		break;
	case REPLACE:
		expect_on_auto_hwpt(r, n, s);
		VT_OK(ioasid_kernel_mock_check_refs(r->ctx->be, buf, buf_len, 1));
		/* The new HWPT stays (it is the caller's). */
		expect_no_objects(r->ctx, first_free, n, step_name[s], live);
		break;
	case STEPS:
		break;
	}
	for (enum step t = s; t < sc->end; t++) {
		int rc = do_step(r, t, buf);

		VT_CHECK(rc == 0, "N=%u: retrying %s after the failure: %d %s",
			 n, step_name[t], rc, ioasid_errmsg());
	}
	VT_OK(ioasid_kernel_mock_check_refs(r->ctx->be, buf, buf_len, 1));
}

/* A run completed: the device where the scenario puts it. */
static void check_done(struct run *r, const struct scenario *sc, unsigned int n,
		       uint8_t *buf)
{
	VT_OK(ioasid_kernel_mock_check_refs(r->ctx->be, buf, buf_len, 1));
	if (sc->end == STEPS)
		VT_CHECK(ioasid_dev_hwpt_id(r->dev) == r->new_hwpt && r->got == r->new_hwpt,
			 "N=%u: replaced onto hwpt %u, the device is on %u (answer %u)",
			 n, r->new_hwpt, ioasid_dev_hwpt_id(r->dev), r->got);
}

/* Scenario @sc for N = 1, 2, ... until a run gets through with no fault
 * injected; the summary line. */
static void run_scenario(const struct scenario *sc, uint8_t *buf)
{
	unsigned int n, points = 0, failed[STEPS] = { 0 }, recovered = 0, claims = 0,
			inside = 0;
	char msg[512], counts[256] = "";
	size_t used = 0;
	bool injected = false;

	for (n = 1; n <= MAX_N; n++) {
		struct run r;
		uint32_t first_free, live[4] = { 0 };
		enum step s;

		setup(&r, sc, buf);
		first_free = lowest_free_id(r.ctx);
		errno = 0;
		arm(n);
		for (s = sc->first; s < sc->end; s++) {
			r.rc[s] = do_step(&r, s, buf);
			r.err[s] = errno;
			if (r.rc[s])
				break;
		}
		injected = disarm();
		if (s < sc->end) {
			unsigned int k = 0;

			snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
			VT_CHECK(injected, "N=%u: %s failed with no fault injected: %d %s",
				 n, step_name[s], r.rc[s], msg);
			failed[s]++;
			vt_say("%s: N=%u: %s failed: %s (%s)", sc->name, n, step_name[s],
			       hx_strerr(r.rc[s]), msg);
			if (s > ALLOC)
				live[k++] = r.ioas;
			if (s > ATTACH)
				live[k++] = r.hwpt;
			if (s > HWPT_ALLOC)
				live[k++] = r.new_hwpt;
			claims += check_missing_claims(r.ctx, n, live, msg);
			inside += strstr(msg, "a failure inside the kernel") != NULL;
			check_failed(&r, sc, s, n, first_free, live, buf, msg);
		} else {
			check_done(&r, sc, n, buf);
			recovered += injected;
		}
		VT_OK(ioasid_dev_detach(r.dev));
		teardown(&r);
		if (!injected)
			break;
	}
	VT_CHECK(!injected, "%s: still failing at N=%u: raise MAX_N", sc->name, MAX_N);
	points = n - 1;
	VT_CHECK(points > 0, "%s: no failure point at all: is FAILSLAB on?", sc->name);
	for (enum step t = sc->first; t < sc->end; t++)
		used += (size_t)snprintf(counts + used, sizeof(counts) - used, "%s%s %u",
					 t > sc->first ? ", " : "", step_name[t], failed[t]);
	vt_say("%s: %u failure points (%s failed; %u recovered by the kernel; %u said the kernel failed inside, %u claims of a missing object checked), all survived",
	       sc->name, points, counts, recovered, inside, claims);
}

/* ------------------------------------------------------------------ */
/* The device model: a guest's requests, step by step, shadow and nested */

#define RAM_GPA 0x1000000ull   /* guest RAM; in the mock aperture (16M-2G),
				* where the nest parent maps it */
#define REGION_GPA 0x40000000ull /* nested mode's table region */
#define REGION_SIZE 0x100000ull
#define IOVA1 0x20000000ull
#define IOVA2 0x20100000ull
#define EP_A 0x10u /* mock0 */
#define EP_B 0x18u /* mock1 */
#define PROBE_SIZE 512u
#define SAVE_MAX 4096
#define MAX_PAGES 64

/*
 * What a guest driver does: attach both endpoints to domain 1, map,
 * probe, move B to domain 2 and map there, unmap, move A after it (domain
 * 1 dies with its last endpoint), flush, empty domain 2, reset the device
 * and start again in domain 3.  A step is a request (its status) or a
 * call of the VMM's (its return value).
 */
enum gstep { G_ATTACH_A1, G_ATTACH_B1, G_MAP1, G_PROBE_A, G_MOVE_B2, G_MAP2,
	     G_UNMAP1, G_MOVE_A2, G_FLUSH, G_UNMAP_ALL2, G_RESET, G_ATTACH_A3,
	     G_MAP3, GSTEPS };
static const char *const gstep_name[GSTEPS] = {
	"ATTACH A to 1", "ATTACH B to 1", "MAP in 1", "PROBE A",
	"ATTACH B to 2 (move)", "MAP in 2", "UNMAP in 1",
	"ATTACH A to 2 (move)", "flush", "UNMAP all of 2",
	"reset + set_features", "ATTACH A to 3", "MAP in 3",
};

struct vrun {
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev[2]; /* mock0 = EP_A, mock1 = EP_B */
	struct ioasid_virtio_iommu *v;
	uint8_t *ram, *region;
	bool nested;
};

/* The device's state as the device and the host see it. */
struct vsnap {
	uint8_t save[SAVE_MAX]; /* ioasid_virtio_iommu_save(): guest state */
	size_t save_len;
	uint32_t pt[2], hwpt[2];  /* where each endpoint's device is */
	uint32_t free_id;	  /* the lowest free object id */
	uint8_t refs[MAX_PAGES]; /* pins of each guest RAM page */
	uint8_t region[REGION_SIZE]; /* nested: the stage-1 tables */
};

/* One request in one buffer (viommu_req.h); the status byte of the
 * reply, or -1 if the library refused the buffers themselves. */
static int submit(struct ioasid_virtio_iommu *v, const uint8_t *req, size_t len)
{
	uint8_t tail[4] = { 0xff, 0xff, 0xff, 0xff };
	struct iovec out = { (void *)req, len };
	struct iovec in = { tail, sizeof(tail) };
	uint32_t used = 0;

	if (ioasid_virtio_iommu_handle_request(v, &out, 1, &in, 1, &used) || used != 4)
		return -1;
	return tail[0];
}

static int probe_req(struct ioasid_virtio_iommu *v, uint32_t ep)
{
	uint8_t req[72] = { 5 /* PROBE */ }, resp[PROBE_SIZE + 4];
	uint32_t used = 0;

	le32_put(req + 4, ep);
	if (ioasid_virtio_iommu_handle_buffers(v, req, sizeof(req), resp, sizeof(resp),
					       &used) || used != sizeof(resp))
		return -1;
	return resp[PROBE_SIZE];
}

/* Step @s: 0 if it succeeded; a status (> 0) or a negative errno. */
static int do_gstep(struct vrun *r, enum gstep s)
{
	int rc;

	switch (s) {
	case G_ATTACH_A1:
		return attach(r->v, 1, EP_A);
	case G_ATTACH_B1:
		return attach(r->v, 1, EP_B);
	case G_MAP1:
		return map(r->v, 1, IOVA1, 2 * vt_page_size(), RAM_GPA + 3 * vt_page_size(),
			   MAP_READ | MAP_WRITE);
	case G_PROBE_A:
		return probe_req(r->v, EP_A);
	case G_MOVE_B2:
		return attach(r->v, 2, EP_B);
	case G_MAP2:
		return map(r->v, 2, IOVA2, vt_page_size(), RAM_GPA + 5 * vt_page_size(), MAP_READ);
	case G_UNMAP1:
		return unmap(r->v, 1, IOVA1, 2 * vt_page_size());
	case G_MOVE_A2:
		return attach(r->v, 2, EP_A);
	case G_FLUSH:
		return ioasid_virtio_iommu_flush(r->v);
	case G_UNMAP_ALL2:
		return unmap(r->v, 2, 0, 0); /* [0, ~0] */
	case G_RESET:
		rc = ioasid_virtio_iommu_reset(r->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE);
		return rc ? rc : ioasid_virtio_iommu_set_features(r->v,
					 ioasid_virtio_iommu_features(r->v));
	case G_ATTACH_A3:
		return attach(r->v, 3, EP_A);
	case G_MAP3:
		return map(r->v, 3, IOVA1, vt_page_size(), RAM_GPA, MAP_READ | MAP_WRITE);
	case GSTEPS:
		break;
	}
	return -EINVAL;
}

static void *alloc_zeroed(uint64_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	VT_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

/* A context with mock0 and mock1 bound, a device with @ram as guest RAM
 * and both as endpoints, nested mode (the mock's selftest HWPT format)
 * if @nested, features negotiated. */
static void vrun_setup(struct vrun *r, bool nested, uint8_t *ram, uint8_t *region)
{
	IOASID_OPTS(ioasid_virtio_iommu_opts, opts, .probe_size = PROBE_SIZE);

	memset(r, 0, sizeof(*r));
	r->ctx = vt_kernel_ctx();
	r->ram = ram;
	r->region = region;
	r->nested = nested;
	VT_OK(ioasid_virtio_iommu_create(r->ctx, &opts, &r->v));
	VT_OK(ioasid_virtio_iommu_add_ram(r->v, RAM_GPA, buf_len, ram));
	for (int i = 0; i < 2; i++) {
		VT_OK(ioasid_dev_open(r->ctx, i ? "mock1" : "mock0", &r->dev[i]));
		VT_OK(ioasid_dev_bind(r->dev[i], NULL));
		VT_OK(ioasid_virtio_iommu_add_endpoint(r->v, i ? EP_B : EP_A,
						       r->dev[i], NULL));
	}
	if (nested) {
		IOASID_OPTS(ioasid_virtio_iommu_nested_opts, no,
			    .region_gpa = REGION_GPA, .region_size = REGION_SIZE,
			    .region_hva = region);

		memset(region, 0, REGION_SIZE);
		VT_OK(ioasid_virtio_iommu_enable_nested(r->v, &no));
		VT_OK(viommu_nested_use_selftest_format(r->v));
	}
	VT_OK(ioasid_virtio_iommu_set_features(r->v, ioasid_virtio_iommu_features(r->v)));
}

static void vrun_teardown(struct vrun *r)
{
	ioasid_virtio_iommu_destroy(r->v);
	for (int i = 0; i < 2; i++)
		ioasid_dev_close(r->dev[i]);
	ioasid_ctx_close(r->ctx);
}

/* How often the mock pins the page at @va (0-3; 255: more). */
static uint8_t page_refs(struct vrun *r, const uint8_t *va)
{
	for (unsigned int n = 0; n < 4; n++)
		if (ioasid_kernel_mock_check_refs(r->ctx->be, va, vt_page_size(), n) == 0)
			return (uint8_t)n;
	return 255;
}

static void snap(struct vrun *r, struct vsnap *sn)
{
	VT_OK(ioasid_virtio_iommu_save(r->v, sn->save, sizeof(sn->save), &sn->save_len));
	for (int i = 0; i < 2; i++) {
		sn->pt[i] = ioasid_dev_pt_id(r->dev[i]);
		sn->hwpt[i] = ioasid_dev_hwpt_id(r->dev[i]);
	}
	sn->free_id = lowest_free_id(r->ctx);
	for (uint64_t p = 0; p < buf_len / vt_page_size(); p++)
		sn->refs[p] = page_refs(r, r->ram + p * vt_page_size());
	if (r->nested)
		memcpy(sn->region, r->region, REGION_SIZE);
}

/* @a and @b alike: the guest state (byte for byte), the pins, the tables;
 * with @same_run also the host ids (another run may number them apart). */
static void expect_same(const struct vrun *r, const struct vsnap *a,
			const struct vsnap *b, bool same_run, const char *what)
{
	if (a->save_len != b->save_len || memcmp(a->save, b->save, a->save_len)) {
		size_t at = 0;

		while (at < a->save_len && at < b->save_len && a->save[at] == b->save[at])
			at++;
		vt_fail("%s: the device's state differs (saved %zu bytes, expected %zu; first at byte %zu: 0x%02x, expected 0x%02x)",
			what, b->save_len, a->save_len, at,
			at < b->save_len ? b->save[at] : 0, at < a->save_len ? a->save[at] : 0);
	}
	for (uint64_t p = 0; p < buf_len / vt_page_size(); p++)
		VT_CHECK(a->refs[p] == b->refs[p],
			 "%s: guest page %llu pinned %u times, expected %u", what,
			 (unsigned long long)p, b->refs[p], a->refs[p]);
	if (r->nested)
		VT_CHECK(!memcmp(a->region, b->region, REGION_SIZE),
			 "%s: the stage-1 tables differ", what);
	if (!same_run)
		return;
	for (int i = 0; i < 2; i++)
		VT_CHECK(a->pt[i] == b->pt[i] && a->hwpt[i] == b->hwpt[i],
			 "%s: mock%d on %u/%u, was on %u/%u", what, i, b->pt[i],
			 b->hwpt[i], a->pt[i], a->hwpt[i]);
	VT_CHECK(a->free_id == b->free_id,
		 "%s: lowest free object id %u, was %u (an object %s)", what,
		 b->free_id, a->free_id, b->free_id > a->free_id ? "was left" : "went");
}

/*
 * Shadow mode: what the saved state says is what the kernel maps.  Every
 * MAPPING record of an endpoint's domain is in the endpoint's mock HWPT,
 * to the guest page it names; IOVA1 and IOVA2 map to no guest page where
 * no record covers them.
 */
static void expect_host_maps(struct vrun *r, const struct vsnap *sn, const char *what)
{
	const uint8_t *p = sn->save + 24, *end = sn->save + sn->save_len - 4;
	uint32_t ep_dom[2] = { 0, 0 };
	struct { uint32_t dom; uint64_t start, last, phys; } maps[8];
	unsigned int nmaps = 0;
	static const uint64_t probes[] = { IOVA1, IOVA2 };

	if (r->nested)
		return; /* the mock does not walk stage-1 tables */
	for (; p + 8 <= end; p += 8 + le32_get(p + 4)) {
		uint16_t type = le16_get(p);

		if (type == 2 && p[8 + 5]) /* ENDPOINT, attached */
			ep_dom[le32_get(p + 8) == EP_B] = le32_get(p + 8 + 8);
		if (type == 4 && nmaps < ARRAY_SIZE(maps)) { /* MAPPING */
			maps[nmaps].dom = le32_get(p + 8);
			maps[nmaps].start = le64_get(p + 8 + 8);
			maps[nmaps].last = le64_get(p + 8 + 16);
			maps[nmaps].phys = le64_get(p + 8 + 24);
			nmaps++;
		}
	}
	for (int i = 0; i < 2; i++) {
		uint32_t hwpt = ioasid_dev_hwpt_id(r->dev[i]);

		if (!ep_dom[i])
			continue;
		for (unsigned int m = 0; m < nmaps; m++)
			if (maps[m].dom == ep_dom[i])
				VT_CHECK(!ioasid_kernel_mock_check_map(
						 r->ctx->be, hwpt, maps[m].start,
						 maps[m].last - maps[m].start + 1,
						 r->ram + (maps[m].phys - RAM_GPA)),
					 "%s: mock%d's hwpt %u does not map 0x%llx as domain %u's record says",
					 what, i, hwpt, (unsigned long long)maps[m].start,
					 ep_dom[i]);
		for (size_t k = 0; k < ARRAY_SIZE(probes); k++) {
			bool recorded = false;

			for (unsigned int m = 0; m < nmaps; m++)
				recorded |= maps[m].dom == ep_dom[i] &&
					    probes[k] >= maps[m].start &&
					    probes[k] <= maps[m].last;
			if (recorded)
				continue;
			for (uint64_t pg = 0; pg < buf_len / vt_page_size(); pg++)
				VT_CHECK(ioasid_kernel_mock_check_map(
						 r->ctx->be, hwpt, probes[k], vt_page_size(),
						 r->ram + pg * vt_page_size()) != 0,
					 "%s: mock%d's hwpt %u maps 0x%llx (guest page %llu), which domain %u does not",
					 what, i, hwpt, (unsigned long long)probes[k],
					 (unsigned long long)pg, ep_dom[i]);
		}
	}
}

struct tally {
	unsigned int points, recovered, claims, inside;
	unsigned int failed[GSTEPS];
};

/* A step that failed in run @n: its answer, the state as before it,
 * then the retry. */
static void check_gstep_failed(struct vrun *r, struct tally *t, enum gstep s,
			       unsigned int n, int rc, int err, const char *name,
			       const struct vsnap *before, struct vsnap *now)
{
	char msg[512], what[160];
	uint32_t live[1] = { 0 };

	snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
	snprintf(what, sizeof(what), "%s: N=%u: failed %s", name, n, gstep_name[s]);
	if (rc < 0)
		VT_CHECK(err == -rc, "%s returned %d, errno %d", what, rc, err);
	/* A request answers the guest a status; the VMM still learns why
	 * from ioasid_errmsg(). */
	VT_CHECK(msg[0], "%s %s %d without a message", what,
		 rc < 0 ? "returned" : "answered status", rc);
	t->claims += check_missing_claims(r->ctx, n, live, msg);
	t->inside += strstr(msg, "a failure inside the kernel") != NULL;
	t->failed[s]++;
	vt_say("%s: N=%u: %s: %s%d (%s)", name, n, gstep_name[s],
	       rc < 0 ? "returned " : "status ", rc, msg);
	snap(r, now);
	expect_same(r, before, now, true, what);
	expect_host_maps(r, now, what);
	rc = do_gstep(r, s);
	VT_CHECK(rc == 0, "%s: retrying: %d (%s)", what, rc, ioasid_errmsg());
}

/* Every step of the guest's sequence with each of its failure points
 * failed in turn (the steps before it made without a fault). */
static void run_guest(bool nested, uint8_t *ram, uint8_t *region)
{
	const char *name = nested ? "viommu nested" : "viommu shadow";
	static struct vsnap ref[GSTEPS + 1], before, now;
	struct tally t = { 0 };
	char counts[512] = "";
	size_t used = 0;
	struct vrun r;

	/* The clean run: the state after each step. */
	vrun_setup(&r, nested, ram, region);
	snap(&r, &ref[0]);
	for (enum gstep s = 0; s < GSTEPS; s++) {
		int rc = do_gstep(&r, s);

		VT_CHECK(rc == 0, "%s: %s: %d (%s)", name, gstep_name[s], rc, ioasid_errmsg());
		snap(&r, &ref[s + 1]);
		expect_host_maps(&r, &ref[s + 1], gstep_name[s]);
	}
	vrun_teardown(&r);

	for (enum gstep s = 0; s < GSTEPS; s++) {
		bool injected = true;
		unsigned int n;

		for (n = 1; n <= MAX_N && injected; n++) {
			char what[160];
			int rc, err;

			vrun_setup(&r, nested, ram, region);
			for (enum gstep p = 0; p < s; p++)
				VT_CHECK(do_gstep(&r, p) == 0, "%s: N=%u: %s before the window",
					 name, n, gstep_name[p]);
			snap(&r, &before);
			errno = 0;
			arm(n);
			rc = do_gstep(&r, s);
			err = errno;
			injected = disarm();
			if (rc) {
				VT_CHECK(injected, "%s: N=%u: %s failed with no fault injected: %d (%s)",
					 name, n, gstep_name[s], rc, ioasid_errmsg());
				check_gstep_failed(&r, &t, s, n, rc, err, name, &before, &now);
			} else {
				t.recovered += injected;
			}
			snprintf(what, sizeof(what), "%s: N=%u: after %s%s", name, n,
				 gstep_name[s], rc ? " was retried" : "");
			snap(&r, &now);
			expect_same(&r, &ref[s + 1], &now, false, what);
			expect_host_maps(&r, &now, what);
			vrun_teardown(&r);
			t.points += injected;
		}
		VT_CHECK(!injected, "%s: %s still failing at N=%u: raise MAX_N", name,
			 gstep_name[s], MAX_N);
		used += (size_t)snprintf(counts + used, sizeof(counts) - used, "%s%s %u/%u",
					 s ? ", " : "", gstep_name[s], t.failed[s], n - 2);
	}
	VT_CHECK(t.points > 0, "%s: no failure point at all: is FAILSLAB on?", name);
	vt_say("%s: %u requests and calls, %u failure points (failed/points per step: %s; %u recovered by the kernel; %u said the kernel failed inside, %u claims of a missing object checked), all survived",
	       name, GSTEPS, t.points, counts, t.recovered, t.inside, t.claims);
}

/*
 * Save, then restore on a second device over its own context (its own
 * mock0 and mock1, its own guest RAM): every failure point of the
 * restore failed in turn.  A failed restore leaves the second device as
 * it was (no guest state, no kernel object, nothing pinned, the tables
 * as they were) and names what failed; retrying succeeds; the restored
 * device then holds the source's state and the kernel maps what it says.
 */
static void run_restore(bool nested, uint8_t *ram, uint8_t *ram2, uint8_t *region)
{
	const char *name = nested ? "viommu nested save+restore" : "viommu shadow save+restore";
	static struct vsnap src_state, before, now;
	unsigned int n, failed = 0, recovered = 0, claims = 0;
	uint8_t *region2;
	bool injected = true;
	struct vrun src, dst;

	vrun_setup(&src, nested, ram, region);
	for (enum gstep s = 0; s <= G_MAP2; s++)
		VT_CHECK(do_gstep(&src, s) == 0, "%s: %s", name, gstep_name[s]);
	snap(&src, &src_state);

	/* The second device's region: the source's stays in use. */
	region2 = nested ? alloc_zeroed(REGION_SIZE) : NULL;
	for (n = 1; n <= MAX_N && injected; n++) {
		char what[160];
		int rc, err;

		vrun_setup(&dst, nested, ram2, region2);
		snap(&dst, &before);
		errno = 0;
		arm(n);
		rc = ioasid_virtio_iommu_restore(dst.v, src_state.save, src_state.save_len);
		err = errno;
		injected = disarm();
		snprintf(what, sizeof(what), "%s: N=%u", name, n);
		if (rc) {
			char msg[512];
			uint32_t live[1] = { 0 };

			snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
			VT_CHECK(injected, "%s: restore failed with no fault injected: %d (%s)",
				 what, rc, msg);
			VT_CHECK(rc < 0 && err == -rc && msg[0], "%s: restore returned %d, errno %d, message \"%s\"",
				 what, rc, err, msg);
			vt_say("%s: restore returned %s (%s)", what, hx_strerr(rc), msg);
			claims += check_missing_claims(dst.ctx, n, live, msg);
			failed++;
			snap(&dst, &now);
			expect_same(&dst, &before, &now, true, what);
			rc = ioasid_virtio_iommu_restore(dst.v, src_state.save, src_state.save_len);
			VT_CHECK(rc == 0, "%s: retrying the restore: %d (%s)", what, rc,
				 ioasid_errmsg());
		} else {
			recovered += injected;
		}
		snap(&dst, &now);
		VT_CHECK(now.save_len == src_state.save_len &&
				 !memcmp(now.save, src_state.save, now.save_len),
			 "%s: the restored device's state is not the source's", what);
		expect_host_maps(&dst, &now, what);
		vrun_teardown(&dst);
	}
	vrun_teardown(&src);
	if (region2)
		munmap(region2, REGION_SIZE);
	VT_CHECK(!injected, "%s: still failing at N=%u: raise MAX_N", name, MAX_N);
	VT_CHECK(n > 2, "%s: no failure point at all: is FAILSLAB on?", name);
	vt_say("%s: %u failure points (%u failed; %u recovered by the kernel; %u claims of a missing object checked), all survived",
	       name, n - 2, failed, recovered, claims);
}

int main(void)
{
	uint8_t *buf, *ram2, *region;

	buf_len = 64ull << 10;
	if (buf_len < 8 * vt_page_size())
		buf_len = 8 * vt_page_size();
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		vt_skip("/proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION)",
			strerror(errno));
	buf = mmap(NULL, buf_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(buf != MAP_FAILED, "mmap: %s", strerror(errno));
	VT_CHECK(!vt_write_file("/sys/kernel/debug/failslab/verbose", "0"),
		 "failslab/verbose: %s (CONFIG_FAILSLAB, debugfs)", strerror(errno));
	/* Sleeping allocations may fail too (only where fail-nth says). */
	VT_CHECK(!vt_write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		run_scenario(&scenarios[i], buf);
	ram2 = alloc_zeroed(buf_len);
	region = alloc_zeroed(REGION_SIZE);
	run_guest(false, buf, region);
	run_guest(true, buf, region);
	run_restore(false, buf, ram2, region);
	run_restore(true, buf, ram2, region);
	VT_CHECK(!vt_write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));
	vt_say("%zu scenarios, all survived", ARRAY_SIZE(scenarios) + 4);
	munmap(buf, buf_len);
	return 0;
}
