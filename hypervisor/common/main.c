/* mica's boot sequence: from the multiboot hand-over to the first domain (or power-off). */
#include <arch/acpi.h>
#include <arch/irq.h> /* issue 9 */
#include <arch/pci.h> /* issue 9 */
#include <arch/desc.h>
#include <arch/guest.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/platform.h>
#include <arch/time.h>
#include <arch/traps.h>
#include <mica/bootcfg.h> /* boot configurations (issue 9) */
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/domain.h>
#include <mica/errno.h>
#include <mica/heap.h>
#include <mica/keyhandler.h> /* debug keys and tracing (issue 8) */
#include <mica/memmap.h>
#include <mica/multiboot.h>
#include <mica/panic.h>
#include <mica/pv_domain.h>
#include <mica/string.h>
#include <mica/time.h>
#include <mica/timer.h>
#include <mica/wiring.h>
#include <mica/trace.h>

#define MAX_MODULES 16
#define MiB         (1UL << 20)

/* Command-line settings (Xen's names where Xen has the option). */
static char opt_console[64] = "com1";
static char opt_loglvl[32] = "info";
/* dom0_mem=[min:N,][max:N,]N in Xen's spelling; mica sizes dom0 by the plain N. */
struct dom0_mem {
    uint64_t amount, min, max; /* bytes; 0 = not given */
};
static struct dom0_mem opt_dom0_mem;
static char opt_debug_fault[16]; /* test-only: make the hypervisor fault on purpose */
/* Until boot configurations exist: run N unprivileged copies of dom0's kernel (d1..dN). */
static uint64_t opt_domu_copies;
static uint64_t opt_domu_mem = 32UL << 20; /* bytes each */
/* With domu_copies: wire each copy to dom0 with a shared ring (wiring.c), frontend d1..dN,
   backend dom0, until boot configurations describe devices. */
static bool opt_domu_rings;
/* console_to=N: the domain holding serial input first (console_input.c reads the value). */
static uint64_t opt_console_to;

static int parse_dom0_mem(const char *value, bool negated, void *var)
{
    struct dom0_mem m = {0};
    char part[32];

    if (!value || negated)
        return -EINVAL;
    while (*value) {
        const char *comma = strchr(value, ',');
        size_t len = comma ? (size_t)(comma - value) : strlen(value);
        uint64_t *dst = &m.amount;
        if (len >= sizeof(part))
            return -E2BIG;
        memcpy(part, value, len);
        part[len] = 0;
        char *p = part;
        if (!strncmp(p, "min:", 4))
            dst = &m.min, p += 4;
        else if (!strncmp(p, "max:", 4))
            dst = &m.max, p += 4;
        int rc = cmdline_parse_size(p, dst);
        if (rc)
            return rc;
        value += len;
        if (*value == ',')
            value++;
    }
    *(struct dom0_mem *)var = m;
    return 0;
}

static const struct cmdline_option hv_options[] = {
    CMDLINE_OPT_STRING("console", opt_console),
    CMDLINE_OPT_STRING("loglvl", opt_loglvl),
    CMDLINE_OPT_CUSTOM("dom0_mem", parse_dom0_mem, &opt_dom0_mem),
    CMDLINE_OPT_STRING("debug_fault", opt_debug_fault),
    CMDLINE_OPT_UINT("domu_copies", &opt_domu_copies),
    CMDLINE_OPT_SIZE("domu_mem", &opt_domu_mem),
    CMDLINE_OPT_BOOL("domu_rings", &opt_domu_rings),
    CMDLINE_OPT_UINT("console_to", &opt_console_to),
    /* The trace buffer (issue 8, <mica/trace.h>): trace=on, trace_size=N records. */
    CMDLINE_OPT_BOOL("trace", &opt_trace),
    CMDLINE_OPT_UINT("trace_size", &opt_trace_size),
    CMDLINE_OPT_BOOL("trace_dump_at_exit", &opt_trace_dump_at_exit),
};

static struct memmap boot_memmap;
static const char *hv_cmdline = "";

/** The hypervisor's command line as the loader gave it (image name removed). */
const char *hv_command_line(void);
const char *hv_command_line(void)
{
    return hv_cmdline;
}

/* A module as the loader placed it. */
struct boot_module {
    paddr_t start, end; /* [start, end), bytes */
    const char *string; /* the loader's string: file name and arguments */
};
static struct boot_module modules[MAX_MODULES];
static unsigned int nr_modules;

void start_mica(uint32_t mbi_pa);

static void report_option(const char *name, const char *value, int err, void *ctx)
{
    printk_warn("mica: %s '%s'%s%s%s\n", cmdline_strerror(err), name, value ? " (value '" : "",
                value ? value : "", value ? "')" : "");
}

static const char *mb_string(uint32_t pa)
{
    return pa ? maddr_to_virt(pa) : "";
}

static void parse_command_line(const struct multiboot_info *mbi)
{
    const char *cmdline = (mbi->flags & MBI_FLAG_CMDLINE) ? mb_string(mbi->cmdline) : "";

    /* Multiboot loaders put the image's own name first; Xen skips it too (cmdline_cook). */
    while (*cmdline == ' ')
        cmdline++;
    while (*cmdline && *cmdline != ' ')
        cmdline++;
    while (*cmdline == ' ')
        cmdline++;

    /* First pass for the console alone, so the rest can be reported where the user asked. */
    hv_cmdline = cmdline;
    cmdline_parse(cmdline, hv_options, 2, NULL, NULL);
    if (console_set_devices(opt_console))
        printk_warn("mica: unknown console device in 'console=%s'; using com1\n", opt_console);
    if (console_set_loglvl(opt_loglvl))
        printk_warn("mica: unknown log level 'loglvl=%s'\n", opt_loglvl);
    printk("mica: hypervisor booting\n");
    printk("mica: command line: %s\n", cmdline);
    cmdline_parse(cmdline, hv_options, ARRAY_SIZE(hv_options), report_option, NULL);
}

/* Frames for page tables before the frame allocator exists: taken off the top of the
   highest RAM region below 4 GiB (which the boot page tables direct-map), zeroed. */
static paddr_t early_alloc_frame(void)
{
    for (int i = (int)boot_memmap.nr - 1; i >= 0; i--) {
        const struct memmap_region *r = &boot_memmap.region[i];
        if (r->type != MEMMAP_RAM || r->start >= (4UL << 30))
            continue;
        paddr_t end = MIN(r->end, 4UL << 30);
        if (end - r->start < PAGE_SIZE)
            continue;
        paddr_t pa = end - PAGE_SIZE;
        if (memmap_reserve(&boot_memmap, pa, pa + PAGE_SIZE))
            return 0;
        memset(maddr_to_virt(pa), 0, PAGE_SIZE);
        return pa;
    }
    return 0;
}

/* Page-table frames once the frame allocator runs. */
static paddr_t heap_alloc_pt_frame(void)
{
    mfn_t mfn;
    return alloc_hv_page(&mfn, DOMID_XEN) ? (paddr_t)mfn << PAGE_SHIFT : 0;
}

static void memory_init(const struct multiboot_info *mbi, uint32_t mbi_pa)
{
    extern uint8_t __bss_end[];
    struct memmap_summary s;
    int rc;

    if (!(mbi->flags & MBI_FLAG_MMAP))
        panic("the boot loader gave no memory map (multiboot flag 6)");
    memmap_init(&boot_memmap);
    rc = memmap_add_multiboot(&boot_memmap, maddr_to_virt(mbi->mmap_addr), mbi->mmap_length);
    if (!rc)
        rc = memmap_build(&boot_memmap);
    if (rc)
        panic("cannot use the boot loader's memory map: error %d", rc);
    /* Sized before reservations lower the top of RAM. */
    memmap_summary(&boot_memmap, &s);

    /* Never hand out firmware, boot data, module or hypervisor memory. */
    rc = memmap_reserve(&boot_memmap, 0, MiB);
    rc = rc ?: memmap_reserve(&boot_memmap, HV_PHYS_START, virt_to_maddr(__bss_end));
    rc = rc ?: memmap_reserve(&boot_memmap, mbi_pa, mbi_pa + sizeof(*mbi));
    rc = rc ?: memmap_reserve(&boot_memmap, mbi->mmap_addr, mbi->mmap_addr + mbi->mmap_length);
    if (mbi->flags & MBI_FLAG_CMDLINE)
        rc = rc ?: memmap_reserve(&boot_memmap, mbi->cmdline, mbi->cmdline + PAGE_SIZE);
    for (unsigned int i = 0; i < nr_modules; i++)
        rc = rc ?: memmap_reserve(&boot_memmap, modules[i].start, modules[i].end);
    if (mbi->flags & MBI_FLAG_MODS) {
        paddr_t mods = mbi->mods_addr;
        rc = rc
                 ?: memmap_reserve(&boot_memmap, mods,
                                   mods + mbi->mods_count * sizeof(struct multiboot_module));
        for (unsigned int i = 0; i < nr_modules; i++) {
            paddr_t str = (paddr_t)(modules[i].string - (const char *)maddr_to_virt(0));
            if (modules[i].string[0])
                rc = rc ?: memmap_reserve(&boot_memmap, str, str + strlen(modules[i].string) + 1);
        }
    }
    if (rc)
        panic("memory map too fragmented to reserve boot data: error %d", rc);

    paging_init(s.ram_end, early_alloc_frame);
    heap_init(&boot_memmap, s.ram_end);
    paging_set_allocator(heap_alloc_pt_frame);
}

static void collect_modules(const struct multiboot_info *mbi)
{
    if (!(mbi->flags & MBI_FLAG_MODS))
        return;
    const struct multiboot_module *m = maddr_to_virt(mbi->mods_addr);
    if (mbi->mods_count > MAX_MODULES)
        panic("%u boot modules; mica takes at most %u", mbi->mods_count, MAX_MODULES);
    for (unsigned int i = 0; i < mbi->mods_count; i++) {
        if (m[i].mod_end < m[i].mod_start)
            panic("boot module %u ends (%#x) before it starts (%#x)", i, m[i].mod_end,
                  m[i].mod_start);
        modules[nr_modules++] =
            (struct boot_module){m[i].mod_start, m[i].mod_end, mb_string(m[i].string)};
    }
}

static void list_modules(void)
{
    for (unsigned int i = 0; i < nr_modules; i++)
        printk("mica: module %u: %#010lx-%#010lx (%lu bytes) \"%s\"\n", i, modules[i].start,
               modules[i].end, modules[i].end - modules[i].start, modules[i].string);
}

static volatile bool selftest_fired;

static void timer_selftest_fired(void *data)
{
    selftest_fired = true;
}

/* Prove the LAPIC timer interrupts: a 1 ms timer, waited for with hlt. */
static void timer_selftest(void)
{
    const uint64_t want = 1000000;
    uint64_t t0 = now_ns(), t1;
    struct timer t;

    timer_init(&t, timer_selftest_fired, NULL);
    timer_set(&t, t0 + want);
    while (!selftest_fired)
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    t1 = now_ns();
    printk("mica: LAPIC timer: one-shot of %lu ns fired after %lu ns\n", want, t1 - t0);
}

/* The module string is "file-name arguments"; the kernel's command line is the arguments. */
static const char *module_args(const char *string)
{
    while (*string && *string != ' ')
        string++;
    while (*string == ' ')
        string++;
    return string;
}

/* dom0's size: dom0_mem= if given, else all free memory but a reserve for the hypervisor
   (1/16 of it, at most 128 MiB), as Xen reserves some for itself. */
static unsigned long dom0_pages(void)
{
    unsigned long free = heap_free_frames();
    unsigned long reserve = MIN(free / 16, (128 * MiB) >> PAGE_SHIFT);

    if (opt_dom0_mem.amount)
        return opt_dom0_mem.amount >> PAGE_SHIFT;
    return free - reserve;
}

static __noreturn void start_dom0(void)
{
    struct domain *d0;
    const struct pv_domain_config cfg = {
        .domid = 0,
        .privileged = true,
        .kernel = maddr_to_virt(modules[0].start),
        .kernel_len = modules[0].end - modules[0].start,
        .module = nr_modules > 1 ? maddr_to_virt(modules[1].start) : NULL,
        .module_len = nr_modules > 1 ? modules[1].end - modules[1].start : 0,
        .cmdline = module_args(modules[0].string),
        .nr_pages = dom0_pages(),
        .nr_vcpus = 1,
    };

    if (opt_domu_copies >= MAX_DOMAINS)
        panic("domu_copies=%lu: at most %u domains in all", opt_domu_copies, MAX_DOMAINS);
    if (nr_modules > 2)
        printk_warn("mica: modules 2-%u ignored: without a boot configuration only dom0's "
                    "kernel and initrd are used\n",
                    nr_modules - 1);
    if (pv_domain_build(&cfg, &d0))
        panic("could not build dom0 from module 0");
    pci_assign_hardware_domain(d0); /* issue 9: dom0 gets every other function, as on Xen */
    for (unsigned int i = 1; i <= opt_domu_copies; i++) {
        struct domain *du;
        struct pv_domain_config ucfg = cfg;
        ucfg.domid = (domid_t)i;
        ucfg.privileged = false;
        ucfg.nr_pages = opt_domu_mem >> PAGE_SHIFT;
        if (pv_domain_build(&ucfg, &du))
            panic("could not build d%u from module 0", i);
        struct ring_wiring w;
        if (opt_domu_rings && wire_ring(du, d0, &w))
            panic("could not wire d%u to d0", i);
    }
    printk("mica: starting d0%s\n", opt_domu_copies ? " and its copies" : "");
    schedule();
}

void start_mica(uint32_t mbi_pa)
{
    const struct multiboot_info *mbi = maddr_to_virt(mbi_pa);
    struct memmap_summary s;
    struct acpi_madt_info madt;

    console_init();
    cpu_desc_init();
    parse_command_line(mbi);
    if (opt_debug_fault[0] && debug_fault_trigger(opt_debug_fault))
        printk_warn("mica: unknown debug_fault '%s' (pf, ud, gp, de, panic, hang)\n",
                    opt_debug_fault);

    collect_modules(mbi);
    memory_init(mbi, mbi_pa);
    memmap_summary(&boot_memmap, &s);
    if (acpi_find_madt(&madt))
        printk_warn("mica: no ACPI MADT; assuming the LAPIC at %#lx and one I/O APIC at %#lx\n",
                    madt.lapic_address, madt.ioapic[0].address);
    time_init(madt.lapic_address);
    ioapic_mask_all(&madt);
    irq_init(&madt); /* issue 9: device interrupts as pirqs */
    pci_init();      /* issue 9: enumerate PCI, mica keeps the host and LPC bridges */
    timer_selftest();
    wallclock_init();
    cpu_guest_init();
    trace_boot();      /* issue 8: trace=on */
    keyhandler_init(); /* issue 8: debug keys on the serial console */

    printk("mica: memory: %lu MiB usable in %u ranges, highest address %#lx\n", s.ram_bytes / MiB,
           s.nr_ram, s.ram_end);
    list_modules();
    if (!nr_modules) {
        printk("mica: no dom0 kernel module; nothing to run\n");
        printk("mica: power off (clean)\n");
        machine_power_off(true);
    }
    /* A flattened device tree as module 0 is a boot configuration (bootcfg.h). */
    if (bootcfg_is_fdt(maddr_to_virt(modules[0].start), modules[0].end - modules[0].start)) {
        static struct bootcfg_module m[MAX_MODULES];
        for (unsigned int i = 0; i < nr_modules; i++)
            m[i] = (struct bootcfg_module){maddr_to_virt(modules[i].start),
                                           modules[i].end - modules[i].start};
        bootcfg_start(m, nr_modules);
    }
    start_dom0();
}
