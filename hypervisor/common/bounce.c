/* The PV64 bounce frame (see bounce.h). */
#include <mica/bounce.h>
#include <mica/errno.h>
#include <xen/xen.h>

#define RFLAGS_TF (1UL << 8)
#define RFLAGS_IF (1UL << 9)
#define RFLAGS_NT (1UL << 14)
#define RFLAGS_RF (1UL << 16)
#define RFLAGS_VM (1UL << 17)
#define RFLAGS_AC (1UL << 18)

int bounce_frame_build(const struct cpu_regs *regs, bool kernel_mode, uint64_t kernel_sp,
                       uint8_t upcall_mask, const struct trap_bounce *tb, struct bounce_frame *f)
{
    uint64_t sp = (kernel_mode ? regs->rsp : kernel_sp) & ~0xfUL;
    uint64_t words[BOUNCE_FRAME_MAX_WORDS];
    unsigned int n = 0;

    /* The stack must be below the hypervisor's range, or far enough above it that the
       frame (at most 12 words) cannot reach into it. */
    if (sp > HYPERVISOR_VIRT_START && sp < HYPERVISOR_VIRT_END + BOUNCE_FRAME_MAX_WORDS * 8)
        return -EFAULT;
    if (sp < BOUNCE_FRAME_MAX_WORDS * 8)
        return -EFAULT;

    /* Built top down into words[], then reversed into f->words (lowest address first). */
    words[n++] = regs->ss;
    words[n++] = regs->rsp;
    words[n++] = (regs->rflags & ~RFLAGS_IF) | (upcall_mask ? 0 : RFLAGS_IF);
    words[n++] = (kernel_mode ? (regs->cs & ~3UL) : regs->cs) & 0xffff;
    words[n - 1] |= (uint64_t)upcall_mask << 32;
    words[n++] = regs->rip;
    if (tb->flags & TBF_EXCEPTION_ERRCODE)
        words[n++] = tb->error_code;
    if (tb->flags & TBF_FAILSAFE) {
        words[n++] = tb->segs[3]; /* GS */
        words[n++] = tb->segs[2]; /* FS */
        words[n++] = tb->segs[1]; /* ES */
        words[n++] = tb->segs[0]; /* DS */
    }
    words[n++] = regs->r11;
    words[n++] = regs->rcx;

    f->nr = n;
    f->new_rsp = sp - n * 8;
    for (unsigned int i = 0; i < n; i++)
        f->words[i] = words[n - 1 - i];
    return 0;
}

void bounce_frame_apply(struct cpu_regs *regs, const struct trap_bounce *tb,
                        const struct bounce_frame *f)
{
    regs->rip = tb->rip;
    regs->cs = FLAT_KERNEL_CS;
    regs->ss = FLAT_KERNEL_SS;
    regs->rsp = f->new_rsp;
    regs->rflags &= ~(RFLAGS_TF | RFLAGS_NT | RFLAGS_RF | RFLAGS_VM | RFLAGS_AC);
}
