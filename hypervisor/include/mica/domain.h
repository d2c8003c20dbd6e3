/*
 * Domains and vCPUs. mica is uniprocessor in this round: one physical CPU, one vCPU per
 * domain (a request for more is refused at build time).
 */
#ifndef MICA_DOMAIN_H
#define MICA_DOMAIN_H

#include <arch/regs.h>
#include <mica/event.h>
#include <mica/iocap.h>
#include <mica/timer.h>
#include <mica/types.h>
#include <xen/xen.h>

#define MAX_DOMAINS           64
#define SHUTDOWN_CODE_INVALID (~0u) /* no shutdown code set yet (Xen's value is internal) */
#define NR_HYPERCALLS         64

struct domain;
struct grant_table;

/** A virtual CPU: the guest context saved while it does not run, and its FPU state. */
struct vcpu {
    struct domain *domain;
    unsigned int vcpu_id;
    struct cpu_regs user_regs;           /* guest registers while descheduled */
    paddr_t guest_table;                 /* machine address of the kernel-mode L4 (CR3) */
    paddr_t guest_table_user;            /* the user-mode L4 (MMUEXT_NEW_USER_BASEPTR), 0 if none */
    struct vcpu_info *vcpu_info;         /* in the domain's shared_info page */
    uint8_t fpu_area[512] __aligned(16); /* FXSAVE image (SDM Vol 1 §10.5.1) */
    bool fpu_initialised;
    /* Segment state kept across context switches (set_segment_base, guest mov to %ds...). */
    uint64_t fs_base, gs_base_kernel, gs_base_user;
    uint16_t ds, es, fs, gs;
    uint64_t slices;           /* times the scheduler gave this vCPU the CPU */
    struct evtchn_vcpu evtchn; /* VIRQ bindings (event_channel.c, <mica/event.h>) */

    /* PV guest kernel state (Xen's struct pv_vcpu): the virtual IDT, TSS and callbacks. */
    struct trap_info trap_ctxt[256]; /* set_trap_table; address 0 = no handler */
    uint64_t kernel_ss, kernel_sp;   /* stack_switch: the guest kernel's stack */
    uint64_t event_callback;         /* CALLBACKTYPE_event */
    uint64_t failsafe_callback;      /* CALLBACKTYPE_failsafe */
    uint64_t syscall_callback;       /* CALLBACKTYPE_syscall: guest user-mode syscalls */
    bool failsafe_masks_events;      /* CALLBACKF_mask_events on the failsafe callback */
    bool syscall_masks_events;       /* CALLBACKF_mask_events on the syscall callback */
    bool kernel_mode;                /* guest kernel (true) or guest user mode */
    bool virtual_ts;                 /* the guest's CR0.TS (fpu_taskswitch) */

    /* Scheduling and time (sched.c, time.c). */
    bool blocked;                  /* SCHEDOP_block/poll: waiting for an event */
    bool polling;                  /* blocked in SCHEDOP_poll */
    int poll_port;                 /* the one port polled, or -1 for several */
    struct timer poll_timer;       /* SCHEDOP_poll timeout */
    struct timer periodic_timer;   /* VIRQ_TIMER every periodic_period ns */
    uint64_t periodic_period;      /* ns; 0 = stopped (default 10 ms, as Xen) */
    uint64_t periodic_last_event;  /* system time of the last periodic tick, ns */
    struct timer singleshot_timer; /* set_timer_op / VCPUOP_set_singleshot_timer */

    /* The guest's GDT (set_gdt; <mica/descriptor.h>): each frame holds a general and a
       PGT_seg_desc_page reference; arch/x86_64/gdt.c maps them while the vCPU runs. */
    uint64_t gdt_frames[FIRST_RESERVED_GDT_PAGE]; /* MFNs, the first ceil(gdt_ents/512) used */
    unsigned int gdt_ents;                        /* descriptors, 0 = no guest GDT */

    /* Privileged-instruction emulation state (emul_priv_op.c, iocap.c; Xen's pv_vcpu). */
    unsigned int iopl;        /* virtual IOPL 0-3 (PHYSDEVOP_set_iopl) */
    uint64_t iobmp;           /* guest address of the virtual I/O bitmap */
    unsigned int iobmp_limit; /* ports it covers (PHYSDEVOP_set_iobitmap), 0: none */
    unsigned long cr4_guest;  /* CR4 bits the guest set (TSD, DE; pv_fixup_guest_cr4) */
    uint64_t dr[4];           /* virtual DR0-DR3 (mov to %dr) */
    uint64_t dr6, dr7;        /* virtual DR6/DR7 writable bits (reserved bits apart) */
};

enum domain_state {
    DOMAIN_RUNNING,
    DOMAIN_SHUTDOWN, /* stopped with a SHUTDOWN_* reason in shutdown_code */
};

/** A domain: its identity, memory accounting, shared_info and hypercall counters. */
struct domain {
    domid_t domain_id;
    bool is_privileged; /* SIF_PRIVILEGED: dom0, the driver domain */
    enum domain_state state;
    unsigned int shutdown_code; /* SHUTDOWN_* (sched.h), or SHUTDOWN_CODE_INVALID if unset */
    unsigned long tot_pages;    /* frames the domain owns now (4 KiB pages) */
    unsigned long max_pages;    /* its reservation limit (4 KiB pages) */
    unsigned long vm_assist;    /* VMASST_TYPE_* bits enabled (xen.h) */
    mfn_t shared_info_mfn;
    /* What the domain builder leaves for the device wiring (wiring.c): the start_info frame
       and the MFNs of the domain's last BUILD_SPARE_PAGES PFNs (nr_pages - 1 downwards),
       which the wiring may take for rings and tells the guest about. */
#define BUILD_SPARE_PAGES 4
    mfn_t start_info_mfn;
    mfn_t spare_mfn[BUILD_SPARE_PAGES];
    struct shared_info *shared_info;
    struct vcpu *vcpu[1];
    uint64_t hypercall_count[NR_HYPERCALLS]; /* calls by hypercall number, for measurement */
    uint64_t hypercall_count_other;          /* calls with a number >= NR_HYPERCALLS */
    struct evtchn_domain evtchn;             /* ports and event counters (event_channel.c) */
    uint64_t upcalls_delivered;              /* event upcalls bounced to the guest */
    struct ioport_caps ioport_caps;          /* I/O ports it may use (iocap.h), set up lazily */
    uint32_t pci_cf8;                        /* virtual PCI CONFIG_ADDRESS (emulated 0xcf8) */
    struct grant_table *grant_table;         /* its grant table (grant_table.c), NULL if none */
};

/** The vCPU running on this (the only) physical CPU. */
extern struct vcpu *current;

/**
 * Create domain @domid with room for @max_pages pages. Allocates and clears its shared_info
 * page and its vCPU 0. Returns the domain, or NULL with *err set (-EEXIST if the id is taken,
 * -EINVAL if it is out of range, -ENOMEM).
 */
struct domain *domain_create(domid_t domid, bool privileged, unsigned long max_pages, int *err);

/** The domain with id @domid, or NULL. */
struct domain *domain_lookup(domid_t domid);

/**
 * Stop @d with SHUTDOWN_* @reason (any u8; a code set earlier with SCHEDOP_shutdown_code
 * wins, as in Xen) and say so on the console. When the hardware domain stops the machine
 * powers off (clean for SHUTDOWN_poweroff, failure otherwise) or resets (reboot). A stopped
 * domU's memory is released and the CPU goes to the next domain.
 */
void domain_shutdown(struct domain *d, unsigned int reason);

/**
 * Crash @d because of something it did, printing @why first. Never returns to @d.
 */
__printf(2, 3) __noreturn void domain_crash(struct domain *d, const char *why, ...);

/**
 * Give the CPU to the next runnable vCPU, round-robin over domains, saving the current one's
 * context first. With nothing runnable the CPU idles (hlt) until something is; with no live
 * domain at all the machine powers off. Never returns; called at the end of any hypervisor
 * entry from a guest, when the guest context is at the top of the stack.
 */
__noreturn void schedule(void);

/** True if @v may be given the CPU. */
bool vcpu_runnable(const struct vcpu *v);

/**
 * Switch the CPU from current (if any) to @next: save current's registers, FPU and segment
 * state, load @next's, its page tables, and return to it. Arch code; never returns.
 */
__noreturn void context_switch(struct vcpu *next);

/** Wake @v if it is blocked; it runs at the next exit from a guest. */
void vcpu_unblock(struct vcpu *v);

/** Events became pending for @v: wake it if blocked (the upcall follows on its next entry). */
void vcpu_kick(struct vcpu *v);

/** Port @port of @d became pending: wake a vCPU polling it (SCHEDOP_poll). */
void evtchn_check_pollers(struct domain *d, unsigned int port);

/** At an exit to a guest: reschedule if a time slice ended or a vCPU was woken. */
void sched_check_preempt(void);

/** Scheduler state of a new vCPU. */
void sched_vcpu_init(struct vcpu *v);

/** Length of a scheduling time slice, ns. */
#define SCHED_SLICE_NS 10000000ULL

#endif /* MICA_DOMAIN_H */
