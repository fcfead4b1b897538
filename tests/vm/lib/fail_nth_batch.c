// SPDX-License-Identifier: MIT
/*
 * The kernel's failure points under ioasctl (issue 12, item 1, the batch
 * scenario on the kernel backend): a batch of 40 commands on the
 * kernel's mock devices (CONFIG_IOMMUFD_TEST) covering IOASes, HWPTs,
 * devices, copy, allow-lists, replace, ranges and object listings runs
 * through ioasctl's own main() (linked in, renamed ioasctl_main() by the
 * Makefile) in a child process, once per N = 1, 2, ... with the N-th
 * fault-injection point of the child failed (/proc/thread-self/fail-nth,
 * FAILSLAB with ignore-gfp-wait, as tests/vm/lib/fail_nth.c sets up),
 * until a run gets through without one.  The window is the whole run:
 * opening /dev/iommu and the batch file, reading sysfs, every command.
 *
 * A run in which the fault was injected must end with ioasctl's exit
 * status 0 (the kernel absorbed it), 1 with an error line on stderr
 * naming the batch line and the errno ("fail_nth.batch:17: ... (ENOMEM)"),
 * or 2 with nothing run when the batch file itself could not be read,
 * never a signal, a hang (the VM harness's timeout) or a status without a
 * message; a run that succeeded prints what the clean run printed (object
 * ids aside: a fault the kernel absorbs may cost one); and the next clean
 * run prints exactly the clean output again (whatever the failed run did,
 * it died with its iommufd).  Failed runs whose earlier commands printed
 * otherwise are counted and shown: the kernel's mock can absorb a fault
 * and report differently afterwards (docs/TESTING.md).  What a single failed call leaves inside one context
 * is what tests/vm/lib/fail_nth.c checks; this is the whole program's
 * view.
 *
 * Exit status: 0 pass, 1 fail, 77 skip (no mock devices, no fail-nth).
 */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <unistd.h>

#include "util.h"
#include "vmtest.h"

#define MAX_N 4000
#define BATCH "/tmp/fail_nth.batch"
#define OUT "/tmp/fail_nth.out"
#define ERR "/tmp/fail_nth.err"

/* cli/main.c's main(). */
int ioasctl_main(int argc, char **argv);

/* Sizes and IOVAs are multiples of 64 KiB and inside the mock aperture
 * (16 MiB - 2 GiB): the same batch on 4 KiB and 64 KiB pages. */
static const char batch[] =
	"ioas alloc name vm0\n"
	"ioas alloc name vm1\n"
	"device open mock0 name m0\n"
	"device open mock1 name m1\n"
	"device open mock2 name m2\n"
	"device bind m0\n"
	"device bind m1\n"
	"device bind m2\n"
	"device attach m0 to vm0\n"
	"ioas ranges vm0\n"
	"ioas map vm0 iova 0x1000000 length 1M\n"
	"ioas map vm0 any length 64K\n"
	"ioas map vm0 iova 0x1400000 length 2M\n"
	"hwpt alloc dev m1 ioas vm1 name pt1\n"
	"device attach m1 to pt1\n"
	"ioas map vm1 iova 0x1200000 length 128K\n"
	"ioas copy vm1 iova 0x1800000 from vm0 iova 0x1040000 length 128K\n"
	"ioas copy vm1 any from vm0 iova 0x1400000 length 1M\n"
	"expect mapped vm1 iova 0x1800000 length 128K\n"
	"object list\n"
	"ioas unmap vm0 iova 0x1000000 length 1M\n"
	"device attach m2 to vm0\n"
	"ranges ioas vm0\n"
	"device replace m0 to vm1\n"
	"ioas ranges vm1\n"
	"device detach m2\n"
	"ioas alloc name lim\n"
	"ioas allow lim 0x1100000-0x11fffff 0x1400000-0x14fffff\n"
	"ioas map lim any length 64K\n"
	"ioas map lim iova 0x1400000 length 64K\n"
	"device replace m1 to lim\n"
	"ioas ranges lim\n"
	"ioas allow lim 0x1100000-0x11fffff 0x1400000-0x14fffff 0x1600000-0x16fffff\n"
	"device detach m1\n"
	"hwpt destroy pt1\n"
	"ioas unmap vm1 all\n"
	"device close m2\n"
	"device detach m0\n"
	"ioas destroy vm1\n"
	"ioas destroy lim\n";

/* What the child saw, kept where the parent can read it. */
struct verdict {
	int armed;	/* fail-nth was written */
	int injected;	/* and the fault was injected */
};
static struct verdict *verdict;
static int nth_fd = -1;

/* At the child's exit, whatever path ioasctl took to it: disarm and
 * note whether the fault was injected (0 read back). */
static void note_injected(void)
{
	char buf[16] = "";

	if (!verdict->armed)
		return;
	if (pread(nth_fd, buf, sizeof(buf) - 1, 0) > 0)
		verdict->injected = strtoul(buf, NULL, 10) == 0;
	if (pwrite(nth_fd, "0", 1, 0) != 1)
		verdict->injected = -1;
}

/* One run of the batch in a child, fault N armed (0: none); its exit
 * status, or -1 for a signal (*sig). */
static int run_batch(unsigned int n, int *sig)
{
	pid_t pid;
	int status;

	memset(verdict, 0, sizeof(*verdict));
	fflush(stdout);
	pid = fork();
	VT_CHECK(pid >= 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		char *argv[] = { "ioasctl", "batch", BATCH, NULL };
		char val[16];
		int out = open(OUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		int err = open(ERR, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (out < 0 || err < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
			_exit(100);
		/* The child's own thread: an fd inherited from the parent
		 * would arm the parent's. */
		nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
		if (nth_fd < 0)
			_exit(100);
		close(out);
		close(err);
		/* The kernel backend, whatever the environment says. */
		unsetenv("IOASID_BACKEND");
		unsetenv("IOASID_TOPOLOGY");
		atexit(note_injected);
		if (n) {
			int len = snprintf(val, sizeof(val), "%u", n);

			verdict->armed = 1;
			if (pwrite(nth_fd, val, (size_t)len, 0) != len)
				_exit(101);
		}
		exit(ioasctl_main(3, argv));
	}
	VT_CHECK(waitpid(pid, &status, 0) == pid, "waitpid: %s", strerror(errno));
	if (WIFSIGNALED(status)) {
		*sig = WTERMSIG(status);
		return -1;
	}
	return WEXITSTATUS(status);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	VT_CHECK(f, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	VT_CHECK(buf && fread(buf, 1, (size_t)n, f) == (size_t)n, "reading %s", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* The line of @err that says what failed (the last non-empty one). */
static void last_line(const char *err, char *line, size_t size)
{
	const char *end = err + strlen(err), *start;

	while (end > err && end[-1] == '\n')
		end--;
	start = end;
	while (start > err && start[-1] != '\n')
		start--;
	snprintf(line, size, "%.*s", (int)(end - start), start);
}

/* @s with every decimal word (an object id: "id 11", "hwpt 6") as "#":
 * a fault the kernel absorbs may cost an object id, moving the ids of
 * everything after it (see docs/TESTING.md), and the output is compared
 * for what it says, not for which ids the kernel gave.  Hex words (IOVAs,
 * lengths) and names (mock2) stay. */
static char *ids_out(const char *s)
{
	size_t n = strlen(s), o = 0;
	char *out = malloc(n + 1);

	VT_CHECK(out, "malloc");
	for (size_t i = 0; i < n;) {
		size_t j = i;

		if ((i == 0 || s[i - 1] == ' ' || s[i - 1] == '\n') &&
		    s[i] >= '0' && s[i] <= '9') {
			while (j < n && s[j] >= '0' && s[j] <= '9')
				j++;
			if (j == n || s[j] == ' ' || s[j] == '\n') {
				out[o++] = '#';
				i = j;
				continue;
			}
		}
		out[o++] = s[i++];
	}
	out[o] = '\0';
	return out;
}

/* The first line where @got leaves @clean, for the message. */
static void first_difference(const char *clean, const char *got, char *out, size_t size)
{
	size_t at = 0, line = 0;

	while (clean[at] && clean[at] == got[at]) {
		if (clean[at] == '\n')
			line = at + 1;
		at++;
	}
	snprintf(out, size, "\"%.*s\" where the clean run printed \"%.*s\"",
		 (int)strcspn(got + line, "\n"), got + line,
		 (int)strcspn(clean + line, "\n"), clean + line);
}

int main(void)
{
	unsigned int n, failed = 0, recovered = 0, other_ids = 0, other_output = 0, lines_seen[64] = { 0 };
	size_t clean_len, len, ecl;
	char *clean, *clean_ids, *got, *err, line[512];
	bool injected = true;
	int rc, sig = 0;
	FILE *f;

	if (access("/dev/iommu", F_OK))
		vt_skip("no /dev/iommu");
	nth_fd = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth_fd < 0)
		vt_skip("/proc/thread-self/fail-nth: %s (CONFIG_FAULT_INJECTION)",
			strerror(errno));
	close(nth_fd);
	verdict = mmap(NULL, sizeof(*verdict), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	VT_CHECK(verdict != MAP_FAILED, "mmap: %s", strerror(errno));
	f = fopen(BATCH, "w");
	VT_CHECK(f && fputs(batch, f) >= 0 && fclose(f) == 0, "writing %s", BATCH);
	VT_CHECK(!vt_write_file("/sys/kernel/debug/failslab/verbose", "0"),
		 "failslab/verbose: %s (CONFIG_FAILSLAB, debugfs)", strerror(errno));
	VT_CHECK(!vt_write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "N"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));

	rc = run_batch(0, &sig);
	err = slurp(ERR, &ecl);
	if (rc == 1 && strstr(err, "mock"))
		vt_skip("the clean run failed on the mock devices: %s", err);
	VT_CHECK(rc == 0, "the clean run: status %d (signal %d): %s", rc, sig, err);
	free(err);
	clean = slurp(OUT, &clean_len);
	clean_ids = ids_out(clean);

	for (n = 1; n <= MAX_N && injected; n++) {
		rc = run_batch(n, &sig);
		VT_CHECK(rc >= 0, "N=%u: ioasctl died of signal %d", n, sig);
		VT_CHECK(rc != 100 && rc != 101, "N=%u: the child could not arm (%d)", n, rc);
		VT_CHECK(verdict->injected >= 0, "N=%u: could not disarm fail-nth", n);
		injected = verdict->injected;
		got = slurp(OUT, &len);
		err = slurp(ERR, &ecl);
		if (len > clean_len || memcmp(got, clean, len))
			other_ids++;
		{
			char *a = ids_out(got);

			free(got);
			got = a;
			len = strlen(a);
		}
		if (rc == 0) {
			if (strcmp(got, clean_ids)) {
				first_difference(clean_ids, got, line, sizeof(line));
				vt_fail("N=%u: a run that succeeded printed other output: %s", n, line);
			}
			recovered += injected;
		} else {
			unsigned long at;
			const char *colon;

			last_line(err, line, sizeof(line));
			VT_CHECK(injected, "N=%u: status %d with no fault injected: %s", n, rc, err);
			/* 1: a command failed; 2: the batch file could not
			 * be read (ioasctl(8): nothing has run). */
			VT_CHECK(rc == 1 || (rc == 2 && len == 0),
				 "N=%u: status %d (%zu bytes printed): %s", n, rc, len, err);
			VT_CHECK(line[0], "N=%u: status %d without a message", n, rc);
			if (len > strlen(clean_ids) || memcmp(got, clean_ids, len)) {
				/* Not the library's: a fault the kernel
				 * absorbed earlier in the run changed what it
				 * reports (docs/TESTING.md, N=38 on x86). */
				char diff[512];

				first_difference(clean_ids, got, diff, sizeof(diff));
				other_output++;
				vt_say("N=%u: before the failure the kernel reported otherwise: %s",
				       n, diff);
			}
			/* "fail_nth.batch:LINE: ..." names the command; a
			 * failure before the first one names what it was. */
			colon = strstr(line, BATCH ":");
			at = colon ? strtoul(colon + strlen(BATCH) + 1, NULL, 10) : 0;
			if (at < ARRAY_SIZE(lines_seen))
				lines_seen[at]++;
			VT_CHECK(strstr(line, "Error") &&
					 (rc == 2 || strstr(line, "(E") ||
					  strstr(line, ": E") || strstr(line, "errno")),
				 "N=%u: the message names no errno: %s", n, line);
			if (failed++ < 12 || !colon)
				vt_say("N=%u: %s", n, line);
			/* The next clean run is as the first one. */
			free(got);
			rc = run_batch(0, &sig);
			got = slurp(OUT, &len);
			VT_CHECK(rc == 0 && len == clean_len && !memcmp(got, clean, len),
				 "N=%u: the clean run after the failure: status %d", n, rc);
		}
		free(got);
		free(err);
	}
	VT_CHECK(!injected, "still failing at N=%u: raise MAX_N", MAX_N);
	VT_CHECK(n > 2, "no failure point at all: is FAILSLAB on?");
	{
		char where[512] = "";
		size_t used = 0;

		for (size_t l = 0; l < ARRAY_SIZE(lines_seen); l++)
			if (lines_seen[l] && used < sizeof(where))
				used += (size_t)snprintf(where + used, sizeof(where) - used,
							 "%s%zu:%u", used ? " " : "", l,
							 lines_seen[l]);
		vt_say("ioasctl batch (40 commands, mock devices): %u failure points (%u failed with a message naming the line and the errno, %u recovered by the kernel, %u runs printing other object ids, %u failed runs whose earlier commands printed otherwise; failures per line, 0 = before the first: %s), all survived",
		       n - 2, failed, recovered, other_ids, other_output, where);
	}
	VT_CHECK(!vt_write_file("/sys/kernel/debug/failslab/ignore-gfp-wait", "Y"),
		 "failslab/ignore-gfp-wait: %s", strerror(errno));
	free(clean);
	free(clean_ids);
	return 0;
}
