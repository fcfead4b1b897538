/* SPDX-License-Identifier: MIT */
/*
 * Shared by the benchmarks: the clock they time with and the median they
 * report of repeated runs.
 */
#ifndef IOASID_TESTS_BENCH_BENCH_H
#define IOASID_TESTS_BENCH_BENCH_H

#include <stdint.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of the @n values of @v, which it sorts: the middle one, or
 * the mean of the middle two when @n is even. */
static inline double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* IOASID_TESTS_BENCH_BENCH_H */
