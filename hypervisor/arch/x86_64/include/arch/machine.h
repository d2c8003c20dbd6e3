/* Machine-level actions common code may ask for. */
#ifndef ARCH_MACHINE_H
#define ARCH_MACHINE_H

#include <mica/types.h>

/** Reset the machine (ICH9 reset control register 0xcf9, then the keyboard controller). */
__noreturn void machine_reboot(void);

#endif /* ARCH_MACHINE_H */
