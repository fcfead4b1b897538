// SPDX-License-Identifier: MIT
/*
 * virtio-iommu device model: the shadow strategy's IOAS state after guest
 * requests (checked through the public IOAS API: ioasid_ioas_copy() probes
 * what is mapped), and hostile input (truncated requests, buffers split at
 * every byte, wrapping ranges, physical ranges outside guest RAM).
 */
#include "viommu_helpers.h"

static uint32_t dom_ioas(struct vfx *f, uint32_t dom)
{
	uint32_t ioas = 0;

	OK(ioasid_virtio_iommu_domain_ioas(f->v, dom, &ioas));
	return ioas;
}

/* ---- Shadow mode --------------------------------------------------- */

static void test_shadow_map_reaches_ioas(void **state)
{
	VFX;
	uint32_t ioas;

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	assert_int_equal(attach(f, 1, EP_NVME), S_OK);
	ioas = dom_ioas(f, 1);
	/* One IOAS for both endpoints: no per-endpoint replay. */
	assert_int_equal(ioasid_dev_pt_id(f->nic), ioas);
	assert_int_equal(ioasid_dev_pt_id(f->nvme), ioas);
	assert_false(is_mapped(f->ctx, ioas, 0x100000, SZ_64K));
	assert_int_equal(map(f, 1, 0x100000, 0x10ffff, 0x200000, RW), S_OK);
	assert_true(is_mapped(f->ctx, ioas, 0x100000, SZ_64K));
	assert_false(is_mapped(f->ctx, ioas, 0x110000, SZ_4K));
	/* The IOAS maps the host memory behind the GPA: copy it into a
	 * scratch IOAS and check it is the same pages by mapping the host
	 * VA there as well (overlap = same IOVA taken). */
	assert_int_equal(unmap(f, 1, 0x100000, 0x10ffff), S_OK);
	assert_false(is_mapped(f->ctx, ioas, 0x100000, SZ_4K));
}

static void test_shadow_map_spanning_two_slots(void **state)
{
	VFX;
	uint32_t ioas;
	uint64_t unmapped = 0;

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	ioas = dom_ioas(f, 1);
	/* [7 MiB, 9 MiB) crosses the slot boundary at 8 MiB. */
	assert_int_equal(map(f, 1, 0x40000000, 0x401fffff, 7 * SZ_1M, RW),
			 S_OK);
	assert_true(is_mapped(f->ctx, ioas, 0x40000000, SZ_2M));
	/* Two IOAS mappings: unmapping only the first slot's half is
	 * possible on the host, so the halves are separate areas. */
	OK(ioasid_ioas_unmap(f->ctx, ioas, 0x40000000, SZ_1M, &unmapped));
	assert_int_equal(unmapped, SZ_1M);
	/* Re-create it through the device, then the guest unmaps all. */
	assert_int_equal(unmap(f, 1, 0x40000000, 0x401fffff), S_OK);
	assert_false(is_mapped(f->ctx, ioas, 0x40100000, SZ_4K));
}

static void test_shadow_phys_outside_ram_refused(void **state)
{
	VFX;
	uint32_t ioas;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	ioas = dom_ioas(f, 1);
	/* Past the end of RAM, straddling it, far away, wrapping. */
	assert_int_equal(map(f, 1, 0, SZ_4K - 1, RAM_SIZE, RW), S_FAULT);
	assert_int_equal(map(f, 1, 0, 2 * SZ_4K - 1, RAM_SIZE - SZ_4K, RW),
			 S_FAULT);
	assert_int_equal(map(f, 1, 0, SZ_4K - 1, 1ULL << 40, RW), S_FAULT);
	assert_int_equal(map(f, 1, 0, 2 * SZ_4K - 1, 0xfffffffffffff000ULL,
			     RW), S_FAULT);
	assert_false(is_mapped(f->ctx, ioas, 0, SZ_4K));
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.mappings, 0);
	/* The IOAS is empty: an unmap of everything removes nothing. */
	uint64_t unmapped = 1;
	OK(ioasid_ioas_unmap_all(f->ctx, ioas, &unmapped));
	assert_int_equal(unmapped, 0);
}

static void test_shadow_bypass_identity(void **state)
{
	struct vfx *g = vfx_new(1);
	uint8_t zero = 0, one = 1;
	uint32_t pt;

	(void)state;
	pt = ioasid_dev_pt_id(g->nic);
	assert_int_not_equal(pt, 0);
	/* All guest RAM at its GPA. */
	assert_true(is_mapped(g->ctx, pt, 0, RAM_SIZE));
	assert_false(is_mapped(g->ctx, pt, RAM_SIZE, SZ_4K));
	/* Attached endpoints leave bypass; bypass domains go back to it. */
	assert_int_equal(attach(g, 1, EP_NIC), S_OK);
	assert_int_equal(ioasid_dev_pt_id(g->nic), dom_ioas(g, 1));
	assert_int_equal(attach_r(g, 2, EP_NIC, 1, 0), S_OK);
	assert_int_equal(ioasid_dev_pt_id(g->nic), pt);
	assert_int_equal(detach(g, 2, EP_NIC), S_OK);
	assert_int_equal(ioasid_dev_pt_id(g->nic), pt);
	/* The driver turns bypass off: unattached endpoints are blocked. */
	OK(ioasid_virtio_iommu_config_write(g->v, 36, &zero, 1));
	assert_int_equal(ioasid_dev_pt_id(g->nic), 0);
	assert_int_equal(ioasid_dev_pt_id(g->nvme), 0);
	OK(ioasid_virtio_iommu_config_write(g->v, 36, &one, 1));
	assert_int_equal(ioasid_dev_pt_id(g->nvme), pt);
	vfx_teardown((void **)&g);
}

static void test_shadow_caps_nomem_records_nothing(void **state)
{
	struct vfx *g = calloc(1, sizeof(*g));
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	(void)state;
	assert_non_null(g);
	IOASID_OPTS(ioasid_virtio_iommu_opts, o, .max_mappings = 2, .max_domains = 1);
	g->ctx = sim_open(NULL);
	OK(ioasid_virtio_iommu_create(g->ctx, &o, &g->v));
	g->ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(g->ram != MAP_FAILED);
	OK(ioasid_virtio_iommu_add_ram(g->v, 0, RAM_SIZE, g->ram));
	OK(ioasid_virtio_iommu_add_endpoint(g->v, EP_EMU, NULL, NULL));
	OK(ioasid_virtio_iommu_add_endpoint(g->v, EP_EMU + 1, NULL, NULL));
	assert_int_equal(attach(g, 1, EP_EMU), S_OK);
	assert_int_equal(attach(g, 2, EP_EMU + 1), S_NOMEM);
	assert_int_equal(map(g, 1, 0, SZ_4K - 1, 0, RW), S_OK);
	assert_int_equal(map(g, 1, SZ_4K, 2 * SZ_4K - 1, 0, RW), S_OK);
	assert_int_equal(map(g, 1, 2 * SZ_4K, 3 * SZ_4K - 1, 0, RW), S_NOMEM);
	OK(ioasid_virtio_iommu_get_stats(g->v, &st));
	assert_int_equal(st.mappings, 2);
	/* Emulated endpoints only: no host IOAS to leak into. */
	{
		uint32_t ioas;

		assert_int_equal(ioasid_virtio_iommu_domain_ioas(g->v, 1, &ioas), -ENOENT);
	}
	vfx_teardown((void **)&g);
}

/* A domain of emulated endpoints has no host IOAS (MAP/UNMAP do no host
 * work); the first physical endpoint to join brings one with the
 * domain's live mappings copied in, and later requests follow it. */
static void test_shadow_ioas_made_by_first_physical(void **state)
{
	VFX;
	uint32_t ioas;

	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, 0x100000, 0x101fff, 0x2000, RW), S_OK);
	assert_int_equal(map(f, 1, 0x200000, 0x200fff, 0x8000, RW), S_OK);
	assert_int_equal(map(f, 1, 0x300000, 0x300fff, 0x9000, RW), S_OK);
	assert_int_equal(unmap(f, 1, 0x300000, 0x300fff), S_OK);
	assert_int_equal(ioasid_virtio_iommu_domain_ioas(f->v, 1, &ioas), -ENOENT);
	assert_non_null(strstr(ioasid_errmsg(), "no physical endpoint"));
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	ioas = dom_ioas(f, 1);
	assert_int_equal(ioasid_dev_pt_id(f->nic), ioas);
	assert_true(is_mapped(f->ctx, ioas, 0x100000, 2 * SZ_4K));
	assert_true(is_mapped(f->ctx, ioas, 0x200000, SZ_4K));
	assert_false(is_mapped(f->ctx, ioas, 0x300000, SZ_4K));
	assert_int_equal(map(f, 1, 0x400000, 0x400fff, 0xa000, RW), S_OK);
	assert_true(is_mapped(f->ctx, ioas, 0x400000, SZ_4K));
	assert_int_equal(unmap(f, 1, 0x100000, 0x101fff), S_OK);
	assert_false(is_mapped(f->ctx, ioas, 0x100000, SZ_4K));
	/* The emulated endpoint still translates through the domain. */
	{
		struct ioasid_virtio_iommu_translation t;

		OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x200010,
					   IOASID_VIRTIO_IOMMU_ACCESS_READ, &t));
		assert_int_equal(t.gpa, 0x8010);
	}
}

/* Destroying the device hands the devices back detached. */
static void test_shadow_destroy_returns_devices(void **state)
{
	VFX;
	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	ioasid_virtio_iommu_destroy(f->v);
	f->v = NULL;
	assert_int_equal(ioasid_dev_pt_id(f->nic), 0);
	/* The device is the caller's again: it can join another IOAS. */
	uint32_t ioas;
	OK(ioasid_ioas_alloc(f->ctx, &ioas));
	OK(ioasid_dev_attach(f->nic, ioas, NULL));
	/* vfx_teardown destroys NULL fine. */
}

/* ---- Emulated endpoints: translate and its cache ------------------- */

static void test_translate_cache_invalidation(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_translation t;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	assert_int_equal(attach(f, 1, EP_EMU), S_OK);
	assert_int_equal(map(f, 1, 0x10000, 0x13fff, 0x4000, RW), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10010, 3, &t));
	assert_int_equal(t.gpa, 0x4010);
	assert_int_equal(t.iova_last, 0x13fff);
	assert_int_equal(t.perm, 3);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10020, 1, &t));
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.iotlb_misses, 1);
	assert_int_equal(st.iotlb_hits, 1);
	/* UNMAP invalidates. */
	assert_int_equal(unmap(f, 1, 0x10000, 0x13fff), S_OK);
	EXPECT_ERR(EFAULT, "not mapped",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10020, 1, &t));
	/* A new mapping at the same IOVA is seen, not the stale one. */
	assert_int_equal(map(f, 1, 0x10000, 0x10fff, 0x9000, 1), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10020, 1, &t));
	assert_int_equal(t.gpa, 0x9020);
	/* ATTACH elsewhere invalidates. */
	assert_int_equal(attach(f, 2, EP_EMU), S_OK);
	EXPECT_ERR(EFAULT, NULL,
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10020, 1, &t));
	/* Reset invalidates. */
	assert_int_equal(map(f, 2, 0x10000, 0x10fff, 0x9000, 1), S_OK);
	OK(ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10020, 1, &t));
	OK(ioasid_virtio_iommu_reset(f->v, IOASID_VIRTIO_IOMMU_RESET_DEVICE));
	EXPECT_ERR(EFAULT, NULL,
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0x10020, 1, &t));
	/* Argument checks. */
	EXPECT_ERR(EINVAL, "physical",
		   ioasid_virtio_iommu_translate(f->v, EP_NIC, 0, 1, &t));
	EXPECT_ERR(ENOENT, NULL,
		   ioasid_virtio_iommu_translate(f->v, EP_NONE, 0, 1, &t));
	EXPECT_ERR(EINVAL, "access",
		   ioasid_virtio_iommu_translate(f->v, EP_EMU, 0, 4, &t));
}

static void test_translate_bypass(void **state)
{
	struct vfx *g = vfx_new(1);
	struct ioasid_virtio_iommu_translation t;

	(void)state;
	OK(ioasid_virtio_iommu_translate(g->v, EP_EMU, 0x1234, 2, &t));
	assert_int_equal(t.gpa, 0x1234);
	vfx_teardown((void **)&g);
}

/* ---- Hostile input ------------------------------------------------- */

static void test_hostile_truncated(void **state)
{
	VFX;
	static const size_t sizes[] = { 0, 20, 20, 36, 28, 72 };
	uint8_t req[80], resp[PROBE_SIZE + 4];

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	for (uint8_t type = 1; type <= 5; type++) {
		memset(req, 0, sizeof(req));
		req[0] = type;
		le32_put(req + 4, 1);
		le32_put(req + 8, EP_NIC);
		for (size_t len = 0; len < sizes[type]; len++) {
			uint32_t used = 77;

			memset(resp, 0xee, sizeof(resp));
			OK(ioasid_virtio_iommu_handle_buffers(f->v, req, len, resp,
							sizeof(resp), &used));
			if (len < 4) {
				assert_int_equal(used, 0);
				assert_int_equal(resp[0], 0xee);
				continue;
			}
			size_t tail = type == 5 ? PROBE_SIZE : 0;
			assert_int_equal(used, tail + 4);
			assert_int_equal(resp[tail], S_DEVERR);
		}
		/* No room for the tail: nothing written, used 0. */
		for (size_t wlen = 0; wlen < 4; wlen++) {
			uint32_t used = 77;

			memset(resp, 0xee, sizeof(resp));
			OK(ioasid_virtio_iommu_handle_buffers(f->v, req, sizes[type],
							resp, wlen, &used));
			assert_int_equal(used, 0);
			assert_int_equal(resp[0], 0xee);
		}
	}
	/* Nothing changed: domain 1 has no mapping, the NIC is attached. */
	assert_int_equal(map(f, 1, 0, SZ_4K - 1, 0, RW), S_OK);
}

/* The same MAP/UNMAP split into two readable and two writable iovecs at
 * every byte offset gives the same result. */
static void test_hostile_split_every_offset(void **state)
{
	VFX;
	uint8_t req[36], ureq[28] = { 4 }, resp[4];

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	map_req(req, 1, 0x100000, 0x100fff, 0x3000, RW);
	le32_put(ureq + 4, 1);
	le64_put(ureq + 8, 0x100000);
	le64_put(ureq + 16, 0x100fff);
	for (size_t cut = 0; cut <= sizeof(req); cut++) {
		for (size_t wcut = 0; wcut <= 4; wcut++) {
			struct iovec out[3] = { { req, cut },
						{ NULL, 0 },
						{ req + cut, sizeof(req) - cut } };
			struct iovec in[2] = { { resp, wcut },
					       { resp + wcut, 4 - wcut } };
			uint32_t used = 0;

			memset(resp, 0xee, 4);
			OK(ioasid_virtio_iommu_handle_request(f->v, out, 3, in, 2,
							&used));
			assert_int_equal(used, 4);
			assert_int_equal(resp[0], S_OK);
			assert_int_equal(resp[1] | resp[2] | resp[3], 0);
			struct iovec uout[2] = { { ureq, cut < 28 ? cut : 28 },
						 { ureq + (cut < 28 ? cut : 28),
						   28 - (cut < 28 ? cut : 28) } };
			memset(resp, 0xee, 4);
			OK(ioasid_virtio_iommu_handle_request(f->v, uout, 2, in, 2,
							&used));
			assert_int_equal(used, 4);
			assert_int_equal(resp[0], S_OK);
		}
	}
	/* Misuse by the VMM is an error, not a crash. */
	uint32_t used;
	struct iovec bad = { NULL, 4 };
	EXPECT_ERR(EINVAL, "NULL",
		   ioasid_virtio_iommu_handle_request(f->v, &bad, 1, NULL, 0, &used));
	EXPECT_ERR(EINVAL, NULL,
		   ioasid_virtio_iommu_handle_request(NULL, NULL, 0, NULL, 0, &used));
}

static void test_hostile_wrapping_and_huge(void **state)
{
	VFX;
	struct ioasid_virtio_iommu_stats st = { .sz = sizeof(st) };

	assert_int_equal(attach(f, 1, EP_NIC), S_OK);
	/* Whole 64-bit space: outside input_range (48 bits). */
	assert_int_equal(map(f, 1, 0, UINT64_MAX, 0, RW), S_RANGE);
	assert_int_equal(map(f, 1, 0xfffffffffffff000ULL, UINT64_MAX, 0, RW),
			 S_RANGE);
	assert_int_equal(map(f, 1, UINT64_MAX, 0xfff, 0, RW), S_INVAL);
	/* Inside input_range but far bigger than RAM. */
	assert_int_equal(map(f, 1, 0, (1ULL << 47) - 1, 0, RW), S_FAULT);
	assert_int_equal(unmap(f, 1, UINT64_MAX, 0), S_INVAL);
	assert_int_equal(unmap(f, 1, 0, UINT64_MAX), S_OK);
	assert_int_equal(unmap(f, 1, UINT64_MAX, UINT64_MAX), S_OK);
	/* Domain and endpoint ids at the extremes. */
	assert_int_equal(attach(f, UINT32_MAX, EP_EMU), S_OK);
	assert_int_equal(attach(f, 0, UINT32_MAX), S_NOENT);
	assert_int_equal(detach(f, UINT32_MAX, EP_EMU), S_OK);
	OK(ioasid_virtio_iommu_get_stats(f->v, &st));
	assert_int_equal(st.mappings, 0);
	assert_int_equal(st.domains, 1);
}

/* A random stream of requests, checked only for not crashing and for
 * every reply being well-formed; cheap, the fuzzer does the rest. */
static void test_hostile_random_stream(void **state)
{
	VFX;
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	uint8_t req[80], resp[PROBE_SIZE + 4];

	for (int i = 0; i < 20000; i++) {
		uint32_t used = 0;
		size_t len, wlen;

		for (size_t j = 0; j < sizeof(req); j++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			req[j] = (uint8_t)x;
		}
		req[0] = 1 + (uint8_t)(x % 6);
		req[4] = req[5] = req[6] = 0;	  /* small domain ids */
		le32_put(req + 8, (x >> 8) & 1 ? EP_NIC : EP_EMU);
		req[8 + 8 * ((x >> 9) & 1)] &= 0xf0; /* some aligned */
		if ((x >> 12) & 1)
			memset(req + 12, 0, 8);
		len = (x >> 20) % 80;
		wlen = (x >> 30) % sizeof(resp);
		OK(ioasid_virtio_iommu_handle_buffers(f->v, req, len, resp, wlen,
						&used));
		assert_true(used <= wlen);
		if (used)
			assert_true(resp[used - 4] <= S_NOMEM);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		VT(test_shadow_map_reaches_ioas),
		VT(test_shadow_map_spanning_two_slots),
		VT(test_shadow_phys_outside_ram_refused),
		cmocka_unit_test(test_shadow_bypass_identity),
		cmocka_unit_test(test_shadow_caps_nomem_records_nothing),
		VT(test_shadow_ioas_made_by_first_physical),
		VT(test_shadow_destroy_returns_devices),
		VT(test_translate_cache_invalidation),
		cmocka_unit_test(test_translate_bypass),
		VT(test_hostile_truncated),
		VT(test_hostile_split_every_offset),
		VT(test_hostile_wrapping_and_huge),
		VT(test_hostile_random_stream),
	};

	return cmocka_run_group_tests_name("viommu_shadow", tests, NULL, NULL);
}
