/* The boot configuration: parsing the tree and writing each domain's own (see bootcfg.h). */
#include <libfdt.h>
#include <mica/bootcfg.h>
#include <mica/errno.h>
#include <mica/printf.h>
#include <mica/string.h>
#include <xen/sched.h>

/* Parsing state: the tree and where errors go. */
struct parser {
    const void *fdt;
    unsigned int nr_modules;
    char *err;
    size_t errlen;
};

/* Report a problem with node @node ("/" + path) and return -EINVAL. */
static int __printf(3, 4) bad(struct parser *p, int node, const char *fmt, ...)
{
    char path[128] = "?";
    va_list ap;
    int n;

    if (node >= 0 && fdt_get_path(p->fdt, node, path, sizeof(path)) < 0)
        snprintf(path, sizeof(path), "node at offset %d", node);
    if (node < 0)
        snprintf(path, sizeof(path), "the tree");
    n = snprintf(p->err, p->errlen, "%s: ", path);
    if (n >= 0 && (size_t)n < p->errlen) {
        va_start(ap, fmt);
        vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

bool bootcfg_is_fdt(const void *blob, size_t len)
{
    const uint8_t *b = blob;
    return len >= 4 && ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3]) ==
                           BOOTCFG_FDT_MAGIC;
}

const char *bootcfg_action_name(enum bootcfg_action a)
{
    switch (a) {
    case BOOTCFG_MACHINE_OFF:
        return "machine-off";
    case BOOTCFG_RESTART:
        return "restart";
    default:
        return "destroy";
    }
}

enum bootcfg_action bootcfg_domain_action(const struct bootcfg_domain *d, unsigned int reason)
{
    switch (reason) {
    case SHUTDOWN_poweroff:
        return d->on_poweroff;
    case SHUTDOWN_reboot:
    case SHUTDOWN_soft_reset:
        return d->on_reboot;
    default:
        return d->on_crash;
    }
}

/* Whether @node's "compatible" list holds @compat. */
static bool compatible(const void *fdt, int node, const char *compat)
{
    return fdt_node_check_compatible(fdt, node, compat) == 0;
}

/* A one- or two-cell unsigned property (#address-cells style: <hi lo> for 64 bits).
   Returns 0, -ENOENT when absent, -EINVAL when neither 4 nor 8 bytes. */
static int get_u64(const void *fdt, int node, const char *name, uint64_t *out)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, name, &len);

    if (!v)
        return -ENOENT;
    if (len == 4)
        *out = fdt32_to_cpu(v[0]);
    else if (len == 8)
        *out = (uint64_t)fdt32_to_cpu(v[0]) << 32 | fdt32_to_cpu(v[1]);
    else
        return -EINVAL;
    return 0;
}

/* A NUL-terminated string property, or NULL. */
static const char *get_string(const void *fdt, int node, const char *name)
{
    int len;
    const char *s = fdt_getprop(fdt, node, name, &len);
    return s && len > 0 && s[len - 1] == 0 ? s : NULL;
}

static int parse_action(struct parser *p, int node, const char *prop, enum bootcfg_action *out)
{
    int len;
    const char *s = fdt_getprop(p->fdt, node, prop, &len);

    if (!s)
        return 0; /* keep the default */
    if (len <= 0 || s[len - 1])
        return bad(p, node, "%s: not a string", prop);
    if (!strcmp(s, "destroy"))
        *out = BOOTCFG_DESTROY;
    else if (!strcmp(s, "machine-off"))
        *out = BOOTCFG_MACHINE_OFF;
    else if (!strcmp(s, "restart"))
        *out = BOOTCFG_RESTART;
    else
        return bad(p, node, "%s: unknown action \"%s\" (machine-off, restart, destroy)", prop, s);
    return 0;
}

/* "BB:DD.F" or "SSSS:BB:DD.F" (segment 0 only), hexadecimal as lspci writes it. */
static int parse_bdf(const char *s, struct bootcfg_pci *out)
{
    unsigned long part[4];
    unsigned int n = 0;

    for (;;) {
        char *end;
        if (n == 4 ||
            !((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') || (*s >= 'A' && *s <= 'F')))
            return -EINVAL;
        part[n++] = strtoul(s, &end, 16);
        if (end - s > 4)
            return -EINVAL;
        s = end;
        if (!*s)
            break;
        if (*s != ':' && *s != '.')
            return -EINVAL;
        s++;
    }
    if (n < 3)
        return -EINVAL;
    if (n == 4) {
        if (part[0] != 0)
            return -EINVAL;
        part[0] = part[1], part[1] = part[2], part[2] = part[3];
    }
    if (part[0] > 0xff || part[1] > 31 || part[2] > 7)
        return -EINVAL;
    out->bus = (uint8_t)part[0];
    out->dev = (uint8_t)part[1];
    out->fn = (uint8_t)part[2];
    return 0;
}

/* A module node (Xen: compatible "multiboot,kernel"/"multiboot,ramdisk", reg = <index>). */
static int parse_module(struct parser *p, int node, int *index)
{
    uint64_t v;

    if (*index != BOOTCFG_NO_MODULE)
        return bad(p, node, "a second %s module",
                   compatible(p->fdt, node, "multiboot,kernel") ? "kernel" : "ramdisk");
    if (get_u64(p->fdt, node, "reg", &v))
        return bad(p, node, "reg: the module's index (one cell) is missing or malformed");
    if (v == 0)
        return bad(p, node, "reg: module 0 is the configuration itself");
    if (v >= p->nr_modules)
        return bad(p, node, "module %lu missing (the loader gave %u modules)", (unsigned long)v,
                   p->nr_modules);
    *index = (int)v;
    return 0;
}

static int parse_vdev(struct parser *p, int node, struct bootcfg_domain *d, const char *backend[])
{
    struct bootcfg_vdev *v;
    const char *name = fdt_get_name(p->fdt, node, NULL);
    int len;

    if (d->nr_vdevs == BOOTCFG_MAX_VDEVS)
        return bad(p, node, "more than %u virtual devices", BOOTCFG_MAX_VDEVS);
    v = &d->vdev[d->nr_vdevs];
    memset(v, 0, sizeof(*v));
    v->type = compatible(p->fdt, node, "mica,vif") ? BOOTCFG_VIF : BOOTCFG_VBD;
    strlcpy(v->name, name ? name : "?", sizeof(v->name));
    backend[d->nr_vdevs] = get_string(p->fdt, node, "backend");
    if (!backend[d->nr_vdevs])
        return bad(p, node, "backend: the backend domain's node name is missing");
    if (v->type == BOOTCFG_VIF) {
        const uint8_t *mac = fdt_getprop(p->fdt, node, "mac", &len);
        if (!mac || len != 6)
            return bad(p, node, "mac: six bytes required (mac = [00 16 3e 00 00 01])");
        if (mac[0] & 1)
            return bad(p, node, "mac: a multicast address");
        memcpy(v->mac, mac, 6);
    } else {
        uint64_t x = 0;
        v->read_only = fdt_getprop(p->fdt, node, "read-only", NULL) != NULL;
        int rc = get_u64(p->fdt, node, "disk", &x);
        if (rc == -EINVAL || x > 0xffff)
            return bad(p, node, "disk: malformed");
        v->disk = (uint32_t)x;
        if (get_u64(p->fdt, node, "start-sector", &v->start_sector) == -EINVAL ||
            get_u64(p->fdt, node, "sectors", &v->nr_sectors) == -EINVAL)
            return bad(p, node, "start-sector/sectors: one or two cells");
    }
    d->nr_vdevs++;
    return 0;
}

static int parse_domain(struct parser *p, int node, struct bootcfg_domain *d, const char *backend[])
{
    const void *fdt = p->fdt;
    const char *name = fdt_get_name(fdt, node, NULL);
    const char *args = NULL;
    uint64_t v;
    int child, len, rc;

    memset(d, 0, sizeof(*d));
    strlcpy(d->name, name ? name : "?", sizeof(d->name));
    d->kernel_module = d->initrd_module = BOOTCFG_NO_MODULE;
    d->driver = fdt_getprop(fdt, node, "mica,driver-domain", NULL) != NULL;
    /* The driver domain's end is the machine's (as dom0's on Xen); a guest's is its own. */
    d->on_poweroff = d->on_reboot = d->on_crash = d->driver ? BOOTCFG_MACHINE_OFF : BOOTCFG_DESTROY;

    rc = get_u64(fdt, node, "memory", &d->memory_kib);
    if (rc == -ENOENT)
        return bad(p, node, "memory: missing (KiB, as Xen's)");
    if (rc || d->memory_kib == 0)
        return bad(p, node, "memory: malformed (one or two cells, KiB, not 0)");
    rc = get_u64(fdt, node, "cpus", &v);
    if (rc == -ENOENT)
        v = 1;
    else if (rc)
        return bad(p, node, "cpus: malformed");
    if (v != 1)
        return bad(p, node, "cpus: %lu vCPUs; mica gives each domain exactly one in this round",
                   (unsigned long)v);
    d->nr_vcpus = 1;

    rc = parse_action(p, node, "on-poweroff", &d->on_poweroff);
    rc = rc ?: parse_action(p, node, "on-reboot", &d->on_reboot);
    rc = rc ?: parse_action(p, node, "on-crash", &d->on_crash);
    if (rc)
        return rc;

    /* PCI functions: a string list of BDFs. */
    const char *list = fdt_getprop(fdt, node, "pci-devices", &len);
    if (list) {
        if (len <= 0 || list[len - 1])
            return bad(p, node, "pci-devices: a list of strings (\"00:1f.2\") expected");
        for (const char *s = list; s < list + len; s += strlen(s) + 1) {
            struct bootcfg_pci pci;
            if (parse_bdf(s, &pci))
                return bad(p, node, "pci-devices: \"%s\" is not a PCI address (BB:DD.F)", s);
            for (unsigned int i = 0; i < d->nr_pci; i++)
                if (!memcmp(&d->pci[i], &pci, sizeof(pci)))
                    return bad(p, node, "pci-devices: %s listed twice", s);
            if (d->nr_pci == BOOTCFG_MAX_PCI)
                return bad(p, node, "pci-devices: more than %u", BOOTCFG_MAX_PCI);
            d->pci[d->nr_pci++] = pci;
        }
        if (d->nr_pci && !d->driver)
            return bad(p, node,
                       "pci-devices: only a driver domain (mica,driver-domain) owns "
                       "PCI devices");
    }

    args = get_string(fdt, node, "bootargs");
    fdt_for_each_subnode(child, fdt, node)
    {
        if (compatible(fdt, child, "multiboot,kernel")) {
            rc = parse_module(p, child, &d->kernel_module);
            const char *margs = get_string(fdt, child, "bootargs");
            if (margs)
                args = margs; /* Xen: the kernel module's bootargs */
        } else if (compatible(fdt, child, "multiboot,ramdisk")) {
            rc = parse_module(p, child, &d->initrd_module);
        } else if (compatible(fdt, child, "mica,vbd") || compatible(fdt, child, "mica,vif")) {
            rc = parse_vdev(p, child, d, backend);
        } else {
            rc = 0; /* other nodes are not ours */
        }
        if (rc)
            return rc;
    }
    if (child < 0 && child != -FDT_ERR_NOTFOUND)
        return bad(p, node, "malformed tree (%s)", fdt_strerror(child));
    if (d->kernel_module == BOOTCFG_NO_MODULE)
        return bad(p, node, "no kernel module (a subnode with compatible \"multiboot,kernel\")");
    if (args && strlen(args) >= sizeof(d->bootargs))
        return bad(p, node, "bootargs: longer than %u bytes", BOOTCFG_ARGS_LEN - 1);
    strlcpy(d->bootargs, args ? args : "", sizeof(d->bootargs));
    return 0;
}

int bootcfg_parse(const void *fdt, size_t len, unsigned int nr_modules, struct bootcfg *cfg,
                  char *err, size_t errlen)
{
    struct parser p = {fdt, nr_modules, err, errlen};
    static const char *backend[BOOTCFG_MAX_DOMAINS][BOOTCFG_MAX_VDEVS];
    int nodes[BOOTCFG_MAX_DOMAINS];
    int chosen, node, rc, drivers = 0;

    memset(cfg, 0, sizeof(*cfg));
    if (errlen)
        err[0] = 0;
    if (len < sizeof(struct fdt_header) || fdt_check_header(fdt) || fdt_totalsize(fdt) > len)
        return bad(&p, -1, "malformed device tree (bad header or size)");
    chosen = fdt_path_offset(fdt, "/chosen");
    if (chosen < 0)
        return bad(&p, -1, "no /chosen node (%s)", fdt_strerror(chosen));

    /* The driver domain is d0 whatever its place; the others follow in tree order. */
    fdt_for_each_subnode(node, fdt, chosen)
    {
        if (!compatible(fdt, node, "xen,domain"))
            continue;
        if (cfg->nr_domains == BOOTCFG_MAX_DOMAINS)
            return bad(&p, node, "more than %u domains", BOOTCFG_MAX_DOMAINS);
        unsigned int i = cfg->nr_domains;
        rc = parse_domain(&p, node, &cfg->domain[i], backend[i]);
        if (rc)
            return rc;
        nodes[i] = node;
        cfg->nr_domains++;
        if (cfg->domain[i].driver && drivers++)
            return bad(&p, node, "a second driver domain (mica has one in this round)");
    }
    if (node < 0 && node != -FDT_ERR_NOTFOUND)
        return bad(&p, chosen, "malformed tree (%s)", fdt_strerror(node));
    if (!cfg->nr_domains)
        return bad(&p, chosen, "no domains (nodes with compatible \"xen,domain\")");
    if (!drivers)
        return bad(&p, chosen, "no driver domain (mica,driver-domain)");

    /* Put the driver domain first (d0), keeping the others' order. */
    while (!cfg->domain[0].driver) {
        struct bootcfg_domain t = cfg->domain[0];
        int tn = nodes[0];
        const char *tb[BOOTCFG_MAX_VDEVS];
        memcpy(tb, backend[0], sizeof(tb));
        for (unsigned int j = 0; j + 1 < cfg->nr_domains; j++) {
            cfg->domain[j] = cfg->domain[j + 1];
            nodes[j] = nodes[j + 1];
            memcpy(backend[j], backend[j + 1], sizeof(tb));
        }
        cfg->domain[cfg->nr_domains - 1] = t;
        nodes[cfg->nr_domains - 1] = tn;
        memcpy(backend[cfg->nr_domains - 1], tb, sizeof(tb));
    }
    for (unsigned int i = 0; i < cfg->nr_domains; i++)
        cfg->domain[i].domid = (domid_t)i;

    /* Across domains: unique names, PCI functions assigned once, backends that exist and
       are driver domains. */
    for (unsigned int i = 0; i < cfg->nr_domains; i++) {
        struct bootcfg_domain *d = &cfg->domain[i];
        for (unsigned int j = 0; j < i; j++) {
            const struct bootcfg_domain *e = &cfg->domain[j];
            if (!strcmp(d->name, e->name))
                return bad(&p, nodes[i], "two domains named %s", d->name);
            for (unsigned int a = 0; a < d->nr_pci; a++)
                for (unsigned int b = 0; b < e->nr_pci; b++)
                    if (!memcmp(&d->pci[a], &e->pci[b], sizeof(d->pci[a])))
                        return bad(&p, nodes[i],
                                   "pci-devices: %02x:%02x.%u is assigned to %s "
                                   "too",
                                   d->pci[a].bus, d->pci[a].dev, d->pci[a].fn, e->name);
        }
        for (unsigned int v = 0; v < d->nr_vdevs; v++) {
            unsigned int b;
            for (b = 0; b < cfg->nr_domains; b++)
                if (!strcmp(cfg->domain[b].name, backend[i][v]))
                    break;
            int vnode = fdt_subnode_offset(fdt, nodes[i], d->vdev[v].name);
            if (b == cfg->nr_domains)
                return bad(&p, vnode, "backend: no domain named \"%s\"", backend[i][v]);
            if (b == i)
                return bad(&p, vnode, "backend: %s is the frontend itself", backend[i][v]);
            if (!cfg->domain[b].driver)
                return bad(&p, vnode, "backend: %s is not a driver domain", backend[i][v]);
            d->vdev[v].backend = b;
        }
    }
    return 0;
}

int bootcfg_check_memory(const struct bootcfg *cfg, unsigned long free_pages,
                         unsigned long min_pages, char *err, size_t errlen)
{
    unsigned long total = 0;

    for (unsigned int i = 0; i < cfg->nr_domains; i++) {
        const struct bootcfg_domain *d = &cfg->domain[i];
        unsigned long pages = (unsigned long)(d->memory_kib / 4);
        if (pages < min_pages) {
            snprintf(err, errlen, "/chosen/%s: memory: %lu KiB is below the %lu KiB minimum",
                     d->name, (unsigned long)d->memory_kib, min_pages * 4);
            return -ENOMEM;
        }
        if (d->memory_kib > (uint64_t)free_pages * 4 || pages > free_pages - total) {
            snprintf(err, errlen,
                     "/chosen/%s: memory: %lu KiB does not fit (%lu KiB free for "
                     "it after the domains before)",
                     d->name, (unsigned long)d->memory_kib, (free_pages - total) * 4);
            return -ENOMEM;
        }
        total += pages;
    }
    return 0;
}

/* fdt_property_u32 etc. return 0 or a negative libfdt error; chain them. */
#define TRY(x)                                                                                     \
    do {                                                                                           \
        int rc_ = (x);                                                                             \
        if (rc_ < 0)                                                                               \
            return rc_;                                                                            \
    } while (0)

static int property_u64(void *fdt, const char *name, uint64_t v)
{
    fdt32_t cells[2] = {cpu_to_fdt32((uint32_t)(v >> 32)), cpu_to_fdt32((uint32_t)v)};
    return fdt_property(fdt, name, cells, sizeof(cells));
}

/* The properties both ends of a device share. */
static int vdev_common(void *fdt, const struct bootcfg_vdev *v, const struct bootcfg_vdev_wiring *w)
{
    if (v->type == BOOTCFG_VIF) {
        TRY(fdt_property_u32(fdt, "tx-ring-ref", w->ring_ref[0]));
        TRY(fdt_property_u32(fdt, "rx-ring-ref", w->ring_ref[1]));
        TRY(fdt_property(fdt, "mac", v->mac, sizeof(v->mac)));
    } else {
        TRY(fdt_property_u32(fdt, "ring-ref", w->ring_ref[0]));
        /* The backend fills in the real size when it connects (io/blkif.h "sectors"). */
        TRY(fdt_property_u32(fdt, "sector-size", 512));
        TRY(property_u64(fdt, "sectors", v->nr_sectors));
        if (v->read_only)
            TRY(fdt_property(fdt, "read-only", NULL, 0));
    }
    TRY(fdt_property_u32(fdt, "control-ref", w->control_ref));
    TRY(fdt_property_u32(fdt, "control-offset", w->control_offset));
    TRY(fdt_property_u32(fdt, "event-channel", w->port));
    return 0;
}

/* The frontend's own view: which of its pages hold the rings and the control page. */
static int vdev_frontend_pages(void *fdt, const struct bootcfg_vdev *v,
                               const struct bootcfg_vdev_wiring *w)
{
    if (v->type == BOOTCFG_VIF) {
        TRY(property_u64(fdt, "tx-ring-pfn", w->ring_pfn[0]));
        TRY(property_u64(fdt, "rx-ring-pfn", w->ring_pfn[1]));
    } else {
        TRY(property_u64(fdt, "ring-pfn", w->ring_pfn[0]));
    }
    TRY(property_u64(fdt, "control-pfn", w->control_pfn));
    return 0;
}

int bootcfg_domain_tree(const struct bootcfg *cfg, unsigned int index,
                        const struct bootcfg_wiring *w, void *buf, size_t size)
{
    static const struct bootcfg_vdev_wiring none;
    const struct bootcfg_domain *d = &cfg->domain[index];
    char name[BOOTCFG_NAME_LEN + 16];

    if (size > 0x7fffffff || index >= cfg->nr_domains)
        return -FDT_ERR_BADVALUE;
    TRY(fdt_create(buf, (int)size));
    TRY(fdt_finish_reservemap(buf));
    TRY(fdt_begin_node(buf, ""));
    TRY(fdt_property_string(buf, "compatible", "mica,domain"));
    TRY(fdt_property_string(buf, "name", d->name));
    TRY(fdt_property_u32(buf, "domid", d->domid));
    if (d->driver)
        TRY(fdt_property(buf, "mica,driver-domain", NULL, 0));

    /* This domain's frontends. */
    TRY(fdt_begin_node(buf, "devices"));
    for (unsigned int v = 0; v < d->nr_vdevs; v++) {
        const struct bootcfg_vdev *vd = &d->vdev[v];
        TRY(fdt_begin_node(buf, vd->name));
        TRY(fdt_property_string(buf, "compatible",
                                vd->type == BOOTCFG_VIF ? "mica,vif-frontend"
                                                        : "mica,vbd-frontend"));
        TRY(fdt_property_u32(buf, "backend-id", cfg->domain[vd->backend].domid));
        TRY(vdev_common(buf, vd, w ? &w->vdev[index][v] : &none));
        TRY(vdev_frontend_pages(buf, vd, w ? &w->vdev[index][v] : &none));
        TRY(fdt_end_node(buf));
    }
    TRY(fdt_end_node(buf));

    /* The devices it serves as a backend. */
    if (d->driver) {
        TRY(fdt_begin_node(buf, "backends"));
        for (unsigned int f = 0; f < cfg->nr_domains; f++) {
            const struct bootcfg_domain *fd = &cfg->domain[f];
            for (unsigned int v = 0; v < fd->nr_vdevs; v++) {
                const struct bootcfg_vdev *vd = &fd->vdev[v];
                if (vd->backend != index)
                    continue;
                snprintf(name, sizeof(name), "%s-d%u-%u", vd->type == BOOTCFG_VIF ? "vif" : "vbd",
                         fd->domid, v);
                TRY(fdt_begin_node(buf, name));
                TRY(fdt_property_string(buf, "compatible",
                                        vd->type == BOOTCFG_VIF ? "mica,vif-backend"
                                                                : "mica,vbd-backend"));
                TRY(fdt_property_u32(buf, "frontend-id", fd->domid));
                TRY(fdt_property_string(buf, "frontend", fd->name));
                if (vd->type == BOOTCFG_VBD) {
                    TRY(fdt_property_u32(buf, "disk", vd->disk));
                    TRY(property_u64(buf, "start-sector", vd->start_sector));
                }
                TRY(vdev_common(buf, vd, w ? &w->vdev[f][v] : &none));
                TRY(fdt_end_node(buf));
            }
        }
        TRY(fdt_end_node(buf));
    }
    TRY(fdt_end_node(buf));
    TRY(fdt_finish(buf));
    return (int)fdt_totalsize(buf);
}
