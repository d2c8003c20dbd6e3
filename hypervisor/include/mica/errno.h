/*
 * Error codes: exactly Xen's (xen/errno.h), so a hypercall's return value
 * means the same on mica and on Xen. Functions return 0 or -Exxx.
 */
#ifndef MICA_ERRNO_H
#define MICA_ERRNO_H

#define XEN_ERRNO(name, value) name = value,
enum mica_errno {
#include <xen/errno.h>
};
#undef XEN_ERRNO

#endif /* MICA_ERRNO_H */
