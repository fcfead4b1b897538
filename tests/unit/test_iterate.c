// SPDX-License-Identifier: MIT
/*
 * Iteration on the simulator: what needs a topology of its own beyond
 * tests/harness/api_iterate.c (which runs on the kernel too): nested
 * HWPTs and their parents, an mdev attached to an IOAS without a HWPT,
 * the device counts along the way, a walk that meets the buffer growing
 * (more mappings than the first guess), and an opts struct from an older
 * header.
 */
#include "helpers.h"

#include <ioasid/testing.h>

#define NDEV "0000:00:03.0" /* built-in topology: vtd0, nesting */

struct kept {
	unsigned int n;
	struct ioasid_object o[16];
	uint64_t last_iova;
	bool ordered;
};

static int keep_object(const struct ioasid_object *o, void *data)
{
	struct kept *k = data;

	if (k->n < 16)
		k->o[k->n] = *o;
	k->n++;
	return 0;
}

static int count_mapping(const struct ioasid_mapping *m, void *data)
{
	struct kept *k = data;

	if (k->n && m->iova <= k->last_iova)
		k->ordered = false;
	k->last_iova = m->iova;
	k->n++;
	return 0;
}

static const struct ioasid_object *find(const struct kept *k, uint32_t id)
{
	for (unsigned int i = 0; i < k->n && i < 16; i++)
		if (k->o[i].id == id)
			return &k->o[i];
	return NULL;
}

static void list(struct ioasid_ctx *ctx, struct kept *k)
{
	memset(k, 0, sizeof(*k));
	OK(ioasid_ctx_for_each_object(ctx, NULL, keep_object, k));
}

static const struct ioasid_hwpt_selftest selftest_data = {
	.iotlb = IOASID_TEST_IOTLB_DEFAULT,
};

/* A nested HWPT reports its parent, no IOAS of its own, and a device on
 * it counts for the HWPT and for the parent's IOAS, not for the parent. */
static void test_nested(void **state)
{
	IOASID_OPTS(ioasid_hwpt_alloc_opts, np,
		    .flags = IOASID_HWPT_ALLOC_NEST_PARENT);
	IOASID_OPTS(ioasid_hwpt_nested, n, .data_type = IOASID_HWPT_DATA_SELFTEST,
		    .data = &selftest_data, .data_len = sizeof(selftest_data));
	struct ioasid_ctx *ctx = sim_open(NULL);
	struct ioasid_dev *dev = dev_open_bound(ctx, NDEV);
	uint32_t ioas, parent, nested;
	const struct ioasid_object *o;
	struct kept k;

	(void)state;
	OK(ioasid_ioas_alloc(ctx, &ioas));
	OK(ioasid_hwpt_alloc(dev, ioas, &np, &parent));
	OK(ioasid_hwpt_alloc_nested(dev, parent, &n, &nested));
	OK(ioasid_dev_attach(dev, nested, NULL));

	list(ctx, &k);
	assert_int_equal(k.n, 3);
	o = find(&k, nested);
	assert_non_null(o);
	assert_int_equal(o->type, IOASID_OBJECT_HWPT);
	assert_int_equal(o->flags, IOASID_OBJECT_NESTED);
	assert_int_equal(o->parent, parent);
	assert_int_equal(o->ioas_id, 0);
	assert_int_equal(o->devices, 1);
	o = find(&k, parent);
	assert_int_equal(o->flags, 0);
	assert_int_equal(o->hwpt_flags, IOASID_HWPT_ALLOC_NEST_PARENT);
	assert_int_equal(o->ioas_id, ioas);
	assert_int_equal(o->devices, 0);
	assert_int_equal(find(&k, ioas)->devices, 1);

	OK(ioasid_dev_detach(dev));
	list(ctx, &k);
	assert_int_equal(find(&k, nested)->devices, 0);
	assert_int_equal(find(&k, ioas)->devices, 0);
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);
}

/* An mdev attaches to an IOAS with no HWPT (an access): it counts for
 * the IOAS, and no HWPT appears. */
static void test_mdev(void **state)
{
	struct ioasid_ctx *ctx = sim_open(TOPO_UNIT);
	struct ioasid_dev *parent = dev_open_bound(ctx, DEV_PARENT);
	struct ioasid_dev *mdev = dev_open_bound(ctx, MDEV);
	uint32_t ioas;
	struct kept k;

	(void)state;
	(void)parent;
	OK(ioasid_ioas_alloc(ctx, &ioas));
	OK(ioasid_dev_attach(mdev, ioas, NULL));
	list(ctx, &k);
	assert_int_equal(k.n, 1);
	assert_int_equal(k.o[0].id, ioas);
	assert_int_equal(k.o[0].devices, 1);
	ioasid_dev_close(mdev);
	list(ctx, &k);
	assert_int_equal(k.o[0].devices, 0);
	ioasid_dev_close(parent);
	ioasid_ctx_close(ctx);
}

/* More mappings than core's first guess at the array (32): the snapshot
 * grows and reports every one, in IOVA order. */
static void test_many_mappings(void **state)
{
	FX;
	struct kept k = { .ordered = true };
	IOASID_OPTS(ioasid_mapping_opts, some, .iova = 10 * SZ_4K * 2,
		    .length = 5 * SZ_4K * 2);

	/* Mapped from the top down, every other page. */
	for (int i = 99; i >= 0; i--)
		OK(map_fixed(f->ctx, f->ioas, f->buf.p + i * SZ_4K, SZ_4K,
			     (uint64_t)i * 2 * SZ_4K));
	OK(ioasid_ioas_for_each_mapping(f->ctx, f->ioas, NULL, count_mapping, &k));
	assert_int_equal(k.n, 100);
	assert_true(k.ordered);
	memset(&k, 0, sizeof(k));
	k.ordered = true;
	OK(ioasid_ioas_for_each_mapping(f->ctx, f->ioas, &some, count_mapping, &k));
	assert_int_equal(k.n, 5);
	assert_int_equal(k.last_iova, 14 * 2 * SZ_4K);
}

/* A file mapping keeps naming the caller's fd even once it is closed
 * (the mapping holds the file); an opts struct from an older header (sz
 * up to iova only) is read as such: length 0, up to the end. */
static int first_mapping(const struct ioasid_mapping *m, void *data)
{
	*(struct ioasid_mapping *)data = *m;
	return 1;
}

static void test_file_and_old_opts(void **state)
{
	FX;
	struct ioasid_mapping m = { 0 };
	struct ioasid_mapping_opts old;
	int fd = memfd_create("unit-iterate", MFD_CLOEXEC);
	uint64_t iova = 3 * SZ_1M;

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, SZ_1M), 0);
	OK(ioasid_ioas_map_file(f->ctx, f->ioas, fd, SZ_64K, SZ_64K, &iova, NULL));
	close(fd);
	memset(&old, 0, sizeof(old));
	old.sz = offsetof(struct ioasid_mapping_opts, length);
	old.iova = SZ_1M;
	old.length = 4096; /* beyond old.sz: not read */
	assert_int_equal(ioasid_ioas_for_each_mapping(f->ctx, f->ioas, &old,
						      first_mapping, &m), 1);
	assert_int_equal(m.iova, 3 * SZ_1M);
	assert_int_equal(m.kind, IOASID_MAPPING_FILE);
	assert_int_equal(m.fd, fd);
	assert_int_equal(m.offset, SZ_64K);
	assert_int_equal(m.length, SZ_64K);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_mdev),
		T(test_many_mappings),
		T(test_file_and_old_opts),
	};
	return cmocka_run_group_tests_name("iterate", tests, NULL, NULL);
}
