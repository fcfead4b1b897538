/* SPDX-License-Identifier: MIT */
/*
 * ioctl() replaced, for the kernel backend's unit tests: every ioctl the
 * library makes must be the next one the test queued, in order, and its
 * answer (an errno, or output fields) comes from the test.  A test using
 * it links with
 *     TEST_LDFLAGS: -Wl,--wrap=ioctl
 * (tests/unit/mock_ioctl.c is linked into every unit test; without the
 * --wrap its __wrap_ioctl() is never called).
 *
 * No Linux uAPI header here: the tests build request numbers with _IO()
 * and read and write fields at the offsets of the uAPI structs.
 */
#ifndef IOASID_TESTS_UNIT_MOCK_IOCTL_H
#define IOASID_TESTS_UNIT_MOCK_IOCTL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <ioasid/ioasid.h>

/* Looks at or writes the argument of a queued ioctl. */
typedef void (*fill_fn)(void *arg);

int __wrap_ioctl(int fd, unsigned long request, ...);

/* The next ioctl must be @request; it fails with @err (0: succeeds) after
 * @fill (if any) has looked at or written its argument. */
static inline void expect_ioctl(unsigned long request, int err, fill_fn fill)
{
	expect_value(__wrap_ioctl, request, request);
	will_return(__wrap_ioctl, err);
	will_return(__wrap_ioctl, (uintptr_t)fill);
}

static inline void put_u32(void *arg, size_t off, uint32_t v)
{
	memcpy((char *)arg + off, &v, sizeof(v));
}

static inline uint32_t get_u32(const void *arg, size_t off)
{
	uint32_t v;

	memcpy(&v, (const char *)arg + off, sizeof(v));
	return v;
}

static inline void put_u64(void *arg, size_t off, uint64_t v)
{
	memcpy((char *)arg + off, &v, sizeof(v));
}

static inline uint64_t get_u64(const void *arg, size_t off)
{
	uint64_t v;

	memcpy(&v, (const char *)arg + off, sizeof(v));
	return v;
}

/* The thread's last library message contains / does not contain @needle. */
static inline void assert_msg_has(const char *needle)
{
	const char *msg = ioasid_errmsg();

	if (!strstr(msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", msg, needle);
}

static inline void assert_msg_lacks(const char *needle)
{
	const char *msg = ioasid_errmsg();

	if (strstr(msg, needle))
		fail_msg("message \"%s\" has \"%s\"", msg, needle);
}

#endif
