// SPDX-License-Identifier: MIT
/* The replaced ioctl() of tests/unit/mock_ioctl.h. */
#include <errno.h>

#include "mock_ioctl.h"

int __wrap_ioctl(int fd, unsigned long request, ...)
{
	va_list ap;
	void *arg;
	fill_fn fill;
	int err;

	va_start(ap, request);
	arg = va_arg(ap, void *);
	va_end(ap);
	(void)fd;
	check_expected(request);
	err = mock_type(int);
	fill = (fill_fn)mock_ptr_type(void *);
	if (fill)
		fill(arg);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}
