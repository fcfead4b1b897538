// SPDX-License-Identifier: MIT
/*
 * The kernel backend's operations on nested HWPTs, invalidation, vIOMMU
 * objects, event and fault queues, dirty tracking and test hooks, with ioctl()
 * replaced, and read()/write() replaced on the queue fds the fake ioctls
 * hand out: the ioctl sequences and fields, the handled-entry count, the
 * parsing of queue records, partial fault responses, and the errors.
 *
 * TEST_LDFLAGS: -Wl,--wrap=ioctl,--wrap=read,--wrap=write
 *
 * No Linux uAPI header here: fields are read and written at the offsets
 * of the uAPI structs.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>
#include <ioasid/testing.h>

#include "core.h"
#include "mock_ioctl.h"

#define IOMMUFD_IO(nr) _IO(';', (nr))
#define REQ_DESTROY IOMMUFD_IO(0x80)
#define REQ_IOVA_RANGES IOMMUFD_IO(0x84)
#define REQ_HWPT_ALLOC IOMMUFD_IO(0x89)
#define REQ_DIRTY_BITMAP IOMMUFD_IO(0x8c)
#define REQ_INVALIDATE IOMMUFD_IO(0x8d)
#define REQ_FAULT_ALLOC IOMMUFD_IO(0x8e)
#define REQ_VIOMMU_ALLOC IOMMUFD_IO(0x90)
#define REQ_VEVENTQ_ALLOC IOMMUFD_IO(0x93)
#define REQ_TEST_CMD IOMMUFD_IO(0xa0)

/* The queue fd the fake allocations hand out; read() and write() on it
 * are scripted, on any other fd they are the real ones. */
static int queue_fd = -1;
static unsigned char script[512];
static size_t script_len;
static int write_results[4], write_errnos[4];
static unsigned int nwrites;
static size_t last_read_count;

ssize_t __real_read(int fd, void *buf, size_t count);
ssize_t __wrap_read(int fd, void *buf, size_t count);
ssize_t __wrap_read(int fd, void *buf, size_t count)
{
	size_t n = script_len < count ? script_len : count;

	if (fd != queue_fd || queue_fd < 0)
		return __real_read(fd, buf, count);
	last_read_count = count;
	memcpy(buf, script, n);
	memmove(script, script + n, script_len - n);
	script_len -= n;
	return (ssize_t)n;
}

ssize_t __real_write(int fd, const void *buf, size_t count);
ssize_t __wrap_write(int fd, const void *buf, size_t count);
ssize_t __wrap_write(int fd, const void *buf, size_t count)
{
	unsigned int i = nwrites++;

	if (fd != queue_fd || queue_fd < 0)
		return __real_write(fd, buf, count);
	assert_true(i < 4);
	if (write_results[i] < 0) {
		errno = write_errnos[i];
		return -1;
	}
	return write_results[i];
}

struct fixture {
	struct ioasid_ctx *ctx;
	int fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .config = "");

	assert_non_null(f);
	f->fd = open("/dev/null", O_RDWR);
	assert_true(f->fd >= 0);
	/* A second descriptor stands for the queue fd the kernel returns. */
	queue_fd = open("/dev/null", O_RDWR);
	assert_true(queue_fd >= 0);
	script_len = 0;
	nwrites = 0;
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	assert_int_equal(ioasid_ctx_from_fd(f->fd, &opts, &f->ctx), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	ioasid_ctx_close(f->ctx);
	close(f->fd);
	/* The backend closed the queue fd if it took it; this one may fail. */
	close(queue_fd);
	queue_fd = -1;
	free(f);
	return 0;
}

/* ------------------------------------------------------------------ */

static const uint32_t selftest_data[2] = { 0xbadbeef, 0 };

static void fill_nested_alloc(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 48);			/* size */
	assert_int_equal(get_u32(arg, 4), IOASID_HWPT_ALLOC_FAULT_ID_VALID);
	assert_int_equal(get_u32(arg, 8), 3);			/* dev_id */
	assert_int_equal(get_u32(arg, 12), 7);			/* pt_id */
	assert_int_equal(get_u32(arg, 24), IOASID_HWPT_DATA_SELFTEST);
	assert_int_equal(get_u32(arg, 28), 8);			/* data_len */
	assert_true(get_u64(arg, 32) == (uintptr_t)selftest_data);
	assert_int_equal(get_u32(arg, 40), 5);			/* fault_id */
	put_u32(arg, 16, 9);
}

static void fill_fault_alloc(void *arg)
{
	put_u32(arg, 8, 5);
	put_u32(arg, 12, (uint32_t)queue_fd);
}

/* A nested HWPT with a fault queue; the queue cannot go while the HWPT
 * uses it; the nested HWPT is destroyed although the paging-HWPT probe
 * does not know it. */
static void nested_alloc_and_destroy(void **state)
{
	struct fixture *f = *state;
	struct ioasid_hwpt_user_args a = {
		.flags = IOASID_HWPT_ALLOC_FAULT_ID_VALID, .fault_id = 5,
		.data_type = IOASID_HWPT_DATA_SELFTEST, .data_len = 8,
		.data = selftest_data,
	};
	uint32_t fq = 0, hwpt = 0;
	int fd = -1;

	expect_ioctl(REQ_FAULT_ALLOC, 0, fill_fault_alloc);
	assert_int_equal(ioasid_fault_queue_alloc(f->ctx, &fq, &fd), 0);
	assert_int_equal(fq, 5);
	assert_int_equal(fd, queue_fd);

	expect_ioctl(REQ_HWPT_ALLOC, 0, fill_nested_alloc);
	assert_int_equal(f->ctx->ops->hwpt_alloc_user(f->ctx->be, 3, 7, &a,
							       &hwpt), 0);
	assert_int_equal(hwpt, 9);

	/* No ioctl: the kernel could only say so after the fd is closed. */
	assert_int_equal(ioasid_fault_queue_destroy(f->ctx, fq), -EBUSY);
	assert_msg_has("in use by 1 hwpt");

	expect_ioctl(REQ_DIRTY_BITMAP, ENOENT, NULL); /* not a paging HWPT */
	expect_ioctl(REQ_DESTROY, 0, NULL);
	assert_int_equal(ioasid_hwpt_destroy(f->ctx, hwpt), 0);

	expect_ioctl(REQ_DESTROY, 0, NULL);
	assert_int_equal(ioasid_fault_queue_destroy(f->ctx, fq), 0);
	/* Closed by the backend. */
	assert_int_equal(fcntl(queue_fd, F_GETFD), -1);
	queue_fd = -1;
	/* Gone from the list: no ioctl. */
	assert_int_equal(ioasid_fault_queue_destroy(f->ctx, fq), -ENOENT);
}

static void nested_alloc_errors(void **state)
{
	struct fixture *f = *state;
	struct ioasid_hwpt_user_args a = {
		.data_type = IOASID_HWPT_DATA_SELFTEST, .data_len = 8,
		.data = selftest_data,
	};
	uint32_t hwpt = 0;

	expect_ioctl(REQ_HWPT_ALLOC, ENOTTY, NULL);
	assert_int_equal(f->ctx->ops->hwpt_alloc_user(f->ctx->be, 3, 7, &a,
							       &hwpt), -ENOTTY);
	assert_msg_has("Linux 6.7");
	a.flags = IOASID_HWPT_ALLOC_FAULT_ID_VALID;
	a.fault_id = 999;
	expect_ioctl(REQ_HWPT_ALLOC, ENOENT, NULL);
	assert_int_equal(f->ctx->ops->hwpt_alloc_user(f->ctx->be, 3, 7, &a,
							       &hwpt), -ENOENT);
	assert_msg_has("fault 999");
	a.flags = IOASID_HWPT_ALLOC_PASID;
	expect_ioctl(REQ_HWPT_ALLOC, E2BIG, NULL);
	assert_int_equal(f->ctx->ops->hwpt_alloc_user(f->ctx->be, 3, 7, &a,
							       &hwpt), -E2BIG);
	assert_msg_has("Linux 6.15");
	/* A HWPT the list does not know stays unknown to destroy. */
	expect_ioctl(REQ_DIRTY_BITMAP, ENOENT, NULL);
	assert_int_equal(ioasid_hwpt_destroy(f->ctx, 9), -ENOENT);
}

static void fill_invalidate_stop2(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 9);		/* hwpt_id */
	assert_int_equal(get_u32(arg, 16), IOASID_INVALIDATE_DATA_SELFTEST);
	assert_int_equal(get_u32(arg, 20), 8);		/* entry_len */
	assert_int_equal(get_u32(arg, 24), 3);		/* entry_num in */
	put_u32(arg, 24, 2);
}

static void invalidate_reports_handled(void **state)
{
	struct fixture *f = *state;
	struct ioasid_invalidate_selftest e[3] = {
		{ .iotlb_id = 1 }, { .iotlb_id = 2 }, { .iotlb_id = 7 },
	};
	uint32_t num = 3;

	expect_ioctl(REQ_INVALIDATE, EINVAL, fill_invalidate_stop2);
	assert_int_equal(ioasid_hwpt_invalidate(f->ctx, 9,
						IOASID_INVALIDATE_DATA_SELFTEST,
						e, sizeof(e[0]), &num),
			 -EINVAL);
	assert_int_equal(num, 2);
	assert_msg_has("stopped at entry 2 of 3");

	num = 3;
	expect_ioctl(REQ_INVALIDATE, ENOTTY, NULL);
	assert_int_equal(ioasid_hwpt_invalidate(f->ctx, 9,
						IOASID_INVALIDATE_DATA_SELFTEST,
						e, sizeof(e[0]), &num),
			 -ENOTTY);
	assert_int_equal(num, 0);
	assert_msg_has("Linux 6.8");
}

static void fill_viommu(void *arg)
{
	assert_int_equal(get_u32(arg, 0), 24); /* through out_viommu_id */
	assert_int_equal(get_u32(arg, 8), IOASID_VIOMMU_TYPE_SELFTEST);
	assert_int_equal(get_u32(arg, 12), 3);
	assert_int_equal(get_u32(arg, 16), 7);
	put_u32(arg, 20, 11);
}

static void fill_veventq(void *arg)
{
	assert_int_equal(get_u32(arg, 8), 11);
	assert_int_equal(get_u32(arg, 12), IOASID_VEVENTQ_TYPE_SELFTEST);
	assert_int_equal(get_u32(arg, 16), 2);
	put_u32(arg, 20, 12);
	put_u32(arg, 24, (uint32_t)queue_fd);
}

static void script_add(const void *p, size_t len)
{
	memcpy(script + script_len, p, len);
	script_len += len;
}

/* Records: two selftest events (header + u32 virt id), then a
 * LOST_EVENTS header without data. */
static void veventq_records(void **state)
{
	struct fixture *f = *state;
	uint32_t vi = 0, q = 0, rec[3];
	struct ioasid_vevent ev[4];
	uint32_t num = 4;
	int fd = -1;

	expect_ioctl(REQ_VIOMMU_ALLOC, 0, fill_viommu);
	assert_int_equal(f->ctx->ops->viommu_alloc(f->ctx->be, 3, 7,
							    IOASID_VIOMMU_TYPE_SELFTEST,
							    &vi), 0);
	assert_int_equal(vi, 11);
	expect_ioctl(REQ_VEVENTQ_ALLOC, 0, fill_veventq);
	assert_int_equal(ioasid_veventq_alloc(f->ctx, vi, IOASID_VEVENTQ_TYPE_SELFTEST,
					      2, &q, &fd), 0);
	assert_int_equal(q, 12);

	rec[0] = 0, rec[1] = 0, rec[2] = 0x10;
	script_add(rec, 12);
	rec[1] = 1;
	script_add(rec, 12);
	rec[0] = IOASID_VEVENT_LOST_EVENTS, rec[1] = 3;
	script_add(rec, 8);
	assert_int_equal(ioasid_veventq_read(f->ctx, q, ev, &num), 0);
	assert_int_equal(last_read_count, 4 * 12);
	assert_int_equal(num, 3);
	assert_int_equal(ev[0].sequence, 0);
	assert_int_equal(ev[0].data_len, 4);
	assert_int_equal(ev[1].sequence, 1);
	assert_int_equal(get_u32(ev[1].data, 0), 0x10);
	assert_int_equal(ev[2].flags, IOASID_VEVENT_LOST_EVENTS);
	assert_int_equal(ev[2].sequence, 3);
	assert_int_equal(ev[2].data_len, 0);

	/* Empty: nothing, no error. */
	num = 4;
	assert_int_equal(ioasid_veventq_read(f->ctx, q, ev, &num), 0);
	assert_int_equal(num, 0);

	/* A torn record is the kernel's layout differing: EIO. */
	script_add(rec, 4);
	num = 4;
	assert_int_equal(ioasid_veventq_read(f->ctx, q, ev, &num), -EIO);
	assert_msg_has("not a whole record");

	/* The vIOMMU is busy: the kernel's EBUSY, explained. */
	expect_ioctl(REQ_DESTROY, EBUSY, NULL);
	assert_int_equal(ioasid_viommu_destroy(f->ctx, vi), -EBUSY);
	assert_msg_has("still use it");
	/* Typed: the queue's id is not a vIOMMU. */
	assert_int_equal(ioasid_viommu_destroy(f->ctx, q), -ENOENT);
	expect_ioctl(REQ_DESTROY, 0, NULL);
	assert_int_equal(ioasid_veventq_destroy(f->ctx, q), 0);
	queue_fd = -1;
}

static void veventq_unknown_type(void **state)
{
	struct fixture *f = *state;
	uint32_t q = 0;

	/* No ioctl: the library could not split its records. */
	assert_int_equal(ioasid_veventq_alloc(f->ctx, 11, 0x77, 2, &q, NULL),
			 -EOPNOTSUPP);
	assert_msg_has("size of its events");
	expect_ioctl(REQ_VEVENTQ_ALLOC, ENOTTY, NULL);
	assert_int_equal(ioasid_veventq_alloc(f->ctx, 11, IOASID_VEVENTQ_TYPE_ARM_SMMUV3,
					      2, &q, NULL),
			 -ENOTTY);
	assert_msg_has("Linux 6.15");
}

static void fault_read_and_respond(void **state)
{
	struct fixture *f = *state;
	unsigned char rec[40];
	struct ioasid_fault fl[4];
	struct ioasid_fault_response r[3] = {
		{ .cookie = 1 }, { .cookie = 77 }, { .cookie = 2 },
	};
	uint32_t fq = 0, num = 4;

	expect_ioctl(REQ_FAULT_ALLOC, 0, fill_fault_alloc);
	assert_int_equal(ioasid_fault_queue_alloc(f->ctx, &fq, NULL), 0);
	for (uint32_t i = 0; i < 2; i++) {
		memset(rec, 0, sizeof(rec));
		put_u32(rec, 0, IOASID_FAULT_LAST_PAGE);
		put_u32(rec, 4, 3);		/* dev_id */
		put_u32(rec, 12, 5 + i);	/* grpid */
		put_u32(rec, 16, IOASID_FAULT_PERM_WRITE);
		put_u64(rec, 24, 0x1000000 + 0x2000ull * i);
		put_u32(rec, 36, i + 1);	/* cookie */
		script_add(rec, sizeof(rec));
	}
	assert_int_equal(ioasid_fault_read(f->ctx, fq, fl, &num), 0);
	assert_int_equal(last_read_count, 4 * 40);
	assert_int_equal(num, 2);
	assert_int_equal(fl[1].cookie, 2);
	assert_int_equal(fl[1].grpid, 6);
	assert_int_equal(fl[1].dev_id, 3);
	assert_true(fl[1].addr == 0x1002000);
	assert_int_equal(fl[1].flags, IOASID_FAULT_LAST_PAGE);

	/* The kernel takes the first response, then refuses cookie 77. */
	write_results[0] = 8;
	write_results[1] = -1, write_errnos[1] = EINVAL;
	nwrites = 0;
	num = 3;
	assert_int_equal(ioasid_fault_respond(f->ctx, fq, r, &num), -EINVAL);
	assert_int_equal(num, 1);
	assert_int_equal(nwrites, 2);
	assert_msg_has("response 1 (cookie 77");
	/* All three in one write. */
	write_results[0] = 24;
	nwrites = 0;
	num = 3;
	assert_int_equal(ioasid_fault_respond(f->ctx, fq, r, &num), 0);
	assert_int_equal(num, 3);
	assert_int_equal(nwrites, 1);
	/* Left to the context's close, which closes the fd. */
}

static void fill_test_dirty(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 13);		/* IOMMU_TEST_OP_DIRTY */
	assert_int_equal(get_u32(arg, 8), 6);		/* hwpt */
	assert_true(get_u64(arg, 24) == 0x1000000);	/* iova */
	assert_true(get_u64(arg, 32) == 0x4000);	/* length */
	assert_true(get_u64(arg, 40) == 0x800);		/* page_size */
	put_u64(arg, 56, 2);				/* out_nr_dirty */
}

static void fill_check_iotlb(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 14);
	assert_int_equal(get_u32(arg, 8), 9);
	assert_int_equal(get_u32(arg, 16), 3);		/* index */
	assert_int_equal(get_u32(arg, 20), 0xbadbeef);
}

static void fill_dirty_bitmap(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 6);
	assert_int_equal(get_u32(arg, 8), IOASID_DIRTY_NO_CLEAR);
	assert_true(get_u64(arg, 24) == 0x4000);
	assert_true(get_u64(arg, 32) == 0x800);
}

static void dirty_and_test_ops(void **state)
{
	struct fixture *f = *state;
	uint64_t bm = 0x5, nr = 0;

	expect_ioctl(REQ_TEST_CMD, 0, fill_test_dirty);
	assert_int_equal(ioasid_test_dirty(f->ctx, 6, 0x1000000, 0x4000, 0x800, &bm,
					   &nr), 0);
	assert_true(nr == 2);
	expect_ioctl(REQ_TEST_CMD, EINVAL, NULL);
	assert_int_equal(ioasid_test_dirty(f->ctx, 6, 0x1000000, 0x4000, 0x800, &bm,
					   &nr), -EINVAL);
	assert_msg_has("not tracking dirty pages");

	expect_ioctl(REQ_TEST_CMD, 0, fill_check_iotlb);
	assert_int_equal(ioasid_test_check_iotlb(f->ctx, 9, 3, 0xbadbeef), 0);

	expect_ioctl(REQ_DIRTY_BITMAP, 0, fill_dirty_bitmap);
	assert_int_equal(ioasid_hwpt_get_dirty_bitmap(f->ctx, 6, 0x1000000, 0x4000,
						      0x800, IOASID_DIRTY_NO_CLEAR,
						      &bm), 0);
	expect_ioctl(REQ_DIRTY_BITMAP, EOPNOTSUPP, NULL);
	assert_int_equal(ioasid_hwpt_get_dirty_bitmap(f->ctx, 6, 0x1000000, 0x4000,
						      0x800, 0, &bm),
			 -EOPNOTSUPP);
	assert_msg_has("without IOASID_HWPT_ALLOC_DIRTY_TRACKING");
	expect_ioctl(IOMMUFD_IO(0x8b), ENOTTY, NULL);
	assert_int_equal(ioasid_hwpt_set_dirty_tracking(f->ctx, 6, true), -ENOTTY);
	assert_msg_has("Linux 6.7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(nested_alloc_and_destroy, setup, teardown),
		cmocka_unit_test_setup_teardown(nested_alloc_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(invalidate_reports_handled, setup, teardown),
		cmocka_unit_test_setup_teardown(veventq_records, setup, teardown),
		cmocka_unit_test_setup_teardown(veventq_unknown_type, setup, teardown),
		cmocka_unit_test_setup_teardown(fault_read_and_respond, setup, teardown),
		cmocka_unit_test_setup_teardown(dirty_and_test_ops, setup, teardown),
	};

	return cmocka_run_group_tests_name("kernel_nested", tests, NULL, NULL);
}
