#!/bin/bash
# The guest kernel's exception handlers (pvguest test=pagefault / test=gp),
# as dom0 on Debian's Xen 4.17 and on mica: a read of an unmapped address
# bounces a #PF to the guest with error code 0 (a read of a not-present page
# in guest kernel mode: the hypervisor clears the user bit, as Xen does) and
# CR2 in vcpu_info; a read of a non-canonical address bounces a #GP with
# error code 0. The handler prints the vector, the error code, the frame and
# the registers, then crashes the domain.
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"

for hv in xen mica; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)

    RUN=$hv-pagefault run_mica "${opt[@]}" --timeout 60 "$guest test=pagefault"
    expect_status 1
    expect_line 'pvguest: test pagefault: reading address 0x1000'
    expect_line 'pvguest: exception 14 (#PF page fault), error code 0'
    expect_line 'pvguest:   page fault address (cr2) 0x1000'
    expect_regex 'pvguest:   rip ffffffff8[0-9a-f]{7} cs e03[03] rflags [0-9a-f]{8} rsp ffffffff8[0-9a-f]{7} ss e02b \(upcall mask was 0\)$'
    expect_regex 'pvguest:   rax [0-9a-f]{16} rbx [0-9a-f]{16} rcx [0-9a-f]{16}$'
    expect_line 'pvguest: fatal exception, crashing the domain'
    expect_no_line 'no exception (FAILED)'
    if [ "$hv" = xen ]; then
        expect_line 'mica-run: failure: Xen reports dom0 crashed'
    else
        expect_line 'mica: power off (failure)'
    fi

    RUN=$hv-gp run_mica "${opt[@]}" --timeout 60 "$guest test=gp"
    expect_status 1
    expect_line 'pvguest: test gp: reading address 0x8000000000000000'
    expect_line 'pvguest: exception 13 (#GP general protection), error code 0'
    expect_line 'pvguest: fatal exception, crashing the domain'
    expect_no_line 'no exception (FAILED)'
done
finish
