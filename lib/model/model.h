/* SPDX-License-Identifier: MIT */
/*
 * lib/model: what the library computes from values alone, with no
 * context, no backend and no sysfs: reserved-region algebra (resv.h),
 * guest layouts and combined endpoints (layout.h), device classes and
 * PASIDs (pasid.h).  Never installed.
 *
 * The rule between lib/core and this layer: every public entry point is
 * in lib/core, pure ones too (ioasid_resv_usable(), ioasid_layout_check(),
 * ioasid_layout_plan(), ioasid_layout_compare(),
 * ioasid_endpoints_combine(), ioasid_dev_class_name(), ...).  The entry
 * point checks its arguments
 * (NULL pointers, option structs' sz and unknown or reserved bytes,
 * counts, flags, empty or inverted ranges, unknown region types) and then
 * calls a function here.  Functions here assume checked arguments and do
 * not check them again; they fail only for what the computation itself
 * finds (a conflict, no room, no memory), with the message the caller
 * returns, except for the building blocks the backends share too
 * (resv_merge(), resv_complement()), whose bare -ENOMEM the caller words.
 * explain.h is the words themselves: the messages both backends give for
 * the same refusal, which only set the thread's message.
 */
#ifndef IOASID_LIB_MODEL_H
#define IOASID_LIB_MODEL_H

#include "explain.h"
#include "layout.h"
#include "pasid.h"
#include "resv.h"

#endif /* IOASID_LIB_MODEL_H */
