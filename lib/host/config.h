/* SPDX-License-Identifier: MIT */
/*
 * The operator's configuration file, ioasid.conf(5): defaults for contexts
 * opened with IOASID_BACKEND_DEFAULT, and per-device overrides of what the
 * hardware cannot reveal (the PASID class above all).
 *
 * Functions return 0 or a negative errno and set a message with
 * ioasid_fail(); file errors read "FILE:LINE: message".
 */
#ifndef IOASID_LIB_CONFIG_H
#define IOASID_LIB_CONFIG_H

#include <stdbool.h>

#include <ioasid/ioasid.h>

/* Used when neither ioasid_ctx_opts.config nor $IOASID_CONFIG names one. */
#ifndef IOASID_CONFIG_DEFAULT_PATH
#define IOASID_CONFIG_DEFAULT_PATH "/etc/ioasid/ioasid.conf"
#endif

struct ioasid_config;

/* Read and check the file @path.  -ENOENT, -EACCES (cannot read it),
 * -EINVAL (a mistake: FILE:LINE in the message). */
int ioasid_config_load(const char *path, struct ioasid_config **out);

/*
 * ioasid_config_open - the configuration a context uses.
 * @path: ioasid_ctx_opts.config: NULL means $IOASID_CONFIG if set, else
 *        IOASID_CONFIG_DEFAULT_PATH if that file exists; "" means none.
 *
 * *@out is NULL when there is no configuration.  A file named explicitly
 * (@path or $IOASID_CONFIG) must exist.
 */
int ioasid_config_open(const char *path, struct ioasid_config **out);

void ioasid_config_free(struct ioasid_config *cfg);

/* The file it came from. */
const char *ioasid_config_path(const struct ioasid_config *cfg);

/* [defaults] backend: IOASID_BACKEND_DEFAULT if not set (or @cfg NULL). */
enum ioasid_backend ioasid_config_backend(const struct ioasid_config *cfg);

/* [defaults] topology, made absolute against the file's directory; NULL
 * if not set. */
const char *ioasid_config_topology(const struct ioasid_config *cfg);

/*
 * ioasid_config_apply_dev - apply the [device NAME] section matching
 * @info->name (if any) to @info: class, pasid_width, pasid; then finish
 * the class report with IOASID_CLASS_SRC_CONFIG when the class was set.
 * Backends call it last, after their own detection.  @cfg may be NULL.
 *
 * Return: whether a section matched.
 */
bool ioasid_config_apply_dev(const struct ioasid_config *cfg,
			     struct ioasid_dev_info *info);

#endif /* IOASID_LIB_CONFIG_H */
