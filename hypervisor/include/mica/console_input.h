/*
 * Serial input focus (issue 9): serial input goes to one domain at a time, as on Xen. The
 * domain holding it reads the input with CONSOLEIO_read and receives VIRQ_CONSOLE (if it
 * bound it) when input arrives; the others read nothing. Ctrl-A then a digit N (mica's
 * debug-key prefix, <mica/keyhandler.h>) moves it to domain N, if N exists; Xen's sequence
 * is Ctrl-A three times, cycling, which mica's one-byte prefix cannot give. The hypervisor
 * option console_to=N picks the first holder (default dom0). A console line says where
 * input goes each time it moves. docs/bootcfg.md describes it.
 *
 * The focus itself and the queue are in common/keyhandler.c (linked by the host unit
 * tests); the keys, the option and the event are in common/console_input.c.
 */
#ifndef MICA_CONSOLE_INPUT_H
#define MICA_CONSOLE_INPUT_H

#include <mica/types.h>

struct domain;

/** The domain serial input goes to now (0 until console_to= or a key moves it). */
domid_t console_input_focus(void);

/**
 * Whether @domid may call CONSOLEIO_read: dom0 and every domain that has held the input
 * (a deviation: Xen refuses domUs with -EPERM, as mica does for a domU never given it).
 * Only the holder reads bytes; the others read 0.
 */
bool console_input_may_read(domid_t domid);

/**
 * Move serial input to @domid: the bytes queued for the previous holder are discarded
 * (typed for it, not for @domid). No message; callers print one.
 */
void console_input_set_focus(domid_t domid);

/** Called (with interrupts off) after the serial poll queued input for the holder; NULL: none. */
void console_input_set_hook(void (*fn)(void));

/**
 * A domain @d was built (pv_domain.c): the first call registers the focus keys and reads
 * console_to=; the line "mica: serial input to dN" is printed when the holder is built.
 */
void console_input_domain_built(struct domain *d);

/** @d is destroyed for good: if it held the input, dom0 gets it back (with a console line). */
void console_input_domain_gone(struct domain *d);

#endif /* MICA_CONSOLE_INPUT_H */
