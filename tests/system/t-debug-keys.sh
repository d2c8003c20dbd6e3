#!/bin/bash
# Debug keys (issue 8): tests/guests/probe_stats.elf runs as dom0 with input=1
# and reads the console until a '.'; tools/mica-run --input types, half a
# second apart, ordinary text with Ctrl-A key sequences between (h d c e q t,
# a doubled Ctrl-A, T). mica must run each key's handler, and dom0 must get
# exactly the ordinary text: "abcd^Aef." (the doubled prefix is one Ctrl-A).
# The trace dump that `T` prints decodes with tools/mica-trace.
. "$(dirname "$0")/lib.sh"

probe=$BUILD/tests/guests/probe_stats.elf
check "$probe exists (make guest)" test -f "$probe"

run_mica --input-after 'probe_stats: waiting for console input' \
    --input 'ab\x01h' --input '\x01d' --input '\x01c' --input '\x01e' --input '\x01q' \
    --input '\x01t' --input 'cd\x01\x01\x01T' --input 'ef.' "$probe input=1"
expect_status 0
expect_line 'probe_stats: console input "abcd^Aef."'
expect_line 'probe: done'

# h: the help lists every key.
expect_line "mica: debug key 'h': this help"
for k in 'T  dump the trace buffer' 'c  dump counters' 'd  dump domains' 'e  dump event channels' \
    'h  this help' 'q  dump the run queue' 't  toggle tracing' 'z  zero all counters'; do
    expect_line "  $k"
done
# d: domains and vCPUs.
expect_line "mica: debug key 'd': dump domains and vCPUs"
expect_regex '^  d0: running \(privileged\), pages [0-9]+ of [0-9]+, shutdown code -1'
expect_regex '^    v0: (running|blocked|runnable), kernel mode, rip 0xffffffff8[0-9a-f]+, rsp 0x[0-9a-f]+, cr3 0x[0-9a-f]+, slices [0-9]+'
# c: counters per CPU and per domain.
expect_line "mica: debug key 'c': dump counters (per CPU, per domain)"
expect_regex '^  cpu0: context switches [1-9][0-9]*, idle [1-9][0-9]* times for [0-9]+ us, timer interrupts [1-9][0-9]*, hypercalls [1-9][0-9]*, trace records 0, debug keys 3$'
expect_regex '^  d0: slices [0-9]+, run [0-9]+ us, pages [0-9]+$'
expect_regex '^    hypercalls \(nr:count\):( [0-9]+:[0-9]+)* 18:[1-9]'
expect_regex '^    events: sent [0-9]+, raised [1-9][0-9]*, upcalls raised [0-9]+'
expect_regex '^    page tables: ptes validated [0-9]+, promoted [0-9]+'
expect_regex '^    grants: map [0-9]+, unmap [0-9]+, copy [0-9]+, failed [0-9]+$'
# e: event channels (the probe's VIRQ_TIMER port).
expect_line "mica: debug key 'e': dump event channels"
expect_regex '^  d0: [1-9][0-9]* ports bound of [0-9]+ valid; upcall pending [01] mask [01], selector (0|0x[0-9a-f]+)$'
expect_regex '^    port [0-9]+: virq 0$'
# q: run queue.
expect_line "mica: debug key 'q': dump the run queue and timers"
expect_regex '^  cpu0: (running d0 v0, slice ends in [0-9]+ us|idle), [0-9]+ timers pending$'
expect_regex '^    d0 v0: [a-z]+, slices [0-9]+; timers \(us\): periodic -?[0-9]+'
# t, T: tracing on, then a dump that decodes.
expect_line 'mica: tracing on (0 records so far)'
expect_regex '^mica-trace: begin version=1 record_size=32 records=[1-9][0-9]* lost=0$'
expect_order "mica: debug key 't': toggle tracing" "mica: debug key 'T'"
summary=$LOG_DIR/$TEST_NAME.summary
decode() { tools/mica-trace --summary "$LOG" >"$summary"; }
check "tools/mica-trace decodes the dump of key T" decode
check "the dump has hypercall records" grep -qE '^type hc_entry +[1-9]' "$summary"
# Output of the keys never reached dom0, and no key sequence was left half-read.
expect_no_line 'unknown debug key'
finish
