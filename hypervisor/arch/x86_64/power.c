/* Machine power-off: QEMU's isa-debug-exit, then ACPI S5, then halt. */
#include <arch/cpu.h>
#include <arch/io.h>
#include <arch/machine.h>
#include <arch/platform.h>

#define DEBUG_EXIT_PORT    0xf4
#define DEBUG_EXIT_CLEAN   0x10
#define DEBUG_EXIT_FAILURE 0x11
/* QEMU q35's ICH9 PM block at I/O 0x600: PM1a_CNT is at +4; SLP_TYP for S5 is 0. */
#define Q35_PM1A_CNT 0x604
#define PM1_SLP_EN   (1 << 13)

void machine_power_off(bool clean)
{
    local_irq_disable();
    outl(DEBUG_EXIT_PORT, clean ? DEBUG_EXIT_CLEAN : DEBUG_EXIT_FAILURE);
    /* Only reached without isa-debug-exit. A failure must not look like a clean
       power-off, so only the clean path tries ACPI. */
    if (clean)
        outw(Q35_PM1A_CNT, PM1_SLP_EN);
    for (;;)
        halt();
}

#define RST_CNT 0xcf9 /* ICH9 reset control: bit 1 system reset, bit 2 reset CPU */

void machine_reboot(void)
{
    local_irq_disable();
    outb(RST_CNT, 0x02);
    outb(RST_CNT, 0x06);
    outb(0x64, 0xfe); /* 8042 pulse reset line */
    for (;;)
        halt();
}
