/* The domain builder's device wiring (see wiring.h). */
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/grant_table.h>
#include <mica/heap.h>
#include <mica/printf.h>
#include <mica/string.h>
#include <mica/wiring.h>
#include <xen/io/ring.h>
#include <xen/xen.h>

/* Append @text to the start_info command line of @d. */
static int append_cmdline(struct domain *d, const char *text)
{
    start_info_t *si = map_frame(d->start_info_mfn);
    size_t have = strnlen((const char *)si->cmd_line, MAX_GUEST_CMDLINE);
    size_t add = strlen(text);

    if (!have) /* no leading space on an empty command line */
        text++, add--;
    if (have + add >= MAX_GUEST_CMDLINE)
        return -ENOSPC;
    memcpy(si->cmd_line + have, text, add + 1);
    return 0;
}

int wire_ring(struct domain *front, struct domain *back, struct ring_wiring *out)
{
    const mfn_t ring_mfn = front->spare_mfn[0];
    char text[96];
    int port, rc;

    /* An empty ring whatever its request/response types: the indices live in the header
       every sring shares (io/ring.h SHARED_RING_INIT). */
    struct {
        RING_IDX req_prod, req_event, rsp_prod, rsp_event;
    } *hdr = map_frame(ring_mfn);
    memset(hdr, 0, PAGE_SIZE);
    hdr->req_event = 1;
    hdr->rsp_event = 1;

    rc = gnttab_grant_access_for(front, WIRING_FIRST_GREF, back->domain_id, ring_mfn, false);
    if (rc) {
        printk_err("mica: wiring d%u-d%u: cannot grant the ring page (error %d)\n",
                   front->domain_id, back->domain_id, rc);
        return rc;
    }
    port = evtchn_alloc_unbound_for(front, back->domain_id);
    if (port < 0) {
        printk_err("mica: wiring d%u-d%u: no event channel port (error %d)\n", front->domain_id,
                   back->domain_id, port);
        return port;
    }
    out->ring_pfn = front->tot_pages - 1;
    out->gref = WIRING_FIRST_GREF;
    out->port = (uint32_t)port;

    snprintf(text, sizeof(text), " ring=pfn:%lu,gref:%u,port:%u,backend:%u", out->ring_pfn,
             out->gref, out->port, back->domain_id);
    rc = append_cmdline(front, text);
    if (!rc) {
        snprintf(text, sizeof(text), " ring-d%u=gref:%u,port:%u", front->domain_id, out->gref,
                 out->port);
        rc = append_cmdline(back, text);
    }
    if (rc) {
        printk_err("mica: wiring d%u-d%u: command line too long for the ring parameters\n",
                   front->domain_id, back->domain_id);
        return rc;
    }
    printk("mica: wired d%u (frontend, ring pfn %#lx, gref %u, port %u) to d%u (backend)\n",
           front->domain_id, out->ring_pfn, out->gref, out->port, back->domain_id);
    return 0;
}
