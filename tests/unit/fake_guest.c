/* Test doubles for the hypercall handlers (see fake_guest.h). */
#define _GNU_SOURCE /* REG_RIP */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv_rename.h"
#include <arch/guest.h>
#include <arch/platform.h>
#include <arch/time.h>
#include <mica/errno.h>
#include <mica/guest_access.h>
#include <mica/heap.h>
#include <mica/hypercall.h>
#include "hv_unrename.h"

#include "fake_guest.h"

/* One mapped stretch of the fake guest address space. */
struct fake_region {
    uint64_t start;
    size_t size;
    bool writable;
    unsigned char *mem;
};

static unsigned char mem_data[FG_DATA_SIZE], mem_rodata[PAGE_SIZE], mem_low_top[PAGE_SIZE],
    mem_hv[PAGE_SIZE], mem_kernel[PAGE_SIZE], mem_top[PAGE_SIZE];

static const struct fake_region regions[] = {
    {FG_DATA, FG_DATA_SIZE, true, mem_data},    {FG_RODATA, PAGE_SIZE, false, mem_rodata},
    {FG_LOW_TOP, PAGE_SIZE, true, mem_low_top}, {FG_HV_TEXT, PAGE_SIZE, true, mem_hv},
    {FG_KERNEL, PAGE_SIZE, true, mem_kernel},   {FG_TOP, PAGE_SIZE, true, mem_top},
};

struct domain fg_dom0, fg_domu, fg_other;
static struct vcpu vcpu_dom0, vcpu_domu, vcpu_other;
static struct vcpu_info vcpu_info_fake[3];
struct vcpu *current;
struct fake_log fake_log;
unsigned long max_mfn;

static struct cpu_regs guest_frame; /* what guest_cpu_regs() returns */
static char serial_out[64 * 1024];
static size_t serial_out_len;
static char serial_in[4096];
static size_t serial_in_len, serial_in_pos;

/* The byte of guest memory at @addr, or NULL if unmapped. @handler: a handler's copy, not
   the test's own access. */
static unsigned char *byte_at(uint64_t addr, bool *writable, bool handler)
{
    for (size_t i = 0; i < ARRAY_SIZE(regions); i++) {
        const struct fake_region *r = &regions[i];
        if (addr - r->start < r->size) {
            if (handler && r->mem == mem_hv)
                fake_log.hv_touched = true;
            *writable = r->writable;
            return r->mem + (addr - r->start);
        }
    }
    return NULL;
}

int copy_from_guest(void *dst, uint64_t src, size_t len)
{
    unsigned char *out = dst;
    bool writable;

    fake_log.copies_from++;
    if (!guest_range_ok(src, len))
        return -EFAULT;
    for (size_t i = 0; i < len; i++) {
        const unsigned char *b = byte_at(src + i, &writable, true);
        if (!b)
            return -EFAULT;
        out[i] = *b;
    }
    return 0;
}

int copy_to_guest(uint64_t dst, const void *src, size_t len)
{
    const unsigned char *in = src;
    bool writable;

    fake_log.copies_to++;
    if (!guest_range_ok(dst, len))
        return -EFAULT;
    for (size_t i = 0; i < len; i++) {
        unsigned char *b = byte_at(dst + i, &writable, true);
        if (!b || !writable)
            return -EFAULT;
        *b = in[i];
    }
    return 0;
}

static bool test_access(uint64_t addr, void *buf, size_t len, bool write)
{
    bool writable;

    for (size_t i = 0; i < len; i++) {
        unsigned char *b = byte_at(addr + i, &writable, false);
        if (!b)
            return false;
        if (write)
            *b = ((unsigned char *)buf)[i];
        else
            ((unsigned char *)buf)[i] = *b;
    }
    return true;
}

bool fake_peek(uint64_t addr, void *buf, size_t len)
{
    return test_access(addr, buf, len, false);
}

bool fake_poke(uint64_t addr, const void *buf, size_t len)
{
    return test_access(addr, (void *)buf, len, true);
}

static void make_domain(struct domain *d, struct vcpu *v, domid_t id, bool privileged,
                        unsigned long tot, unsigned long max)
{
    memset(d, 0, sizeof(*d));
    memset(v, 0, sizeof(*v));
    d->domain_id = id;
    d->is_privileged = privileged;
    d->tot_pages = tot;
    d->max_pages = max;
    d->state = DOMAIN_RUNNING;
    d->shutdown_code = SHUTDOWN_CODE_INVALID;
    d->vcpu[0] = v;
    v->domain = d;
    v->vcpu_info = &vcpu_info_fake[id % 3];
    memset(v->vcpu_info, 0, sizeof(*v->vcpu_info));
    v->vcpu_info->evtchn_upcall_mask = 1;
}

void fake_guest_reset(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(regions); i++)
        memset(regions[i].mem, 0xee, regions[i].size);
    make_domain(&fg_dom0, &vcpu_dom0, 0, true, 0x4000, 0x5000);
    make_domain(&fg_domu, &vcpu_domu, FG_DOMU_ID, false, 0x800, 0x1000);
    make_domain(&fg_other, &vcpu_other, FG_OTHER_ID, false, 0x300, 0x400);
    memset(&fake_log, 0, sizeof(fake_log));
    fake_serial_clear();
    serial_in_len = serial_in_pos = 0;
    max_mfn = FG_MAX_MFN;
    memset(&guest_frame, 0, sizeof(guest_frame));
    fake_raw_calls = 0;
    fake_raw_fail = false;
    current = &vcpu_dom0;
}

void fake_run_as(struct domain *d)
{
    current = d->vcpu[0];
}

/* common/domain.c's lookup: the id only (DOMID_SELF is the caller's job). */
struct domain *domain_lookup(domid_t domid)
{
    switch (domid) {
    case 0:
        return &fg_dom0;
    case FG_DOMU_ID:
        return &fg_domu;
    case FG_OTHER_ID:
        return &fg_other;
    default:
        return NULL;
    }
}

/* Records the call and stops the domain as common/domain.c does, without powering off. */
void domain_shutdown(struct domain *d, unsigned int reason)
{
    fake_log.shutdowns++;
    fake_log.shutdown_domain = d;
    fake_log.shutdown_reason = reason;
    d->state = DOMAIN_SHUTDOWN;
    if (d->shutdown_code == SHUTDOWN_CODE_INVALID)
        d->shutdown_code = reason;
}

const char *hv_command_line(void);
const char *hv_command_line(void)
{
    return FG_CMDLINE;
}

/* Handlers the hypercall table names but these tests do not exercise: weak, so a test that
   links the real one gets it. New hypercalls go in this list. */
#define FAKE_HANDLER(name)                                                                         \
    __attribute__((weak)) long name(unsigned long a1, unsigned long a2, unsigned long a3,          \
                                    unsigned long a4, unsigned long a5)                            \
    {                                                                                              \
        return -ENOSYS;                                                                            \
    }
FAKE_HANDLER(do_set_trap_table)
FAKE_HANDLER(do_stack_switch)
FAKE_HANDLER(do_set_callbacks)
FAKE_HANDLER(do_fpu_taskswitch)
FAKE_HANDLER(do_iret)
FAKE_HANDLER(do_set_segment_base)
FAKE_HANDLER(do_callback_op)
FAKE_HANDLER(do_multicall)
FAKE_HANDLER(do_set_gdt)
FAKE_HANDLER(do_update_descriptor)
FAKE_HANDLER(do_set_timer_op)
FAKE_HANDLER(do_vcpu_op)
FAKE_HANDLER(do_event_channel_op)
FAKE_HANDLER(do_event_channel_op_compat)
FAKE_HANDLER(do_mmu_update)
FAKE_HANDLER(do_mmuext_op)
FAKE_HANDLER(do_update_va_mapping_otherdomain)
FAKE_HANDLER(do_physdev_op)
FAKE_HANDLER(do_grant_table_op)
FAKE_HANDLER(do_domctl)

/* vCPU periodic timers (time.c) are not under test here. */
__attribute__((weak)) void vcpu_periodic_timer_work(struct vcpu *v)
{
}

__attribute__((weak)) void vcpu_periodic_timer_stop(struct vcpu *v)
{
}

/* No event channels in these tests: every port is invalid for SCHEDOP_poll. */
__attribute__((weak)) int evtchn_port_poll(struct domain *d, unsigned int port)
{
    return -EINVAL;
}

long do_update_va_mapping(unsigned long va, unsigned long val, unsigned long flags,
                          unsigned long a4, unsigned long a5)
{
    fake_log.uva_calls++;
    fake_log.uva_args[0] = va;
    fake_log.uva_args[1] = val;
    fake_log.uva_args[2] = flags;
    fake_log.uva_args[3] = a4;
    fake_log.uva_args[4] = a5;
    return FG_UVA_RESULT;
}

void serial_init(void)
{
}

void serial_putc(char c)
{
    if (serial_out_len + 1 < sizeof(serial_out))
        serial_out[serial_out_len++] = c;
    serial_out[serial_out_len] = '\0';
}

int serial_getc(void)
{
    if (serial_in_pos >= serial_in_len)
        return -1;
    return (unsigned char)serial_in[serial_in_pos++];
}

/* Armed while fake_call_may_switch() runs a call: where context_switch() and
   machine_power_off() return to. */
static jmp_buf switch_jmp;
static bool switch_armed;

void machine_power_off(bool clean)
{
    fake_log.power_offs++;
    fake_log.power_off_clean = clean;
    if (switch_armed)
        longjmp(switch_jmp, FAKE_POWERED_OFF);
    fprintf(stderr, "fake_guest: machine_power_off(%d) outside fake_call_may_switch\n", clean);
    abort();
}

void context_switch(struct vcpu *next)
{
    fake_log.switches++;
    fake_log.switched_to = next;
    if (switch_armed)
        longjmp(switch_jmp, FAKE_SWITCHED);
    fprintf(stderr, "fake_guest: context_switch outside fake_call_may_switch\n");
    abort();
}

struct cpu_regs *guest_cpu_regs(void)
{
    return &guest_frame;
}

void idle_enter(void)
{
    fake_log.idle_enters++;
}

/* System time stands still in the tests (the scheduler reads it for its slice deadline). */
uint64_t now_ns(void)
{
    return 0;
}

/* The real timer list (common/timer.c) runs in the tests; the LAPIC under it is this fake. */
void lapic_timer_program(uint64_t delta_ns)
{
    fake_log.timer_arms++;
    fake_log.timer_ns = delta_ns;
}

/* cli faults (#GP, SIGSEGV) in a host process: step over it, as if interrupts were off. */
static void skip_cli(int sig, siginfo_t *si, void *ucontext)
{
    ucontext_t *uc = ucontext;
    const unsigned char *rip = (const unsigned char *)uc->uc_mcontext.gregs[REG_RIP];

    if (*rip == 0xfa) {
        uc->uc_mcontext.gregs[REG_RIP]++;
        fake_log.cli_skipped++;
        return;
    }
    signal(SIGSEGV, SIG_DFL); /* a real fault: let it end the test */
}

enum fake_end fake_call_may_switch(long (*call)(void), long *rc)
{
    struct sigaction sa, old;
    volatile int end;

    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = skip_cli;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &old);
    end = setjmp(switch_jmp);
    if (end == FAKE_RETURNED) {
        switch_armed = true;
        *rc = call();
    }
    switch_armed = false;
    sigaction(SIGSEGV, &old, NULL);
    return (enum fake_end)end;
}

const char *fake_serial_output(void)
{
    return serial_out;
}

size_t fake_serial_len(void)
{
    return serial_out_len;
}

void fake_serial_clear(void)
{
    serial_out_len = 0;
    serial_out[0] = '\0';
}

void fake_serial_input(const char *s)
{
    size_t n = strlen(s);

    if (n > sizeof(serial_in))
        abort();
    memcpy(serial_in, s, n);
    serial_in_len = n;
    serial_in_pos = 0;
}

size_t fake_serial_pending(void)
{
    return serial_in_len - serial_in_pos;
}

/* What arch/x86_64/usercopy.S gives guest_access.c: returns the bytes left uncopied. */
unsigned int fake_raw_calls;
bool fake_raw_fail;

size_t raw_copy_guest(void *dst, const void *src, size_t len);
size_t raw_copy_guest(void *dst, const void *src, size_t len)
{
    fake_raw_calls++;
    if (fake_raw_fail)
        return len;
    memcpy(dst, src, len);
    return 0;
}

/* A two-entry exception table, (insn, fixup) pairs, for search_exception_table(). */
__asm__(".section .rodata\n"
        ".balign 8\n"
        ".globl __ex_table_start\n"
        ".globl __ex_table_end\n"
        "__ex_table_start:\n"
        ".quad 0x1000, 0x1f00\n"
        ".quad 0x3000, 0x3f00\n"
        "__ex_table_end:\n"
        ".previous\n");
