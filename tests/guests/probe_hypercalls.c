/*
 * probe_hypercalls: the answers of the hypercalls mica implements, and of
 * the ones it does not, to a dom0 — compared line by line between Xen 4.17
 * and mica by tests/system/t-probe-hypercalls.sh (expected differences in
 * probe_hypercalls.diff-ok).
 *
 * Covers: unknown hypercall numbers (inside and outside the hypercall page,
 * and with high bits set in %rax), unknown sub-ops of console_io,
 * xen_version, sched_op, vm_assist and memory_op, every xen_version sub-op
 * of version.h, the memory_op reservation queries for DOMID_SELF, the own id
 * and a nonexistent domain, XENMEM_memory_map, XENMEM_maximum_ram_page,
 * vm_assist enable/disable of each type, SCHEDOP_yield and
 * SCHEDOP_shutdown_code. Every line prints the call and its result.
 */
#define PROBE_NAME "probe_hypercalls"

#include <string.h>

#include "probe.h"

/* Hypercall numbers Xen 4.17 leaves unused or that lie past its table. */
static const unsigned long unknown_nrs[] = {11, 31, 47, 63, 64, 100, 127, 1000, 0x100000011UL};

static void unknown_hypercalls(void)
{
    for (unsigned int i = 0; i < sizeof(unknown_nrs) / sizeof(unknown_nrs[0]); i++) {
        unsigned long nr = unknown_nrs[i];
        long rc;

        /* The hypercall page has 128 stubs; beyond them, or with high bits, a bare syscall. */
        if (nr < 128)
            rc = hypercall2((unsigned int)nr, 0, 0);
        else
            rc = raw_hypercall2(nr, 0, 0);
        P("hypercall %#lx(0, 0) = %s", nr, rc_str(rc));
    }
    /* A bare syscall with an implemented number works as the stub does. */
    P("syscall xen_version(XENVER_pagesize) = %s",
      rc_str(raw_hypercall2(__HYPERVISOR_xen_version, XENVER_pagesize, 0)));
}

static void unknown_subops(void)
{
    char buf[16] = "x";
    domid_t self = DOMID_SELF;

    P("console_io(99, 1, buf) = %s", rc_str(HYPERVISOR_console_io(99, 1, buf)));
    P("console_io(-1, 1, buf) = %s", rc_str(HYPERVISOR_console_io(-1, 1, buf)));
    P("xen_version(99, NULL) = %s", rc_str(HYPERVISOR_xen_version(99, NULL)));
    P("xen_version(11, NULL) = %s", rc_str(HYPERVISOR_xen_version(11, NULL)));
    P("sched_op(99, NULL) = %s", rc_str(HYPERVISOR_sched_op(99, NULL)));
    P("vm_assist(7, 0) = %s", rc_str(HYPERVISOR_vm_assist(7, VMASST_TYPE_4gb_segments)));
    P("vm_assist(7, 99) = %s", rc_str(HYPERVISOR_vm_assist(7, 99)));
    P("vm_assist(enable, 99) = %s", rc_str(HYPERVISOR_vm_assist(VMASST_CMD_enable, 99)));
    P("memory_op(99, &DOMID_SELF) = %s", rc_str(HYPERVISOR_memory_op(99, &self)));
    P("memory_op(63, &DOMID_SELF) = %s", rc_str(HYPERVISOR_memory_op(63, &self)));
}

/* A NUL-terminated copy of a fixed-size string field, for printing. */
static const char *field(const char *s, size_t n)
{
    static char buf[1024];

    if (n >= sizeof(buf))
        n = sizeof(buf) - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static void xen_version_subops(void)
{
    long rc = HYPERVISOR_xen_version(XENVER_version, NULL);
    P("xen_version(XENVER_version) = %#lx (%ld.%ld)", rc, rc >> 16, rc & 0xffff);

    xen_extraversion_t extra;
    memset(extra, 0, sizeof(extra));
    rc = HYPERVISOR_xen_version(XENVER_extraversion, extra);
    P("xen_version(XENVER_extraversion) = %s, \"%s\"", rc_str(rc), field(extra, sizeof(extra)));

    xen_compile_info_t ci;
    memset(&ci, 0, sizeof(ci));
    rc = HYPERVISOR_xen_version(XENVER_compile_info, &ci);
    /* The values are the builder's; print whether they are filled in. */
    P("xen_version(XENVER_compile_info) = %s, compiler %s, compile_date %s", rc_str(rc),
      ci.compiler[0] ? "set" : "empty", ci.compile_date[0] ? "set" : "empty");

    xen_capabilities_info_t caps;
    memset(caps, 0, sizeof(caps));
    rc = HYPERVISOR_xen_version(XENVER_capabilities, caps);
    P("xen_version(XENVER_capabilities) = %s, \"%s\"", rc_str(rc), field(caps, sizeof(caps)));
    P("xen_version(XENVER_capabilities) starts with xen-3.0-x86_64: %s",
      strncmp(caps, "xen-3.0-x86_64", 14) == 0 ? "yes" : "no");

    xen_changeset_info_t cs;
    memset(cs, 0, sizeof(cs));
    rc = HYPERVISOR_xen_version(XENVER_changeset, cs);
    P("xen_version(XENVER_changeset) = %s, %s", rc_str(rc), cs[0] ? "set" : "empty");

    xen_platform_parameters_t pp = {0};
    rc = HYPERVISOR_xen_version(XENVER_platform_parameters, &pp);
    P("xen_version(XENVER_platform_parameters) = %s, virt_start %#lx", rc_str(rc),
      (unsigned long)pp.virt_start);

    for (unsigned int idx = 0; idx <= XENFEAT_NR_SUBMAPS; idx++) {
        xen_feature_info_t fi = {.submap_idx = idx, .submap = 0xdeadbeef};
        rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
        P("xen_version(XENVER_get_features, submap %u) = %s, submap %#x", idx, rc_str(rc),
          fi.submap);
    }
    xen_feature_info_t fi = {.submap_idx = 99, .submap = 0xdeadbeef};
    rc = HYPERVISOR_xen_version(XENVER_get_features, &fi);
    P("xen_version(XENVER_get_features, submap 99) = %s, submap %#x", rc_str(rc), fi.submap);
    {
        xen_feature_info_t f0 = {.submap_idx = 0};
        HYPERVISOR_xen_version(XENVER_get_features, &f0);
        P("feature XENFEAT_dom0: %s", (f0.submap >> XENFEAT_dom0) & 1 ? "yes" : "no");
    }

    P("xen_version(XENVER_pagesize) = %s", rc_str(HYPERVISOR_xen_version(XENVER_pagesize, NULL)));

    xen_domain_handle_t h;
    memset(h, 0xa5, sizeof(h));
    rc = HYPERVISOR_xen_version(XENVER_guest_handle, h);
    int zero = 1;
    for (unsigned int i = 0; i < sizeof(h); i++)
        zero &= h[i] == 0;
    P("xen_version(XENVER_guest_handle) = %s, handle %s", rc_str(rc), zero ? "all zero" : "set");

    xen_commandline_t cmd;
    memset(cmd, 0, sizeof(cmd));
    rc = HYPERVISOR_xen_version(XENVER_commandline, cmd);
    P("xen_version(XENVER_commandline) = %s, %s console=com1", rc_str(rc),
      strstr(field(cmd, sizeof(cmd)), "console=com1") ? "has" : "lacks");

    /* build_id: a NULL handle asks for the size; a 4-byte buffer is too small for any id. */
    P("xen_version(XENVER_build_id, NULL) = %s",
      rc_str(HYPERVISOR_xen_version(XENVER_build_id, NULL)));
    struct {
        xen_build_id_t id;
        unsigned char buf[64];
    } bid = {.id.len = 64};
    rc = HYPERVISOR_xen_version(XENVER_build_id, &bid);
    P("xen_version(XENVER_build_id, len 64) = %s", rc_str(rc));
}

static void memory_ops(void)
{
    static const struct {
        domid_t id;
        const char *name;
    } ids[] = {{DOMID_SELF, "DOMID_SELF"},
               {0, "0"},
               {77, "77"},
               {DOMID_IDLE, "DOMID_IDLE"},
               {DOMID_XEN, "DOMID_XEN"}};

    for (unsigned int i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        domid_t id = ids[i].id;
        long cur = HYPERVISOR_memory_op(XENMEM_current_reservation, &id);
        long max = HYPERVISOR_memory_op(XENMEM_maximum_reservation, &id);
        P("memory_op(XENMEM_current_reservation, %s) = %s", ids[i].name, rc_str(cur));
        P("memory_op(XENMEM_maximum_reservation, %s) = %s", ids[i].name, rc_str(max));
    }
    P("memory_op(XENMEM_current_reservation) equals start_info nr_pages: %s",
      HYPERVISOR_memory_op(XENMEM_current_reservation, &(domid_t){DOMID_SELF}) ==
              (long)start_info->nr_pages
          ? "yes"
          : "no");

    /* A continuation's start extent (cmd bits 6 and up) on sub-ops without extents. */
    domid_t self = DOMID_SELF;
    P("memory_op(XENMEM_current_reservation | 1 << 6, DOMID_SELF) = %s",
      rc_str(HYPERVISOR_memory_op(XENMEM_current_reservation | (1u << 6), &self)));
    P("memory_op(XENMEM_maximum_ram_page | 1 << 6) = %s",
      rc_str(HYPERVISOR_memory_op(XENMEM_maximum_ram_page | (1u << 6), NULL)));

    long maxram = HYPERVISOR_memory_op(XENMEM_maximum_ram_page, NULL);
    P("memory_op(XENMEM_maximum_ram_page) > 0: %s", maxram > 0 ? "yes" : rc_str(maxram));
    P("memory_op(XENMEM_maximum_ram_page) above every own MFN: %s",
      maxram > (long)probe_pfn_to_mfn(0) &&
              maxram > (long)probe_pfn_to_mfn(start_info->nr_pages - 1)
          ? "yes"
          : "no");

    struct xen_memory_map map = {.nr_entries = 0};
    P("memory_op(XENMEM_memory_map, nr_entries 0) = %s",
      rc_str(HYPERVISOR_memory_op(XENMEM_memory_map, &map)));

    P("memory_op(XENMEM_maximum_gpfn, DOMID_SELF) = %s",
      rc_str(HYPERVISOR_memory_op(XENMEM_maximum_gpfn, &self)));
}

static void vm_assists(void)
{
    static const unsigned int types[] = {0, 1, 2, 3, 4, 5, 6, 31, 32, 33, 63, 64};

    for (unsigned int i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        long on = HYPERVISOR_vm_assist(VMASST_CMD_enable, types[i]);
        long off = HYPERVISOR_vm_assist(VMASST_CMD_disable, types[i]);
        P("vm_assist(enable, %u) = %s; vm_assist(disable, %u) = %s", types[i], rc_str(on), types[i],
          rc_str(off));
    }
}

static void sched_ops(void)
{
    P("sched_op(SCHEDOP_yield, NULL) = %s", rc_str(HYPERVISOR_sched_op(SCHEDOP_yield, NULL)));

    /* The first code set wins and is used by the later shutdown: set poweroff first. */
    struct sched_shutdown s = {.reason = SHUTDOWN_poweroff};
    P("sched_op(SCHEDOP_shutdown_code, poweroff) = %s",
      rc_str(HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &s)));
    s.reason = SHUTDOWN_crash;
    P("sched_op(SCHEDOP_shutdown_code, crash) = %s",
      rc_str(HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &s)));
    s.reason = 99;
    P("sched_op(SCHEDOP_shutdown_code, 99) = %s",
      rc_str(HYPERVISOR_sched_op(SCHEDOP_shutdown_code, &s)));
}

int main(void)
{
    unknown_hypercalls();
    unknown_subops();
    xen_version_subops();
    memory_ops();
    vm_assists();
    sched_ops();
    probe_done();
    return 0;
}
