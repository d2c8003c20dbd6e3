/*
 * The trace buffer: a ring of fixed-size, timestamped records of what the hypervisor does
 * (hypercall entry and exit, event send and delivery, context switches, page-table
 * validation), for measurement (DESIGN.md §2.5). docs/debugging.md shows how to use it.
 *
 * Off by default. When off, each trace point costs one load and one predictable branch
 * (trace_on is false); when on, trace_put() writes one 32-byte record. The ring keeps the
 * newest records: when full, each new record overwrites the oldest (counted as lost).
 *
 * Turned on by `trace=on` (and sized by `trace_size=N` records) on the hypervisor's command
 * line or by the `t` debug key; dumped to the serial console by the `T` debug key or, with
 * `trace_dump_at_exit`, when the machine powers off. The dump is hex lines between markers
 * that tools/mica-trace decodes into text or CSV:
 *
 *   mica-trace: begin version=1 record_size=32 records=N lost=L
 *   mt <64 hex digits: the record's 32 bytes, little-endian as in memory>
 *   ...
 *   mica-trace: end records=N
 */
#ifndef MICA_TRACE_H
#define MICA_TRACE_H

#include <mica/types.h>

/** Version of the record layout and dump format (the `begin` line carries it). */
#define TRACE_FORMAT_VERSION 1

/** Records allocated when tracing starts without trace_size= (128 KiB of ring). */
#define TRACE_DEFAULT_RECORDS 4096

/** What a record says; the meaning of its fields c, a and b per type. */
enum trace_type {
    TRC_HC_ENTRY = 1,    /* c = hypercall number, a = 1st argument, b = 2nd argument */
    TRC_HC_EXIT = 2,     /* c = hypercall number, a = result (as a signed long) */
    TRC_EVT_SEND = 3,    /* a port became pending (evtchn_set_pending): domid = its
                            domain, c = port, a = port state (ECS_*: 3 interdomain, 5 VIRQ),
                            b = its u field (peer port, VIRQ number) */
    TRC_EVT_DELIVER = 4, /* an upcall bounced into domid: a = evtchn_pending_sel */
    TRC_CTX_SWITCH = 5,  /* domid = next (DOMID_IDLE for idle), c = previous (same) */
    TRC_PT_VALIDATE = 6, /* domid = owner, c = level (1-4), a = MFN of the table */
    TRC_TYPE_COUNT
};

/** One record: 32 bytes, the layout tools/mica-trace decodes. */
struct trace_rec {
    uint64_t ns;    /* system time, ns since boot */
    uint16_t type;  /* enum trace_type */
    uint16_t domid; /* the domain it concerns (see enum trace_type) */
    uint32_t c;     /* small payload: a number, port, level or domain */
    uint64_t a, b;  /* payload words */
};
_Static_assert(sizeof(struct trace_rec) == 32, "trace record layout");

/** True while records are being written; only trace_enable() changes it. */
extern bool trace_on;

/** Write one record (use trace_event()). */
void trace_put(unsigned int type, unsigned int domid, uint32_t c, uint64_t a, uint64_t b);

/** A trace point: a record if tracing is on, one predictable branch if not. */
static inline void trace_event(unsigned int type, unsigned int domid, uint32_t c, uint64_t a,
                               uint64_t b)
{
    if (unlikely(trace_on))
        trace_put(type, domid, c, a, b);
}

/**
 * Use @buf (@nr records, nr >= 1) as the ring, emptied; tracing stays as it was. The
 * hypervisor gets its ring from trace_enable(); tests give their own. Returns 0 or -EINVAL.
 */
int trace_setup(struct trace_rec *buf, size_t nr);

/**
 * Start (@on) or stop tracing. Starting without a ring allocates one of trace_size= records
 * (TRACE_DEFAULT_RECORDS if not given) from the frame allocator. Returns 0, or -ENOMEM if
 * no ring could be had (tracing stays off).
 */
int trace_enable(bool on);

/** Records written since boot (those overwritten included). */
uint64_t trace_total(void);

/** Records in the ring now (at most its size). */
size_t trace_count(void);

/**
 * Copy the @i-th oldest record in the ring (0 <= @i < trace_count()) to @out. Returns 0, or
 * -EINVAL if there is no such record.
 */
int trace_get(size_t i, struct trace_rec *out);

/**
 * Format record @r as a dump line "mt <64 hex digits>\n" into @buf (at least
 * TRACE_LINE_SIZE bytes). Returns the line's length.
 */
size_t trace_format_line(const struct trace_rec *r, char *buf);
#define TRACE_LINE_SIZE 72

/** Dump the ring to the console in the format above, oldest first; tracing pauses meanwhile. */
void trace_dump(void);

/** Command-line options (read by main.c's table): trace=, trace_size=, trace_dump_at_exit. */
extern bool opt_trace;
extern uint64_t opt_trace_size;
extern bool opt_trace_dump_at_exit;

/** Apply trace= at boot, once the frame allocator runs. */
void trace_boot(void);

/** The machine is about to power off or reset: dump the ring if trace_dump_at_exit asks. */
void trace_at_exit(void);

#endif /* MICA_TRACE_H */
