/* Reading the builder's device tree (see devtree.h). */
#include <ctype.h>
#include <inttypes.h>
#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include <pvguest/boot.h>
#include <pvguest/devtree.h>
#include <pvguest/sched.h>

/*
 * Entry @i of the boot module's list (xen.h SIF_MULTIBOOT_MOD: struct xen_multiboot_mod_list
 * at the module's start, addresses relative to it; the builder puts the tree first, the initrd
 * second), checked against the module's length. NULL if there is no such list or entry, or
 * the module is in PFNs of its own (SIF_MOD_START_PFN: not mapped; a tree is never that large).
 */
static const uint8_t *module_entry(unsigned int i, size_t *len)
{
    const uint8_t *mod = (const uint8_t *)start_info->mod_start;
    size_t mod_len = start_info->mod_len;
    const struct xen_multiboot_mod_list *list = (const void *)mod;

    if (!mod || !(start_info->flags & SIF_MULTIBOOT_MOD) ||
        (start_info->flags & SIF_MOD_START_PFN) || mod_len < (i + 1) * sizeof(*list) ||
        list[i].mod_start == 0 || list[i].mod_end < list[i].mod_start || list[i].mod_end >= mod_len)
        return NULL;
    *len = list[i].mod_end - list[i].mod_start + 1;
    return mod + list[i].mod_start;
}

const void *devtree_get(size_t *len)
{
    const uint8_t *mod = (const uint8_t *)start_info->mod_start;
    size_t mod_len = start_info->mod_len;

    if (start_info->flags & SIF_MULTIBOOT_MOD)
        mod = module_entry(0, &mod_len);
    else if (start_info->flags & SIF_MOD_START_PFN)
        return NULL;
    if (!mod || mod_len < sizeof(struct fdt_header) || fdt_magic(mod) != FDT_MAGIC ||
        fdt_totalsize(mod) > mod_len)
        return NULL;
    *len = fdt_totalsize(mod);
    return mod;
}

const void *devtree_initrd(size_t *len)
{
    return module_entry(1, len);
}

/* A one- or two-cell property of @node, or ~0UL. */
static unsigned long get_ulong(const void *fdt, int node, const char *name)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
    if (v && len == 4)
        return fdt32_to_cpu(v[0]);
    if (v && len == 8)
        return (unsigned long)fdt32_to_cpu(v[0]) << 32 | fdt32_to_cpu(v[1]);
    return ~0UL;
}

int devtree_device_pfns(unsigned long *pfns, int max)
{
    static const char *const names[] = {"ring-pfn", "tx-ring-pfn", "rx-ring-pfn", "control-pfn"};
    size_t len;
    const void *fdt = devtree_get(&len);
    int node, n = 0;

    if (!fdt || fdt_check_header(fdt))
        return 0;
    int devices = fdt_path_offset(fdt, "/devices");
    if (devices < 0)
        return 0;
    fdt_for_each_subnode(node, fdt, devices)
    {
        for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            unsigned long pfn = get_ulong(fdt, node, names[i]);
            int seen = pfn == ~0UL;
            for (int j = 0; j < n && j < max && !seen; j++)
                seen = pfns[j] == pfn;
            if (seen)
                continue;
            if (n < max)
                pfns[n] = pfn;
            n++;
        }
    }
    return n;
}

/* Whether property value @v (@len bytes) is one or more printable NUL-terminated strings. */
static int is_strings(const char *v, int len)
{
    if (len <= 0 || v[len - 1] || !v[0])
        return 0;
    for (int i = 0; i < len; i++)
        if (v[i] ? !isprint((unsigned char)v[i]) : i > 0 && !v[i - 1])
            return 0;
    return 1;
}

/* One property as dtc would write it: strings, <cells> or [bytes]. */
static void print_prop(const char *path, const char *name, const void *val, int len)
{
    char text[160];
    size_t n = 0;
    const uint8_t *b = val;

    text[0] = 0;
    if (len == 0) {
        snprintf(text, sizeof(text), "(empty)");
    } else if (is_strings(val, len)) {
        for (const char *s = val; s < (const char *)val + len && n < sizeof(text);
             s += strlen(s) + 1)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"%s\"", n ? ", " : "", s);
    } else if (len % 4 == 0) {
        n += (size_t)snprintf(text, sizeof(text), "<");
        for (int i = 0; i < len && n < sizeof(text); i += 4)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%#" PRIx32, i ? " " : "",
                                  fdt32_ld((const fdt32_t *)(b + i)));
        if (n < sizeof(text))
            snprintf(text + n, sizeof(text) - n, ">");
    } else {
        n += (size_t)snprintf(text, sizeof(text), "[");
        for (int i = 0; i < len && n < sizeof(text); i++)
            n += (size_t)snprintf(text + n, sizeof(text) - n, "%s%02x", i ? " " : "", b[i]);
        if (n < sizeof(text))
            snprintf(text + n, sizeof(text) - n, "]");
    }
    printf("pvguest: devtree: %s %s = %s\n", path, name, text);
}

/* A u32 property of @node, or @dflt. */
static uint32_t get_u32(const void *fdt, int node, const char *name, uint32_t dflt)
{
    int len;
    const fdt32_t *v = fdt_getprop(fdt, node, name, &len);
    return v && len == 4 ? fdt32_to_cpu(*v) : dflt;
}

int devtree_selftest(void)
{
    size_t len;
    const void *fdt = devtree_get(&len);
    char path[128];
    int node, depth = 0, devices = 0, backends = 0;

    if (!fdt) {
        printf("pvguest: devtree: no device tree in the boot module (mod_start %#lx, mod_len "
               "%lu, flags %#lx)\n",
               (unsigned long)start_info->mod_start, (unsigned long)start_info->mod_len,
               (unsigned long)start_info->flags);
        printf("pvguest: devtree: FAIL\n");
        return 1;
    }
    int rc = fdt_check_full(fdt, len);
    if (rc) {
        printf("pvguest: devtree: libfdt rejects the tree: %s\n", fdt_strerror(rc));
        printf("pvguest: devtree: FAIL\n");
        return 1;
    }
    printf("pvguest: devtree: %zu bytes%s\n", len,
           start_info->flags & SIF_MULTIBOOT_MOD ? " (first of a module list)" : "");
    if (start_info->flags & SIF_MULTIBOOT_MOD) {
        const struct xen_multiboot_mod_list *list = (const void *)start_info->mod_start;
        for (unsigned int i = 0;
             (i + 1) * sizeof(*list) <= start_info->mod_len && list[i].mod_start; i++)
            printf("pvguest: devtree: module list entry %u: %" PRIu32 " bytes at offset %#" PRIx32
                   "\n",
                   i, list[i].mod_end - list[i].mod_start + 1, list[i].mod_start);
    }
    for (node = 0; node >= 0; node = fdt_next_node(fdt, node, &depth)) {
        int prop;
        if (fdt_get_path(fdt, node, path, sizeof(path)))
            snprintf(path, sizeof(path), "?");
        fdt_for_each_property_offset(prop, fdt, node)
        {
            const char *name;
            int plen;
            const void *val = fdt_getprop_by_offset(fdt, prop, &name, &plen);
            if (val)
                print_prop(path, name, val, plen);
        }
    }
    /* What a frontend and a backend driver would look for. */
    int parent = fdt_path_offset(fdt, "/devices");
    fdt_for_each_subnode(node, fdt, parent)
    {
        printf("pvguest: devtree: frontend %s: backend d%" PRIu32 ", port %" PRIu32
               ", control ref %" PRIu32 "\n",
               fdt_get_name(fdt, node, NULL), get_u32(fdt, node, "backend-id", ~0u),
               get_u32(fdt, node, "event-channel", 0), get_u32(fdt, node, "control-ref", 0));
        devices++;
    }
    parent = fdt_path_offset(fdt, "/backends");
    if (parent >= 0) {
        fdt_for_each_subnode(node, fdt, parent)
        {
            printf("pvguest: devtree: backend %s: frontend d%" PRIu32 ", port %" PRIu32 "\n",
                   fdt_get_name(fdt, node, NULL), get_u32(fdt, node, "frontend-id", ~0u),
                   get_u32(fdt, node, "event-channel", 0));
            backends++;
        }
    }
    unsigned long pfns[16];
    int nr = devtree_device_pfns(pfns, 16);
    printf("pvguest: devtree: %d page(s) taken by the wiring:", nr);
    for (int i = 0; i < nr && i < 16; i++)
        printf(" %#lx", pfns[i]);
    printf("\n");
    printf("pvguest: devtree: domid %" PRIu32 ", %d frontend(s), %d backend(s)\n",
           get_u32(fdt, 0, "domid", ~0u), devices, backends);
    if (fdt_getprop(fdt, 0, "mica,driver-domain", NULL)) {
        /* Its end is the machine's: give the guests time to print theirs. */
        sleep_ns(500 * 1000 * 1000ULL);
    }
    printf("pvguest: devtree: PASS\n");
    return 0;
}

int devtree_start_each(const char *parent, const char *compatible,
                       int (*start)(const void *fdt, int node))
{
    size_t len;
    const void *fdt = devtree_get(&len);
    int node, where, started = 0, err = 0;

    if (!fdt || fdt_check_header(fdt))
        return 0;
    where = fdt_path_offset(fdt, parent);
    if (where < 0)
        return 0;
    fdt_for_each_subnode(node, fdt, where)
    {
        if (fdt_node_check_compatible(fdt, node, compatible) != 0)
            continue;
        int rc = start(fdt, node);
        if (rc)
            err = rc;
        else
            started++;
    }
    return err ? err : started;
}
