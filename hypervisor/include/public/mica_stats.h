/*
 * mica's own hypercall: HYPERVISOR_mica_stats_op(cmd, arg), the measurement counters of a
 * domain and of a physical CPU (docs/abi.md, "mica_stats_op").
 *
 * Public: a guest may include this header as it is (it needs only <stdint.h>). Every field
 * has an explicit size and the structures have the same layout for any x86-64 compiler; the
 * sizes are checked below. Counters are 64-bit and only grow (until a reset); a reader takes
 * differences between two reads.
 *
 * The number is __HYPERVISOR_arch_7 (55) of xen.h, which Xen 4.17 leaves unused on x86
 * (arch_0 is the machine-check hypercall, arch_1 paging_domctl_cont): Xen answers it with
 * -ENOSYS, so a guest can tell the two hypervisors apart by calling MICA_STATSOP_version.
 *
 * Versioning: a caller puts MICA_STATS_VERSION in the structure's version field. mica fills
 * the layout of the version asked for, or refuses a version it does not know (-EINVAL).
 * Later versions only add fields at the end (the reserved words first), never move any.
 */
#ifndef MICA_PUBLIC_MICA_STATS_H
#define MICA_PUBLIC_MICA_STATS_H

#include <stdint.h>

/** The hypercall number: xen.h's __HYPERVISOR_arch_7. */
#define __HYPERVISOR_mica_stats_op 55

/** The layout this header describes. */
#define MICA_STATS_VERSION 1

/** Hypercall numbers counted one by one; larger numbers count in hypercalls_other. */
#define MICA_STATS_NR_HYPERCALLS 64

/*
 * Sub-operations (cmd). Results: 0 or a negative Xen errno; -EFAULT if @arg cannot be read
 * or written, -ENOSYS for an unknown cmd.
 */

/** Returns MICA_STATS_VERSION (arg unused). */
#define MICA_STATSOP_version 0
/**
 * arg: struct mica_stats_domain *. IN domid (DOMID_SELF or a domain id) and version; OUT the
 * rest. A domain may read its own counters; only a privileged domain (dom0) reads another's
 * (-EPERM). -ESRCH if no such domain exists, -EINVAL for an unknown version.
 */
#define MICA_STATSOP_read_domain 1
/**
 * arg: struct mica_stats_cpu *. IN cpu and version; OUT the rest. Any domain may read them.
 * -ENOENT for a CPU that does not exist (mica has CPU 0 only), -EINVAL for a bad version.
 */
#define MICA_STATSOP_read_cpu 2
/**
 * arg: a domain id (a value, not a pointer), DOMID_SELF, or MICA_STATS_RESET_ALL for every
 * domain and every CPU. Zeroes those counters. Privileged domains only (-EPERM); -ESRCH if
 * no such domain.
 */
#define MICA_STATSOP_reset 3

/** MICA_STATSOP_reset's argument for everything. */
#define MICA_STATS_RESET_ALL 0xffffu

/**
 * One domain's counters. Memory-management counters are the hypervisor's work done while
 * the domain ran (its hypercalls and page-table write faults), attributed at each context
 * switch; work done at boot by the domain builder is not in any domain's counters.
 */
struct mica_stats_domain {
    /* IN */
    uint16_t domid;   /* DOMID_SELF (0x7ff0) or a domain id */
    uint16_t _pad0;   /* zero */
    uint32_t version; /* MICA_STATS_VERSION */
    /* OUT */
    uint64_t now_ns;                               /* system time of the read, ns since boot */
    uint64_t tot_pages;                            /* frames the domain owns now */
    uint64_t hypercalls[MICA_STATS_NR_HYPERCALLS]; /* calls by hypercall number */
    uint64_t hypercalls_other;                     /* calls with a number >= 64 */
    /* Page tables (common/mm.c, common/ptwr.c). */
    uint64_t ptes_validated;      /* present entries that took references */
    uint64_t tables_promoted;     /* frames validated as L1-L4 tables */
    uint64_t tables_demoted;      /* frames that lost their last table-type reference */
    uint64_t validation_failures; /* entries or tables refused */
    uint64_t tlb_flushes;         /* full TLB flushes */
    uint64_t invlpgs;             /* single-entry flushes */
    uint64_t mmu_update_reqs;     /* mmu_update requests that succeeded */
    uint64_t mmuext_ops;          /* mmuext_op operations that succeeded */
    uint64_t update_va_mappings;  /* update_va_mapping calls */
    uint64_t ptwr_emulated;       /* page-table writes emulated by the writable-PT assist */
    /* Event channels (common/event_channel.c; docs/abi-events.md, counters). */
    uint64_t evt_send_ops;        /* EVTCHNOP_send calls by this domain that succeeded */
    uint64_t evt_raised;          /* notifications of this domain's ports */
    uint64_t evt_upcalls_raised;  /* ... that made an upcall pending */
    uint64_t evt_already_pending; /* ... suppressed: port already pending */
    uint64_t evt_masked;          /* ... suppressed: port masked */
    uint64_t evt_coalesced;       /* ... suppressed: an upcall was already pending */
    uint64_t evt_unmask_upcalls;  /* upcalls raised by EVTCHNOP_unmask */
    uint64_t upcalls_delivered;   /* event upcalls bounced into the guest */
    /* Grant tables (common/grant_table.c), the operations this domain asked for. */
    uint64_t gnt_maps;     /* GNTTABOP_map_grant_ref operations that succeeded */
    uint64_t gnt_unmaps;   /* GNTTABOP_unmap_grant_ref operations that succeeded */
    uint64_t gnt_copies;   /* GNTTABOP_copy operations that succeeded */
    uint64_t gnt_failures; /* map, unmap and copy operations that failed */
    /* Scheduling. */
    uint64_t slices;      /* times the scheduler gave the domain's vCPU the CPU */
    uint64_t run_ns;      /* time the domain's vCPU held the CPU, ns */
    uint64_t reserved[8]; /* zero; for later versions */
};

/** One physical CPU's counters. */
struct mica_stats_cpu {
    /* IN */
    uint32_t cpu;     /* physical CPU number (0) */
    uint32_t version; /* MICA_STATS_VERSION */
    /* OUT */
    uint64_t now_ns;           /* system time of the read, ns since boot */
    uint64_t context_switches; /* the CPU went from one vCPU (or idle) to another vCPU */
    uint64_t idle_entries;     /* times the CPU went idle (nothing runnable) */
    uint64_t idle_ns;          /* time spent idle, ns */
    uint64_t timer_interrupts; /* LAPIC timer interrupts */
    uint64_t hypercalls;       /* hypercalls dispatched, all domains (multicall entries too) */
    uint64_t trace_records;    /* trace records written since boot (0 while tracing is off) */
    uint64_t debug_keys;       /* debug keys handled from the serial console */
    uint64_t reserved[8];      /* zero; for later versions */
};

/* The layouts are fixed: a compiler that disagrees stops here. */
_Static_assert(sizeof(struct mica_stats_domain) ==
                   8 + 16 + 8 * 64 + 8 + 8 * 10 + 8 * 8 + 8 * 4 + 8 * 2 + 8 * 8,
               "struct mica_stats_domain layout");
_Static_assert(sizeof(struct mica_stats_cpu) == 8 + 8 * 8 + 8 * 8, "struct mica_stats_cpu layout");

#endif /* MICA_PUBLIC_MICA_STATS_H */
