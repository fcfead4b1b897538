/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by the library's VM tests (tests/vm/lib/NAME.c), which
 * run as static programs in the guest (docs/TESTING.md).  Header only.
 *
 * Every line a test prints starts with its name.  Exit status: 0 pass,
 * 1 fail (vt_fail and the VT_* checks), 77 skip (vt_skip).
 *
 *   VT_OK(ioasid_ioas_alloc(ctx, &id));          must return >= 0
 *   VT_ERR(ENOENT, ioasid_ioas_destroy(ctx, 99)); -ENOENT, errno, a message
 *   VT_ERR_MSG(ENOENT, "99", ...);                 ... naming "99"
 *   VT_CHECK(n == 3, "got %u ranges", n);         any condition
 *
 * A failure names the file, line, the call or condition, the errno and
 * the library's message (ioasid_errmsg()).  The calls are judged as in
 * every suite (tests/harness/hx-check.h).  These programs run on the
 * kernel only: a test of the public API that a mock device can serve
 * belongs in tests/harness/ (both backends); what stays here needs the
 * real hardware (edu DMA, sysfs, VFIO fds), raw uAPI ioctls, or the
 * kernel's own test ops beyond the harness's.
 */
#ifndef IOASID_VMTEST_H
#define IOASID_VMTEST_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <linux/capability.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ioasid/ioasid.h>

#include "../../harness/hx-check.h"
#include "vm_hw.h"

#define VT_EXIT_PASS 0
#define VT_EXIT_FAIL 1
#define VT_EXIT_SKIP 77

/* The test's name as the console shows it ("edu_dma.t"). */
static inline const char *vt_name(void)
{
	return program_invocation_short_name;
}

static inline void vt_vsay(const char *tag, const char *fmt, va_list ap)
{
	printf("%s: %s", vt_name(), tag);
	vprintf(fmt, ap);
	printf("\n");
	fflush(stdout);
}

/* One line of output, prefixed with the test's name. */
static inline __attribute__((format(printf, 1, 2))) void
vt_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_vsay("", fmt, ap);
	va_end(ap);
}

/* Print "FAIL: ..." and exit 1. */
static inline __attribute__((format(printf, 1, 2), noreturn)) void
vt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_vsay("FAIL: ", fmt, ap);
	va_end(ap);
	exit(VT_EXIT_FAIL);
}

/* Print "SKIP: ..." and exit 77: something the test needs is missing. */
static inline __attribute__((format(printf, 1, 2), noreturn)) void
vt_skip(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vt_vsay("SKIP: ", fmt, ap);
	va_end(ap);
	exit(VT_EXIT_SKIP);
}

/* Print "FAIL: FILE:LINE: " and the judgement, and exit 1. */
static inline __attribute__((noreturn)) void
vt_fail_why(const char *file, int line, const struct hx_why *why)
{
	vt_fail("%s:%d: %s", file, line, why->text);
}

/* A library call that returns a negative errno on failure, with the
 * library's message of the failure. */
static inline __attribute__((noreturn)) void
vt_fail_call(const char *file, int line, const char *call, int rc,
	     const char *expected)
{
	vt_fail("%s:%d: %s returned %d (%s), expected %s; libioasid: \"%s\"",
		file, line, call, rc, hx_strerr(rc), expected, ioasid_errmsg());
}

/* @call must succeed (return >= 0); evaluates to its return value. */
#define VT_OK(call)                                                          \
	({                                                                   \
		struct hx_why vt_why_;                                       \
		int vt_rc_ = (call);                                         \
		if (!hx_judge_ok(&vt_why_, #call, vt_rc_, true))             \
			vt_fail_why(__FILE__, __LINE__, &vt_why_);           \
		vt_rc_;                                                      \
	})

/* @call must fail with -@err (an errno constant such as ENOENT), set
 * errno to @err and leave a message (tests/harness/hx-check.h). */
#define VT_ERR(err, call) VT_ERR_MSG(err, NULL, call)

/* The same, and the message contains @needle (ignoring case). */
#define VT_ERR_MSG(err, needle, call)                                        \
	do {                                                                 \
		struct hx_why vt_why_;                                       \
		int vt_rc_, vt_errno_;                                       \
		errno = 0;                                                   \
		vt_rc_ = (call);                                             \
		vt_errno_ = errno;                                           \
		if (!hx_judge_err(&vt_why_, #call, vt_rc_, vt_errno_, (err), \
				  (needle)))                                 \
			vt_fail_why(__FILE__, __LINE__, &vt_why_);           \
	} while (0)

/* Any condition; the format describes what was seen. */
#define VT_CHECK(cond, ...)                                                  \
	do {                                                                 \
		if (!(cond)) {                                               \
			printf("%s: FAIL: %s:%d: %s: ", vt_name(), __FILE__, \
			       __LINE__, #cond);                             \
			printf(__VA_ARGS__);                                 \
			printf("\n");                                        \
			fflush(stdout);                                      \
			exit(VT_EXIT_FAIL);                                  \
		}                                                            \
	} while (0)

/* Monotonic time in nanoseconds. */
static inline uint64_t vt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A kernel-backend context on /dev/iommu, ignoring ioasid.conf and the
 * environment; skips the test when the kernel has no iommufd. */
/* Write @val to the sysfs, debugfs or procfs file @path: 0 or -errno. */
static inline int vt_write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	close(fd);
	return n < 0 ? -errno : 0;
}

/* The guest kernel's page size: 4 KiB on x86 and arm64, 64 KiB on the
 * arm64-64k lane, where the IOMMU's smallest page and the IOAS's IOVA
 * alignment follow it (tests must size maps from it, not from 4096).
 * unsigned long long, as the 0x...ull constants it is added to, so that
 * sums print with %llx. */
static inline unsigned long long vt_page_size(void)
{
	static unsigned long long page;

	if (!page)
		page = (unsigned long long)sysconf(_SC_PAGESIZE);
	return page;
}

static inline struct ioasid_ctx *vt_kernel_ctx(void)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_KERNEL,
		    .config = "");
	struct ioasid_ctx *ctx = NULL;
	int rc = ioasid_ctx_open(&opts, &ctx);

	if (rc == -ENOENT)
		vt_skip("no /dev/iommu: %s", ioasid_errmsg());
	if (rc < 0)
		vt_fail_call(__FILE__, __LINE__, "ioasid_ctx_open(kernel)", rc,
			     "success");
	return ctx;
}

static inline int vt_read_hex(const char *path, unsigned long *value)
{
	char buf[32];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EIO;
	buf[n] = '\0';
	*value = strtoul(buf, NULL, 0);
	return 0;
}

/* The PCI address of the first device @vendor:@device in sysfs, into
 * @bdf (IOASID_NAME_MAX bytes).  Return: 0, or -ENODEV. */
static inline int vt_find_pci(unsigned int vendor, unsigned int device,
			      char *bdf)
{
	const char *root = "/sys/bus/pci/devices";
	struct dirent *de;
	DIR *dir = opendir(root);

	if (!dir)
		return -ENODEV;
	while ((de = readdir(dir))) {
		char path[PATH_MAX];
		unsigned long v = 0, d = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", root, de->d_name);
		if (vt_read_hex(path, &v))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", root, de->d_name);
		if (vt_read_hex(path, &d))
			continue;
		if (v == vendor && d == device) {
			size_t len = strnlen(de->d_name, IOASID_NAME_MAX - 1);

			memcpy(bdf, de->d_name, len);
			bdf[len] = '\0';
			closedir(dir);
			return 0;
		}
	}
	closedir(dir);
	return -ENODEV;
}

/* Every PCI device @vendor:@device in sysfs, in address order, into
 * @bdfs (up to @max).  Return: how many there are (may exceed @max). */
static inline int vt_cmp_name(const void *a, const void *b)
{
	return strcmp(a, b);
}

static inline int vt_find_pci_all(unsigned int vendor, unsigned int device,
				  char (*bdfs)[IOASID_NAME_MAX], int max)
{
	const char *root = "/sys/bus/pci/devices";
	struct dirent *de;
	DIR *dir = opendir(root);
	int n = 0;

	if (!dir)
		return 0;
	while ((de = readdir(dir))) {
		char path[PATH_MAX];
		unsigned long v = 0, d = 0;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", root, de->d_name);
		if (vt_read_hex(path, &v))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", root, de->d_name);
		if (vt_read_hex(path, &d) || v != vendor || d != device)
			continue;
		if (n < max) {
			size_t len = strnlen(de->d_name, IOASID_NAME_MAX - 1);

			memcpy(bdfs[n], de->d_name, len);
			bdfs[n][len] = '\0';
		}
		n++;
	}
	closedir(dir);
	qsort(bdfs, (size_t)(n < max ? n : max), IOASID_NAME_MAX, vt_cmp_name);
	return n;
}

/* The msi region sysfs lists for @bdf's IOMMU group; fails the test
 * when there is none. */
static inline void vt_msi_window(const char *bdf, uint64_t *start,
				 uint64_t *last)
{
	int rc = vm_sysfs_msi(bdf, start, last);

	VT_CHECK(rc == 0, "%s: no msi region in its group's reserved_regions: %s",
		 bdf, strerror(-rc));
}

/* The top of the IOVA ranges the kernel gives a scratch IOAS that bound,
 * unattached @dev is attached to (detached and destroyed again). */
static inline uint64_t vt_dev_ranges_top(struct ioasid_ctx *ctx,
					 struct ioasid_dev *dev)
{
	struct ioasid_iova_range r[16];
	uint32_t ioas, hwpt, num = 16;
	uint64_t align;

	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, &hwpt));
	VT_OK(ioasid_ioas_iova_ranges(ctx, ioas, r, &num, &align));
	VT_OK(ioasid_dev_detach(dev));
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	VT_CHECK(num >= 1 && num <= 16, "%u usable ranges", num);
	return r[num - 1].last;
}

/* The last IOVA a paging domain of the IOMMU behind bound, unattached
 * @dev translates, from IOMMU_GET_HW_INFO (tests/vm/lib/vm_hw.h).  An
 * IOMMU whose driver gives no hw_info data (IOMMU_HW_INFO_TYPE_NONE:
 * virtio-iommu, whose input range only the guest kernel reads) reports
 * no width: the reference is then the kernel's own, the top of a scratch
 * IOAS's ranges, and the test says so.  Fails the test for a type with
 * data that vm_hw.h cannot decode. */
static inline uint64_t vt_dev_hw_top(struct ioasid_ctx *ctx,
				     struct ioasid_dev *dev)
{
	IOASID_OPTS(ioasid_hw_info, hw);
	uint64_t data[32] = { 0 };
	uint64_t top;

	VT_OK(ioasid_dev_hw_info(dev, &hw, data, sizeof(data)));
	if (hw.type == IOASID_HW_INFO_NONE) {
		top = vt_dev_ranges_top(ctx, dev);
		vt_say("GET_HW_INFO type NONE (%u bytes of data): the IOMMU reports no width; "
		       "the kernel's usable top 0x%llx (a scratch IOAS's ranges) is the reference",
		       hw.data_len, (unsigned long long)top);
		return top;
	}
	top = vm_hw_top(hw.type, data,
			hw.data_len < sizeof(data) ? hw.data_len : sizeof(data));
	VT_CHECK(top, "hw info type %u: no rule for its top IOVA", hw.type);
	return top;
}

/* Field @name ("VmPin", "VmLck") of /proc/@pid/status in KiB (@pid 0:
 * this process). */
static inline long vt_status_kib(pid_t pid, const char *name)
{
	size_t len = strlen(name);
	char path[64], line[256];
	long kib = -1;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "r");
	if (!f)
		vt_fail("%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':' &&
		    sscanf(line + len + 1, "%ld kB", &kib) == 1)
			break;
	fclose(f);
	if (kib < 0)
		vt_fail("%s has no %s line", path, name);
	return kib;
}

/* Clear CAP_IPC_LOCK from the effective set (the permitted one keeps
 * it), so that the kernel accounts what we pin. */
static inline void vt_drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		vt_fail("capget: %s", strerror(errno));
	data[CAP_TO_INDEX(CAP_IPC_LOCK)].effective &= ~CAP_TO_MASK(CAP_IPC_LOCK);
	if (syscall(SYS_capset, &hdr, data))
		vt_fail("capset: %s", strerror(errno));
}

/* RLIMIT_MEMLOCK's soft limit to @cur (the hard one raised if needed:
 * root may). */
static inline void vt_set_memlock(rlim_t cur)
{
	struct rlimit lim;

	VT_CHECK(getrlimit(RLIMIT_MEMLOCK, &lim) == 0, "getrlimit: %s",
		 strerror(errno));
	lim.rlim_cur = cur;
	if (lim.rlim_max != RLIM_INFINITY && lim.rlim_max < cur)
		lim.rlim_max = cur;
	VT_CHECK(setrlimit(RLIMIT_MEMLOCK, &lim) == 0, "setrlimit: %s",
		 strerror(errno));
}

/* Whether [iova, iova + len) of @ioas is all mapped: IOAS_COPY to a
 * scratch IOAS succeeds exactly then (tests/unit/helpers.h is_mapped()). */
static inline bool vt_is_mapped(struct ioasid_ctx *ctx, uint32_t ioas,
				uint64_t iova, uint64_t len)
{
	IOASID_OPTS(ioasid_map_opts, o,
		    .flags = IOASID_MAP_READ | IOASID_MAP_ANY_IOVA);
	uint32_t scratch;
	uint64_t dst = 0;
	int rc;

	VT_OK(ioasid_ioas_alloc(ctx, &scratch));
	rc = ioasid_ioas_copy(ctx, scratch, &dst, ioas, iova, len, &o);
	VT_OK(ioasid_ioas_destroy(ctx, scratch));
	VT_CHECK(rc == 0 || rc == -ENOENT, "copy probe: %d %s", rc,
		 ioasid_errmsg());
	return rc == 0;
}

/* QEMU's edu device (the VM suite's real DMA device). */
#define VT_EDU_VENDOR 0x1234
#define VT_EDU_DEVICE 0x11e8

/* Run @test on a kernel context for every edu device of the guest, in
 * turn; skips the test without one. */
static inline void vt_each_edu(void (*test)(struct ioasid_ctx *ctx, const char *bdf))
{
	char bdfs[8][IOASID_NAME_MAX];
	struct ioasid_ctx *ctx;
	int n = vt_find_pci_all(VT_EDU_VENDOR, VT_EDU_DEVICE, bdfs, 8);

	if (!n)
		vt_skip("no edu device (QEMU -device edu)");
	VT_CHECK(n <= 8, "%d edu devices, the test takes 8", n);
	ctx = vt_kernel_ctx();
	for (int i = 0; i < n; i++)
		test(ctx, bdfs[i]);
	ioasid_ctx_close(ctx);
	vt_say("PASS (%d edu device%s)", n, n == 1 ? "" : "s");
}

/* Set (@on) or clear capability @cap (CAP_SYS_RAWIO, ...) in the
 * effective set; the permitted set keeps it, so it can come back. */
static inline void vt_set_effective_cap(int cap, bool on)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		vt_fail("capget: %s", strerror(errno));
	if (on)
		data[CAP_TO_INDEX(cap)].effective |= CAP_TO_MASK(cap);
	else
		data[CAP_TO_INDEX(cap)].effective &= ~CAP_TO_MASK(cap);
	if (syscall(SYS_capset, &hdr, data))
		vt_fail("capset (capability %d %s): %s", cap, on ? "on" : "off",
			strerror(errno));
}

/* The value of "key" in ioasctl's one-line JSON (true 1, false 0), or
 * -1 when it is not there. */
static inline long long vt_json_field(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	if (!p)
		return -1;
	p += strlen(pat);
	if (!strncmp(p, "true", 4))
		return 1;
	if (!strncmp(p, "false", 5))
		return 0;
	return strtoll(p, NULL, 10);
}

/* `/files/ioasctl ARGS 2>&1` into @out (@size bytes, NUL-terminated);
 * its exit status, or -1 when ioasctl is not staged (run.sh --files). */
static inline int vt_ioasctl(const char *args, char *out, size_t size)
{
	static const char *const ioasctl = "/files/ioasctl";
	char cmd[512];
	size_t len = 0, got;
	FILE *p;
	int st;

	if (access(ioasctl, X_OK))
		return -1;
	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", ioasctl, args);
	p = popen(cmd, "r");
	VT_CHECK(p, "popen: %s", strerror(errno));
	while (len + 1 < size && (got = fread(out + len, 1, size - 1 - len, p)) > 0)
		len += got;
	out[len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

#endif /* IOASID_VMTEST_H */
