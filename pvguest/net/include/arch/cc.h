/*
 * lwIP's compiler and platform glue for the guest kernel (lwIP 2.1.3, src/include/lwip/arch.h
 * lists what a port may define). newlib provides the C library; diagnostics go to stdio and
 * an assertion crashes the domain (abort() -> kill -> SHUTDOWN_crash).
 */
#ifndef PVGUEST_LWIP_ARCH_CC_H
#define PVGUEST_LWIP_ARCH_CC_H

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h> /* ssize_t (lwIP's arch.h expects it) */

/* newlib's <limits.h> has no SSIZE_MAX without POSIX feature macros; lwIP uses it. */
#ifndef SSIZE_MAX
#define SSIZE_MAX LONG_MAX
#endif

/* x86 is little-endian (newlib's <machine/endian.h>, via <sys/types.h>, says so already). */
#ifndef BYTE_ORDER
#define BYTE_ORDER LITTLE_ENDIAN
#endif

/* Messages and fatal checks (arch.h: LWIP_PLATFORM_DIAG takes a parenthesised printf list). */
#define LWIP_PLATFORM_DIAG(x)                                                                      \
    do {                                                                                           \
        printf x;                                                                                  \
    } while (0)
#define LWIP_PLATFORM_ASSERT(x)                                                                    \
    do {                                                                                           \
        printf("pvguest: lwIP assertion \"%s\" failed at %s:%d\n", x, __FILE__, __LINE__);         \
        abort();                                                                                   \
    } while (0)

/* DHCP transaction IDs and TCP initial sequence numbers (opt.h: LWIP_RAND). */
#define LWIP_RAND() ((u32_t)rand())

#endif /* PVGUEST_LWIP_ARCH_CC_H */
