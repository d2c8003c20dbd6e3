/* Address-to-function lookup over the table tools/gen-symbols.sh generates. */
#include <mica/console.h>
#include <mica/symbols.h>

/* One entry per function, sorted by address (see tools/gen-symbols.sh). */
struct symbol_entry {
    uint64_t addr;
    uint32_t size;
    uint32_t name_offset; /* into symbols_names */
};

extern const struct symbol_entry symbols_table[];
extern const uint64_t symbols_count;
extern const char symbols_names[];

const char *symbols_lookup(uint64_t addr, uint64_t *offset, uint64_t *size)
{
    uint64_t lo = 0, hi = symbols_count;

    /* Last entry with entry.addr <= addr. */
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (symbols_table[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    const struct symbol_entry *e = &symbols_table[lo - 1];
    if (addr - e->addr >= (e->size ? e->size : 1))
        return NULL;
    *offset = addr - e->addr;
    *size = e->size;
    return symbols_names + e->name_offset;
}

void print_symbol_line(uint64_t addr, bool return_address)
{
    uint64_t off, size;
    /* A return address may be one past the end of a function whose last instruction is a
       call to a noreturn function: look up the call instruction itself. */
    const char *name = symbols_lookup(return_address ? addr - 1 : addr, &off, &size);

    if (name && return_address)
        off++;

    if (name)
        printk_err("  [<%016lx>] %s+%#lx/%#lx\n", addr, name, off, size);
    else
        printk_err("  [<%016lx>] ?\n", addr);
}
