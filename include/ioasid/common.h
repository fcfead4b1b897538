/* SPDX-License-Identifier: MIT */
/*
 * libioasid common definitions: the conventions every call follows, the
 * export and options-struct macros, version, errors and logging, and the
 * value types the other headers share (names, IOVA ranges, reserved
 * regions).  <ioasid/ioasid.h> includes it with the rest of the API.
 *
 * Conventions
 * -----------
 * - Every function that can fail returns an int: 0 (or a non-negative
 *   value) on success, a negative errno on failure.  errno is set as well.
 *   Objects come back through out-parameters, never as the return value.
 * - On failure, ioasid_errmsg() returns a message for the calling thread
 *   that names the argument or object that was wrong.  A failed call leaves
 *   the library's and the backend's state as it was before the call, except
 *   where a function documents a kernel behaviour that cannot be undone.
 * - Calls that may grow arguments take an options struct whose first
 *   member is its size, sz; NULL means all defaults.  Every such struct
 *   has a macro TYPE__last_field naming its last member.  The library
 *   reads the members it knows and refuses (-EINVAL) a struct with a
 *   non-zero byte after the end of its last known member: tail padding
 *   included, since a member added later may sit in what is padding
 *   today without changing sizeof.  So programs built against newer
 *   headers keep working as long as they leave the new members zero.
 *   Declare the struct with IOASID_OPTS(), which zeroes every byte; a
 *   struct built another way must be memset() to 0 first, because a
 *   designated initialiser alone leaves padding undefined.
 * - Parameters come in one order: the object the call acts on, its
 *   inputs, the options struct, then the outputs (in/out ones too; an
 *   output array or buffer and its size go together).  The exceptions
 *   left are ioasid_ioas_map(), ioasid_ioas_map_file() and
 *   ioasid_ioas_copy(), whose in/out IOVA comes before the options.
 * - Object ids (IOAS, HWPT, device) are the kernel's u32 ids, or the
 *   simulator's equivalent; 0 is never a valid id.
 *
 * Thread safety
 * -------------
 * - ioasid_set_print(), ioasid_errmsg() and the version functions are
 *   thread-safe.  Error messages are per thread.
 * - Contexts are independent of each other.  Calls on one context, and on
 *   the devices opened from it, are serialized by a lock inside the
 *   context, so they may come from several threads.  Closing a context or a
 *   device while another thread uses it is undefined.
 * - Not fork-safe: a child shares the iommufd with its parent.  Hand the
 *   fd to a child explicitly (ioasid_ctx_fd()) if it must use it.
 */
#ifndef IOASID_COMMON_H
#define IOASID_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ioasid/version.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOASID_API __attribute__((visibility("default")))

/*
 * IOASID_OPTS - declare an options struct of TYPE named NAME: every byte
 * zero, padding included, then sz set and the designated initialisers
 * that may follow applied:
 *
 *	IOASID_OPTS(ioasid_map_opts, opts, .flags = IOASID_MAP_READ);
 *
 * It takes GCC or Clang (a statement expression, marked __extension__ so
 * that -pedantic accepts it) and, in C++, C++20 designated initialisers
 * (in member order).  NAME must be a plain identifier, inside a function.
 */
#define IOASID_OPTS(TYPE, ...) IOASID_OPTS__(TYPE, __VA_ARGS__, )
#ifdef __cplusplus
#define IOASID_OPTS__(TYPE, NAME, ...)                                      \
	struct TYPE NAME = __extension__({                                 \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));           \
		TYPE{ .sz = sizeof(struct TYPE), __VA_ARGS__ };            \
	})
#else
#define IOASID_OPTS__(TYPE, NAME, ...)                                      \
	struct TYPE NAME = __extension__({                                 \
		__builtin_memset(&NAME, 0, sizeof(struct TYPE));           \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };   \
	})
#endif

/* ------------------------------------------------------------------ */
/* Version                                                              */

/* ioasid_version_string - the library's version, "MAJOR.MINOR.PATCH". */
IOASID_API const char *ioasid_version_string(void);
IOASID_API unsigned int ioasid_version_major(void);
IOASID_API unsigned int ioasid_version_minor(void);

/* ------------------------------------------------------------------ */
/* Errors and logging                                                   */

/*
 * ioasid_errmsg - message of the calling thread's last failed call.
 *
 * Return: a string owned by the library, valid until the thread's next
 * libioasid call; "" if the last call did not fail.
 */
IOASID_API const char *ioasid_errmsg(void);

enum ioasid_print_level {
	IOASID_WARN,
	IOASID_INFO,
	IOASID_DEBUG,
};

typedef void (*ioasid_print_fn_t)(enum ioasid_print_level level,
				  const char *msg, void *data);

/*
 * ioasid_set_print - route the library's log lines to @fn.
 * @fn: the callback, or NULL to silence the library.
 * @data: passed to @fn as is.
 *
 * By default warnings go to stderr; the environment variable
 * IOASID_LOG_LEVEL (warn, info, debug) raises the default level.  The
 * library prints nothing except through this callback.  Thread-safe.
 *
 * Return: the previous callback.
 */
IOASID_API ioasid_print_fn_t ioasid_set_print(ioasid_print_fn_t fn,
					      void *data);

/* ------------------------------------------------------------------ */
/* Values shared by the other headers                                   */

/* Size of the name buffers (devices, drivers, IOMMUs): 63 characters and
 * the NUL. */
#define IOASID_NAME_MAX 64

/* An inclusive range [start, last]. */
struct ioasid_iova_range {
	uint64_t start;
	uint64_t last;
};

/* Reserved IOVA regions (of a group, a device, an IOAS or a layout
 * endpoint). */
enum ioasid_resv_type {
	IOASID_RESV_DIRECT = 0,
	IOASID_RESV_DIRECT_RELAXABLE = 1,
	IOASID_RESV_RESERVED = 2,
	IOASID_RESV_MSI = 3,
	IOASID_RESV_SW_MSI = 4, /* software-managed MSI window (ARM) */
};

/* ioasid_resv_type_name - sysfs name: "direct", "direct-relaxable",
 * "reserved", "msi"; NULL for an unknown type. */
IOASID_API const char *ioasid_resv_type_name(enum ioasid_resv_type type);

struct ioasid_resv_region {
	uint64_t start;
	uint64_t last; /* inclusive */
	enum ioasid_resv_type type;
	uint32_t __reserved;
};

#ifdef __cplusplus
}
#endif

#endif /* IOASID_COMMON_H */
