/*
 * probe_efault: bad guest pointers handed to every hypercall that takes one,
 * as dom0 on Xen 4.17 and on mica (compared by t-probe-efault.sh; expected
 * differences in probe_efault.diff-ok). Each must answer -EFAULT (-14) and
 * neither hypervisor may fault or crash the domain.
 *
 * Pointers: NULL, the hypervisor's range (0xffff800000001000 is Xen's
 * read-only M2P, readable by the guest itself but not through a hypercall;
 * 0xffff830000000000 Xen's direct map; the last bytes of the range),
 * non-canonical addresses, unmapped guest addresses (low user half; the page
 * just past the initial mapping; a range that wraps past 2^64), a buffer
 * straddling the end of the initial mapping, and, for the calls that write,
 * a read-only page (the guest's own L4 at start_info->pt_base).
 *
 * First each call is made once with a good pointer (except SCHEDOP_shutdown),
 * so a probe in which every call fails for another reason shows.
 *
 * CONSOLEIO_read copies only what is waiting on the serial line: with no
 * input (the tests give none) Xen returns 0 without touching the buffer, so
 * its lines print 0, not -EFAULT, on both systems.
 */
#define PROBE_NAME "probe_efault"

#include <string.h>

#include "probe.h"

/* One hypercall that takes a guest pointer. */
struct ptr_call {
    const char *name;            /* the call as printed, "%s" where the pointer goes */
    unsigned long size;          /* bytes it reads or writes at the pointer */
    int writes;                  /* whether it writes there (so a read-only page must fail) */
    long (*fn)(unsigned long p); /* makes the call with pointer p */
};

static long console_write16(unsigned long p)
{
    return HYPERVISOR_console_io(CONSOLEIO_write, 16, (const char *)p);
}

static long console_read16(unsigned long p)
{
    return HYPERVISOR_console_io(CONSOLEIO_read, 16, (const char *)p);
}

#define XENVER_CALL(sub)                                                                           \
    static long xv_##sub(unsigned long p)                                                          \
    {                                                                                              \
        return HYPERVISOR_xen_version(XENVER_##sub, (void *)p);                                    \
    }
XENVER_CALL(extraversion)
XENVER_CALL(compile_info)
XENVER_CALL(capabilities)
XENVER_CALL(changeset)
XENVER_CALL(platform_parameters)
XENVER_CALL(get_features)
XENVER_CALL(guest_handle)
XENVER_CALL(commandline)
XENVER_CALL(build_id)

static long mem_current(unsigned long p)
{
    return HYPERVISOR_memory_op(XENMEM_current_reservation, (void *)p);
}

static long mem_maximum(unsigned long p)
{
    return HYPERVISOR_memory_op(XENMEM_maximum_reservation, (void *)p);
}

static long mem_map(unsigned long p)
{
    return HYPERVISOR_memory_op(XENMEM_memory_map, (void *)p);
}

static long sched_shutdown(unsigned long p)
{
    return HYPERVISOR_sched_op(SCHEDOP_shutdown, (void *)p);
}

static long sched_shutdown_code(unsigned long p)
{
    return HYPERVISOR_sched_op(SCHEDOP_shutdown_code, (void *)p);
}

static const struct ptr_call calls[] = {
    {"console_io(CONSOLEIO_write, 16, %s)", 16, 0, console_write16},
    {"console_io(CONSOLEIO_read, 16, %s)", 16, 1, console_read16},
    {"xen_version(XENVER_extraversion, %s)", sizeof(xen_extraversion_t), 1, xv_extraversion},
    {"xen_version(XENVER_compile_info, %s)", sizeof(xen_compile_info_t), 1, xv_compile_info},
    {"xen_version(XENVER_capabilities, %s)", sizeof(xen_capabilities_info_t), 1, xv_capabilities},
    {"xen_version(XENVER_changeset, %s)", sizeof(xen_changeset_info_t), 1, xv_changeset},
    {"xen_version(XENVER_platform_parameters, %s)", sizeof(xen_platform_parameters_t), 1,
     xv_platform_parameters},
    {"xen_version(XENVER_get_features, %s)", sizeof(xen_feature_info_t), 1, xv_get_features},
    {"xen_version(XENVER_guest_handle, %s)", sizeof(xen_domain_handle_t), 1, xv_guest_handle},
    {"xen_version(XENVER_commandline, %s)", sizeof(xen_commandline_t), 1, xv_commandline},
    {"xen_version(XENVER_build_id, %s)", sizeof(xen_build_id_t), 0, xv_build_id},
    {"memory_op(XENMEM_current_reservation, %s)", sizeof(domid_t), 0, mem_current},
    {"memory_op(XENMEM_maximum_reservation, %s)", sizeof(domid_t), 0, mem_maximum},
    {"memory_op(XENMEM_memory_map, %s)", sizeof(struct xen_memory_map), 0, mem_map},
    {"sched_op(SCHEDOP_shutdown, %s)", sizeof(struct sched_shutdown), 0, sched_shutdown},
    {"sched_op(SCHEDOP_shutdown_code, %s)", sizeof(struct sched_shutdown), 0, sched_shutdown_code},
};
#define NR_CALLS (sizeof(calls) / sizeof(calls[0]))

/* The printed call with the pointer's description in place of %s. */
static void report(const struct ptr_call *c, const char *ptr, long rc)
{
    char call[160];

    snprintf(call, sizeof(call), c->name, ptr);
    P("%s = %s", call, rc_str(rc));
}

/* Each call once with a good buffer (big enough for any of them). */
static void good_pointers(void)
{
    static union {
        xen_commandline_t cmd;
        struct {
            xen_build_id_t id;
            unsigned char buf[64];
        } bid;
        struct xen_memory_map map;
        domid_t domid;
        struct sched_shutdown s;
    } buf;
    char line[] = PROBE_NAME ": console_io good buffer\n";

    for (unsigned int i = 0; i < NR_CALLS; i++) {
        const struct ptr_call *c = &calls[i];
        long rc;

        if (c->fn == sched_shutdown)
            continue;
        memset(&buf, 0, sizeof(buf));
        if (c->fn == console_write16) {
            rc = HYPERVISOR_console_io(CONSOLEIO_write, strlen(line), line);
        } else {
            if (c->fn == mem_current || c->fn == mem_maximum)
                buf.domid = DOMID_SELF;
            if (c->fn == xv_build_id)
                buf.bid.id.len = 64;
            /* shutdown_code: reason 0 is poweroff, the probe's own way out. */
            rc = c->fn((unsigned long)&buf);
        }
        /* Values differ between the systems (sizes, ids): print only success or the error. */
        report(c, "good", rc >= 0 ? 0 : rc);
    }
}

int main(void)
{
    const unsigned long end = probe_mapping_end();
    const unsigned long low = 0x10000000UL;
    const unsigned long l4 = start_info->pt_base;

    good_pointers();

    P("initial mapping ends at VIRT_BASE + %#lx", end - PROBE_VIRT_BASE);
    P("unmapped: %#lx %s, end of mapping %s, 0xfffffffffffff000 %s", low,
      probe_leaf_pte(low) ? "MAPPED" : "yes", probe_leaf_pte(end) ? "MAPPED" : "yes",
      probe_leaf_pte(0xfffffffffffff000UL) ? "MAPPED" : "yes");
    P("pt_base read-only: %s",
      (probe_leaf_pte(l4) & (_PAGE_PRESENT | _PAGE_RW)) == _PAGE_PRESENT ? "yes" : "NO");

    static const struct {
        const char *name;
        unsigned long addr;
    } bad[] = {
        {"NULL", 0},
        {"0xffff800000001000 (hypervisor: M2P)", 0xffff800000001000UL},
        {"0xffff830000000000 (hypervisor: direct map)", 0xffff830000000000UL},
        {"0xffff87fffffffff8 (hypervisor: top)", 0xffff87fffffffff8UL},
        {"0x0000800000000000 (non-canonical)", 0x0000800000000000UL},
        {"0x8000000000000000 (non-canonical)", 0x8000000000000000UL},
        {"0x10000000 (unmapped)", 0x10000000UL},
        {"0xfffffffffffffff8 (unmapped, wraps)", 0xfffffffffffffff8UL},
    };

    for (unsigned int a = 0; a < sizeof(bad) / sizeof(bad[0]); a++) {
        for (unsigned int i = 0; i < NR_CALLS; i++)
            report(&calls[i], bad[a].name, calls[i].fn(bad[a].addr));
    }
    for (unsigned int i = 0; i < NR_CALLS; i++)
        report(&calls[i], "end of mapping (unmapped)", calls[i].fn(end));
    /* Half the buffer in the last mapped page, half in the unmapped one after it. */
    for (unsigned int i = 0; i < NR_CALLS; i++) {
        unsigned long half = calls[i].size / 2 ? calls[i].size / 2 : 1;
        report(&calls[i], "end of mapping - size/2 (straddles)", calls[i].fn(end - half));
    }
    /* Last: writes into the guest's own (read-only) L4. A hypervisor that let one through
       would have scribbled on L4 slots 0-1, which map nothing the probe uses. */
    for (unsigned int i = 0; i < NR_CALLS; i++) {
        if (calls[i].writes)
            report(&calls[i], "pt_base (read-only L4)", calls[i].fn(l4));
    }
    probe_done();
    return 0;
}
