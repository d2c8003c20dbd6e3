/* Reading the MADT: where the local APIC and the I/O APICs are (ACPI 6.4 §5.2.5, §5.2.12). */
#include <arch/acpi.h>
#include <arch/layout.h>
#include <mica/errno.h>
#include <mica/string.h>

struct acpi_rsdp {
    char signature[8]; /* "RSD PTR " */
    uint8_t checksum;  /* over the first 20 bytes */
    char oem_id[6];
    uint8_t revision;
    uint32_t rsdt_address;
    uint32_t length; /* revision >= 2 from here on */
    uint64_t xsdt_address;
    uint8_t ext_checksum;
    uint8_t reserved[3];
} __packed;

struct acpi_header {
    char signature[4];
    uint32_t length;
    uint8_t revision;
    uint8_t checksum;
    char oem_id[6];
    char oem_table_id[8];
    uint32_t oem_revision;
    uint32_t creator_id;
    uint32_t creator_revision;
} __packed;

/* MADT entry types. */
#define MADT_LAPIC               0
#define MADT_IOAPIC              1
#define MADT_LAPIC_ADDR_OVERRIDE 5

static bool checksum_ok(const void *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum += ((const uint8_t *)p)[i];
    return sum == 0;
}

static const struct acpi_rsdp *find_rsdp(void)
{
    for (paddr_t pa = 0xe0000; pa < 0x100000; pa += 16) {
        const struct acpi_rsdp *r = maddr_to_virt(pa);
        if (!memcmp(r->signature, "RSD PTR ", 8) && checksum_ok(r, 20))
            return r;
    }
    return NULL;
}

/* Tables are read through the direct map, which covers all of the first 4 GiB. */
static const struct acpi_header *table_at(paddr_t pa)
{
    const struct acpi_header *h;
    if (!pa || pa >= (4UL << 30))
        return NULL;
    h = maddr_to_virt(pa);
    if (h->length < sizeof(*h) || h->length > (1u << 20) || !checksum_ok(h, h->length))
        return NULL;
    return h;
}

static const struct acpi_header *find_table(const struct acpi_rsdp *rsdp, const char *sig)
{
    const bool xsdt = rsdp->revision >= 2 && rsdp->xsdt_address;
    const struct acpi_header *root = table_at(xsdt ? rsdp->xsdt_address : rsdp->rsdt_address);
    const size_t entry = xsdt ? 8 : 4;

    if (!root)
        return NULL;
    const uint8_t *p = (const uint8_t *)(root + 1);
    size_t n = (root->length - sizeof(*root)) / entry;
    for (size_t i = 0; i < n; i++) {
        uint64_t pa = 0;
        memcpy(&pa, p + i * entry, entry);
        const struct acpi_header *t = table_at(pa);
        if (t && !memcmp(t->signature, sig, 4))
            return t;
    }
    return NULL;
}

int acpi_find_madt(struct acpi_madt_info *out)
{
    const struct acpi_rsdp *rsdp = find_rsdp();
    const struct acpi_header *madt = rsdp ? find_table(rsdp, "APIC") : NULL;

    memset(out, 0, sizeof(*out));
    out->lapic_address = 0xfee00000;
    if (!madt) {
        out->nr_cpus = 1;
        out->nr_ioapics = 1;
        out->ioapic[0].address = 0xfec00000;
        return -ENOENT;
    }
    const uint8_t *base = (const uint8_t *)madt;
    uint32_t lapic32;
    memcpy(&lapic32, base + sizeof(*madt), 4);
    out->lapic_address = lapic32;
    for (size_t off = sizeof(*madt) + 8; off + 2 <= madt->length;) {
        uint8_t type = base[off], len = base[off + 1];
        if (len < 2 || off + len > madt->length)
            break;
        if (type == MADT_LAPIC && len >= 8 && (base[off + 4] & 1)) {
            out->nr_cpus++;
        } else if (type == MADT_IOAPIC && len >= 12 && out->nr_ioapics < MAX_IOAPICS) {
            struct ioapic_info *io = &out->ioapic[out->nr_ioapics++];
            uint32_t addr;
            io->id = base[off + 2];
            memcpy(&addr, base + off + 4, 4);
            io->address = addr;
            memcpy(&io->gsi_base, base + off + 8, 4);
        } else if (type == MADT_LAPIC_ADDR_OVERRIDE && len >= 12) {
            memcpy(&out->lapic_address, base + off + 4, 8);
        }
        off += len;
    }
    return 0;
}
