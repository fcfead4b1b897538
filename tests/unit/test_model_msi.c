/* SPDX-License-Identifier: MIT */
/*
 * lib/model's MSI windows called directly (model.h): the sw-msi holes
 * mapped PAMU-style banks leave, and whether a sw-msi window can work
 * among the regions of several endpoints.
 */
#include "helpers.h"

#include "model.h"

#define R(s, l, t) { .start = (s), .last = (l), .type = IOASID_RESV_##t }

static void test_bank_regions(void **state)
{
	const struct ioasid_msi_bank banks[] = {
		{ .iova = 0x10000, .size = 0x1000, .mapped = true },
		{ .iova = 0x20000, .size = 0x1000, .mapped = false },
		{ .iova = 0xfffff000, .size = 0x1000, .mapped = true },
	};
	struct ioasid_resv_region out[3];

	(void)state;
	memset(out, 0xa5, sizeof(out));
	assert_int_equal(msi_bank_regions(banks, 0, out), 0);
	/* Only the mapped ones, in order, as sw-msi holes. */
	assert_int_equal(msi_bank_regions(banks, 3, out), 2);
	assert_int_equal(out[0].start, 0x10000);
	assert_int_equal(out[0].last, 0x10fff);
	assert_int_equal(out[0].type, IOASID_RESV_SW_MSI);
	assert_int_equal(out[1].start, 0xfffff000);
	assert_int_equal(out[1].last, 0xffffffff);
	assert_int_equal(out[1].type, IOASID_RESV_SW_MSI);
	/* Nothing written past them. */
	assert_int_equal(out[2].start, 0xa5a5a5a5a5a5a5a5ull);
}

static void test_window_conflict(void **state)
{
	const struct ioasid_resv_region apart[] = {
		R(0x8000000, 0x80fffff, SW_MSI),
		R(0xfee00000, 0xfeefffff, MSI),
		R(0x80ff000, 0x80fffff, DIRECT_RELAXABLE), /* lower rank */
		R(0x8100000, 0x81fffff, RESERVED),	    /* touches only */
	};
	const struct ioasid_resv_region over_msi[] = {
		R(0xfee00000, 0xfeefffff, MSI),
		R(0xfe000000, 0xfee00000, SW_MSI), /* one IOVA in common */
	};
	const struct ioasid_resv_region over_direct[] = {
		R(0x8000000, 0x80fffff, SW_MSI),
		R(0x8080000, 0x8080fff, DIRECT),
	};
	const struct ioasid_resv_region over_reserved[] = {
		R(0, UINT64_MAX, RESERVED),
		R(0x8000000, 0x80fffff, SW_MSI),
	};
	const struct ioasid_resv_region two_windows[] = {
		R(0x8000000, 0x80fffff, SW_MSI),
		R(0x8000000, 0x80fffff, SW_MSI),
	};
	const struct ioasid_resv_region no_window[] = {
		R(0xfee00000, 0xfeefffff, MSI),
		R(0xfee00000, 0xfeefffff, RESERVED),
	};

	(void)state;
	assert_false(msi_window_conflict(NULL, 0));
	assert_false(msi_window_conflict(apart, 4));
	assert_true(msi_window_conflict(over_msi, 2));
	assert_true(msi_window_conflict(over_direct, 2));
	assert_true(msi_window_conflict(over_reserved, 2));
	/* Two endpoints' identical windows are one window. */
	assert_false(msi_window_conflict(two_windows, 2));
	assert_false(msi_window_conflict(no_window, 2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bank_regions),
		cmocka_unit_test(test_window_conflict),
	};

	return cmocka_run_group_tests_name("model_msi", tests, NULL, NULL);
}
