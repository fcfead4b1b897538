// SPDX-License-Identifier: MIT
/*
 * The fault-injection runner: the clean run recorded in a child, one child
 * per failure point and mode, and main() (the usage
 * is at the top of fault.c).
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
	/* The stage-1 tables changed before their invalidation list could
	 * grow (an UNMAP then answered OK with "invalidate everything"
	 * queued): now the room is reserved first and the request fails
	 * with nothing changed (tests/unit/test_pgtable.c has the UNMAP
	 * case, which this scenario's list never grows in). */
	{ "regress-nested-inval-room", "viommu-nested", RUN_ONCE,
	  "ioasid_virtio_iommu_handle_buffers", "inval_reserve", "realloc", 1 },
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

/* Wait for one job; returns true if it survived. */
static bool reap(const struct scenario *sc, struct job *jobs, int *njobs)
{
	int status, i;
	pid_t pid = wait(&status);
	bool ok;

	for (i = 0; i < *njobs; i++)
		if (jobs[i].pid == pid)
			break;
	if (i == *njobs)
		return true;
	ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
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
		else
			printf("%s: %ld failure points, all survived (%ld allocations, %ld system calls, in %ld calls; %ld runs)\n",
			       sc->name, rt.nprec, nalloc, rt.nprec - nalloc,
			       rt.ncrec, runs);
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
