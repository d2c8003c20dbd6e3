/*
 * Xen-style command-line parsing (see <mica/cmdline.h>; the rules are those
 * of Xen's docs/misc/xen-command-line.pandoc, "Parameter Types").
 */
#include <mica/cmdline.h>
#include <mica/errno.h>
#include <mica/string.h>

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

int cmdline_parse_bool(const char *s)
{
    static const char *const truths[] = {"yes", "on", "true", "enable", "1"};
    static const char *const lies[] = {"no", "off", "false", "disable", "0"};

    for (size_t i = 0; i < ARRAY_SIZE(truths); i++) {
        if (strcmp(s, truths[i]) == 0)
            return 1;
        if (strcmp(s, lies[i]) == 0)
            return 0;
    }
    return -EINVAL;
}

/* A whole unsigned number: digits only (no sign, no space), strtoul base 0. */
static int parse_number(const char *s, uint64_t *out, const char **end)
{
    char *e;
    unsigned long long v;

    if (*s < '0' || *s > '9')
        return -EINVAL;
    v = strtoull(s, &e, 0);
    /* strtoull saturates: the largest value doubles as the overflow mark. */
    if (v == ~0ULL)
        return -ERANGE;
    *out = v;
    *end = e;
    return 0;
}

static int parse_uint(const char *s, uint64_t *out)
{
    const char *end;
    int rc = parse_number(s, out, &end);

    if (rc == 0 && *end != '\0')
        rc = -EINVAL;
    return rc;
}

int cmdline_parse_size(const char *s, uint64_t *bytes)
{
    const char *end;
    uint64_t v;
    unsigned int shift;
    int rc = parse_number(s, &v, &end);

    if (rc)
        return rc;
    switch (*end) {
    case 'B':
    case 'b':
        shift = 0;
        break;
    case 'K':
    case 'k':
    case '\0': /* Xen's default unit is KiB */
        shift = 10;
        break;
    case 'M':
    case 'm':
        shift = 20;
        break;
    case 'G':
    case 'g':
        shift = 30;
        break;
    case 'T':
    case 't':
        shift = 40;
        break;
    default:
        return -EINVAL;
    }
    if (*end != '\0' && end[1] != '\0')
        return -EINVAL;
    if (v > (~0ULL >> shift))
        return -ERANGE;
    *bytes = v << shift;
    return 0;
}

const char *cmdline_strerror(int err)
{
    switch (err) {
    case -ENOENT:
        return "unknown command-line option";
    case -EINVAL:
        return "bad value for command-line option";
    case -ERANGE:
        return "value out of range for command-line option";
    case -E2BIG:
        return "value too long for command-line option";
    default:
        return "cannot apply command-line option";
    }
}

static const struct cmdline_option *find_option(const struct cmdline_option *opts, size_t nr_opts,
                                                const char *name)
{
    for (size_t i = 0; i < nr_opts; i++) {
        if (strcmp(opts[i].name, name) == 0)
            return &opts[i];
    }
    return NULL;
}

/* Apply one option; value is NULL when there was no '='. Returns 0 or -errno. */
static int apply(const struct cmdline_option *opt, const char *value, bool negated)
{
    uint64_t n;
    int rc;

    switch (opt->kind) {
    case CMDLINE_BOOL:
        rc = value ? cmdline_parse_bool(value) : 1;
        if (rc < 0)
            return rc;
        *(bool *)opt->var = negated ? !rc : rc;
        return 0;

    case CMDLINE_UINT:
    case CMDLINE_SIZE:
        if (negated || value == NULL)
            return -EINVAL;
        rc = opt->kind == CMDLINE_UINT ? parse_uint(value, &n) : cmdline_parse_size(value, &n);
        if (rc)
            return rc;
        *(uint64_t *)opt->var = n;
        return 0;

    case CMDLINE_STRING: {
        size_t len;

        if (negated || value == NULL)
            return -EINVAL;
        len = strlen(value);
        if (len >= opt->size)
            return -E2BIG;
        memcpy(opt->var, value, len + 1);
        return 0;
    }

    case CMDLINE_CUSTOM:
        return opt->parse(value, negated, opt->var);
    }
    return -EINVAL;
}

/*
 * Copy the next option from *pos into tok (quotes removed), advancing *pos
 * past it. Returns its length, or -E2BIG if it exceeds CMDLINE_TOKEN_MAX
 * (tok then holds the start of it). *eq is set to the offset of the first
 * '=' in tok, quoted or not (as Xen: `"name=a b"` is name="a b"), or -1.
 */
static int next_token(const char **pos, char *tok, int *eq)
{
    const char *p = *pos;
    bool quoted = false;
    int len = 0, rc = 0;

    *eq = -1;
    for (; *p && (quoted || !is_blank(*p)); p++) {
        if (*p == '"') {
            quoted = !quoted;
            continue;
        }
        if (*p == '=' && *eq < 0)
            *eq = len;
        if (len == CMDLINE_TOKEN_MAX) {
            rc = -E2BIG;
            continue;
        }
        tok[len++] = *p;
    }
    tok[len] = '\0';
    *pos = p;
    return rc ? rc : len;
}

unsigned int cmdline_parse(const char *cmdline, const struct cmdline_option *opts, size_t nr_opts,
                           cmdline_report_fn report, void *ctx)
{
    char tok[CMDLINE_TOKEN_MAX + 1];
    unsigned int problems = 0;
    const char *p = cmdline;

    for (;;) {
        const struct cmdline_option *opt;
        const char *name, *value = NULL;
        bool negated = false;
        int eq, rc;

        while (is_blank(*p))
            p++;
        if (*p == '\0')
            break;
        /* Xen hands what follows a bare "--" to dom0. */
        if (p[0] == '-' && p[1] == '-' && (p[2] == '\0' || is_blank(p[2])))
            break;

        rc = next_token(&p, tok, &eq);
        if (rc == 0) /* only quotes, e.g. "" */
            continue;
        if (eq >= 0 && eq < CMDLINE_TOKEN_MAX) {
            tok[eq] = '\0';
            value = &tok[eq + 1];
        }
        name = tok;

        if (rc >= 0) {
            opt = find_option(opts, nr_opts, name);
            if (opt == NULL && strncmp(name, "no-", 3) == 0) {
                opt = find_option(opts, nr_opts, name + 3);
                negated = true;
            }
            rc = opt ? apply(opt, value, negated) : -ENOENT;
        }
        if (rc < 0) {
            problems++;
            if (report)
                report(name, value, rc, ctx);
        }
    }
    return problems;
}
