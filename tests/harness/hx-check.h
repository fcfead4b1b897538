/* SPDX-License-Identifier: MIT */
/*
 * How every test of libioasid judges a call: one dialect, whatever
 * reports the failure.  tests/harness/harness.h (tests that run on both
 * backends), tests/unit/helpers.h (cmocka) and tests/vm/lib/vmtest.h
 * (static programs in the VM) wrap these two judges in their own macros
 * and send the text to their own sink (the harness's runner, cmocka's
 * _fail(), or exit(1)).  Header only, libc and <ioasid/ioasid.h>.
 *
 * A call succeeds when it returns 0 (or, where the call returns a count,
 * any value >= 0).  A call fails as expected when all three hold:
 *   - it returned -ERR;
 *   - errno is ERR right after it (read before anything else runs);
 *   - ioasid_errmsg() is not empty and contains NEEDLE, ignoring case
 *     (any message if NEEDLE is NULL).
 * The text of a failed judgement names the call, what it returned, errno
 * and the library's message.
 */
#ifndef IOASID_TESTS_HX_CHECK_H
#define IOASID_TESTS_HX_CHECK_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* strcasestr */
#endif
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <ioasid/ioasid.h>

#define HX_WHY_MAX 1024

/* The text of a failed judgement. */
struct hx_why {
	char text[HX_WHY_MAX];
};

static inline const char *hx_strerr(int rc)
{
	return rc < 0 ? strerror(-rc) : "success";
}

/*
 * hx_judge_ok - whether @call's result @rc is a success: 0, or any
 * value >= 0 if @count_ok.  Return: true if it is; false with @why
 * filled if not.
 */
static inline bool hx_judge_ok(struct hx_why *why, const char *call, int rc,
			       bool count_ok)
{
	if (rc == 0 || (count_ok && rc > 0))
		return true;
	snprintf(why->text, sizeof(why->text),
		 "%s\n  returned %d (%s), expected success; libioasid: \"%s\"",
		 call, rc, hx_strerr(rc), ioasid_errmsg());
	return false;
}

/*
 * hx_judge_err - whether @call failed with -@err: @rc, @seen_errno (errno
 * read right after the call) and the library's message, which must
 * contain @needle (ignoring case; NULL: any non-empty message).
 */
static inline bool hx_judge_err(struct hx_why *why, const char *call, int rc,
				int seen_errno, int err, const char *needle)
{
	const char *msg = ioasid_errmsg();

	if (rc != -err) {
		snprintf(why->text, sizeof(why->text),
			 "%s\n  returned %d (%s), expected %d (%s); libioasid: \"%s\"",
			 call, rc, hx_strerr(rc), -err, strerror(err),
			 msg ? msg : "");
		return false;
	}
	if (seen_errno != err) {
		snprintf(why->text, sizeof(why->text),
			 "%s\n  returned %d (%s) but errno is %d (%s)", call, rc,
			 strerror(err), seen_errno, strerror(seen_errno));
		return false;
	}
	if (!msg || !*msg || (needle && !strcasestr(msg, needle))) {
		snprintf(why->text, sizeof(why->text),
			 "%s\n  returned %d (%s) but the message \"%s\" does not name \"%s\"",
			 call, rc, strerror(err), msg ? msg : "(null)",
			 needle ? needle : "anything");
		return false;
	}
	return true;
}

#endif /* IOASID_TESTS_HX_CHECK_H */
