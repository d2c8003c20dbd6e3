/* Fatal errors in the hypervisor. */
#ifndef MICA_PANIC_H
#define MICA_PANIC_H

#include <mica/types.h>

/**
 * Report a fatal hypervisor error: the message, the registers and a symbolized backtrace
 * of the caller, then power the machine off with the failure status. Never returns.
 */
__printf(1, 2) __noreturn void panic(const char *fmt, ...);

#define BUG_ON(cond)                                                                               \
    do {                                                                                           \
        if (unlikely(cond))                                                                        \
            panic("BUG_ON(%s) at %s:%d", #cond, __FILE__, __LINE__);                               \
    } while (0)

#endif /* MICA_PANIC_H */
