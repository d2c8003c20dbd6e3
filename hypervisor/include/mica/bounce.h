/*
 * Delivering an exception, event or callback to a PV64 guest kernel: the "bounce frame"
 * Xen pushes on the guest's kernel stack (Xen's create_bounce_frame; xen.h, xen-x86_64.h).
 *
 * From the new RSP upwards the frame holds:
 *     RCX, R11, [DS, ES, FS, GS,] [error code,] RIP, CS, RFLAGS, RSP, SS
 * CS bits 32-39 carry the vCPU's event upcall mask as it was before delivery, and
 * RFLAGS.IF shows the inverse of that mask. A frame taken in guest kernel mode goes below
 * the interrupted RSP and reports CS with RPL 0; one taken in guest user mode goes on the
 * kernel stack registered with stack_switch and keeps CS's RPL 3. The new RSP is 16-byte
 * aligned (before the frame is pushed).
 *
 * Portable: computes the frame; arch code writes it and updates the registers.
 */
#ifndef MICA_BOUNCE_H
#define MICA_BOUNCE_H

#include <arch/regs.h>
#include <mica/types.h>

/* What to deliver (Xen's TBF_* flags). */
#define TBF_EXCEPTION         1  /* an exception (vs. an event or callback) */
#define TBF_EXCEPTION_ERRCODE 2  /* push error_code */
#define TBF_INTERRUPT         8  /* mask events (set the upcall mask) on entry */
#define TBF_FAILSAFE          16 /* push the data segment selectors (failsafe callback) */

struct trap_bounce {
    uint64_t rip;        /* guest handler; 0 = none */
    uint32_t error_code; /* with TBF_EXCEPTION_ERRCODE */
    uint8_t flags;       /* TBF_* */
    uint16_t segs[4];    /* DS, ES, FS, GS with TBF_FAILSAFE */
};

#define BOUNCE_FRAME_MAX_WORDS 12

/** A computed frame: words[0] goes at new_rsp, words[nr - 1] just below the old stack top. */
struct bounce_frame {
    uint64_t new_rsp;
    unsigned int nr;
    uint64_t words[BOUNCE_FRAME_MAX_WORDS];
};

/**
 * Compute the frame delivering @tb for interrupted registers @regs. @kernel_mode: the guest
 * was in kernel mode; else the frame goes on @kernel_sp. @upcall_mask: vcpu_info's
 * evtchn_upcall_mask before delivery. Returns 0, or -EFAULT if the stack lies in or next to
 * the hypervisor's range [HYPERVISOR_VIRT_START, HYPERVISOR_VIRT_END) or would wrap.
 */
int bounce_frame_build(const struct cpu_regs *regs, bool kernel_mode, uint64_t kernel_sp,
                       uint8_t upcall_mask, const struct trap_bounce *tb, struct bounce_frame *f);

/**
 * The registers after delivery: RIP the handler, CS/SS the flat kernel selectors, RSP the
 * frame, RFLAGS without TF, NT, RF, VM and AC (Intel SDM Vol 3A §6.12.1, as Xen clears them).
 */
void bounce_frame_apply(struct cpu_regs *regs, const struct trap_bounce *tb,
                        const struct bounce_frame *f);

#endif /* MICA_BOUNCE_H */
