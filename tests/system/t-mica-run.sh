#!/bin/bash
# Self-test of tools/mica-run: the QEMU command it builds (--dry-run) and how
# it maps every way a run can end to its exit status, using tests/system/fake-qemu
# in place of QEMU. Needs no hypervisor build.
. "$(dirname "$0")/lib.sh"

FAKE=(--qemu "$ROOT/tests/system/fake-qemu" --hv "$ROOT/tests/system/fake-qemu")
export FAKE_PID_FILE=$LOG_DIR/$TEST_NAME.pid

# fake_gone — the fake QEMU's process no longer exists (mica-run ended it).
fake_gone() {
    local pid
    pid=$(cat "$FAKE_PID_FILE" 2>/dev/null) || return 1
    ! kill -0 "$pid" 2>/dev/null
}

# --- The command line -------------------------------------------------------
RUN=dry run_mica --dry-run --hv HV "k,1.elf arg=1" mod2 --append "console=com1 loglvl=all"
expect_status 0
expect_regex '^qemu-system-x86_64 -M q35 -accel tcg -cpu [^ ]+ -m 256 -nodefaults -display none -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel HV '
expect_line "-append 'console=com1 loglvl=all dom0_mem=128M'"
expect_line "-initrd 'k,,1.elf arg=1,mod2'"
expect_no_line ' -s -S'
mica_cpu=$(grep -oE -- '-cpu [^ ]+' "$LOG")

RUN=dry-xen run_mica --dry-run --xen --dom0-mem 64M --memory 512 --append extra=1 k
expect_status 0
expect_regex "/xen/xen-4\\.17\\.elf -append 'console=com1 loglvl=all guest_loglvl=all noreboot dom0_mem=64M,max:64M extra=1'"
expect_line ' -m 512 '
check "mica and Xen get the same -cpu ($mica_cpu)" grep -qF -- "$mica_cpu " "$LOG"

RUN=dry-opts run_mica --dry-run --gdb --qemu-log /tmp/q.log --extra-qemu=-icount --extra-qemu shift=0
expect_status 0
expect_line ' -s -S'
expect_line ' -d int,cpu_reset,guest_errors -D /tmp/q.log'
expect_regex ' -icount shift=0$'

# --- mica's isa-debug-exit contract and QEMU's own statuses ------------------
FAKE_OUT='mica: power off (clean)\n' FAKE_STATUS=33 RUN=clean run_mica "${FAKE[@]}"
expect_status 0
expect_line 'mica: power off (clean)'
expect_regex '^mica-run: clean power-off \([0-9.]+ s\)$'

FAKE_OUT='*** mica: PANIC: x\n' FAKE_STATUS=35 RUN=failure run_mica "${FAKE[@]}"
expect_status 1
expect_line '*** mica: PANIC: x'
expect_line 'mica-run: failure power-off'

FAKE_STATUS=0 RUN=triple run_mica "${FAKE[@]}"
expect_status 1
expect_line 'mica-run: failure: triple fault'

FAKE_STATUS=1 RUN=qemu-error run_mica "${FAKE[@]}"
expect_status 1
expect_line 'mica-run: failure: QEMU error'

FAKE_STATUS=3 RUN=odd run_mica "${FAKE[@]}"
expect_status 1
expect_line 'unexpected isa-debug-exit value 0x1'

FAKE_OUT='booting\n' FAKE_STATUS=hang RUN=timeout run_mica "${FAKE[@]}" --timeout 1
expect_status 124
expect_line 'booting'
expect_line 'mica-run: timeout: no power-off within 1 s'
expect_faster_than 3
check "the fake QEMU process is gone" fake_gone

# --- Xen: the console decides, and mica-run ends QEMU itself -----------------
FAKE_OUT='(XEN) Hardware Dom0 halted: halting machine\r\n' FAKE_STATUS=hang \
    RUN=xen-halt run_mica "${FAKE[@]}" --xen
expect_status 0
expect_line 'mica-run: clean power-off (Xen: dom0 halted)'
expect_faster_than 5
check "the fake QEMU process is gone" fake_gone

FAKE_OUT='(XEN) ****\n(XEN) Panic on CPU 0:\n(XEN) dom0 kernel not specified.\n(XEN) ****\n(XEN)\n(XEN) Manual reset required\n' \
    FAKE_STATUS=hang RUN=xen-panic run_mica "${FAKE[@]}" --xen
expect_status 1
expect_line 'mica-run: failure: Xen panic: dom0 kernel not specified.'
expect_line '(XEN) Manual reset required'
expect_faster_than 5

FAKE_OUT="(XEN) Hardware Dom0 crashed: 'noreboot' set - not rebooting.\n" FAKE_STATUS=hang \
    RUN=xen-crash run_mica "${FAKE[@]}" --xen
expect_status 1
expect_line 'mica-run: failure: Xen reports dom0 crashed'

FAKE_OUT='(XEN) Hardware Dom0 shutdown: rebooting machine\n' FAKE_STATUS=0 \
    RUN=xen-reboot run_mica "${FAKE[@]}" --xen
expect_status 1
expect_line 'mica-run: failure: dom0 asked Xen for a reboot'

# A guest printing Xen's words decides nothing: only "(XEN) " lines count.
FAKE_OUT='guest: Hardware Dom0 halted: halting machine\n' FAKE_STATUS=hang \
    RUN=xen-guest-text run_mica "${FAKE[@]}" --xen --timeout 1
expect_status 124

# A mica-style clean exit code means nothing under Xen: only the console counts.
FAKE_STATUS=33 RUN=xen-33 run_mica "${FAKE[@]}" --xen
expect_status 1
expect_line 'mica-run: failure: unexpected isa-debug-exit value 0x10'

# --- Bad input is refused before QEMU starts ---------------------------------
RUN=missing run_mica "${FAKE[@]}" /nonexistent/kernel.elf
expect_status 1
expect_line 'mica-run: error: module file /nonexistent/kernel.elf not found'

finish
