/*
 * Device wiring by the domain builder (DESIGN.md §5), before boot configurations exist: a
 * shared ring page between a frontend and a backend domain, granted and with an event
 * channel, announced to both through their command lines.
 */
#ifndef MICA_WIRING_H
#define MICA_WIRING_H

#include <mica/types.h>

struct domain;

/* The first grant reference a builder uses: the ones below are reserved (grant_table.h). */
#define WIRING_FIRST_GREF 8

/** One wired ring, as both sides are told. */
struct ring_wiring {
    unsigned long ring_pfn; /* the frontend's PFN of the ring page */
    uint32_t gref;          /* grant reference in the frontend's table, granted to the backend */
    uint32_t port;          /* the frontend's unbound port for the backend */
};

/**
 * Wire one ring between @front and @back: take @front's spare page (the last PFN), give it
 * an empty shared ring (SHARED_RING_INIT: indices 0, event indices 1), grant it to @back at
 * WIRING_FIRST_GREF, allocate @front's unbound port for @back, and append to each side's
 * start_info command line: " ring=pfn:P,gref:G,port:E,backend:B" to the frontend's and
 * " ring-d<F>=gref:G,port:E" to the backend's. Returns 0, or -ENOSPC (no port, or the command
 * line would not fit MAX_GUEST_CMDLINE), -EINVAL (no grant table). The console says which.
 */
int wire_ring(struct domain *front, struct domain *back, struct ring_wiring *out);

#endif /* MICA_WIRING_H */
