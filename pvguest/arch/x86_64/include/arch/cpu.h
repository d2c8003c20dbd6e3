/*
 * x86-64 CPU primitives the portable guest code needs: compiler and memory
 * barriers, atomic bit operations on shared memory (the event-channel
 * bitmaps in shared_info, which the hypervisor updates concurrently with
 * locked instructions: xen.h, comment on struct shared_info), and the TSC.
 * Intel SDM vol. 2 (BTS, BTR, XCHG, RDTSC) and vol. 3 §8.2 (memory ordering).
 */
#ifndef PVGUEST_ARCH_CPU_H
#define PVGUEST_ARCH_CPU_H

#include <stdbool.h>
#include <stdint.h>

/** Keep the compiler from moving memory accesses across this point. */
#define barrier() __asm__ volatile("" ::: "memory")

/*
 * x86 keeps loads in order with loads and stores in order with stores
 * (SDM vol. 3 §8.2.2), so read and write barriers only stop the compiler.
 * A full barrier also orders an earlier store before a later load.
 */
/** Order earlier loads before later loads. */
#define rmb() barrier()
/** Order earlier stores before later stores. */
#define wmb() barrier()
/** Order every earlier access before every later one (a locked no-op). */
#define mb() __asm__ volatile("lock; addl $0, (%%rsp)" ::: "memory", "cc")

/** Read a value that another agent (the hypervisor) may change, exactly once. */
#define READ_ONCE(x) (*(const volatile __typeof__(x) *)&(x))
/** Write a value that another agent reads, exactly once. */
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))

/** Atomically set bit `nr` of the bitmap at `addr` (lock bts). */
static inline void sync_set_bit(unsigned long nr, volatile unsigned long *addr)
{
    __asm__ volatile("lock; btsq %1, %0" : "+m"(*(volatile long *)addr) : "r"(nr) : "memory");
}

/** Atomically clear bit `nr` of the bitmap at `addr` (lock btr). */
static inline void sync_clear_bit(unsigned long nr, volatile unsigned long *addr)
{
    __asm__ volatile("lock; btrq %1, %0" : "+m"(*(volatile long *)addr) : "r"(nr) : "memory");
}

/** Atomically clear bit `nr` of the bitmap at `addr`; return whether it was set. */
static inline bool sync_test_and_clear_bit(unsigned long nr, volatile unsigned long *addr)
{
    bool was_set;

    __asm__ volatile("lock; btrq %2, %1"
                     : "=@ccc"(was_set), "+m"(*(volatile long *)addr)
                     : "r"(nr)
                     : "memory");
    return was_set;
}

/** Whether bit `nr` of the bitmap at `addr` is set (one plain read). */
static inline bool sync_test_bit(unsigned long nr, const volatile unsigned long *addr)
{
    return (addr[nr / 64] >> (nr % 64)) & 1;
}

/** Atomically replace *addr with `val`; return the old value (xchg, implicitly locked). */
static inline unsigned long xchg_ulong(volatile unsigned long *addr, unsigned long val)
{
    __asm__ volatile("xchgq %0, %1" : "+r"(val), "+m"(*addr) : : "memory");
    return val;
}

/** The time-stamp counter (RDTSC). PV guests may read it directly (Xen's default tsc_mode). */
static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

#endif /* PVGUEST_ARCH_CPU_H */
