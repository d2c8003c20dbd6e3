#!/bin/bash
# The trace buffer (issue 8): pvguest's test=events as dom0 with `trace=on
# trace_dump_at_exit`, so mica dumps the ring at power-off; tools/mica-trace
# decodes the dump, which must hold records of every type (hypercall entry and
# exit, event send and delivery, context switch, page-table validation), as
# text, CSV and a summary. Without trace=on there is no dump, and the decoder
# says so with exit status 1.
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"

RUN=on run_mica --append "console=com1 trace=on trace_size=16384 trace_dump_at_exit" \
    "$guest test=events"
expect_status 0
expect_line 'pvguest: test events: passed'
expect_regex '^mica: trace buffer of 16384 records \(512 KiB\)$'
expect_regex '^mica-trace: begin version=1 record_size=32 records=[0-9]+ lost=0$'
expect_regex '^mica-trace: end records=[0-9]+$'
expect_order 'mica: d0 shut down: poweroff' 'mica-trace: begin'
trace_log=$LOG

summary=$LOG_DIR/$TEST_NAME.summary
text=$LOG_DIR/$TEST_NAME.txt
csv=$LOG_DIR/$TEST_NAME.csv
# decode FILE ARGS... — tools/mica-trace ARGS... on the last log into FILE; its status.
decode() {
    local file=$1
    shift
    tools/mica-trace "$@" "$trace_log" >"$file"
}
check "tools/mica-trace --summary decodes the dump" decode "$summary" --summary
check "tools/mica-trace (text) decodes the dump" decode "$text"
check "tools/mica-trace --csv decodes the dump" decode "$csv" --csv
for type in hc_entry hc_exit evt_send evt_deliver ctx_switch pt_validate; do
    check "records of type $type" grep -qE "^type $type +[1-9][0-9]*$" "$summary"
done
check "text: a VIRQ_TIMER send" grep -qE ' d0 +evt_send +port [0-9]+ \(virq TIMER\)$' "$text"
check "text: dom0 leaves and re-enters idle" grep -qE ' (d0|idle) +ctx_switch +(d0 -> idle|idle -> d0)$' "$text"
check "text: dom0's L4 validated" grep -qE ' d0 +pt_validate +L4 table mfn 0x[0-9a-f]+$' "$text"
check "text: xen_version returns" grep -qE ' d0 +hc_exit +xen_version\(17\) = [0-9]+$' "$text"
check "summary: hypercall durations" grep -qE '^event_channel_op\(32\) +[0-9]+ +[0-9]+' "$summary"
check "CSV header" grep -qx 'ns,event,domain,c,a,b,detail' "$csv"
check "CSV has a row per record" test "$(($(wc -l <"$csv") - 1))" -eq \
    "$(grep -cE '^mt [0-9a-f]{64}$' "$trace_log")"
check "timestamps never go backwards" awk -F, 'NR > 1 { if ($1 < last) exit 1; last = $1 }' "$csv"

RUN=off run_mica "$guest"
expect_status 0
expect_no_line 'mica-trace: begin'
tools/mica-trace "$LOG" >/dev/null 2>"$LOG_DIR/$TEST_NAME.err"
check "no dump: mica-trace exits 1" test $? -eq 1
check "no dump: mica-trace says so" grep -q 'no trace dump' "$LOG_DIR/$TEST_NAME.err"
finish
