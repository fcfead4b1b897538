/* SPDX-License-Identifier: MIT */
/*
 * lib/model's facts of an endpoint array called directly, with arguments
 * as lib/core checks them (model.h): names for messages, the smallest
 * ceiling and largest granule and who sets them, the regions RAM must
 * avoid.  The layout computations built on them are tested through the
 * public calls (test_layout.c).
 */
#include "helpers.h"

#include "model.h"

#define MAX64 UINT64_MAX
#define R(s, l, t) { .start = (s), .last = (l), .type = IOASID_RESV_##t }

static void test_endpoint_name(void **state)
{
	struct ioasid_endpoint named = { .name = "0000:00:03.0" };
	struct ioasid_endpoint empty = { .name = "" };
	struct ioasid_endpoint none = { 0 };
	char buf[32];

	(void)state;
	assert_string_equal(endpoint_name(&named, 7, buf), "0000:00:03.0");
	assert_string_equal(endpoint_name(&empty, 7, buf), "endpoint 7");
	assert_string_equal(endpoint_name(&none, 4294967295u, buf),
			    "endpoint 4294967295");
}

static void test_endpoints_limits(void **state)
{
	struct ioasid_endpoint eps[4];
	struct endpoints_limits l;

	(void)state;
	/* No endpoints: no ceiling, no granule. */
	endpoints_limits(NULL, 0, &l);
	assert_true(l.top == MAX64);
	assert_int_equal(l.granule, 0);
	assert_int_equal(l.top_ep, 0);
	assert_int_equal(l.granule_ep, 0);

	/* 0 means "no limit" for both; ties go to the first endpoint. */
	eps[0] = (struct ioasid_endpoint){ 0 };
	eps[1] = (struct ioasid_endpoint){ .aperture_last = (1ull << 39) - 1,
					   .page_sizes = SZ_4K | SZ_2M };
	eps[2] = (struct ioasid_endpoint){ .aperture_last = (1ull << 48) - 1,
					   .page_sizes = SZ_64K | SZ_2M };
	eps[3] = (struct ioasid_endpoint){ .aperture_last = (1ull << 39) - 1,
					   .page_sizes = SZ_64K };
	endpoints_limits(eps, 4, &l);
	assert_true(l.top == (1ull << 39) - 1);
	assert_int_equal(l.top_ep, 1);
	assert_int_equal(l.granule, SZ_64K);
	assert_int_equal(l.granule_ep, 2);
}

static void test_endpoints_forbidden(void **state)
{
	const struct ioasid_resv_region a[] = {
		R(0x1000, 0x1fff, DIRECT_RELAXABLE),
		R(0xfee00000, 0xfeefffff, MSI),
	};
	const struct ioasid_resv_region b[] = {
		R(0x8000000, 0x80fffff, SW_MSI),
		R(0x2000, 0x2fff, DIRECT),
		R(0x3000, 0x3fff, DIRECT_RELAXABLE),
		R(0x1000, MAX64, RESERVED),
	};
	struct ioasid_endpoint ea = { .regions = a, .num_regions = 2 };
	struct ioasid_endpoint eb = { .regions = b, .num_regions = 4 };
	struct ioasid_endpoint eps[3];
	struct ioasid_resv_region *out = NULL;
	uint32_t n = 99;

	(void)state;
	assert_int_equal(endpoints_forbidden(NULL, 0, &out, &n), 0);
	assert_non_null(out);
	assert_int_equal(n, 0);
	free(out);

	/* Every type but direct-relaxable, in the endpoints' order. */
	eps[0] = ea;
	eps[1] = (struct ioasid_endpoint){ 0 };
	eps[2] = eb;
	assert_int_equal(endpoints_forbidden(eps, 3, &out, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(out[0].start, 0xfee00000);
	assert_int_equal(out[0].type, IOASID_RESV_MSI);
	assert_int_equal(out[1].type, IOASID_RESV_SW_MSI);
	assert_int_equal(out[2].type, IOASID_RESV_DIRECT);
	assert_int_equal(out[3].start, 0x1000);
	assert_true(out[3].last == MAX64);
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_endpoint_name),
		cmocka_unit_test(test_endpoints_limits),
		cmocka_unit_test(test_endpoints_forbidden),
	};

	return cmocka_run_group_tests_name("model_layout", tests, NULL, NULL);
}
