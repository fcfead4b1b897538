// SPDX-License-Identifier: MIT
/*
 * IOMMU_IOAS_CHANGE_PROCESS on the real kernel: a live update's successor
 * takes over the pinned-page accounting of the iommufd it inherits.
 *
 * The parent drops CAP_IPC_LOCK from its effective set (with it the
 * kernel accounts nothing: iopt_alloc_pages() picks
 * IOPT_PAGES_ACCOUNT_NONE), attaches a mock device (CONFIG_IOMMUFD_TEST)
 * to an IOAS and maps a memfd there: its VmPin (/proc/PID/status,
 * mm->pinned_vm, charged in the default per-user RLIMIT_MODE) grows by the
 * mapping.  Then it forks:
 *   - a first child adopts the inherited fd (ioasid_ctx_from_fd()) while
 *     the IOAS also maps process memory: -EINVAL, and the parent's VmPin
 *     is unchanged;
 *   - the parent unmaps that memory; a second child adopts the fd and
 *     calls ioasid_ioas_change_process(): its VmPin grows by the mapping,
 *     the parent's falls back to where it was before the map;
 *   - the parent takes the accounting back while the child still lives:
 *     the child's VmPin falls back, the parent's grows again.
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mock devices in this kernel).
 */
#include <linux/capability.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "vmtest.h"

#define MAP_LEN (1ull << 20)

static void wait_byte(int fd)
{
	char c;

	if (read(fd, &c, 1) != 1)
		vt_fail("pipe read: %s", errno ? strerror(errno) : "EOF");
}

static void send_byte(int fd)
{
	if (write(fd, "x", 1) != 1)
		vt_fail("pipe write: %s", strerror(errno));
}

/* The successor: adopt @fd, take the accounting over, say so on @up,
 * wait for @down (the parent took it back), check that its VmPin fell. */
static void successor(int fd, int up, int down)
{
	struct ioasid_ctx *ctx;
	long before = vt_status_kib(0, "VmPin"), after;

	VT_OK(ioasid_ctx_from_fd(fd, NULL, &ctx));
	VT_OK(ioasid_ioas_change_process(ctx, NULL));
	after = vt_status_kib(0, "VmPin");
	vt_say("child %d: VmPin %ld kB -> %ld kB after change_process",
	       (int)getpid(), before, after);
	VT_CHECK(after - before == (long)(MAP_LEN >> 10),
		 "the child's VmPin grew by %ld kB, expected %llu", after - before,
		 MAP_LEN >> 10);
	send_byte(up);
	wait_byte(down);
	after = vt_status_kib(0, "VmPin");
	VT_CHECK(after == before,
		 "after the parent took the pages back the child's VmPin is %ld kB, expected %ld",
		 after, before);
	ioasid_ctx_close(ctx);
	_exit(VT_EXIT_PASS);
}

/* A child that must be refused: process memory is still mapped. */
static void refused(int fd)
{
	struct ioasid_ctx *ctx;

	VT_OK(ioasid_ctx_from_fd(fd, NULL, &ctx));
	VT_ERR_MSG(EINVAL, "process memory", ioasid_ioas_change_process(ctx, NULL));
	vt_say("child %d: refused while process memory is mapped: %s",
	       (int)getpid(), ioasid_errmsg());
	ioasid_ctx_close(ctx);
	_exit(VT_EXIT_PASS);
}

static void reap(pid_t pid, const char *what)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		vt_fail("waitpid: %s", strerror(errno));
	VT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == VT_EXIT_PASS,
		 "the %s child failed (status 0x%x)", what, status);
}

int main(void)
{
	IOASID_OPTS(ioasid_map_opts, any,
		    .flags = IOASID_MAP_READ | IOASID_MAP_WRITE | IOASID_MAP_ANY_IOVA);
	struct ioasid_ctx *ctx;
	struct ioasid_dev *dev;
	uint64_t iova = 0, anon_iova = 0;
	uint32_t ioas, dev_id;
	int up[2], down[2], memfd, fd, rc;
	long base, mapped, now;
	void *anon;
	pid_t pid;

	vt_drop_ipc_lock();
	ctx = vt_kernel_ctx();
	fd = ioasid_ctx_fd(ctx);
	rc = ioasid_dev_open(ctx, "mock0", &dev);
	if (rc == -EOPNOTSUPP || rc == -ENODEV || rc == -ENOTTY)
		vt_skip("no mock devices: %s", ioasid_errmsg());
	VT_OK(rc);
	VT_OK(ioasid_dev_bind(dev, &dev_id));
	VT_OK(ioasid_ioas_alloc(ctx, &ioas));
	VT_OK(ioasid_dev_attach(dev, ioas, NULL));

	memfd = memfd_create("change-process", 0);
	VT_CHECK(memfd >= 0, "memfd_create: %s", strerror(errno));
	VT_CHECK(ftruncate(memfd, MAP_LEN) == 0, "ftruncate: %s", strerror(errno));
	base = vt_status_kib(0, "VmPin");
	VT_OK(ioasid_ioas_map_file(ctx, ioas, memfd, 0, MAP_LEN, &iova, &any));
	mapped = vt_status_kib(0, "VmPin");
	vt_say("parent: VmPin %ld kB -> %ld kB after mapping %llu KiB of a memfd",
	       base, mapped, MAP_LEN >> 10);
	VT_CHECK(mapped - base == (long)(MAP_LEN >> 10),
		 "the map pinned %ld kB into VmPin, expected %llu (is CAP_IPC_LOCK still effective?)",
		 mapped - base, MAP_LEN >> 10);

	/* Process memory is mapped too: the successor is refused. */
	anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	VT_CHECK(anon != MAP_FAILED, "mmap: %s", strerror(errno));
	VT_OK(ioasid_ioas_map(ctx, ioas, anon, 4096, &anon_iova, &any));
	now = vt_status_kib(0, "VmPin");
	pid = fork();
	VT_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid)
		refused(fd);
	reap(pid, "refused");
	VT_CHECK(vt_status_kib(0, "VmPin") == now, "a refused change_process moved pages");
	VT_OK(ioasid_ioas_unmap(ctx, ioas, anon_iova, 4096, NULL));
	VT_CHECK(vt_status_kib(0, "VmPin") == mapped, "unmapping the memory left VmPin at %ld kB",
		 vt_status_kib(0, "VmPin"));

	/* The successor takes over; the parent's accounting is released. */
	VT_CHECK(pipe(up) == 0 && pipe(down) == 0, "pipe: %s", strerror(errno));
	pid = fork();
	VT_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (!pid) {
		close(up[0]);
		close(down[1]);
		successor(fd, up[1], down[0]);
	}
	close(up[1]);
	close(down[0]);
	wait_byte(up[0]);
	now = vt_status_kib(0, "VmPin");
	vt_say("parent: VmPin %ld kB after the child's change_process (child %ld kB)",
	       now, vt_status_kib(pid, "VmPin"));
	VT_CHECK(now == base, "the parent's VmPin is %ld kB, expected %ld: its accounting was not released",
		 now, base);

	/* And back, while the child lives. */
	VT_OK(ioasid_ioas_change_process(ctx, NULL));
	VT_CHECK(vt_status_kib(0, "VmPin") == mapped, "taking the pages back left VmPin at %ld kB, expected %ld",
		 vt_status_kib(0, "VmPin"), mapped);
	send_byte(down[1]);
	reap(pid, "successor");

	VT_OK(ioasid_ioas_unmap_all(ctx, ioas, NULL));
	VT_CHECK(vt_status_kib(0, "VmPin") == base, "after the unmap VmPin is %ld kB", vt_status_kib(0, "VmPin"));
	VT_OK(ioasid_dev_detach(dev));
	VT_OK(ioasid_ioas_destroy(ctx, ioas));
	ioasid_dev_close(dev);
	ioasid_ctx_close(ctx);
	close(memfd);
	vt_say("PASS");
	return VT_EXIT_PASS;
}
