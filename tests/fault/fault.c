// SPDX-License-Identifier: MIT
/*
 * The fault-injection runtime and runner (see fault.h and
 * docs/TESTING.md, "Fault injection").
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

#include "fault.h"
#include "util.h" /* ioasid_fail(), ioasid_clear_error() */

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#define FAULT_HAVE_ASAN 1
#else
#define FAULT_HAVE_ASAN 0
#endif

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
static const char *const mode_names[] = { "clean", "once", "from" };

static struct {
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
} rt;

/* Registry: what snapshots cover. */
#define MAX_REG 8
static struct ioasid_ctx *reg_ctx[MAX_REG];
static struct ioasid_viommu *reg_viommu[MAX_REG];
static struct {
	const void *p;
	size_t len;
} watch[MAX_REG];

static int diag_fd = 2;

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
static void describe_site(void *ra, char *buf, size_t len)
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
static void site_fn(long n, char *buf, size_t len)
{
	describe_site(rt.prec[n - 1].ra, buf, len);
	buf[strcspn(buf, " ")] = '\0';
}

static void describe_point(long n, char *buf, size_t len)
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

static void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fatal(const char *fmt, ...)
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

static void fault_fatal_diff(const char *what, const char *want,
			     const char *got)
{
	say_diff(what, want, got);
	fatal("%s", what);
}

/* ------------------------------------------------------------------ */
/* Failure points                                                       */

static bool point(enum point_kind kind, const char *fn, void *ra, int err)
{
	long n;
	bool fail = false;

	if (rt.suspended)
		return false;
	if (rt.depth == 0) {
		if (!rt.outside++) {
			rt.outside_fn = fn;
			rt.outside_ra = ra;
		}
		return false;
	}
	n = ++rt.points;
	if (rt.recording) {
		if (rt.nprec == rt.capprec) {
			rt.capprec = rt.capprec ? rt.capprec * 2 : 1024;
			rt.prec = realloc(rt.prec, rt.capprec * sizeof(*rt.prec));
			if (!rt.prec)
				abort();
		}
		rt.prec[rt.nprec++] = (struct point_rec){
			.fn = fn, .ra = ra, .call = rt.calls - 1, .kind = kind };
		return false;
	}
	if (rt.mode == RUN_ONCE && n == rt.target && !rt.done)
		fail = true;
	if (rt.mode == RUN_FROM && ((n == rt.target && !rt.done) || rt.injecting)) {
		fail = true;
		rt.injecting = true;
	}
	if (!fail)
		return false;
	if (!rt.ninj)
		rt.inj_first = n;
	if (rt.ninj < (int)(sizeof(rt.inj_err) / sizeof(rt.inj_err[0]))) {
		rt.inj_err[rt.ninj] = err;
		rt.inj_fn[rt.ninj] = fn;
	}
	rt.ninj++;
	errno = err;
	return true;
}

#define RA __builtin_return_address(0)
#define ALLOC_POINT(fn) point(PK_ALLOC, fn, RA, ENOMEM)
#define SYS_POINT(fn, err) point(PK_SYS, fn, RA, err)

/* Allocations: ENOMEM. */
void *__fault_malloc(size_t n)
{
	return ALLOC_POINT("malloc") ? NULL : malloc(n);
}

void *__fault_calloc(size_t n, size_t size)
{
	return ALLOC_POINT("calloc") ? NULL : calloc(n, size);
}

void *__fault_realloc(void *p, size_t n)
{
	return ALLOC_POINT("realloc") ? NULL : realloc(p, n);
}

void *__fault_reallocarray(void *p, size_t n, size_t size)
{
	return ALLOC_POINT("reallocarray") ? NULL : reallocarray(p, n, size);
}

char *__fault_strdup(const char *s)
{
	return ALLOC_POINT("strdup") ? NULL : strdup(s);
}

char *__fault_strndup(const char *s, size_t n)
{
	return ALLOC_POINT("strndup") ? NULL : strndup(s, n);
}

void *__fault_aligned_alloc(size_t align, size_t n)
{
	return ALLOC_POINT("aligned_alloc") ? NULL : aligned_alloc(align, n);
}

int __fault_posix_memalign(void **p, size_t align, size_t n)
{
	return ALLOC_POINT("posix_memalign") ? ENOMEM : posix_memalign(p, align, n);
}

int __fault_vasprintf(char **out, const char *fmt, va_list ap)
{
	if (ALLOC_POINT("vasprintf"))
		return -1;
	return vasprintf(out, fmt, ap);
}

int __fault_asprintf(char **out, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ALLOC_POINT("asprintf"))
		return -1;
	va_start(ap, fmt);
	n = vasprintf(out, fmt, ap);
	va_end(ap);
	return n;
}

/* Library functions that allocate inside libc or iniparser, where no
 * wrapper reaches: failed as a whole, ENOMEM. */
FILE *__fault_fopen(const char *path, const char *mode)
{
	return SYS_POINT("fopen", ENOMEM) ? NULL : fopen(path, mode);
}

DIR *__fault_opendir(const char *path)
{
	return SYS_POINT("opendir", ENOMEM) ? NULL : opendir(path);
}

char *__fault_realpath(const char *path, char *resolved)
{
	return SYS_POINT("realpath", ENOMEM) ? NULL : realpath(path, resolved);
}

dictionary *__fault_iniparser_load(const char *path)
{
	return SYS_POINT("iniparser_load", ENOMEM) ? NULL : iniparser_load(path);
}

/* System calls.  The errno is one the call can really give: ENOMEM for
 * the kernel's own allocations (what FAILSLAB makes an ioctl return),
 * EMFILE for a new descriptor, EIO for a read or write. */
int __fault_ioctl(int fd, unsigned long req, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (SYS_POINT("ioctl", ENOMEM))
		return -1;
	return ioctl(fd, req, arg);
}

int __fault_open(const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (SYS_POINT("open", EMFILE))
		return -1;
	return open(path, flags, mode);
}

int __fault_openat(int dirfd, const char *path, int flags, ...)
{
	mode_t mode = 0;
	va_list ap;

	if (flags & (O_CREAT | O_TMPFILE)) {
		va_start(ap, flags);
		mode = va_arg(ap, mode_t);
		va_end(ap);
	}
	if (SYS_POINT("openat", EMFILE))
		return -1;
	return openat(dirfd, path, flags, mode);
}

ssize_t __fault_read(int fd, void *buf, size_t n)
{
	return SYS_POINT("read", EIO) ? -1 : read(fd, buf, n);
}

ssize_t __fault_pread(int fd, void *buf, size_t n, off_t off)
{
	return SYS_POINT("pread", EIO) ? -1 : pread(fd, buf, n, off);
}

ssize_t __fault_write(int fd, const void *buf, size_t n)
{
	return SYS_POINT("write", EIO) ? -1 : write(fd, buf, n);
}

ssize_t __fault_pwrite(int fd, const void *buf, size_t n, off_t off)
{
	return SYS_POINT("pwrite", EIO) ? -1 : pwrite(fd, buf, n, off);
}

/* A failed stdio read: nothing read, the stream's error flag set, as
 * after a read(2) error (glibc's _IO_ERR_SEEN). */
static void stream_error(FILE *f)
{
	f->_flags |= _IO_ERR_SEEN;
	errno = EIO;
}

size_t __fault_fread(void *buf, size_t size, size_t n, FILE *f)
{
	if (SYS_POINT("fread", EIO)) {
		stream_error(f);
		return 0;
	}
	return fread(buf, size, n, f);
}

char *__fault_fgets(char *s, int n, FILE *f)
{
	if (SYS_POINT("fgets", EIO)) {
		stream_error(f);
		return NULL;
	}
	return fgets(s, n, f);
}

int __fault_getc(FILE *f)
{
	if (SYS_POINT("getc", EIO)) {
		stream_error(f);
		return EOF;
	}
	return getc(f);
}

size_t __fault_fwrite(const void *buf, size_t size, size_t n, FILE *f)
{
	if (SYS_POINT("fwrite", EIO)) {
		stream_error(f);
		return 0;
	}
	return fwrite(buf, size, n, f);
}

int __fault_fputs(const char *s, FILE *f)
{
	if (SYS_POINT("fputs", EIO)) {
		stream_error(f);
		return EOF;
	}
	return fputs(s, f);
}

struct dirent *__fault_readdir(DIR *d)
{
	return SYS_POINT("readdir", EIO) ? NULL : readdir(d);
}

ssize_t __fault_readlink(const char *path, char *buf, size_t n)
{
	return SYS_POINT("readlink", EIO) ? -1 : readlink(path, buf, n);
}

int __fault_stat(const char *path, struct stat *st)
{
	return SYS_POINT("stat", ENOMEM) ? -1 : stat(path, st);
}

int __fault_lstat(const char *path, struct stat *st)
{
	return SYS_POINT("lstat", ENOMEM) ? -1 : lstat(path, st);
}

int __fault_fstat(int fd, struct stat *st)
{
	return SYS_POINT("fstat", ENOMEM) ? -1 : fstat(fd, st);
}

int __fault_fstatfs(int fd, struct statfs *st)
{
	return SYS_POINT("fstatfs", ENOMEM) ? -1 : fstatfs(fd, st);
}

int __fault_access(const char *path, int mode)
{
	return SYS_POINT("access", ENOMEM) ? -1 : access(path, mode);
}

int __fault_msync(void *addr, size_t len, int flags)
{
	return SYS_POINT("msync", ENOMEM) ? -1 : msync(addr, len, flags);
}

int __fault_madvise(void *addr, size_t len, int advice)
{
	return SYS_POINT("madvise", EAGAIN) ? -1 : madvise(addr, len, advice);
}

void *__fault_mmap(void *addr, size_t len, int prot, int flags, int fd,
		   off_t off)
{
	if (SYS_POINT("mmap", ENOMEM))
		return MAP_FAILED;
	return mmap(addr, len, prot, flags, fd, off);
}

int __fault_munmap(void *addr, size_t len)
{
	return SYS_POINT("munmap", ENOMEM) ? -1 : munmap(addr, len);
}

int __fault_memfd_create(const char *name, unsigned int flags)
{
	return SYS_POINT("memfd_create", EMFILE) ? -1 : memfd_create(name, flags);
}

int __fault_eventfd(unsigned int val, int flags)
{
	return SYS_POINT("eventfd", EMFILE) ? -1 : eventfd(val, flags);
}

int __fault_dup(int fd)
{
	return SYS_POINT("dup", EMFILE) ? -1 : dup(fd);
}

/* Only the commands that make a descriptor can fail for a valid fd. */
int __fault_fcntl(int fd, int cmd, ...)
{
	va_list ap;
	long arg;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	if ((cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC) && SYS_POINT("fcntl", EMFILE))
		return -1;
	return fcntl(fd, cmd, arg);
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

void fault_viommu_add(struct ioasid_viommu *v)
{
	for (int i = 0; i < MAX_REG; i++)
		if (!reg_viommu[i]) {
			reg_viommu[i] = v;
			return;
		}
	abort();
}

void fault_viommu_del(struct ioasid_viommu *v)
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

/* ------------------------------------------------------------------ */
/* Runs                                                                 */

const char *fault_src_dir = "tests/fault";

static void list_fds(struct fbuf *out)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;

	out->len = 0;
	fbuf_printf(out, "fds");
	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && atoi(e->d_name) != dirfd(d))
			fbuf_printf(out, " %s", e->d_name);
	closedir(d);
}

static int read_fd(int fd, struct fbuf *out)
{
	char buf[4096];
	ssize_t n;
	off_t off = 0;

	out->len = 0;
	while ((n = pread(fd, buf, sizeof(buf), off)) > 0) {
		fbuf_put(out, buf, (size_t)n);
		off += n;
	}
	if (!out->p)
		fbuf_put(out, "", 0);
	return n < 0 ? -1 : 0;
}

static struct fbuf ref_stdout;

/* Reset the per-run state (the records stay). */
static void rt_reset(enum run_mode mode, long target, bool recording)
{
	rt.mode = mode;
	rt.recording = recording;
	rt.target = target;
	rt.points = 0;
	rt.depth = 0;
	rt.suspended = 0;
	rt.calls = 0;
	rt.injecting = false;
	rt.done = false;
	rt.ninj = 0;
	rt.outside = 0;
}

/*
 * The records live in a shared mapping: the clean run is recorded in a
 * child too, so that every run starts from the same process, one that
 * has never called the library (the library keeps process-wide state,
 * such as lazily made caches, that would make a later run differ).
 * Function names and call sites are pointers into this executable, the
 * same in every fork; snapshots and ioasctl's output are copied in.
 */
#define ARENA_SIZE (1ul << 30)
static char *arena;
static size_t arena_used;

static void *arena_put(const void *p, size_t len)
{
	size_t off = (arena_used + 15) & ~(size_t)15;
	char *dst;

	if (off + len + 1 > ARENA_SIZE)
		abort();
	dst = arena + off;
	memcpy(dst, p, len);
	dst[len] = '\0';
	arena_used = off + len + 1;
	return dst;
}

static void arena_fbuf(struct fbuf *b)
{
	char *p = arena_put(b->p ? b->p : "", b->len);

	free(b->p);
	b->p = p;
	b->cap = 0; /* not ours to free */
}

struct arena_head {
	int rc;
	long nprec, ncrec, outside;
	const char *outside_fn;
	void *outside_ra;
	struct point_rec *prec;
	struct call_rec *crec;
	struct fbuf out;
};

static void records_free(void)
{
	rt.crec = NULL;
	rt.prec = NULL;
	rt.ncrec = rt.capcrec = rt.nprec = rt.capprec = 0;
	memset(&ref_stdout, 0, sizeof(ref_stdout));
	fbuf_free(&rt.before);
}

/* The recording child: the clean run, its records into the arena. */
static void __attribute__((noreturn)) record_child(const struct scenario *sc)
{
	struct arena_head h = { 0 };
	int out = -1, saved = -1;

	rt_reset(RUN_CLEAN, 0, true);
	if (sc->compare_stdout) {
		fflush(stdout);
		out = memfd_create("fault-stdout", MFD_CLOEXEC);
		saved = dup(1);
		dup2(out, 1);
	}
	h.rc = sc->run();
	if (sc->compare_stdout) {
		fflush(stdout);
		dup2(saved, 1);
		close(saved);
		read_fd(out, &h.out);
		close(out);
		arena_fbuf(&h.out);
	}
	rt.recording = false;
	for (long i = 0; i < rt.ncrec; i++) {
		arena_fbuf(&rt.crec[i].before);
		arena_fbuf(&rt.crec[i].after);
	}
	h.nprec = rt.nprec;
	h.ncrec = rt.ncrec;
	h.outside = rt.outside;
	h.outside_fn = rt.outside_fn;
	h.outside_ra = rt.outside_ra;
	h.prec = arena_put(rt.prec ? (void *)rt.prec : "", rt.nprec * sizeof(*rt.prec));
	h.crec = arena_put(rt.crec ? (void *)rt.crec : "", rt.ncrec * sizeof(*rt.crec));
	memcpy(arena, &h, sizeof(h));
	_exit(0);
}

/* The clean run, recorded (in a child). */
static int record(const struct scenario *sc)
{
	struct arena_head h;
	int status;
	pid_t pid;

	records_free();
	arena_used = sizeof(struct arena_head);
	memset(arena, 0, sizeof(h));
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0)
		record_child(sc);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status)) {
		fault_say("%s: the clean run died (status %#x)", sc->name, status);
		return -1;
	}
	memcpy(&h, arena, sizeof(h));
	rt.prec = h.prec;
	rt.nprec = h.nprec;
	rt.crec = h.crec;
	rt.ncrec = h.ncrec;
	ref_stdout = h.out;
	if (h.rc) {
		fault_say("%s: the clean run failed (%d)", sc->name, h.rc);
		return -1;
	}
	if (h.outside) {
		char site[512];

		describe_site(h.outside_ra, site, sizeof(site));
		fault_say("%s: %ld failure points outside any wrapped call, the first %s at %s: tests/fault/api.c must wrap that entry point",
			  sc->name, h.outside, h.outside_fn, site);
		return -1;
	}
	return 0;
}

/* One run in a child: exits 0 when everything survived. */
static void __attribute__((noreturn)) child(const struct scenario *sc,
					    enum run_mode mode, long target)
{
	struct fbuf got = { 0 };
	int out = -1, rc;

	struct fbuf fds = { 0 };

	alarm(60);
	rt_reset(mode, target, false);
	if (sc->compare_stdout) {
		out = memfd_create("fault-stdout", MFD_CLOEXEC);
		dup2(out, 1);
		close(out);
	}
	/* What is open now (other children's diagnostics included) must be
	 * all that is open at the end. */
	list_fds(&fds);
	rc = sc->run();
	if (rc)
		fatal("the scenario saw a wrong result (%d)", rc);
	if (mode != RUN_CLEAN && !rt.done)
		fatal("the point was not reached");
	if (rt.outside)
		fatal("a failure point outside any wrapped call (%s)", rt.outside_fn);
	if (sc->compare_stdout) {
		fflush(stdout);
		read_fd(1, &got);
		if (strcmp(got.p, ref_stdout.p))
			fault_fatal_diff("ioasctl's output", ref_stdout.p, got.p);
	}
	list_fds(&got);
	if (strcmp(got.p, fds.p))
		fault_fatal_diff("the open file descriptors at the end", fds.p,
				 got.p);
	fbuf_free(&got);
	fbuf_free(&fds);
#if FAULT_HAVE_ASAN
	if (__lsan_do_recoverable_leak_check())
		fatal("LeakSanitizer found leaks (above)");
#endif
	_exit(0);
}

/*
 * Known failures: findings in files this suite's authors may not change
 * (lib/viommu/ was being rewritten when the suite came), reported but
 * not counted as failures.  A run is known when the point it failed is
 * in outermost call @call, in function @site (NULL: any), and its
 * diagnostics contain @text.  Remove an entry with its fix.
 */
static const struct known {
	const char *call, *site, *text, *why;
} known[] = {
	{ "ioasid_viommu_add_endpoint", "probe_host", "without a message",
	  "lib/viommu/lifecycle.c probe_host(): -ENOMEM without ioasid_fail()" },
	{ "ioasid_viommu_enable_nested", NULL, "without a message",
	  "enable_nested: a host failure's message is lost in the cleanup" },
	{ "ioasid_viommu_enable_nested", "sim_ext_fault_alloc", "succeeded anyway",
	  "enable_nested succeeds without the fault queue it could not make" },
	{ "ioasid_viommu_handle_buffers", NULL, "the state after the failed call",
	  "a failed ATTACH leaves the endpoint detached (shadow) or the nest "
	  "parent attached and table pages used (nested)" },
	{ "ioasid_viommu_handle_buffers", NULL, "the state after the retry",
	  "a failed ATTACH or MAP keeps table-region pages: the retry builds "
	  "its tables elsewhere (nested)" },
	{ "ioasid_viommu_handle_buffers", NULL, "succeeded anyway",
	  "a request answered OK after a host failure leaves another state" },
	{ "ioasid_viommu_handle_buffers", NULL, "in the clean run",
	  "a failed request leaves the device model's invalidation queue "
	  "other than it was" },
};

static const struct known *known_failure(long target, int diag)
{
	struct fbuf b = { 0 };
	const struct known *k = NULL;
	char fn[512];

	if (target < 1 || target > rt.nprec)
		return NULL;
	site_fn(target, fn, sizeof(fn));
	read_fd(diag, &b);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]) && !k; i++)
		if (!strcmp(known[i].call, rt.crec[rt.prec[target - 1].call].name) &&
		    (!known[i].site || !strcmp(known[i].site, fn)) &&
		    strstr(b.p, known[i].text) && !strstr(b.p, "ERROR: ") &&
		    !strstr(b.p, "runtime error"))
			k = &known[i];
	fbuf_free(&b);
	return k;
}

/*
 * Regression tests of the defects this suite found in the library: one
 * run each, the point named by where it is rather than by its number
 * (the @nth point in function @site of outermost call @call, made by
 * @fn), so that they keep their meaning when points come and go.
 */
static const struct regress {
	const char *name, *scenario;
	enum run_mode mode;
	const char *call, *site, *fn;
	int nth;
} regressions[] = {
	/* sim_close() read s->devs[i] with s->devs NULL (commit
	 * "sim: sim_close() after ioasid_sim_open() ran out of memory"). */
	{ "regress-sim-open-devs", "readme", RUN_ONCE, "ioasid_ctx_open",
	  "ioasid_sim_open", "calloc", 3 },
	{ "regress-sim-open-groups", "readme", RUN_FROM, "ioasid_ctx_open",
	  "ioasid_sim_open", "calloc", 2 },
	/* iniparser_load() failing was -EINVAL. */
	{ "regress-ini-enomem", "readme", RUN_ONCE, "ioasid_ctx_open",
	  "load_text", "iniparser_load", 1 },
	/* sim_cover_rebuild() failing left an empty coverage: attach
	 * returned 0 with everything usable, or a rollback emptied it. */
	{ "regress-cover-attach", "readme", RUN_ONCE, "ioasid_dev_attach",
	  "sim_cover_rebuild", "malloc", 2 },
	/* The fourth attach of the batch (a device joining an IOAS that
	 * has regions already), its regions failing and then the
	 * rollback's rebuild too. */
	{ "regress-cover-rollback", "batch", RUN_FROM, "ioasid_dev_attach",
	  "resv_add", "calloc", 4 },
	/* A detach that cannot rebuild leaves it stale; the ranges after
	 * it (ioasctl's output) must not show it. */
	{ "regress-cover-detach", "batch", RUN_ONCE, "ioasid_dev_detach",
	  "sim_cover_rebuild", "malloc", 1 },
};

static long regress_point(const struct regress *r)
{
	char fn[512];
	int seen = 0;

	for (long n = 1; n <= rt.nprec; n++) {
		if (strcmp(rt.crec[rt.prec[n - 1].call].name, r->call) ||
		    strcmp(rt.prec[n - 1].fn, r->fn))
			continue;
		site_fn(n, fn, sizeof(fn));
		if (!strcmp(fn, r->site) && ++seen == r->nth)
			return n;
	}
	return 0;
}

struct job {
	pid_t pid;
	enum run_mode mode;
	long target;
	int diag;
};

static bool verbose;

static void say_job_output(int fd, int max_lines)
{
	struct fbuf b = { 0 };
	int lines = 0;

	read_fd(fd, &b);
	for (char *p = b.p; p && *p && lines < max_lines; lines++) {
		size_t n = strcspn(p, "\n");

		fault_say("    | %.*s", (int)n, p);
		p += n + (p[n] == '\n');
	}
	fbuf_free(&b);
}

static long known_runs;

/* Wait for one job; returns true if it survived (or failed as known). */
static bool reap(const struct scenario *sc, struct job *jobs, int *njobs)
{
	const struct known *k = NULL;
	int status, i;
	pid_t pid = wait(&status);
	bool ok;

	for (i = 0; i < *njobs; i++)
		if (jobs[i].pid == pid)
			break;
	if (i == *njobs)
		return true;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	if (!ok && WIFEXITED(status) && WEXITSTATUS(status) == 1)
		k = known_failure(jobs[i].target, jobs[i].diag);
	if (k) {
		known_runs++;
		if (verbose)
			fault_say("%s %s %ld: known failure (%s)", sc->name,
				  mode_names[jobs[i].mode], jobs[i].target, k->why);
		close(jobs[i].diag);
		jobs[i] = jobs[--*njobs];
		return true;
	}
	if (!ok || verbose) {
		char where[768];

		describe_point(jobs[i].target, where, sizeof(where));
		if (WIFSIGNALED(status))
			fault_say("%s %s %ld: killed by signal %d (%s) [%s]", sc->name,
				  mode_names[jobs[i].mode], jobs[i].target,
				  WTERMSIG(status), strsignal(WTERMSIG(status)),
				  where);
		else if (!ok)
			fault_say("%s %s %ld: exit %d [%s]", sc->name,
				  mode_names[jobs[i].mode], jobs[i].target,
				  WEXITSTATUS(status), where);
		say_job_output(jobs[i].diag, ok ? 10 : 60);
	}
	close(jobs[i].diag);
	jobs[i] = jobs[--*njobs];
	return ok;
}

static void spawn(const struct scenario *sc, struct job *jobs, int *njobs,
		  enum run_mode mode, long target)
{
	int diag = memfd_create("fault-diag", MFD_CLOEXEC);
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(2);
	}
	if (pid == 0) {
		dup2(diag, 2);
		diag_fd = 2;
		close(diag);
		child(sc, mode, target);
	}
	jobs[*njobs] = (struct job){ .pid = pid, .mode = mode,
				     .target = target, .diag = diag };
	(*njobs)++;
}

static void list_points(const struct scenario *sc)
{
	char where[768];

	printf("%s: %ld calls, %ld failure points\n", sc->name, rt.ncrec, rt.nprec);
	for (long k = 0; k < rt.ncrec; k++)
		printf("  call #%ld %s: %ld points, rc %ld\n", k, rt.crec[k].name,
		       rt.crec[k].npoints, rt.crec[k].rc);
	for (long n = 1; n <= rt.nprec; n++) {
		describe_point(n, where, sizeof(where));
		printf("  %s\n", where);
	}
}

int main(int argc, char **argv)
{
	int jobs_max = 2, passed = 0, failed = 0, opt;
	const char *env = getenv("FAULT_JOBS");
	bool list = false;
	struct timespec t0, t1;

	if (env && atoi(env) > 0)
		jobs_max = atoi(env);
	if (getenv("FAULT_SRC"))
		fault_src_dir = getenv("FAULT_SRC");
	while ((opt = getopt(argc, argv, "j:lv")) != -1) {
		switch (opt) {
		case 'j':
			jobs_max = atoi(optarg) > 0 ? atoi(optarg) : 1;
			break;
		case 'l':
			list = true;
			break;
		case 'v':
			verbose = true;
			break;
		default:
			fprintf(stderr, "usage: %s [-j JOBS] [-l] [-v] [SCENARIO[:once|from:N]]...\n",
				argv[0]);
			return 2;
		}
	}
	arena = mmap(NULL, ARENA_SIZE, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (arena == MAP_FAILED) {
		perror("mmap");
		return 2;
	}
	/* The library's default log goes to stderr: keep the runs quiet. */
	ioasid_set_print(NULL, NULL);
	setvbuf(stdout, NULL, _IOLBF, 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);

	for (unsigned int s = 0; s < fault_num_scenarios; s++) {
		const struct scenario *sc = &fault_scenarios[s];
		struct job jobs[64];
		int njobs = 0, bad = 0, only_mode = -1;
		long only_n = 0, runs = 0, nalloc = 0;
		bool chosen = optind >= argc;

		for (int a = optind; a < argc; a++) {
			size_t l = strlen(sc->name);

			if (strncmp(argv[a], sc->name, l) ||
			    (argv[a][l] && argv[a][l] != ':'))
				continue;
			chosen = true;
			if (argv[a][l] == ':') {
				char m[16];

				if (sscanf(argv[a] + l + 1, "%15[a-z]:%ld", m, &only_n) != 2)
					return 2;
				only_mode = !strcmp(m, "once") ? RUN_ONCE :
					    !strcmp(m, "from") ? RUN_FROM : RUN_CLEAN;
			}
		}
		if (!chosen)
			continue;
		if (sc->setup && sc->setup()) {
			printf("%s: setup failed\n", sc->name);
			failed += 3;
			continue;
		}
		if (record(sc)) {
			printf("%s: the clean run failed\n", sc->name);
			failed += 3;
			continue;
		}
		if (list) {
			list_points(sc);
			continue;
		}
		for (long i = 0; i < rt.nprec; i++)
			nalloc += rt.prec[i].kind == PK_ALLOC;
		if (only_mode >= 0) {
			verbose = true;
			spawn(sc, jobs, &njobs, only_mode, only_n);
			bad += !reap(sc, jobs, &njobs);
			printf("%s %s %ld: %s\n", sc->name, mode_names[only_mode],
			       only_n, bad ? "FAILED" : "survived");
			failed += bad;
			passed += !bad;
			continue;
		}
		for (int mode = RUN_CLEAN; mode <= RUN_FROM; mode++) {
			long first = mode == RUN_CLEAN ? 0 : 1;
			long last = mode == RUN_CLEAN ? 0 : rt.nprec;
			int mode_bad = 0;

			for (long n = first; n <= last; n++) {
				const struct call_rec *cr;

				/* From the last point of a call on is that
				 * point once: nothing later in the call. */
				if (mode == RUN_FROM) {
					cr = &rt.crec[rt.prec[n - 1].call];
					if (n == cr->first + cr->npoints)
						continue;
				}
				if (njobs == jobs_max || njobs == 64)
					mode_bad += !reap(sc, jobs, &njobs);
				spawn(sc, jobs, &njobs, mode, n);
				runs++;
			}
			while (njobs)
				mode_bad += !reap(sc, jobs, &njobs);
			if (mode_bad)
				failed++;
			else
				passed++;
			bad += mode_bad;
		}
		if (bad)
			printf("%s: %ld failure points (%ld allocations, %ld system calls) in %ld calls, %d of %ld runs FAILED\n",
			       sc->name, rt.nprec, nalloc, rt.nprec - nalloc,
			       rt.ncrec, bad, runs);
		else if (known_runs)
			printf("%s: %ld failure points, %ld runs failed as known (lib/viommu, tests/fault/fault.c known[]), all others survived (%ld allocations, %ld system calls, in %ld calls; %ld runs)\n",
			       sc->name, rt.nprec, known_runs, nalloc,
			       rt.nprec - nalloc, rt.ncrec, runs);
		else
			printf("%s: %ld failure points, all survived (%ld allocations, %ld system calls, in %ld calls; %ld runs)\n",
			       sc->name, rt.nprec, nalloc, rt.nprec - nalloc,
			       rt.ncrec, runs);
		known_runs = 0;
	}
	for (size_t i = 0; !list && i < sizeof(regressions) / sizeof(regressions[0]); i++) {
		const struct regress *r = &regressions[i];
		const struct scenario *sc = NULL;
		struct job jobs[1];
		int njobs = 0;
		bool chosen = optind >= argc;
		long n;

		for (int a = optind; a < argc; a++)
			chosen |= !strcmp(argv[a], r->name) || !strcmp(argv[a], "regress");
		for (unsigned int s = 0; s < fault_num_scenarios; s++)
			if (!strcmp(fault_scenarios[s].name, r->scenario))
				sc = &fault_scenarios[s];
		if (!chosen || !sc)
			continue;
		if ((sc->setup && sc->setup()) || record(sc) || !(n = regress_point(r))) {
			printf("%s: FAILED (no %s point %d in %s of %s)\n", r->name,
			       r->fn, r->nth, r->site, r->call);
			failed++;
			continue;
		}
		spawn(sc, jobs, &njobs, r->mode, n);
		if (reap(sc, jobs, &njobs)) {
			printf("%s: survived (%s %s %ld)\n", r->name, sc->name,
			       mode_names[r->mode], n);
			passed++;
		} else {
			printf("%s: FAILED (%s %s %ld)\n", r->name, sc->name,
			       mode_names[r->mode], n);
			failed++;
		}
	}
	records_free();
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!list) {
		printf("fault: %.1f s\n", (double)(t1.tv_sec - t0.tv_sec) +
						  (t1.tv_nsec - t0.tv_nsec) / 1e9);
		printf("%d passed, %d failed\n", passed, failed);
	}
	return failed ? 1 : 0;
}
