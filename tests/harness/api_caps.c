// SPDX-License-Identifier: MIT
/*
 * ioasid_caps_get() against what the calls it reports on do, on the
 * simulator and on the kernel (tests/harness/harness.h): every
 * capability that has a call in the public API is reported as working
 * exactly when that call works here, and one that is missing fails with
 * the errno the reason implies.  Two devices: the default mock (dirty
 * tracking, no PASID) and a PASID one without dirty tracking, so that
 * both answers of the device capabilities are seen.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"

#include <ioasid/testing.h>

static struct ioasid_cap caps[2][IOASID_CAP_COUNT];

static void get_caps(struct hx *h, unsigned int i, struct ioasid_cap *out,
		     struct ioasid_caps_info *info)
{
	IOASID_OPTS(ioasid_caps_opts, opts, .dev = h->dev[i]);
	uint32_t num = IOASID_CAP_COUNT;

	HX_OK(ioasid_caps_get(h->ctx, &opts, info, out, &num));
	HX_EQ(num, IOASID_CAP_COUNT);
	for (uint32_t c = 0; c < num; c++) {
		HX_EQ(out[c].id, c);
		HX_CHECK(out[c].name[0] && out[c].why[0], "capability %u: name '%s' why '%s'",
			 c, out[c].name, out[c].why);
		HX_CHECK(ioasid_cap_state_name(out[c].state) &&
				 ioasid_cap_reason_name(out[c].reason) &&
				 ioasid_cap_kind_name(out[c].kind),
			 "capability %s: state %u reason %u kind %u", out[c].name,
			 out[c].state, out[c].reason, out[c].kind);
		/* Working means no reason; a reason for everything else. */
		HX_CHECK((out[c].state == IOASID_CAP_WORKS) ==
				 (out[c].reason == IOASID_CAP_OK),
			 "%s: %s with reason %s (%s)", out[c].name,
			 ioasid_cap_state_name(out[c].state),
			 ioasid_cap_reason_name(out[c].reason), out[c].why);
	}
}

static bool works(unsigned int dev, uint32_t id)
{
	return caps[dev][id].state == IOASID_CAP_WORKS;
}

/* @rc is what the call gave; the capability must say the same. */
#define AGREES(dev, id, rc)                                                   \
	HX_CHECK(works(dev, id) == ((rc) >= 0),                               \
		 "%s reported %s (%s), the call gave %d (%s)",                \
		 caps[dev][id].name, ioasid_cap_state_name(caps[dev][id].state), \
		 caps[dev][id].why, (rc), (rc) < 0 ? ioasid_errmsg() : "ok")

static void cleanup_hwpt(struct hx *h, int rc, uint32_t id)
{
	if (rc >= 0)
		HX_OK(ioasid_hwpt_destroy(h->ctx, id));
}

/* The context-wide answers are the same with either device, and every
 * capability the API can exercise does what the probe says. */
static void caps_agree(struct hx *h)
{
	IOASID_OPTS(ioasid_caps_info, info);
	IOASID_OPTS(ioasid_caps_info, info1);
	struct ioasid_hw_info hw = { .sz = sizeof(hw) };
	uint32_t ioas, ioas2, hwpt = 0, parent = 0, nested = 0, fault = 0;
	uint32_t viommu = 0, vdev = 0, veventq = 0;
	uint64_t base, iova, copy = 0, n = 0;
	enum ioasid_rlimit_mode mode;
	int rc, fd, qfd;

	get_caps(h, 0, caps[0], &info);
	get_caps(h, 1, caps[1], &info1);
	HX_CHECK(!strcmp(info.backend, h->backend_name), "backend %s",
		 info.backend);
	HX_CHECK(info.release[0], "no release");
	HX_EQ(info.works + info.missing + info.unknown, IOASID_CAP_COUNT);
	for (uint32_t c = 0; c < IOASID_CAP_COUNT; c++)
		if (caps[0][c].kind != IOASID_CAP_KIND_DEVICE &&
		    c != IOASID_CAP_PIN)
			HX_CHECK(caps[0][c].state == caps[1][c].state,
				 "%s differs between the devices", caps[0][c].name);
	hx_say("%s: %u work, %u missing, %u unknown", info.release, info.works,
	       info.missing, info.unknown);
	for (uint32_t c = 0; c < IOASID_CAP_COUNT; c++)
		if (caps[0][c].state != IOASID_CAP_WORKS)
			hx_say("  %s %s: %s", caps[0][c].name,
			       ioasid_cap_state_name(caps[0][c].state), caps[0][c].why);

	/* The fixture itself: an iommufd, mock devices (IOMMU_TEST_CMD on
	 * the kernel), both bound. */
	HX_CHECK(works(0, IOASID_CAP_IOMMUFD), "%s", caps[0][IOASID_CAP_IOMMUFD].why);
	HX_CHECK(works(0, IOASID_CAP_TEST_CMD), "%s", caps[0][IOASID_CAP_TEST_CMD].why);
	HX_CHECK(works(0, IOASID_CAP_DEV_BIND) && works(1, IOASID_CAP_DEV_BIND),
		 "%s", caps[1][IOASID_CAP_DEV_BIND].why);

	/* The IOAS calls. */
	rc = ioasid_ioas_alloc(h->ctx, &ioas);
	AGREES(0, IOASID_CAP_IOAS_ALLOC, rc);
	HX_OK(rc);
	HX_OK(ioasid_dev_attach(h->dev[0], ioas, NULL));
	base = hx_base(h, ioas, 4 * HX_BUF_SIZE);
	{
		struct ioasid_iova_range r = { base, base + 4 * HX_BUF_SIZE - 1 };

		AGREES(0, IOASID_CAP_IOAS_ALLOW_IOVAS,
		       ioasid_ioas_allow_iovas(h->ctx, ioas, &r, 1));
	}
	rc = hx_map(h, ioas, h->buf, HX_BUF_SIZE, base);
	AGREES(0, IOASID_CAP_IOAS_MAP, rc);
	AGREES(0, IOASID_CAP_PIN, rc);
	{
		struct hx_ranges r;

		hx_ranges(h, ioas, &r); /* must succeed */
		HX_CHECK(works(0, IOASID_CAP_IOAS_IOVA_RANGES), "%s",
			 caps[0][IOASID_CAP_IOAS_IOVA_RANGES].why);
	}
	HX_OK(ioasid_ioas_alloc(h->ctx, &ioas2));
	{
		IOASID_OPTS(ioasid_map_opts, any,
			    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE |
				     IOASID_MAP_ANY_IOVA);

		rc = ioasid_ioas_copy(h->ctx, ioas2, &copy, ioas, base,
				      HX_BUF_SIZE, &any);
		AGREES(0, IOASID_CAP_IOAS_COPY, rc);
	}
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas2));
	fd = memfd_create("hx-caps", MFD_CLOEXEC);
	HX_CHECK(fd >= 0 && ftruncate(fd, (off_t)h->page) == 0, "memfd: %s",
		 strerror(errno));
	iova = base + HX_BUF_SIZE;
	rc = ioasid_ioas_map_file(h->ctx, ioas, fd, 0, h->page, &iova, NULL);
	AGREES(0, IOASID_CAP_IOAS_MAP_FILE, rc);
	close(fd);
	rc = ioasid_ioas_unmap(h->ctx, ioas, 0, UINT64_MAX, &n);
	AGREES(0, IOASID_CAP_IOAS_UNMAP, rc);
	/* Nothing mapped: nothing to move, but the call works. */
	AGREES(0, IOASID_CAP_IOAS_CHANGE_PROCESS,
	       ioasid_ioas_change_process(h->ctx, NULL));
	AGREES(0, IOASID_CAP_OPTION, ioasid_ctx_get_rlimit_mode(h->ctx, &mode));

	/* GET_HW_INFO, per device and context-wide. */
	for (unsigned int d = 0; d < 2; d++) {
		rc = ioasid_dev_hw_info(h->dev[d], &hw, NULL, 0);
		AGREES(d, IOASID_CAP_DEV_HW_INFO, rc);
		AGREES(d, IOASID_CAP_GET_HW_INFO, rc);
		/* The capability bits the probe read are the call's. */
		HX_CHECK(works(d, IOASID_CAP_DEV_DIRTY_TRACKING) ==
				 !!(hw.capabilities & IOASID_HW_CAP_DIRTY_TRACKING),
			 "dev %u dirty: %s, capabilities 0x%llx", d,
			 caps[d][IOASID_CAP_DEV_DIRTY_TRACKING].why,
			 (unsigned long long)hw.capabilities);
		HX_CHECK(works(d, IOASID_CAP_DEV_PASID) == (hw.max_pasid_log2 > 0),
			 "dev %u pasid: %s, width %u", d,
			 caps[d][IOASID_CAP_DEV_PASID].why, hw.max_pasid_log2);
	}
	HX_CHECK(!works(0, IOASID_CAP_DEV_PASID) &&
			 caps[0][IOASID_CAP_DEV_PASID].reason == IOASID_CAP_NO_PASID,
		 "the plain mock: %s", caps[0][IOASID_CAP_DEV_PASID].why);
	HX_CHECK(works(1, IOASID_CAP_DEV_PASID), "the PASID mock: %s",
		 caps[1][IOASID_CAP_DEV_PASID].why);
	HX_CHECK(!works(1, IOASID_CAP_DEV_DIRTY_TRACKING) &&
			 caps[1][IOASID_CAP_DEV_DIRTY_TRACKING].reason ==
				 IOASID_CAP_IOMMU_LACKS,
		 "the no-dirty mock: %s", caps[1][IOASID_CAP_DEV_DIRTY_TRACKING].why);

	/* HWPT_ALLOC and its flags, on each device. */
	for (unsigned int d = 0; d < 2; d++) {
		IOASID_OPTS(ioasid_hwpt_alloc_opts, dirty,
			    .flags = IOASID_HWPT_ALLOC_DIRTY_TRACKING);
		IOASID_OPTS(ioasid_hwpt_alloc_opts, pasid,
			    .flags = IOASID_HWPT_ALLOC_PASID);

		rc = ioasid_hwpt_alloc(h->dev[d], ioas, NULL, &hwpt);
		AGREES(d, IOASID_CAP_HWPT_ALLOC, rc);
		cleanup_hwpt(h, rc, hwpt);
		/* Dirty tracking: the flag and the device's IOMMU. */
		rc = ioasid_hwpt_alloc(h->dev[d], ioas, &dirty, &hwpt);
		HX_CHECK((rc >= 0) == (works(d, IOASID_CAP_HWPT_ALLOC_DIRTY_TRACKING) &&
				       works(d, IOASID_CAP_DEV_DIRTY_TRACKING)),
			 "dev %u dirty hwpt: %d (%s); %s / %s", d, rc,
			 rc < 0 ? ioasid_errmsg() : "ok",
			 caps[d][IOASID_CAP_HWPT_ALLOC_DIRTY_TRACKING].why,
			 caps[d][IOASID_CAP_DEV_DIRTY_TRACKING].why);
		if (rc >= 0) {
			AGREES(d, IOASID_CAP_HWPT_SET_DIRTY_TRACKING,
			       ioasid_hwpt_set_dirty_tracking(h->ctx, hwpt, true));
			{
				uint64_t bitmap = 0;

				AGREES(d, IOASID_CAP_HWPT_GET_DIRTY_BITMAP,
				       ioasid_hwpt_get_dirty_bitmap(h->ctx, hwpt, base,
								    h->page, h->page,
								    0, &bitmap));
			}
			HX_OK(ioasid_hwpt_set_dirty_tracking(h->ctx, hwpt, false));
		}
		cleanup_hwpt(h, rc, hwpt);
		/* A PASID-compatible HWPT: the flag (any device takes it). */
		rc = ioasid_hwpt_alloc(h->dev[d], ioas, &pasid, &hwpt);
		AGREES(d, IOASID_CAP_HWPT_ALLOC_PASID, rc);
		cleanup_hwpt(h, rc, hwpt);
	}

	/* Fault queues and a paging HWPT that reports to one. */
	rc = ioasid_fault_queue_alloc(h->ctx, &fault, &qfd);
	AGREES(0, IOASID_CAP_FAULT_QUEUE_ALLOC, rc);
	if (rc >= 0) {
		IOASID_OPTS(ioasid_hwpt_nested, f,
			    .flags = IOASID_HWPT_ALLOC_FAULT_ID_VALID,
			    .fault_id = fault);

		rc = ioasid_hwpt_alloc_nested(h->dev[0], ioas, &f, &hwpt);
		AGREES(0, IOASID_CAP_HWPT_FAULT_ID_VALID, rc);
		cleanup_hwpt(h, rc, hwpt);
	}

	/* Nesting: a nest parent and a stage 1 over it, then a vIOMMU with
	 * a vDEVICE and an event queue on it. */
	{
		IOASID_OPTS(ioasid_hwpt_alloc_opts, np,
			    .flags = IOASID_HWPT_ALLOC_NEST_PARENT);
		struct ioasid_hwpt_selftest s1 = { .iotlb = IOASID_TEST_IOTLB_DEFAULT };
		IOASID_OPTS(ioasid_hwpt_nested, nd,
			    .data_type = IOASID_HWPT_DATA_SELFTEST,
			    .data_len = sizeof(s1), .data = &s1);
		struct ioasid_invalidate_selftest inv = {
			.flags = IOASID_TEST_INVALIDATE_ALL,
		};
		uint32_t one = 1;

		rc = ioasid_hwpt_alloc(h->dev[0], ioas, &np, &parent);
		HX_CHECK((rc >= 0) == (works(0, IOASID_CAP_HWPT_ALLOC_NEST_PARENT) &&
				       works(0, IOASID_CAP_DEV_NESTING)),
			 "nest parent: %d (%s); %s", rc,
			 rc < 0 ? ioasid_errmsg() : "ok",
			 caps[0][IOASID_CAP_DEV_NESTING].why);
		HX_OK(rc); /* the mock nests */
		rc = ioasid_hwpt_alloc_nested(h->dev[0], parent, &nd, &nested);
		AGREES(0, IOASID_CAP_DEV_NESTING, rc);
		rc = ioasid_hwpt_invalidate(h->ctx, nested,
					    IOASID_INVALIDATE_DATA_SELFTEST, &inv,
					    sizeof(inv), &one);
		AGREES(0, IOASID_CAP_HWPT_INVALIDATE, rc);
		HX_OK(ioasid_hwpt_destroy(h->ctx, nested));

		rc = ioasid_viommu_alloc(h->dev[0], parent,
					 IOASID_VIOMMU_TYPE_SELFTEST, &viommu);
		AGREES(0, IOASID_CAP_VIOMMU_ALLOC, rc);
		HX_OK(rc);
		rc = ioasid_vdevice_alloc(h->dev[0], viommu, 0x10, &vdev);
		AGREES(0, IOASID_CAP_VDEVICE_ALLOC, rc);
		rc = ioasid_veventq_alloc(h->ctx, viommu, IOASID_VEVENTQ_TYPE_SELFTEST,
					  8, &veventq, NULL);
		AGREES(0, IOASID_CAP_VEVENTQ_ALLOC, rc);
		if (rc >= 0)
			HX_OK(ioasid_veventq_destroy(h->ctx, veventq));
		/* A HW queue reads guest memory mapped in the parent's IOAS. */
		{
			uint32_t q;

			hx_map_at(h, ioas, h->buf, h->page, base);
			rc = ioasid_hw_queue_alloc(h->ctx, viommu,
						   IOASID_HW_QUEUE_TYPE_SELFTEST,
						   base, h->page, NULL, &q);
			AGREES(0, IOASID_CAP_HW_QUEUE_ALLOC, rc);
			if (rc >= 0)
				HX_OK(ioasid_hw_queue_destroy(h->ctx, q));
			HX_OK(ioasid_ioas_unmap(h->ctx, ioas, base, h->page, NULL));
		}
		HX_OK(ioasid_vdevice_destroy(h->ctx, vdev));
		HX_OK(ioasid_viommu_destroy(h->ctx, viommu));
		HX_OK(ioasid_hwpt_destroy(h->ctx, parent));
	}
	if (fault)
		HX_OK(ioasid_fault_queue_destroy(h->ctx, fault));

	/* Kinds the API has no call for yet must still be answered. */
	HX_CHECK(caps[0][IOASID_CAP_HW_INFO_INPUT_TYPE].state != IOASID_CAP_UNKNOWN,
		 "%s", caps[0][IOASID_CAP_HW_INFO_INPUT_TYPE].why);
	HX_CHECK(caps[0][IOASID_CAP_IOAS_NOIOMMU_GET_PA].state != IOASID_CAP_UNKNOWN,
		 "%s", caps[0][IOASID_CAP_IOAS_NOIOMMU_GET_PA].why);

	HX_OK(ioasid_dev_detach(h->dev[0]));
	HX_OK(ioasid_ioas_destroy(h->ctx, ioas));
	HX_EXPECT_EMPTY(h);
}

/* The call's own contract: the array size, the options, the device. */
static void caps_contract(struct hx *h)
{
	IOASID_OPTS(ioasid_caps_opts, bind, .flags = IOASID_CAPS_BIND);
	IOASID_OPTS(ioasid_caps_opts, bad, .flags = 1u << 7);
	struct ioasid_caps_info small = { .sz = sizeof(size_t) };
	struct ioasid_cap few[3];
	uint32_t num = 0;

	HX_ERR(EMSGSIZE, NULL, ioasid_caps_get(h->ctx, NULL, NULL, NULL, &num));
	HX_EQ(num, IOASID_CAP_COUNT);
	num = 3;
	HX_ERR(EMSGSIZE, NULL, ioasid_caps_get(h->ctx, NULL, &small, few, &num));
	HX_EQ(num, IOASID_CAP_COUNT);
	HX_EQ(few[2].id, 2);
	HX_ERR(EINVAL, "NULL", ioasid_caps_get(h->ctx, NULL, NULL, NULL, NULL));
	num = 3;
	HX_ERR(EINVAL, "NULL", ioasid_caps_get(h->ctx, NULL, NULL, NULL, &num));
	HX_ERR(EINVAL, "flags", ioasid_caps_get(h->ctx, &bad, NULL, few, &num));
	HX_ERR(EINVAL, "opts->dev", ioasid_caps_get(h->ctx, &bind, NULL, few, &num));
	HX_ERR(EINVAL, "ctx", ioasid_caps_get(NULL, NULL, NULL, few, &num));
	HX_CHECK(!strcmp(ioasid_cap_reason_name(IOASID_CAP_NO_MSI_ISOLATION),
			 "no-msi-isolation") &&
			 !ioasid_cap_reason_name(999) && !ioasid_cap_state_name(3) &&
			 !ioasid_cap_kind_name(4),
		 "names");
}

/* A device that is open but not bound: the device capabilities wait for
 * it, and IOASID_CAPS_BIND binds it as the probe of binding. */
static void caps_bind(struct hx *h)
{
	IOASID_OPTS(ioasid_caps_opts, opts);
	struct ioasid_cap c[IOASID_CAP_COUNT];
	uint32_t num = IOASID_CAP_COUNT;
	struct ioasid_dev *d;

	hx_reopen(h);
	HX_OK(ioasid_dev_open(h->ctx, h->name[0], &d));
	opts.dev = d;
	HX_OK(ioasid_caps_get(h->ctx, &opts, NULL, c, &num));
	HX_EQ(c[IOASID_CAP_DEV_BIND].state, IOASID_CAP_UNKNOWN);
	HX_EQ(c[IOASID_CAP_DEV_NESTING].reason, IOASID_CAP_NEEDS_DEVICE);
	HX_CHECK(ioasid_dev_id(d) == 0, "the probe bound the device");
	opts.flags = IOASID_CAPS_BIND;
	HX_OK(ioasid_caps_get(h->ctx, &opts, NULL, c, &num));
	HX_EQ(c[IOASID_CAP_DEV_BIND].state, IOASID_CAP_WORKS);
	HX_EQ(c[IOASID_CAP_DEV_HW_INFO].state, IOASID_CAP_WORKS);
	HX_CHECK(ioasid_dev_id(d) != 0, "the device is not bound");
	ioasid_dev_close(d);
}

static const struct hx_test tests[] = {
	HX_T(caps_agree, .num_devs = 2,
	     .dev_flags = { 0, HX_DEV_PASID | HX_DEV_NO_DIRTY }),
	HX_T(caps_contract, .num_devs = 0),
	HX_T(caps_bind, .num_devs = 1),
};

HX_MAIN(tests)
