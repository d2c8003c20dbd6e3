/* mica's boot sequence: from the multiboot hand-over to the first domain (or power-off). */
#include <arch/acpi.h>
#include <arch/desc.h>
#include <arch/layout.h>
#include <arch/paging.h>
#include <arch/platform.h>
#include <arch/time.h>
#include <arch/traps.h>
#include <mica/cmdline.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/memmap.h>
#include <mica/multiboot.h>
#include <mica/panic.h>
#include <mica/string.h>

#define MAX_MODULES 16
#define MiB (1UL << 20)

/* Command-line settings (Xen's names where Xen has the option). */
static char opt_console[64] = "com1";
static char opt_loglvl[32] = "info";
static uint64_t opt_dom0_mem; /* bytes; 0 = the default */
static char opt_debug_fault[16]; /* test-only: make the hypervisor fault on purpose */

static const struct cmdline_option hv_options[] = {
    CMDLINE_OPT_STRING("console", opt_console),
    CMDLINE_OPT_STRING("loglvl", opt_loglvl),
    CMDLINE_OPT_SIZE("dom0_mem", &opt_dom0_mem),
    CMDLINE_OPT_STRING("debug_fault", opt_debug_fault),
};

static struct memmap boot_memmap;

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
        rc = rc ?: memmap_reserve(&boot_memmap, mods,
                                  mods + mbi->mods_count * sizeof(struct multiboot_module));
        for (unsigned int i = 0; i < nr_modules; i++) {
            paddr_t str = (paddr_t)(modules[i].string - (const char *)maddr_to_virt(0));
            if (modules[i].string[0])
                rc = rc ?: memmap_reserve(&boot_memmap, str, str + strlen(modules[i].string) + 1);
        }
    }
    if (rc)
        panic("memory map too fragmented to reserve boot data: error %d", rc);

    memmap_summary(&boot_memmap, &s);
    paging_init(s.ram_end, early_alloc_frame);
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
        modules[nr_modules++] = (struct boot_module){m[i].mod_start, m[i].mod_end,
                                                     mb_string(m[i].string)};
    }
}

static void list_modules(void)
{
    for (unsigned int i = 0; i < nr_modules; i++)
        printk("mica: module %u: %#010lx-%#010lx (%lu bytes) \"%s\"\n", i, modules[i].start,
               modules[i].end, modules[i].end - modules[i].start, modules[i].string);
}

static void timer_selftest_fired(void)
{
}

/* Prove the LAPIC timer interrupts: a 1 ms one-shot, waited for with hlt. */
static void timer_selftest(void)
{
    const uint64_t want = 1000000;
    uint64_t t0 = now_ns(), t1;

    lapic_timer_oneshot(want, timer_selftest_fired);
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    t1 = now_ns();
    printk("mica: LAPIC timer: one-shot of %lu ns fired after %lu ns\n", want, t1 - t0);
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
    timer_selftest();

    printk("mica: memory: %lu MiB usable in %u ranges, highest address %#lx\n",
           s.ram_bytes / MiB, s.nr_ram, s.ram_end);
    list_modules();
    if (!nr_modules) {
        printk("mica: no dom0 kernel module; nothing to run\n");
        printk("mica: power off (clean)\n");
        machine_power_off(true);
    }
    printk("mica: no domain builder yet: cannot start module 0 as dom0\n");
    printk("mica: power off (clean)\n");
    machine_power_off(true);
}
