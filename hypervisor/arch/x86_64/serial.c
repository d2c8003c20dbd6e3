/* COM1 serial console: a 16550-compatible UART at I/O port 0x3f8 (PC16550D datasheet). */
#include <arch/io.h>
#include <arch/platform.h>

#define COM1     0x3f8
#define UART_THR 0 /* transmit holding register (DLAB=0) */
#define UART_RBR 0 /* receive buffer (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1 /* divisor latch high (DLAB=1) */
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR   0x01 /* data ready */
#define LSR_THRE 0x20 /* transmit holding register empty */

void serial_init(void)
{
    outb(COM1 + UART_IER, 0x00); /* polled: no UART interrupts yet */
    outb(COM1 + UART_LCR, 0x80); /* DLAB */
    outb(COM1 + UART_DLL, 1);    /* 115200 baud = 115200 / 1 */
    outb(COM1 + UART_DLM, 0);
    outb(COM1 + UART_LCR, 0x03); /* 8N1 */
    outb(COM1 + UART_FCR, 0x07); /* enable and clear FIFOs */
    outb(COM1 + UART_MCR, 0x03); /* DTR, RTS */
}

void serial_putc(char c)
{
    for (unsigned int spins = 0; spins < 100000; spins++) {
        if (inb(COM1 + UART_LSR) & LSR_THRE)
            break;
    }
    outb(COM1 + UART_THR, (uint8_t)c);
}

int serial_getc(void)
{
    if (!(inb(COM1 + UART_LSR) & LSR_DR))
        return -1;
    return inb(COM1 + UART_RBR);
}
