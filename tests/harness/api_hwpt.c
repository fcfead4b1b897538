// SPDX-License-Identifier: MIT
/*
 * Devices and HWPTs through the public API, on the simulator and on the
 * kernel (tests/harness/harness.h): attach, replace and detach of mock
 * devices, HWPT alloc (dirty tracking as the hardware info reports it),
 * destroy while busy, wrong types, and closing with objects inside.
 * Kernel facts: drivers/iommu/iommufd/device.c, hw_pagetable.c, main.c
 * (Linux 7.3).
 *
 * Replaces tests/vm/lib/mock.c's "devices", "hwpt-replace" and
 * "close-with-objects" scenarios and the cases of tests/unit/test_hwpt.c
 * and test_dev.c that did not depend on the unit topology.
 */
#include "harness.h"

#define BAD_ID 4242u

/* Several devices of one IOMMU on one IOAS share its automatic HWPT
 * (iommufd_device_auto_get_domain() reuses a compatible auto domain); a
 * device on a HWPT allocated for the IOAS sees the same mappings; pages
 * are pinned once however many domains map them; the IOAS and a busy
 * HWPT cannot be destroyed; detach twice is -EINVAL. */
static void devices_share(struct hx *h)
{
	struct ioasid_hw_info hw0 = { .sz = sizeof(hw0) };
	struct ioasid_hw_info hw1 = { .sz = sizeof(hw1) };
	uint32_t ioas, h0 = 0, h1 = 0, h2 = 0;
	uint64_t base, n = 0;

	HX_CHECK(h->dev_id[0] != h->dev_id[1] && h->dev_id[1] != h->dev_id[2] &&
			 h->dev_id[0] != h->dev_id[2],
		 "device ids %u %u %u", h->dev_id[0], h->dev_id[1], h->dev_id[2]);
	HX_OK(ioasid_dev_hw_info(h->dev[0], &hw0, NULL, 0));
	HX_OK(ioasid_dev_hw_info(h->dev[1], &hw1, NULL, 0));
	HX_EQ(hw1.type, hw0.type);
	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	base = hx_dev_base(h, 0, HX_BUF_SIZE);
	/* Mapped before any device: nothing is pinned yet. */
	hx_map_at(h, ioas, h->buf, HX_BUF_SIZE, base);
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 0);
	HX_OK(ioasid_dev_attach(h->dev[0], ioas, &h0));
	HX_OK(ioasid_dev_attach(h->dev[1], ioas, &h1));
	HX_EQ(h1, h0);
	HX_OK(ioasid_hwpt_alloc(h->dev[2], ioas, NULL, &h2));
	HX_OK(ioasid_dev_attach(h->dev[2], h2, NULL));
	HX_CHECK(h2 != h0, "an allocated hwpt %u is the auto one", h2);
	HX_EQ(ioasid_dev_pt_id(h->dev[0]), ioas);
	HX_EQ(ioasid_dev_hwpt_id(h->dev[0]), h0);
	HX_EQ(ioasid_dev_pt_id(h->dev[2]), h2);
	HX_EQ(ioasid_dev_hwpt_id(h->dev[2]), h2);
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 1);
	HX_CHECK_MAP(h, h0, base, HX_BUF_SIZE, h->buf, true);
	HX_CHECK_MAP(h, h2, base, HX_BUF_SIZE, h->buf, true);

	HX_OK(ioasid_ioas_unmap(h->ctx, ioas, base, HX_BUF_SIZE, &n));
	HX_EQ(n, HX_BUF_SIZE);
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 0);
	HX_CHECK_MAP(h, h0, base, HX_BUF_SIZE, h->buf, false);
	HX_CHECK_MAP(h, h2, base, HX_BUF_SIZE, h->buf, false);

	HX_ERR(EBUSY, hx_dec(h2), ioasid_hwpt_destroy(h->ctx, h2));
	HX_ERR(EBUSY, hx_dec(ioas), ioasid_ioas_destroy(h->ctx, ioas));
	HX_OK(ioasid_dev_detach(h->dev[2]));
	HX_ERR(EINVAL, NULL, ioasid_dev_detach(h->dev[2]));
	HX_EQ(ioasid_dev_pt_id(h->dev[2]), 0);
	HX_OK(ioasid_hwpt_destroy(h->ctx, h2));
	HX_ERR(ENOENT, hx_dec(h2), ioasid_hwpt_destroy(h->ctx, h2));
	/* The last device off the auto HWPT frees it. */
	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_ERR(EBUSY, NULL, ioasid_ioas_destroy(h->ctx, ioas));
	HX_OK(ioasid_dev_detach(h->dev[1]));
	HX_ERR(ENOENT, hx_dec(h0), ioasid_hwpt_destroy(h->ctx, h0));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_ERR(ENOENT, hx_dec(ioas), ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

/* Attach when attached is -EBUSY, replace and detach when detached
 * -EINVAL, an unknown pt -ENOENT, a device id as pt -EINVAL; a failed
 * attach or replace changes nothing; replace moves the device and frees
 * the old auto HWPT (its id is then -ENOENT); replace to the same IOAS
 * keeps the HWPT.  Selftest iommufd_mock_domain.replace. */
static void attach_replace_detach(struct hx *h)
{
	struct ioasid_dev *d = h->dev[0];
	uint32_t a, b, ha = 0, hb = 0, again = 0;
	struct hx_ranges ra;

	HX_OK(ioasid_ioas_alloc(h->ctx, &a));
	HX_OK(ioasid_ioas_alloc(h->ctx, &b));
	HX_ERR(EINVAL, NULL, ioasid_dev_detach(d));
	HX_ERR(EINVAL, NULL, ioasid_dev_replace(d, a, NULL));
	HX_ERR(ENOENT, hx_dec(BAD_ID), ioasid_dev_attach(d, BAD_ID, &ha));
	HX_ERR(EINVAL, NULL, ioasid_dev_attach(d, ioasid_dev_id(d), &ha));
	HX_EQ(ioasid_dev_pt_id(d), 0);
	HX_EQ(ha, 0);

	HX_OK(ioasid_dev_attach(d, a, &ha));
	hx_ranges(h, a, &ra);
	HX_ERR(EBUSY, NULL, ioasid_dev_attach(d, b, &hb));
	HX_EQ(ioasid_dev_pt_id(d), a);
	HX_EQ(ioasid_dev_hwpt_id(d), ha);
	HX_ERR(ENOENT, hx_dec(BAD_ID), ioasid_dev_replace(d, BAD_ID, NULL));
	HX_EQ(ioasid_dev_pt_id(d), a);

	/* An IOAS that maps IOVA outside the device's aperture cannot take
	 * it: -EADDRINUSE (iopt_table_add_domain()), nothing changes. */
	{
		struct ioasid_iommu_info info = { .sz = sizeof(info) };
		struct hx_ranges now;
		uint32_t c, hc = 0;

		HX_OK(ioasid_dev_iommu_info(h->ctx, h->name[0], &info));
		HX_CHECK(info.aperture_last < UINT64_MAX - h->page,
			 "the aperture ends at 0x%llx",
			 (unsigned long long)info.aperture_last);
		HX_OK(ioasid_ioas_alloc(h->ctx, &c));
		hx_map_at(h, c, h->buf, h->page, info.aperture_last + 1);
		HX_ERR(EADDRINUSE, NULL, ioasid_dev_replace(d, c, &hc));
		HX_EQ(ioasid_dev_pt_id(d), a);
		HX_EQ(ioasid_dev_hwpt_id(d), ha);
		hx_ranges(h, a, &now);
		HX_CHECK(hx_ranges_equal(&now, &ra), "a's ranges changed");
		HX_CHECK(hx_is_mapped(h, c, info.aperture_last + 1, h->page),
			 "c lost its mapping");
		HX_ERR(EBUSY, NULL, ioasid_ioas_destroy(h->ctx, a));
		HX_OK(ioasid_ioas_destroy(h->ctx, c));
	}

	HX_OK(ioasid_dev_replace(d, b, &hb));
	HX_CHECK(hb != 0, "replace gave no hwpt");
	HX_EQ(ioasid_dev_pt_id(d), b);
	HX_EQ(ioasid_dev_hwpt_id(d), hb);
	{
		struct hx_ranges rb, now;

		hx_ranges(h, b, &rb);
		HX_CHECK(hx_ranges_equal(&rb, &ra), "b's ranges are not a's were");
		hx_ranges(h, a, &now);
		HX_CHECK(now.num == 1 && now.r[0].start == 0 &&
				 now.r[0].last == UINT64_MAX,
			 "a did not widen after the replace");
	}
	HX_OK(ioasid_dev_replace(d, b, &again));
	HX_EQ(again, hb);
	/* Nothing holds a now. */
	HX_OK(ioasid_ioas_destroy(h->ctx, a));
	HX_OK(ioasid_dev_detach(d));
	HX_OK(ioasid_ioas_destroy(h->ctx, b));
	HX_EXPECT_EMPTY(h);
}

/*
 * ioasid_hwpt_alloc(): the new HWPT maps its IOAS at once (pinned then);
 * an IOAS id that is no IOAS is -EINVAL (iommufd_hwpt_alloc() turns the
 * failed lookup into -EINVAL), unknown flags -EOPNOTSUPP, and
 * DIRTY_TRACKING works exactly when the hardware info reports the
 * capability (-EOPNOTSUPP else; device 1 is a no-dirty mock).  An
 * allocated HWPT narrows the ranges to its aperture alone; destroying
 * it widens them again.
 */
static void hwpt_alloc(struct hx *h)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, dirty,
		    .flags = IOASID_HWPT_ALLOC_DIRTY_TRACKING);
	IOASID_OPTS(ioasid_hwpt_alloc_opts, bogus, .flags = 1u << 30);
	struct hx_ranges empty, with, r;
	uint32_t ioas, hw = 0, hd = 0, none = 0;
	uint64_t base;

	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas));
	hx_ranges(h, ioas, &empty);
	HX_ERR(EINVAL, hx_dec(BAD_ID), ioasid_hwpt_alloc(h->dev[0], BAD_ID, NULL, &none));
	HX_ERR(EINVAL, NULL,
	       ioasid_hwpt_alloc(h->dev[0], h->dev_id[0], NULL, &none));
	HX_ERR(EOPNOTSUPP, "0x40000000",
	       ioasid_hwpt_alloc(h->dev[0], ioas, &bogus, &none));
	HX_EQ(none, 0);
	hx_ranges(h, ioas, &r);
	HX_CHECK(hx_ranges_equal(&r, &empty), "a failed alloc changed the ranges");
	/* A mapping outside the device's aperture: the new domain cannot
	 * reserve its outside (iopt_table_add_domain(), -EADDRINUSE). */
	{
		struct ioasid_iommu_info info = { .sz = sizeof(info) };
		uint64_t out;

		HX_OK(ioasid_dev_iommu_info(h->ctx, h->name[0], &info));
		HX_CHECK(info.aperture_last < UINT64_MAX - h->page,
			 "the aperture ends at 0x%llx",
			 (unsigned long long)info.aperture_last);
		out = info.aperture_last + 1;
		hx_map_at(h, ioas, h->buf, h->page, out);
		HX_ERR(EADDRINUSE, NULL,
		       ioasid_hwpt_alloc(h->dev[0], ioas, NULL, &none));
		HX_EQ(none, 0);
		hx_ranges(h, ioas, &r);
		HX_CHECK(hx_ranges_equal(&r, &empty), "the ranges changed");
		HX_CHECK(hx_is_mapped(h, ioas, out, h->page), "the mapping went");
		HX_OK(ioasid_ioas_unmap(h->ctx, ioas, out, h->page, NULL));
	}

	for (unsigned int i = 0; i < 2; i++) {
		struct ioasid_hw_info hw_info = { .sz = sizeof(hw_info) };
		bool can;

		HX_OK(ioasid_dev_hw_info(h->dev[i], &hw_info, NULL, 0));
		can = hw_info.capabilities & IOASID_HW_CAP_DIRTY_TRACKING;
		HX_CHECK(can == !i, "device %u (%s): dirty tracking %s", i,
			 h->name[i], can ? "reported" : "not reported");
		hd = 0;
		if (can) {
			HX_OK(ioasid_hwpt_alloc(h->dev[i], ioas, &dirty, &hd));
			HX_OK(ioasid_hwpt_destroy(h->ctx, hd));
		} else {
			HX_ERR(EOPNOTSUPP, NULL,
			       ioasid_hwpt_alloc(h->dev[i], ioas, &dirty, &hd));
		}
	}

	base = hx_dev_base(h, 0, HX_BUF_SIZE);
	hx_map_at(h, ioas, h->buf, HX_BUF_SIZE, base);
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 0);
	HX_OK(ioasid_hwpt_alloc(h->dev[0], ioas, NULL, &hw));
	HX_CHECK(hw != 0 && hw != ioas, "hwpt id %u", hw);
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 1);
	HX_CHECK_MAP(h, hw, base, HX_BUF_SIZE, h->buf, true);
	hx_ranges(h, ioas, &with);
	HX_CHECK(!hx_ranges_equal(&with, &empty) && with.align > 1,
		 "an allocated hwpt did not narrow the ranges (alignment 0x%llx)",
		 (unsigned long long)with.align);
	HX_OK(ioasid_dev_attach(h->dev[0], hw, NULL));
	HX_EQ(ioasid_dev_pt_id(h->dev[0]), hw);
	HX_EQ(ioasid_dev_hwpt_id(h->dev[0]), hw);
	/* Mock devices bring no reserved region: the same ranges. */
	hx_ranges(h, ioas, &r);
	HX_CHECK(hx_ranges_equal(&r, &with), "attach changed the ranges");
	/* An attach to the IOAS does not pick a user-allocated HWPT. */
	{
		uint32_t used = 0;

		HX_OK(ioasid_dev_attach(h->dev[2], ioas, &used));
		HX_CHECK(used != hw, "attach to the ioas took hwpt %u", hw);
		HX_OK(ioasid_dev_detach(h->dev[2]));
	}
	HX_OK(ioasid_dev_detach(h->dev[0]));
	hx_ranges(h, ioas, &r);
	HX_CHECK(hx_ranges_equal(&r, &with), "the hwpt's aperture went on detach");
	HX_OK(ioasid_hwpt_destroy(h->ctx, hw));
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 0);
	hx_ranges(h, ioas, &r);
	HX_CHECK(hx_ranges_equal(&r, &empty), "destroy did not widen the ranges");
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

/* HWPTs allocated for two IOASes and replace between them: a busy HWPT
 * is -EBUSY, an idle one goes (and its pins); a HWPT holds its IOAS even
 * with no device; replace to an IOAS finds or makes a HWPT for it; the
 * library destroys by type, so an IOAS id as HWPT or a HWPT id as IOAS
 * is -ENOENT and destroys nothing.  Selftest iommufd_ioas.ioas_destroy,
 * iommufd_mock_domain.replace. */
static void hwpt_replace_destroy(struct hx *h)
{
	struct ioasid_dev *d = h->dev[0];
	uint32_t a, b, ha, hb, hauto = 0;
	uint64_t base;

	HX_OK(ioasid_ioas_alloc(h->ctx, &a));
	HX_OK(ioasid_ioas_alloc(h->ctx, &b));
	base = hx_dev_base(h, 0, HX_BUF_SIZE);
	hx_map_at(h, a, h->buf, HX_BUF_SIZE, base);
	hx_map_at(h, b, h->buf2, HX_BUF_SIZE, base);
	HX_OK(ioasid_hwpt_alloc(d, a, NULL, &ha));
	HX_OK(ioasid_hwpt_alloc(d, b, NULL, &hb));
	HX_CHECK_MAP(h, ha, base, HX_BUF_SIZE, h->buf, true);
	HX_CHECK_MAP(h, hb, base, HX_BUF_SIZE, h->buf2, true);
	HX_ERR(ENOENT, hx_dec(a), ioasid_hwpt_destroy(h->ctx, a));
	HX_ERR(ENOENT, hx_dec(hb), ioasid_ioas_destroy(h->ctx, hb));
	HX_ERR(ENOENT, hx_dec(BAD_ID), ioasid_hwpt_destroy(h->ctx, BAD_ID));
	HX_ERR(ENOENT, NULL, ioasid_hwpt_destroy(h->ctx, h->dev_id[0]));
	/* An idle HWPT still holds its IOAS. */
	HX_ERR(EBUSY, hx_dec(a), ioasid_ioas_destroy(h->ctx, a));

	HX_OK(ioasid_dev_attach(d, ha, NULL));
	HX_ERR(EBUSY, NULL, ioasid_dev_attach(d, hb, NULL));
	HX_OK(ioasid_dev_replace(d, hb, NULL));
	HX_EQ(ioasid_dev_pt_id(d), hb);
	HX_ERR(EBUSY, hx_dec(hb), ioasid_hwpt_destroy(h->ctx, hb));
	HX_EQ(ioasid_dev_pt_id(d), hb);
	HX_OK(ioasid_hwpt_destroy(h->ctx, ha));
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 0);
	HX_CHECK_REFS(h, h->buf2, HX_BUF_SIZE, 1);

	HX_OK(ioasid_dev_replace(d, a, &hauto));
	HX_CHECK(hauto && hauto != hb && hauto != a && hauto != b, "hwpt %u",
		 hauto);
	HX_EQ(ioasid_dev_pt_id(d), a);
	HX_CHECK_MAP(h, hauto, base, HX_BUF_SIZE, h->buf, true);
	HX_ERR(ENOENT, NULL, ioasid_dev_replace(d, BAD_ID, NULL));
	HX_EQ(ioasid_dev_pt_id(d), a);
	HX_ERR(EBUSY, hx_dec(a), ioasid_ioas_destroy(h->ctx, a));
	HX_OK(ioasid_hwpt_destroy(h->ctx, hb));
	HX_OK(ioasid_dev_detach(d));
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 0);
	HX_CHECK_REFS(h, h->buf2, HX_BUF_SIZE, 0);
	HX_OK(ioasid_ioas_destroy(h->ctx, a));
	HX_OK(ioasid_ioas_destroy(h->ctx, b));
	HX_EXPECT_EMPTY(h);
}

/* Closing the context with devices attached, HWPTs and mappings in it
 * releases everything: a new context starts empty, with no pin left. */
static void close_with_objects(struct hx *h)
{
	uint32_t a, hw;
	uint64_t base;

	HX_OK(ioasid_ioas_alloc(h->ctx, &a));
	base = hx_dev_base(h, 0, HX_BUF_SIZE);
	hx_map_at(h, a, h->buf, HX_BUF_SIZE, base);
	HX_OK(ioasid_hwpt_alloc(h->dev[1], a, NULL, &hw));
	HX_OK(ioasid_dev_attach(h->dev[0], a, NULL));
	HX_OK(ioasid_dev_attach(h->dev[1], hw, NULL));
	HX_CHECK_REFS(h, h->buf, HX_BUF_SIZE, 1);
	hx_reopen(h);
	HX_EXPECT_EMPTY(h);
}

static const struct hx_test tests[] = {
	HX_T(devices_share, .num_devs = 3,
	     .dev_flags = { 0, 0, HX_DEV_PASID }),
	HX_T(attach_replace_detach, .num_devs = 1),
	HX_T(hwpt_alloc, .num_devs = 3, .dev_flags = { 0, HX_DEV_NO_DIRTY, 0 }),
	HX_T(hwpt_replace_destroy, .num_devs = 1),
	HX_T(close_with_objects, .num_devs = 2),
};

HX_MAIN(tests)
