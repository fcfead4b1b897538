/* SPDX-License-Identifier: MIT */
/*
 * lib/model's PASID rules called directly (model.h): the usable width,
 * the table of PASIDs in use and the lowest free one, whose PASIDs a
 * global use conflicts with, and who may not share a PASID with whom.
 * The attach calls built on them are tested through the public API
 * (test_pasid.c).
 */
#include "helpers.h"

#include "model.h"

static void test_usable_width(void **state)
{
	(void)state;
	/* The smaller of device and IOMMU, when the IOMMU is known. */
	assert_int_equal(pasid_usable_width(20, true, 8), 8);
	assert_int_equal(pasid_usable_width(8, true, 20), 8);
	assert_int_equal(pasid_usable_width(8, false, 4), 8);
	/* A device of unknown width (0) takes the IOMMU's. */
	assert_int_equal(pasid_usable_width(0, true, 16), 16);
	assert_int_equal(pasid_usable_width(0, false, 16), 0);
	/* An IOMMU without PASIDs leaves none. */
	assert_int_equal(pasid_usable_width(20, true, 0), 0);
	/* Never wider than the PCI PASID. */
	assert_int_equal(pasid_usable_width(20, false, 0), 20);
	assert_int_equal(pasid_usable_width(21, false, 0), IOASID_PASID_WIDTH_MAX);
	assert_int_equal(pasid_usable_width(32, false, 0), IOASID_PASID_WIDTH_MAX);
	assert_int_equal(pasid_usable_width(0, true, 24), IOASID_PASID_WIDTH_MAX);
}

static void test_uses_table(void **state)
{
	struct pasid_uses u = { 0 };
	const struct pasid_use *p;
	int a = 0, b = 0;

	(void)state;
	assert_null(pasid_uses_find(&u, 1));
	/* Out of order, with a PASID used twice: sorted, first owner kept. */
	for (uint32_t i = 0; i < 40; i++)
		assert_int_equal(pasid_uses_add(&u, (i * 7) % 40 + 1, 100 + i,
						&a, "a"), 0);
	assert_int_equal(pasid_uses_add(&u, 8, 5, &b, "b"), 0);
	assert_int_equal(u.n, 40);
	for (uint32_t i = 1; i < u.n; i++)
		assert_true(u.v[i - 1].ppasid < u.v[i].ppasid);
	p = pasid_uses_find(&u, 8);
	assert_non_null(p);
	assert_ptr_equal(p->owner, &a);
	assert_string_equal(p->owner_name, "a");
	assert_int_equal(p->vpasid, 101); /* (1 * 7) % 40 + 1 == 8 */
	assert_null(pasid_uses_find(&u, 0));
	assert_null(pasid_uses_find(&u, 41));
	pasid_uses_free(&u);
	assert_null(u.v);
	assert_int_equal(u.n, 0);
}

static void test_lowest_free(void **state)
{
	struct pasid_uses u = { 0 };
	uint32_t out = 99;
	int a = 0;

	(void)state;
	assert_int_equal(pasid_lowest_free(&u, 1), 1);
	assert_int_equal(pasid_lowest_free(&u, 20), 1);
	/* PASID 0 (the RID's) is never handed out nor counted. */
	assert_int_equal(pasid_uses_add(&u, 0, 0, &a, "a"), 0);
	assert_int_equal(pasid_lowest_free(&u, 1), 1);
	assert_int_equal(pasid_uses_add(&u, 1, 1, &a, "a"), 0);
	assert_int_equal(pasid_lowest_free(&u, 1), 0);
	assert_int_equal(pasid_lowest_free(&u, 2), 2);
	assert_int_equal(pasid_uses_add(&u, 3, 3, &a, "a"), 0);
	assert_int_equal(pasid_lowest_free(&u, 2), 2);
	assert_int_equal(pasid_uses_add(&u, 2, 2, &a, "a"), 0);
	/* 1..3 held: a 2-bit width is full, a 3-bit one has 4. */
	assert_int_equal(pasid_lowest_free(&u, 2), 0);
	assert_int_equal(pasid_lowest_free(&u, 3), 4);
	/* PASIDs beyond the width do not matter. */
	assert_int_equal(pasid_uses_add(&u, 1000, 1, &a, "a"), 0);
	assert_int_equal(pasid_lowest_free(&u, 2), 0);
	assert_int_equal(pasid_lowest_free(&u, 3), 4);

	assert_int_equal(pasid_alloc("dev", &u, 3, &out), 0);
	assert_int_equal(out, 4);
	out = 99;
	assert_int_equal(pasid_alloc("dev", &u, 2, &out), -ENOSPC);
	assert_int_equal(out, 99);
	assert_non_null(strstr(ioasid_errmsg(), "every PASID of its 2-bit width"));
	pasid_uses_free(&u);
}

static void test_conflicting_uses(void **state)
{
	struct pasid_dev pd = { 0 };

	(void)state;
	for (int c = IOASID_CLASS_RID_ONLY; c <= IOASID_CLASS_PASID_CPU_TRANSLATE; c++) {
		pd.cls = (enum ioasid_dev_class)c;
		/* Everything of the device asking. */
		assert_int_equal(pasid_conflicting_uses(&pd, true), PASID_USES_ALL);
	}
	pd.cls = IOASID_CLASS_RID_ONLY;
	assert_int_equal(pasid_conflicting_uses(&pd, false), PASID_USES_NONE);
	pd.cls = IOASID_CLASS_MDEV_NO_PASID;
	assert_int_equal(pasid_conflicting_uses(&pd, false), PASID_USES_NONE);
	pd.cls = IOASID_CLASS_MDEV_FIXED_PASID;
	assert_int_equal(pasid_conflicting_uses(&pd, false), PASID_USES_FIXED);
	/* Another device's class 3 PASIDs are its guest's own. */
	pd.cls = IOASID_CLASS_PASID_PASSTHROUGH;
	assert_int_equal(pasid_conflicting_uses(&pd, false), PASID_USES_NONE);
	pd.cls = IOASID_CLASS_PASID_DEV_TRANSLATE;
	assert_int_equal(pasid_conflicting_uses(&pd, false), PASID_USES_ALL);
	pd.cls = IOASID_CLASS_PASID_CPU_TRANSLATE;
	assert_int_equal(pasid_conflicting_uses(&pd, false), PASID_USES_ALL);
}

static void test_check_holder(void **state)
{
	int self = 0, other = 0;
	const struct pasid_use mine = { .ppasid = 5, .vpasid = 9,
					.owner = &self, .owner_name = "self" };
	const struct pasid_use theirs = { .ppasid = 5, .vpasid = 7,
					  .owner = &other, .owner_name = "other" };
	struct pasid_dev pd = { .width = 8, .fixed = 5 };

	(void)state;
	pd.cls = IOASID_CLASS_MDEV_FIXED_PASID;
	assert_int_equal(pasid_check_holder("self", &pd, 5, NULL, &self), 0);
	assert_int_equal(pasid_check_holder("self", &pd, 5, &mine, &self), 0);
	assert_int_equal(pasid_check_holder("self", &pd, 5, &theirs, &self), -EBUSY);
	assert_string_equal(ioasid_errmsg(),
			    "device self: fixed PASID 5 is in use by device other");

	pd.cls = IOASID_CLASS_PASID_PASSTHROUGH;
	assert_int_equal(pasid_check_holder("self", &pd, 5, NULL, &self), 0);
	assert_int_equal(pasid_check_holder("self", &pd, 5, &theirs, &self), 0);
	assert_int_equal(pasid_check_holder("self", &pd, 5, &mine, &self), -EBUSY);
	assert_string_equal(ioasid_errmsg(),
			    "device self: PASID 5 is in use by device self (vpasid 9)");

	for (int c = IOASID_CLASS_PASID_DEV_TRANSLATE; c <= IOASID_CLASS_PASID_CPU_TRANSLATE; c++) {
		pd.cls = (enum ioasid_dev_class)c;
		assert_int_equal(pasid_check_holder("self", &pd, 5, NULL, &self), 0);
		assert_int_equal(pasid_check_holder("self", &pd, 5, &mine, &self), -EBUSY);
		assert_int_equal(pasid_check_holder("self", &pd, 5, &theirs, &self), -EBUSY);
		assert_string_equal(ioasid_errmsg(),
				    "device self: PASID 5 is in use by device other (vpasid 7)");
	}
}

static void test_choose(void **state)
{
	const struct ioasid_pasid_entry cur = { .ppasid = 12, .vpasid = 3, .pt_id = 40 };
	struct pasid_dev pd = { .cls = IOASID_CLASS_PASID_DEV_TRANSLATE, .width = 4 };
	IOASID_OPTS(ioasid_pasid_attach, a, .vpasid = 3);
	uint32_t pasid = 99;

	(void)state;
	/* Without IOASID_PASID_FIXED, the allocator chooses (0). */
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), 0);
	assert_int_equal(pasid, 0);
	/* A replace keeps the PASID. */
	assert_int_equal(pasid_choose("d", &pd, &a, &cur, true, &pasid), 0);
	assert_int_equal(pasid, 12);
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, true, &pasid), -EINVAL);
	assert_int_equal(pasid_choose("d", &pd, &a, &cur, false, &pasid), -EBUSY);
	a.flags = IOASID_PASID_FIXED;
	a.ppasid = 13;
	assert_int_equal(pasid_choose("d", &pd, &a, &cur, true, &pasid), -EINVAL);
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), 0);
	assert_int_equal(pasid, 13);
	/* The caller's PASID within 1..2^width-1. */
	a.ppasid = 16;
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), -EINVAL);
	assert_string_equal(ioasid_errmsg(),
			    "device d: PASID 16 is outside 1..15 (PASID width 4)");
	a.ppasid = 0;
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), -EINVAL);
	a.ppasid = 15;
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), 0);
	assert_int_equal(pasid, 15);

	/* Class 3 emits the guest's PASID. */
	pd.cls = IOASID_CLASS_PASID_PASSTHROUGH;
	a.flags = 0;
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), 0);
	assert_int_equal(pasid, 3);
	a.flags = IOASID_PASID_FIXED;
	a.ppasid = 4;
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), -EINVAL);
	a.ppasid = 3;
	assert_int_equal(pasid_choose("d", &pd, &a, NULL, false, &pasid), 0);
	assert_int_equal(pasid, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usable_width),
		cmocka_unit_test(test_uses_table),
		cmocka_unit_test(test_lowest_free),
		cmocka_unit_test(test_conflicting_uses),
		cmocka_unit_test(test_check_holder),
		cmocka_unit_test(test_choose),
	};

	return cmocka_run_group_tests_name("model_pasid", tests, NULL, NULL);
}
