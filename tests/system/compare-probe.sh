#!/bin/bash
# tests/system/compare-probe.sh — compare what a probe guest prints as dom0 on
# Xen 4.17 and on mica.
#
#   tests/system/compare-probe.sh NAME                   boot both, then compare
#   tests/system/compare-probe.sh NAME XEN_LOG MICA_LOG  compare two console logs
#
# NAME is a probe, tests/guests/NAME.c, built as $BUILD/tests/guests/NAME.elf.
# The first form runs tools/mica-run --xen and tools/mica-run on it (logs in
# $BUILD/tests/system/compare-NAME.{xen,mica}.log); tests/system/t-probe-*.sh
# use the second form on logs the harness (lib.sh) wrote. MICA_HV=PATH boots
# that hypervisor image instead of $BUILD/mica (e.g. one built from a clean
# `git worktree` while the working tree is mid-change); PROBE_DIFF_OK=FILE
# replaces tests/guests/NAME.diff-ok (used by the self-test t-probe-compare.sh).
#
# Normalisation of each console log: `\r` removed; the `(d0) ` prefix mica puts
# on dom0's lines removed; then only the probe's own lines kept, those that
# start with "NAME: " or "probe: " (this drops Xen's `(XEN) ` lines, Xen's
# banner, and mica's and mica-run's own lines).
#
# Expected differences: tests/guests/NAME.diff-ok lists them, one fixed
# string per line, each under a `#` comment that says why (privilege, or a
# feature mica lacks, as docs/abi.md says; "TODO(lead)" marks a difference
# not yet explained). A probe line that starts with a listed string is
# compared only up to the end of that string, so the line must be there, in
# the same place, on both systems; what follows may differ. Each masked
# difference is printed with both values; a listed string whose lines were
# identical is reported as "not seen" (a hint that the entry can go).
#
# Exit status 0 only if the normalised outputs agree after masking AND both end
# with the line "probe: done" (a probe that stopped early or printed nothing
# fails); 1 otherwise, with a unified diff (xen first, mica second); 2 for a
# usage error or a missing file.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}

usage() {
    sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

[ $# -eq 1 ] || [ $# -eq 3 ] || usage
name=$1
case $name in
    -h | --help) usage ;;
esac
okfile=${PROBE_DIFF_OK:-$ROOT/tests/guests/$name.diff-ok}

if [ $# -eq 1 ]; then
    cd "$ROOT" || exit 2
    elf=$BUILD/tests/guests/$name.elf
    if [ ! -f "$elf" ]; then
        echo "compare-probe: $elf not found (make BUILD=$BUILD guest)" >&2
        exit 2
    fi
    mkdir -p "$BUILD/tests/system"
    xen_log=$BUILD/tests/system/compare-$name.xen.log
    mica_log=$BUILD/tests/system/compare-$name.mica.log
    timeout -k 5 120 tools/mica-run --xen --timeout 60 "$elf" </dev/null >"$xen_log" 2>&1
    echo "compare-probe: Xen run exit status $? ($xen_log)"
    hv=()
    [ -n "${MICA_HV:-}" ] && hv=(--hv "$MICA_HV")
    timeout -k 5 120 tools/mica-run "${hv[@]}" --timeout 60 "$elf" </dev/null >"$mica_log" 2>&1
    echo "compare-probe: mica run exit status $? ($mica_log)"
else
    xen_log=$2
    mica_log=$3
fi
for f in "$xen_log" "$mica_log"; do
    if [ ! -f "$f" ]; then
        echo "compare-probe: $f not found" >&2
        exit 2
    fi
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# normalise LOG OUT — the probe's lines of a console log.
normalise() {
    tr -d '\r' <"$1" | sed -E 's/^\(d0\) //' |
        grep -E "^($name|probe): " >"$2" || true
}
normalise "$xen_log" "$tmp/xen"
normalise "$mica_log" "$tmp/mica"

# The allowed-difference prefixes (comments and blank lines dropped).
: >"$tmp/ok"
if [ -f "$okfile" ]; then
    grep -vE '^[[:space:]]*(#|$)' "$okfile" >"$tmp/ok" || true
fi

# mask IN OUT — lines starting with a listed prefix cut to the prefix plus " <may differ>".
mask() {
    awk -v okfile="$tmp/ok" '
        BEGIN { n = 0; while ((getline p < okfile) > 0) ok[n++] = p }
        {
            for (i = 0; i < n; i++)
                if (substr($0, 1, length(ok[i])) == ok[i]) { print ok[i] " <may differ>"; next }
            print
        }' "$1" >"$2"
}
mask "$tmp/xen" "$tmp/xen.masked"
mask "$tmp/mica" "$tmp/mica.masked"

status=0
for sys in xen mica; do
    if [ "$(tail -n1 "$tmp/$sys")" != "probe: done" ]; then
        echo "compare-probe: $name on $sys: no final \"probe: done\" line ($(wc -l <"$tmp/$sys") probe lines)"
        status=1
    fi
done

# Report each masked difference with both values, and entries never needed.
while IFS= read -r prefix; do
    x=$(grep -F -- "$prefix" "$tmp/xen" | awk -v p="$prefix" 'substr($0, 1, length(p)) == p')
    m=$(grep -F -- "$prefix" "$tmp/mica" | awk -v p="$prefix" 'substr($0, 1, length(p)) == p')
    if [ "$x" = "$m" ]; then
        [ -n "$x" ] && echo "compare-probe: allowed difference not seen (same on both): $prefix"
        [ -z "$x" ] && echo "compare-probe: allowed difference not seen (no such line): $prefix"
    else
        echo "compare-probe: allowed difference: $prefix"
        diff <(printf '%s\n' "$x") <(printf '%s\n' "$m") | grep -E '^[<>]' |
            sed -e 's/^< /      xen: /' -e 's/^> /     mica: /'
    fi
done <"$tmp/ok"

if ! diff -u --label "$name on Xen 4.17" --label "$name on mica" \
    "$tmp/xen.masked" "$tmp/mica.masked" >"$tmp/diff"; then
    echo "compare-probe: $name: unexpected differences (- Xen 4.17, + mica):"
    cat "$tmp/diff"
    status=1
fi
if [ "$status" -eq 0 ]; then
    echo "compare-probe: $name: same on Xen 4.17 and mica ($(wc -l <"$tmp/xen") lines, $(wc -l <"$tmp/ok") allowed differences)"
fi
exit "$status"
