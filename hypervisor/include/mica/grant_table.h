/*
 * Grant tables, version 1 (Xen's public grant_table.h; behaviour as Xen 4.17's
 * xen/common/grant_table.c and xen/arch/x86/pv/grant_table.c show it). A domain shares one of
 * its frames with another by writing a grant_entry_v1_t {flags, domid, frame} into its grant
 * table, frames the hypervisor allocates and the domain maps (GNTTABOP_setup_table gives their
 * MFNs). The grantee maps the frame (GNTTABOP_map_grant_ref), unmaps it by handle
 * (GNTTABOP_unmap_grant_ref), or has the hypervisor copy through it (GNTTABOP_copy).
 *
 * Bookkeeping, as Xen's:
 *  - Each grant entry has an active entry in the granter's table: pin counts of the mappings
 *    of it (host and device, read-only and writable, 8 bits each, GNTPIN_*), the grantee and
 *    the MFN. While any pin is held, GTF_reading (and GTF_writing for a writable pin) is set
 *    in the shared entry; the last unpin clears them.
 *  - Each mapping has a maptrack entry in the mapper's table; its index is the handle.
 *  - A mapping holds a general reference on the granted frame (two for host + device), and a
 *    PGT_writable_page type reference per writable use, so the frame is neither freed nor
 *    re-typed while mapped. A host mapping's references belong to the L1 entry it installs
 *    (as any present L1 entry's do): unmap removes the entry and drops them; if the guest
 *    overwrites the entry itself, the entry's references go with it (Xen's release build
 *    does the same) and the unmap later fails.
 *  - A dying domain's mappings of others' frames are released (gnttab_release_mappings()):
 *    pins and device references dropped, GTF bits cleared; its host mappings' references go
 *    with its page tables. Its own grant table stays until every peer has unmapped its grants
 *    (the references keep the granted frames allocated meanwhile).
 *
 * Portable: frames are reached through map_frame(), so the unit tests run this on fake
 * memory. Not thread-safe (uniprocessor, non-preemptible hypervisor).
 */
#ifndef MICA_GRANT_TABLE_H
#define MICA_GRANT_TABLE_H

#include <mica/types.h>
#include <xen/grant_table.h>

struct domain;

/* Frames of a grant table at creation (Xen's INITIAL_NR_GRANT_FRAMES on x86). */
#define GNTTAB_INITIAL_FRAMES 1U
/* Most grant-table frames (Xen 4.17's default gnttab_max_frames, which dom0 gets). */
#define GNTTAB_MAX_FRAMES 64U
/* v1 entries per grant-table frame. */
#define GNTTAB_ENTRIES_PER_FRAME (PAGE_SIZE / sizeof(grant_entry_v1_t))

/* Pin counts of an active entry (Xen's GNTPIN_*): four 8-bit counters in one word. */
#define GNTPIN_CNTR_WIDTH 8
#define GNTPIN_CNTR_MASK  ((1U << GNTPIN_CNTR_WIDTH) - 1)
#define GNTPIN_hstw_inc   (1U << 0)  /* writable host (CPU) mappings */
#define GNTPIN_hstr_inc   (1U << 8)  /* read-only host mappings */
#define GNTPIN_devw_inc   (1U << 16) /* writable device (bus address) mappings */
#define GNTPIN_devr_inc   (1U << 24) /* read-only device mappings */
#define GNTPIN_hstw_mask  (GNTPIN_CNTR_MASK << 0)
#define GNTPIN_hstr_mask  (GNTPIN_CNTR_MASK << 8)
#define GNTPIN_devw_mask  (GNTPIN_CNTR_MASK << 16)
#define GNTPIN_devr_mask  (GNTPIN_CNTR_MASK << 24)

/** The hypervisor's shadow of one grant entry while it is in use (Xen's active_grant_entry). */
struct active_grant_entry {
    uint32_t pin;  /* GNTPIN_* counts; 0 = not in use */
    domid_t domid; /* the grantee holding the pins */
    uint16_t pad;
    uint64_t mfn; /* the granted frame, fixed while pinned */
};
#define GNTTAB_ACTIVE_PER_FRAME (PAGE_SIZE / sizeof(struct active_grant_entry))
#define GNTTAB_ACTIVE_FRAMES                                                                       \
    ((GNTTAB_MAX_FRAMES * GNTTAB_ENTRIES_PER_FRAME + GNTTAB_ACTIVE_PER_FRAME - 1) /                \
     GNTTAB_ACTIVE_PER_FRAME)

/** One mapping a domain holds of another's grant (Xen's grant_mapping); its index is the handle. */
struct grant_mapping {
    uint32_t ref;   /* the grant reference; for a free entry, the next free handle */
    uint16_t flags; /* GNTMAP_* still held (host_map, device_map, readonly...); 0 = free */
    domid_t domid;  /* the granter */
};
#define MAPTRACK_PER_FRAME (PAGE_SIZE / sizeof(struct grant_mapping))
/* Most maptrack frames: 512 x 512 = 262144 handles, Xen 4.17's default (1024 x 256). */
#define MAPTRACK_MAX_FRAMES 512U
#define MAPTRACK_END        0xffffffffU /* end of the free list */

/**
 * A domain's grant table: its shared frames, their active entries and its own maptrack.
 * One hypervisor frame (self_mfn) holds this structure; frames are kept as 32-bit MFNs.
 */
struct grant_table {
    unsigned int version;             /* always 1 (set_version 2 is refused) */
    unsigned int nr_frames;           /* shared frames allocated (grown by setup_table) */
    unsigned int max_frames;          /* GNTTAB_MAX_FRAMES */
    unsigned int maptrack_frames;     /* maptrack frames allocated */
    unsigned int max_maptrack_frames; /* MAPTRACK_MAX_FRAMES (the unit tests lower it) */
    uint32_t maptrack_head;           /* first free handle, or MAPTRACK_END */
    uint32_t maptrack_tail;           /* last free handle (freed handles go here: FIFO) */
    unsigned int maptrack_used;       /* handles in use */
    unsigned long active_grants;      /* active entries with a non-zero pin */
    bool released;                    /* its domain is dead: free it after the last unpin */
    mfn_t self_mfn;
    uint32_t shared_mfn[GNTTAB_MAX_FRAMES];     /* the grant entries, shared with the domain */
    uint32_t active_mfn[GNTTAB_ACTIVE_FRAMES];  /* active entries, hypervisor-only */
    uint32_t maptrack_mfn[MAPTRACK_MAX_FRAMES]; /* maptrack entries, hypervisor-only */
};
_Static_assert(sizeof(struct grant_table) <= PAGE_SIZE, "struct grant_table fits one frame");

/** Counters for measurement (DESIGN.md §2.5), all domains; only ever incremented. */
struct gnttab_counters {
    uint64_t calls;        /* grant_table_op hypercalls (a continuation counts again) */
    uint64_t maps;         /* map_grant_ref operations that succeeded */
    uint64_t map_failures; /* ... and that failed (any GNTST_ status) */
    uint64_t unmaps;       /* unmap_grant_ref operations that succeeded */
    uint64_t unmap_failures;
    uint64_t copies; /* GNTTABOP_copy operations that succeeded */
    uint64_t copy_failures;
    uint64_t bytes_copied; /* by successful copy operations */
    uint64_t released;     /* mappings released at their mapper's death */
};
extern struct gnttab_counters gnttab_counters;

/**
 * Give @d its grant table, version 1, GNTTAB_INITIAL_FRAMES frames shared with it (Xen's
 * grant_table_init at domain creation). Returns 0, or -ENOMEM (nothing left allocated).
 */
int grant_table_init(struct domain *d);

/**
 * At @d's death (domain_shutdown(), before its memory is relinquished): release every
 * mapping @d holds of other domains' grants (Xen's gnttab_release_mappings): drop the pins
 * and device-mapping references, clear the granters' GTF_reading/GTF_writing as the last
 * pins go. The references of its host mappings stay with its L1 entries, which its page-table
 * teardown drops. Idempotent.
 */
void gnttab_release_mappings(struct domain *d);

/**
 * After @d's memory is relinquished: free its grant table, shared frames included, unless
 * peers still have its grants pinned; then it is freed when the last of them is unmapped.
 * Shared frames something still references (a foreign mapping) are left allocated.
 */
void grant_table_destroy(struct domain *d);

/**
 * The domain builder grants, on @d's behalf, frame @mfn (@d's own) to domain @to at
 * reference @ref of @d's table, as the guest would by writing a grant_entry_v1 (flags last).
 * Returns 0, or -EINVAL if @ref is beyond the table's current size.
 */
int gnttab_grant_access_for(struct domain *d, grant_ref_t ref, domid_t to, mfn_t mfn,
                            bool readonly);

/**
 * HYPERVISOR_grant_table_op(cmd, uop, count) (grant_table.h, GNTTABOP_*): @cmd and @count
 * are unsigned ints (upper register bits ignored, as Xen). Supported: map_grant_ref,
 * unmap_grant_ref, setup_table, copy, query_size, set_version (1; 2 gives -ENOSYS as a Xen
 * whose maximum version is 1), get_version. Others: -ENOSYS.
 * Returns 0 with per-operation statuses (GNTST_*) written back; -EINVAL for a negative
 * count, opaque bits in @cmd, or a count other than 1 for setup_table/query_size; -EFAULT if
 * the argument array cannot be read or written (operations before it are done); the
 * hypercall number when a long batch continues (hypercall_create_continuation()).
 */
long do_grant_table_op(unsigned long cmd, unsigned long uop, unsigned long count, unsigned long a4,
                       unsigned long a5);

/** Format the counters as one line "maps=... unmaps=..." into @buf (@len bytes). */
void gnttab_format_counters(char *buf, size_t len);

#endif /* MICA_GRANT_TABLE_H */
