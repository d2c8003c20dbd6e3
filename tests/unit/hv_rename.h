/*
 * Forced into every hypervisor source compiled for the host unit tests
 * (gcc -include): gives mica's libc-named functions hv_ names so they neither
 * clash with the host's libc nor replace it inside Check or the sanitizers.
 * A test includes this before <mica/string.h> / <mica/printf.h>, then
 * hv_unrename.h, so that memcpy means the host's and hv_memcpy mica's.
 */
#ifndef HV_RENAME_H
#define HV_RENAME_H

#define memcpy    hv_memcpy
#define memmove   hv_memmove
#define memset    hv_memset
#define memcmp    hv_memcmp
#define memchr    hv_memchr
#define strlen    hv_strlen
#define strnlen   hv_strnlen
#define strcmp    hv_strcmp
#define strncmp   hv_strncmp
#define strchr    hv_strchr
#define strrchr   hv_strrchr
#define strtoul   hv_strtoul
#define strtoull  hv_strtoull
#define strlcpy   hv_strlcpy
#define vsnprintf hv_vsnprintf
#define snprintf  hv_snprintf

#endif /* HV_RENAME_H */
