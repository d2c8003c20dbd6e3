/*
 * Unit tests for the event channels (hypervisor/common/event_channel.c): the port state
 * machine, every EVTCHNOP and its misuses with Xen 4.17's error codes, the 2-level pending /
 * mask / selector / upcall bits, VIRQs, domain death and the counters.
 *
 * The code runs over fakes defined here: three domains (privileged dom0, unprivileged dom1
 * and dom2), each with its own shared_info page and one vCPU; guest memory is host memory
 * (a guest pointer is a host pointer), except that addresses below 64 KiB fault and one
 * buffer is read-only to the guest; vcpu_kick() and evtchn_check_pollers() (the scheduler's)
 * are counted. Expected values come from xen/event_channel.h and xen.h, and, where the
 * headers are silent, from Xen 4.17's behaviour (docs/abi-events.md).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <xen/event_channel.h>
#include <xen/xen.h>
#include "hv_unrename.h"

/* ---- Fakes ---------------------------------------------------------------------------- */

#define NDOMS 3
static struct domain doms[NDOMS];
static struct vcpu vcpus[NDOMS];
static struct shared_info *infos[NDOMS];
static struct domain *const dom0 = &doms[0], *const dom1 = &doms[1], *const dom2 = &doms[2];
#define DOM_MISSING 7 /* no such domain */

struct vcpu *current;
static unsigned int kicks[NDOMS];   /* vcpu_kick() per domain */
static unsigned int pollers[NDOMS]; /* evtchn_check_pollers() per domain */
static unsigned int last_poll_port; /* the last one's port */
static int pages_left;              /* alloc_hv_page() fails when this reaches 0; <0: never */
static unsigned int pages_allocated;
static void *page_list[64];
static unsigned char ro_arg[64]; /* readable, not writable, by the guest */

struct domain *domain_lookup(domid_t id)
{
    return id < NDOMS ? &doms[id] : NULL;
}

static bool bad_addr(uint64_t a, size_t len)
{
    return a < 0x10000 || a + len < a;
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    if (bad_addr(src, len))
        return -EFAULT;
    memcpy(dst, (const void *)(uintptr_t)src, len);
    return 0;
}

int copy_to_guest(uint64_t dst, const void *src, size_t len)
{
    uint64_t ro = (uintptr_t)ro_arg;

    if (bad_addr(dst, len) || (dst < ro + sizeof(ro_arg) && dst + len > ro))
        return -EFAULT;
    memcpy((void *)(uintptr_t)dst, src, len);
    return 0;
}

void *alloc_hv_page(mfn_t *mfn, domid_t owner)
{
    void *p;

    ck_assert_uint_eq(owner, DOMID_XEN);
    if (pages_left == 0)
        return NULL;
    if (pages_left > 0)
        pages_left--;
    p = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
    ck_assert_ptr_nonnull(p);
    memset(p, 0, PAGE_SIZE);
    ck_assert_uint_lt(pages_allocated, sizeof(page_list) / sizeof(page_list[0]));
    page_list[pages_allocated++] = p;
    *mfn = 0x1000 + pages_allocated;
    return p;
}

void printk_level(enum log_level level, const char *fmt, ...)
{
    (void)level, (void)fmt;
}

void vcpu_kick(struct vcpu *v)
{
    kicks[v->domain->domain_id]++;
}

void evtchn_check_pollers(struct domain *d, unsigned int port)
{
    pollers[d->domain_id]++;
    last_poll_port = port;
}

static void setup(void)
{
    current = NULL;
    pages_left = -1;
    for (unsigned int i = 0; i < NDOMS; i++) {
        struct domain *d = &doms[i];
        struct vcpu *v = &vcpus[i];
        memset(d, 0, sizeof(*d));
        memset(v, 0, sizeof(*v));
        infos[i] = aligned_alloc(PAGE_SIZE, PAGE_SIZE);
        ck_assert_ptr_nonnull(infos[i]);
        memset(infos[i], 0, PAGE_SIZE);
        d->domain_id = (domid_t)i;
        d->is_privileged = i == 0;
        d->state = DOMAIN_RUNNING;
        d->shared_info = infos[i];
        d->vcpu[0] = v;
        v->domain = d;
        v->vcpu_info = &infos[i]->vcpu_info[0];
        v->vcpu_info->evtchn_upcall_mask = 1;
        ck_assert_int_eq(evtchn_init(d), 0);
        kicks[i] = pollers[i] = 0;
    }
    last_poll_port = 0;
    current = dom1->vcpu[0];
}

static void teardown(void)
{
    for (unsigned int i = 0; i < NDOMS; i++)
        free(infos[i]);
    for (unsigned int i = 0; i < pages_allocated; i++)
        free(page_list[i]);
    pages_allocated = 0;
}

/* ---- Helpers: the guest's view -------------------------------------------------------- */

static void run_as(struct domain *d)
{
    current = d->vcpu[0];
}

static long evtchn_op(int cmd, void *arg)
{
    return do_event_channel_op((unsigned int)cmd, (uintptr_t)arg, 0, 0, 0);
}

/* Each returns the port, or the error. */
static long alloc_unbound(domid_t dom, domid_t remote)
{
    struct evtchn_alloc_unbound a = {.dom = dom, .remote_dom = remote, .port = 0xdead};
    long rc = evtchn_op(EVTCHNOP_alloc_unbound, &a);
    return rc ? rc : a.port;
}

static long bind_interdomain(domid_t rdom, evtchn_port_t rport)
{
    struct evtchn_bind_interdomain b = {.remote_dom = rdom, .remote_port = rport};
    long rc = evtchn_op(EVTCHNOP_bind_interdomain, &b);
    return rc ? rc : b.local_port;
}

static long bind_virq(uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq b = {.virq = virq, .vcpu = vcpu};
    long rc = evtchn_op(EVTCHNOP_bind_virq, &b);
    return rc ? rc : b.port;
}

static long bind_ipi(uint32_t vcpu)
{
    struct evtchn_bind_ipi b = {.vcpu = vcpu};
    long rc = evtchn_op(EVTCHNOP_bind_ipi, &b);
    return rc ? rc : b.port;
}

static long op_port(int cmd, evtchn_port_t port)
{
    /* close, send and unmask all take a struct holding only the port. */
    struct evtchn_send s = {.port = port};
    return evtchn_op(cmd, &s);
}

#define evsend(p)   op_port(EVTCHNOP_send, (p))
#define evclose(p)  op_port(EVTCHNOP_close, (p))
#define evunmask(p) op_port(EVTCHNOP_unmask, (p))

static long status(domid_t dom, evtchn_port_t port, struct evtchn_status *s)
{
    memset(s, 0, sizeof(*s));
    s->dom = dom;
    s->port = port;
    return evtchn_op(EVTCHNOP_status, s);
}

static long bind_vcpu(evtchn_port_t port, uint32_t vcpu)
{
    struct evtchn_bind_vcpu b = {.port = port, .vcpu = vcpu};
    return evtchn_op(EVTCHNOP_bind_vcpu, &b);
}

static long reset(domid_t dom)
{
    struct evtchn_reset r = {.dom = dom};
    return evtchn_op(EVTCHNOP_reset, &r);
}

/* EVTCHNSTAT_* of @port of @dom as the current domain sees it, or the error. */
static long stat_of(domid_t dom, evtchn_port_t port)
{
    struct evtchn_status s;
    long rc = status(dom, port, &s);
    return rc ? rc : (long)s.status;
}

static bool bit(const xen_ulong_t *words, unsigned int n)
{
    return (words[n / 64] >> (n % 64)) & 1;
}

static bool pending(struct domain *d, unsigned int port)
{
    return bit(d->shared_info->evtchn_pending, port);
}

static bool sel(struct domain *d, unsigned int word)
{
    return (d->vcpu[0]->vcpu_info->evtchn_pending_sel >> word) & 1;
}

static uint8_t upcall(struct domain *d)
{
    return d->vcpu[0]->vcpu_info->evtchn_upcall_pending;
}

static void mask(struct domain *d, unsigned int port)
{
    d->shared_info->evtchn_mask[port / 64] |= 1UL << (port % 64);
}

/* What a guest's upcall handler does: take the selector and the pending bits. */
static void guest_consume(struct domain *d)
{
    d->vcpu[0]->vcpu_info->evtchn_upcall_pending = 0;
    d->vcpu[0]->vcpu_info->evtchn_pending_sel = 0;
    memset(d->shared_info->evtchn_pending, 0, sizeof(d->shared_info->evtchn_pending));
}

/* An interdomain channel between @a (port returned in *pa) and @b (*pb). */
static void connect(struct domain *a, long *pa, struct domain *b, long *pb)
{
    run_as(a);
    *pa = alloc_unbound(DOMID_SELF, b->domain_id);
    ck_assert_int_gt(*pa, 0);
    run_as(b);
    *pb = bind_interdomain(a->domain_id, (evtchn_port_t)*pa);
    ck_assert_int_gt(*pb, 0);
}

/* ---- Port 0, validity, unknown ops --------------------------------------------------- */

START_TEST(port0_reserved_and_first_bucket)
{
    struct evtchn_status s;

    ck_assert_int_eq(status(DOMID_SELF, 0, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_closed);
    ck_assert_uint_eq(s.vcpu, 0);
    ck_assert_int_eq(stat_of(DOMID_SELF, 63), EVTCHNSTAT_closed);
    /* Only the first bucket of 64 ports exists in a new domain. */
    ck_assert_int_eq(stat_of(DOMID_SELF, 64), -EINVAL);
    ck_assert_int_eq(stat_of(DOMID_SELF, 4096), -EINVAL);
    ck_assert_int_eq(stat_of(DOMID_SELF, 0xffffffffu), -EINVAL);
    ck_assert_int_eq(evclose(0), -EINVAL);
    ck_assert_int_eq(evsend(0), -EINVAL);
    ck_assert_int_eq(bind_vcpu(0, 0), -EINVAL);
    ck_assert_int_eq(evunmask(0), 0); /* exists: Xen answers 0 and leaves a free port alone */
    ck_assert_int_eq(evunmask(64), -EINVAL);
    /* The first port handed out is 1. */
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 0), 1);
}
END_TEST

START_TEST(unknown_ops_and_cmd_width)
{
    uint64_t buf[8] = {0};

    ck_assert_int_eq(evtchn_op(EVTCHNOP_RESET_CONT + 1, buf), -ENOSYS);
    ck_assert_int_eq(evtchn_op(-1, buf), -ENOSYS);
    ck_assert_int_eq(evtchn_op(1000, NULL), -ENOSYS); /* unknown: the argument is not read */
    /* cmd is an int: the upper half of the register is ignored. */
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 0};
    ck_assert_int_eq(
        do_event_channel_op((1UL << 32) | EVTCHNOP_alloc_unbound, (uintptr_t)&a, 0, 0, 0), 0);
    ck_assert_uint_eq(a.port, 1);
}
END_TEST

START_TEST(bad_pointers_efault)
{
    static const int cmds[] = {EVTCHNOP_bind_interdomain,
                               EVTCHNOP_bind_virq,
                               EVTCHNOP_bind_pirq,
                               EVTCHNOP_close,
                               EVTCHNOP_send,
                               EVTCHNOP_status,
                               EVTCHNOP_alloc_unbound,
                               EVTCHNOP_bind_ipi,
                               EVTCHNOP_bind_vcpu,
                               EVTCHNOP_unmask,
                               EVTCHNOP_reset,
                               EVTCHNOP_init_control,
                               EVTCHNOP_expand_array,
                               EVTCHNOP_set_priority};

    for (unsigned int i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        ck_assert_int_eq(do_event_channel_op(cmds[i], 0, 0, 0, 0), -EFAULT);
        ck_assert_int_eq(do_event_channel_op(cmds[i], 0x1000, 0, 0, 0), -EFAULT);
    }
    ck_assert_int_eq(do_event_channel_op_compat(0, 0, 0, 0, 0), -EFAULT);
}
END_TEST

/* A result that cannot be written back is -EFAULT, but the port stays allocated (Xen). */
START_TEST(readonly_result_efault_port_kept)
{
    struct evtchn_alloc_unbound a = {.dom = DOMID_SELF, .remote_dom = 2};

    memcpy(ro_arg, &a, sizeof(a));
    ck_assert_int_eq(evtchn_op(EVTCHNOP_alloc_unbound, ro_arg), -EFAULT);
    ck_assert_int_eq(stat_of(DOMID_SELF, 1), EVTCHNSTAT_unbound);
    /* Ops without an OUT part do not write: close through the read-only buffer works. */
    struct evtchn_close c = {.port = 1};
    memcpy(ro_arg, &c, sizeof(c));
    ck_assert_int_eq(evtchn_op(EVTCHNOP_close, ro_arg), 0);
    ck_assert_int_eq(stat_of(DOMID_SELF, 1), EVTCHNSTAT_closed);
}
END_TEST

/* ---- alloc_unbound ------------------------------------------------------------------- */

START_TEST(alloc_unbound_rules)
{
    struct evtchn_status s;

    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 2), 1);
    ck_assert_int_eq(status(DOMID_SELF, 1, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(s.u.unbound.dom, 2);
    ck_assert_uint_eq(s.vcpu, 0);
    /* Own id works as DOMID_SELF; remote DOMID_SELF means the caller. */
    ck_assert_int_eq(alloc_unbound(1, DOMID_SELF), 2);
    ck_assert_int_eq(status(1, 2, &s), 0);
    ck_assert_uint_eq(s.u.unbound.dom, 1);
    /* Any remote id is accepted, even one that does not exist. */
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, DOM_MISSING), 3);
    ck_assert_int_eq(alloc_unbound(DOM_MISSING, 0), -ESRCH);
    ck_assert_int_eq(alloc_unbound(DOMID_XEN, 0), -ESRCH);
    /* Another domain's port: unprivileged -EPERM, and nothing is left allocated. */
    ck_assert_int_eq(alloc_unbound(2, 1), -EPERM);
    ck_assert_int_eq(alloc_unbound(0, 1), -EPERM);
    run_as(dom2);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 1), 1);
    /* dom0 may (Xen's default XSM policy), on behalf of one domain for another. */
    run_as(dom0);
    ck_assert_int_eq(alloc_unbound(2, 1), 2);
    ck_assert_int_eq(status(2, 2, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(s.u.unbound.dom, 1);
    /* ... and remote DOMID_SELF is dom0 then, not the port's owner. */
    ck_assert_int_eq(alloc_unbound(2, DOMID_SELF), 3);
    ck_assert_int_eq(status(2, 3, &s), 0);
    ck_assert_uint_eq(s.u.unbound.dom, 0);
}
END_TEST

START_TEST(port_exhaustion_enospc_and_buckets)
{
    struct evtchn_status s;

    for (unsigned int p = 1; p < EVTCHN_2L_NR_CHANNELS; p++) {
        unsigned int valid = ALIGN_UP(p + 1, 64u);
        ck_assert_int_eq(alloc_unbound(DOMID_SELF, 0), p);
        /* Ports come into existence 64 at a time. */
        ck_assert_int_eq(status(DOMID_SELF, valid - 1, &s), 0);
        ck_assert_int_eq(status(DOMID_SELF, valid, &s), -EINVAL);
    }
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 0), -ENOSPC);
    ck_assert_int_eq(bind_ipi(0), -ENOSPC);
    ck_assert_int_eq(bind_virq(VIRQ_DEBUG, 0), -ENOSPC);
    ck_assert_int_eq(stat_of(DOMID_SELF, 4095), EVTCHNSTAT_unbound);
    ck_assert_int_eq(stat_of(DOMID_SELF, 4096), -EINVAL);
    /* A freed port is reused first. */
    ck_assert_int_eq(evclose(1000), 0);
    ck_assert_int_eq(bind_ipi(0), 1000);
}
END_TEST

START_TEST(alloc_enomem)
{
    /* The first page (ports 0-511) exists; the next one cannot be had. */
    pages_left = 0;
    for (unsigned int p = 1; p < 512; p++)
        ck_assert_int_eq(alloc_unbound(DOMID_SELF, 0), p);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 0), -ENOMEM);
    ck_assert_int_eq(stat_of(DOMID_SELF, 512), -EINVAL);
    pages_left = -1;
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 0), 512);
}
END_TEST

/* ---- bind_interdomain ------------------------------------------------------------------ */

START_TEST(bind_interdomain_between_two_domains)
{
    struct evtchn_status s;
    long p1, p2;

    run_as(dom1);
    p1 = alloc_unbound(DOMID_SELF, 2);
    run_as(dom2);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 0), 1); /* so dom2's next port is 2 */
    p2 = bind_interdomain(1, (evtchn_port_t)p1);
    ck_assert_int_eq(p2, 2);
    ck_assert_int_eq(status(DOMID_SELF, 2, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_interdomain);
    ck_assert_uint_eq(s.u.interdomain.dom, 1);
    ck_assert_uint_eq(s.u.interdomain.port, p1);
    run_as(dom1);
    ck_assert_int_eq(status(DOMID_SELF, (evtchn_port_t)p1, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_interdomain);
    ck_assert_uint_eq(s.u.interdomain.dom, 2);
    ck_assert_uint_eq(s.u.interdomain.port, 2);
    /* The binder's new port is raised once (events sent while unbound were lost). */
    ck_assert(pending(dom2, 2));
    ck_assert(sel(dom2, 0));
    ck_assert_uint_eq(upcall(dom2), 1);
    ck_assert_uint_eq(kicks[2], 1);
    ck_assert(!pending(dom1, (unsigned int)p1));
    ck_assert_uint_eq(kicks[1], 0);
}
END_TEST

START_TEST(bind_interdomain_misuse)
{
    long p;

    run_as(dom1);
    p = alloc_unbound(DOMID_SELF, 2);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 2), 2);
    ck_assert_int_eq(bind_ipi(0), 3);
    /* dom0 is not the domain named: -EINVAL even though privileged. */
    run_as(dom0);
    ck_assert_int_eq(bind_interdomain(1, (evtchn_port_t)p), -EINVAL);
    run_as(dom2);
    ck_assert_int_eq(bind_interdomain(DOM_MISSING, 1), -ESRCH);
    ck_assert_int_eq(bind_interdomain(1, 0), -EINVAL);    /* reserved */
    ck_assert_int_eq(bind_interdomain(1, 3), -EINVAL);    /* an IPI */
    ck_assert_int_eq(bind_interdomain(1, 4), -EINVAL);    /* free */
    ck_assert_int_eq(bind_interdomain(1, 64), -EINVAL);   /* does not exist */
    ck_assert_int_eq(bind_interdomain(1, 5000), -EINVAL); /* beyond the ABI */
    ck_assert_int_eq(bind_interdomain(1, (evtchn_port_t)p), 1);
    /* Bound once: a second bind finds it interdomain. */
    ck_assert_int_eq(bind_interdomain(1, (evtchn_port_t)p), -EINVAL);
    /* Failed binds left no ports behind. */
    ck_assert_int_eq(stat_of(DOMID_SELF, 2), EVTCHNSTAT_closed);
}
END_TEST

START_TEST(bind_interdomain_to_self)
{
    struct evtchn_status s;
    long a, b;

    a = alloc_unbound(DOMID_SELF, DOMID_SELF);
    b = bind_interdomain(DOMID_SELF, (evtchn_port_t)a);
    ck_assert_int_eq(b, 2);
    ck_assert_int_eq(status(DOMID_SELF, (evtchn_port_t)a, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_interdomain);
    ck_assert_uint_eq(s.u.interdomain.dom, 1);
    ck_assert_uint_eq(s.u.interdomain.port, b);
    guest_consume(dom1);
    /* A loop: sending on one end raises the other. */
    ck_assert_int_eq(evsend((evtchn_port_t)a), 0);
    ck_assert(pending(dom1, (unsigned int)b));
    ck_assert(!pending(dom1, (unsigned int)a));
    ck_assert_int_eq(evsend((evtchn_port_t)b), 0);
    ck_assert(pending(dom1, (unsigned int)a));
    /* Own id as the remote works too. */
    long c = alloc_unbound(DOMID_SELF, 1);
    ck_assert_int_eq(bind_interdomain(1, (evtchn_port_t)c), c + 1);
}
END_TEST

/* ---- send, mask, unmask: the 2-level bits -------------------------------------------- */

START_TEST(send_sets_pending_selector_upcall)
{
    long p1, p2;

    connect(dom1, &p1, dom2, &p2);
    guest_consume(dom1);
    guest_consume(dom2);
    kicks[2] = 0;
    run_as(dom1);
    ck_assert_int_eq(evsend((evtchn_port_t)p1), 0);
    ck_assert(pending(dom2, (unsigned int)p2));
    ck_assert(sel(dom2, (unsigned int)p2 / 64));
    ck_assert_uint_eq(upcall(dom2), 1);
    ck_assert_uint_eq(kicks[2], 1);
    ck_assert_uint_eq(pollers[2], 2); /* the bind's self-raise and this send */
    ck_assert_uint_eq(last_poll_port, p2);
    /* The sender's side is untouched. */
    ck_assert(!pending(dom1, (unsigned int)p1));
    ck_assert_uint_eq(upcall(dom1), 0);
    /* Again while pending: nothing changes, no kick. */
    ck_assert_int_eq(evsend((evtchn_port_t)p1), 0);
    ck_assert_uint_eq(kicks[2], 1);
    ck_assert_uint_eq(pollers[2], 2);
    /* The upcall mask does not stop the bits (it only gates delivery). */
    ck_assert_uint_eq(dom2->vcpu[0]->vcpu_info->evtchn_upcall_mask, 1);
}
END_TEST

START_TEST(send_to_self_masked_then_unmask)
{
    long a, b;

    a = alloc_unbound(DOMID_SELF, DOMID_SELF);
    b = bind_interdomain(DOMID_SELF, (evtchn_port_t)a);
    guest_consume(dom1);
    kicks[1] = 0;
    pollers[1] = 0;
    mask(dom1, (unsigned int)b);
    ck_assert_int_eq(evsend((evtchn_port_t)a), 0);
    /* Masked: pending set, no selector, no upcall, no kick; pollers still hear of it. */
    ck_assert(pending(dom1, (unsigned int)b));
    ck_assert(!sel(dom1, 0));
    ck_assert_uint_eq(upcall(dom1), 0);
    ck_assert_uint_eq(kicks[1], 0);
    ck_assert_uint_eq(pollers[1], 1);
    ck_assert_uint_eq(dom1->evtchn.stats.masked, 1);
    /* Unmask re-raises: selector, upcall, kick; mask bit clear. */
    ck_assert_int_eq(evunmask((evtchn_port_t)b), 0);
    ck_assert(!bit(dom1->shared_info->evtchn_mask, (unsigned int)b));
    ck_assert(sel(dom1, 0));
    ck_assert_uint_eq(upcall(dom1), 1);
    ck_assert_uint_eq(kicks[1], 1);
    ck_assert_uint_eq(dom1->evtchn.stats.unmask_upcalls, 1);
    /* Unmasking again does nothing more. */
    ck_assert_int_eq(evunmask((evtchn_port_t)b), 0);
    ck_assert_uint_eq(kicks[1], 1);
    /* Unmask of a port that is not pending raises nothing. */
    guest_consume(dom1);
    mask(dom1, (unsigned int)b);
    ck_assert_int_eq(evunmask((evtchn_port_t)b), 0);
    ck_assert(!sel(dom1, 0));
    ck_assert_uint_eq(upcall(dom1), 0);
    ck_assert_uint_eq(kicks[1], 1);
    /* Unmasked send: all three bits, one kick. */
    ck_assert_int_eq(evsend((evtchn_port_t)a), 0);
    ck_assert(pending(dom1, (unsigned int)b) && sel(dom1, 0) && upcall(dom1) == 1);
    ck_assert_uint_eq(kicks[1], 2);
}
END_TEST

/* Masked port pending, selector already set by another port: unmask sets nothing new. */
START_TEST(unmask_with_selector_already_set)
{
    long a, b;

    a = alloc_unbound(DOMID_SELF, DOMID_SELF);
    b = bind_interdomain(DOMID_SELF, (evtchn_port_t)a);
    guest_consume(dom1);
    kicks[1] = 0;
    mask(dom1, (unsigned int)b);
    ck_assert_int_eq(evsend((evtchn_port_t)a), 0);
    dom1->vcpu[0]->vcpu_info->evtchn_pending_sel = 1; /* word 0 already flagged */
    ck_assert_int_eq(evunmask((evtchn_port_t)b), 0);
    ck_assert_uint_eq(upcall(dom1), 0);
    ck_assert_uint_eq(kicks[1], 0);
}
END_TEST

START_TEST(selector_and_upcall_coalescing)
{
    long ipi[3];

    /* IPIs on ports 1, 2 (word 0) and 64+ (word 1). */
    ipi[0] = bind_ipi(0);
    ipi[1] = bind_ipi(0);
    for (long p = 3; p < 64; p++)
        ck_assert_int_eq(bind_ipi(0), p);
    ipi[2] = bind_ipi(0);
    ck_assert_int_eq(ipi[2], 64);
    guest_consume(dom1);
    kicks[1] = 0;
    memset(&dom1->evtchn.stats, 0, sizeof(dom1->evtchn.stats));

    ck_assert_int_eq(evsend((evtchn_port_t)ipi[0]), 0); /* pending, sel 0, upcall, kick */
    ck_assert_int_eq(evsend((evtchn_port_t)ipi[1]), 0); /* pending; sel 0 already set */
    ck_assert_int_eq(evsend((evtchn_port_t)ipi[2]), 0); /* pending, sel 1; upcall already */
    ck_assert_int_eq(evsend((evtchn_port_t)ipi[2]), 0); /* already pending */
    ck_assert(pending(dom1, 1) && pending(dom1, 2) && pending(dom1, 64));
    ck_assert_uint_eq(dom1->vcpu[0]->vcpu_info->evtchn_pending_sel, 3);
    ck_assert_uint_eq(upcall(dom1), 1);
    ck_assert_uint_eq(kicks[1], 1);

    const struct evtchn_stats *st = &dom1->evtchn.stats;
    ck_assert_uint_eq(st->send_ops, 4);
    ck_assert_uint_eq(st->raised, 4);
    ck_assert_uint_eq(st->upcalls, 1);
    ck_assert_uint_eq(st->coalesced, 2);
    ck_assert_uint_eq(st->already_pending, 1);
    ck_assert_uint_eq(st->masked, 0);
    ck_assert_uint_eq(st->raised, st->upcalls + st->coalesced + st->already_pending + st->masked);
}
END_TEST

START_TEST(send_misuse)
{
    long v = bind_virq(VIRQ_DEBUG, 0);
    long u = alloc_unbound(DOMID_SELF, 2);

    ck_assert_int_eq(evsend((evtchn_port_t)v), -EINVAL); /* VIRQ ports cannot be sent on */
    ck_assert_int_eq(evsend(10), -EINVAL);               /* free */
    ck_assert_int_eq(evsend(64), -EINVAL);               /* does not exist */
    ck_assert_int_eq(evsend(0xffffffffu), -EINVAL);
    /* Unbound: silently dropped. */
    guest_consume(dom1);
    ck_assert_int_eq(evsend((evtchn_port_t)u), 0);
    ck_assert(!pending(dom1, (unsigned int)u));
    ck_assert_uint_eq(kicks[1] + kicks[2], 0);
}
END_TEST

START_TEST(ipi_send_to_self)
{
    struct evtchn_status s;
    long p = bind_ipi(0);

    ck_assert_int_eq(p, 1);
    ck_assert_int_eq(status(DOMID_SELF, 1, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_ipi);
    ck_assert_uint_eq(s.vcpu, 0);
    ck_assert_int_eq(evsend(1), 0);
    ck_assert(pending(dom1, 1) && sel(dom1, 0) && upcall(dom1) == 1);
    ck_assert_uint_eq(kicks[1], 1);
    ck_assert_int_eq(bind_ipi(1), -ENOENT);
    ck_assert_int_eq(bind_ipi(0xffffffffu), -ENOENT);
}
END_TEST

/* ---- close --------------------------------------------------------------------------- */

START_TEST(close_reverts_peer_and_clears_pending)
{
    struct evtchn_status s;
    long p1, p2;

    connect(dom1, &p1, dom2, &p2);
    run_as(dom1);
    ck_assert_int_eq(evsend((evtchn_port_t)p1), 0);
    /* dom2 closes: its port is free with its pending bit cleared; dom1's is unbound,
       naming dom2 again. The mask bit stays as the guest left it. */
    run_as(dom2);
    mask(dom2, (unsigned int)p2);
    ck_assert(pending(dom2, (unsigned int)p2));
    ck_assert_int_eq(evclose((evtchn_port_t)p2), 0);
    ck_assert(!pending(dom2, (unsigned int)p2));
    ck_assert(bit(dom2->shared_info->evtchn_mask, (unsigned int)p2));
    ck_assert_int_eq(stat_of(DOMID_SELF, (evtchn_port_t)p2), EVTCHNSTAT_closed);
    ck_assert_int_eq(evclose((evtchn_port_t)p2), -EINVAL);
    run_as(dom1);
    ck_assert_int_eq(status(DOMID_SELF, (evtchn_port_t)p1, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(s.u.unbound.dom, 2);
    ck_assert_int_eq(evsend((evtchn_port_t)p1), 0); /* dropped now */
    /* dom2 may bind it again. */
    run_as(dom2);
    ck_assert_int_eq(bind_interdomain(1, (evtchn_port_t)p1), p2);
}
END_TEST

START_TEST(close_misuse)
{
    ck_assert_int_eq(evclose(0), -EINVAL);
    ck_assert_int_eq(evclose(1), -EINVAL);
    ck_assert_int_eq(evclose(64), -EINVAL);
    ck_assert_int_eq(evclose(0x80000000u), -EINVAL);
    /* Another domain's port cannot be named: close acts on the caller's table. */
    run_as(dom2);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 1), 1);
    run_as(dom1);
    ck_assert_int_eq(evclose(1), -EINVAL);
    run_as(dom2);
    ck_assert_int_eq(stat_of(DOMID_SELF, 1), EVTCHNSTAT_unbound);
    ck_assert_int_eq(evclose(1), 0);
}
END_TEST

/* ---- VIRQs --------------------------------------------------------------------------- */

START_TEST(bind_virq_rules)
{
    struct evtchn_status s;

    ck_assert_int_eq(bind_virq(VIRQ_TIMER, 0), 1);
    ck_assert_int_eq(bind_virq(VIRQ_TIMER, 0), -EEXIST);
    ck_assert_int_eq(status(DOMID_SELF, 1, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_virq);
    ck_assert_uint_eq(s.u.virq, VIRQ_TIMER);
    ck_assert_uint_eq(s.vcpu, 0);
    /* Per-vCPU VIRQs on a vCPU that does not exist: -ENOENT. */
    ck_assert_int_eq(bind_virq(VIRQ_DEBUG, 1), -ENOENT);
    ck_assert_int_eq(bind_virq(VIRQ_XENOPROF, 0xffffffffu), -ENOENT);
    /* Global VIRQs only on vCPU 0: -EINVAL, checked before the vCPU. */
    ck_assert_int_eq(bind_virq(VIRQ_DOM_EXC, 1), -EINVAL);
    ck_assert_int_eq(bind_virq(VIRQ_CONSOLE, 7), -EINVAL);
    ck_assert_int_eq(bind_virq(VIRQ_ARCH_0, 1), -EINVAL);
    /* Out of range. */
    ck_assert_int_eq(bind_virq(NR_VIRQS, 0), -EINVAL);
    ck_assert_int_eq(bind_virq(0xffffffffu, 0), -EINVAL);
    /* Every VIRQ number below NR_VIRQS can be bound once, by any domain (delivery of the
       global ones goes to dom0 only). */
    for (uint32_t virq = 1; virq < NR_VIRQS; virq++)
        ck_assert_int_eq(bind_virq(virq, 0), 1 + virq);
    for (uint32_t virq = 0; virq < NR_VIRQS; virq++)
        ck_assert_int_eq(bind_virq(virq, 0), -EEXIST);
    /* Closing frees the VIRQ for a new binding. */
    ck_assert_int_eq(evclose(1), 0);
    ck_assert_int_eq(bind_virq(VIRQ_TIMER, 0), 1);
}
END_TEST

START_TEST(send_guest_virq_and_global)
{
    struct vcpu *v1 = dom1->vcpu[0], *v0 = dom0->vcpu[0];

    ck_assert_int_eq(send_guest_virq(v1, VIRQ_TIMER), -ENOENT);
    ck_assert_int_eq(send_guest_virq(v1, NR_VIRQS), -EINVAL);
    ck_assert(!evtchn_virq_enabled(v1, VIRQ_TIMER));
    ck_assert_int_eq(bind_virq(VIRQ_TIMER, 0), 1);
    ck_assert_int_eq(bind_virq(VIRQ_DOM_EXC, 0), 2); /* dom1 may bind it; gets nothing */
    ck_assert(evtchn_virq_enabled(v1, VIRQ_TIMER));
    ck_assert_int_eq(send_guest_virq(v1, VIRQ_TIMER), 0);
    ck_assert(pending(dom1, 1) && sel(dom1, 0) && upcall(dom1) == 1);
    ck_assert_uint_eq(kicks[1], 1);

    run_as(dom0);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 1), 1);
    ck_assert_int_eq(bind_virq(VIRQ_DOM_EXC, 0), 2);
    send_global_virq(VIRQ_DOM_EXC);
    ck_assert(pending(dom0, 2));
    ck_assert(!pending(dom1, 2));
    ck_assert_uint_eq(kicks[0], 1);
    /* A per-vCPU VIRQ is not a global one. */
    send_global_virq(VIRQ_TIMER);
    ck_assert_uint_eq(dom0->evtchn.stats.raised, 1);
    /* send_guest_virq with a global VIRQ uses vCPU 0's table. */
    guest_consume(dom0);
    ck_assert_int_eq(send_guest_virq(v0, VIRQ_DOM_EXC), 0);
    ck_assert(pending(dom0, 2));
    /* After close, the VIRQ finds no port. */
    ck_assert_int_eq(evclose(2), 0);
    ck_assert_int_eq(send_guest_virq(v0, VIRQ_DOM_EXC), -ENOENT);
    ck_assert(!pending(dom0, 2));
}
END_TEST

/* ---- bind_vcpu, status permissions, bind_pirq, FIFO ops ------------------------------ */

START_TEST(bind_vcpu_rules)
{
    long timer = bind_virq(VIRQ_TIMER, 0), dom_exc = bind_virq(VIRQ_DOM_EXC, 0);
    long unbound = alloc_unbound(DOMID_SELF, 2), ipi = bind_ipi(0);
    long a, b;

    a = alloc_unbound(DOMID_SELF, DOMID_SELF);
    b = bind_interdomain(DOMID_SELF, (evtchn_port_t)a);
    ck_assert_int_eq(bind_vcpu((evtchn_port_t)dom_exc, 0), 0);
    ck_assert_int_eq(bind_vcpu((evtchn_port_t)unbound, 0), 0);
    ck_assert_int_eq(bind_vcpu((evtchn_port_t)b, 0), 0);
    ck_assert_int_eq(bind_vcpu((evtchn_port_t)timer, 0), -EINVAL); /* per-vCPU VIRQ */
    ck_assert_int_eq(bind_vcpu((evtchn_port_t)ipi, 0), -EINVAL);
    ck_assert_int_eq(bind_vcpu(20, 0), -EINVAL); /* free */
    ck_assert_int_eq(bind_vcpu(64, 0), -EINVAL); /* does not exist */
    /* The vCPU is checked first: one vCPU, so anything else is -ENOENT. */
    ck_assert_int_eq(bind_vcpu((evtchn_port_t)unbound, 1), -ENOENT);
    ck_assert_int_eq(bind_vcpu(64, 1), -ENOENT);
}
END_TEST

START_TEST(status_permissions)
{
    struct evtchn_status s;

    run_as(dom2);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 1), 1);
    run_as(dom1);
    ck_assert_int_eq(status(2, 1, &s), -EPERM);
    ck_assert_int_eq(status(0, 0, &s), -EPERM);
    /* The port is checked before the permission, as Xen. */
    ck_assert_int_eq(status(2, 64, &s), -EINVAL);
    ck_assert_int_eq(status(DOM_MISSING, 0, &s), -ESRCH);
    ck_assert_int_eq(status(DOMID_IDLE, 0, &s), -ESRCH);
    run_as(dom0);
    ck_assert_int_eq(status(2, 1, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(s.u.unbound.dom, 1);
}
END_TEST

START_TEST(pirq_and_fifo_ops)
{
    struct evtchn_bind_pirq bp = {.pirq = 1};
    struct evtchn_init_control ic = {0};
    struct evtchn_expand_array ea = {0};
    struct evtchn_set_priority sp = {.port = 1, .priority = 7};

    ck_assert_int_eq(evtchn_op(EVTCHNOP_bind_pirq, &bp), -ENOSYS);
    ck_assert_int_eq(evtchn_op(EVTCHNOP_init_control, &ic), -ENOSYS);
    ck_assert_int_eq(evtchn_op(EVTCHNOP_expand_array, &ea), -EOPNOTSUPP);
    /* set_priority: the port must exist; the 2-level ABI then says -ENOSYS. */
    ck_assert_int_eq(evtchn_op(EVTCHNOP_set_priority, &sp), -ENOSYS);
    sp.port = 64;
    ck_assert_int_eq(evtchn_op(EVTCHNOP_set_priority, &sp), -EINVAL);
}
END_TEST

/* ---- reset --------------------------------------------------------------------------- */

START_TEST(reset_rules)
{
    struct evtchn_status s;
    struct evtchn_reset r = {.dom = DOMID_SELF};
    long p1, p2;

    connect(dom1, &p1, dom2, &p2);
    run_as(dom2);
    ck_assert_int_eq(bind_virq(VIRQ_TIMER, 0), 2);
    ck_assert_int_eq(bind_ipi(0), 3);
    ck_assert(pending(dom2, (unsigned int)p2));
    /* Others' ports: unprivileged -EPERM; privileged -EINVAL (the domain is not paused). */
    ck_assert_int_eq(reset(1), -EPERM);
    ck_assert_int_eq(reset(DOM_MISSING), -ESRCH);
    run_as(dom0);
    ck_assert_int_eq(reset(2), -EINVAL);
    run_as(dom2);
    /* reset_cont with no reset in progress: -EBUSY. */
    ck_assert_int_eq(evtchn_op(EVTCHNOP_RESET_CONT, &r), -EBUSY);
    ck_assert_int_eq(reset(DOMID_SELF), 0);
    for (unsigned int p = 0; p < 64; p++)
        ck_assert_int_eq(stat_of(DOMID_SELF, p), EVTCHNSTAT_closed);
    ck_assert(!pending(dom2, (unsigned int)p2));
    ck_assert_uint_eq(dom2->evtchn.active_ports, 0);
    ck_assert_int_eq(bind_virq(VIRQ_TIMER, 0), 1); /* the VIRQ is free again */
    run_as(dom1);
    ck_assert_int_eq(status(DOMID_SELF, (evtchn_port_t)p1, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(s.u.unbound.dom, 2);
    ck_assert_int_eq(reset(1), 0); /* own id */
    ck_assert_int_eq(stat_of(DOMID_SELF, (evtchn_port_t)p1), EVTCHNSTAT_closed);
}
END_TEST

/* ---- domain death -------------------------------------------------------------------- */

START_TEST(destroy_closes_ports_and_tells_dom0)
{
    struct evtchn_status s;
    long p1, p2, q1, q0;

    run_as(dom0);
    ck_assert_int_eq(bind_virq(VIRQ_DOM_EXC, 0), 1);
    connect(dom1, &p1, dom2, &p2);
    connect(dom1, &q1, dom0, &q0);
    run_as(dom1);
    ck_assert_int_eq(bind_virq(VIRQ_TIMER, 0), 3);
    ck_assert_int_eq(alloc_unbound(DOMID_SELF, 2), 4);
    guest_consume(dom0);
    kicks[0] = 0;

    evtchn_destroy(dom1);
    /* Peers revert to unbound, naming the dead domain. */
    run_as(dom2);
    ck_assert_int_eq(status(DOMID_SELF, (evtchn_port_t)p2, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(s.u.unbound.dom, 1);
    ck_assert_int_eq(evsend((evtchn_port_t)p2), 0); /* dropped */
    run_as(dom0);
    ck_assert_int_eq(status(DOMID_SELF, (evtchn_port_t)q0, &s), 0);
    ck_assert_uint_eq(s.status, EVTCHNSTAT_unbound);
    /* dom0 heard of it through VIRQ_DOM_EXC. */
    ck_assert(pending(dom0, 1));
    ck_assert_uint_eq(kicks[0], 1);
    /* The dead domain's ports all read closed, and it gets no new ones. */
    for (unsigned int p = 0; p < 64; p++)
        ck_assert_int_eq(stat_of(1, p), EVTCHNSTAT_closed);
    ck_assert_uint_eq(dom1->evtchn.active_ports, 0);
    ck_assert_int_eq(send_guest_virq(dom1->vcpu[0], VIRQ_TIMER), -ENOENT);
    ck_assert_int_eq(alloc_unbound(1, 0), -EINVAL);
    ck_assert_int_eq(bind_interdomain(1, (evtchn_port_t)p1), -EINVAL);
    ck_assert_int_eq(reset(1), -EINVAL);
}
END_TEST

START_TEST(destroy_after_shared_info_gone_is_safe)
{
    long p1, p2;

    connect(dom1, &p1, dom2, &p2);
    dom2->shared_info = NULL;
    evtchn_destroy(dom2);
    run_as(dom1);
    ck_assert_int_eq(stat_of(DOMID_SELF, (evtchn_port_t)p1), EVTCHNSTAT_unbound);
    ck_assert_int_eq(evtchn_port_poll(dom2, (unsigned int)p2), -EINVAL);
}
END_TEST

/* ---- poll queries -------------------------------------------------------------------- */

START_TEST(port_poll_queries)
{
    long p = bind_ipi(0);

    ck_assert_int_eq(evtchn_port_poll(dom1, 0), -EINVAL);  /* reserved */
    ck_assert_int_eq(evtchn_port_poll(dom1, 2), -EINVAL);  /* free */
    ck_assert_int_eq(evtchn_port_poll(dom1, 64), -EINVAL); /* does not exist */
    ck_assert_int_eq(evtchn_port_poll(dom1, (unsigned int)p), 0);
    ck_assert(!evtchn_port_is_pending(dom1, (unsigned int)p));
    mask(dom1, (unsigned int)p);
    ck_assert_int_eq(evsend((evtchn_port_t)p), 0);
    ck_assert_int_eq(evtchn_port_poll(dom1, (unsigned int)p), 1);
    ck_assert(evtchn_port_is_pending(dom1, (unsigned int)p));
    ck_assert(!evtchn_port_is_pending(dom1, 2));
    ck_assert_uint_eq(pollers[1], 1);
    ck_assert_uint_eq(last_poll_port, p);
}
END_TEST

/* ---- the compat hypercall (16) ------------------------------------------------------- */

START_TEST(compat_hypercall)
{
    struct evtchn_op o;

    memset(&o, 0, sizeof(o));
    o.cmd = EVTCHNOP_alloc_unbound;
    o.u.alloc_unbound.dom = DOMID_SELF;
    o.u.alloc_unbound.remote_dom = 2;
    ck_assert_int_eq(do_event_channel_op_compat((uintptr_t)&o, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(o.u.alloc_unbound.port, 1);
    o.cmd = EVTCHNOP_status;
    o.u.status.dom = DOMID_SELF;
    o.u.status.port = 1;
    ck_assert_int_eq(do_event_channel_op_compat((uintptr_t)&o, 0, 0, 0, 0), 0);
    ck_assert_uint_eq(o.u.status.status, EVTCHNSTAT_unbound);
    ck_assert_uint_eq(o.u.status.u.unbound.dom, 2);
    /* Ops newer than the compat interface are -ENOSYS there. */
    o.cmd = EVTCHNOP_reset;
    o.u.alloc_unbound.dom = DOMID_SELF; /* where a struct evtchn_reset has its dom */
    ck_assert_int_eq(do_event_channel_op_compat((uintptr_t)&o, 0, 0, 0, 0), -ENOSYS);
    o.cmd = EVTCHNOP_init_control;
    ck_assert_int_eq(do_event_channel_op_compat((uintptr_t)&o, 0, 0, 0, 0), -ENOSYS);
    o.cmd = EVTCHNOP_close;
    o.u.close.port = 1;
    ck_assert_int_eq(do_event_channel_op_compat((uintptr_t)&o, 0, 0, 0, 0), 0);
    ck_assert_int_eq(do_event_channel_op_compat((uintptr_t)&o, 0, 0, 0, 0), -EINVAL);
}
END_TEST

static Suite *event_channel_suite(void)
{
    Suite *s = suite_create("event_channel");
    TCase *tc = tcase_create("core");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, port0_reserved_and_first_bucket);
    tcase_add_test(tc, unknown_ops_and_cmd_width);
    tcase_add_test(tc, bad_pointers_efault);
    tcase_add_test(tc, readonly_result_efault_port_kept);
    tcase_add_test(tc, alloc_unbound_rules);
    tcase_add_test(tc, port_exhaustion_enospc_and_buckets);
    tcase_add_test(tc, alloc_enomem);
    tcase_add_test(tc, bind_interdomain_between_two_domains);
    tcase_add_test(tc, bind_interdomain_misuse);
    tcase_add_test(tc, bind_interdomain_to_self);
    tcase_add_test(tc, send_sets_pending_selector_upcall);
    tcase_add_test(tc, send_to_self_masked_then_unmask);
    tcase_add_test(tc, unmask_with_selector_already_set);
    tcase_add_test(tc, selector_and_upcall_coalescing);
    tcase_add_test(tc, send_misuse);
    tcase_add_test(tc, ipi_send_to_self);
    tcase_add_test(tc, close_reverts_peer_and_clears_pending);
    tcase_add_test(tc, close_misuse);
    tcase_add_test(tc, bind_virq_rules);
    tcase_add_test(tc, send_guest_virq_and_global);
    tcase_add_test(tc, bind_vcpu_rules);
    tcase_add_test(tc, status_permissions);
    tcase_add_test(tc, pirq_and_fifo_ops);
    tcase_add_test(tc, reset_rules);
    tcase_add_test(tc, destroy_closes_ports_and_tells_dom0);
    tcase_add_test(tc, destroy_after_shared_info_gone_is_safe);
    tcase_add_test(tc, port_poll_queries);
    tcase_add_test(tc, compat_hypercall);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(event_channel_suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
