/* SPDX-License-Identifier: MIT */
/*
 * What every layer of the library shares: error messages, logging,
 * option-struct checks, PCI address parsing.  Depends on nothing but
 * libc and the public headers; never installed.
 */
#ifndef IOASID_LIB_UTIL_H
#define IOASID_LIB_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/ioasid.h>
/* The library implements the testing interface too. */
#include <ioasid/testing.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/*
 * ioasid_fail - record a failure of the current call: the message goes to
 * the calling thread's error buffer (see ioasid_errmsg()) and to the log
 * at debug level, errno is set to -@err.
 * @err: a negative errno.
 *
 * Return: @err, so callers write "return ioasid_fail(-EINVAL, ...);".
 */
int ioasid_fail(int err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forget the thread's last message (at the start of every public call). */
void ioasid_clear_error(void);
/* Whether the current call has set a message yet. */
bool ioasid_has_errmsg(void);

/* The CPU page size (sysconf; 4096 if it cannot say): the smallest
 * block the kernel pins and maps. */
uint64_t ioasid_page_size(void);

/* Log through the user's callback (default: warnings to stderr). */
void ioasid_log(enum ioasid_print_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * ioasid_opts_check - validate a caller's options struct: NULL is fine;
 * otherwise sz must cover at least the sz member, and every byte from
 * @known up to sz must be zero.
 * @known: IOASID_OPTS_KNOWN(TYPE).
 * @name: the struct's name for the message.
 */
int ioasid_opts_check(const void *opts, size_t known, const char *name);

/* The end of a member: the offset of the byte after it. */
#define ioasid_offsetofend(TYPE, MEMBER) \
	(offsetof(TYPE, MEMBER) + sizeof(((TYPE *)0)->MEMBER))

/* Bytes of an options struct this build knows: up to the end of its last
 * member (TYPE__last_field in the public header), not sizeof.  Its tail
 * padding is where a member added later may go without changing sizeof,
 * so a non-zero byte there is a member this build does not know
 * (IOASID_OPTS() zeroes the padding of a caller that is as old as this
 * build).  Padding between members is not checked. */
#define IOASID_OPTS_KNOWN(TYPE) \
	ioasid_offsetofend(struct TYPE, TYPE##__last_field)

/* Whether the @n bytes at @p are all zero: the reserved members of the
 * fixed-layout public structs (struct ioasid_endpoint). */
static inline bool ioasid_all_zero(const void *p, size_t n)
{
	const unsigned char *b = p;

	for (size_t i = 0; i < n; i++)
		if (b[i])
			return false;
	return true;
}

/* Read a field of a caller's options struct, or @fallback if the struct
 * is NULL or too small to hold it. */
#define IOASID_OPTS_GET(opts, field, fallback)                             \
	(((opts) && (opts)->sz >= offsetof(__typeof__(*(opts)), field) +    \
			       sizeof((opts)->field)) ?                     \
		 (opts)->field :                                            \
		 (fallback))

/* Parse "0000:00:03.0" or "00:03.0" into the canonical 12-character
 * form; -EINVAL if @s is not a PCI address. */
int ioasid_parse_pci_addr(const char *s, char out[IOASID_NAME_MAX]);

#endif /* IOASID_LIB_UTIL_H */
