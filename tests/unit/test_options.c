// SPDX-License-Identifier: MIT
/*
 * IOMMU hardware information, iommufd options (rlimit mode, huge pages),
 * and group-wide replace, on the simulator with the built-in x86 server.
 */
#include "helpers.h"

#define NIC "0000:00:03.0"    /* group 10, class 0, no PASID */
#define NVME "0000:00:04.0"   /* group 11, PASID width 20 */
#define CARD_F0 "0000:00:05.0" /* group 12, with CARD_F1 */
#define CARD_F1 "0000:00:05.1"

struct fix {
	struct ioasid_ctx *ctx;
};

static int setup(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM);
	struct fix *f = calloc(1, sizeof(*f));

	if (!f || ioasid_ctx_open(&opts, &f->ctx))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fix *f = *state;

	ioasid_ctx_close(f->ctx);
	free(f);
	return 0;
}

static struct ioasid_dev *open_bound(struct fix *f, const char *name)
{
	struct ioasid_dev *dev;

	OK(ioasid_dev_open(f->ctx, name, &dev));
	OK(ioasid_dev_bind(dev, NULL));
	return dev;
}

/* device.c iommufd_get_hw_info(): the type of the IOMMU driver, its
 * capabilities, and the PASID width both IOMMU and device support. */
static void hw_info_reports_iommu(void **state)
{
	struct fix *f = *state;
	struct ioasid_hw_info info = { .sz = sizeof(info) };
	struct ioasid_dev *nic = open_bound(f, NIC);
	struct ioasid_dev *nvme = open_bound(f, NVME);
	unsigned char data[16];

	memset(data, 0xaa, sizeof(data));
	OK(ioasid_dev_hw_info(nic, &info, data, sizeof(data)));
	assert_int_equal(info.type, IOASID_HW_INFO_INTEL_VTD);
	assert_true(info.capabilities & IOASID_HW_CAP_DIRTY_TRACKING);
	assert_int_equal(info.max_pasid_log2, 0);
	/* Bytes the backend has no data for are zeroed, as the kernel's
	 * clear_user() of the tail does. */
	for (size_t i = 0; i < sizeof(data); i++)
		assert_int_equal(data[i], 0);

	OK(ioasid_dev_hw_info(nvme, &info, NULL, 0));
	assert_int_equal(info.max_pasid_log2, 20);
}

/* A simulated device has no VFIO fd for a VMM to use. */
static void dev_fd_on_sim(void **state)
{
	struct fix *f = *state;
	struct ioasid_dev *dev;

	OK(ioasid_dev_open(f->ctx, NIC, &dev));
	EXPECT_ERR(EOPNOTSUPP, NIC, ioasid_dev_fd(dev));
	EXPECT_ERR(EINVAL, "dev is NULL", ioasid_dev_fd(NULL));
}

static void hw_info_errors(void **state)
{
	struct fix *f = *state;
	struct ioasid_hw_info info = { .sz = sizeof(info) };
	struct ioasid_dev *dev;

	OK(ioasid_dev_open(f->ctx, NIC, &dev));
	/* An unbound device has no id the kernel could look up. */
	EXPECT_ERR(EINVAL, "not bound", ioasid_dev_hw_info(dev, &info, NULL, 0));
	OK(ioasid_dev_bind(dev, NULL));
	EXPECT_ERR(EINVAL, "data is NULL",
		   ioasid_dev_hw_info(dev, &info, NULL, 8));
	EXPECT_ERR(EINVAL, "info", ioasid_dev_hw_info(dev, NULL, NULL, 0));
	EXPECT_ERR(EINVAL, "dev is NULL",
		   ioasid_dev_hw_info(NULL, &info, NULL, 0));
}

/* ioas.c iommufd_option_rlimit_mode(): changeable only while the context
 * holds no object; values 0 and 1. */
static void rlimit_mode(void **state)
{
	struct fix *f = *state;
	enum ioasid_rlimit_mode mode = 42;
	uint32_t ioas;

	OK(ioasid_ctx_get_rlimit_mode(f->ctx, &mode));
	assert_int_equal(mode, IOASID_RLIMIT_PER_USER);
	OK(ioasid_ctx_set_rlimit_mode(f->ctx, IOASID_RLIMIT_PER_PROCESS));
	OK(ioasid_ctx_get_rlimit_mode(f->ctx, &mode));
	assert_int_equal(mode, IOASID_RLIMIT_PER_PROCESS);
	EXPECT_ERR(EINVAL, "7", ioasid_ctx_set_rlimit_mode(f->ctx, 7));

	OK(ioasid_ioas_alloc(f->ctx, &ioas));
	EXPECT_ERR(EBUSY, "object",
		   ioasid_ctx_set_rlimit_mode(f->ctx, IOASID_RLIMIT_PER_USER));
	OK(ioasid_ctx_get_rlimit_mode(f->ctx, &mode));
	assert_int_equal(mode, IOASID_RLIMIT_PER_PROCESS);
}

static uint64_t alignment_of(struct fix *f, uint32_t ioas)
{
	uint32_t num = 0;
	uint64_t align = 0;
	int rc = ioasid_ioas_iova_ranges(f->ctx, ioas, NULL, &num, &align);

	assert_true(rc == 0 || rc == -EMSGSIZE);
	return align;
}

/* ioas.c iommufd_ioas_option_huge_pages(), io_pagetable.c
 * iopt_disable_large_pages() and iopt_calculate_iova_alignment(). */
static void huge_pages(void **state)
{
	struct fix *f = *state;
	struct ioasid_dev *dev = open_bound(f, NIC);
	uint64_t iova = 0x100000;
	bool on = false;
	uint32_t ioas;
	void *buf;

	OK(ioasid_ioas_alloc(f->ctx, &ioas));
	OK(ioasid_ioas_get_huge_pages(f->ctx, ioas, &on));
	assert_true(on);
	assert_int_equal(alignment_of(f, ioas), 1);

	/* Forbidding large pages makes the kernel map page by page, so the
	 * IOVA alignment becomes the page size. */
	OK(ioasid_ioas_set_huge_pages(f->ctx, ioas, false));
	OK(ioasid_ioas_get_huge_pages(f->ctx, ioas, &on));
	assert_false(on);
	assert_int_equal(alignment_of(f, ioas), SZ_4K);
	/* Enabling again keeps the alignment until it is recomputed. */
	OK(ioasid_ioas_set_huge_pages(f->ctx, ioas, true));
	assert_int_equal(alignment_of(f, ioas), SZ_4K);

	EXPECT_ERR(ENOENT, BAD_ID_STR,
		   ioasid_ioas_set_huge_pages(f->ctx, BAD_ID, false));
	EXPECT_ERR(EINVAL, "enabled is NULL",
		   ioasid_ioas_get_huge_pages(f->ctx, ioas, NULL));

	/* With a domain attached and memory mapped it is too late. */
	buf = mmap(NULL, SZ_2M, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_ptr_not_equal(buf, MAP_FAILED);
	OK(ioasid_dev_attach(dev, ioas, NULL));
	OK(ioasid_ioas_map(f->ctx, ioas, buf, SZ_2M, &iova, NULL));
	EXPECT_ERR(EINVAL, "already has memory mapped",
		   ioasid_ioas_set_huge_pages(f->ctx, ioas, false));
	OK(ioasid_ioas_get_huge_pages(f->ctx, ioas, &on));
	assert_true(on);
	munmap(buf, SZ_2M);
}

/* iommufd_device_do_replace(): the group moves as a unit, so the other
 * function of the card follows to the new IOAS. */
static void replace_moves_group(void **state)
{
	struct fix *f = *state;
	struct ioasid_dev *f0 = open_bound(f, CARD_F0);
	struct ioasid_dev *f1 = open_bound(f, CARD_F1);
	uint32_t ioas1, ioas2, hwpt1, hwpt2, hwpt;

	OK(ioasid_ioas_alloc(f->ctx, &ioas1));
	OK(ioasid_ioas_alloc(f->ctx, &ioas2));
	OK(ioasid_dev_attach(f0, ioas1, &hwpt1));
	OK(ioasid_dev_attach(f1, ioas1, &hwpt));
	assert_int_equal(hwpt, hwpt1);
	OK(ioasid_dev_replace(f0, ioas2, &hwpt2));
	assert_int_equal(ioasid_dev_pt_id(f1), ioas2);
	assert_int_equal(ioasid_dev_hwpt_id(f1), hwpt2);
	/* ioas1 has no user left, so it can go. */
	OK(ioasid_ioas_destroy(f->ctx, ioas1));
	OK(ioasid_dev_detach(f1));
	OK(ioasid_dev_detach(f0));
	OK(ioasid_ioas_destroy(f->ctx, ioas2));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hw_info_reports_iommu, setup,
						teardown),
		cmocka_unit_test_setup_teardown(hw_info_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(dev_fd_on_sim, setup, teardown),
		cmocka_unit_test_setup_teardown(rlimit_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(huge_pages, setup, teardown),
		cmocka_unit_test_setup_teardown(replace_moves_group, setup,
						teardown),
	};

	return cmocka_run_group_tests_name("options", tests, NULL, NULL);
}
