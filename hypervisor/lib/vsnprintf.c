/*
 * vsnprintf/snprintf for the hypervisor: integer, character, string and
 * pointer conversions of C11 7.21.6.1, no floating point. See
 * <mica/printf.h> for the exact set and the deliberate differences.
 */
#include <mica/printf.h>
#include <mica/string.h>
#include <mica/types.h>

#include <limits.h>

/* The output: characters past size - 1 are counted, not stored. */
struct out {
    char *buf;
    size_t size;
    size_t len; /* characters produced so far, stored or not */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_n(struct out *o, const char *s, size_t n)
{
    while (n--)
        put(o, *s++);
}

static void pad(struct out *o, char c, int n)
{
    for (; n > 0; n--)
        put(o, c);
}

/* One conversion specification, after parsing. */
struct spec {
    bool left;     /* '-': pad on the right */
    bool zero;     /* '0': pad numbers with zeros */
    bool alt;      /* '#': alternative form (0x prefix, leading 0 for octal) */
    bool plus;     /* '+': sign on non-negative signed numbers */
    bool space;    /* ' ': space on non-negative signed numbers */
    int width;     /* minimum field width in characters, 0 if none */
    int precision; /* -1 if none */
};

/*
 * Print a number: magnitude 'value', in 'base' (8, 10 or 16), with the
 * given sign character (0 for none) and prefix ("" or "0x"/"0X").
 */
static void put_number(struct out *o, const struct spec *sp, unsigned long long value, int base,
                       bool upper, char sign, const char *prefix)
{
    const char *digit_chars = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    char digits[24]; /* 2^64 needs 22 octal digits */
    int ndigits = 0, zeros, len, prefix_len = (int)strlen(prefix);
    int precision = sp->precision;

    /* An explicit precision of 0 prints no digits for the value 0. */
    if (!(value == 0 && precision == 0)) {
        do {
            digits[ndigits++] = digit_chars[value % (unsigned int)base];
            value /= (unsigned int)base;
        } while (value != 0);
    }
    /* '#' with 'o' raises the precision so that the first digit is a 0. */
    if (base == 8 && sp->alt && (ndigits == 0 || digits[ndigits - 1] != '0'))
        precision = MAX(precision, ndigits + 1);

    zeros = precision > ndigits ? precision - ndigits : 0;
    len = (sign ? 1 : 0) + prefix_len + zeros + ndigits;
    /* '0' is ignored with '-' or with a precision (C11 7.21.6.1p6). */
    if (sp->zero && !sp->left && sp->precision < 0 && sp->width > len) {
        zeros += sp->width - len;
        len = sp->width;
    }

    if (!sp->left)
        pad(o, ' ', sp->width - len);
    if (sign)
        put(o, sign);
    put_n(o, prefix, (size_t)prefix_len);
    pad(o, '0', zeros);
    while (ndigits > 0)
        put(o, digits[--ndigits]);
    if (sp->left)
        pad(o, ' ', sp->width - len);
}

/* Print n characters of s within the field width. */
static void put_field(struct out *o, const struct spec *sp, const char *s, size_t n)
{
    int fill = sp->width > (long long)n ? sp->width - (int)n : 0;

    if (!sp->left)
        pad(o, ' ', fill);
    put_n(o, s, n);
    if (sp->left)
        pad(o, ' ', fill);
}

/* Parse a decimal number at *p, saturating at INT_MAX. */
static int parse_int(const char **p)
{
    int v = 0;

    for (; **p >= '0' && **p <= '9'; (*p)++)
        v = v > (INT_MAX - 9) / 10 ? INT_MAX : v * 10 + (**p - '0');
    return v;
}

enum length { LEN_NONE, LEN_HH, LEN_H, LEN_L, LEN_LL, LEN_Z, LEN_T, LEN_J };

_Static_assert(sizeof(long) == sizeof(size_t), "%zd is read as long");

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    struct out o = {.buf = buf, .size = size, .len = 0};
    const char *p = fmt;

    while (*p) {
        const char *start = p;
        struct spec sp = {.precision = -1};
        enum length len = LEN_NONE;
        unsigned long long u;
        long long s;
        char sign = 0, c;

        if (*p != '%') {
            put(&o, *p++);
            continue;
        }
        p++;

        for (;; p++) {
            if (*p == '-')
                sp.left = true;
            else if (*p == '0')
                sp.zero = true;
            else if (*p == '#')
                sp.alt = true;
            else if (*p == '+')
                sp.plus = true;
            else if (*p == ' ')
                sp.space = true;
            else
                break;
        }

        if (*p == '*') {
            int w = va_arg(ap, int);

            p++;
            /* A negative width argument is a '-' flag and a positive width. */
            if (w < 0) {
                sp.left = true;
                w = w == INT_MIN ? INT_MAX : -w;
            }
            sp.width = w;
        } else {
            sp.width = parse_int(&p);
        }

        if (*p == '.') {
            p++;
            if (*p == '*') {
                int prec = va_arg(ap, int);

                p++;
                sp.precision = prec < 0 ? -1 : prec; /* negative: as if omitted */
            } else {
                sp.precision = parse_int(&p);
            }
        }

        switch (*p) {
        case 'h':
            len = p[1] == 'h' ? LEN_HH : LEN_H;
            p += len == LEN_HH ? 2 : 1;
            break;
        case 'l':
            len = p[1] == 'l' ? LEN_LL : LEN_L;
            p += len == LEN_LL ? 2 : 1;
            break;
        case 'z':
            len = LEN_Z;
            p++;
            break;
        case 't':
            len = LEN_T;
            p++;
            break;
        case 'j':
            len = LEN_J;
            p++;
            break;
        default:
            break;
        }

        switch (c = *p) {
        case 'd':
        case 'i':
            switch (len) {
            case LEN_HH:
                s = (signed char)va_arg(ap, int);
                break;
            case LEN_H:
                s = (short)va_arg(ap, int);
                break;
            case LEN_L:
            case LEN_Z:
                s = va_arg(ap, long);
                break;
            case LEN_LL:
                s = va_arg(ap, long long);
                break;
            case LEN_T:
                s = va_arg(ap, ptrdiff_t);
                break;
            case LEN_J:
                s = va_arg(ap, intmax_t);
                break;
            default:
                s = va_arg(ap, int);
                break;
            }
            if (s < 0)
                sign = '-';
            else if (sp.plus)
                sign = '+';
            else if (sp.space)
                sign = ' ';
            /* Negate in unsigned arithmetic so LLONG_MIN works. */
            u = s < 0 ? -(unsigned long long)s : (unsigned long long)s;
            put_number(&o, &sp, u, 10, false, sign, "");
            break;

        case 'u':
        case 'x':
        case 'X':
        case 'o':
            switch (len) {
            case LEN_HH:
                u = (unsigned char)va_arg(ap, unsigned int);
                break;
            case LEN_H:
                u = (unsigned short)va_arg(ap, unsigned int);
                break;
            case LEN_L:
                u = va_arg(ap, unsigned long);
                break;
            case LEN_LL:
                u = va_arg(ap, unsigned long long);
                break;
            case LEN_Z:
                u = va_arg(ap, size_t);
                break;
            case LEN_T:
                u = (unsigned long long)va_arg(ap, ptrdiff_t);
                break;
            case LEN_J:
                u = va_arg(ap, uintmax_t);
                break;
            default:
                u = va_arg(ap, unsigned int);
                break;
            }
            if (c == 'u')
                put_number(&o, &sp, u, 10, false, 0, "");
            else if (c == 'o')
                put_number(&o, &sp, u, 8, false, 0, "");
            else
                put_number(&o, &sp, u, 16, c == 'X', 0,
                           sp.alt && u != 0 ? (c == 'X' ? "0X" : "0x") : "");
            break;

        case 'p': {
            struct spec ps = sp;

            ps.precision = 16;
            ps.zero = false;
            put_number(&o, &ps, (uintptr_t)va_arg(ap, void *), 16, false, 0, "0x");
            break;
        }

        case 'c': {
            char ch = (char)va_arg(ap, int);

            put_field(&o, &sp, &ch, 1);
            break;
        }

        case 's': {
            const char *str = va_arg(ap, const char *);

            if (str == NULL)
                str = "(null)";
            /* With a precision, str need not be NUL-terminated: never read past it. */
            put_field(&o, &sp, str,
                      sp.precision >= 0 ? strnlen(str, (size_t)sp.precision) : strlen(str));
            break;
        }

        case '%':
            put(&o, '%');
            break;

        default:
            /* Unknown or unsupported: copy the specification as it stands. */
            if (*p)
                p++;
            put_n(&o, start, (size_t)(p - start));
            continue;
        }
        p++;
    }

    if (size > 0)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return o.len > INT_MAX ? -1 : (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
