#!/bin/bash
# Self-test of tools/mica-run --input / --input-after (added for the debug-key
# tests, issue 8): the TEXTs reach QEMU's stdin (the serial line) with their
# escapes decoded, in order, only after the trigger text; a fake QEMU that
# prints what it read stands in for QEMU. Needs no hypervisor build.
. "$(dirname "$0")/lib.sh"

fake=$LOG_DIR/$TEST_NAME.fake-qemu
cat >"$fake" <<'PY'
#!/usr/bin/env python3
# Prints a banner, then reads stdin up to a '.', prints it in hex, exits 33 (a clean mica power-off).
import os, sys, time
sys.stdout.write("booting\n")
sys.stdout.flush()
time.sleep(0.3)
sys.stdout.write("ready>\n")
sys.stdout.flush()
start = time.monotonic()
data = b""
while b"." not in data:
    c = os.read(0, 1)
    if not c:
        break
    if not data:
        sys.stdout.write("first byte after %.1f s\n" % (time.monotonic() - start))
    data += c
sys.stdout.write("got: %s\n" % data.hex())
sys.exit(33)
PY
chmod +x "$fake"
FAKE=(--qemu "$fake" --hv "$fake")

RUN=after run_mica "${FAKE[@]}" --timeout 10 --input-after 'ready>' --input 'ab\x01c' --input 'd\\.'
expect_status 0
# a b ^A c, then d \ . (the second TEXT half a second later)
expect_line 'got: 61620163645c2e'
expect_order 'ready>' 'got: '

RUN=first run_mica "${FAKE[@]}" --timeout 10 --input 'x\n.'
expect_status 0
expect_line 'got: 780a2e'
expect_line 'first byte after 0.0 s'

RUN=usage run_mica "${FAKE[@]}" --input-after 'ready>'
expect_status 2
expect_line '--input-after needs --input'

RUN=dry run_mica --dry-run --input 'a' --hv HV
expect_status 0
expect_regex '^qemu-system-x86_64 .* -serial stdio '
finish
