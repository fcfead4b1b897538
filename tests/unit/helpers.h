/* SPDX-License-Identifier: MIT */
/*
 * Shared helpers of the public-API unit tests: checked calls, the
 * simulator context, aligned buffers, and probes of an IOAS's state that
 * leave it as it was.
 *
 * Every failing call is checked for four things: the return value, errno,
 * a message naming what was wrong, and (by the test itself) the state
 * after the failure.  EXPECT_ERR() does the first three, with the judge
 * every suite shares (tests/harness/hx-check.h).  Tests of the public API
 * that need no topology of their own belong in tests/harness/ instead,
 * where they run on the kernel too.
 */
#ifndef IOASID_TESTS_UNIT_HELPERS_H
#define IOASID_TESTS_UNIT_HELPERS_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr, memfd_create */
#endif
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>

#include "../harness/hx-check.h"

#define SZ_4K 0x1000ULL
#define SZ_64K 0x10000ULL
#define SZ_1M 0x100000ULL
#define SZ_2M 0x200000ULL

/* Object ids nobody allocated: they show up in messages as is. */
#define BAD_ID 4242u
#define BAD_ID_STR "4242"

/* Names in tests/unit/topologies/unit.ini. */
#define TOPO_UNIT "unit.ini"
#define DEV_A "0000:00:03.0"      /* group 3, vtd0 (48-bit, msi window) */
#define DEV_A_SHORT "00:03.0"
#define DEV_B "0000:00:04.0"      /* group 4, vtd0, direct + relaxable */
#define DEV_PARENT "0000:00:05.0" /* group 5, vtd0, parent of MDEV */
#define DEV_HOST "0000:00:19.0"   /* group 6, bound to e1000e */
#define DEV_C "0000:01:00.0"      /* group 7, vtd1 (39-bit) */
#define MDEV "83b8f4f2-509f-382f-3c1e-e6bfe0fa1001"
#define MSI_START 0xfee00000ULL
#define MSI_LAST 0xfeefffffULL

/* ------------------------------------------------------------------ */
/* Checked calls                                                        */

/* The judges are tests/harness/hx-check.h's, shared with the harness
 * and the VM tests; cmocka reports. */
static inline void check_ok(int rc, const char *call, const char *file,
			    int line)
{
	struct hx_why why;

	if (!hx_judge_ok(&why, call, rc, false)) {
		print_error("%s\n", why.text);
		_fail(file, line);
	}
}

static inline void check_err(int rc, int err, const char *needle,
			     const char *call, const char *file, int line)
{
	int seen_errno = errno; /* first: nothing may run in between */
	struct hx_why why;

	if (!hx_judge_err(&why, call, rc, seen_errno, err, needle)) {
		print_error("%s\n", why.text);
		_fail(file, line);
	}
}

/* Assert that CALL succeeds; show the library's message if not. */
#define OK(call) check_ok((call), #call, __FILE__, __LINE__)

/*
 * Assert that CALL returns -ERR, sets errno to ERR, and leaves a message
 * containing NEEDLE, ignoring case (any non-empty message if NULL).
 */
#define EXPECT_ERR(err, needle, call)                                      \
	check_err((errno = 0, (call)), (err), (needle), #call, __FILE__,  \
		  __LINE__)

/* ------------------------------------------------------------------ */
/* Contexts                                                             */

/* Path of a topology in tests/unit/topologies (next to this header), or
 * in $IOASID_TEST_TOPOLOGIES if set. */
static inline const char *topology_path(const char *name)
{
	static char path[4096];
	const char *dir = getenv("IOASID_TEST_TOPOLOGIES");
	const char *here = __FILE__;
	const char *slash = strrchr(here, '/');
	char exe[1024];
	ssize_t n;

	if (dir) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		return path;
	}
	snprintf(path, sizeof(path), "%.*s/topologies/%s",
		 slash ? (int)(slash - here) : 1, slash ? here : ".", name);
	if (path[0] == '/' || access(path, R_OK) == 0)
		return path;
	/* __FILE__ is relative to the source tree; run from elsewhere, find
	 * the tree from the binary in build/tests/unit. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0 && slash) {
		exe[n] = '\0';
		*strrchr(exe, '/') = '\0';
		snprintf(path, sizeof(path), "%.900s/../../../%.*s/topologies/%.100s",
			 exe, (int)(slash - here), here, name);
	}
	return path;
}

/* Open a simulator context on tests/unit/topologies/NAME, or on the
 * built-in topology if NAME is NULL. */
static inline struct ioasid_ctx *sim_open(const char *name)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM,
		    .topology = name ? topology_path(name) : NULL);
	struct ioasid_ctx *ctx = NULL;

	OK(ioasid_ctx_open(&opts, &ctx));
	assert_non_null(ctx);
	return ctx;
}

/* ------------------------------------------------------------------ */
/* Memory                                                               */

/* An anonymous mapping whose start is 2 MiB aligned, so the alignment the
 * kernel derives from a buffer address (iopt_alloc_iova()) is known. */
struct test_buf {
	void *map;
	size_t map_len;
	uint8_t *p; /* 2 MiB aligned */
	size_t len;
};

static inline void buf_init(struct test_buf *b, size_t len)
{
	b->map_len = len + SZ_2M;
	b->map = mmap(NULL, b->map_len, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(b->map != MAP_FAILED);
	b->p = (uint8_t *)(((uintptr_t)b->map + SZ_2M - 1) & ~(SZ_2M - 1));
	b->len = len;
	memset(b->p, 0x5a, len);
}

static inline void buf_fini(struct test_buf *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	b->map = NULL;
}

/* ------------------------------------------------------------------ */
/* Mapping helpers and state probes                                     */

static inline int map_fixed(struct ioasid_ctx *ctx, uint32_t ioas, void *va,
			    uint64_t len, uint64_t iova)
{
	return ioasid_ioas_map(ctx, ioas, va, len, &iova, NULL);
}

static inline int map_any(struct ioasid_ctx *ctx, uint32_t ioas, void *va,
			  uint64_t len, uint64_t *iova)
{
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
			     IOASID_MAP_ANY_IOVA);
	*iova = 0;
	return ioasid_ioas_map(ctx, ioas, va, len, iova, &o);
}

/*
 * Whether every byte of [iova, iova + len) is mapped, without changing
 * @ioas: IOAS_COPY succeeds exactly when the source range is covered by
 * contiguous areas (iopt_get_pages()), and the copy goes to a scratch IOAS
 * that is destroyed again.
 */
static inline bool is_mapped(struct ioasid_ctx *ctx, uint32_t ioas,
			     uint64_t iova, uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	uint32_t scratch;
	uint64_t dst = 0;
	int rc;

	OK(ioasid_ioas_alloc(ctx, &scratch));
	rc = ioasid_ioas_copy(ctx, scratch, &dst, ioas, iova, len, &o);
	OK(ioasid_ioas_destroy(ctx, scratch));
	if (rc && rc != -ENOENT) {
		print_error("is_mapped probe: copy returned %d: %s\n", rc,
			    ioasid_errmsg());
		fail();
	}
	return rc == 0;
}

/*
 * Whether no byte of [iova, iova + len) is mapped: a fixed map of the
 * range succeeds (and is undone) or fails with EEXIST
 * (iopt_check_iova()).  The range must not be reserved.
 */
static inline bool is_free(struct ioasid_ctx *ctx, uint32_t ioas, void *va,
			   uint64_t iova, uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o, .flags = IOASID_MAP_READ);
	uint64_t unmapped = 0;
	int rc;

	rc = ioasid_ioas_map(ctx, ioas, va, len, &iova, &o);
	if (rc == -EEXIST)
		return false;
	OK(rc);
	OK(ioasid_ioas_unmap(ctx, ioas, iova, len, &unmapped));
	assert_int_equal(unmapped, len);
	return true;
}

/* ------------------------------------------------------------------ */
/* IOVA ranges                                                          */

#define MAX_RANGES 16

static inline void expect_ranges(struct ioasid_ctx *ctx, uint32_t ioas,
				 uint64_t alignment, uint32_t n,
				 const struct ioasid_iova_range *want,
				 const char *file, int line)
{
	struct ioasid_iova_range got[MAX_RANGES];
	uint32_t num = MAX_RANGES;
	uint64_t align = 0;
	int rc;

	memset(got, 0, sizeof(got));
	rc = ioasid_ioas_iova_ranges(ctx, ioas, got, &num, &align);
	check_ok(rc, "ioasid_ioas_iova_ranges", file, line);
	bool same = num == n && align == alignment;
	for (uint32_t i = 0; same && i < n; i++)
		same = got[i].start == want[i].start &&
		       got[i].last == want[i].last;
	if (same)
		return;
	print_error("IOAS %u ranges:\n  expected (alignment %#llx):", ioas,
		    (unsigned long long)alignment);
	for (uint32_t i = 0; i < n; i++)
		print_error(" [%#llx, %#llx]",
			    (unsigned long long)want[i].start,
			    (unsigned long long)want[i].last);
	print_error("\n  got (alignment %#llx):", (unsigned long long)align);
	for (uint32_t i = 0; i < num && i < MAX_RANGES; i++)
		print_error(" [%#llx, %#llx]", (unsigned long long)got[i].start,
			    (unsigned long long)got[i].last);
	print_error("\n");
	_fail(file, line);
}

/* EXPECT_RANGES(ctx, ioas, alignment, {start, last}, ...) */
#define EXPECT_RANGES(ctx, ioas, alignment, ...)                           \
	expect_ranges((ctx), (ioas), (alignment),                          \
		      sizeof((struct ioasid_iova_range[]){ __VA_ARGS__ }) /  \
			      sizeof(struct ioasid_iova_range),            \
		      (struct ioasid_iova_range[]){ __VA_ARGS__ }, __FILE__, \
		      __LINE__)

/* The ranges of an empty IOAS with nothing attached: everything, byte
 * aligned (iopt_init_table(); selftest iommufd_ioas.iova_ranges). */
#define EXPECT_RANGES_EMPTY(ctx, ioas)                                     \
	EXPECT_RANGES(ctx, ioas, 1, { 0, UINT64_MAX })

/* After attaching DEV_A (vtd0: 48-bit aperture, MSI window). */
#define EXPECT_RANGES_VTD0(ctx, ioas)                                      \
	EXPECT_RANGES(ctx, ioas, SZ_4K, { 0, MSI_START - 1 },             \
		      { MSI_LAST + 1, (1ULL << 48) - 1 })

/* ------------------------------------------------------------------ */
/* Devices                                                              */

static inline struct ioasid_dev *dev_open_bound(struct ioasid_ctx *ctx,
						const char *name)
{
	struct ioasid_dev *dev = NULL;
	uint32_t dev_id = 0;

	OK(ioasid_dev_open(ctx, name, &dev));
	assert_non_null(dev);
	OK(ioasid_dev_bind(dev, &dev_id));
	assert_int_not_equal(dev_id, 0);
	return dev;
}

/* ------------------------------------------------------------------ */
/* Fixture: a context on unit.ini with one IOAS and a 8 MiB buffer      */

struct fx {
	struct ioasid_ctx *ctx;
	uint32_t ioas;
	struct test_buf buf;
};

static inline int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->ctx = sim_open(TOPO_UNIT);
	OK(ioasid_ioas_alloc(f->ctx, &f->ioas));
	buf_init(&f->buf, 8 * SZ_1M);
	*state = f;
	return 0;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;

	if (f) {
		ioasid_ctx_close(f->ctx);
		buf_fini(&f->buf);
		free(f);
	}
	return 0;
}

#define FX struct fx *f = *state
#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

#endif /* IOASID_TESTS_UNIT_HELPERS_H */
