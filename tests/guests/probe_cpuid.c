/*
 * probe_cpuid: CPUID as a PV dom0 sees it on Xen 4.17 and on mica, compared
 * by t-probe-cpuid.sh (expected differences in probe_cpuid.diff-ok).
 *
 * Xen's forced-emulation prefix (XEN_CPUID in arch-x86/xen.h: `ud2a; .ascii
 * "xen"; cpuid`) traps to the hypervisor, which answers from its CPUID policy:
 * the hypervisor leaves 0x40000000.. (signature, version, hypercall page and
 * MSR, features) and the filtered basic leaves. A plain `cpuid` is not
 * intercepted (QEMU's TCG has no CPUID faulting), so it shows the emulated
 * CPU, the same on both systems under the same QEMU CPU model.
 */
#define PROBE_NAME "probe_cpuid"

#include <string.h>

#include "probe.h"

struct regs {
    uint32_t a, b, c, d;
};

/* cpuid through Xen's forced-emulation prefix (the hypervisor's policy). */
static struct regs xen_cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct regs r;

    __asm__ volatile("ud2a; .ascii \"xen\"; cpuid"
                     : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
                     : "0"(leaf), "2"(subleaf));
    return r;
}

/* A plain cpuid (the CPU's answer, not intercepted under TCG). */
static struct regs plain_cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct regs r;

    __asm__ volatile("cpuid"
                     : "=a"(r.a), "=b"(r.b), "=c"(r.c), "=d"(r.d)
                     : "0"(leaf), "2"(subleaf));
    return r;
}

/* The 12-byte signature a leaf returns in EBX, ECX, EDX (hypervisor leaves)
   or EBX, EDX, ECX (leaf 0 vendor). */
static const char *sig(uint32_t r1, uint32_t r2, uint32_t r3)
{
    static char s[13];

    memcpy(s, &r1, 4);
    memcpy(s + 4, &r2, 4);
    memcpy(s + 8, &r3, 4);
    s[12] = '\0';
    for (int i = 0; i < 12; i++) {
        if (s[i] < 0x20 || s[i] > 0x7e)
            s[i] = '.';
    }
    return s;
}

static void print_regs(const char *how, uint32_t leaf, struct regs r)
{
    P("%s(%#x) = eax %#x ebx %#x ecx %#x edx %#x", how, leaf, r.a, r.b, r.c, r.d);
}

int main(void)
{
    /* Hypervisor leaves. */
    struct regs r = xen_cpuid(0x40000000, 0);
    P("XEN_CPUID(0x40000000) = max leaf %#x, signature \"%s\"", r.a, sig(r.b, r.c, r.d));

    r = xen_cpuid(0x40000001, 0);
    P("XEN_CPUID(0x40000001) = eax %#x (version %u.%u)", r.a, r.a >> 16, r.a & 0xffff);

    r = xen_cpuid(0x40000002, 0);
    P("XEN_CPUID(0x40000002) = hypercall pages %u, MSR base %#x, features ecx %#x edx %#x", r.a,
      r.b, r.c, r.d);

    for (uint32_t leaf = 0x40000003; leaf <= 0x40000006; leaf++)
        print_regs("XEN_CPUID", leaf, xen_cpuid(leaf, 0));
    /* Xen 4.17 also has sub-leaves under 0x40000003 (TSC); sub-leaf 1 and 2. */
    print_regs("XEN_CPUID sub-leaf 1 of", 0x40000003, xen_cpuid(0x40000003, 1));
    /* Leaves outside every range the policy knows: the next hypervisor range (Viridian's
       slot when Xen runs as HVM), beyond the basic and the extended maximum. A real CPU
       answers such a leaf with the highest basic leaf's data; a policy answers zeros. */
    print_regs("XEN_CPUID", 0x40000100, xen_cpuid(0x40000100, 0));
    print_regs("XEN_CPUID", 0x20, xen_cpuid(0x20, 0));
    print_regs("XEN_CPUID", 0x8000ffff, xen_cpuid(0x8000ffff, 0));

    /* Basic leaves through the hypervisor. */
    r = xen_cpuid(0, 0);
    P("XEN_CPUID(0) = vendor \"%s\"", sig(r.b, r.d, r.c));
    r = xen_cpuid(1, 0);
    P("XEN_CPUID(1) ecx hypervisor bit (31): %s", (r.c >> 31) & 1 ? "set" : "clear");
    P("XEN_CPUID(1) = ecx %#x edx %#x", r.c, r.d);
    r = xen_cpuid(7, 0);
    P("XEN_CPUID(7, 0) = ebx %#x ecx %#x edx %#x", r.b, r.c, r.d);

    /* The plain instruction: QEMU's CPU, identical on both. */
    r = plain_cpuid(0, 0);
    P("cpuid(0) = max leaf %#x, vendor \"%s\"", r.a, sig(r.b, r.d, r.c));
    r = plain_cpuid(1, 0);
    P("cpuid(1) ecx hypervisor bit (31): %s", (r.c >> 31) & 1 ? "set" : "clear");
    P("cpuid(1) = ecx %#x edx %#x", r.c, r.d);
    r = plain_cpuid(0x40000000, 0);
    P("cpuid(0x40000000) = max leaf %#x, signature \"%s\"", r.a, sig(r.b, r.c, r.d));

    probe_done();
    return 0;
}
