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
#include "viommu_req.h"
#include "vmtest.h"

/* Sized from the host page size in main(): the suite also runs on a
 * 64 KiB-page arm64 kernel, where 4 KiB offsets are not page aligned. */
static uint64_t page_size; /* sysconf(_SC_PAGESIZE) */
static uint64_t buf_len;   /* the mapped buffer / guest RAM: 64 KiB, at least 8 pages */
static uint64_t vm_len;    /* the guest's MAP: two pages */
static uint64_t vm_off;    /* the MAP's GPA - VM_GPA: three pages in */
#define IOVA 0x10000000ull /* inside the mock domain's aperture, 16 MiB to 2 GiB */
#define MAX_N 2000
#define PROBE_IDS 8

static int nth_fd = -1;

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

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
		VT_CHECK(!vt_is_mapped(r->ctx, r->ioas, IOVA, page_size),
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
/* The device model in shadow mode: guest ATTACH, MAP, UNMAP            */

#define VM_GPA 0x80000000ull  /* guest-physical base of the RAM slot */
#define VM_IOVA 0x1000000ull  /* inside the mock aperture (16M-2G) */
#define VM_EP 0x10u

enum vstep { V_ATTACH, V_MAP, V_UNMAP, VSTEPS };
static const char *const vstep_name[VSTEPS] = { "ATTACH", "MAP", "UNMAP" };

/* One request in one buffer; the status byte of the reply, or -1 if
 * the library refused the buffers themselves. */
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

static int do_vstep(struct ioasid_virtio_iommu *v, enum vstep s)
{
	switch (s) {
	case V_ATTACH:
		return attach(v, 1, VM_EP);
	case V_MAP:
		return map(v, 1, VM_IOVA, vm_len, VM_GPA + vm_off, MAP_READ | MAP_WRITE);
	case V_UNMAP:
		return unmap(v, 1, VM_IOVA, vm_len);
	case VSTEPS:
		break;
	}
	return -1;
}

/* Whether the device's HWPT maps the guest's IOVA to the page the MAP
 * named. */
static bool v_mapped(struct run *r, const uint8_t *ram)
{
	return ioasid_kernel_mock_check_map(r->ctx->be, ioasid_dev_hwpt_id(r->dev), VM_IOVA,
					    vm_len, ram + vm_off) == 0;
}

static void run_viommu(uint8_t *ram)
{
	static const char name[] = "viommu shadow ATTACH+MAP+UNMAP";
	unsigned int n, failed[VSTEPS] = { 0 }, recovered = 0, claims = 0, inside = 0;
	bool injected = false;
	char msg[512];

	for (n = 1; n <= MAX_N; n++) {
		IOASID_OPTS(ioasid_virtio_iommu_opts, opts);
		struct ioasid_virtio_iommu *v = NULL;
		uint32_t first_free, pt, hwpt, ioas = 0, live[2] = { 0 };
		int st[VSTEPS] = { 0 };
		enum vstep s;
		struct run r;

		setup(&r, &scenarios[0], ram); /* context and bound mock only */
		VT_OK(ioasid_virtio_iommu_create(r.ctx, &opts, &v));
		VT_OK(ioasid_virtio_iommu_add_ram(v, VM_GPA, buf_len, ram));
		VT_OK(ioasid_virtio_iommu_add_endpoint(v, VM_EP, r.dev, NULL));
		VT_OK(ioasid_virtio_iommu_set_features(v, ioasid_virtio_iommu_features(v)));
		pt = ioasid_dev_pt_id(r.dev);
		hwpt = ioasid_dev_hwpt_id(r.dev);
		first_free = lowest_free_id(r.ctx);
		arm(n);
		for (s = V_ATTACH; s < VSTEPS; s++) {
			st[s] = do_vstep(v, s);
			if (st[s] != S_OK)
				break;
		}
		injected = disarm();
		if (s < VSTEPS) {
			snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
			VT_CHECK(injected, "%s: N=%u: %s answered %d with no fault injected (%s)",
				 name, n, vstep_name[s], st[s], msg);
			VT_CHECK(st[s] > 0, "%s: N=%u: %s: the library refused the request: %s",
				 name, n, vstep_name[s], msg);
			failed[s]++;
			vt_say("%s: N=%u: %s answered status %d (%s)", name, n, vstep_name[s],
			       st[s], msg);
			if (s > V_ATTACH)
				VT_OK(ioasid_virtio_iommu_domain_ioas(v, 1, &ioas));
			live[0] = ioas;
			claims += check_missing_claims(r.ctx, n, live, msg);
			inside += strstr(msg, "a failure inside the kernel") != NULL;
			switch (s) {
			case V_ATTACH:
				/* Where add_endpoint put it; domain 1 not made. */
				VT_CHECK(ioasid_dev_pt_id(r.dev) == pt &&
					 ioasid_dev_hwpt_id(r.dev) == hwpt,
					 "%s: N=%u: the failed ATTACH moved the device to %u/%u (was %u/%u)",
					 name, n, ioasid_dev_pt_id(r.dev),
					 ioasid_dev_hwpt_id(r.dev), pt, hwpt);
				VT_CHECK(ioasid_virtio_iommu_domain_ioas(v, 1, &ioas) == -ENOENT,
					 "%s: N=%u: the failed ATTACH left domain 1 (ioas %u)",
					 name, n, ioas);
				expect_no_objects(r.ctx, first_free, n, "ATTACH", NULL);
				break;
			case V_MAP:
				VT_CHECK(!v_mapped(&r, ram), "%s: N=%u: the failed MAP mapped",
					 name, n);
				break;
			case V_UNMAP:
				VT_CHECK(v_mapped(&r, ram),
					 "%s: N=%u: the failed UNMAP lost the mapping", name, n);
				break;
			case VSTEPS:
				break;
			}
			for (enum vstep t = s; t < VSTEPS; t++) {
				int got = do_vstep(v, t);

				VT_CHECK(got == S_OK, "%s: N=%u: retrying %s: status %d (%s)",
					 name, n, vstep_name[t], got, ioasid_errmsg());
			}
		} else {
			recovered += injected;
		}
		VT_CHECK(!v_mapped(&r, ram),
			 "%s: N=%u: still mapped after UNMAP answered %d (fault %s; %s)", name,
			 n, st[V_UNMAP], injected ? "injected" : "not injected", ioasid_errmsg());
		VT_CHECK(detach(v, 1, VM_EP) == S_OK, "%s: N=%u: DETACH: %s", name, n,
			 ioasid_errmsg());
		ioasid_virtio_iommu_destroy(v);
		teardown(&r);
		if (!injected)
			break;
	}
	VT_CHECK(!injected, "%s: still failing at N=%u: raise MAX_N", name, MAX_N);
	VT_CHECK(n > 1, "%s: no failure point at all: is FAILSLAB on?", name);
	vt_say("%s: %u failure points (ATTACH %u, MAP %u, UNMAP %u failed; %u recovered; %u said the kernel failed inside, %u claims of a missing object checked), all survived",
	       name, n - 1, failed[V_ATTACH], failed[V_MAP], failed[V_UNMAP], recovered,
	       inside, claims);
}

int main(void)
{
	uint8_t *buf;

	page_size = (uint64_t)sysconf(_SC_PAGESIZE);
	buf_len = 64ull << 10;
	if (buf_len < 8 * page_size)
		buf_len = 8 * page_size;
	vm_len = 2 * page_size;
	vm_off = 3 * page_size;
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		vt_skip("/proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION)",
			strerror(errno));
	buf = mmap(NULL, buf_len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(buf != MAP_FAILED, "mmap: %s", strerror(errno));
	VT_CHECK(!write_str("/sys/kernel/debug/failslab/verbose", "0"),
		 "failslab/verbose: %s (CONFIG_FAILSLAB, debugfs)", strerror(errno));
	/* Sleeping allocations may fail too (only where fail-nth says). */
	VT_CHECK(!write_str("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));
	for (size_t i = 0; i < ARRAY_SIZE(scenarios); i++)
		run_scenario(&scenarios[i], buf);
	run_viommu(buf);
	VT_CHECK(!write_str("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));
	vt_say("%zu scenarios, all survived", ARRAY_SIZE(scenarios) + 1);
	munmap(buf, buf_len);
	return 0;
}
