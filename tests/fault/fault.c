// SPDX-License-Identifier: MIT
/*
 * The fault-injection runtime (see fault.h and docs/TESTING.md, "Fault
 * injection"): text buffers, the records of the clean run, snapshots and
 * the boundaries of the library's calls.  The failure points are in
 * points.c, the runs and main() in runner.c.
 *
 *   fault [-j JOBS] [-v] [-l] [SCENARIO[:MODE:N]]...
 *
 * For each scenario: a clean run in this process records every outermost
 * library call (its failure points, result and state before and after)
 * and every failure point (function and call site); then one child
 * process per failure point N and mode runs the scenario from the start
 * with point N failed once ("once"), or N and every later point of the
 * same call failed ("from"), and one more child runs it clean.  A child
 * that crashes, hangs, leaks (LeakSanitizer), leaves a file descriptor
 * open or fails a check is a finding; its diagnostics are printed.
 * -l lists the failure points of the scenarios; SCENARIO:once:N runs one
 * child (and shows its output).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <iniparser.h>

#include <ioasid/ioasid.h>

#include "runtime.h"
#include "util.h" /* ioasid_fail(), ioasid_clear_error() */

/* ------------------------------------------------------------------ */
/* Text buffers                                                         */

void fbuf_put(struct fbuf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;

		while (b->len + len + 1 > cap)
			cap *= 2;
		b->p = realloc(b->p, cap);
		if (!b->p)
			abort();
		b->cap = cap;
	}
	memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void fbuf_printf(struct fbuf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		fbuf_put(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1);

	if (!big)
		abort();
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	fbuf_put(b, big, (size_t)n);
	free(big);
}

void fbuf_free(struct fbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------ */
/* Records of the clean run                                             */

const char *const mode_names[] = { "clean", "once", "from" };
struct fault_runtime rt;

/* Registry: what snapshots cover. */
#define MAX_REG 8
static struct ioasid_ctx *reg_ctx[MAX_REG];
static struct ioasid_virtio_iommu *reg_viommu[MAX_REG];
static struct {
	const void *p;
	size_t len;
} watch[MAX_REG];

int diag_fd = 2;

void fault_say(const char *fmt, ...)
{
	char buf[2048];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	if (write(diag_fd, buf, (size_t)n) < 0)
		return;
}

/* Where a failure point is: function and file:line of the call site. */
void describe_site(void *ra, char *buf, size_t len)
{
#if FAULT_HAVE_ASAN
	__sanitizer_symbolize_pc((char *)ra - 1, "%f %s:%l", buf, len);
	/* Shorten absolute paths to the tree's. */
	char *lib = strstr(buf, " lib/");

	if (!lib)
		lib = strstr(buf, "/lib/");
	if (lib && lib[0] == '/') {
		char *sp = strchr(buf, ' ');

		if (sp && sp < lib)
			memmove(sp + 1, lib + 1, strlen(lib + 1) + 1);
	}
#else
	snprintf(buf, len, "%p", ra);
#endif
}

/* The function a failure point is in (the first word of describe_site). */
void site_fn(long n, char *buf, size_t len)
{
	describe_site(rt.prec[n - 1].ra, buf, len);
	buf[strcspn(buf, " ")] = '\0';
}

void describe_point(long n, char *buf, size_t len)
{
	const struct point_rec *p;
	long same = 0, total = 0;
	char site[512];

	if (n < 1 || n > rt.nprec) {
		snprintf(buf, len, "point %ld (not in the clean run)", n);
		return;
	}
	p = &rt.prec[n - 1];
	for (long i = 0; i < rt.nprec; i++) {
		if (rt.prec[i].call != p->call || rt.prec[i].kind != p->kind)
			continue;
		total++;
		if (i < n)
			same++;
	}
	describe_site(p->ra, site, sizeof(site));
	snprintf(buf, len, "point %ld: %s, the %s %ld of %ld of call #%ld %s, at %s",
		 n, p->fn, p->kind == PK_ALLOC ? "allocation" : "system call",
		 same, total, p->call, rt.crec[p->call].name, site);
}

void fatal(const char *fmt, ...)
{
	char buf[4096], where[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	describe_point(rt.target, where, sizeof(where));
	fault_say("FAIL %s %ld (%s): %s", mode_names[rt.mode], rt.target, where,
		  buf);
	_exit(1);
}

/* The first line where two snapshots differ, with context. */
static void say_diff(const char *what, const char *want, const char *got)
{
	const char *a = want, *b = got;
	int line = 1;

	while (*a && *a == *b) {
		if (*a == '\n')
			line++;
		a++;
		b++;
	}
	while (a > want && a[-1] != '\n')
		a--, b--;
	fault_say("  %s differs from line %d:", what, line);
	fault_say("    want: %.*s", (int)strcspn(a, "\n"), a);
	fault_say("    got:  %.*s", (int)strcspn(b, "\n"), b);
}

void fault_fatal_diff(const char *what, const char *want,
			     const char *got)
{
	say_diff(what, want, got);
	fatal("%s", what);
}

/* ------------------------------------------------------------------ */
/* Registry and snapshots                                               */

void fault_ctx_add(struct ioasid_ctx *ctx)
{
	for (int i = 0; i < MAX_REG; i++)
		if (!reg_ctx[i]) {
			reg_ctx[i] = ctx;
			return;
		}
	abort();
}

void fault_ctx_del(struct ioasid_ctx *ctx)
{
	for (int i = 0; i < MAX_REG; i++)
		if (reg_ctx[i] == ctx)
			reg_ctx[i] = NULL;
}

void fault_viommu_add(struct ioasid_virtio_iommu *v)
{
	for (int i = 0; i < MAX_REG; i++)
		if (!reg_viommu[i]) {
			reg_viommu[i] = v;
			return;
		}
	abort();
}

void fault_viommu_del(struct ioasid_virtio_iommu *v)
{
	for (int i = 0; i < MAX_REG; i++)
		if (reg_viommu[i] == v)
			reg_viommu[i] = NULL;
}

void fault_watch_mem(const void *p, size_t len)
{
	for (int i = 0; i < MAX_REG; i++)
		if (!watch[i].p) {
			watch[i].p = p;
			watch[i].len = len;
			return;
		}
	abort();
}

void fault_unwatch_all(void)
{
	memset(watch, 0, sizeof(watch));
}

/* FNV-1a over watched memory. */
static uint64_t hash_mem(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ull;
	return h;
}

void snap_take(struct fbuf *out)
{
	int saved_errno = errno;
	char msg[1024];

	/* The snapshot calls the library (the device model's save), which
	 * forgets the thread's message: keep it for the caller. */
	snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
	rt.suspended++;
	out->len = 0;
	fbuf_printf(out, "state\n");
	for (int i = 0; i < MAX_REG; i++)
		if (reg_ctx[i])
			snap_ctx(out, reg_ctx[i]);
	for (int i = 0; i < MAX_REG; i++)
		if (reg_viommu[i])
			snap_viommu(out, reg_viommu[i]);
	for (int i = 0; i < MAX_REG; i++)
		if (watch[i].p)
			fbuf_printf(out, "memory %d: %zu bytes, hash %016llx\n", i,
				    watch[i].len,
				    (unsigned long long)hash_mem(watch[i].p,
								 watch[i].len));
	rt.suspended--;
	if (msg[0])
		ioasid_fail(saved_errno ? -saved_errno : -EIO, "%s", msg);
	else
		ioasid_clear_error();
	errno = saved_errno;
}

/* ------------------------------------------------------------------ */
/* Call boundaries                                                      */

bool fault_enter(struct fault_call *c, const char *name,
		 enum fault_call_kind kind)
{
	struct call_rec *r;

	if (rt.depth++ > 0 || rt.suspended) {
		c->index = -1;
		return false;
	}
	c->name = name;
	c->kind = kind;
	c->index = rt.calls++;
	c->target = false;
	rt.ninj = 0;
	if (rt.recording) {
		if (rt.ncrec == rt.capcrec) {
			rt.capcrec = rt.capcrec ? rt.capcrec * 2 : 64;
			rt.crec = realloc(rt.crec, rt.capcrec * sizeof(*rt.crec));
			if (!rt.crec)
				abort();
		}
		r = &rt.crec[rt.ncrec++];
		memset(r, 0, sizeof(*r));
		r->name = name;
		r->kind = kind;
		r->first = rt.points;
		snap_take(&r->before);
		return true;
	}
	if (c->index >= rt.ncrec)
		fatal("call #%ld %s: the clean run made only %ld calls", c->index,
		      name, rt.ncrec);
	r = &rt.crec[c->index];
	if (strcmp(r->name, name) || r->first != rt.points)
		fatal("call #%ld is %s after %ld points; in the clean run %s after %ld",
		      c->index, name, rt.points, r->name, r->first);
	if (rt.mode != RUN_CLEAN && !rt.done && rt.target > r->first &&
	    rt.target <= r->first + r->npoints) {
		c->target = true;
		snap_take(&rt.before);
		if (strcmp(rt.before.p, r->before.p))
			fault_fatal_diff("the state before the call (not as in the clean run)",
					 r->before.p, rt.before.p);
	}
	return true;
}

void fault_nested_leave(void)
{
	rt.depth--;
}

/*
 * A failed call reports the errno of the failure injected, with these
 * exceptions: system calls the library uses as probes, whose failure
 * means one thing only.
 */
static const struct {
	const char *fn;
	int injected, reported;
} errno_translations[] = {
	/* msync(MS_ASYNC) fails only on a hole (ENOMEM): the simulator's
	 * stand-in for pin_user_pages(), which is EFAULT on the kernel. */
	{ "msync", ENOMEM, EFAULT },
};

static bool injected_errno(int err)
{
	for (int i = 0; i < rt.ninj && i < (int)(sizeof(rt.inj_err) / sizeof(rt.inj_err[0])); i++) {
		if (rt.inj_err[i] == err)
			return true;
		for (size_t t = 0; t < sizeof(errno_translations) / sizeof(errno_translations[0]); t++)
			if (!strcmp(errno_translations[t].fn, rt.inj_fn[i]) &&
			    errno_translations[t].injected == rt.inj_err[i] &&
			    errno_translations[t].reported == err)
				return true;
	}
	return false;
}

static void resync(const struct fault_call *c)
{
	const struct call_rec *r = &rt.crec[c->index];

	rt.points = r->first + r->npoints;
}

bool fault_leave(struct fault_call *c, long rc, int status)
{
	struct call_rec *r = &rt.crec[c->index];
	struct fbuf now = { 0 };
	char msg[1024];
	int err = errno;

	if (rt.recording) {
		r->npoints = rt.points - r->first;
		r->rc = rc;
		r->status = status;
		rt.depth--;
		snap_take(&r->after);
		return false;
	}
	if (!c->target) {
		rt.depth--;
		return false;
	}
	rt.injecting = false;
	rt.done = true;
	if (!rt.ninj)
		fatal("%s returned without reaching the point (%ld points; %ld in the clean run)",
		      c->name, rt.points - r->first, r->npoints);
	snprintf(msg, sizeof(msg), "%s", ioasid_errmsg());
	rt.depth--;
	snap_take(&now);
	if (c->kind == FC_VOID || (rc == r->rc && status == r->status)) {
		/* It coped (or, returning nothing, had to): the state must
		 * be the clean run's after the call. */
		if (strcmp(now.p, r->after.p))
			fault_fatal_diff(c->kind == FC_VOID ?
					 "the state after the call returned (it returns nothing, so it must finish its job)" :
					 "the state after the call succeeded anyway",
					 r->after.p, now.p);
		fbuf_free(&now);
		resync(c);
		return false;
	}
	if (c->kind == FC_INT) {
		if (rc >= 0)
			fatal("%s returned %ld instead of %ld", c->name, rc, r->rc);
		if (err != -rc)
			fatal("%s returned %ld but errno is %d", c->name, rc, err);
		if (!msg[0])
			fatal("%s returned %ld without a message", c->name, rc);
		if (!injected_errno((int)-rc))
			fatal("%s returned %ld (%s), not the errno of the failure injected (%s): \"%s\"",
			      c->name, rc, strerror((int)-rc), strerror(rt.inj_err[0]), msg);
	} else if (rc != r->rc) {
		fatal("%s returned %ld (clean run: %ld)", c->name, rc, r->rc);
	} else if (status <= 0) {
		/* A request the device could not carry out must say so in
		 * its reply: an error status, not OK and not none. */
		fatal("%s: reply status %d (clean run: %d)", c->name, status,
		      r->status);
	}
	if (strcmp(now.p, rt.before.p))
		fault_fatal_diff("the state after the failed call (not the state before it)",
				 rt.before.p, now.p);
	fbuf_free(&now);
	rt.depth++; /* the retry runs inside the call */
	return true;
}

void fault_retried(struct fault_call *c, long rc, int status)
{
	struct call_rec *r = &rt.crec[c->index];
	struct fbuf now = { 0 };

	rt.depth--;
	if (rc != r->rc || status != r->status)
		fatal("the retry of %s returned %ld, status %d (clean run: %ld, status %d): %s",
		      c->name, rc, status, r->rc, r->status, ioasid_errmsg());
	snap_take(&now);
	if (strcmp(now.p, r->after.p))
		fault_fatal_diff("the state after the retry (not the clean run's)",
				 r->after.p, now.p);
	fbuf_free(&now);
	resync(c);
}

