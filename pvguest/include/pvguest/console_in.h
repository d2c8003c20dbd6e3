/*
 * Console input (issue 12, the shell): the serial bytes the hypervisor queues for the domain
 * holding the console's input focus, read with HYPERVISOR_console_io(CONSOLEIO_read) (xen.h;
 * mica's <mica/console_input.h>, issue 9). VIRQ_CONSOLE announces new input; without it (the
 * bind failed) a waiting thread polls every 20 ms. Waiting threads sleep (sched.h), so the
 * other threads (lwIP, the HTTP server) keep running meanwhile.
 */
#ifndef PVGUEST_CONSOLE_IN_H
#define PVGUEST_CONSOLE_IN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Bind VIRQ_CONSOLE (events.h) to wake waiting readers. Idempotent; console_in_read() calls
 * it. Returns 0, or the bind's negated Xen error (readers then poll). Needs events_init()
 * and sched_init().
 */
long console_in_init(void);

/**
 * Read up to @n bytes that are waiting, without blocking. Returns the number read (0: none),
 * or CONSOLEIO_read's negated Xen error (-XEN_EPERM: this domain may not read the console).
 */
long console_in_poll(char *buf, size_t n);

/**
 * Wait until input is waiting, then read up to @n bytes of it. Gives up when system time
 * reaches @deadline_ns (0: never). Returns the number read (> 0), 0 at the deadline, or a
 * negated Xen error as console_in_poll().
 */
long console_in_read(char *buf, size_t n, uint64_t deadline_ns);

/**
 * Whether Ctrl-C (0x03) was typed: reads what is waiting without blocking; the bytes before
 * the Ctrl-C are kept for the next read, the Ctrl-C and the bytes after it are dropped (as a
 * terminal's interrupt flushes its input). For commands that run for a while (sleep, ping).
 */
bool console_in_interrupted(void);

#endif /* PVGUEST_CONSOLE_IN_H */
