/* SPDX-License-Identifier: MIT */
/*
 * The fault-injection runtime's own state, shared by fault.c (records,
 * snapshots, call boundaries), points.c (the failure points) and
 * runner.c (the runs and main).  Tests use fault.h.
 */
#ifndef IOASID_TESTS_FAULT_RUNTIME_H
#define IOASID_TESTS_FAULT_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>

#include "fault.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#define FAULT_HAVE_ASAN 1
#else
#define FAULT_HAVE_ASAN 0
#endif

/* ------------------------------------------------------------------ */
/* Records of the clean run                                             */

enum point_kind { PK_ALLOC, PK_SYS };

struct point_rec {
	const char *fn;
	void *ra;
	long call;
	enum point_kind kind;
};

struct call_rec {
	const char *name;
	enum fault_call_kind kind;
	long first, npoints; /* points first+1 .. first+npoints */
	long rc;
	int status;
	struct fbuf before, after;
};

enum run_mode { RUN_CLEAN, RUN_ONCE, RUN_FROM };
extern const char *const mode_names[];

struct fault_runtime {
	enum run_mode mode;
	bool recording;	 /* the parent's clean run */
	long target;	 /* the point to fail, 1-based */
	long points;	 /* points seen so far */
	int depth;	 /* wrapped calls in progress */
	int suspended;	 /* snapshots: no points */
	long calls;	 /* outermost calls so far */
	bool injecting;	 /* "from": failing every point until the call ends */
	bool done;	 /* the injection happened (once per run) */
	int ninj;	 /* failures injected in the current call */
	int inj_err[16];
	const char *inj_fn[16];
	long inj_first;	 /* the first point failed */
	struct fbuf before;
	/* records */
	struct point_rec *prec;
	long nprec, capprec;
	struct call_rec *crec;
	long ncrec, capcrec;
	/* failure points outside any wrapped call (a harness error) */
	long outside;
	const char *outside_fn;
	void *outside_ra;
};

/* The run's state, shared by the runtime (fault.c), the failure points
 * (points.c) and the runner (runner.c). */
extern struct fault_runtime rt;

/* A failure point of @kind in @fn, called from @ra: whether to fail it
 * (errno set to @err). */
bool fault_point(enum point_kind kind, const char *fn, void *ra, int err);

/* Diagnostics (fault.c): where they go, a failure point and its call site
 * in words, and the end of a run that found something. */
extern int diag_fd;
void describe_site(void *ra, char *buf, size_t len);
void site_fn(long n, char *buf, size_t len);
void describe_point(long n, char *buf, size_t len);
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fault_fatal_diff(const char *what, const char *want, const char *got)
	__attribute__((noreturn));

#endif /* IOASID_TESTS_FAULT_RUNTIME_H */
