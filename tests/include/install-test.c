// SPDX-License-Identifier: MIT
/*
 * Built against an installed libioasid through pkg-config (see
 * check-install.sh): the headers, the .pc file and the library agree, and
 * the simulator works from an installed copy.
 */
#include <stdio.h>
#include <string.h>

#include <ioasid/ioasid.h>
#include <ioasid/version.h>

int main(void)
{
	IOASID_OPTS(ioasid_ctx_opts, opts, .backend = IOASID_BACKEND_SIM);
	struct ioasid_ctx *ctx;
	uint32_t ioas_id;
	int ret;

	if (strcmp(ioasid_version_string(), IOASID_VERSION_STRING) != 0 ||
	    ioasid_version_major() != IOASID_VERSION_MAJOR ||
	    ioasid_version_minor() != IOASID_VERSION_MINOR) {
		fprintf(stderr, "header version %s, library version %s\n",
			IOASID_VERSION_STRING, ioasid_version_string());
		return 1;
	}
	ret = ioasid_ctx_open(&opts, &ctx);
	if (ret < 0) {
		fprintf(stderr, "ioasid_ctx_open: %s\n", ioasid_errmsg());
		return 1;
	}
	ret = ioasid_ioas_alloc(ctx, &ioas_id);
	if (ret < 0 || ioas_id == 0) {
		fprintf(stderr, "ioasid_ioas_alloc: %d %s\n", ret, ioasid_errmsg());
		ioasid_ctx_close(ctx);
		return 1;
	}
	printf("libioasid %s: sim backend \"%s\", ioas %u\n",
	       ioasid_version_string(), ioasid_ctx_backend(ctx), ioas_id);
	ioasid_ctx_close(ctx);
	return 0;
}
