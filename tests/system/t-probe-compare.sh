#!/bin/bash
# Self-test of tests/system/compare-probe.sh on made-up console logs (no QEMU):
# it must pass identical answers however each system decorates its console
# (CRLF, Xen's "(XEN) " lines, mica's "(d0) " prefix and own lines), pass a
# difference listed as allowed, and fail an unlisted difference, a listed line
# missing on one side, a missing final "probe: done", and empty output.
. "$(dirname "$0")/lib.sh"

dir=$LOG_DIR/t-probe-compare
mkdir -p "$dir"
cmp=tests/system/compare-probe.sh
export PROBE_DIFF_OK=$dir/ok
printf '# why\nprobe_x: version =\n' >"$PROBE_DIFF_OK"

# xen_log FILE LINE... / mica_log FILE LINE... — a console log as each system writes it.
xen_log() {
    local f=$1
    shift
    { printf ' Xen 4.17.5\r\n(XEN) booting\r\n'; printf '%s\r\n' "$@"; printf '(XEN) Hardware Dom0 halted: halting machine\r\n'; } >"$f"
}
mica_log() {
    local f=$1
    shift
    { printf 'mica: starting d0\r\n'; printf '(d0) %s\r\n' "$@"; printf 'mica: power off (clean)\r\nmica-run: clean power-off (0.5 s)\n'; } >"$f"
}
passes() { "$cmp" probe_x "$dir/xen" "$dir/mica" >"$dir/out.$1" 2>&1; }
fails() { ! passes "$1"; }

xen_log "$dir/xen" 'probe_x: a = 1' 'probe_x: version = 4.17.7' 'probe: done'
mica_log "$dir/mica" 'probe_x: a = 1' 'probe_x: version = 4.17-mica' 'probe: done'
check "same answers, allowed difference: passes" passes same

mica_log "$dir/mica" 'probe_x: a = 2' 'probe_x: version = 4.17-mica' 'probe: done'
check "unlisted difference: fails" fails diff
check "  ... and shows it" grep -qx -- '+probe_x: a = 2' "$dir/out.diff"

mica_log "$dir/mica" 'probe_x: a = 1' 'probe: done'
check "allowed line missing on mica: fails" fails missing

mica_log "$dir/mica" 'probe_x: a = 1' 'probe_x: version = 4.17-mica'
check "no final 'probe: done' on mica: fails" fails nodone
check "  ... and says so" grep -q 'on mica: no final "probe: done"' "$dir/out.nodone"

xen_log "$dir/xen"
mica_log "$dir/mica"
check "empty output on both: fails" fails empty

"$cmp" probe_x "$dir/none" "$dir/mica" >/dev/null 2>&1
status=$?
check "missing log file: exit status 2 (got $status)" test "$status" -eq 2
finish
