#!/bin/bash
# bench smoke test: the benchmark guest (tests/guests/bench.c) runs as dom0 on mica with
# one tiny batch per benchmark and prints only well-formed lines; tools/mica-bench reads them
# and writes its CSV and Markdown table. No timing is checked: benchmarks are not tests
# (docs/benchmarks.md); `make bench` runs the real thing.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/bench.elf
check "$elf exists (make guest)" test -f "$elf"

run_mica --timeout 60 "$elf quick batches=1 batch_us=50"
expect_status 0
expect_regex '^\(d0\) bench: start hypervisor=[0-9]+\.[0-9]+\S* tsc_khz=[1-9][0-9]* batches=1 batch_us=50$'
expect_line '(d0) bench: done'
expect_no_line 'bench: error'
result='^\(d0\) bench: name=[a-z0-9_]+ unit=ns iters=[1-9][0-9]* batches=1 median=[0-9]+\.[0-9] min=[0-9]+\.[0-9] max=[0-9]+\.[0-9]$'
skip='^\(d0\) bench: skip name=[a-z0-9_,]+ reason=\S+'
for name in null_hypercall multicall_32_per_call evtchn_send_masked evtchn_send_upcall \
    evtchn_pingpong update_va_mapping mmu_update_1 mmu_update_512_per_pte pin_unpin_l1_empty \
    pin_unpin_l1_full ptwr_write page_fault user_syscall; do
    expect_regex "^\(d0\) bench: name=$name "
done
bad=$(grep -E '^\(d0\) bench: ' "$LOG" | grep -vE "$result|$skip|^\(d0\) bench: (start|done)" || true)
check "every bench line is well-formed${bad:+ (not: $bad)}" test -z "$bad"

out=$LOG_DIR/t-bench-smoke.results
rm -rf "$out"
echo "  run: tools/mica-bench --systems mica --runs 1 --quick (tiny batches)"
timeout -k 5 120 tools/mica-bench --systems mica --runs 1 --quick --no-plots --out "$out" \
    --guest-args "batches=1 batch_us=50" >"$LOG_DIR/t-bench-smoke.tool.log" 2>&1
check "tools/mica-bench exits 0" test $? -eq 0
check "results.csv has its header" grep -qx 'system,benchmark,unit,median,min,max,runs' \
    "$out/results.csv"
check "results.csv has mica's null_hypercall" grep -qE '^mica,null_hypercall,ns,[0-9.]+,' \
    "$out/results.csv"
check "results.csv has mica's boot time" grep -qE '^mica,boot_to_first_line,ms,[0-9.]+,' \
    "$out/results.csv"
check "results.md has the table" grep -qF '| benchmark | unit | mica median |' "$out/results.md"

# The whole-system suite's machinery (issue 13), its memory part only (a few seconds): 1, 8
# and 32 guests of test=hello, debug key 'm' read back.
out=$LOG_DIR/t-bench-smoke.system
rm -rf "$out"
echo "  run: tools/mica-bench --system-only --quick --system-parts memory"
timeout -k 5 120 tools/mica-bench --system-only --quick --no-plots --system-parts memory \
    --out "$out" >"$LOG_DIR/t-bench-smoke.system.log" 2>&1
check "tools/mica-bench --system-only exits 0" test $? -eq 0
check "results.csv: all 32 guests answered" grep -qE '^mica-guest,guests_answering_32,guests,32\.0,' \
    "$out/results.csv"
check "results.csv has the state per domain" \
    grep -qE '^mica-guest,hv_state_per_domain_32_guests,bytes,[1-9][0-9.]*,' "$out/results.csv"
check "results.md has the paper-style table" grep -qF '| workload | unit | native' "$out/results.md"
finish
