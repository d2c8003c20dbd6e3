/*
 * probe.h — helpers shared by the fidelity probes tests/guests/probe_*.c.
 *
 * A probe runs as dom0 on Xen 4.17 and on mica; tests/system/compare-probe.sh
 * diffs what the two print. Each check prints one line
 *
 *     PROBE_NAME: <the call and its arguments> = <result>
 *
 * where a negative result is printed with its Xen error name, e.g.
 * "= -14 (EFAULT)" (xen/errno.h). The last line of a probe is "probe: done":
 * the comparison demands it on both systems, so a probe that stopped early
 * (a crash, a hang) fails.
 *
 * Header only: tests/guests/guests.mk builds every tests/guests/NAME.c as a
 * probe of its own. Define PROBE_NAME (a string) before including this file.
 */
#ifndef TESTS_GUESTS_PROBE_H
#define TESTS_GUESTS_PROBE_H

#include <stdint.h>
#include <stdio.h>

#include <arch/page.h>
#include <pvguest/boot.h>
#include <pvguest/console.h>
#include <pvguest/hypercall.h>

#ifndef PROBE_NAME
#error "define PROBE_NAME before including probe.h"
#endif

/** Where the guest kernel is linked and the domain builder maps pfn 0 (pvguest.lds). */
#define PROBE_VIRT_BASE 0xffffffff80000000UL

/** One result line "PROBE_NAME: ...", written with a single console_io call (unbuffered). */
#define P(fmt, ...) printk(PROBE_NAME ": " fmt "\n", ##__VA_ARGS__)

/**
 * Name of Xen error number `e` (positive, as in xen/errno.h), or NULL if it
 * is not one. The list is Xen's own: the header expands XEN_ERRNO for each.
 */
static inline const char *probe_errname(long e)
{
    static const struct {
        long value;
        const char *name;
    } names[] = {
#define XEN_ERRNO(name, value) {value, #name},
#include <xen/errno.h>
    };

    /* Two names share a value (EAGAIN/EWOULDBLOCK, EDEADLK/EDEADLOCK): the first wins. */
    for (unsigned int i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (names[i].value == e)
            return names[i].name;
    }
    return NULL;
}

/**
 * A hypercall result as text: the decimal value, and for a negative value
 * that is a Xen error its name, "-14 (EFAULT)". Uses one of 8 static
 * buffers in turn, so up to 8 results may appear in one P() call.
 */
static inline const char *rc_str(long rc)
{
    static char bufs[8][40];
    static unsigned int next;
    char *b = bufs[next++ % 8];
    const char *name = rc < 0 ? probe_errname(-rc) : NULL;

    if (name)
        snprintf(b, sizeof(bufs[0]), "%ld (%s)", rc, name);
    else
        snprintf(b, sizeof(bufs[0]), "%ld", rc);
    return b;
}

/** The final line every probe prints; the comparison demands it on both systems. */
static inline void probe_done(void)
{
    printk("probe: done\n");
}

/**
 * Hypercall `nr` issued with a bare `syscall` from guest kernel mode, as the
 * hypercall page's stubs do (arch-x86/xen-x86_64.h), for numbers the
 * 128-stub hypercall page has no slot for. The full 64-bit `nr` goes in
 * %rax. Returns %rax as the hypervisor left it.
 */
static inline long raw_hypercall2(unsigned long nr, unsigned long a1, unsigned long a2)
{
    register unsigned long rdi __asm__("rdi") = a1;
    register unsigned long rsi __asm__("rsi") = a2;
    register unsigned long rdx __asm__("rdx") = 0;
    register unsigned long r10 __asm__("r10") = 0;
    register unsigned long r8 __asm__("r8") = 0;
    long ret;

    __asm__ volatile("syscall"
                     : "=a"(ret), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10), "+r"(r8)
                     : "a"(nr)
                     : "memory", "rcx", "r11");
    return ret;
}

/* ---- The guest's own page tables, read through their read-only mappings. ---- */

/** PFN of machine frame `mfn` from the read-only M2P table (arch-x86/xen-x86_64.h). */
static inline unsigned long probe_mfn_to_pfn(unsigned long mfn)
{
    return machine_to_phys_mapping[mfn];
}

/** MFN of pseudo-physical frame `pfn` from the p2m list (start_info->mfn_list). */
static inline unsigned long probe_pfn_to_mfn(unsigned long pfn)
{
    return ((const unsigned long *)start_info->mfn_list)[pfn];
}

/**
 * Virtual address of the page-table frame `mfn` in the initial mapping (the
 * bootstrap tables are all inside it, at VIRT_BASE + PFN * 4096), or NULL
 * if its PFN is outside the domain.
 */
static inline const uint64_t *probe_table_va(unsigned long mfn)
{
    unsigned long pfn = probe_mfn_to_pfn(mfn);

    if (pfn >= start_info->nr_pages)
        return NULL;
    return (const uint64_t *)(PROBE_VIRT_BASE + (pfn << PAGE_SHIFT));
}

/**
 * The leaf entry mapping `va` in the current (bootstrap) page tables: the L1
 * entry, or an L2/L3 entry with PSE. Returns 0 if `va` is not mapped.
 * Walks from start_info->pt_base (the L4, mapped read-only).
 */
static inline uint64_t probe_leaf_pte(unsigned long va)
{
    const uint64_t *table = (const uint64_t *)start_info->pt_base;

    for (int level = 4; level >= 1; level--) {
        uint64_t e = table[(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511];

        if (!(e & _PAGE_PRESENT))
            return 0;
        if (level == 1 || (level <= 3 && (e & _PAGE_PSE)))
            return e;
        table = probe_table_va((e & PTE_FRAME_MASK) >> PAGE_SHIFT);
        if (!table)
            return 0;
    }
    return 0;
}

/**
 * End (exclusive) of the initial mapping that starts at VIRT_BASE: the first
 * page above VIRT_BASE with no mapping, searched up to 1 GiB.
 */
static inline unsigned long probe_mapping_end(void)
{
    unsigned long va = PROBE_VIRT_BASE;

    while (va < PROBE_VIRT_BASE + (1UL << 30) && probe_leaf_pte(va))
        va += PAGE_SIZE;
    return va;
}

#endif /* TESTS_GUESTS_PROBE_H */
