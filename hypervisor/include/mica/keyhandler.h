/*
 * Debug keys on the serial console, as Xen's keyhandler: a key typed after a prefix runs a
 * handler in the hypervisor (dump domains, counters, event channels, the run queue; toggle
 * and dump the trace). Everything else typed goes to dom0, which reads it with
 * CONSOLEIO_read. docs/debugging.md lists the keys.
 *
 * The prefix is Ctrl-A (0x01): Ctrl-A then a key runs that key's handler; Ctrl-A Ctrl-A
 * passes one Ctrl-A to dom0. (Xen switches its console input with Ctrl-A three times; mica
 * has one prefix byte per key, so the keys work without switching back.)
 *
 * Serial input is polled: every KEYHANDLER_POLL_NS by a hypervisor timer, and whenever dom0
 * reads the console. Characters for dom0 wait in a KEYHANDLER_QUEUE_SIZE-byte queue; when
 * it is full, further ones are dropped (and counted).
 *
 * The input filter and key table are portable C, tested on the host (tests/unit/
 * test_keyhandler.c); the handlers for mica's own keys are in common/debug_keys.c.
 */
#ifndef MICA_KEYHANDLER_H
#define MICA_KEYHANDLER_H

#include <mica/types.h>

/** The prefix byte: Ctrl-A. */
#define DEBUG_KEY_PREFIX 0x01

/** Bytes of serial input kept for dom0. */
#define KEYHANDLER_QUEUE_SIZE 1024

/** Serial polling period, ns (20 ms). */
#define KEYHANDLER_POLL_NS 20000000ULL

/** A debug key's handler; @key is the key typed. Runs with interrupts off. */
typedef void (*keyhandler_fn_t)(unsigned char key);

/**
 * Make @key (a printable ASCII character other than the prefix) run @fn, described by @desc
 * in the `h` help. A later registration of the same key replaces the earlier one. Returns 0,
 * or -EINVAL for a key outside '!'..'~'.
 */
int register_keyhandler(unsigned char key, keyhandler_fn_t fn, const char *desc);

/**
 * One byte @c of serial input through the filter: returns @c (or the prefix byte, for a
 * doubled prefix) if it is for dom0, or -1 if it was part of a key sequence (the key's
 * handler has run, or an unknown key was reported).
 */
int keyhandler_filter(unsigned char c);

/** Read all waiting serial input through the filter, queueing what is for dom0. */
void keyhandler_poll(void);

/**
 * The next byte of input for dom0 (CONSOLEIO_read): from the queue, else from the serial
 * line through the filter, one byte at a time (so unread input stays in the UART). Returns
 * the byte (0-255), or -1 if none is waiting.
 */
int console_input_getc(void);

/** Bytes of dom0 input dropped because the queue was full. */
uint64_t keyhandler_dropped(void);

/** Print the registered keys (the `h` key). */
void keyhandler_print_help(void);

/** Forget every registration and all queued input (tests). */
void keyhandler_reset(void);

/** Register `h` and mica's keys (debug_keys.c) and start polling the serial line. */
void keyhandler_init(void);

/** Register mica's own keys (common/debug_keys.c). */
void debug_keys_register(void);

#endif /* MICA_KEYHANDLER_H */
