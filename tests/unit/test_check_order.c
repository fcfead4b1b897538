// SPDX-License-Identifier: MIT
/*
 * Where the stateless checks sit (the contract in lib/backend/backend.h):
 * core checks what the kernel's ioctl handler checks before it looks the
 * object up, the backend everything after, in the handler's order
 * (drivers/iommu/iommufd/ioas.c iommufd_ioas_map() and friends).  So an
 * IOAS that does not exist wins over a zero length, a range that wraps,
 * a bad va or fd, inverted allowed ranges or a bad option value -- on the
 * simulator, and on the kernel backend, whose ioctl() is replaced here:
 * the library makes the ioctl, with the arguments as given, and the
 * kernel's answer comes back, instead of a refusal of its own.  What the
 * handler checks before its lookup still comes first, on both, without
 * an ioctl.
 *
 * TEST_LDFLAGS: -Wl,--wrap=ioctl
 *
 * No Linux uAPI header here: request numbers are built with _IO() and
 * fields read at the offsets of the uAPI structs.
 */
#include "helpers.h"

#include <fcntl.h>
#include <sys/ioctl.h>

#include "mock_ioctl.h"

#define REQ_IOAS_ALLOW_IOVAS _IO(';', 0x82)
#define REQ_IOAS_COPY _IO(';', 0x83)
#define REQ_IOVA_RANGES _IO(';', 0x84)
#define REQ_IOAS_MAP _IO(';', 0x85)
#define REQ_IOAS_UNMAP _IO(';', 0x86)
#define REQ_OPTION _IO(';', 0x87)
#define REQ_DIRTY_BITMAP _IO(';', 0x8c)
#define REQ_IOAS_MAP_FILE _IO(';', 0x8f)

#define NO_IOCTL 0ul

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

/* ---- The ioctl arguments the kernel would see ---------------------- */

/* struct iommu_ioas_map: ioas_id at 8, user_va at 16, length at 24. */
static void map_len0(void *arg)
{
	assert_int_equal(get_u32(arg, 8), BAD_ID);
	assert_int_equal(get_u64(arg, 24), 0);
}

static void map_wraps(void *arg)
{
	assert_int_equal(get_u32(arg, 8), BAD_ID);
	assert_int_equal(get_u64(arg, 32), UINT64_MAX - 0xfff); /* iova */
}

static void map_null_va(void *arg)
{
	assert_int_equal(get_u32(arg, 8), BAD_ID);
	assert_int_equal(get_u64(arg, 16), 0);
}

/* struct iommu_ioas_map_file: ioas_id at 8, fd at 12, length at 24. */
static void map_file_len0(void *arg)
{
	assert_int_equal(get_u32(arg, 8), BAD_ID);
	assert_int_equal(get_u64(arg, 24), 0);
}

static void map_file_bad_fd(void *arg)
{
	assert_int_equal(get_u32(arg, 8), BAD_ID);
	assert_int_equal((int32_t)get_u32(arg, 12), -1);
}

/* struct iommu_ioas_unmap: ioas_id at 4, iova at 8, length at 16. */
static void unmap_len0(void *arg)
{
	assert_int_equal(get_u32(arg, 4), BAD_ID);
	assert_int_equal(get_u64(arg, 16), 0);
}

static void unmap_at_limit(void *arg)
{
	assert_int_equal(get_u32(arg, 4), BAD_ID);
	assert_int_equal(get_u64(arg, 8), UINT64_MAX);
}

/* struct iommu_ioas_copy: src_ioas_id at 12, length at 16. */
static void copy_len0(void *arg)
{
	assert_int_equal(get_u32(arg, 12), BAD_ID);
	assert_int_equal(get_u64(arg, 16), 0);
}

/* struct iommu_ioas_allow_iovas: ioas_id at 4, num_iovas at 8. */
static void allow_inverted(void *arg)
{
	assert_int_equal(get_u32(arg, 4), BAD_ID);
	assert_int_equal(get_u32(arg, 8), 1);
}

/* struct iommu_option: option_id at 4, val64 at 16. */
static void option_rlimit_7(void *arg)
{
	assert_int_equal(get_u32(arg, 4), 0); /* IOMMU_OPTION_RLIMIT_MODE */
	assert_int_equal(get_u64(arg, 16), 7);
}

/* struct iommu_hwpt_get_dirty_bitmap: hwpt_id at 4, length at 24 (the
 * type probe asks for none). */
static void dirty_probe(void *arg)
{
	assert_int_equal(get_u32(arg, 4), BAD_ID);
	assert_int_equal(get_u64(arg, 24), 0);
}

/* ---- The calls ----------------------------------------------------- */

static char page[4096] __attribute__((aligned(4096)));

static int map_zero_length(struct ioasid_ctx *ctx)
{
	uint64_t iova = SZ_1M;

	return ioasid_ioas_map(ctx, BAD_ID, page, 0, &iova, NULL);
}

static int map_range_wraps(struct ioasid_ctx *ctx)
{
	uint64_t iova = UINT64_MAX - 0xfff;

	return ioasid_ioas_map(ctx, BAD_ID, page, 2 * SZ_4K, &iova, NULL);
}

static int map_va_null(struct ioasid_ctx *ctx)
{
	uint64_t iova = SZ_1M;

	return ioasid_ioas_map(ctx, BAD_ID, NULL, SZ_4K, &iova, NULL);
}

static int map_file_zero_length(struct ioasid_ctx *ctx)
{
	uint64_t iova = SZ_1M;

	return ioasid_ioas_map_file(ctx, BAD_ID, 0, 0, 0, &iova, NULL);
}

static int map_file_fd_bad(struct ioasid_ctx *ctx)
{
	uint64_t iova = SZ_1M;

	return ioasid_ioas_map_file(ctx, BAD_ID, -1, 0, SZ_4K, &iova, NULL);
}

static int unmap_zero_length(struct ioasid_ctx *ctx)
{
	return ioasid_ioas_unmap(ctx, BAD_ID, SZ_1M, 0, NULL);
}

static int unmap_iova_at_limit(struct ioasid_ctx *ctx)
{
	return ioasid_ioas_unmap(ctx, BAD_ID, UINT64_MAX, 1, NULL);
}

static int copy_zero_length(struct ioasid_ctx *ctx)
{
	uint64_t iova = SZ_1M;

	return ioasid_ioas_copy(ctx, BAD_ID, &iova, BAD_ID, SZ_1M, 0, NULL);
}

static int allow_start_after_last(struct ioasid_ctx *ctx)
{
	const struct ioasid_iova_range r = { .start = 0x2000, .last = 0x1000 };

	return ioasid_ioas_allow_iovas(ctx, BAD_ID, &r, 1);
}

static int rlimit_mode_7(struct ioasid_ctx *ctx)
{
	return ioasid_ctx_set_rlimit_mode(ctx, (enum ioasid_rlimit_mode)7);
}

static int dirty_page_size_3(struct ioasid_ctx *ctx)
{
	uint64_t bitmap[1] = { 0 };

	return ioasid_hwpt_get_dirty_bitmap(ctx, BAD_ID, 0, 3 * SZ_4K,
					    3 * SZ_4K, 0, bitmap);
}

/* Before the lookup: refused by core, no ioctl. */
static int map_no_access(struct ioasid_ctx *ctx)
{
	IOASID_OPTS(ioasid_map_opts, o, .flags = IOASID_MAP_ANY_IOVA);
	uint64_t iova = 0;

	return ioasid_ioas_map(ctx, BAD_ID, page, 0, &iova, &o);
}

static int map_length_at_limit(struct ioasid_ctx *ctx)
{
	uint64_t iova = SZ_1M;

	return ioasid_ioas_map(ctx, BAD_ID, page, UINT64_MAX, &iova, NULL);
}

static int map_unknown_flag(struct ioasid_ctx *ctx)
{
	IOASID_OPTS(ioasid_map_opts, o, .flags = IOASID_MAP_READ | (1u << 30));
	uint64_t iova = SZ_1M;

	return ioasid_ioas_map(ctx, BAD_ID, page, 0, &iova, &o);
}

static int copy_src_at_limit(struct ioasid_ctx *ctx)
{
	uint64_t iova = SZ_1M;

	return ioasid_ioas_copy(ctx, BAD_ID, &iova, BAD_ID, UINT64_MAX, 0, NULL);
}

static int dirty_unknown_flag(struct ioasid_ctx *ctx)
{
	uint64_t bitmap[1] = { 0 };

	return ioasid_hwpt_get_dirty_bitmap(ctx, BAD_ID, 0, 0, 3 * SZ_4K,
					    1u << 7, bitmap);
}

struct order_case {
	const char *name;
	int (*call)(struct ioasid_ctx *ctx);
	int err;	    /* on both backends */
	const char *needle; /* in the simulator's message, or NULL */
	unsigned long req;  /* the kernel backend's ioctl, or NO_IOCTL */
	fill_fn check;	    /* its arguments */
};

static const struct order_case cases[] = {
	/* After the lookup: the backend's. */
	{ "map, length 0", map_zero_length, ENOENT, BAD_ID_STR, REQ_IOAS_MAP, map_len0 },
	{ "map, iova + length wraps", map_range_wraps, ENOENT, BAD_ID_STR, REQ_IOAS_MAP, map_wraps },
	{ "map, va NULL", map_va_null, ENOENT, BAD_ID_STR, REQ_IOAS_MAP, map_null_va },
	{ "map_file, length 0", map_file_zero_length, ENOENT, BAD_ID_STR, REQ_IOAS_MAP_FILE, map_file_len0 },
	{ "map_file, fd -1", map_file_fd_bad, ENOENT, BAD_ID_STR, REQ_IOAS_MAP_FILE, map_file_bad_fd },
	{ "unmap, length 0", unmap_zero_length, ENOENT, BAD_ID_STR, REQ_IOAS_UNMAP, unmap_len0 },
	{ "unmap, iova at ULONG_MAX", unmap_iova_at_limit, ENOENT, BAD_ID_STR, REQ_IOAS_UNMAP, unmap_at_limit },
	{ "copy, length 0", copy_zero_length, ENOENT, BAD_ID_STR, REQ_IOAS_COPY, copy_len0 },
	{ "allow_iovas, start > last", allow_start_after_last, ENOENT, BAD_ID_STR, REQ_IOAS_ALLOW_IOVAS, allow_inverted },
	/* The objects come before the value (the fixture holds an IOAS). */
	{ "rlimit mode 7", rlimit_mode_7, EBUSY, "object", REQ_OPTION, option_rlimit_7 },
	{ "dirty bitmap, page size 12K", dirty_page_size_3, ENOENT, BAD_ID_STR, REQ_DIRTY_BITMAP, dirty_probe },
	/* Before the lookup: core's, in the handler's order. */
	{ "map, no access", map_no_access, EINVAL, "neither", NO_IOCTL, NULL },
	{ "map, length ULONG_MAX", map_length_at_limit, EOVERFLOW, "length", NO_IOCTL, NULL },
	{ "map, unknown flag", map_unknown_flag, EOPNOTSUPP, "flags", NO_IOCTL, NULL },
	{ "copy, src_iova ULONG_MAX", copy_src_at_limit, EOVERFLOW, "src_iova", NO_IOCTL, NULL },
	{ "dirty bitmap, unknown flag", dirty_unknown_flag, EOPNOTSUPP, "flags", NO_IOCTL, NULL },
};

static void check_case(const struct order_case *c, int rc, const char *backend)
{
	if (rc != -c->err)
		fail_msg("%s on the %s backend: got %d (%s), want %d (%s); message \"%s\"",
			 c->name, backend, rc, rc < 0 ? strerror(-rc) : "success",
			 -c->err, strerror(c->err), ioasid_errmsg());
	assert_int_equal(errno, c->err);
}

static void on_the_simulator(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	uint32_t ioas;

	(void)state;
	OK(ioasid_ioas_alloc(ctx, &ioas)); /* an object: EBUSY for the mode */
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct order_case *c = &cases[i];

		check_case(c, c->call(ctx), "sim");
		if (c->needle)
			assert_msg_has(c->needle);
	}
	/* With the IOAS there, the checks after the lookup answer. */
	{
		uint64_t iova = SZ_1M;

		EXPECT_ERR(EINVAL, "length",
			   ioasid_ioas_map(ctx, ioas, page, 0, &iova, NULL));
		EXPECT_ERR(EINVAL, "length",
			   ioasid_ioas_unmap(ctx, ioas, SZ_1M, 0, NULL));
		EXPECT_ERR(EOVERFLOW, NULL,
			   ioasid_ioas_unmap(ctx, ioas, UINT64_MAX, 1, NULL));
	}
	ioasid_ctx_close(ctx);
}

static void through_the_kernel_backend(void **state)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .config = "");
	struct ioasid_ctx *ctx = NULL;
	int fd = open("/dev/null", O_RDWR);

	(void)state;
	assert_true(fd >= 0);
	/* Adopting checks the fd with a query of IOAS 0. */
	expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
	OK(ioasid_ctx_from_fd(fd, &opts, &ctx));
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct order_case *c = &cases[i];

		/* The kernel's answer: the case's errno. */
		if (c->req != NO_IOCTL)
			expect_ioctl(c->req, c->err, c->check);
		/* ENOENT from unmap or copy may be a mapping's: the backend
		 * asks whether the IOAS it does not know exists
		 * (lib/backend/kernel/explain.c). */
		if (c->err == ENOENT && (c->req == REQ_IOAS_UNMAP || c->req == REQ_IOAS_COPY))
			expect_ioctl(REQ_IOVA_RANGES, ENOENT, NULL);
		check_case(c, c->call(ctx), "kernel");
	}
	ioasid_ctx_close(ctx);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(on_the_simulator),
		cmocka_unit_test(through_the_kernel_backend),
	};

	return cmocka_run_group_tests_name("check_order", tests, NULL, NULL);
}
