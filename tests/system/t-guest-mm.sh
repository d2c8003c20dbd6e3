#!/bin/bash
# The guest kernel's memory management (pvguest test=mm, then test=rowrite),
# as dom0 on Debian's Xen 4.17 and on mica: the direct map extended to all
# of dom0's memory with new L1 tables; the page allocator; the heap that
# sbrk grows in batches (one mmu_update per 512 entries) and shrinks with
# one multicall (mmu_update + TLB flush); a 16 MiB malloc; new L3/L2/L1
# tables mapped read-only; lazy areas whose pages the page-fault handler
# maps on first touch (demand-zero) and unmaps and frees on release; a page
# mapped read-only (a write faults with error code 3, then the mapping is
# made writable and read-only again); 512 entries in one mmu_update; a
# batch of 8 whose 5th entry maps its own L1 table writable (-EBUSY, success
# count 4, the first 4 applied, as Xen 4.17 does); 16
# update_va_mapping calls in one multicall; decrease_reservation and
# populate_physmap of one frame. Each check line ends in "(ok)" or
# "(FAILED)", and both systems must print the same lines once numbers are
# blanked. test=rowrite writes to a read-only page without a probe: the
# handler says what the fault hit and crashes the domain.
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"

# check_mm_run: the lines of one test=mm run ($LOG).
check_mm_run() {
    expect_status 0
    expect_line 'pvguest: test mm: start'
    expect_regex 'pvguest: mm: [0-9]+ pages; initial mapping pfn 0-0x[0-9a-f]+ \([0-9]+ MiB\), first free pfn 0x[0-9a-f]+; direct map of [0-9]+ pages, [0-9]+ free \(ok\)$'
    expect_regex 'pvguest: mm: direct map: pfn 0x[0-9a-f]+ at 0xffffffff8[0-9a-f]+ -> mfn 0x[0-9a-f]+, p2m says 0x[0-9a-f]+, m2p says pfn 0x[0-9a-f]+ \(ok\)$'
    expect_regex 'pvguest: alloc: pfns (0x[0-9a-f]+ ?){3}, zeroed, distinct; free pages -3, back after page_free \(ok\)$'
    expect_regex 'pvguest: heap: break at 0xffffc00000[0-9a-f]+; sbrk\(64 KiB\) maps 1[5-7] pages with [0-9]+ mmu_update call\(s\) \([0-9]+ for new tables\) \(ok\)$'
    expect_regex 'pvguest: heap: sbrk\(-64 KiB\) unmaps 1[5-7] pages with 1 multicall \(mmu_update \+ TLB flush\) and frees them; a read there faults, error code 0 \(ok\)$'
    expect_regex 'pvguest: heap: malloc\(16 MiB\) -> ok: [0-9]+ pages mapped with [0-9]+ mmu_update calls \([0-9]+ entries, [0-9]+ new L1 tables\), written and read back \(ok\)$'
    expect_regex 'pvguest: heap: malloc\([0-9]+ MiB\), more than is free -> NULL; heap and free pages unchanged \(ok\)$'
    expect_regex 'pvguest: tables: heap at 0xffffc00000000000: L4 mfn 0x[0-9a-f]+ slot 384 -> L3 mfn 0x[0-9a-f]+ -> L2 mfn 0x[0-9a-f]+ -> L1 mfn 0x[0-9a-f]+, each read-only in the direct map \(ok\)$'
    expect_regex 'pvguest: tables: made since boot: L3 1, L2 [0-9]+, L1 [0-9]+ \(ok\)$'
    expect_regex 'pvguest: lazy: 4 MiB at 0xffffc0004[0-9a-f]+, nothing mapped; 64 pages touched: 64 demand-zero faults, every page read as zero \(ok\)$'
    expect_line 'pvguest: lazy: a second pass reads what was written, no new fault (ok)'
    expect_regex 'pvguest: lazy: lazy_free -> 64 pages unmapped \([0-9]+ multicall\) and freed; free pages as before but [0-9]+ new table\(s\) \(ok\)$'
    expect_line 'pvguest: lazy: a read after lazy_free faults: #PF error code 0, not served (ok)'
    expect_regex 'pvguest: read-only: pfn 0x[0-9a-f]+ mapped read-only at 0xffffc0008[0-9a-f]+ \(pte flags 0x[0-9a-f]+\): reads 0x11 \(ok\)$'
    expect_line 'pvguest: read-only: a write faults: -14, #PF error code 0x3 at the page, memory unchanged (ok)'
    expect_line 'pvguest: read-only: made writable (update_va_mapping -> 0): the write lands, 0x33 in the direct map (ok)'
    expect_line 'pvguest: read-only: read-only again (-> 0): a write faults again (ok)'
    expect_regex 'pvguest: read-only: unmapped \(1 entry, pfn 0x[0-9a-f]+\), page freed \(ok\)$'
    expect_line 'pvguest: batch: 512 entries in one mmu_update -> 0 (1 call, 512 entries); each page shows its frame (ok)'
    expect_line 'pvguest: batch: unmap 512 entries in one multicall (one mmu_update + TLB flush); a read faults, error code 0 (ok)'
    expect_line 'pvguest: batch: 8 entries, the 5th maps the L1 table itself writable -> -16, success count 4: the first 4 are mapped, the rest not (ok)'
    expect_line 'pvguest: multicall: 16 update_va_mapping in one multicall -> 0 (1 multicall); each page shows its frame (ok)'
    expect_line 'pvguest: multicall: unmapped 16, the PFNs read back from the entries match (ok)'
    expect_regex 'pvguest: reservation: decrease_reservation\(mfn 0x[0-9a-f]+ of pfn 0x[0-9a-f]+\) -> 0: ([0-9]+) -> [0-9]+ pages, the direct map no longer maps it \(ok\)$'
    expect_regex 'pvguest: reservation: populate_physmap\(pfn 0x[0-9a-f]+\) -> mfn 0x[0-9a-f]+: [0-9]+ pages, m2p says pfn 0x[0-9a-f]+, mapped again \(ok\)$'
    expect_regex 'pvguest: mm: [0-9]+ mmu_update calls \([0-9]+ entries\), [0-9]+ update_va_mapping, [0-9]+ multicalls, 64 demand-zero faults; tables made: L3 1, L2 [0-9]+, L1 [0-9]+; [0-9]+ heap pages, [0-9]+ free$'
    expect_line 'pvguest: test mm: passed'
    expect_no_line '(FAILED)'
    expect_line 'pvguest: shutting down (poweroff)'
    expect_line 'mica-run: clean power-off'
}

# shape LOG: the test's lines with the (d0) prefix dropped and every number blanked.
shape() {
    sed -n '/pvguest: test mm: start/,/pvguest: test mm: /p' "$1" |
        sed -E 's/\r$//; s/^\(d[0-9]+\) //; s/0x[0-9a-f]+/N/g; s/[0-9]+/N/g'
}

declare -A logs
for hv in xen mica; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv run_mica "${opt[@]}" --timeout 60 "$guest test=mm"
    check_mm_run
    logs[$hv]=$LOG
done

LOG=${logs[mica]}
check "mica prints the lines Xen prints (numbers aside)" \
    diff <(shape "${logs[xen]}") <(shape "${logs[mica]}")

# A write to a read-only page outside a probe is fatal, and the report says so.
for hv in xen mica; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv-rowrite run_mica "${opt[@]}" --timeout 60 "$guest test=rowrite"
    expect_status 1
    expect_regex 'pvguest: test rowrite: writing to 0xffffc0008[0-9a-f]+, mapped read-only$'
    expect_line 'pvguest: exception 14 (#PF page fault), error code 0x3'
    expect_regex 'pvguest:   page fault: write to a read-only page at 0xffffc0008[0-9a-f]+, in the vmap window$'
    expect_line 'pvguest: fatal exception, crashing the domain'
    expect_no_line 'no exception (FAILED)'
done
finish
