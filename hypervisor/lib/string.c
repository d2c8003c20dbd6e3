/*
 * String and memory functions for the hypervisor (C11 7.24, 7.22.1.4;
 * strlcpy as OpenBSD's strlcpy(3)). Portable C: also compiled into the host
 * unit tests under hv_ names (tests/unit/hv_rename.h).
 */
#include <mica/string.h>
#include <mica/types.h>

/*
 * gcc recognises byte loops as memset/memcpy idioms and would replace the body
 * of memset with a call to memset. Keep these loops as loops.
 */
#pragma GCC optimize("no-tree-loop-distribute-patterns")

/* A machine word that may alias any object, for the word-at-a-time copies. */
typedef unsigned long __attribute__((may_alias)) word_t;
#define WORD_SIZE sizeof(word_t)

static inline bool word_aligned(const void *p)
{
    return ((uintptr_t)p & (WORD_SIZE - 1)) == 0;
}

/* Weak: arch code may provide a faster one (arch/x86_64/string.S). */
__attribute__((weak)) void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    if (word_aligned(d) && word_aligned(s)) {
        for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE, s += WORD_SIZE)
            *(word_t *)d = *(const word_t *)s;
    }
    while (n--)
        *d++ = *s++;
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;

    /* Copying forward is safe unless dst starts inside [src, src + n). */
    if ((uintptr_t)d - (uintptr_t)s >= n) {
        while (n--)
            *d++ = *s++;
    } else {
        d += n;
        s += n;
        while (n--)
            *--d = *--s;
    }
    return dst;
}

/* Weak, as memcpy. */
__attribute__((weak)) void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    unsigned char b = (unsigned char)c;

    for (; n > 0 && !word_aligned(d); n--)
        *d++ = b;
    if (n >= WORD_SIZE) {
        word_t w = (word_t)b * (~(word_t)0 / 0xff); /* b in every byte */
        for (; n >= WORD_SIZE; n -= WORD_SIZE, d += WORD_SIZE)
            *(word_t *)d = w;
    }
    while (n--)
        *d++ = b;
    return dst;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *p = a, *q = b;

    for (; n > 0; n--, p++, q++) {
        if (*p != *q)
            return *p < *q ? -1 : 1;
    }
    return 0;
}

void *memchr(const void *s, int c, size_t n)
{
    const unsigned char *p = s;

    for (; n > 0; n--, p++) {
        if (*p == (unsigned char)c)
            return (void *)p;
    }
    return NULL;
}

size_t strlen(const char *s)
{
    const char *p = s;

    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t maxlen)
{
    size_t n = 0;

    while (n < maxlen && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

    while (*p && *p == *q) {
        p++;
        q++;
    }
    return (*p > *q) - (*p < *q);
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *p = (const unsigned char *)a, *q = (const unsigned char *)b;

    for (; n > 0; n--, p++, q++) {
        if (*p != *q)
            return *p < *q ? -1 : 1;
        if (*p == '\0')
            break;
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (*s == '\0')
            return NULL;
    }
}

char *strrchr(const char *s, int c)
{
    const char *last = NULL;

    for (;; s++) {
        if (*s == (char)c)
            last = s;
        if (*s == '\0')
            return (char *)last;
    }
}

static bool is_space(char c)
{
    /* The "C" locale's white space (C11 7.4.1.10). */
    return c == ' ' || (c >= '\t' && c <= '\r');
}

/* Value of c as a digit in bases up to 36, or 36 if it is no digit. */
static unsigned int digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return (unsigned int)(c - '0');
    if (c >= 'a' && c <= 'z')
        return (unsigned int)(c - 'a' + 10);
    if (c >= 'A' && c <= 'Z')
        return (unsigned int)(c - 'A' + 10);
    return 36;
}

unsigned long long strtoull(const char *s, char **endptr, int base)
{
    const char *p = s;
    bool negative = false, overflow = false, any = false;
    unsigned long long value = 0;

    if (base < 0 || base == 1 || base > 36) {
        if (endptr)
            *endptr = (char *)s;
        return 0;
    }

    while (is_space(*p))
        p++;
    if (*p == '+' || *p == '-')
        negative = *p++ == '-';

    /* A 0x prefix counts only if a hex digit follows; else the 0 is the number. */
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value(p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }

    for (;; p++) {
        unsigned int d = digit_value(*p);

        if (d >= (unsigned int)base)
            break;
        any = true;
        if (value > (~0ULL - d) / (unsigned int)base)
            overflow = true;
        else
            value = value * (unsigned int)base + d;
    }

    if (endptr)
        *endptr = (char *)(any ? p : s);
    if (!any)
        return 0;
    if (overflow)
        return ~0ULL;
    return negative ? -value : value;
}

unsigned long strtoul(const char *s, char **endptr, int base)
{
    return strtoull(s, endptr, base);
}

size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
    size_t len = strlen(src);

    if (size > 0) {
        size_t n = len < size - 1 ? len : size - 1;

        memcpy(dst, src, n);
        dst[n] = '\0';
    }
    return len;
}
