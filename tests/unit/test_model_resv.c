/* SPDX-License-Identifier: MIT */
/*
 * lib/model's reserved-region algebra called directly, with arguments as
 * lib/core checks them (model.h): the overlap and coverage tests, the
 * complement of a merged list and the usable ranges, a device's regions
 * with its aperture and an IOAS's typed holes.  The edges at 0 and
 * UINT64_MAX by hand, then random lists on a small line compared with a
 * bitmap.
 */
#include "helpers.h"

#include "model.h"

#define MAX64 UINT64_MAX
#define R(s, l, t) { .start = (s), .last = (l), .type = IOASID_RESV_##t }

static const struct ioasid_resv_region *reg(uint64_t start, uint64_t last)
{
	static struct ioasid_resv_region r;

	r = (struct ioasid_resv_region){ .start = start, .last = last,
					 .type = IOASID_RESV_RESERVED };
	return &r;
}

static void test_overlaps(void **state)
{
	struct ioasid_resv_region a = R(0x1000, 0x1fff, RESERVED);

	(void)state;
	assert_true(resv_overlaps(&a, reg(0x1000, 0x1000)));
	assert_true(resv_overlaps(&a, reg(0x1fff, 0x2fff)));
	assert_true(resv_overlaps(&a, reg(0, MAX64)));
	assert_true(resv_overlaps(&a, reg(0x1800, 0x1800)));
	/* Touching is not overlapping. */
	assert_false(resv_overlaps(&a, reg(0, 0xfff)));
	assert_false(resv_overlaps(&a, reg(0x2000, MAX64)));
	/* Symmetric. */
	assert_true(resv_overlaps(reg(0x1fff, 0x2fff), &a));
	assert_false(resv_overlaps(reg(0x2000, 0x2fff), &a));
	/* The top of the line. */
	a = (struct ioasid_resv_region)R(MAX64, MAX64, MSI);
	assert_true(resv_overlaps(&a, reg(0, MAX64)));
	assert_false(resv_overlaps(&a, reg(0, MAX64 - 1)));
}

static void test_covered(void **state)
{
	const struct ioasid_resv_region r[] = {
		R(0x1000, 0x1fff, RESERVED),
		R(0x2000, 0x2fff, MSI), /* touches the first */
		R(0x5000, MAX64, RESERVED),
	};

	(void)state;
	assert_false(resv_covered(r, 0, 0, 0));
	assert_true(resv_covered(r, 3, 0x1000, 0x1fff));
	/* Across two touching regions. */
	assert_true(resv_covered(r, 3, 0x1800, 0x27ff));
	assert_true(resv_covered(r, 3, 0x1000, 0x2fff));
	/* One IOVA outside, at either end. */
	assert_false(resv_covered(r, 3, 0xfff, 0x1fff));
	assert_false(resv_covered(r, 3, 0x1000, 0x3000));
	/* A gap inside. */
	assert_false(resv_covered(r, 3, 0x1000, 0x5000));
	/* Up to the top. */
	assert_true(resv_covered(r, 3, 0x5000, MAX64));
	assert_true(resv_covered(r, 3, MAX64, MAX64));
	assert_false(resv_covered(r, 3, 0x4fff, MAX64));
}

static void same_ranges(const struct ioasid_iova_range *got, uint32_t n,
			  const struct ioasid_iova_range *want, uint32_t nwant)
{
	assert_int_equal(n, nwant);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(got[i].start, want[i].start);
		assert_int_equal(got[i].last, want[i].last);
	}
}

#define COMPLEMENT(holes, start, last, ...)                                 \
	do {                                                                \
		const struct ioasid_iova_range want_[] = { __VA_ARGS__ };   \
		struct ioasid_iova_range *got_ = NULL;                      \
		uint32_t n_ = 0;                                            \
                                                                            \
		assert_int_equal(resv_complement(holes, ARRAY_N(holes),     \
						 start, last, &got_, &n_),  \
				 0);                                        \
		assert_non_null(got_);                                      \
		same_ranges(got_, n_, want_,                              \
			      sizeof(want_) / sizeof(want_[0]));            \
		free(got_);                                                 \
	} while (0)
#define ARRAY_N(a) ((uint32_t)(sizeof(a) / sizeof((a)[0])))
#define RG(s, l) { .start = (s), .last = (l) }

static void test_complement(void **state)
{
	const struct ioasid_resv_region mid[] = { R(0x1000, 0x1fff, RESERVED),
						  R(0x3000, 0x3fff, MSI) };
	const struct ioasid_resv_region touching[] = { R(0x1000, 0x1fff, RESERVED),
						       R(0x2000, 0x2fff, MSI) };
	const struct ioasid_resv_region ends[] = { R(0, 0xfff, RESERVED),
						   R(0xf000, MAX64, RESERVED) };
	const struct ioasid_resv_region all[] = { R(0, MAX64, RESERVED) };
	const struct ioasid_resv_region top[] = { R(MAX64, MAX64, MSI) };
	struct ioasid_iova_range *got = NULL;
	uint32_t n = 7;

	(void)state;
	/* No holes: the whole window, and room for one range. */
	assert_int_equal(resv_complement(NULL, 0, 0x10, 0x20, &got, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(got[0].start, 0x10);
	assert_int_equal(got[0].last, 0x20);
	free(got);

	COMPLEMENT(mid, 0, MAX64, RG(0, 0xfff), RG(0x2000, 0x2fff),
		   RG(0x4000, MAX64));
	/* The window cuts the holes and the ranges. */
	COMPLEMENT(mid, 0x1800, 0x37ff, RG(0x2000, 0x2fff));
	COMPLEMENT(mid, 0x2800, 0x5000, RG(0x2800, 0x2fff), RG(0x4000, 0x5000));
	/* A window inside a hole, or one IOVA wide. */
	COMPLEMENT(mid, 0x1100, 0x1200, );
	COMPLEMENT(mid, 0x2000, 0x2000, RG(0x2000, 0x2000));
	/* Holes entirely outside the window. */
	COMPLEMENT(mid, 0x4000, 0x4fff, RG(0x4000, 0x4fff));
	COMPLEMENT(mid, 0, 0xfff, RG(0, 0xfff));
	/* Touching holes leave no empty range between them. */
	COMPLEMENT(touching, 0, 0x3fff, RG(0, 0xfff), RG(0x3000, 0x3fff));
	/* Holes at both ends of the line. */
	COMPLEMENT(ends, 0, MAX64, RG(0x1000, 0xefff));
	COMPLEMENT(all, 0, MAX64, );
	COMPLEMENT(all, MAX64, MAX64, );
	COMPLEMENT(top, 0, MAX64, RG(0, MAX64 - 1));
	COMPLEMENT(top, MAX64 - 1, MAX64, RG(MAX64 - 1, MAX64 - 1));
}

/* The usable ranges of overlapping regions of mixed types: the types do
 * not matter, only the union. */
static void test_usable(void **state)
{
	const struct ioasid_resv_region in[] = {
		R(0x3000, 0x3fff, DIRECT_RELAXABLE),
		R(0x1000, 0x1fff, RESERVED),
		R(0x1800, 0x27ff, SW_MSI),
		R(0x8000, MAX64, RESERVED),
	};
	struct ioasid_iova_range *got = NULL;
	uint32_t n = 0;

	(void)state;
	assert_int_equal(resv_usable(in, ARRAY_N(in), 0, MAX64, &got, &n), 0);
	{
		const struct ioasid_iova_range want[] = {
			RG(0, 0xfff), RG(0x2800, 0x2fff), RG(0x4000, 0x7fff)
		};
		same_ranges(got, n, want, ARRAY_N(want));
	}
	free(got);
	assert_int_equal(resv_usable(in, ARRAY_N(in), 0x2000, 0x8000, &got, &n), 0);
	{
		const struct ioasid_iova_range want[] = {
			RG(0x2800, 0x2fff), RG(0x4000, 0x7fff)
		};
		same_ranges(got, n, want, ARRAY_N(want));
	}
	free(got);
}

/*
 * Random lists on the line [0, 63]: the bitmap of what resv_merge() and
 * resv_complement() leave must be the bitmap of what the regions do not
 * cover, and every range must be maximal.
 */
static void test_random_against_bitmap(void **state)
{
	unsigned int seed = 12345;

	(void)state;
	for (int round = 0; round < 4000; round++) {
		struct ioasid_resv_region in[6], *merged = NULL;
		struct ioasid_iova_range *got = NULL;
		uint32_t nin = (uint32_t)(rand_r(&seed) % 6), nmerged = 0, n = 0;
		uint64_t start = (uint64_t)(rand_r(&seed) % 64), last;
		uint64_t want = 0, seen = 0;

		last = start + (uint64_t)(rand_r(&seed) % (64 - start));
		for (uint32_t i = 0; i < nin; i++) {
			uint64_t s = (uint64_t)(rand_r(&seed) % 64);
			uint64_t l = s + (uint64_t)(rand_r(&seed) % (64 - s));

			in[i] = (struct ioasid_resv_region){
				.start = s, .last = l,
				.type = (enum ioasid_resv_type)(rand_r(&seed) % 5),
			};
		}
		for (uint64_t b = start; b <= last; b++) {
			bool hole = false;

			for (uint32_t i = 0; i < nin; i++)
				hole |= in[i].start <= b && b <= in[i].last;
			if (!hole)
				want |= 1ull << b;
		}
		assert_int_equal(resv_merge(in, nin, RESV_ALL_TYPES, &merged,
					    &nmerged), 0);
		assert_int_equal(resv_complement(merged, nmerged, start, last,
						 &got, &n), 0);
		for (uint32_t k = 0; k < n; k++) {
			assert_true(got[k].start <= got[k].last);
			assert_true(start <= got[k].start && got[k].last <= last);
			/* Sorted, disjoint and not touching: maximal. */
			if (k)
				assert_true(got[k - 1].last + 1 < got[k].start);
			for (uint64_t b = got[k].start; b <= got[k].last; b++)
				seen |= 1ull << b;
			/* Every range is uncovered, so resv_covered() says no
			 * for it and yes for what lies between two ranges. */
			assert_false(resv_covered(merged, nmerged, got[k].start,
						  got[k].last));
			if (k)
				assert_true(resv_covered(merged, nmerged,
							 got[k - 1].last + 1,
							 got[k].start - 1));
		}
		if (seen != want)
			fail_msg("round %d: [%llu, %llu] around %u regions: "
				 "ranges 0x%llx, expected 0x%llx",
				 round, (unsigned long long)start,
				 (unsigned long long)last, nin,
				 (unsigned long long)seen,
				 (unsigned long long)want);
		free(merged);
		free(got);
	}
}

static void expect_regions(const struct ioasid_resv_region *got, uint32_t n,
			   const struct ioasid_resv_region *want, uint32_t nwant)
{
	assert_int_equal(n, nwant);
	for (uint32_t i = 0; i < n; i++) {
		assert_int_equal(got[i].start, want[i].start);
		assert_int_equal(got[i].last, want[i].last);
		assert_int_equal(got[i].type, want[i].type);
	}
}

/* The IOVAs outside the aperture become reserved regions, merged with the
 * group's by precedence. */
static void test_with_aperture(void **state)
{
	struct ioasid_resv_region in[4] = {
		R(0xfee00000, 0xfeefffff, MSI),
		R(0x800, 0x1fff, DIRECT), /* across the aperture's start */
	};
	struct ioasid_resv_region *out = NULL;
	uint32_t n = 0;

	(void)state;
	/* The whole line: nothing added. */
	assert_int_equal(resv_with_aperture(in, 1, 0, MAX64, &out, &n), 0);
	{
		const struct ioasid_resv_region want[] = {
			R(0xfee00000, 0xfeefffff, MSI),
		};
		expect_regions(out, n, want, ARRAY_N(want));
	}
	free(out);
	/* Both limits; reserved outranks direct where they overlap. */
	assert_int_equal(resv_with_aperture(in, 2, 0x1000, (1ull << 39) - 1,
					    &out, &n), 0);
	{
		const struct ioasid_resv_region want[] = {
			R(0, 0xfff, RESERVED),
			R(0x1000, 0x1fff, DIRECT),
			R(0xfee00000, 0xfeefffff, MSI),
			R(1ull << 39, MAX64, RESERVED),
		};
		expect_regions(out, n, want, ARRAY_N(want));
	}
	free(out);
	/* IOVA 0 alone below the aperture. */
	assert_int_equal(resv_with_aperture(in, 0, 1, MAX64, &out, &n), 0);
	{
		const struct ioasid_resv_region want[] = {
			R(0, 0, RESERVED),
		};
		expect_regions(out, n, want, ARRAY_N(want));
	}
	free(out);
	/* No group regions, an aperture of one IOVA at the top. */
	assert_int_equal(resv_with_aperture(in, 0, MAX64, MAX64, &out, &n), 0);
	{
		const struct ioasid_resv_region want[] = {
			R(0, MAX64 - 1, RESERVED),
		};
		expect_regions(out, n, want, ARRAY_N(want));
	}
	free(out);
}

static struct ioasid_resv_region *dup_regions(const struct ioasid_resv_region *r,
					      uint32_t n)
{
	struct ioasid_resv_region *d = malloc((n + 1) * sizeof(*d));

	assert_non_null(d);
	memcpy(d, r, n * sizeof(*d));
	return d;
}

/* The holes between the ranges that the devices do not explain become
 * reserved regions; what they explain keeps its type. */
static void test_ioas_holes(void **state)
{
	const struct ioasid_iova_range ranges[] = {
		RG(0x1000, 0x1fff), RG(0x4000, 0xfffff),
	};
	const struct ioasid_resv_region dev[] = {
		R(0x2000, 0x2fff, MSI),
		R(0x100000, MAX64, RESERVED),
	};
	const struct ioasid_iova_range top[] = { RG(0, MAX64 - 1) };
	struct ioasid_resv_region *m;
	uint32_t n;

	(void)state;
	m = dup_regions(dev, 2);
	n = 2;
	assert_int_equal(resv_ioas_holes(ranges, 2, &m, &n), 0);
	{
		const struct ioasid_resv_region want[] = {
			R(0, 0xfff, RESERVED),
			R(0x2000, 0x2fff, MSI),
			R(0x3000, 0x3fff, RESERVED),
			R(0x100000, MAX64, RESERVED),
		};
		expect_regions(m, n, want, ARRAY_N(want));
	}
	free(m);

	/* Everything explained: the list stays as it was. */
	{
		const struct ioasid_resv_region all[] = {
			R(0, 0xfff, DIRECT),
			R(0x2000, 0x3fff, SW_MSI),
			R(0x100000, MAX64, RESERVED),
		};

		m = dup_regions(all, 3);
		n = 3;
		assert_int_equal(resv_ioas_holes(ranges, 2, &m, &n), 0);
		expect_regions(m, n, all, ARRAY_N(all));
		free(m);
	}

	/* No usable range: the whole line is one hole. */
	m = dup_regions(dev, 0);
	n = 0;
	assert_int_equal(resv_ioas_holes(NULL, 0, &m, &n), 0);
	{
		const struct ioasid_resv_region want[] = {
			R(0, MAX64, RESERVED),
		};
		expect_regions(m, n, want, ARRAY_N(want));
	}
	free(m);

	/* One IOVA at the top, unexplained. */
	m = dup_regions(dev, 0);
	n = 0;
	assert_int_equal(resv_ioas_holes(top, 1, &m, &n), 0);
	{
		const struct ioasid_resv_region want[] = {
			R(MAX64, MAX64, RESERVED),
		};
		expect_regions(m, n, want, ARRAY_N(want));
	}
	free(m);
}

/*
 * Random usable ranges on [0, 63] and random regions inside their holes:
 * the typed holes must be the exact complement of the ranges, and keep
 * the types of the regions they were given.
 */
static void test_ioas_holes_random(void **state)
{
	unsigned int seed = 4242;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		uint64_t usable = ((uint64_t)rand_r(&seed) << 32) ^
				  (uint64_t)rand_r(&seed) ^
				  ((uint64_t)rand_r(&seed) << 16);
		struct ioasid_iova_range ranges[33], *back = NULL;
		struct ioasid_resv_region given[8], *m;
		uint32_t nr = 0, ng = 0, n, nback = 0;

		for (uint64_t b = 0; b < 64; b++) {
			if (!(usable >> b & 1))
				continue;
			if (nr && ranges[nr - 1].last + 1 == b)
				ranges[nr - 1].last = b;
			else
				ranges[nr++] = (struct ioasid_iova_range){ b, b };
		}
		/* Single-IOVA regions in holes, some of them. */
		for (uint64_t b = 0; b < 64 && ng < 8; b++)
			if (!(usable >> b & 1) && rand_r(&seed) % 4 == 0)
				given[ng++] = (struct ioasid_resv_region){
					.start = b, .last = b,
					.type = IOASID_RESV_MSI,
				};
		assert_int_equal(resv_merge(given, ng, RESV_ALL_TYPES, &m, &n), 0);
		assert_int_equal(resv_ioas_holes(ranges, nr, &m, &n), 0);
		assert_int_equal(resv_complement(m, n, 0, MAX64, &back, &nback), 0);
		assert_int_equal(nback, nr);
		for (uint32_t k = 0; k < nr; k++) {
			assert_int_equal(back[k].start, ranges[k].start);
			assert_int_equal(back[k].last, ranges[k].last);
		}
		for (uint32_t g = 0; g < ng; g++) {
			bool kept = false;

			for (uint32_t k = 0; k < n; k++)
				kept |= m[k].start <= given[g].start &&
					given[g].last <= m[k].last &&
					m[k].type == IOASID_RESV_MSI;
			assert_true(kept);
		}
		free(m);
		free(back);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_covered),
		cmocka_unit_test(test_complement),
		cmocka_unit_test(test_usable),
		cmocka_unit_test(test_random_against_bitmap),
		cmocka_unit_test(test_with_aperture),
		cmocka_unit_test(test_ioas_holes),
		cmocka_unit_test(test_ioas_holes_random),
	};

	return cmocka_run_group_tests_name("model_resv", tests, NULL, NULL);
}
