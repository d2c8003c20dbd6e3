/*
 * Building a PV domain from a kernel image in machine memory: the hypervisor side of the
 * domain builder (frames, M2P, hypervisor L4 slots, hypercall page, typed and pinned page
 * tables, vCPU context). The portable protocol part is domain_build.c.
 */
#ifndef MICA_PV_DOMAIN_H
#define MICA_PV_DOMAIN_H

#include <mica/types.h>

struct domain;

/** What to build. */
struct pv_domain_config {
    domid_t domid;
    bool privileged;        /* SIF_PRIVILEGED | SIF_INITDOMAIN: dom0 */
    const void *kernel;     /* the ELF image, hypervisor-readable */
    size_t kernel_len;      /* bytes */
    const void *module;     /* initrd or NULL */
    size_t module_len;      /* bytes */
    const char *cmdline;    /* the kernel's command line ("" for none) */
    unsigned long nr_pages; /* memory, 4 KiB pages */
    unsigned int nr_vcpus;  /* must be 1 in this round */
};

/**
 * Build domain @cfg->domid ready to run (vCPU 0 set to the kernel's entry). On failure the
 * console says why (naming the domain) and a negative errno is returned: -EINVAL for a bad
 * kernel or configuration, -ENOMEM when memory runs out, -EOPNOTSUPP for a kernel requiring
 * what mica lacks. Frames taken before a failure are not returned yet (boot then stops).
 */
int pv_domain_build(const struct pv_domain_config *cfg, struct domain **out);

#endif /* MICA_PV_DOMAIN_H */
