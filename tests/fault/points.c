// SPDX-License-Identifier: MIT
/*
 * The failure points: the library's calls to allocators and system calls,
 * renamed to __fault_*() by objcopy (fault.syms), each of which fails
 * when the run says so, with an errno the real call can give.
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
/* Failure points                                                       */

bool fault_point(enum point_kind kind, const char *fn, void *ra, int err)
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
#define ALLOC_POINT(fn) fault_point(PK_ALLOC, fn, RA, ENOMEM)
#define SYS_POINT(fn, err) fault_point(PK_SYS, fn, RA, err)

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
