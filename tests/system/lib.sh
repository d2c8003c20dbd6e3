# tests/system/lib.sh — the harness every system test sources.
#
# A test is a short bash script tests/system/t-NAME.sh:
#
#     . "$(dirname "$0")/lib.sh"
#     run_mica --append "console=com1 debug_fault=pf"   # one boot, console -> log
#     expect_status 1
#     expect_line '*** mica: hypervisor exception 14 (#PF)'
#     expect_regex 'RIP.*debug_fault'
#     expect_no_line 'mica: power off (clean)'
#     finish
#
# run_mica runs tools/mica-run (stdin from /dev/null, under an outer `timeout`
# as a backstop) and writes its console and its verdict line into
# $BUILD/tests/system/t-NAME[.RUN].log; the expect_* helpers check the last
# run. A test passes only on its own evidence: the exit status it demands AND
# the lines it demands. On a failure, finish prints the log's tail.
#
# Environment: BUILD (default build), relative to the repository root.

set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD
TEST_NAME=$(basename "$0" .sh)
LOG_DIR=$BUILD/tests/system
mkdir -p "$LOG_DIR"
MICA_RUN=${MICA_RUN:-$ROOT/tools/mica-run}

FAILURES=0
CHECKS=0
FAILED_LOGS=()
STATUS=
LOG=

_ok() {
    CHECKS=$((CHECKS + 1))
    echo "  ok: $*"
}

_fail() {
    CHECKS=$((CHECKS + 1))
    FAILURES=$((FAILURES + 1))
    echo "  FAIL: $*"
    if [ -n "$LOG" ] && [[ " ${FAILED_LOGS[*]} " != *" $LOG "* ]]; then
        FAILED_LOGS+=("$LOG")
    fi
}

# run_mica [mica-run options and arguments...]
#   One run of tools/mica-run. Sets STATUS (its exit status) and LOG (the
#   console plus mica-run's stderr). RUN=name in the environment names the
#   log when a test makes several runs. The default timeout is mica-run's
#   own; the outer `timeout` only catches a hung mica-run.
run_mica() {
    LOG=$LOG_DIR/$TEST_NAME${RUN:+.$RUN}.log
    local quoted
    quoted=$(printf ' %q' "$@")
    echo "  run: tools/mica-run$quoted"
    echo "# $(date -u +%FT%TZ) tools/mica-run$quoted" >"$LOG"
    # The console's CRLF line ends become plain LF in the log, so that `$` in a
    # regex means the end of the line.
    timeout -k 5 "${OUTER_TIMEOUT:-180}" "$MICA_RUN" "$@" </dev/null 2>&1 | tr -d '\r' >>"$LOG"
    STATUS=${PIPESTATUS[0]}
    echo "  exit status $STATUS; log $LOG"
}

# expect_status N — the last run exited with exactly N.
expect_status() {
    if [ "$STATUS" = "$1" ]; then
        _ok "exit status $1"
    else
        _fail "exit status $STATUS, expected $1"
    fi
}

# expect_line TEXT — some line of the log contains TEXT (fixed string).
expect_line() {
    if grep -qF -- "$1" "$LOG"; then
        _ok "line: $1"
    else
        _fail "missing line: $1"
    fi
}

# expect_regex ERE — some line of the log matches the extended regex.
expect_regex() {
    if grep -qE -- "$1" "$LOG"; then
        _ok "line matching: $1"
    else
        _fail "no line matching: $1"
    fi
}

# expect_no_line TEXT — no line of the log contains TEXT (fixed string).
# Only as an addition to positive evidence, never instead of it.
expect_no_line() {
    if grep -qF -- "$1" "$LOG"; then
        _fail "unexpected line: $(grep -F -m1 -- "$1" "$LOG")"
    else
        _ok "no line: $1"
    fi
}

# expect_order TEXT1 TEXT2 — TEXT1 appears on a line before TEXT2's line.
expect_order() {
    local a b
    a=$(grep -nF -m1 -- "$1" "$LOG" | cut -d: -f1)
    b=$(grep -nF -m1 -- "$2" "$LOG" | cut -d: -f1)
    if [ -n "$a" ] && [ -n "$b" ] && [ "$a" -lt "$b" ]; then
        _ok "'$1' before '$2'"
    else
        _fail "'$1' (line ${a:-none}) not before '$2' (line ${b:-none})"
    fi
}

# expect_number_between ERE LOW HIGH — the first integer captured by the
# first line matching ERE (group 1 of a sed -E expression built from ERE) lies
# in [LOW, HIGH]. ERE must contain exactly one group around the number.
expect_number_between() {
    local value
    value=$(grep -E -m1 -- "$1" "$LOG" | sed -E "s/.*$1.*/\\1/")
    if [[ "$value" =~ ^[0-9]+$ ]] && [ "$value" -ge "$2" ] && [ "$value" -le "$3" ]; then
        _ok "$value in [$2, $3] ($1)"
    else
        _fail "'${value:-no match}' not in [$2, $3] ($1)"
    fi
}

# run_seconds — the duration mica-run reported for the last run ("(N.NN s)").
run_seconds() {
    grep -E '^mica-run: .*\([0-9.]+ s\)$' "$LOG" | tail -n1 | sed -E 's/.*\(([0-9.]+) s\)$/\1/'
}

# expect_faster_than S — mica-run's reported duration of the last run is below S seconds.
expect_faster_than() {
    local t
    t=$(run_seconds)
    if [ -n "$t" ] && awk -v t="$t" -v max="$1" 'BEGIN { exit !(t < max) }'; then
        _ok "run took $t s (< $1 s)"
    else
        _fail "run took ${t:-an unknown time} s, expected < $1 s"
    fi
}

# check DESCRIPTION COMMAND... — a free-form assertion: COMMAND must succeed.
check() {
    local what=$1
    shift
    if "$@"; then
        _ok "$what"
    else
        _fail "$what"
    fi
}

# finish — print the verdict (and the log's tail on failure); exit 0 or 1.
# A fidelity probe: run tests/guests/NAME.elf as dom0 on Xen 4.17 and on mica (each must
# end with "probe: done" and a clean power-off) and compare the answers with
# compare-probe.sh, allowing only tests/guests/NAME.diff-ok. Extra arguments go to both runs.
compare_probe() {
    local probe=$1 xen_log mica_log
    shift
    local elf=$BUILD/tests/guests/$probe.elf
    check "$elf exists (make guest)" test -f "$elf"
    RUN=xen run_mica --xen --timeout 60 "$@" "$elf"
    expect_status 0
    expect_line 'probe: done'
    xen_log=$LOG
    RUN=mica run_mica --timeout 60 "$@" "$elf"
    expect_status 0
    expect_line 'probe: done'
    mica_log=$LOG
    check "$probe: same answers on Xen 4.17 and mica (compare-probe.sh)" \
        tests/system/compare-probe.sh "$probe" "$xen_log" "$mica_log"
}

finish() {
    if [ "$CHECKS" -eq 0 ]; then
        _fail "the test checked nothing"
    fi
    if [ "$FAILURES" -eq 0 ]; then
        echo "PASS $TEST_NAME ($CHECKS checks)"
        exit 0
    fi
    local log
    for log in "${FAILED_LOGS[@]}"; do
        [ -f "$log" ] || continue
        echo "  --- last 40 lines of $log:"
        tail -n 40 "$log" | sed 's/^/  | /'
    done
    echo "FAIL $TEST_NAME ($FAILURES of $CHECKS checks failed)"
    exit 1
}
