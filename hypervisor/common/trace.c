/* The trace buffer (see <mica/trace.h>): a ring of 32-byte timestamped records. */
#include <arch/time.h>
#include <mica/console.h>
#include <mica/errno.h>
#include <mica/heap.h>
#include <mica/printf.h>
#include <mica/trace.h>
#include <xen/xen.h>

bool trace_on;
bool opt_trace;
uint64_t opt_trace_size;
bool opt_trace_dump_at_exit;

static struct trace_rec *ring;
static size_t ring_size; /* records */
static uint64_t written; /* records written since the ring was set up */
static uint64_t total;   /* records written since boot */

int trace_setup(struct trace_rec *buf, size_t nr)
{
    if (!buf || !nr)
        return -EINVAL;
    ring = buf;
    ring_size = nr;
    written = 0;
    return 0;
}

void trace_put(unsigned int type, unsigned int domid, uint32_t c, uint64_t a, uint64_t b)
{
    /* Uniprocessor, and the hypervisor runs with interrupts off (SYSCALL and the interrupt
       gates clear IF): no record is written half by one caller and half by another. */
    struct trace_rec *r = &ring[written % ring_size];

    r->ns = now_ns();
    r->type = (uint16_t)type;
    r->domid = (uint16_t)domid;
    r->c = c;
    r->a = a;
    r->b = b;
    written++;
    total++;
}

/* A ring of @records from the frame allocator: the smallest power-of-two run of frames that
   holds them (frames of the direct map, so contiguous in virtual memory too). */
static int alloc_ring(uint64_t records)
{
    unsigned int order = 0;
    long mfn;

    if (!records)
        records = TRACE_DEFAULT_RECORDS;
    while ((PAGE_SIZE << order) < records * sizeof(struct trace_rec) && order < 16)
        order++;
    mfn = alloc_frames(order, DOMID_XEN);
    if (mfn < 0)
        return -ENOMEM;
    return trace_setup(map_frame((mfn_t)mfn), (PAGE_SIZE << order) / sizeof(struct trace_rec));
}

int trace_enable(bool on)
{
    if (on && !ring) {
        int rc = alloc_ring(opt_trace_size);
        if (rc)
            return rc;
        printk("mica: trace buffer of %lu records (%lu KiB)\n", (unsigned long)ring_size,
               (unsigned long)(ring_size * sizeof(struct trace_rec) >> 10));
    }
    trace_on = on && ring;
    return 0;
}

uint64_t trace_total(void)
{
    return total;
}

size_t trace_count(void)
{
    return written < ring_size ? (size_t)written : ring_size;
}

int trace_get(size_t i, struct trace_rec *out)
{
    size_t n = trace_count();

    if (i >= n)
        return -EINVAL;
    *out = ring[(written - n + i) % ring_size];
    return 0;
}

size_t trace_format_line(const struct trace_rec *r, char *buf)
{
    static const char hex[] = "0123456789abcdef";
    const uint8_t *p = (const uint8_t *)r;
    size_t n = 0;

    buf[n++] = 'm';
    buf[n++] = 't';
    buf[n++] = ' ';
    for (size_t i = 0; i < sizeof(*r); i++) {
        buf[n++] = hex[p[i] >> 4];
        buf[n++] = hex[p[i] & 15];
    }
    buf[n++] = '\n';
    buf[n] = '\0';
    return n;
}

void trace_dump(void)
{
    bool was_on = trace_on;
    size_t n = trace_count();
    char line[TRACE_LINE_SIZE + 64];
    struct trace_rec r;
    int len;

    trace_on = false; /* the dump itself is not traced, and the ring holds still */
    len = snprintf(line, sizeof(line),
                   "mica-trace: begin version=%u record_size=%u records=%lu "
                   "lost=%lu\n",
                   TRACE_FORMAT_VERSION, (unsigned int)sizeof(struct trace_rec), (unsigned long)n,
                   (unsigned long)(written - n));
    console_write(line, (size_t)len);
    for (size_t i = 0; i < n; i++) {
        trace_get(i, &r);
        console_write(line, trace_format_line(&r, line));
    }
    len = snprintf(line, sizeof(line), "mica-trace: end records=%lu\n", (unsigned long)n);
    console_write(line, (size_t)len);
    trace_on = was_on;
}

void trace_boot(void)
{
    if (!opt_trace)
        return;
    if (trace_enable(true))
        printk_warn("mica: trace=on: no memory for %lu trace records; tracing stays off\n",
                    (unsigned long)(opt_trace_size ? opt_trace_size : TRACE_DEFAULT_RECORDS));
}

void trace_at_exit(void)
{
    if (opt_trace_dump_at_exit && ring)
        trace_dump();
}
