/* Basic types shared by all of mica's hypervisor code (freestanding). */
#ifndef MICA_TYPES_H
#define MICA_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint64_t paddr_t;    /* machine (physical) address, bytes */
typedef uint64_t vaddr_t;    /* hypervisor or guest virtual address, bytes */
typedef unsigned long mfn_t; /* machine frame number: paddr >> PAGE_SHIFT */
typedef uint16_t domid_t;    /* as xen.h domid_t */

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (~(PAGE_SIZE - 1))

#define ARRAY_SIZE(a)    (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a)   (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define MIN(a, b)        ((a) < (b) ? (a) : (b))
#define MAX(a, b)        ((a) > (b) ? (a) : (b))
#define __unused         __attribute__((unused))
#define __noreturn       __attribute__((noreturn))
#define __packed         __attribute__((packed))
#define __aligned(n)     __attribute__((aligned(n)))
#define __section(s)     __attribute__((section(s)))
#define __printf(a, b)   __attribute__((format(printf, a, b)))
#define likely(x)        __builtin_expect(!!(x), 1)
#define unlikely(x)      __builtin_expect(!!(x), 0)

#endif /* MICA_TYPES_H */
