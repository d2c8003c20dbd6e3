/*
 * Undo hv_rename.h in a test file after it has included mica's headers:
 * from here on memcpy is the host's and hv_memcpy is mica's.
 */
#undef memcpy
#undef memmove
#undef memset
#undef memcmp
#undef memchr
#undef strlen
#undef strnlen
#undef strcmp
#undef strncmp
#undef strchr
#undef strrchr
#undef strtoul
#undef strtoull
#undef strlcpy
#undef vsnprintf
#undef snprintf
