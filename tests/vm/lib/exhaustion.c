// SPDX-License-Identifier: MIT
/*
 * Running out of a process limit on the real kernel (issue 12, item 3):
 * each refusal names the limit and what to raise, and leaves nothing
 * behind.
 *
 * RLIMIT_MEMLOCK: with CAP_IPC_LOCK dropped from the effective set (with
 * it the kernel accounts nothing), a mock device (CONFIG_IOMMUFD_TEST)
 * attached to an IOAS, so that a map pins at once, and RLIMIT_MEMLOCK
 * set to 256 KiB, a 1 MiB map fails with -ENOMEM and a message naming
 * RLIMIT_MEMLOCK and how to raise it; the IOAS has nothing at that IOVA,
 * VmPin did not move; a 64 KiB map still goes in, and with the limit
 * raised the same 1 MiB map succeeds.  Both accounting modes: per user
 * (the default) and per process (IOMMU_OPTION_RLIMIT_MODE 1, what libvirt
 * selects).
 *
 * RLIMIT_NOFILE, through "ioasctl exec" (/files/ioasctl, as
 * tests/vm/scripts/exec.sh runs it): with no descriptor left for the
 * iommufd, and with the iommufd fitting but not the edu device's VFIO
 * cdev, exec fails before creating anything, naming RLIMIT_NOFILE, and
 * PROGRAM does not run; with room for both it runs.
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mock devices).
 */
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vmtest.h"

#define BIG (1ull << 20)
#define SMALL (64ull << 10)
#define LIMIT (256ull << 10)
#define IOVA 0x10000000ull /* inside the mock domain's aperture, 16 MiB to 2 GiB */

static void memlock_case(enum ioasid_rlimit_mode mode, uint8_t *buf)
{
	struct ioasid_ctx *ctx = vt_kernel_ctx();
	struct ioasid_dev *dev;
	uint64_t iova = IOVA, small_iova = IOVA + 2 * BIG, unmapped = 0;
	uint32_t ioas;
	long before, after;
	int rc;

	VT_OK(ioasid_ctx_set_rlimit_mode(ctx, mode));
	rc = ioasid_dev_open(ctx, "mock0", &dev);
	if (rc == -EOPNOTSUPP || rc == -ENODEV || rc == -ENOTTY)
		vt_skip("no mock devices: %s", ioasid_errmsg());
	VT_OK(rc);
	VT_OK(ioasid_dev_bind(dev, NULL));
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, NULL));

	vt_set_memlock(LIMIT);
	before = vt_status_kib(0, "VmPin");
	VT_ERR_MSG(ENOMEM, "RLIMIT_MEMLOCK",
		   ioasid_ioas_map(ctx, ioas, buf, BIG, &iova, NULL));
	vt_say("%s: 1 MiB over a 256 KiB RLIMIT_MEMLOCK: %s",
	       mode ? "per process" : "per user", ioasid_errmsg());
	VT_CHECK(strstr(ioasid_errmsg(), "raise it") &&
		 strstr(ioasid_errmsg(), "ulimit -l") &&
		 strstr(ioasid_errmsg(), "256 KiB"),
		 "the message does not say the limit and how to raise it: %s",
		 ioasid_errmsg());
	VT_CHECK(iova == IOVA, "the failed map moved the IOVA to %#llx",
		 (unsigned long long)iova);
	VT_CHECK(!vt_is_mapped(ctx, ioas, IOVA, 4096),
		 "the refused map left something at its IOVA");
	after = vt_status_kib(0, "VmPin");
	VT_CHECK(after == before, "VmPin %ld kB -> %ld kB across a refused map",
		 before, after);
	VT_OK(ioasid_ioas_unmap_all(ctx, ioas, &unmapped));
	VT_CHECK(unmapped == 0, "unmap_all removed %llu bytes after the refusal",
		 (unsigned long long)unmapped);

	/* Under the limit a map still goes in. */
	VT_OK(ioasid_ioas_map(ctx, ioas, buf, SMALL, &small_iova, NULL));
	VT_CHECK(vt_is_mapped(ctx, ioas, small_iova, SMALL), "small map missing");
	VT_OK(ioasid_ioas_unmap(ctx, ioas, small_iova, SMALL, NULL));

	/* Raised, the same map succeeds. */
	vt_set_memlock(RLIM_INFINITY);
	iova = IOVA;
	VT_OK(ioasid_ioas_map(ctx, ioas, buf, BIG, &iova, NULL));
	VT_CHECK(vt_is_mapped(ctx, ioas, IOVA, BIG), "the retried map is missing");
	VT_OK(ioasid_ioas_unmap(ctx, ioas, IOVA, BIG, NULL));
	VT_OK(ioasid_dev_detach(dev));
	ioasid_dev_close(dev);
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	ioasid_ctx_close(ctx);
}

/* Run /files/ioasctl ARGS with RLIMIT_NOFILE @nofile (fds 0-2 only open);
 * its output into @out, the exit status returned. */
static int run_ioasctl(rlim_t nofile, char *out, size_t size, char **args)
{
	int pipefd[2], status;
	size_t len = 0;
	ssize_t n;
	pid_t pid;

	VT_CHECK(pipe(pipefd) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	VT_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		struct rlimit lim = { nofile, nofile };
		int devnull = open("/dev/null", O_RDONLY);

		dup2(devnull, 0);
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		unsetenv("IOASID_BACKEND");
		unsetenv("IOASID_TOPOLOGY");
		if (setrlimit(RLIMIT_NOFILE, &lim))
			_exit(120);
		execv(args[0], args);
		_exit(121);
	}
	close(pipefd[1]);
	while (len + 1 < size &&
	       (n = read(pipefd[0], out + len, size - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(pipefd[0]);
	VT_CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	VT_CHECK(WIFEXITED(status), "ioasctl died: status %#x", status);
	return WEXITSTATUS(status);
}

static void nofile_case(struct ioasid_ctx *ctx)
{
	static char ioasctl[] = "/files/ioasctl";
	char bdf[IOASID_NAME_MAX], out[4096];
	char *args[] = { ioasctl, "exec", "ioas", "a", "device", bdf, "to", "a",
			 "--", "/bin/sh", "-c", "echo PROGRAM RAN", NULL };
	int st;

	if (access(ioasctl, X_OK)) {
		vt_say("no %s (run.sh --files): the RLIMIT_NOFILE cases skipped",
		       ioasctl);
		return;
	}
	if (vt_find_pci(VT_EDU_VENDOR, VT_EDU_DEVICE, bdf)) {
		vt_say("no edu device: the RLIMIT_NOFILE cases skipped");
		return;
	}
	VT_OK(ioasid_dev_set_driver(ctx, bdf, "vfio-pci", NULL));

	/* 0-2 open, a limit of 4: no room for the iommufd and sysfs. */
	st = run_ioasctl(4, out, sizeof(out), args);
	vt_say("RLIMIT_NOFILE 4: exit %d: %s", st, out);
	VT_CHECK(st != 0 && strstr(out, "RLIMIT_NOFILE") &&
		 strstr(out, "ulimit -n") && strstr(out, "nothing was created") &&
		 strstr(out, "the iommufd") && strstr(out, "EMFILE") && !strstr(out, "PROGRAM RAN") &&
		 !strstr(out, "ioas a id"),
		 "expected a refusal naming RLIMIT_NOFILE before anything: exit %d, %s",
		 st, out);
	/* Room for the iommufd, not for the device's cdev as well. */
	st = run_ioasctl(5, out, sizeof(out), args);
	vt_say("RLIMIT_NOFILE 5: exit %d: %s", st, out);
	VT_CHECK(st != 0 && strstr(out, "RLIMIT_NOFILE") &&
		 strstr(out, "1 device cdev") && strstr(out, "nothing was created") &&
		 !strstr(out, "PROGRAM RAN") && !strstr(out, "ioas a id"),
		 "expected a refusal naming RLIMIT_NOFILE before the IOAS: exit %d, %s",
		 st, out);
	/* Room for both: PROGRAM runs. */
	st = run_ioasctl(7, out, sizeof(out), args);
	vt_say("RLIMIT_NOFILE 7: exit %d: %s", st, out);
	VT_CHECK(st == 0 && strstr(out, "PROGRAM RAN") && strstr(out, "ioas a id"),
		 "with room for the iommufd and the cdev: exit %d, %s", st, out);
	VT_OK(ioasid_dev_set_driver(ctx, bdf, NULL, NULL));
}

int main(void)
{
	struct ioasid_ctx *ctx;
	uint8_t *buf;

	vt_drop_ipc_lock();
	buf = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(buf != MAP_FAILED, "mmap: %s", strerror(errno));
	memlock_case(IOASID_RLIMIT_PER_USER, buf);
	memlock_case(IOASID_RLIMIT_PER_PROCESS, buf);
	ctx = vt_kernel_ctx();
	nofile_case(ctx);
	ioasid_ctx_close(ctx);
	munmap(buf, BIG);
	vt_say("PASS");
	return 0;
}
