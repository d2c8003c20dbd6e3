/*
 * The hypervisor's command line, parsed the way Xen parses its own
 * (Xen's docs/misc/xen-command-line.pandoc, "Parameter Types"):
 *
 *   console=com1 loglvl=all dom0_mem=128M no-foo name="a value with spaces"
 *
 * Options are separated by white space; each is `name`, `name=value` or
 * `no-name`. Double quotes may enclose any part of an option to keep white
 * space in it; the quotes themselves are removed. A token that is exactly
 * `--` ends the hypervisor's options (Xen passes what follows to dom0).
 *
 * The caller describes its options in a table; nothing is global, so any
 * number of tables and command lines can be parsed.
 */
#ifndef MICA_CMDLINE_H
#define MICA_CMDLINE_H

#include <mica/types.h>

/* Longest option the parser handles, quotes removed, in bytes (NUL excluded). */
#define CMDLINE_TOKEN_MAX 511

/* How an option's value is interpreted. */
enum cmdline_kind {
    /*
     * bool *var. `name` sets true, `no-name` false, `name=v` takes Xen's
     * spellings: yes/on/true/enable/1 or no/off/false/disable/0
     * (`no-name=v` inverts v, as in Xen).
     */
    CMDLINE_BOOL,
    /* uint64_t *var. `name=N`, N decimal, 0x hex or 0 octal (strtoul base 0). */
    CMDLINE_UINT,
    /*
     * uint64_t *var, in bytes. `name=N[unit]`, unit B, K, M, G or T (either
     * case, powers of 1024); no unit means KiB, as Xen's parse_size_and_unit.
     */
    CMDLINE_SIZE,
    /*
     * char var[size]. `name=text`, copied with its NUL; text that does not
     * fit is refused (-E2BIG), never truncated. `name=` gives "".
     */
    CMDLINE_STRING,
    /*
     * parse(value, negated, var): value is the text after '=' or NULL for a
     * bare `name`/`no-name`; negated is true for the `no-` form. Returns 0
     * or a negative errno, which is reported.
     */
    CMDLINE_CUSTOM,
};

/* One entry of an option table. Build entries with the CMDLINE_* macros below. */
struct cmdline_option {
    const char *name; /* without a "no-" prefix */
    enum cmdline_kind kind;
    void *var;   /* where the value goes (see enum cmdline_kind) */
    size_t size; /* CMDLINE_STRING: bytes at var, NUL included */
    int (*parse)(const char *value, bool negated, void *var); /* CMDLINE_CUSTOM */
};

/* Table entries; the conditional expressions make gcc check the variable's type. */
#define CMDLINE_OPT_BOOL(n, v)                                                                     \
    {                                                                                              \
        .name = (n), .kind = CMDLINE_BOOL, .var = (1 ? (v) : (bool *)0)                            \
    }
#define CMDLINE_OPT_UINT(n, v)                                                                     \
    {                                                                                              \
        .name = (n), .kind = CMDLINE_UINT, .var = (1 ? (v) : (uint64_t *)0)                        \
    }
#define CMDLINE_OPT_SIZE(n, v)                                                                     \
    {                                                                                              \
        .name = (n), .kind = CMDLINE_SIZE, .var = (1 ? (v) : (uint64_t *)0)                        \
    }
#define CMDLINE_OPT_STRING(n, buf)                                                                 \
    {                                                                                              \
        .name = (n), .kind = CMDLINE_STRING, .var = (1 ? (buf) : (char *)0), .size = sizeof(buf)   \
    }
#define CMDLINE_OPT_CUSTOM(n, fn, arg)                                                             \
    {                                                                                              \
        .name = (n), .kind = CMDLINE_CUSTOM, .var = (arg), .parse = (fn)                           \
    }

/*
 * Called once for every option that could not be applied: name is the
 * option's name as written (with any "no-" prefix), value the text after '='
 * or NULL, err one of
 *   -ENOENT  no such option in the table
 *   -EINVAL  missing or malformed value (or `no-` on a non-boolean option)
 *   -ERANGE  number too large (2^64 - 1 and above, after the size unit)
 *   -E2BIG   string too long for its buffer, or option longer than CMDLINE_TOKEN_MAX
 *   any negative errno a CMDLINE_CUSTOM parse function returned.
 * The option's variable is left unchanged.
 */
typedef void (*cmdline_report_fn)(const char *name, const char *value, int err, void *ctx);

/*
 * Parse cmdline (NUL-terminated, not modified) against the nr_opts entries
 * of opts, setting each option's variable in order of appearance (a later
 * setting wins). Problems go to report(..., ctx) if report is not NULL,
 * and parsing goes on with the next option.
 * Returns the number of options reported (0 when everything was applied).
 */
unsigned int cmdline_parse(const char *cmdline, const struct cmdline_option *opts, size_t nr_opts,
                           cmdline_report_fn report, void *ctx);

/*
 * A short English phrase for a report's err, to be followed by the option's
 * name: "unknown command-line option", "bad value for command-line option", ...
 */
const char *cmdline_strerror(int err);

/*
 * Parse a boolean as Xen's parse_bool: returns 1 for yes/on/true/enable/1,
 * 0 for no/off/false/disable/0, -EINVAL for anything else.
 */
int cmdline_parse_bool(const char *s);

/*
 * Parse a size "N[BKMGT]" (no unit: KiB) as Xen's parse_size_and_unit,
 * the whole string. Returns 0 and *bytes, -EINVAL if malformed, -ERANGE if
 * it does not fit in 64 bits.
 */
int cmdline_parse_size(const char *s, uint64_t *bytes);

#endif /* MICA_CMDLINE_H */
