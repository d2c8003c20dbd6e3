#!/bin/bash
# Hostile-guest suite, second domain unharmed (issue 5; mica only: Xen 4.17 here runs a lone
# dom0). With domu_copies=1, tests/guests/probe_mmu_hostile.c runs as d1 and makes every
# attack of t-probe-mmu-hostile.sh, and more against dom0's frames, which it finds through
# the M2P (map them, write into them, pin them, load one as CR3, give one back). dom0, started
# with "guard", records its page tables (every leaf entry of its mappings and its L4), which
# frames are its own and markers in its memory, yields while d1 attacks, then checks them all
# and that it can still map and unmap: "dom0: a second domain unharmed: yes".
. "$(dirname "$0")/lib.sh"

probe=probe_mmu_hostile
elf=$BUILD/tests/guests/$probe.elf
check "$elf exists (make guest)" test -f "$elf"

run_mica --timeout 90 --append "console=com1 domu_copies=1" "$elf guard"
expect_status 0
expect_line "(d0) $probe: dom0: tick 0"
expect_line "(d1) $probe: another domain's frame found: yes"
for what in "read-only" "writable"; do
    expect_line "(d1) $probe: update_va_mapping(scratch, another domain's frame $what) = -16 (EBUSY)"
done
expect_line "(d1) $probe: mmu_update(scratch's L1 entry := another domain's frame writable) = -16 (EBUSY)"
expect_line "(d1) $probe: mmu_update(another domain's frame word := 0) = -22 (EINVAL)"
expect_line "(d1) $probe: pin another domain's frame as L1 = -22 (EINVAL)"
expect_line "(d1) $probe: unpin another domain's frame = -22 (EINVAL)"
expect_line "(d1) $probe: mmuext NEW_BASEPTR(another domain's frame) = -22 (EINVAL)"
expect_line "(d1) $probe: mmu_update(MMU_MACHPHYS_UPDATE of another domain's frame) = -22 (EINVAL)"
expect_line "(d1) $probe: decrease_reservation(another domain's frame) = 0"
expect_line "(d1) $probe: another domain's frame still not ours and its M2P entry kept: yes"
expect_line "(d1) $probe: after all attacks: scratch writable: yes; data intact: yes"
expect_line "(d1) probe: done"
expect_line 'mica: d1 shut down: poweroff'
expect_line "(d0) $probe: dom0: page tables as before: yes; frames all still its own: yes; memory intact: yes"
expect_line "(d0) $probe: dom0: can still map and unmap: yes"
expect_line "(d0) $probe: dom0: a second domain unharmed: yes"
expect_order "(d1) probe: done" "(d0) $probe: dom0: a second domain unharmed: yes"
expect_order "(d0) $probe: dom0: guarding" "(d1) $probe: -- A: its own page tables writable"
expect_line 'mica: power off (clean)'
expect_no_line 'frames still referenced'
expect_no_line 'crashed'

# Apart from the lines about another domain (there is none for dom0 alone), d1 answers what
# the lone dom0 answers (tests/system/t-probe-mmu-hostile.sh compares that one with Xen).
d1=$(sed -n "s/^(d1) \($probe: .*\)/\1/p" "$LOG" | grep -v "another domain's frame")
check "d1 printed the whole probe ($(echo "$d1" | wc -l) lines)" test "$(echo "$d1" | wc -l)" -gt 150
finish
