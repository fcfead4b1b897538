// SPDX-License-Identifier: MIT
/*
 * The kernel's own failure points under the library (issue 12, item 1,
 * the kernel side): the scenario "ioasid_ioas_alloc(), ioasid_ioas_map()
 * of 64 KiB, ioasid_dev_attach() of a mock device (CONFIG_IOMMUFD_TEST)
 * to that IOAS" runs once per N = 1, 2, ... with the N-th fault-injection
 * point of this thread failed, until a run gets through without one.
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
 * The window holds only the three calls (the context is opened and the
 * mock device bound before it; nothing is printed inside it), so every
 * point counted is a slab allocation of one of their system calls.  A
 * run in which a call failed must show:
 *   - a negative errno, errno set to it, and a message;
 *   - the failed call left nothing: no kernel object above the ones that
 *     existed (IOMMU_DESTROY of the next ids answers ENOENT, as
 *     tests/vm/lib/viommu_nested.c probes), after a failed map nothing at
 *     its IOVA, after a failed attach the device detached, and the pages
 *     pinned by nobody (the mock's IOMMU_TEST_OP_MD_CHECK_REFS);
 *   - retrying the failed call and the rest succeeds.
 * A run in which the fault was injected and every call still succeeded
 * (the kernel recovered on its own) is counted apart.  The last line
 * gives the number of failure points and "all survived".
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mock devices, no fail-nth).
 */
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/iommufd.h>

#include "core.h"
#include "kernel.h"
#include "vmtest.h"

#define LEN (64ull << 10)
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

static void expect_no_objects(struct ioasid_ctx *ctx, uint32_t from,
			      unsigned int n, const char *what)
{
	for (uint32_t id = from; id < from + PROBE_IDS; id++) {
		struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };
		int rc = ioctl(ioasid_ctx_fd(ctx), IOMMU_DESTROY, &cmd);

		VT_CHECK(rc < 0 && errno == ENOENT,
			 "N=%u, failed %s: object %u exists (IOMMU_DESTROY: %s)",
			 n, what, id, rc ? strerror(errno) : "destroyed it");
	}
}

static bool is_mapped(struct ioasid_ctx *ctx, uint32_t ioas, uint64_t iova,
		      uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	uint32_t scratch;
	uint64_t dst = 0;
	int rc;

	VT_OK(ioasid_ioas_alloc(ctx, &scratch));
	rc = ioasid_ioas_copy(ctx, scratch, &dst, ioas, iova, len, &o);
	VT_OK(ioasid_ioas_destroy(ctx, scratch));
	VT_CHECK(rc == 0 || rc == -ENOENT, "copy probe: %d %s", rc,
		 ioasid_errmsg());
	return rc == 0;
}

enum step { ALLOC, MAP, ATTACH, STEPS };
static const char *const step_name[STEPS] = { "ioas_alloc", "ioas_map",
					      "dev_attach" };

struct run {
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev;
	uint32_t ioas, hwpt;
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
		return ioasid_ioas_map(r->ctx, r->ioas, buf, LEN, &r->iova, NULL);
	case ATTACH:
		return ioasid_dev_attach(r->dev, r->ioas, &r->hwpt);
	case STEPS:
		break;
	}
	return -EINVAL;
}

/* Fails when the mock has no devices (skip) or the setup fails. */
static void setup(struct run *r)
{
	int rc;

	memset(r, 0, sizeof(*r));
	r->ctx = vt_kernel_ctx();
	rc = ioasid_dev_open(r->ctx, "mock0", &r->dev);
	if (rc == -EOPNOTSUPP || rc == -ENODEV || rc == -ENOTTY)
		vt_skip("no mock devices: %s", ioasid_errmsg());
	VT_OK(rc);
	VT_OK(ioasid_dev_bind(r->dev, NULL));
}

static void teardown(struct run *r)
{
	ioasid_dev_close(r->dev);
	ioasid_ctx_close(r->ctx);
}

/* Check what the failed step @s of run @n left, then retry it and the
 * rest. */
static void check_failed(struct run *r, enum step s, unsigned int n,
			 uint32_t first_free, uint8_t *buf, char *msg)
{
	VT_CHECK(r->err[s] == -r->rc[s], "N=%u: %s returned %d, errno %d", n,
		 step_name[s], r->rc[s], r->err[s]);
	VT_CHECK(msg[0], "N=%u: %s returned %d without a message", n,
		 step_name[s], r->rc[s]);
	switch (s) {
	case ALLOC:
		expect_no_objects(r->ctx, first_free, n, step_name[s]);
		break;
	case MAP:
		VT_CHECK(!is_mapped(r->ctx, r->ioas, IOVA, 4096),
			 "N=%u: the failed map left a mapping", n);
		expect_no_objects(r->ctx, r->ioas + 1, n, step_name[s]);
		break;
	case ATTACH:
		VT_CHECK(ioasid_dev_pt_id(r->dev) == 0 &&
			 ioasid_dev_hwpt_id(r->dev) == 0,
			 "N=%u: the failed attach left the device on %u/%u", n,
			 ioasid_dev_pt_id(r->dev), ioasid_dev_hwpt_id(r->dev));
		VT_CHECK(is_mapped(r->ctx, r->ioas, IOVA, LEN),
			 "N=%u: the failed attach lost the mapping", n);
		VT_OK(ioasid_kernel_mock_check_refs(r->ctx->be, buf, LEN, 0));
		expect_no_objects(r->ctx, r->ioas + 1, n, step_name[s]);
		break;
	case STEPS:
		break;
	}
	for (enum step t = s; t < STEPS; t++) {
		int rc = do_step(r, t, buf);

		VT_CHECK(rc == 0, "N=%u: retrying %s after the failure: %d %s",
			 n, step_name[t], rc, ioasid_errmsg());
	}
	VT_OK(ioasid_kernel_mock_check_refs(r->ctx->be, buf, LEN, 1));
}

int main(void)
{
	unsigned int n, failed[STEPS] = { 0 }, recovered = 0;
	char msg[512];
	uint8_t *buf;
	bool injected = false;

	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		vt_skip("/proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION)",
			strerror(errno));
	buf = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(buf != MAP_FAILED, "mmap: %s", strerror(errno));
	VT_CHECK(!write_str("/sys/kernel/debug/failslab/verbose", "0"),
		 "failslab/verbose: %s (CONFIG_FAILSLAB, debugfs)", strerror(errno));
	/* Sleeping allocations may fail too (only where fail-nth says). */
	VT_CHECK(!write_str("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));

	for (n = 1; n <= MAX_N; n++) {
		struct run r;
		uint32_t first_free;
		enum step s;

		setup(&r);
		first_free = lowest_free_id(r.ctx);
		errno = 0;
		arm(n);
		for (s = ALLOC; s < STEPS; s++) {
			r.rc[s] = do_step(&r, s, buf);
			r.err[s] = errno;
			if (r.rc[s])
				break;
		}
		injected = disarm();
		if (s < STEPS) {
			snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
			VT_CHECK(injected, "N=%u: %s failed with no fault injected: %d %s",
				 n, step_name[s], r.rc[s], msg);
			failed[s]++;
			vt_say("N=%u: %s failed: %s (%s)", n, step_name[s],
			       hx_strerr(r.rc[s]), msg);
			check_failed(&r, s, n, first_free, buf, msg);
		} else {
			VT_OK(ioasid_kernel_mock_check_refs(r.ctx->be, buf, LEN, 1));
			recovered += injected;
		}
		VT_OK(ioasid_dev_detach(r.dev));
		teardown(&r);
		if (!injected)
			break;
	}
	VT_CHECK(!write_str("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));
	VT_CHECK(!injected, "still failing at N=%u: raise MAX_N", MAX_N);
	vt_say("%u failure points (ioas_alloc %u, ioas_map %u, dev_attach %u failed; %u recovered by the kernel), all survived",
	       n - 1, failed[ALLOC], failed[MAP], failed[ATTACH], recovered);
	VT_CHECK(n > 1, "no failure point at all: is FAILSLAB on?");
	munmap(buf, LEN);
	return 0;
}
