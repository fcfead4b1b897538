/* SPDX-License-Identifier: MIT */
/*
 * The harness for public-API tests that run on both backends
 * (docs/TESTING.md, "Tests that run on both backends").
 *
 * A test is a function of a fixture, written once against <ioasid/ioasid.h>:
 *
 *   static void map_errors(struct hx *h)
 *   {
 *           uint32_t ioas;
 *
 *           HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
 *           HX_OK(ioasid_dev_attach(h->dev[0], ioas, NULL));
 *           HX_ERR(EINVAL, "length", hx_map(h, ioas, h->buf, 0, 0));
 *   }
 *   static const struct hx_test tests[] = { HX_T(map_errors, .num_devs = 1) };
 *   HX_MAIN(tests)
 *
 * The same source is linked twice (Makefile, tests/harness/api_*.c):
 * with harness-sim.c it is a unit test on the simulator (make check-unit),
 * with harness-kernel.c a static VM test on the real kernel (make vmcheck).
 *
 * Devices.  A fixture asks for num_devs devices by what they can do
 * (HX_DEV_* flags), not by name; each backend supplies its equivalent of
 * the kernel's CONFIG_IOMMUFD_TEST mock device:
 *   - kernel: the kernel backend's mock names, "mockN" or
 *     "mockN:pasid,no-dirty" (lib/backend/kernel/kernel.h);
 *   - simulator: a topology the harness writes for the fixture: the mock
 *     IOMMU of examples/topologies/mock.ini (copied from that file, so it
 *     stays the one description of the kernel's mock) and one [mock mockN]
 *     section per device.  HX_DEV_PASID gives pasid_width = 20, class = 3
 *     (mock.ini's mock2); HX_DEV_NO_DIRTY puts the device behind a copy of
 *     the mock IOMMU with dirty_tracking = no, because a topology has no
 *     per-device dirty flag: so a no-dirty device has its own IOMMU on the
 *     simulator and must not share a HWPT with the others in a test.
 * Before the test runs, every device is opened and bound: h->dev[i],
 * h->dev_id[i], h->name[i].  Afterwards the harness closes what is left.
 *
 * Assertions.  HX_OK, HX_ERR and HX_CHECK judge like the other suites
 * (tests/harness/hx-check.h: return value, errno and message).  They state
 * what the kernel must do given what the backend reports: addresses come
 * from hx_ranges() (IOMMU_IOAS_IOVA_RANGES) and sizes from its alignment,
 * never from one configuration's constants.  A failure names the backend,
 * the test, file and line, and ends that test; the others still run.
 *
 * Backend-specific pieces, and why they stay so:
 *   - hx_check_map(): the kernel's IOMMU_TEST_OP_MD_CHECK_MAP on the mock
 *     HWPT; the simulator's HWPT translation (a test hook of lib/backend/sim).
 *   - hx_check_refs(): page pins, IOMMU_TEST_OP_MD_CHECK_REFS; the
 *     simulator does not pin memory, so it is not checked there.
 *   - hx_reserve(): IOMMU_TEST_OP_ADD_RESERVED; the simulator has no hook
 *     that reserves IOVA in an IOAS (its reserved regions come from the
 *     topology's devices), so it answers -EOPNOTSUPP and hx_need_reserve()
 *     skips the test there.
 */
#ifndef IOASID_TESTS_HARNESS_H
#define IOASID_TESTS_HARNESS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#include "hx-check.h"

#define HX_MAX_DEVS 4
#define HX_MAX_RANGES 16

/* What a fixture's device can do. */
#define HX_DEV_PASID (1u << 0)	  /* PASID capable (20 bits, class 3) */
#define HX_DEV_NO_DIRTY (1u << 1) /* no dirty tracking */

/* The harness's two buffers: this many bytes each, page aligned,
 * populated, filled with 0xa5 (buf) and 0x5a (buf2).  Sixteen CPU pages:
 * 64 KiB on 4 KiB pages, 1 MiB on the 64 KiB-page arm64 kernel, whose
 * IOAS maps only whole 64 KiB pages (tests size their maps in h->page). */
#define HX_BUF_PAGES 16
#define HX_BUF_SIZE ((uint64_t)HX_BUF_PAGES * (uint64_t)sysconf(_SC_PAGESIZE))

enum hx_backend { HX_SIM, HX_KERNEL };

struct hx {
	enum hx_backend backend;
	const char *backend_name; /* "sim" or "kernel" */
	const char *test;	  /* the running test's name */
	struct ioasid_ctx *ctx;
	unsigned int num_devs;
	char name[HX_MAX_DEVS][IOASID_NAME_MAX];
	struct ioasid_dev *dev[HX_MAX_DEVS]; /* open and bound */
	uint32_t dev_id[HX_MAX_DEVS];
	uint8_t *buf, *buf2;
	uint64_t page; /* the CPU page size */
	const struct hx_test *spec; /* the running test */
	void *priv;		    /* the backend part's */
};

struct hx_test {
	const char *name;
	void (*fn)(struct hx *h);
	unsigned int num_devs;
	uint32_t dev_flags[HX_MAX_DEVS];
};

#define HX_T(fn_, ...) { .name = #fn_, .fn = fn_, __VA_ARGS__ }

int hx_main(const struct hx_test *tests, size_t n, int argc, char **argv);

#define HX_MAIN(tests)                                                       \
	int main(int argc, char **argv)                                      \
	{                                                                    \
		return hx_main(tests, sizeof(tests) / sizeof(tests[0]), argc, \
			       argv);                                        \
	}

/* ------------------------------------------------------------------ */
/* Reporting                                                            */

/* End the running test as failed; the text says what was seen. */
__attribute__((format(printf, 3, 4), noreturn)) void
hx_fail_at(const char *file, int line, const char *fmt, ...);
/* End the running test as skipped: something it needs is missing. */
__attribute__((format(printf, 1, 2), noreturn)) void hx_skip(const char *fmt,
							      ...);
/* One line of output, prefixed with the program, backend and test. */
__attribute__((format(printf, 1, 2))) void hx_say(const char *fmt, ...);

/* @call must succeed (return >= 0); evaluates to its return value. */
#define HX_OK(call)                                                          \
	({                                                                   \
		struct hx_why hx_why_;                                       \
		int hx_rc_ = (call);                                         \
		if (!hx_judge_ok(&hx_why_, #call, hx_rc_, true))             \
			hx_fail_at(__FILE__, __LINE__, "%s", hx_why_.text);  \
		hx_rc_;                                                      \
	})

/* @call must fail with -@err, errno @err and a message that contains
 * @needle (ignoring case; NULL: any message). */
#define HX_ERR(err, needle, call)                                            \
	do {                                                                 \
		struct hx_why hx_why_;                                       \
		int hx_rc_, hx_errno_;                                       \
		errno = 0;                                                   \
		hx_rc_ = (call);                                             \
		hx_errno_ = errno;                                           \
		if (!hx_judge_err(&hx_why_, #call, hx_rc_, hx_errno_, (err), \
				  (needle)))                                 \
			hx_fail_at(__FILE__, __LINE__, "%s", hx_why_.text);  \
	} while (0)

/* Any condition; the format says what was seen. */
#define HX_CHECK(cond, ...)                                                  \
	do {                                                                 \
		if (!(cond))                                                 \
			hx_fail_at(__FILE__, __LINE__, "%s: %s", #cond,      \
				   hx_fmt(__VA_ARGS__));                     \
	} while (0)

/* Two unsigned numbers must be equal (printed in hex). */
#define HX_EQ(got, want)                                                     \
	do {                                                                 \
		unsigned long long hx_g_ = (got), hx_w_ = (want);            \
		if (hx_g_ != hx_w_)                                          \
			hx_fail_at(__FILE__, __LINE__,                       \
				   "%s is 0x%llx, expected %s = 0x%llx",     \
				   #got, hx_g_, #want, hx_w_);               \
	} while (0)

/* A formatted string for one message (a static buffer). */
__attribute__((format(printf, 1, 2))) const char *hx_fmt(const char *fmt, ...);

/* ------------------------------------------------------------------ */
/* What the backend reports                                             */

struct hx_ranges {
	uint32_t num;
	uint64_t align;
	struct ioasid_iova_range r[HX_MAX_RANGES];
};

/* The usable IOVA ranges of @ioas and their alignment (must succeed). */
void hx_ranges(struct hx *h, uint32_t ioas, struct hx_ranges *out);
/* Whether two range lists are the same. */
bool hx_ranges_equal(const struct hx_ranges *a, const struct hx_ranges *b);
/* Whether [iova, iova + len) lies inside one range of @r. */
bool hx_ranges_cover(const struct hx_ranges *r, uint64_t iova, uint64_t len);
/* The first IOVA that no range of @r covers, into *@start..*@last (the
 * whole hole); false if the ranges cover everything. */
bool hx_ranges_hole(const struct hx_ranges *r, uint64_t *start,
		    uint64_t *last);

/* A number as the words of an error message spell it, for matching one:
 * hexadecimal with 0x, or decimal.  Four calls may be used at once. */
const char *hx_hex(uint64_t v);
const char *hx_dec(uint32_t v);

/* An IOVA of @ioas, a nonzero multiple of 1 MiB, from which @span bytes
 * are usable: the first such place in its usable ranges (must exist). */
uint64_t hx_base(struct hx *h, uint32_t ioas, uint64_t span);

/* The same for fixture device @i before it is attached anywhere: inside
 * the aperture of its IOMMU (ioasid_dev_iommu_info(), which must know
 * it). */
uint64_t hx_dev_base(struct hx *h, unsigned int i, uint64_t span);

/* ------------------------------------------------------------------ */
/* Calls with the harness's defaults                                    */

/* Map [va, va + len) read-write at @iova exactly: the call's result. */
int hx_map(struct hx *h, uint32_t ioas, void *va, uint64_t len, uint64_t iova);
/* The same, which must succeed. */
void hx_map_at(struct hx *h, uint32_t ioas, void *va, uint64_t len,
	       uint64_t iova);
/* Map read-write at an IOVA the backend picks (must succeed). */
uint64_t hx_map_any(struct hx *h, uint32_t ioas, void *va, uint64_t len);

/* Whether every byte of [iova, iova + len) of @ioas is mapped, probed
 * with a copy to a scratch IOAS (IOAS_COPY needs the whole range mapped,
 * -ENOENT otherwise); @ioas is left as it was. */
bool hx_is_mapped(struct hx *h, uint32_t ioas, uint64_t iova, uint64_t len);
/* Whether no byte of [iova, iova + len) is mapped: a fixed map succeeds
 * (and is undone) or fails with -EEXIST.  The range must be usable. */
bool hx_is_free(struct hx *h, uint32_t ioas, uint64_t iova, uint64_t len);

/* Close the context with whatever is in it (its devices go with it) and
 * open a new one for the same fixture, without devices. */
void hx_reopen(struct hx *h);

/* Close fixture device @i before the end of the test. */
void hx_close_dev(struct hx *h, unsigned int i);

/* ------------------------------------------------------------------ */
/* Backend-specific checks (see the top of this file)                   */

/* HWPT @hwpt maps [iova, iova + len) to the memory at @va (@mapped), or
 * does not map its first page (!@mapped). */
#define HX_CHECK_MAP(h, hwpt, iova, len, va, mapped)                         \
	hx_check_map_at(__FILE__, __LINE__, (h), (hwpt), (iova), (len), (va), \
			(mapped))
void hx_check_map_at(const char *file, int line, struct hx *h, uint32_t hwpt,
		     uint64_t iova, uint64_t len, const void *va, bool mapped);

/* Every page of [va, va + len) is pinned @refs times (kernel only). */
#define HX_CHECK_REFS(h, va, len, refs)                                      \
	hx_check_refs_at(__FILE__, __LINE__, (h), (va), (len), (refs))
void hx_check_refs_at(const char *file, int line, struct hx *h,
		      const void *va, uint64_t len, uint32_t refs);

/* Reserve [start, start + len) in @ioas as a device's reserved region
 * would (IOMMU_TEST_OP_ADD_RESERVED): the call's result. */
int hx_reserve(struct hx *h, uint32_t ioas, uint64_t start, uint64_t len);
/* Skip the test where hx_reserve() cannot work. */
void hx_need_reserve(struct hx *h);

/* Close the fixture's devices; then nothing may be left in the context:
 * a fresh IOAS gets id 1 and the next
 * ones 2, 3, ... up to 64 (ids are the lowest free, so any object left
 * behind shows as a gap), and no page of the harness's buffers is
 * pinned.  For the end of a test that destroyed what it made. */
#define HX_EXPECT_EMPTY(h) hx_expect_empty_at(__FILE__, __LINE__, (h))
void hx_expect_empty_at(const char *file, int line, struct hx *h);

/* ------------------------------------------------------------------ */
/* What harness-sim.c and harness-kernel.c provide                      */

struct hx_backend_ops {
	enum hx_backend id;
	const char *name;
	/* Open h->ctx for @t and name its devices (h->name); 0, a negative
	 * errno (the test fails), or 77 with @why set (every test skips). */
	int (*open)(struct hx *h, const struct hx_test *t, struct hx_why *why);
	void (*close)(struct hx *h);
	/* 0 if @hwpt maps the range to @va; a negative errno if not. */
	int (*check_map)(struct hx *h, uint32_t hwpt, uint64_t iova,
			 uint64_t len, const void *va);
	/* NULL: pins are not observable on this backend. */
	int (*check_refs)(struct hx *h, const void *va, uint64_t len,
			  uint32_t refs);
	int (*reserve)(struct hx *h, uint32_t ioas, uint64_t start,
		       uint64_t len);
};

extern const struct hx_backend_ops hx_backend;

#endif /* IOASID_TESTS_HARNESS_H */
