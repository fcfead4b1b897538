// SPDX-License-Identifier: MIT
/*
 * The device model's request table (lib/viommu/wire.c): every request
 * type parses what it encodes, notices a non-zero reserved byte, refuses
 * a short readable part, and is found by its name.  The layouts themselves
 * are checked against hand-written bytes by the conformance and trace
 * tests; this holds the table's own promises.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "wire.h"

static const uint8_t types[] = { VIOMMU_T_ATTACH, VIOMMU_T_DETACH, VIOMMU_T_MAP,
				 VIOMMU_T_UNMAP, VIOMMU_T_PROBE };

/* A request of @type with a distinct value in every member the type has. */
static struct viommu_req sample(const struct viommu_req_type *rt)
{
	struct viommu_req r = { .type = rt->type };

	for (unsigned int i = 0; i < rt->num_fields; i++) {
		switch (rt->fields[i].member) {
		case VIOMMU_W_DOMAIN:
			r.domain = 0x11223344;
			break;
		case VIOMMU_W_ENDPOINT:
			r.endpoint = 0x55667788;
			break;
		case VIOMMU_W_FLAGS:
			r.flags = 0x3;
			break;
		case VIOMMU_W_VIRT_START:
			r.virt_start = 0x0102030405060000ull;
			break;
		case VIOMMU_W_VIRT_END:
			r.virt_end = 0x0102030405060fffull;
			break;
		case VIOMMU_W_PHYS_START:
			r.phys_start = 0x0a0b0c0d0e0f1000ull;
			break;
		}
	}
	return r;
}

static void test_round_trip(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types); t++) {
		const struct viommu_req_type *rt = viommu_wire_req_type(types[t]);
		struct viommu_req in, out;
		uint8_t buf[VIOMMU_MAX_RO_SIZE];

		assert_non_null(rt);
		assert_int_equal(rt->type, types[t]);
		assert_true(rt->size <= VIOMMU_MAX_RO_SIZE);
		in = sample(rt);
		viommu_wire_encode(&in, buf);
		assert_int_equal(buf[0], types[t]);
		assert_int_equal(viommu_wire_parse(buf, rt->size, &out),
				 VIOMMU_PARSE_OK);
		assert_int_equal(out.type, in.type);
		assert_int_equal(out.domain, in.domain);
		assert_int_equal(out.endpoint, in.endpoint);
		assert_int_equal(out.flags, in.flags);
		assert_int_equal(out.virt_start, in.virt_start);
		assert_int_equal(out.virt_end, in.virt_end);
		assert_int_equal(out.phys_start, in.phys_start);
		assert_false(out.reserved_nonzero);
		/* Nothing encoded past the readable part. */
		for (size_t i = rt->size; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0);
	}
}

static void test_fields_inside_and_disjoint(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types); t++) {
		const struct viommu_req_type *rt = viommu_wire_req_type(types[t]);
		uint8_t owner[VIOMMU_MAX_RO_SIZE] = { 0 };

		/* The head's 4 bytes, then each byte covered at most once, and
		 * every byte up to the tail covered. */
		memset(owner, 0xff, VIOMMU_HEAD_SIZE);
		for (unsigned int i = 0; i < rt->num_fields; i++) {
			const struct viommu_wire_field *f = &rt->fields[i];

			assert_true(f->offset + f->size <= rt->size);
			if (f->member != VIOMMU_W_RESERVED)
				assert_true(f->size == 4 || f->size == 8);
			for (unsigned int b = 0; b < f->size; b++) {
				assert_int_equal(owner[f->offset + b], 0);
				owner[f->offset + b] = (uint8_t)(i + 1);
			}
		}
		for (unsigned int b = 0; b < rt->size; b++)
			assert_int_not_equal(owner[b], 0);
	}
}

static void test_reserved_and_short(void **state)
{
	(void)state;
	for (size_t t = 0; t < sizeof(types); t++) {
		const struct viommu_req_type *rt = viommu_wire_req_type(types[t]);
		struct viommu_req in = sample(rt), out;
		uint8_t buf[VIOMMU_MAX_RO_SIZE];

		viommu_wire_encode(&in, buf);
		assert_int_equal(viommu_wire_parse(buf, rt->size - 1u, &out),
				 VIOMMU_PARSE_SHORT);
		for (unsigned int i = 0; i < rt->num_fields; i++) {
			const struct viommu_wire_field *f = &rt->fields[i];

			if (f->member != VIOMMU_W_RESERVED)
				continue;
			for (unsigned int b = 0; b < f->size; b++) {
				buf[f->offset + b] = 0x80;
				assert_int_equal(viommu_wire_parse(buf, rt->size, &out),
						 VIOMMU_PARSE_OK);
				assert_true(out.reserved_nonzero);
				buf[f->offset + b] = 0;
			}
		}
		assert_int_equal(viommu_wire_parse(buf, rt->size, &out),
				 VIOMMU_PARSE_OK);
		assert_false(out.reserved_nonzero);
	}
}

static void test_unknown_and_names(void **state)
{
	struct viommu_req out;
	uint8_t buf[VIOMMU_MAX_RO_SIZE] = { 0 };

	(void)state;
	assert_null(viommu_wire_req_type(0));
	assert_null(viommu_wire_req_type(VIOMMU_T_PROBE + 1));
	assert_int_equal(viommu_wire_parse(buf, 3, &out), VIOMMU_PARSE_NO_HEAD);
	buf[0] = 0;
	assert_int_equal(viommu_wire_parse(buf, sizeof(buf), &out),
			 VIOMMU_PARSE_UNKNOWN);
	buf[0] = 0xff;
	assert_int_equal(viommu_wire_parse(buf, sizeof(buf), &out),
			 VIOMMU_PARSE_UNKNOWN);
	for (size_t t = 0; t < sizeof(types); t++) {
		const struct viommu_req_type *rt = viommu_wire_req_type(types[t]);

		assert_ptr_equal(viommu_wire_req_named(rt->name, strlen(rt->name)),
				 rt);
	}
	assert_null(viommu_wire_req_named("map", 2));
	assert_null(viommu_wire_req_named("mapx", 4));
	assert_int_equal(viommu_wire_req_type(VIOMMU_T_PROBE)->writes_props, 1);
	assert_int_equal(viommu_wire_req_type(VIOMMU_T_MAP)->writes_props, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_fields_inside_and_disjoint),
		cmocka_unit_test(test_reserved_and_short),
		cmocka_unit_test(test_unknown_and_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
