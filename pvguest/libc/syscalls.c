/*
 * The system-call layer newlib needs (newlib's libc/include/reent.h lists
 * them). This newlib is configured with --disable-newlib-supplied-syscalls
 * and, for target x86_64-elf, MISSING_SYSCALL_NAMES: its reentrant wrappers
 * call write, read, sbrk, close, fstat, isatty, lseek, kill, getpid without
 * a leading underscore; only _exit keeps one (/work/shared/TOOLCHAIN.md).
 *
 * File descriptors 0-2 are the hypervisor console: writes go to console_io,
 * reads return end of file until the console driver exists. The heap is the
 * memory manager's (core/mm.c: pages mapped in batches as the break grows)
 * once the kernel has called mm_init(); until then, and in probe guests
 * that never call it, a small fixed area in .bss. The
 * time of day (gettimeofday, and time() through it) comes from the
 * hypervisor's wall clock plus system time (core/time.c).
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <pvguest/console.h>
#include <pvguest/mm.h>
#include <pvguest/shutdown.h>
#include <pvguest/time.h>
#include <pvguest/xen.h>

/* Size in bytes of the static heap sbrk hands out before mm_init(). */
#define HEAP_SIZE (1024 * 1024)

static char heap[HEAP_SIZE] __attribute__((aligned(16)));
static size_t heap_used;

static int is_console(int fd)
{
    return fd >= 0 && fd <= 2;
}

/*
 * newlib declares read and write to return _READ_WRITE_RETURN_TYPE, which is
 * int for this target: transfer at most INT_MAX bytes per call.
 */

/** Write to fd 1 or 2 (the console). Returns the count, or -1 with errno EBADF or EIO. */
_READ_WRITE_RETURN_TYPE write(int fd, const void *buf, size_t len)
{
    if (fd != STDOUT_FILENO && fd != STDERR_FILENO) {
        errno = EBADF;
        return -1;
    }
    if (len > INT_MAX)
        len = INT_MAX;
    if (console_write(buf, len) < 0) {
        errno = EIO;
        return -1;
    }
    return (_READ_WRITE_RETURN_TYPE)len;
}

/** Read from fd 0: end of file for now (no console input yet). Others: EBADF. */
_READ_WRITE_RETURN_TYPE read(int fd, void *buf, size_t len)
{
    if (fd != STDIN_FILENO) {
        errno = EBADF;
        return -1;
    }
    return 0;
}

/**
 * Grow (or shrink) the heap by incr bytes; returns the old break, or
 * (void *)-1 with ENOMEM. After mm_init() the break moves in the memory
 * manager's heap area (mm_sbrk); what was handed out of the static heap
 * before stays valid (newlib's malloc does not need one contiguous heap).
 */
void *sbrk(ptrdiff_t incr)
{
    if (mm_ready()) {
        void *old = mm_sbrk(incr);

        if (old == (void *)-1)
            errno = ENOMEM;
        return old;
    }
    if ((incr > 0 && (size_t)incr > HEAP_SIZE - heap_used) ||
        (incr < 0 && (size_t)-incr > heap_used)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *old = heap + heap_used;
    heap_used += (size_t)incr;
    return old;
}

/** The console descriptors cannot be closed; others: EBADF. */
int close(int fd)
{
    errno = EBADF;
    return -1;
}

/** The console descriptors are character devices (so stdio line-buffers them). */
int fstat(int fd, struct stat *st)
{
    if (!is_console(fd)) {
        errno = EBADF;
        return -1;
    }
    *st = (struct stat){.st_mode = S_IFCHR | 0620};
    return 0;
}

/** 1 for the console descriptors; 0 with ENOTTY or EBADF otherwise. */
int isatty(int fd)
{
    if (!is_console(fd)) {
        errno = EBADF;
        return 0;
    }
    return 1;
}

/** The console cannot seek: ESPIPE; others: EBADF. */
off_t lseek(int fd, off_t offset, int whence)
{
    errno = is_console(fd) ? ESPIPE : EBADF;
    return -1;
}

/** The kernel is process 1, the only one. */
pid_t getpid(void)
{
    return 1;
}

/**
 * A signal to ourselves (abort() raises SIGABRT this way) crashes the
 * domain; there is no other process: ESRCH.
 */
int kill(pid_t pid, int sig)
{
    if (pid != getpid()) {
        errno = ESRCH;
        return -1;
    }
    printk("pvboot: signal %d, crashing\n", sig);
    guest_shutdown(SHUTDOWN_crash);
}

/** exit(): status 0 powers the domain off, anything else reports a crash. */
void _exit(int status)
{
    guest_shutdown(status == 0 ? SHUTDOWN_poweroff : SHUTDOWN_crash);
}

/**
 * The time of day: seconds and microseconds since the Unix epoch, from
 * shared_info's wall clock plus system time (xen.h). No time zone: *tz, if
 * given, is zeroed (UTC). Always returns 0.
 */
int gettimeofday(struct timeval *tv, void *tz)
{
    if (tv) {
        uint64_t now = wall_clock_ns();

        tv->tv_sec = (time_t)(now / NSEC_PER_SEC);
        tv->tv_usec = (suseconds_t)((now % NSEC_PER_SEC) / NSEC_PER_USEC);
    }
    if (tz)
        *(struct timezone *)tz = (struct timezone){0, 0};
    return 0;
}
