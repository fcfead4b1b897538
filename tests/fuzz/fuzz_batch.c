// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the batch language: each input is a batch file
 * that the whole of ioasctl runs on the simulator, as
 * "ioasctl --sim=TOPOLOGY [OPTIONS] batch FILE" (cli/ built again with
 * main() renamed ioasctl_main(), Makefile).  The input's own comment
 * lines choose the run as tests/scripts/run.sh reads them, so the script
 * tests are the seeds: "# topology: NAME" (a file of examples/topologies,
 * default x86-server.ini), "# options: -f" (-f, -j and -p are taken),
 * "# modes: text json" (json: the batch also runs with -j).
 *
 * The process runs in tests/scripts, so a seed's relative file names
 * (layout reports, traces, map file) resolve as in the script tests.
 * Nothing outside is changed: exec's fork() and execvp() fail (ENOSYS),
 * and "map file PATH" opens only a name in that folder, read-only.
 *
 * Checked: no crash, no undefined behaviour, no leak (LeakSanitizer,
 * ioasctl frees everything at exit); the exit status is 0, 1 or 2.
 * ioasctl's output goes to /dev/null (FUZZ_VERBOSE=1 keeps it, to read
 * what a crashing input did).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef FUZZ_ROOT
#error "FUZZ_ROOT: the source tree (Makefile)"
#endif

int ioasctl_main(int argc, char **argv);

/* ---- The stubs the CLI objects are linked against (Makefile) ------ */

pid_t fuzz_fork(void);
int fuzz_execvp(const char *file, char *const argv[]);
int fuzz_open(const char *path, int flags, ...);

pid_t fuzz_fork(void)
{
	errno = ENOSYS;
	return -1;
}

int fuzz_execvp(const char *file, char *const argv[])
{
	(void)file;
	(void)argv;
	errno = ENOSYS;
	return -1;
}

/* A name in the working folder only, never created, truncated or
 * written: "map file PATH write" gets a read-only fd (and then its own
 * error). */
int fuzz_open(const char *path, int flags, ...)
{
	if (!*path || strchr(path, '/') || !strcmp(path, "..")) {
		errno = EACCES;
		return -1;
	}
	flags &= ~(O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND | O_TMPFILE);
	return open(path, flags | O_RDONLY | O_NONBLOCK);
}

/* ---- The run ------------------------------------------------------- */

#define TOPOLOGIES FUZZ_ROOT "/examples/topologies"

static bool verbose;

/* The value of "# NAME: value" on a line of @text, into @out ("" if
 * none), as run.sh's directive(): the first such line. */
static void directive(const char *text, size_t len, const char *name,
		      char *out, size_t size)
{
	size_t n = strlen(name);

	out[0] = '\0';
	for (size_t i = 0; i < len;) {
		const char *line = text + i, *nl = memchr(line, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - line) : len - i;

		if (ll > n + 3 && !memcmp(line, "# ", 2) &&
		    !memcmp(line + 2, name, n) && line[n + 2] == ':') {
			size_t s = n + 3;

			while (s < ll && line[s] == ' ')
				s++;
			if (ll - s >= size)
				return;
			memcpy(out, line + s, ll - s);
			out[ll - s] = '\0';
			return;
		}
		i += ll + 1;
	}
}

static bool has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
			return true;
	return false;
}

/* A topology of examples/topologies named by the input, or the
 * default; NULL if the name is no such file. */
static bool topology_arg(const char *name, char *out, size_t size)
{
	if (!*name)
		name = "x86-server.ini";
	for (const char *p = name; *p; p++)
		if (!(*p == '-' || *p == '_' || *p == '.' ||
		      (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')))
			return false;
	if (name[0] == '.')
		return false;
	snprintf(out, size, "--sim=%s/%s", TOPOLOGIES, name);
	return access(out + 6, R_OK) == 0;
}

static void run(const char *sim, const char *options, bool json,
		const char *path)
{
	char *argv[8];
	int argc = 0, rc;

	argv[argc++] = "ioasctl";
	argv[argc++] = (char *)sim;
	if (has_word(options, "-f"))
		argv[argc++] = "-f";
	if (has_word(options, "-p"))
		argv[argc++] = "-p";
	if (json || has_word(options, "-j"))
		argv[argc++] = "-j";
	argv[argc++] = "batch";
	argv[argc++] = (char *)path;
	argv[argc] = NULL;
	optind = 0; /* getopt_long() from the start, as in a new process */
	rc = ioasctl_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	if (rc < 0 || rc > 2) {
		dprintf(2, "fuzz_batch: ioasctl exited %d\n", rc);
		abort();
	}
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	FILE *null;

	(void)argc;
	(void)argv;
	if (chdir(FUZZ_ROOT "/tests/scripts")) {
		perror(FUZZ_ROOT "/tests/scripts");
		exit(1);
	}
	/* "batch -" and "viommu replay -" read stdin: never the tty. */
	if (!freopen("/dev/null", "r", stdin))
		exit(1);
	verbose = getenv("FUZZ_VERBOSE") != NULL;
	if (!verbose) {
		/* libFuzzer and the sanitizers keep the real fd 2. */
		null = fopen("/dev/null", "w");
		if (!null)
			exit(1);
		stdout = null;
		stderr = null;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char topo[64], options[64], modes[64], sim[sizeof(TOPOLOGIES) + 80];
	char path[64];
	int fd;

	directive((const char *)data, size, "topology", topo, sizeof(topo));
	directive((const char *)data, size, "options", options, sizeof(options));
	directive((const char *)data, size, "modes", modes, sizeof(modes));
	if (!topology_arg(topo, sim, sizeof(sim)))
		return -1; /* not a topology we have: not worth keeping */

	fd = memfd_create("batch", MFD_CLOEXEC);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror("fuzz_batch: memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!*modes || has_word(modes, "text") || !has_word(modes, "json"))
		run(sim, options, false, path);
	if (has_word(modes, "json"))
		run(sim, options, true, path);
	close(fd);
	return 0;
}
