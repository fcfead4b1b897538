/* SPDX-License-Identifier: MIT */
/*
 * Filling one capability of ioasid_caps_get(): its state, reason code
 * and words.  Shared by the core (the host lines) and both backends.
 */
#ifndef IOASID_LIB_MODEL_CAPS_H
#define IOASID_LIB_MODEL_CAPS_H

#include <stdint.h>

#include <ioasid/caps.h>

void cap_set(struct ioasid_cap *c, uint32_t state, uint32_t reason,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#endif /* IOASID_LIB_MODEL_CAPS_H */
