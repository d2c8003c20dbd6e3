#!/bin/bash
# Guest user mode (issue 5, "User mode"): tests/guests/probe_usermode.c gives its user
# program a root table of its own (MMUEXT_NEW_USER_BASEPTR) that maps the program with
# _PAGE_USER and not the kernel, registers a syscall callback and a kernel stack, and enters
# user mode with HYPERVISOR_iret (FLAT_USER_CS64). The program makes system calls (answered
# with the iret hypercall and VGCF_in_syscall), takes a page fault its kernel resolves,
# finds kernel memory unreachable, raises int3 and #GP, is interrupted by an event upcall
# (an IPI its kernel sends itself); then runs again with the kernel's own
# L4 as the user table too (Xen allows it; kernel memory is reachable then); all as dom0 on
# Xen 4.17 and on mica, compared apart from tests/guests/probe_usermode.diff-ok.
. "$(dirname "$0")/lib.sh"

probe=probe_usermode
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

for sys in xen mica; do
    if [ $sys = xen ]; then
        RUN=xen run_mica --xen --timeout 60 "$elf"
    else
        RUN=mica run_mica --timeout 60 "$elf"
    fi
    expect_status 0
    expect_line 'probe: done'
    expect_line "$probe: back in the kernel: by the exit system call"
    expect_line "$probe: syscall 2: the user saw the answer 0x2469"
    expect_line "$probe: syscall 3: the user read back 0x55aa after the fault was resolved"
    expect_line "$probe: syscall 4: the user's register after the read: 0x5a5a (kernel memory unreachable: yes)"
    expect_line "$probe: int3 in user mode: 1, RIP after it: yes, CS 0x10000e033"
    expect_line "$probe: syscall 6: EVTCHNOP_send = 0; upcalls: 1, interrupted user mode right after the syscall: yes, CS 0xe033, frame on the kernel stack: yes"
    expect_line "$probe: one table for both: back in the kernel: by the exit system call; system calls: 6, page faults: 0, unexpected: 0"
    if [ $sys = xen ]; then xen_log=$LOG; else mica_log=$LOG; fi
done

check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
    tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
finish
