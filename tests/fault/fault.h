/* SPDX-License-Identifier: MIT */
/*
 * Fault injection for libioasid (docs/TESTING.md, "Fault injection"):
 * every allocation and every system call the library makes is a failure
 * point, and a scenario is run once per point with that point failed
 * (once, and from it on), each run in a child process.
 *
 * How the pieces meet:
 * - The library's objects are built again (with ASan and UBSan) and
 *   their references to malloc, calloc, ..., ioctl, open, read, ... are
 *   renamed by objcopy to __fault_malloc, __fault_ioctl, ...
 *   (tests/fault/fault.syms): only the library's own calls are failure
 *   points, never those of the harness, ioasctl or libc's internals.
 *   fault.c implements them: count, and fail the chosen ones.
 * - The public entry points are wrapped at link time (--wrap, api.c):
 *   the outermost library call of the harness or of ioasctl is the unit
 *   that is checked.  Before it the state is snapshotted (snap.c); if a
 *   failure was injected while it ran, it must have returned a negative
 *   errno (the injected one) with errno set and a message, and left the
 *   state as it was, or have succeeded as in the clean run with the
 *   clean run's state; the call is then retried without injection, must
 *   give the clean run's result and state, and its result is what the
 *   caller sees, so the scenario goes on as in the clean run.
 * - A failure point outside any wrapped call is an error of the harness
 *   (api.c must wrap that entry point).
 */
#ifndef IOASID_TESTS_FAULT_H
#define IOASID_TESTS_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ioasid_ctx;
struct ioasid_virtio_iommu;

/* ------------------------------------------------------------------ */
/* Growable text buffer (snapshots, diagnostics)                        */

struct fbuf {
	char *p;
	size_t len, cap;
};

void fbuf_printf(struct fbuf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void fbuf_put(struct fbuf *b, const void *data, size_t len);
void fbuf_free(struct fbuf *b);

/* ------------------------------------------------------------------ */
/* Call boundaries (api.c calls these from its wrappers)                */

enum fault_call_kind {
	FC_INT,	 /* returns 0/count or a negative errno */
	FC_VOID, /* returns nothing: must finish its job even when failed */
	FC_REQ,	 /* virtio-iommu request: 0, outcome in the reply's status */
};

struct fault_call {
	const char *name;
	enum fault_call_kind kind;
	long index; /* outermost call number in this run; -1: nested */
	bool target; /* the call holding the point to fail */
};

/* Enter a wrapped public function; true if it is an outermost call. */
bool fault_enter(struct fault_call *c, const char *name,
		 enum fault_call_kind kind);
/*
 * Leave an outermost call with result @rc (@status: FC_REQ's reply
 * status, else 0).  Returns true when the call must be retried: a
 * failure was injected, the checks passed and injection is now off.
 * Then call again and report with fault_retried().
 */
bool fault_leave(struct fault_call *c, long rc, int status);
void fault_retried(struct fault_call *c, long rc, int status);
/* A nested call returns. */
void fault_nested_leave(void);

/* Registry of what a snapshot covers: api.c adds contexts and devices as
 * ioasid_ctx_open()/ioasid_virtio_iommu_create() make them. */
void fault_ctx_add(struct ioasid_ctx *ctx);
void fault_ctx_del(struct ioasid_ctx *ctx);
void fault_viommu_add(struct ioasid_virtio_iommu *v);
void fault_viommu_del(struct ioasid_virtio_iommu *v);
/* Memory the library writes as part of its state (the nested-mode
 * table region): hashed into every snapshot. */
void fault_watch_mem(const void *p, size_t len);
void fault_unwatch_all(void);

/* ------------------------------------------------------------------ */
/* Snapshots (snap.c)                                                   */

/* The state of every registered context (the backend's own structures,
 * compared structurally) and device model (its save stream). */
void snap_take(struct fbuf *out);
void snap_ctx(struct fbuf *out, struct ioasid_ctx *ctx);
void snap_viommu(struct fbuf *out, struct ioasid_virtio_iommu *v);
/* The real (unwrapped) save, for the snapshot. */
int __real_ioasid_virtio_iommu_save(struct ioasid_virtio_iommu *v, void *buf,
			      size_t size, size_t *needed);

/* ------------------------------------------------------------------ */
/* Scenarios (scenarios.c)                                              */

struct scenario {
	const char *name;
	const char *what;
	/* Once, in the parent before any run: memory and files every run
	 * uses (so that addresses agree between runs). */
	int (*setup)(void);
	/* One run, from nothing back to nothing (every context closed).
	 * Return 0, or nonzero if the scenario itself saw something wrong
	 * (a clean run must return 0). */
	int (*run)(void);
	/* Whether its stdout is compared with the clean run's (ioasctl). */
	bool compare_stdout;
};

extern const struct scenario fault_scenarios[];
extern const unsigned int fault_num_scenarios;

/* Scenario helpers: say what went wrong (to the run's diagnostics). */
void fault_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* The directory of the source tree's tests/fault (for the batch file). */
extern const char *fault_src_dir;

#endif /* IOASID_TESTS_FAULT_H */
