/*
 * The block-device ring (xen/io/blkif.h): blkif_sring_t, blkif_front_ring_t and blkif_back_ring_t
 * as Xen's header declares them with DEFINE_RING_TYPES(blkif, struct blkif_request,
 * struct blkif_response), and the sring API on top (see <sring/sring.h>):
 *
 *   struct blkif_frontend, struct blkif_backend,
 *   blkif_sring_init, blkif_front_init, blkif_front_attach, blkif_back_attach,
 *   blkif_front_free, blkif_front_post, blkif_front_push, blkif_front_get_response,
 *   blkif_front_final_check, blkif_back_get_request, blkif_back_post_response, blkif_back_push,
 *   blkif_back_final_check.
 *
 * A slot is 112 bytes, so one 4 KiB page holds 32 requests. Discard and indirect requests
 * (struct blkif_request_discard / _indirect) share the slot: the backend copies a struct
 * blkif_request and reinterprets its private copy according to .operation.
 */
#ifndef SRING_BLKIF_H
#define SRING_BLKIF_H

#include <sring/sring.h>
#include <xen/io/blkif.h>

SRING_DEFINE_API(blkif, struct blkif_request, struct blkif_response);

#endif /* SRING_BLKIF_H */
