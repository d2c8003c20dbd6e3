/*
 * Test doubles for the hypercall handlers' unit tests (tests/unit/test_hypercalls.c): a fake
 * guest address space behind copy_from_guest/copy_to_guest, fake domains behind current,
 * domain_lookup and domain_shutdown, a captured serial line, and the arch hooks schedule()
 * calls (guest frame, time slice timer, context switch), so SCHEDOP_yield can be followed to
 * the vCPU it switches to.
 *
 * The fake address space is a few mapped regions at fixed guest virtual addresses. Each
 * copy first applies the real range rule (guest_range_ok, compiled from
 * hypervisor/common/guest_access.c) and then touches bytes one by one, failing with -EFAULT
 * at the first unmapped byte (or, for a write, the first read-only one) after copying the
 * bytes before it, as the real copy with its exception-table fixup does. One region lies
 * inside the hypervisor's reserved range and is "mapped" as the hypervisor's own memory is
 * to ring 0, so only the range rule keeps a guest pointer from reaching it.
 */
#ifndef FAKE_GUEST_H
#define FAKE_GUEST_H

#include <mica/domain.h>
#include <mica/types.h>

/* Guest virtual layout (bytes). Everything not listed is unmapped. */
#define FG_DATA      0x0000000000400000UL /* read-write, FG_DATA_SIZE bytes */
#define FG_DATA_SIZE (2 * PAGE_SIZE)
#define FG_RODATA    (FG_DATA + FG_DATA_SIZE) /* read-only page right after FG_DATA */
#define FG_UNMAPPED  (FG_RODATA + PAGE_SIZE)  /* nothing here: follows the read-only page */
#define FG_LOW_TOP   0x00007ffffffff000UL     /* read-write: the last page below the hole */
#define FG_NONCANON  0x0000800000000000UL     /* first non-canonical address */
#define FG_HV_TEXT   0xffff82d080200000UL     /* hypervisor page, mapped for ring 0 */
#define FG_KERNEL    0xffff880000000000UL     /* read-write: HYPERVISOR_VIRT_END */
#define FG_TOP       0xfffffffffffff000UL     /* read-write: the last page of the address space */

/* Fake domains: dom0 is privileged, domU (id 1) and dom 5 are not; no other id exists. */
#define FG_DOMU_ID    1
#define FG_OTHER_ID   5
#define FG_MISSING_ID 7

extern struct domain fg_dom0, fg_domu, fg_other;

/* What the fakes saw since fake_guest_reset(). */
struct fake_log {
    unsigned int shutdowns;               /* domain_shutdown() calls */
    struct domain *shutdown_domain;       /* the last call's domain */
    unsigned int shutdown_reason;         /* and its reason */
    unsigned int uva_calls;               /* do_update_va_mapping() calls */
    unsigned long uva_args[5];            /* the last call's arguments */
    bool hv_touched;                      /* a copy reached the hypervisor page */
    unsigned long copies_from, copies_to; /* copy_{from,to}_guest calls */
    unsigned int switches;                /* context_switch() calls */
    struct vcpu *switched_to;             /* the last one's target */
    unsigned int timer_arms;              /* lapic_timer_program() calls */
    uint64_t timer_ns;                    /* the last one's delay, ns */
    unsigned int idle_enters;             /* idle_enter() calls */
    unsigned int power_offs;              /* machine_power_off() calls */
    bool power_off_clean;                 /* the last one's argument */
    unsigned int cli_skipped;             /* cli instructions stepped over */
};
extern struct fake_log fake_log;

/** How a call run by fake_call_may_switch() ended. */
enum fake_end {
    FAKE_RETURNED,    /* it returned; its result is in *rc */
    FAKE_SWITCHED,    /* it reached context_switch() (fake_log.switched_to) */
    FAKE_POWERED_OFF, /* it reached machine_power_off() (fake_log.power_off_clean) */
};

/**
 * Run @call, which may end in schedule() and so never return: schedule()'s cli (a fault in a
 * host process) is stepped over, and the fake context_switch() and machine_power_off() jump
 * back here. Outside this function those two abort the test program.
 */
enum fake_end fake_call_may_switch(long (*call)(void), long *rc);

/** Value the fake do_update_va_mapping returns, so a test can tell it was reached. */
#define FG_UVA_RESULT 0x5a5a

/** The fake hv_command_line()'s string. */
#define FG_CMDLINE "console=com1 loglvl=all fake"

/** Value of the fake max_mfn. */
#define FG_MAX_MFN 0x12345UL

/**
 * Reset every fake: zero the guest memory (then fill it with 0xee), recreate dom0, domU and
 * dom 5 with their page counts, clear the serial capture and input, clear fake_log, and run as
 * dom0.
 */
void fake_guest_reset(void);

/** Run the next hypercalls as @d's vCPU 0 (sets current). */
void fake_run_as(struct domain *d);

/**
 * Read or write guest memory from the test, bypassing the read-only flag (not the mapping).
 * Returns false, having copied the bytes before it, at the first unmapped byte.
 */
bool fake_peek(uint64_t addr, void *buf, size_t len);
bool fake_poke(uint64_t addr, const void *buf, size_t len);

/** Everything serial_putc() received since the reset, NUL-terminated (at most 64 KiB). */
const char *fake_serial_output(void);
size_t fake_serial_len(void);
void fake_serial_clear(void);

/** Replace the queued input: serial_getc() returns @s one byte per call, then -1. */
void fake_serial_input(const char *s);

/** Bytes of the queued input serial_getc() has not returned yet. */
size_t fake_serial_pending(void);

/*
 * The real copy routines of hypervisor/common/guest_access.c, compiled under these names for
 * the host (the fake copy_from_guest/copy_to_guest take the plain names), with a fake
 * raw_copy_guest that copies host memory and fails when fake_raw_fail is set.
 */
int real_copy_from_guest(void *dst, uint64_t src, size_t len);
int real_copy_to_guest(uint64_t dst, const void *src, size_t len);
extern unsigned int fake_raw_calls; /* raw_copy_guest() calls */
extern bool fake_raw_fail;          /* make raw_copy_guest() report every byte uncopied */

#endif /* FAKE_GUEST_H */
