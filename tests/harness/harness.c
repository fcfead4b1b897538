// SPDX-License-Identifier: MIT
/*
 * The harness's runner and the helpers that are the same on both
 * backends (tests/harness/harness.h).  harness-sim.c or harness-kernel.c
 * supplies struct hx_backend_ops.
 *
 * Each test runs in a fixture of its own: a new context, its devices
 * opened and bound.  A failure or a skip longjmps back here; the fixture
 * is then closed (devices, context) and the next test runs.  Output: one
 * line per test, "PROG: [BACKEND] PASS|FAIL|SKIP TEST", then
 * "PROG: [BACKEND] N passed, M failed, K skipped".  Exit status 0 if none
 * failed and one passed, 77 if all skipped, 1 otherwise.  Arguments, if
 * any, name the tests to run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

enum hx_result { HX_PASS, HX_FAIL, HX_SKIP };

static struct hx *hx_cur;
static jmp_buf hx_jmp;
static uint8_t *hx_bufs[2];

static const char *prog(void)
{
	return program_invocation_short_name;
}

static void vsay(const char *tag, const char *fmt, va_list ap)
{
	printf("%s: [%s] %s%s%s", prog(), hx_backend.name, tag,
	       hx_cur && hx_cur->test ? hx_cur->test : "",
	       hx_cur && hx_cur->test ? ": " : "");
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

void hx_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("", fmt, ap);
	va_end(ap);
}

const char *hx_fmt(const char *fmt, ...)
{
	static char buf[HX_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return buf;
}

void hx_fail_at(const char *file, int line, const char *fmt, ...)
{
	char text[2 * HX_WHY_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	hx_say("FAIL at %s:%d: %s", file, line, text);
	if (!hx_cur)
		exit(1);
	longjmp(hx_jmp, HX_FAIL + 1);
}

void hx_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay("SKIP: ", fmt, ap);
	va_end(ap);
	if (!hx_cur)
		exit(77);
	longjmp(hx_jmp, HX_SKIP + 1);
}

/* ------------------------------------------------------------------ */
/* Fixture                                                              */

static void buffers_init(void)
{
	long page = sysconf(_SC_PAGESIZE);

	for (int i = 0; i < 2; i++) {
		void *p = mmap(NULL, HX_BUF_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
			       0);

		if (p == MAP_FAILED || page <= 0 || HX_BUF_SIZE % page) {
			printf("%s: cannot map the test buffers\n", prog());
			exit(1);
		}
		hx_bufs[i] = p;
	}
}

static void fixture_fill(struct hx *h)
{
	memset(hx_bufs[0], 0xa5, HX_BUF_SIZE);
	memset(hx_bufs[1], 0x5a, HX_BUF_SIZE);
	h->buf = hx_bufs[0];
	h->buf2 = hx_bufs[1];
	h->page = (uint64_t)sysconf(_SC_PAGESIZE);
	h->backend = hx_backend.id;
	h->backend_name = hx_backend.name;
}

/* Open the context and bind the devices; 77 if the backend cannot run
 * any test. */
static int fixture_open(struct hx *h, const struct hx_test *t)
{
	struct hx_why why = { "" };
	int rc;

	h->num_devs = t->num_devs;
	rc = hx_backend.open(h, t, &why);
	if (rc == 77)
		hx_skip("%s", why.text);
	if (rc < 0)
		hx_fail_at(__FILE__, __LINE__, "opening the %s context: %s",
			   hx_backend.name, why.text);
	for (unsigned int i = 0; i < t->num_devs; i++) {
		HX_OK(ioasid_dev_open(h->ctx, h->name[i], &h->dev[i]));
		HX_OK(ioasid_dev_bind(h->dev[i], &h->dev_id[i]));
	}
	return 0;
}

static void fixture_close(struct hx *h)
{
	for (unsigned int i = 0; i < HX_MAX_DEVS; i++)
		if (h->dev[i])
			ioasid_dev_close(h->dev[i]);
	if (h->ctx)
		ioasid_ctx_close(h->ctx);
	if (hx_backend.close)
		hx_backend.close(h);
	memset(h, 0, sizeof(*h));
}

void hx_reopen(struct hx *h)
{
	struct hx_why why = { "" };
	int rc;

	for (unsigned int i = 0; i < HX_MAX_DEVS; i++)
		h->dev[i] = NULL; /* closed with the context */
	ioasid_ctx_close(h->ctx);
	h->ctx = NULL;
	if (hx_backend.close)
		hx_backend.close(h);
	rc = hx_backend.open(h, h->spec, &why);
	if (rc)
		hx_fail_at(__FILE__, __LINE__, "reopening the %s context: %s",
			   hx_backend.name, why.text);
}

void hx_close_dev(struct hx *h, unsigned int i)
{
	if (i < HX_MAX_DEVS && h->dev[i]) {
		ioasid_dev_close(h->dev[i]);
		h->dev[i] = NULL;
	}
}

static bool selected(const char *name, int argc, char **argv)
{
	if (argc < 2)
		return true;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return true;
	return false;
}

int hx_main(const struct hx_test *tests, size_t n, int argc, char **argv)
{
	static const char *const words[] = { "PASS", "FAIL", "SKIP" };
	unsigned int count[3] = { 0 };
	static struct hx h;

	buffers_init();
	for (size_t i = 0; i < n; i++) {
		volatile enum hx_result res = HX_PASS;
		int jumped;

		if (!selected(tests[i].name, argc, argv))
			continue;
		memset(&h, 0, sizeof(h));
		fixture_fill(&h);
		h.test = tests[i].name;
		h.spec = &tests[i];
		hx_cur = &h;
		jumped = setjmp(hx_jmp);
		if (!jumped) {
			fixture_open(&h, &tests[i]);
			tests[i].fn(&h);
		} else {
			res = (enum hx_result)(jumped - 1);
		}
		h.test = NULL;
		fixture_close(&h);
		hx_cur = NULL;
		count[res]++;
		printf("%s: [%s] %s %s\n", prog(), hx_backend.name, words[res],
		       tests[i].name);
		fflush(stdout);
	}
	printf("%s: [%s] %u passed, %u failed, %u skipped\n", prog(),
	       hx_backend.name, count[HX_PASS], count[HX_FAIL],
	       count[HX_SKIP]);
	if (count[HX_FAIL] || (!count[HX_PASS] && !count[HX_SKIP]))
		return 1;
	return count[HX_PASS] ? 0 : 77;
}

/* ------------------------------------------------------------------ */
/* What the backend reports                                             */

void hx_ranges(struct hx *h, uint32_t ioas, struct hx_ranges *out)
{
	memset(out, 0, sizeof(*out));
	out->num = HX_MAX_RANGES;
	HX_OK(ioasid_ioas_iova_ranges(h->ctx, ioas, out->r, &out->num,
				      &out->align));
}

bool hx_ranges_equal(const struct hx_ranges *a, const struct hx_ranges *b)
{
	if (a->num != b->num || a->align != b->align)
		return false;
	for (uint32_t i = 0; i < a->num; i++)
		if (a->r[i].start != b->r[i].start ||
		    a->r[i].last != b->r[i].last)
			return false;
	return true;
}

bool hx_ranges_cover(const struct hx_ranges *r, uint64_t iova, uint64_t len)
{
	uint64_t last = iova + len - 1;

	if (!len || last < iova)
		return false;
	for (uint32_t i = 0; i < r->num; i++)
		if (iova >= r->r[i].start && last <= r->r[i].last)
			return true;
	return false;
}

bool hx_ranges_hole(const struct hx_ranges *r, uint64_t *start,
		    uint64_t *last)
{
	uint64_t next = 0; /* the first IOVA not yet seen covered */

	for (uint32_t i = 0; i < r->num; i++) {
		if (r->r[i].start > next) {
			*start = next;
			*last = r->r[i].start - 1;
			return true;
		}
		if (r->r[i].last == UINT64_MAX)
			return false;
		next = r->r[i].last + 1;
	}
	*start = next;
	*last = UINT64_MAX;
	return true;
}

uint64_t hx_base(struct hx *h, uint32_t ioas, uint64_t span)
{
	const uint64_t mib = 1ull << 20;
	struct hx_ranges r;

	hx_ranges(h, ioas, &r);
	for (uint32_t i = 0; i < r.num; i++) {
		uint64_t b = (r.r[i].start + mib - 1) & ~(mib - 1);

		if (!b)
			b = mib;
		if (b >= r.r[i].start && hx_ranges_cover(&r, b, span))
			return b;
	}
	hx_fail_at(__FILE__, __LINE__,
		   "ioas %u has no usable 0x%llx bytes at a 1 MiB line", ioas,
		   (unsigned long long)span);
}

uint64_t hx_dev_base(struct hx *h, unsigned int i, uint64_t span)
{
	struct ioasid_iommu_info info = { .sz = sizeof(info) };
	const uint64_t mib = 1ull << 20;
	uint64_t b;

	HX_OK(ioasid_dev_iommu_info(h->ctx, h->name[i], &info));
	HX_CHECK(info.flags & IOASID_IOMMU_APERTURE_KNOWN,
		 "the aperture of %s's IOMMU is not known", h->name[i]);
	b = (info.aperture_start + mib - 1) & ~(mib - 1);
	if (!b)
		b = mib;
	HX_CHECK(b >= info.aperture_start && b + span - 1 > b &&
			 b + span - 1 <= info.aperture_last,
		 "no 0x%llx bytes at a 1 MiB line in the aperture 0x%llx-0x%llx",
		 (unsigned long long)span,
		 (unsigned long long)info.aperture_start,
		 (unsigned long long)info.aperture_last);
	return b;
}

/* ------------------------------------------------------------------ */
/* Calls                                                                */

int hx_map(struct hx *h, uint32_t ioas, void *va, uint64_t len, uint64_t iova)
{
	return ioasid_ioas_map(h->ctx, ioas, va, len, &iova, NULL);
}

void hx_map_at(struct hx *h, uint32_t ioas, void *va, uint64_t len,
	       uint64_t iova)
{
	uint64_t got = iova;

	HX_OK(ioasid_ioas_map(h->ctx, ioas, va, len, &got, NULL));
	HX_EQ(got, iova);
}

uint64_t hx_map_any(struct hx *h, uint32_t ioas, void *va, uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
			     IOASID_MAP_ANY_IOVA);
	uint64_t iova = 0;

	HX_OK(ioasid_ioas_map(h->ctx, ioas, va, len, &iova, &o));
	return iova;
}

bool hx_is_mapped(struct hx *h, uint32_t ioas, uint64_t iova, uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	uint32_t scratch;
	uint64_t dst = 0;
	int rc;

	HX_OK(ioasid_ioas_alloc(h->ctx, &scratch));
	rc = ioasid_ioas_copy(h->ctx, scratch, &dst, ioas, iova, len, &o);
	HX_OK(ioasid_ioas_destroy(h->ctx, scratch));
	HX_CHECK(rc == 0 || rc == -ENOENT, "mapped probe: copy returned %d: %s",
		 rc, ioasid_errmsg());
	return rc == 0;
}

bool hx_is_free(struct hx *h, uint32_t ioas, uint64_t iova, uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o, .flags = IOASID_MAP_READ);
	uint64_t unmapped = 0;
	int rc;

	HX_CHECK(len <= HX_BUF_SIZE, "free probe of 0x%llx bytes",
		 (unsigned long long)len);
	rc = ioasid_ioas_map(h->ctx, ioas, h->buf, len, &iova, &o);
	if (rc == -EEXIST)
		return false;
	HX_OK(rc);
	HX_OK(ioasid_ioas_unmap(h->ctx, ioas, iova, len, &unmapped));
	HX_EQ(unmapped, len);
	return true;
}

/* ------------------------------------------------------------------ */
/* Backend-specific checks                                              */

void hx_check_map_at(const char *file, int line, struct hx *h, uint32_t hwpt,
		     uint64_t iova, uint64_t len, const void *va, bool mapped)
{
	int rc = hx_backend.check_map(h, hwpt, iova, mapped ? len : h->page,
				      va);

	if (mapped ? rc != 0 : rc == 0)
		hx_fail_at(file, line,
			   "hwpt %u iova 0x%llx+0x%llx: expected %s, %s (%s)",
			   hwpt, (unsigned long long)iova,
			   (unsigned long long)len,
			   mapped ? "mapped to the buffer" : "not mapped",
			   rc ? "not mapped" : "mapped", ioasid_errmsg());
}

void hx_check_refs_at(const char *file, int line, struct hx *h,
		      const void *va, uint64_t len, uint32_t refs)
{
	int rc;

	if (!hx_backend.check_refs)
		return;
	rc = hx_backend.check_refs(h, va, len, refs);
	if (rc)
		hx_fail_at(file, line,
			   "pages %p+0x%llx are not pinned %u time(s): %s", va,
			   (unsigned long long)len, refs, ioasid_errmsg());
}

int hx_reserve(struct hx *h, uint32_t ioas, uint64_t start, uint64_t len)
{
	return hx_backend.reserve(h, ioas, start, len);
}

void hx_need_reserve(struct hx *h)
{
	uint32_t ioas;
	int rc;

	/* An empty IOAS of its own: what the backend answers for length 0
	 * is not what matters, only whether it has the operation at all. */
	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	rc = hx_backend.reserve(h, ioas, 0, h->page);
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	if (rc == -EOPNOTSUPP)
		hx_skip("the %s backend cannot reserve IOVA in an IOAS (no IOMMU_TEST_OP_ADD_RESERVED equivalent)",
			hx_backend.name);
	HX_OK(rc);
}

void hx_expect_empty_at(const char *file, int line, struct hx *h)
{
	enum { PROBES = 64 };
	uint32_t ids[PROBES];
	unsigned int i;

	for (i = 0; i < HX_MAX_DEVS; i++)
		hx_close_dev(h, i);
	for (i = 0; i < PROBES; i++) {
		HX_OK(ioasid_ioas_alloc(h->ctx, &ids[i]));
		if (ids[i] != i + 1)
			hx_fail_at(file, line,
				   "object %u is still there: a new IOAS got id %u",
				   i + 1, ids[i]);
	}
	for (i = 0; i < PROBES; i++)
		HX_OK(ioasid_ioas_destroy(h->ctx, ids[i]));
	hx_check_refs_at(file, line, h, h->buf, HX_BUF_SIZE, 0);
	hx_check_refs_at(file, line, h, h->buf2, HX_BUF_SIZE, 0);
}

const char *hx_hex(uint64_t v)
{
	static char buf[4][24];
	static unsigned int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "0x%llx", (unsigned long long)v);
	return buf[i];
}

const char *hx_dec(uint32_t v)
{
	static char buf[4][16];
	static unsigned int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%u", v);
	return buf[i];
}
