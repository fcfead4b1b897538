// SPDX-License-Identifier: MIT
/* Per-thread error messages and the log callback. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "util.h"

/* Long enough for a message that names a range, a region and a device. */
#define ERRMSG_MAX 512

static __thread char thread_errmsg[ERRMSG_MAX];

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t level_once = PTHREAD_ONCE_INIT;
static enum ioasid_print_level stderr_level = IOASID_WARN;

static void print_to_stderr(enum ioasid_print_level level, const char *msg,
			    void *data);

static ioasid_print_fn_t print_fn = print_to_stderr;
static void *print_data;

static void read_level_env(void)
{
	const char *env = getenv("IOASID_LOG_LEVEL");

	if (!env)
		return;
	if (!strcasecmp(env, "debug"))
		stderr_level = IOASID_DEBUG;
	else if (!strcasecmp(env, "info"))
		stderr_level = IOASID_INFO;
}

static void print_to_stderr(enum ioasid_print_level level, const char *msg,
			    void *data)
{
	static const char *const names[] = { "warning", "info", "debug" };

	(void)data;
	pthread_once(&level_once, read_level_env);
	if (level > stderr_level)
		return;
	fprintf(stderr, "libioasid: %s: %s\n", names[level], msg);
}

ioasid_print_fn_t ioasid_set_print(ioasid_print_fn_t fn, void *data)
{
	ioasid_print_fn_t old;

	pthread_mutex_lock(&print_lock);
	old = print_fn;
	print_fn = fn;
	print_data = data;
	pthread_mutex_unlock(&print_lock);
	return old;
}

static void vlog(enum ioasid_print_level level, const char *fmt, va_list ap)
{
	ioasid_print_fn_t fn;
	void *data;
	char msg[ERRMSG_MAX];

	/* Copy under the lock, call outside it: a callback may itself call
	 * ioasid_set_print(). */
	pthread_mutex_lock(&print_lock);
	fn = print_fn;
	data = print_data;
	pthread_mutex_unlock(&print_lock);
	if (!fn)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	fn(level, msg, data);
}

void ioasid_log(enum ioasid_print_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, fmt, ap);
	va_end(ap);
}

int ioasid_fail(int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(thread_errmsg, sizeof(thread_errmsg), fmt, ap);
	va_end(ap);
	ioasid_log(IOASID_DEBUG, "%s", thread_errmsg);
	errno = -err;
	return err;
}

void ioasid_clear_error(void)
{
	thread_errmsg[0] = '\0';
}

bool ioasid_has_errmsg(void)
{
	return thread_errmsg[0] != '\0';
}

const char *ioasid_errmsg(void)
{
	return thread_errmsg;
}

int ioasid_opts_check(const void *opts, size_t known, const char *name)
{
	const unsigned char *bytes = opts;
	size_t sz, i;

	if (!opts)
		return 0;
	sz = *(const size_t *)opts;
	if (sz < sizeof(size_t))
		return ioasid_fail(-EINVAL,
				   "%s.sz is %zu, smaller than the sz field itself",
				   name, sz);
	for (i = known; i < sz; i++)
		if (bytes[i])
			return ioasid_fail(-EINVAL,
					   "%s has non-zero byte %zu beyond the %zu bytes this libioasid knows (a newer member, or padding left unzeroed: declare it with IOASID_OPTS())",
					   name, i, known);
	return 0;
}
