/*
 * The hypervisor's own symbol table, linked into the image by a second link pass
 * (tools/gen-symbols.sh), for symbolized backtraces.
 */
#ifndef MICA_SYMBOLS_H
#define MICA_SYMBOLS_H

#include <mica/types.h>

/**
 * Find the function containing @addr. Returns its name and sets @offset (bytes into the
 * function) and @size (its size in bytes), or returns NULL if @addr is in no known function.
 */
const char *symbols_lookup(uint64_t addr, uint64_t *offset, uint64_t *size);

/**
 * Print "[<addr>] name+off/size" for @addr on the console at error level. A
 * @return_address is looked up as addr - 1, so a call that ends its function still names it.
 */
void print_symbol_line(uint64_t addr, bool return_address);

#endif /* MICA_SYMBOLS_H */
