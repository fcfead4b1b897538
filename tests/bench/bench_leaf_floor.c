/* SPDX-License-Identifier: MIT */
/*
 * bench_leaf_floor - what one random visit to a B+-tree leaf costs in
 * memory alone, as a function of how much memory the leaves take: the
 * floor under bench_map's random pairs, whatever the code around it.
 *
 * A visit picks a random block of LEAF_BYTES in a buffer of S MiB (2 MiB
 * pages, as lib/util/itree.c's node pool), prefetches all its lines, reads a
 * word from every line and writes one word: what a map+unmap pair does to
 * its leaf (the key count reads last[], the insert and remove move the
 * arrays' tails).  The next block depends on the words read, so visits
 * do not overlap, as in the tree, where each descent waits for its leaf.
 * With 64-byte blocks the same loop is a plain pointer chase: the memory
 * latency.  Median of 5 runs of 1M visits per size.
 *
 * At 1M intervals lib/util/itree.c's leaves take ~30 MB (AnonHugePages of
 * bench_map with BENCH_SIZE=1048576 BENCH_ONLY=itree), at 64K ~2 MB, at
 * 1K ~30 KB: see docs/BENCHMARKS.md for what that means for the growth
 * target.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bench.h"

#define LEAF_BYTES 832 /* sizeof(struct itree_leaf) with LEAF_MAX 32 */
#define LINE 64
#define VISITS 1000000
#define REPS 5
#define HUGE_PAGE (2u << 20)

/* Median ns per visit of @block bytes in @mib MiB. */
static double visit_ns(size_t block, size_t mib)
{
	size_t size = mib << 20, blocks = size / block;
	uint64_t x = 88172645463325252ull, sink = 0;
	double runs[REPS];
	char *buf;

	if (posix_memalign((void **)&buf, HUGE_PAGE, size)) {
		fprintf(stderr, "bench_leaf_floor: out of memory\n");
		exit(2);
	}
	madvise(buf, size, MADV_HUGEPAGE);
	memset(buf, 0, size);
	for (int rep = 0; rep < REPS; rep++) {
		uint64_t t0 = now_ns();

		for (int i = 0; i < VISITS; i++) {
			char *p;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			/* sink stays 0, but the compiler cannot know: the
			 * next block waits for this one's reads. */
			p = buf + ((x + sink) % blocks) * block;
			for (size_t off = 0; off < block; off += LINE)
				__builtin_prefetch(p + off);
			for (size_t off = 0; off < block; off += LINE)
				sink += *(volatile uint64_t *)(p + off);
			p[block - 8]++;
			p[block - 8]--;
		}
		runs[rep] = (double)(now_ns() - t0) / VISITS;
	}
	free(buf);
	return median(runs, REPS);
}

int main(void)
{
	static const size_t mib[] = { 1, 4, 8, 12, 16, 20, 24, 30, 64 };

	printf("bench_leaf_floor: ns per random visit (all lines read, one "
	       "written), median of %d x %d visits\n", REPS, VISITS);
	printf("%8s %14s %14s\n", "MiB", "leaf 832 B", "line 64 B");
	for (size_t i = 0; i < sizeof(mib) / sizeof(mib[0]); i++) {
		printf("%8zu %14.1f %14.1f\n", mib[i],
		       visit_ns(LEAF_BYTES, mib[i]), visit_ns(LINE, mib[i]));
		fflush(stdout);
	}
	return 0;
}
