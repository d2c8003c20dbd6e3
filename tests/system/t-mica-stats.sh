#!/bin/bash
# HYPERVISOR_mica_stats_op (issue 8, hypercall 55 = xen.h's __HYPERVISOR_arch_7):
# tests/guests/probe_stats.elf as dom0. On mica the counters count (100
# xen_version calls are 100 in hypercalls[17]; a 30 ms sleep adds timer
# interrupts, idle entries and time, context switches, upcalls) and every
# sub-op gives its documented error; on Xen 4.17 the number is unused and
# answers -ENOSYS.
. "$(dirname "$0")/lib.sh"

probe=$BUILD/tests/guests/probe_stats.elf
check "$probe exists (make guest)" test -f "$probe"

RUN=mica run_mica "$probe"
expect_status 0
expect_line 'probe_stats: mica_stats_op(version) = 1'
expect_line 'probe_stats: read_domain(self) = 0'
expect_line 'probe_stats: read_cpu(0) = 0'
expect_line 'probe_stats: version field 1, domid field 0x7ff0'
expect_line 'probe_stats: xen_version calls counted: 100'
expect_line 'probe_stats: mica_stats_op calls counted: 2'
for what in 'sched_op calls counted' 'tot_pages > 0' 'upcalls delivered grew' \
    'events raised grew' 'run time grew' 'slices grew' 'boot page tables not counted' \
    'cpu timer interrupts grew' 'cpu idle entries grew' 'cpu idle time grew >= 10 ms' \
    'cpu context switches grew' 'cpu hypercalls grew >= 100'; do
    expect_line "probe_stats: $what: yes"
done
expect_line 'probe_stats: read_domain(d5) = -3 (ESRCH)'
expect_line 'probe_stats: read_domain(version 2) = -22 (EINVAL)'
expect_line 'probe_stats: read_domain(version 0) = -22 (EINVAL)'
expect_line 'probe_stats: read_domain(hypervisor address) = -14 (EFAULT)'
expect_line 'probe_stats: read_domain(NULL) = -14 (EFAULT)'
expect_line 'probe_stats: read_cpu(1) = -2 (ENOENT)'
expect_line 'probe_stats: read_cpu(version 9) = -22 (EINVAL)'
expect_line 'probe_stats: op 4 = -38 (ENOSYS)'
expect_line 'probe_stats: reset(d7) = -3 (ESRCH)'
expect_line 'probe_stats: reset(self) = 0'
expect_line 'probe_stats: after reset: xen_version 0, mica_stats_op 1'
expect_line 'probe_stats: reset(all) = 0'
expect_regex 'probe_stats: after reset all: cpu hypercalls [0-9]$'
expect_line 'probe: done'
expect_no_line ': NO'

RUN=xen run_mica --xen "$probe"
expect_status 0
expect_line 'probe_stats: mica_stats_op(version) = -38 (ENOSYS)'
expect_line 'probe: done'
finish
