// SPDX-License-Identifier: MIT
/*
 * ioasctl: the one print path.  Every command describes its result once,
 * field by field; in text mode each field prints its format, in JSON mode
 * it becomes a member of the command's json-c object.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ioasctl.h"

static bool text_on(struct cli *cli)
{
	return !cli->json && !cli->quiet && !cli->check_only;
}

static bool json_on(struct cli *cli)
{
	return cli->json && !cli->quiet && !cli->check_only;
}

bool out_text_on(struct cli *cli)
{
	return text_on(cli);
}

void out_begin(struct cli *cli)
{
	if (cli->out_root)
		json_object_put(cli->out_root);
	cli->out_root = NULL;
	cli->out_depth = 0;
	cli->out_error = false;
}

json_object *out_end(struct cli *cli)
{
	json_object *root = cli->out_root;

	cli->out_root = NULL;
	cli->out_depth = 0;
	return root;
}

/* Add @val under @key to the innermost open container (or make it the
 * root). */
static void json_add(struct cli *cli, const char *key, json_object *val)
{
	json_object *top;

	if (cli->out_error) {
		json_object_put(val);
		return;
	}
	if (cli->out_depth == 0) {
		if (!cli->out_root && (json_object_is_type(val, json_type_object) ||
				       json_object_is_type(val, json_type_array))) {
			cli->out_root = val;
			return;
		}
		/* A bare field: wrap it in a root object. */
		if (!cli->out_root)
			cli->out_root = json_object_new_object();
		top = cli->out_root;
	} else {
		top = cli->out_stack[cli->out_depth - 1];
	}
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, val);
	else
		json_object_object_add(top, key, val);
}

static void push(struct cli *cli, const char *key, json_object *c)
{
	json_object_get(c); /* the stack holds its own reference */
	json_add(cli, key, c);
	if (cli->out_depth < (int)ARRAY_SIZE(cli->out_stack))
		cli->out_stack[cli->out_depth++] = c;
	json_object_put(c);
}

void out_obj_open(struct cli *cli, const char *key)
{
	if (json_on(cli))
		push(cli, key, json_object_new_object());
}

void out_arr_open(struct cli *cli, const char *key)
{
	if (json_on(cli))
		push(cli, key, json_object_new_array());
}

void out_obj_close(struct cli *cli)
{
	if (json_on(cli) && cli->out_depth > 0)
		cli->out_depth--;
}

void out_arr_close(struct cli *cli)
{
	out_obj_close(cli);
}

void out_u64(struct cli *cli, const char *key, const char *fmt, uint64_t v)
{
	if (text_on(cli) && fmt)
		printf(fmt, v);
	if (json_on(cli)) {
		char hexkey[64], hex[24];

		/* Numbers above 2^53 lose precision in many JSON readers:
		 * the hex string is exact everywhere. */
		json_add(cli, key, json_object_new_uint64(v));
		snprintf(hexkey, sizeof(hexkey), "%s_hex", key);
		snprintf(hex, sizeof(hex), "0x%" PRIx64, v);
		json_add(cli, hexkey, json_object_new_string(hex));
	}
}

void out_uint(struct cli *cli, const char *key, const char *fmt, uint64_t v)
{
	if (text_on(cli) && fmt)
		printf(fmt, v);
	if (json_on(cli))
		json_add(cli, key, json_object_new_uint64(v));
}

void out_int(struct cli *cli, const char *key, const char *fmt, int64_t v)
{
	if (text_on(cli) && fmt)
		printf(fmt, v);
	if (json_on(cli))
		json_add(cli, key, json_object_new_int64(v));
}

void out_str(struct cli *cli, const char *key, const char *fmt,
	     const char *s)
{
	if (text_on(cli) && fmt)
		printf(fmt, s);
	if (json_on(cli))
		json_add(cli, key, json_object_new_string(s));
}

void out_bool(struct cli *cli, const char *key, const char *fmt, bool v)
{
	if (text_on(cli) && fmt && v)
		printf("%s", fmt);
	if (json_on(cli))
		json_add(cli, key, json_object_new_boolean(v));
}

void out_text(struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (!text_on(cli))
		return;
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
}

void out_print_json(struct cli *cli, json_object *obj)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= cli->pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
			     : JSON_C_TO_STRING_PLAIN;
	puts(obj ? json_object_to_json_string_ext(obj, flags) : "null");
	fflush(stdout);
}

/* In a JSON batch, a failed command's output is {"error": MSG}. */
void out_set_error(struct cli *cli, const char *msg)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "error", json_object_new_string(msg));
	if (cli->out_root)
		json_object_put(cli->out_root);
	cli->out_root = o;
	cli->out_depth = 0;
	cli->out_error = true;
}

/*
 * Fail with errno @err and @msg, keeping the result the command has built
 * so far (layout conflicts and suggestions, replayed requests): in JSON
 * the error object is {"error": MSG, ...the result's members}, in text
 * the result is already printed and the error goes to stderr as usual.
 */
int fail_with_result(struct cli *cli, int err, const char *msg)
{
	json_object *result = cli->json ? out_end(cli) : NULL;
	int ret;

	if (!result || !json_object_is_type(result, json_type_object)) {
		if (result)
			json_object_put(result);
		return cmd_err(cli, err, "%s", msg);
	}
	if (cli->batch) {
		/* The batch turns the error into the command's output. */
		ret = cmd_err(cli, err, "%s", msg);
		if (cli->out_root && cli->out_error) {
			json_object_object_foreach(result, key, val)
				json_object_object_add(cli->out_root, key,
						       json_object_get(val));
		}
	} else {
		/* Alone, the error object is the whole document. */
		json_object *o = json_object_new_object();

		snprintf(cli->last_msg, sizeof(cli->last_msg), "%s", msg);
		cli->last_err = err;
		json_object_object_add(o, "error", json_object_new_string(msg));
		json_object_object_foreach(result, key, val)
			json_object_object_add(o, key, json_object_get(val));
		out_print_json(cli, o);
		json_object_put(o);
		ret = CMD_FAIL;
	}
	json_object_put(result);
	return ret;
}
