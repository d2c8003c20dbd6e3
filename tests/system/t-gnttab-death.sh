#!/bin/bash
# Grants across two domains and the death of one (mica only: Xen 4.17 here runs a lone
# dom0). tests/guests/gnttab_death.c runs as dom0 and, with domu_copies=1, as d1: each
# grants a frame to the other and maps the other's; d1 then crashes with both mappings in
# place. Its mapping of dom0's frame must be released (GTF bits clear, its write kept), its
# own frame must stay allocated and readable while dom0 maps it, new maps of its grants are
# refused (GNTST_bad_domain = -2), and dom0's unmap and a fresh map of its own grant work.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/gnttab_death.elf
check "$elf exists (make guest)" test -f "$elf"

run_mica --timeout 60 --append "console=com1 loglvl=all domu_copies=1" "$elf"
expect_status 0
expect_line '(d1) gnttab_death: d1: map dom0'"'"'s ref 20 at host: status 0'
expect_line '(d0) gnttab_death: dom0: map d1'"'"'s ref 8 at host: status 0'
expect_line '(d1) gnttab_death: d1: ref 8 reading,writing; crashing with both mappings in place'
expect_line 'mica: d1 shut down: crash'
expect_line 'mica: d1: 1 grants still mapped by others; table kept until unmapped'
expect_line '(d0) gnttab_death: dom0: after d1'"'"'s death, map of d1'"'"'s ref 9: status -2'
expect_line '(d0) gnttab_death: dom0: ref 20 (d1 had it mapped) -; frame reads "written by d1"'
expect_line '(d0) gnttab_death: dom0: d1'"'"'s frame still mapped at host, reads "d1'"'"'s page", same frame: yes'
expect_line '(d0) gnttab_death: dom0: unmap d1'"'"'s frame = 0, status 0; host mapped: no'
expect_line '(d0) gnttab_death: dom0: map own ref 20 = status 0, reads "written by d1"'
expect_order 'mica: d1 shut down: crash' '(d0) gnttab_death: dom0: after d1'
expect_line '(d0) probe: done'
expect_line 'mica: power off (clean)'
finish
