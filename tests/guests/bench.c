/*
 * bench: microbenchmarks of the PV core (issue 8), run as dom0 on mica and on Xen 4.17 by
 * tools/mica-bench (`make bench`); docs/benchmarks.md explains each one and the method.
 *
 * Every benchmark repeats its operation in batches: the batch size is doubled until one
 * batch takes at least batch_us microseconds, then `batches` batches are timed with the TSC
 * and each batch's time per operation is converted to nanoseconds with the scale of
 * vcpu_info's time record (xen.h, struct vcpu_time_info). One line per benchmark:
 *
 *     bench: name=NAME unit=ns iters=N batches=B median=M min=m max=x
 *
 * (N operations per batch; M, m, x the median, smallest and largest time per operation
 * over the batches). A benchmark that cannot run here prints
 * "bench: skip name=NAME reason=..." and one whose hypercalls fail
 * "bench: error name=NAME what=... rc=...". The first line is
 * "bench: start hypervisor=... tsc_khz=K quick=0|1" (the host runner times the boot up to
 * it), the last "bench: done".
 *
 * Command line: batches=B (default 21), batch_us=U (default 4000), quick (batches=9,
 * batch_us=1500), only=NAME (run one benchmark; repeatable as a comma list).
 *
 * Memory the benchmarks work on (page-aligned .bss pages of this image):
 *   hook_l1    an L1 table linked into a free slot of the L2 that maps VIRT_BASE, so the
 *              2 MiB at hook_va are ours to remap (update_va_mapping, mmu_update, the
 *              writable-page-table assist); mapped read-only at its own address
 *   pin_l1     an empty L1 and full_l1 an L1 with 512 entries, for pin + unpin
 *   frame_a/b  the data frames the PTEs point at, alternately
 */
#define PROBE_NAME "bench"

#include <stdlib.h>
#include <string.h>

#include <arch/cpu.h>
#include <pvguest/cmdline.h>
#include <pvguest/events.h>
#include <pvguest/time.h>
#include <pvguest/traps.h>
#include <xen/grant_table.h>

#include "probe.h"

#define MAX_BATCHES 64
#define MAX_ITERS   (1UL << 24)
#define FAULT_VA    0x10000000UL /* lower half: no L4 entry, so every read faults */
#define DATA_PTE    (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY)
#define TABLE_RO    (_PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED)
#define L2_TABLE    (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED)
#define GREF        8 /* first grant reference past GNTTAB_NR_RESERVED_ENTRIES */

static uint8_t hook_l1_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t pin_l1_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t full_l1_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t frame_a[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t frame_b[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t gnttab_va[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t user_stack[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t kernel_stack[4 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static unsigned long hook_va; /* the 2 MiB our hook_l1 maps */
static uint64_t *hook_l1;     /* hook_l1_page, read-only */
static unsigned long hook_l1_mfn, pin_l1_mfn, full_l1_mfn;
static uint64_t pte_a, pte_b;           /* frame_a / frame_b, writable */
static struct vcpu_time_info timescale; /* tsc_to_system_mul, tsc_shift */
static unsigned int opt_batches = 21, opt_batch_us = 4000;
static char opt_only[256];

/* ---- Measurement ---- */

/** An operation run `n` times; returns 0, or the first failing hypercall's result. */
typedef long (*bench_fn)(unsigned long n);

static unsigned long mfn_of(const void *va)
{
    return probe_pfn_to_mfn(((unsigned long)va - PROBE_VIRT_BASE) >> PAGE_SHIFT);
}

static uint64_t cycles_to_ns(uint64_t cycles)
{
    return scale_tsc_delta(cycles, timescale.tsc_to_system_mul, timescale.tsc_shift);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static int selected(const char *name)
{
    if (!opt_only[0])
        return 1;
    size_t len = strlen(name);
    for (const char *p = opt_only; (p = strstr(p, name)) != NULL; p += len) {
        if ((p == opt_only || p[-1] == ',') && (p[len] == ',' || p[len] == '\0'))
            return 1;
    }
    return 0;
}

/*
 * Time `fn`: grow the batch until it lasts opt_batch_us, then time opt_batches batches.
 * Each call of fn(n) performs n * per_call operations; results are per operation.
 */
static void run(const char *name, bench_fn fn, unsigned long per_call)
{
    static double per_op[MAX_BATCHES];
    unsigned long n = 1;
    long rc;

    if (!selected(name))
        return;
    /* Warm up: the first runs of a path also pay for QEMU translating its code. */
    for (unsigned int w = 0; w < 3; w++) {
        rc = fn(n);
        if (rc != 0) {
            P("error name=%s what=warmup rc=%s", name, rc_str(rc));
            return;
        }
    }
    /* Size the batch. */
    for (;;) {
        uint64_t t0 = rdtsc();
        rc = fn(n);
        uint64_t t1 = rdtsc();
        if (rc != 0) {
            P("error name=%s what=sizing rc=%s", name, rc_str(rc));
            return;
        }
        if (cycles_to_ns(t1 - t0) >= (uint64_t)opt_batch_us * NSEC_PER_USEC || n >= MAX_ITERS)
            break;
        n *= 2;
    }
    for (unsigned int b = 0; b < opt_batches; b++) {
        uint64_t t0 = rdtsc();
        rc = fn(n);
        uint64_t t1 = rdtsc();
        if (rc != 0) {
            P("error name=%s what=batch rc=%s", name, rc_str(rc));
            return;
        }
        per_op[b] = (double)cycles_to_ns(t1 - t0) / ((double)n * (double)per_call);
    }
    qsort(per_op, opt_batches, sizeof(per_op[0]), cmp_double);
    P("name=%s unit=ns iters=%lu batches=%u median=%.1f min=%.1f max=%.1f", name, n * per_call,
      opt_batches, per_op[opt_batches / 2], per_op[0], per_op[opt_batches - 1]);
}

/* ---- Hypercalls ---- */

static long mmu_update(mmu_update_t *req, unsigned int count)
{
    unsigned int done = 0;

    return hypercall4(__HYPERVISOR_mmu_update, (unsigned long)req, count, (unsigned long)&done,
                      DOMID_SELF);
}

static long mmuext(unsigned int cmd, unsigned long mfn)
{
    struct mmuext_op op = {.cmd = cmd, .arg1.mfn = mfn};
    unsigned int done = 0;

    return hypercall4(__HYPERVISOR_mmuext_op, (unsigned long)&op, 1, (unsigned long)&done,
                      DOMID_SELF);
}

static long grant_table_op(unsigned int cmd, void *uop, unsigned int count)
{
    return hypercall3(__HYPERVISOR_grant_table_op, cmd, (unsigned long)uop, count);
}

/* ---- Null hypercalls ---- */

static long b_null_hypercall(unsigned long n)
{
    long v = 0;

    for (unsigned long i = 0; i < n; i++)
        v |= HYPERVISOR_xen_version(XENVER_version, NULL);
    return v > 0 ? 0 : -1;
}

static multicall_entry_t mc_batch[32];

static long b_multicall(unsigned long n)
{
    long rc = 0;

    for (unsigned long i = 0; i < n && rc == 0; i++)
        rc = hypercall2(__HYPERVISOR_multicall, (unsigned long)mc_batch, 32);
    return rc;
}

/* ---- Event channels ---- */

static evtchn_port_t masked_send_port, masked_recv_port; /* recv stays masked */
static evtchn_port_t upcall_send_port;                   /* its peer has a counting handler */
static evtchn_port_t ping_port, pong_port;               /* ping's peer answers on pong */
static volatile unsigned long upcalls_seen, pongs_seen;

static long send(evtchn_port_t port)
{
    struct evtchn_send s = {.port = port};

    return HYPERVISOR_event_channel_op(EVTCHNOP_send, &s);
}

static void count_upcall(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    upcalls_seen++;
}

/* The far end of the ping-pong: answer every ping (events are masked in handlers). */
static void answer_ping(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    send(port);
}

static void count_pong(evtchn_port_t port, struct pt_regs *regs, void *data)
{
    pongs_seen++;
}

/* A loop-back pair of this domain: alloc_unbound(self), bind_interdomain(self, it). */
static long loop_pair(evtchn_port_t *unbound, evtchn_port_t *bound, evtchn_handler_t handler)
{
    long a = evtchn_alloc_unbound(DOMID_SELF);

    if (a < 0)
        return a;
    *unbound = (evtchn_port_t)a;
    if (handler) {
        long b = evtchn_bind_interdomain(DOMID_SELF, *unbound, handler, NULL);
        if (b < 0)
            return b;
        *bound = (evtchn_port_t)b;
        return 0;
    }
    /* No handler: bind with the raw hypercall so the port stays masked (events_init). */
    struct evtchn_bind_interdomain bi = {.remote_dom = DOMID_SELF, .remote_port = *unbound};
    long rc = HYPERVISOR_event_channel_op(EVTCHNOP_bind_interdomain, &bi);
    if (rc < 0)
        return rc;
    *bound = bi.local_port;
    return 0;
}

static long b_evtchn_send_masked(unsigned long n)
{
    volatile unsigned long *pending =
        (volatile unsigned long *)HYPERVISOR_shared_info->evtchn_pending;
    long rc = 0;

    for (unsigned long i = 0; i < n; i++) {
        rc |= send(masked_send_port);
        sync_clear_bit(masked_recv_port, pending);
    }
    return rc;
}

static long b_evtchn_send_upcall(unsigned long n)
{
    unsigned long before = upcalls_seen;
    long rc = 0;

    for (unsigned long i = 0; i < n; i++)
        rc |= send(upcall_send_port);
    if (rc == 0 && upcalls_seen - before != n)
        return -1000; /* an upcall was lost */
    return rc;
}

static long b_evtchn_pingpong(unsigned long n)
{
    unsigned long before = pongs_seen;
    long rc = 0;

    for (unsigned long i = 0; i < n; i++)
        rc |= send(ping_port);
    if (rc == 0 && pongs_seen - before != n)
        return -1000;
    return rc;
}

static long setup_events(void)
{
    long rc = traps_init();

    if (rc < 0)
        return rc;
    events_init();
    if ((rc = loop_pair(&masked_send_port, &masked_recv_port, NULL)) < 0)
        return rc;
    sync_clear_bit(masked_recv_port,
                   (volatile unsigned long *)HYPERVISOR_shared_info->evtchn_pending);
    evtchn_port_t peer;
    if ((rc = loop_pair(&upcall_send_port, &peer, count_upcall)) < 0)
        return rc;
    if ((rc = loop_pair(&ping_port, &pong_port, answer_ping)) < 0)
        return rc;
    /* pong_port is the far end: its handler answers on it, which raises ping_port. */
    return evtchn_bind_handler(ping_port, count_pong, NULL);
}

/* ---- Page tables ---- */

static long b_update_va_mapping(unsigned long n)
{
    long rc = 0;

    for (unsigned long i = 0; i < n; i++)
        rc |= HYPERVISOR_update_va_mapping(hook_va, (i & 1) ? pte_b : pte_a,
                                           UVMF_INVLPG | UVMF_LOCAL);
    return rc;
}

static mmu_update_t mmu_reqs[512];

static long b_mmu_update_1(unsigned long n)
{
    long rc = 0;

    for (unsigned long i = 0; i < n; i++) {
        mmu_reqs[0].ptr = (((uint64_t)hook_l1_mfn << PAGE_SHIFT) + 8) | MMU_NORMAL_PT_UPDATE;
        mmu_reqs[0].val = (i & 1) ? pte_b : pte_a;
        rc |= mmu_update(mmu_reqs, 1);
    }
    return rc;
}

static long b_mmu_update_512(unsigned long n)
{
    long rc = 0;

    for (unsigned long i = 0; i < n; i++) {
        for (unsigned int e = 0; e < 512; e++) {
            mmu_reqs[e].ptr =
                (((uint64_t)hook_l1_mfn << PAGE_SHIFT) + e * 8) | MMU_NORMAL_PT_UPDATE;
            mmu_reqs[e].val = (i & 1) ? pte_b : pte_a;
        }
        rc |= mmu_update(mmu_reqs, 512);
    }
    return rc;
}

static long b_pin_unpin_empty(unsigned long n)
{
    long rc = 0;

    for (unsigned long i = 0; i < n && rc == 0; i++)
        rc = mmuext(MMUEXT_PIN_L1_TABLE, pin_l1_mfn) | mmuext(MMUEXT_UNPIN_TABLE, pin_l1_mfn);
    return rc;
}

static long b_pin_unpin_full(unsigned long n)
{
    long rc = 0;

    for (unsigned long i = 0; i < n && rc == 0; i++)
        rc = mmuext(MMUEXT_PIN_L1_TABLE, full_l1_mfn) | mmuext(MMUEXT_UNPIN_TABLE, full_l1_mfn);
    return rc;
}

/* Stores into hook_l1 through its read-only mapping: each one traps and is emulated. */
static long b_ptwr_write(unsigned long n)
{
    volatile uint64_t *entry = &hook_l1[2];

    for (unsigned long i = 0; i < n; i++)
        *entry = (i & 1) ? pte_b : pte_a;
    uint64_t want = ((n - 1) & 1) ? pte_b : pte_a;

    return (*entry & PTE_FRAME_MASK) == (want & PTE_FRAME_MASK) ? 0 : -1000;
}

/*
 * Find a free L2 slot near VIRT_BASE, make hook_l1 a read-only, empty L1 and link it there
 * with mmu_update; make pin_l1 (empty) and full_l1 (512 entries mapping frame_a) read-only.
 */
static long setup_tables(void)
{
    const uint64_t *l4 = (const uint64_t *)start_info->pt_base;
    unsigned long va = PROBE_VIRT_BASE;
    const uint64_t *l3 = probe_table_va((l4[(va >> 39) & 511] & PTE_FRAME_MASK) >> PAGE_SHIFT);
    if (!l3)
        return -2000;
    unsigned long l2_mfn = (l3[(va >> 30) & 511] & PTE_FRAME_MASK) >> PAGE_SHIFT;
    const uint64_t *l2 = probe_table_va(l2_mfn);
    if (!l2)
        return -2001;
    int slot = 511;
    while (slot > 0 && (l2[slot] & _PAGE_PRESENT))
        slot--;
    if (slot <= (int)((va >> 21) & 511))
        return -2002;
    hook_va = (va & ~((1UL << 30) - 1)) + ((unsigned long)slot << 21);

    pte_a = ((uint64_t)mfn_of(frame_a) << PAGE_SHIFT) | DATA_PTE;
    pte_b = ((uint64_t)mfn_of(frame_b) << PAGE_SHIFT) | DATA_PTE;
    memset(hook_l1_page, 0, PAGE_SIZE);
    memset(pin_l1_page, 0, PAGE_SIZE);
    for (unsigned int e = 0; e < 512; e++)
        ((uint64_t *)full_l1_page)[e] = pte_a;
    hook_l1_mfn = mfn_of(hook_l1_page);
    pin_l1_mfn = mfn_of(pin_l1_page);
    full_l1_mfn = mfn_of(full_l1_page);

    uint8_t *pages[] = {hook_l1_page, pin_l1_page, full_l1_page};
    for (unsigned int i = 0; i < 3; i++) {
        long rc = HYPERVISOR_update_va_mapping(
            (unsigned long)pages[i], ((uint64_t)mfn_of(pages[i]) << PAGE_SHIFT) | TABLE_RO,
            UVMF_INVLPG | UVMF_LOCAL);
        if (rc < 0)
            return rc;
    }
    hook_l1 = (uint64_t *)hook_l1_page;
    mmu_update_t req = {
        .ptr = (((uint64_t)l2_mfn << PAGE_SHIFT) + slot * 8) | MMU_NORMAL_PT_UPDATE,
        .val = ((uint64_t)hook_l1_mfn << PAGE_SHIFT) | L2_TABLE,
    };
    return mmu_update(&req, 1);
}

/* ---- Guest page fault ---- */

/* The #PF handler: drop RCX/R11 back into place and the error code, resume after the load. */
__asm__(".pushsection .text\n"
        ".globl bench_pf_entry\n"
        "bench_pf_entry:\n"
        "pop %rcx; pop %r11\n"
        "add $8, %rsp\n"                  /* error code */
        "movq $bench_pf_resume, (%rsp)\n" /* the frame's RIP */
        "push $0\n"                       /* iret_context.flags */
        "jmp hypercall_page + 23*32\n"    /* HYPERVISOR_iret */
        ".popsection\n");
void bench_pf_entry(void);

/* Emitted once (the resume label is global): n loads from FAULT_VA, each one a #PF. */
static __attribute__((noinline, noclone)) long b_page_fault(unsigned long n)
{
    __asm__ volatile("1: mov (%1), %%rax\n\t"
                     ".globl bench_pf_resume\n"
                     "bench_pf_resume:\n\t"
                     "dec %0\n\t"
                     "jnz 1b\n\t"
                     : "+r"(n)
                     : "r"(FAULT_VA)
                     : "rax", "rcx", "r11", "memory", "cc");
    return 0;
}

static long setup_page_fault(void)
{
    static const trap_info_t traps[] = {
        {14, 4, FLAT_KERNEL_CS, (unsigned long)bench_pf_entry}, /* events masked on entry */
        {0, 0, 0, 0},
    };

    return HYPERVISOR_set_trap_table(traps);
}

/* ---- Guest user-mode system call ---- */

/*
 * bench_user_run(n) saves the callee-saved registers and RSP and enters user mode with the
 * iret hypercall at bench_user_loop (R12 = n), on user_stack. The user loop makes n
 * system calls with RAX = 0, which the syscall callback returns from at once with
 * iret(VGCF_in_syscall); then one with RAX = 1, on which the callback restores the kernel
 * context and returns from bench_user_run.
 */
__asm__(".pushsection .text\n"
        ".globl bench_user_run\n"
        "bench_user_run:\n"
        "push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
        "mov %rsp, bench_user_saved_rsp(%rip)\n"
        "mov %rdi, %r12\n"                   /* the count, kept in user mode */
        "pushq $0xe02b\n"                    /* FLAT_USER_SS */
        "pushq bench_user_stack_top(%rip)\n" /* RSP */
        "pushq $0x202\n"                     /* RFLAGS: IF */
        "pushq $0xe033\n"                    /* FLAT_USER_CS */
        "lea bench_user_loop(%rip), %rax\n"
        "push %rax\n" /* RIP */
        "pushq $0\n"  /* iret_context.flags */
        "jmp hypercall_page + 23*32\n"
        "bench_user_loop:\n"
        "1: xor %eax, %eax\n"
        "syscall\n"
        "dec %r12\n"
        "jnz 1b\n"
        "mov $1, %eax\n"
        "syscall\n"
        "ud2\n"
        ".globl bench_syscall_entry\n"
        "bench_syscall_entry:\n"
        "pop %rcx; pop %r11\n"
        "test %rax, %rax\n"
        "jnz 2f\n"
        "pushq $256\n" /* VGCF_in_syscall */
        "jmp hypercall_page + 23*32\n"
        "2: mov bench_user_saved_rsp(%rip), %rsp\n"
        "pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
        "ret\n"
        ".popsection\n");
void bench_user_run(unsigned long n);
void bench_syscall_entry(void);
unsigned long bench_user_saved_rsp, bench_user_stack_top;

static long b_user_syscall(unsigned long n)
{
    bench_user_run(n);
    /* The syscall callback masked events on entry (CALLBACKF_mask_events). */
    local_irq_enable();
    return 0;
}

static long setup_user_mode(void)
{
    struct callback_register cb = {
        .type = CALLBACKTYPE_syscall,
        .flags = CALLBACKF_mask_events,
        .address = (unsigned long)bench_syscall_entry,
    };
    long rc = HYPERVISOR_callback_op(CALLBACKOP_register, &cb);

    if (rc < 0)
        return rc;
    /* Kernel stack for entries from user mode (xen.h: HYPERVISOR_stack_switch). */
    rc = hypercall2(__HYPERVISOR_stack_switch, FLAT_KERNEL_SS,
                    (unsigned long)kernel_stack + sizeof(kernel_stack));
    if (rc < 0)
        return rc;
    bench_user_stack_top = (unsigned long)user_stack + sizeof(user_stack);
    /* User mode runs on the kernel's own L4, as Xen allows. */
    unsigned long l4_mfn = (probe_leaf_pte(start_info->pt_base) & PTE_FRAME_MASK) >> PAGE_SHIFT;
    return mmuext(MMUEXT_NEW_USER_BASEPTR, l4_mfn);
}

/* ---- Grant tables (granting to this domain itself) ---- */

static grant_entry_v1_t *gnttab;
static unsigned long grant_map_va;

static long b_grant_map_unmap(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        struct gnttab_map_grant_ref map = {
            .host_addr = grant_map_va, .flags = GNTMAP_host_map, .ref = GREF, .dom = 0};
        long rc = grant_table_op(GNTTABOP_map_grant_ref, &map, 1);
        if (rc < 0)
            return rc;
        if (map.status != GNTST_okay)
            return -3000 + map.status;
        struct gnttab_unmap_grant_ref unmap = {.host_addr = grant_map_va, .handle = map.handle};
        rc = grant_table_op(GNTTABOP_unmap_grant_ref, &unmap, 1);
        if (rc < 0)
            return rc;
        if (unmap.status != GNTST_okay)
            return -3100 + unmap.status;
    }
    return 0;
}

static long b_grant_copy(unsigned long n)
{
    for (unsigned long i = 0; i < n; i++) {
        struct gnttab_copy copy = {
            .source = {.u.ref = GREF, .domid = 0, .offset = 0},
            .dest = {.u.gmfn = mfn_of(frame_b), .domid = DOMID_SELF, .offset = 0},
            .len = PAGE_SIZE,
            .flags = GNTCOPY_source_gref,
        };
        long rc = grant_table_op(GNTTABOP_copy, &copy, 1);
        if (rc < 0)
            return rc;
        if (copy.status != GNTST_okay)
            return -3200 + copy.status;
    }
    return 0;
}

/* Set up one frame of grant table v1, mapped at gnttab_va; grant frame_a to ourselves. */
static long setup_grants(void)
{
    xen_pfn_t frame = 0;
    struct gnttab_setup_table st = {.dom = DOMID_SELF, .nr_frames = 1};

    set_xen_guest_handle(st.frame_list, &frame);
    long rc = grant_table_op(GNTTABOP_setup_table, &st, 1);
    if (rc < 0)
        return rc;
    if (st.status != GNTST_okay)
        return -3300 + st.status;
    rc = HYPERVISOR_update_va_mapping((unsigned long)gnttab_va,
                                      ((uint64_t)frame << PAGE_SHIFT) | DATA_PTE,
                                      UVMF_INVLPG | UVMF_LOCAL);
    if (rc < 0)
        return rc;
    gnttab = (grant_entry_v1_t *)gnttab_va;
    gnttab[GREF].domid = 0;
    gnttab[GREF].frame = (uint32_t)mfn_of(frame_a);
    wmb();
    gnttab[GREF].flags = GTF_permit_access;
    /* Map at the last page of the hook area, empty until now. */
    grant_map_va = hook_va + 511 * PAGE_SIZE;
    mmu_update_t req = {.ptr = ((uint64_t)hook_l1_mfn << PAGE_SHIFT) + 511 * 8, .val = 0};
    return mmu_update(&req, 1);
}

/* ---- Main ---- */

static void options(void)
{
    char buf[32];

    if (cmdline_get("quick", buf, sizeof(buf)) >= 0) {
        opt_batches = 9;
        opt_batch_us = 1500;
    }
    if (cmdline_get("batches", buf, sizeof(buf)) > 0)
        opt_batches = (unsigned int)strtoul(buf, NULL, 0);
    if (cmdline_get("batch_us", buf, sizeof(buf)) > 0)
        opt_batch_us = (unsigned int)strtoul(buf, NULL, 0);
    if (opt_batches < 1)
        opt_batches = 1;
    if (opt_batches > MAX_BATCHES)
        opt_batches = MAX_BATCHES;
    cmdline_get("only", opt_only, sizeof(opt_only));
}

/* Run a setup step; on failure print one skip line per benchmark that needs it. */
static int setup(const char *what, long rc, const char *names)
{
    if (rc == 0)
        return 1;
    P("skip name=%s reason=%s_failed rc=%s", names, what, rc_str(rc));
    return 0;
}

int main(void)
{
    char extra[XEN_EXTRAVERSION_LEN] = "";
    long ver = HYPERVISOR_xen_version(XENVER_version, NULL);

    HYPERVISOR_xen_version(XENVER_extraversion, extra);
    options();
    read_vcpu_time_info(&timescale);
    /* cycles per ms = 1e6 ns / (ns per cycle) */
    uint64_t tsc_khz = (uint64_t)(1e6 * 1e6 / (double)cycles_to_ns(1000000));
    P("start hypervisor=%ld.%ld%s tsc_khz=%lu batches=%u batch_us=%u", ver >> 16, ver & 0xffff,
      extra, (unsigned long)tsc_khz, opt_batches, opt_batch_us);
    /* No 100 Hz timer ticks in the measurements. */
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, NULL);

    run("null_hypercall", b_null_hypercall, 1);
    for (unsigned int i = 0; i < 32; i++)
        mc_batch[i] =
            (multicall_entry_t){.op = __HYPERVISOR_xen_version, .args = {XENVER_version, 0}};
    run("multicall_32_per_call", b_multicall, 32);

    if (setup("events", setup_events(), "evtchn_send_masked,evtchn_send_upcall,evtchn_pingpong")) {
        upcalls_seen = pongs_seen = 0;
        run("evtchn_send_masked", b_evtchn_send_masked, 1);
        run("evtchn_send_upcall", b_evtchn_send_upcall, 1);
        run("evtchn_pingpong", b_evtchn_pingpong, 1);
    }

    if (setup("page_tables", setup_tables(),
              "update_va_mapping,mmu_update_1,mmu_update_512_per_pte,pin_unpin_l1_empty,"
              "pin_unpin_l1_full,ptwr_write")) {
        run("update_va_mapping", b_update_va_mapping, 1);
        run("mmu_update_1", b_mmu_update_1, 1);
        run("mmu_update_512_per_pte", b_mmu_update_512, 512);
        run("pin_unpin_l1_empty", b_pin_unpin_empty, 1);
        run("pin_unpin_l1_full", b_pin_unpin_full, 1);
        if (setup("vm_assist",
                  HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables),
                  "ptwr_write"))
            run("ptwr_write", b_ptwr_write, 1);
    }

    if (setup("trap_table", setup_page_fault(), "page_fault"))
        run("page_fault", b_page_fault, 1);

    if (setup("user_mode", setup_user_mode(), "user_syscall"))
        run("user_syscall", b_user_syscall, 1);

    if (hook_l1 && setup("grants", setup_grants(), "grant_map_unmap,grant_copy_4k")) {
        run("grant_map_unmap", b_grant_map_unmap, 1);
        run("grant_copy_4k", b_grant_copy, 1);
    }

    P("done");
    return 0;
}
