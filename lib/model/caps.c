// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "caps.h"

void cap_set(struct ioasid_cap *c, uint32_t state, uint32_t reason,
	     const char *fmt, ...)
{
	va_list ap;

	c->state = state;
	c->reason = reason;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
}
