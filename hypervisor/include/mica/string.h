/*
 * mica's own string and memory functions (the hypervisor has no libc).
 *
 * Each behaves as the C standard (C11 7.24, 7.22.1.4) says for the function of
 * the same name; strlcpy follows OpenBSD's strlcpy(3). gcc may emit calls to
 * memcpy, memmove, memset and memcmp on its own, so these exact names must
 * exist in the hypervisor image.
 *
 * Host unit tests compile this library with tests/unit/hv_rename.h forced in,
 * which renames every function to hv_<name> so it does not clash with libc.
 */
#ifndef MICA_STRING_H
#define MICA_STRING_H

#include <stddef.h>

/* Copy n bytes from src to dst; the ranges must not overlap. Returns dst. */
void *memcpy(void *restrict dst, const void *restrict src, size_t n);

/* Copy n bytes from src to dst; the ranges may overlap. Returns dst. */
void *memmove(void *dst, const void *src, size_t n);

/* Fill n bytes at dst with the byte (unsigned char)c. Returns dst. */
void *memset(void *dst, int c, size_t n);

/*
 * Compare n bytes as unsigned chars. Returns <0, 0 or >0 as a sorts before,
 * equal to or after b.
 */
int memcmp(const void *a, const void *b, size_t n);

/* First byte equal to (unsigned char)c in the n bytes at s, or NULL. */
void *memchr(const void *s, int c, size_t n);

/* Length of the NUL-terminated string s, in bytes, without the NUL. */
size_t strlen(const char *s);

/* strlen(s), but looks at no more than maxlen bytes and returns at most maxlen. */
size_t strnlen(const char *s, size_t maxlen);

/* Compare two strings as unsigned chars: <0, 0 or >0. */
int strcmp(const char *a, const char *b);

/* Compare at most n characters of two strings as unsigned chars: <0, 0 or >0. */
int strncmp(const char *a, const char *b, size_t n);

/*
 * First occurrence of (char)c in s, or NULL. The terminating NUL counts as
 * part of the string, so strchr(s, 0) points at it.
 */
char *strchr(const char *s, int c);

/* Last occurrence of (char)c in s (the NUL included), or NULL. */
char *strrchr(const char *s, int c);

/*
 * Convert the start of s to an unsigned long, as C11 7.22.1.4: leading white
 * space is skipped, an optional + or - sign (- negates the result modulo
 * 2^64), then digits in base 2..36; base 0 takes 0x/0X as hexadecimal, a
 * leading 0 as octal, anything else as decimal; base 16 accepts an optional
 * 0x/0X. If endptr is not NULL, *endptr is set past the last digit used, or
 * to s if there were none (result 0). On overflow the result is ULONG_MAX
 * (there is no errno in the hypervisor: compare with ULONG_MAX).
 */
unsigned long strtoul(const char *s, char **endptr, int base);

/* As strtoul, for unsigned long long (the same width on x86-64). */
unsigned long long strtoull(const char *s, char **endptr, int base);

/*
 * Copy the string src into dst of size bytes: at most size - 1 characters,
 * always NUL-terminated when size > 0 (OpenBSD strlcpy(3)). Returns
 * strlen(src); a return value >= size means the copy was truncated.
 */
size_t strlcpy(char *restrict dst, const char *restrict src, size_t size);

#endif /* MICA_STRING_H */
