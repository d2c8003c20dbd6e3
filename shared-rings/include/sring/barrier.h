/*
 * The memory barriers Xen's io/ring.h expects its includer to define (xen_mb, xen_rmb, xen_wmb),
 * plus SRING_READ_ONCE for the indices a peer writes.
 *
 * One definition serves the hypervisor, the guest kernel and the host unit tests: all three run
 * on x86-64, and the rings live in ordinary write-back (WB) memory (a granted page, or a page of
 * the test's heap). ring.h uses the barriers as follows:
 *
 *   xen_wmb()  between writing messages and publishing the producer index (store -> store);
 *   xen_rmb()  between reading the peer's producer index and reading its messages (load -> load);
 *   xen_mb()   between publishing a producer index or an event index and reading the peer's
 *              event index or producer index (store -> load: the notification hold-off).
 *
 * Why these instructions (Intel SDM Vol. 3A, "Memory Ordering in P6 and More Recent Processor
 * Families", section 8.2.2 in the editions up to 2022, 9.2.2 since; AMD APM Vol. 2, section 7.2
 * "Multiprocessor Memory Access Ordering", says the same for WB memory):
 *   - "Reads are not reordered with other reads": load -> load needs no fence, so xen_rmb() only
 *     stops the compiler. lfence matters only for weakly-ordered (WC) memory and speculation.
 *   - "Writes to memory are not reordered with other writes", except CLFLUSH, non-temporal stores
 *     (MOVNT*) and the stores inside one fast string operation (8.2.4); stores of a string
 *     operation are still ordered before the stores that follow it (8.2.4.2). The ring code
 *     uses none of the exceptions, so xen_wmb() also only stops the compiler. Code that fills a
 *     message with MOVNT* stores must add its own sfence.
 *   - "Reads may be reordered with older writes to different locations": store -> load is the one
 *     reordering x86 does (the store buffer, example 8.2.3.4), and exactly the one the event-index
 *     check must forbid, or both ends can miss each other's update and sleep forever. xen_mb()
 *     is therefore mfence ("Reads cannot pass ... MFENCE", "Writes cannot pass ... MFENCE").
 * Every barrier also has a "memory" clobber so the compiler neither caches shared fields across
 * it nor moves accesses over it.
 *
 * A host of another architecture (the unit tests are portable C) gets the C11 fences, which
 * are at least as strong: acquire orders earlier loads before later loads, release orders
 * earlier stores before later stores, seq_cst orders everything.
 */
#ifndef SRING_BARRIER_H
#define SRING_BARRIER_H

#if defined(__x86_64__)
#define xen_mb()  __asm__ __volatile__("mfence" ::: "memory")
#define xen_rmb() __asm__ __volatile__("" ::: "memory")
#define xen_wmb() __asm__ __volatile__("" ::: "memory")
#else
#define xen_mb()  __atomic_thread_fence(__ATOMIC_SEQ_CST)
#define xen_rmb() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define xen_wmb() __atomic_thread_fence(__ATOMIC_RELEASE)
#endif

/*
 * Read a field the peer may change at any moment exactly once (a volatile load): the value is
 * then copied into a local, checked, and used, and never fetched again behind the check's back
 * (the "double fetch" a hostile peer exploits).
 */
#define SRING_READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))

#endif /* SRING_BARRIER_H */
