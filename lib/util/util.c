// SPDX-License-Identifier: MIT
/* Small parsers shared by the backends, and the page size. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* Read exactly @n hex digits from @s into *@val. */
static bool hex_digits(const char *s, int n, unsigned int *val)
{
	unsigned int v = 0;
	int i;

	for (i = 0; i < n; i++) {
		if (!isxdigit((unsigned char)s[i]))
			return false;
		v = v * 16 + (isdigit((unsigned char)s[i]) ?
				      s[i] - '0' :
				      tolower((unsigned char)s[i]) - 'a' + 10);
	}
	*val = v;
	return true;
}

int ioasid_parse_pci_addr(const char *s, char out[IOASID_NAME_MAX])
{
	unsigned int domain = 0, bus, slot, func;
	size_t len = s ? strlen(s) : 0;

	/* DDDD:BB:SS.F (12 characters) or BB:SS.F (7, domain 0). */
	if (len == 12) {
		if (!hex_digits(s, 4, &domain) || s[4] != ':')
			return -EINVAL;
		s += 5;
	} else if (len != 7) {
		return -EINVAL;
	}
	if (!hex_digits(s, 2, &bus) || s[2] != ':' ||
	    !hex_digits(s + 3, 2, &slot) || s[5] != '.' ||
	    !hex_digits(s + 6, 1, &func))
		return -EINVAL;
	if (slot > 0x1f || func > 7)
		return -EINVAL;
	snprintf(out, IOASID_NAME_MAX, "%04x:%02x:%02x.%x", domain, bus, slot,
		 func);
	return 0;
}

uint64_t ioasid_page_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	return page > 0 ? (uint64_t)page : 4096;
}
