/*
 * Build check, not a test: instantiates every sring function out of line so that
 * shared-rings.mk can compile the whole API with the hypervisor's and the guest kernel's flags
 * and verify it needs no symbol besides memcpy and memset. Never linked into anything.
 */
#include <sring/blkif.h>
#include <sring/netif.h>

/* One table of function pointers per ring type forces an out-of-line copy of each. */
#define SRING_CHECK_TABLE(name)                                                                    \
    const void *const name##_sring_check[] = {                                                     \
        (const void *)name##_sring_init,         (const void *)name##_front_init,                  \
        (const void *)name##_front_attach,       (const void *)name##_back_attach,                 \
        (const void *)name##_front_free,         (const void *)name##_front_post,                  \
        (const void *)name##_front_push,         (const void *)name##_front_get_response,          \
        (const void *)name##_front_final_check,  (const void *)name##_back_get_request,            \
        (const void *)name##_back_post_response, (const void *)name##_back_push,                   \
        (const void *)name##_back_final_check,                                                     \
    }

SRING_CHECK_TABLE(blkif);
SRING_CHECK_TABLE(netif_tx);
SRING_CHECK_TABLE(netif_rx);
SRING_CHECK_TABLE(xen_netif_ctrl);
