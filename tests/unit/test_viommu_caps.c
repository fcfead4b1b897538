// SPDX-License-Identifier: MIT
/*
 * The virtio-iommu device's cap on live guest mappings (docs/VIOMMU.md,
 * "Caps"): by default one per granule of guest RAM, at least 65536 and at
 * most 1Mi; opts.max_mappings replaces it.  A guest past the cap gets
 * NOMEM for each further MAP, nothing is recorded or mapped on the host,
 * the VMM is warned once (naming the cap and what to raise), and the
 * VMM's heap stays bounded: with 4 KiB of guest RAM a guest that maps
 * its one page at every IOVA it can stops at 65536 mappings (it used to
 * reach 4Mi, +314 MiB).  The invariant checks of the other device tests
 * run once at the end here, not after each of the 65536 requests.
 */
#include <malloc.h>

#include "viommu_helpers.h"

#define PAGE SZ_4K

static char warning[512];
static int warnings;

static void catch_log(enum ioasid_print_level level, const char *msg,
		      void *data)
{
	(void)data;
	if (level != IOASID_WARN || !strstr(msg, "max_mappings"))
		return;
	warnings++;
	snprintf(warning, sizeof(warning), "%s", msg);
}

struct capfx {
	struct ioasid_ctx *ctx;
	struct ioasid_virtio_iommu *v;
	struct ioasid_dev *nic;
	uint8_t *ram;
	size_t ram_size;
};

static struct vfx as_vfx(struct capfx *c)
{
	return (struct vfx){ .ctx = c->ctx, .v = c->v, .ram = c->ram };
}

/* A device with @ram_size bytes of guest RAM (reserved, not touched),
 * the NIC as a physical endpoint when @physical, an emulated one. */
static void capfx_init(struct capfx *c, size_t ram_size, uint32_t max_mappings,
		       bool physical)
{
	IOASID_OPTS(ioasid_virtio_iommu_opts, o, .max_mappings = max_mappings);

	memset(c, 0, sizeof(*c));
	c->ctx = sim_open(NULL);
	OK(ioasid_virtio_iommu_create(c->ctx, &o, &c->v));
	c->ram_size = ram_size;
	c->ram = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(c->ram != MAP_FAILED);
	OK(ioasid_virtio_iommu_add_ram(c->v, 0, ram_size, c->ram));
	if (physical) {
		c->nic = dev_open_bound(c->ctx, "0000:00:03.0");
		OK(ioasid_virtio_iommu_add_endpoint(c->v, EP_NIC, c->nic, NULL));
	}
	OK(ioasid_virtio_iommu_add_endpoint(c->v, EP_EMU, NULL, NULL));
	OK(ioasid_virtio_iommu_set_features(c->v, ioasid_virtio_iommu_features(c->v)));
	warnings = 0;
	warning[0] = 0;
}

static void capfx_fini(struct capfx *c)
{
	OK(viommu_check_invariants(c->v));
	ioasid_virtio_iommu_destroy(c->v);
	ioasid_dev_close(c->nic);
	ioasid_ctx_close(c->ctx);
	munmap(c->ram, c->ram_size);
}

/* MAP page after page of domain 1 from IOVA page @first (each to guest
 * page 0) until the first refusal; return how many succeeded and the
 * refusal's status. */
static uint64_t map_until_refused(struct capfx *c, uint64_t first, int *status,
				  uint64_t limit)
{
	struct vfx f = as_vfx(c);
	uint64_t n = 0;

	for (; n < limit; n++) {
		uint64_t iova = (first + n) * PAGE;
		int s = map(&f, 1, iova, iova + PAGE - 1, 0, RW);

		if (s != S_OK) {
			*status = s;
			return n;
		}
	}
	*status = S_OK;
	return n;
}

static uint64_t live_mappings(struct capfx *c)
{
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	OK(ioasid_virtio_iommu_get_stats(c->v, &st));
	return st.mappings;
}

/* 4 KiB of guest RAM, a physical endpoint: the default floor of 65536,
 * every MAP past it NOMEM with nothing on the host, one warning, the
 * heap bounded; an UNMAP makes room for exactly one more. */
static void test_default_cap_tiny_guest(void **state)
{
	struct capfx c;
	struct vfx f;
	struct mallinfo2 before, after;
	uint64_t n, per_mapping;
	uint32_t ioas = 0;
	int status;

	(void)state;
	capfx_init(&c, PAGE, 0, true);
	f = as_vfx(&c);
	assert_int_equal(attach(&f, 1, EP_NIC), S_OK);
	OK(ioasid_virtio_iommu_domain_ioas(c.v, 1, &ioas));
	before = mallinfo2();
	n = map_until_refused(&c, 0, &status, 1u << 20);
	after = mallinfo2();
	assert_int_equal(n, 65536);
	assert_int_equal(status, S_NOMEM);
	assert_int_equal(live_mappings(&c), 65536);
	per_mapping = (after.uordblks - before.uordblks) / n;
	printf("default cap with 4 KiB of guest RAM: %llu mappings, %llu bytes of heap each (%.1f MiB)\n",
	       (unsigned long long)n, (unsigned long long)per_mapping,
	       (double)(after.uordblks - before.uordblks) / (1 << 20));
	/* The device's records and the simulator's host areas together. */
	assert_true(per_mapping < 512);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(warning, "65536"));
	assert_non_null(strstr(warning, "one per granule of guest RAM"));
	/* Refused: nothing on the host, nothing recorded, no new warning. */
	assert_true(is_mapped(c.ctx, ioas, (n - 1) * PAGE, PAGE));
	assert_false(is_mapped(c.ctx, ioas, n * PAGE, PAGE));
	assert_int_equal(map(&f, 1, n * PAGE, n * PAGE + PAGE - 1, 0, RW),
			 S_NOMEM);
	/* An overlap is still INVAL (53), before the cap. */
	assert_int_equal(map(&f, 1, 0, PAGE - 1, 0, RW), S_INVAL);
	assert_int_equal(live_mappings(&c), 65536);
	assert_int_equal(warnings, 1);
	/* The cap counts live mappings. */
	assert_int_equal(unmap(&f, 1, 0, PAGE - 1), S_OK);
	assert_int_equal(map(&f, 1, n * PAGE, n * PAGE + PAGE - 1, 0, RW), S_OK);
	assert_int_equal(map(&f, 1, 0, PAGE - 1, 0, RW), S_NOMEM);
	assert_true(is_mapped(c.ctx, ioas, n * PAGE, PAGE));
	assert_false(is_mapped(c.ctx, ioas, 0, PAGE));
	capfx_fini(&c);
}

/* 320 MiB of guest RAM: 81920 pages, so the default cap is 81920. */
static void test_default_cap_scales_with_ram(void **state)
{
	struct capfx c;
	uint64_t n;
	int status;

	(void)state;
	capfx_init(&c, 320 * SZ_1M, 0, false);
	{
		struct vfx f = as_vfx(&c);

		assert_int_equal(attach(&f, 1, EP_EMU), S_OK);
	}
	{
		struct mallinfo2 before = mallinfo2(), after;

		n = map_until_refused(&c, 0, &status, 1u << 20);
		after = mallinfo2();
		printf("default cap with 320 MiB of guest RAM, emulated endpoint: %llu mappings, %llu bytes of heap each\n",
		       (unsigned long long)n,
		       (unsigned long long)((after.uordblks - before.uordblks) / n));
	}
	assert_int_equal(n, 81920);
	assert_int_equal(status, S_NOMEM);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(warning, "cap of 81920"));
	/* More RAM registered later raises a default cap. */
	{
		uint8_t *more = mmap(NULL, 64 * SZ_4K, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		assert_true(more != MAP_FAILED);
		OK(ioasid_virtio_iommu_add_ram(c.v, 1ull << 32, 64 * SZ_4K, more));
		n = map_until_refused(&c, 81920, &status, 1u << 20);
		assert_int_equal(n, 64);
		assert_int_equal(live_mappings(&c), 81920 + 64);
		assert_int_equal(status, S_NOMEM);
		capfx_fini(&c);
		munmap(more, 64 * SZ_4K);
	}
}

/* The VMM's own cap wins over the RAM-based default, both ways. */
static void test_explicit_cap(void **state)
{
	struct capfx c;
	uint64_t n;
	int status;

	(void)state;
	capfx_init(&c, 320 * SZ_1M, 3, true);
	{
		struct vfx f = as_vfx(&c);

		assert_int_equal(attach(&f, 1, EP_NIC), S_OK);
	}
	n = map_until_refused(&c, 0, &status, 100);
	assert_int_equal(n, 3);
	assert_int_equal(status, S_NOMEM);
	assert_int_equal(warnings, 1);
	assert_non_null(strstr(warning, "cap of 3 (max_mappings)"));
	assert_non_null(strstr(warning, "raise ioasid_virtio_iommu_opts.max_mappings"));
	capfx_fini(&c);

	capfx_init(&c, PAGE, 70000, false);
	{
		struct vfx f = as_vfx(&c);

		assert_int_equal(attach(&f, 1, EP_EMU), S_OK);
	}
	n = map_until_refused(&c, 0, &status, 1u << 20);
	assert_int_equal(n, 70000);
	assert_int_equal(status, S_NOMEM);
	capfx_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_cap_tiny_guest),
		cmocka_unit_test(test_default_cap_scales_with_ram),
		cmocka_unit_test(test_explicit_cap),
	};

	/* Checked once per device at the end instead of per request. */
	viommu_after_change = NULL;
	ioasid_set_print(catch_log, NULL);
	return cmocka_run_group_tests_name("viommu_caps", tests, NULL, NULL);
}
