/* Booting the domains of a boot configuration (see bootcfg.h, docs/bootcfg.md). */
#include <mica/bootcfg.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/event.h>
#include <mica/grant_table.h>
#include <mica/heap.h>
#include <mica/panic.h>
#include <mica/pci_assign.h>
#include <mica/printf.h>
#include <mica/pv_domain.h>
#include <mica/restart.h>
#include <mica/string.h>
#include <mica/wiring.h>
#include <xen/io/xenbus.h>
#include <xen/sched.h>
#include <xen/xen.h>

#define MiB              (1UL << 20)
#define TREE_MAX         8192 /* bytes of one generated device tree */
#define MIN_DOMAIN_PAGES 256  /* 1 MiB: less cannot hold a kernel, its tables and stack */

static struct bootcfg cfg;
static bool configured;
static struct bootcfg_wiring wiring;
static uint8_t tree[BOOTCFG_MAX_DOMAINS][TREE_MAX];
/* Issue 9, restart (restart.h): what building domain i again needs, kept from the boot. */
static const struct bootcfg_module *boot_mods;
static struct {
    const void *module; /* its boot module (tree, or module list) */
    size_t module_len;
    unsigned int restarts;
} built[BOOTCFG_MAX_DOMAINS];

bool bootcfg_shutdown_action(domid_t domid, unsigned int reason, enum bootcfg_action *action)
{
    if (!configured || domid >= cfg.nr_domains)
        return false;
    *action = bootcfg_domain_action(&cfg.domain[domid], reason);
    return true;
}

/*
 * Plan each device's pages, references and port before any domain exists: every domain's
 * tree is its boot module, written before the builder copies it in. The frontend's pages are
 * the builder's spare pages (its last PFNs): the control page first, then the rings in
 * device order; references count up from WIRING_FIRST_GREF in the same order; ports are a
 * fresh domain's first free ones, 1, 2, ... (checked when the wiring happens).
 */
static void plan_wiring(void)
{
    for (unsigned int i = 0; i < cfg.nr_domains; i++) {
        const struct bootcfg_domain *d = &cfg.domain[i];
        uint64_t last_pfn = d->memory_kib / 4 - 1;
        unsigned int spare = 1, ref = WIRING_FIRST_GREF + 1;

        if (!d->nr_vdevs)
            continue;
        for (unsigned int v = 0; v < d->nr_vdevs; v++) {
            struct bootcfg_vdev_wiring *w = &wiring.vdev[i][v];
            unsigned int rings = d->vdev[v].type == BOOTCFG_VIF ? 2 : 1;
            if (spare + rings > BUILD_SPARE_PAGES)
                panic("boot configuration: /chosen/%s/%s: the builder has %u spare pages per "
                      "domain (a control page, one per vbd, two per vif): too many devices",
                      d->name, d->vdev[v].name, BUILD_SPARE_PAGES);
            w->control_ref = WIRING_FIRST_GREF;
            w->control_pfn = last_pfn;
            w->control_offset = v * BOOTCFG_CONTROL_SLOT;
            for (unsigned int r = 0; r < rings; r++) {
                w->ring_pfn[r] = last_pfn - spare++;
                w->ring_ref[r] = ref++;
            }
            w->port = v + 1;
        }
    }
}

/* An empty shared ring (io/ring.h SHARED_RING_INIT: indices 0, event indices 1). */
static void ring_init(mfn_t mfn)
{
    struct {
        uint32_t req_prod, req_event, rsp_prod, rsp_event;
    } *hdr = map_frame(mfn);
    memset(hdr, 0, PAGE_SIZE);
    hdr->req_event = 1;
    hdr->rsp_event = 1;
}

/* Grant @mfn of @front to @back at @ref, or stop the boot. */
static void grant(struct domain *front, struct domain *back, uint32_t ref, mfn_t mfn)
{
    int rc = gnttab_grant_access_for(front, ref, back->domain_id, mfn, false);
    if (rc)
        panic("boot configuration: d%u: cannot grant reference %u to d%u (error %d)",
              front->domain_id, ref, back->domain_id, rc);
}

/* Carry out the plan for domain @i's devices (its backends exist by now). */
static void wire_domain(unsigned int i, struct domain *const dom[])
{
    const struct bootcfg_domain *d = &cfg.domain[i];
    struct domain *front = dom[i];

    if (!d->nr_vdevs)
        return;
    /* The control page: a slot per device, both states Initialising (io/xenbus.h). */
    uint32_t *control = map_frame(front->spare_mfn[0]);
    memset(control, 0, PAGE_SIZE);
    for (unsigned int v = 0; v < d->nr_vdevs; v++) {
        const struct bootcfg_vdev_wiring *w = &wiring.vdev[i][v];
        struct domain *back = dom[d->vdev[v].backend];
        unsigned int rings = d->vdev[v].type == BOOTCFG_VIF ? 2 : 1;

        control[w->control_offset / 4] = XenbusStateInitialising;     /* frontend's */
        control[w->control_offset / 4 + 1] = XenbusStateInitialising; /* backend's */
        /* One reference for the control page, granted to the backend (mica has one
           driver domain in this round, so every device has the same backend). */
        if (v == 0)
            grant(front, back, w->control_ref, front->spare_mfn[0]);
        for (unsigned int r = 0; r < rings; r++) {
            mfn_t mfn = front->spare_mfn[d->memory_kib / 4 - 1 - w->ring_pfn[r]];
            ring_init(mfn);
            grant(front, back, w->ring_ref[r], mfn);
        }
        int port = evtchn_alloc_unbound_for(front, back->domain_id);
        if (port != (int)w->port)
            panic("boot configuration: /chosen/%s/%s: got event channel port %d, the device "
                  "tree says %u",
                  d->name, d->vdev[v].name, port, w->port);
        printk("mica: wired d%u %s (frontend; ring refs %u%s%.0u, control ref %u, port %u) to "
               "d%u (backend)\n",
               front->domain_id, d->vdev[v].name, w->ring_ref[0], rings > 1 ? "+" : "",
               rings > 1 ? w->ring_ref[1] : 0, w->control_ref, w->port, back->domain_id);
    }
}

/* The boot module of domain @i: its tree, or a SIF_MULTIBOOT_MOD list of tree and initrd
   (xen.h, struct xen_multiboot_mod_list: addresses relative to the module's start). */
static const void *domain_module(unsigned int i, const struct bootcfg_module *initrd,
                                 size_t tree_len, size_t *len)
{
    struct xen_multiboot_mod_list *list;
    size_t head = 3 * sizeof(*list); /* two modules and the terminator */
    size_t tree_at = head, initrd_at = ALIGN_UP(tree_at + tree_len, PAGE_SIZE);

    if (!initrd) {
        *len = tree_len;
        return tree[i];
    }
    *len = initrd_at + initrd->len;
    unsigned int order = 0;
    while ((PAGE_SIZE << order) < *len)
        order++;
    long mfn = alloc_frames(order, DOMID_XEN); /* kept: the boot module of a restart */
    if (mfn < 0)
        panic("boot configuration: /chosen/%s: no memory for its module list", cfg.domain[i].name);
    uint8_t *buf = map_frame((mfn_t)mfn);
    list = (void *)buf;
    memset(buf, 0, head);
    list[0].mod_start = (uint32_t)tree_at;
    list[0].mod_end = (uint32_t)(tree_at + tree_len - 1);
    list[1].mod_start = (uint32_t)initrd_at;
    list[1].mod_end = (uint32_t)(initrd_at + initrd->len - 1);
    memcpy(buf + tree_at, tree[i], tree_len);
    memset(buf + tree_at + tree_len, 0, initrd_at - tree_at - tree_len);
    memcpy(buf + initrd_at, initrd->data, initrd->len);
    return buf;
}

/*
 * Build domain @i of the configuration from its kernel module, its boot module (built[i]),
 * memory, command line, and give it its PCI functions; or stop the boot. Used at boot and
 * for a restart. Prints the free frames first: a restart must find as many as the first
 * build did (the memory of the previous life came back).
 */
static struct domain *build_domain(unsigned int i)
{
    const struct bootcfg_domain *d = &cfg.domain[i];
    const struct bootcfg_module *k = &boot_mods[d->kernel_module];
    struct domain *dom;
    const struct pv_domain_config pc = {
        .domid = d->domid,
        .privileged = d->driver,
        .kernel = k->data,
        .kernel_len = k->len,
        .module = built[i].module,
        .module_len = built[i].module_len,
        .cmdline = d->bootargs,
        .nr_pages = (unsigned long)(d->memory_kib / 4),
        .nr_vcpus = d->nr_vcpus,
    };

    printk("mica: d%u: %lu frames free before it is built\n", d->domid, heap_free_frames());
    if (pv_domain_build(&pc, &dom))
        panic("boot configuration: /chosen/%s: could not build d%u", d->name, d->domid);
    /* Its PCI functions: they must exist and be free (the handover, pci_assign.h). */
    for (unsigned int p = 0; p < d->nr_pci; p++) {
        const struct bootcfg_pci *f = &d->pci[p];
        int rc = pci_assign(dom, PCI_BDF(f->bus, f->dev, f->fn));
        if (rc)
            panic("boot configuration: /chosen/%s: pci-devices: %02x:%02x.%u: %s (error %d)",
                  d->name, f->bus, f->dev, f->fn,
                  rc == -ENODEV  ? "no such PCI function"
                  : rc == -EBUSY ? "kept by mica or owned by another domain"
                                 : "cannot be assigned",
                  rc);
        printk("mica: config: d%u owns PCI %02x:%02x.%u\n", d->domid, f->bus, f->dev, f->fn);
    }
    if (d->initrd_module != BOOTCFG_NO_MODULE) {
        start_info_t *si = map_frame(dom->start_info_mfn);
        si->flags |= SIF_MULTIBOOT_MOD;
    }
    return dom;
}

bool bootcfg_restart_allowed(domid_t domid)
{
    if (!configured || domid >= cfg.nr_domains || cfg.domain[domid].driver)
        return false;
    if (built[domid].restarts >= BOOTCFG_MAX_RESTARTS) {
        printk_warn("mica: d%u has been restarted %u times; destroying it instead\n", domid,
                    BOOTCFG_MAX_RESTARTS);
        return false;
    }
    return true;
}

void bootcfg_restart(domid_t domid)
{
    struct domain *dom[BOOTCFG_MAX_DOMAINS];

    built[domid].restarts++;
    printk("mica: d%u: restart %u of %u\n", domid, built[domid].restarts, BOOTCFG_MAX_RESTARTS);
    dom[domid] = build_domain(domid);
    /* The same plan as at boot: control page, rings and grants at the same references,
       the same port numbers (a fresh domain's first ports), so its backends reconnect with
       what their own trees say. wire_domain() looks only at this domain's backends. */
    for (unsigned int i = 0; i < cfg.nr_domains; i++)
        if (i != domid)
            dom[i] = domain_lookup((domid_t)i);
    for (unsigned int v = 0; v < cfg.domain[domid].nr_vdevs; v++) {
        struct domain *back = dom[cfg.domain[domid].vdev[v].backend];
        if (!back || back->state != DOMAIN_RUNNING) {
            printk_warn("mica: d%u: %s's backend d%u is gone; its devices stay unwired\n", domid,
                        cfg.domain[domid].vdev[v].name, cfg.domain[domid].vdev[v].backend);
            return;
        }
    }
    wire_domain(domid, dom);
}

void bootcfg_start(const struct bootcfg_module *mods, unsigned int nr)
{
    static char err[256];
    struct domain *dom[BOOTCFG_MAX_DOMAINS];
    unsigned long free = heap_free_frames();
    unsigned long reserve = MIN(free / 16, (128 * MiB) >> PAGE_SHIFT);

    printk("mica: module 0 is a boot configuration (%lu bytes)\n", (unsigned long)mods[0].len);
    if (bootcfg_parse(mods[0].data, mods[0].len, nr, &cfg, err, sizeof(err)))
        panic("boot configuration: %s", err);
    if (bootcfg_check_memory(&cfg, free - reserve, MIN_DOMAIN_PAGES, err, sizeof(err)))
        panic("boot configuration: %s", err);
    plan_wiring();

    boot_mods = mods;
    for (unsigned int i = 0; i < cfg.nr_domains; i++) {
        const struct bootcfg_domain *d = &cfg.domain[i];
        const struct bootcfg_module *initrd =
            d->initrd_module == BOOTCFG_NO_MODULE ? NULL : &mods[d->initrd_module];
        int tree_len = bootcfg_domain_tree(&cfg, i, &wiring, tree[i], TREE_MAX);

        if (tree_len < 0)
            panic("boot configuration: /chosen/%s: its device tree does not fit %u bytes "
                  "(libfdt error %d)",
                  d->name, TREE_MAX, tree_len);
        built[i].module = domain_module(i, initrd, (size_t)tree_len, &built[i].module_len);
        printk("mica: config: d%u \"%s\": %s, kernel module %d%s, %lu KiB, %u PCI device(s), "
               "%u virtual device(s), on poweroff/reboot/crash: %s/%s/%s\n",
               d->domid, d->name, d->driver ? "driver domain" : "guest", d->kernel_module,
               initrd ? " + initrd" : "", (unsigned long)d->memory_kib, d->nr_pci, d->nr_vdevs,
               bootcfg_action_name(d->on_poweroff), bootcfg_action_name(d->on_reboot),
               bootcfg_action_name(d->on_crash));
        /* The driver domain's end is the machine's whatever the tree says (domain.c). */
        if (d->driver &&
            (d->on_poweroff != BOOTCFG_MACHINE_OFF || d->on_reboot != BOOTCFG_MACHINE_OFF ||
             d->on_crash != BOOTCFG_MACHINE_OFF))
            printk_warn("mica: config: d%u \"%s\": the driver domain's end is the machine's "
                        "(machine-off)\n",
                        d->domid, d->name);
        dom[i] = build_domain(i);
    }
    for (unsigned int i = 0; i < cfg.nr_domains; i++)
        wire_domain(i, dom);
    configured = true;
    printk("mica: starting %u domain(s) from the boot configuration\n", cfg.nr_domains);
    schedule();
}
