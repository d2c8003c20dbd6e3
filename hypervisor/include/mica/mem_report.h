/*
 * The hypervisor's memory footprint, for measurement (issue 13; docs/benchmarks.md "Memory"):
 * debug key 'm' prints it (common/mem_report.c).
 */
#ifndef MICA_MEM_REPORT_H
#define MICA_MEM_REPORT_H

struct domain;

/**
 * Frames the hypervisor allocated for @d beyond its own pages: shared_info, event-channel
 * port pages (*@evtchn), the grant table's header, shared and active frames (*@grant) and
 * its maptrack frames (*@maptrack). Returns their sum.
 */
unsigned long mem_report_domain_frames(const struct domain *d, unsigned long *evtchn,
                                       unsigned long *grant, unsigned long *maptrack);

/** Register debug key 'm'. */
void mem_report_register(void);

#endif /* MICA_MEM_REPORT_H */
