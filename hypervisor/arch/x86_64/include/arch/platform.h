/*
 * The narrow interface common code uses to reach the platform: serial console and
 * machine power. Implemented under arch/x86_64/.
 */
#ifndef ARCH_PLATFORM_H
#define ARCH_PLATFORM_H

#include <mica/types.h>

/** Program COM1 (0x3f8) for 115200 8N1 (16550 UART). Safe to call more than once. */
void serial_init(void);

/** Write one byte to COM1, waiting for the transmitter (no translation). */
void serial_putc(char c);

/** Read one byte from COM1 if one is waiting; returns -1 if none. */
int serial_getc(void);

/**
 * Power the machine off. @clean tells QEMU's isa-debug-exit device which status to
 * report: 0x10 (QEMU exits 33) for a clean power-off, 0x11 (QEMU exits 35) for a
 * failure. Without that device, ACPI S5 on QEMU's q35 PM block, then halt forever.
 */
__attribute__((noreturn)) void machine_power_off(bool clean);

#endif /* ARCH_PLATFORM_H */
