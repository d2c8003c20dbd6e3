#!/bin/bash
# AHCI time-outs (issue 10): a disk that answers reads only after 10 s (QEMU's null-co
# driver, latency-ns), beyond the driver's 5 s AHCI_TIMEOUT_NS. test=ahci with ahci_slow=1,
# as dom0 on Xen 4.17 and on mica: IDENTIFY still works (it does not reach the block layer),
# the read fails with -ETIMEDOUT (-110) no earlier than its deadline and the port is
# recovered.
. "$(dirname "$0")/lib.sh"

guest=$BUILD/pvguest.elf
check "$guest exists (make guest)" test -f "$guest"
for hv in xen mica; do
    opt=()
    [ "$hv" = xen ] && opt=(--xen)
    RUN=$hv run_mica "${opt[@]}" --timeout 90 \
        --extra-qemu=-drive \
        --extra-qemu=driver=null-co,size=16M,latency-ns=10000000000,if=none,id=hd0 \
        --extra-qemu=-device --extra-qemu=ide-hd,drive=hd0,bus=ide.0 \
        "$guest test=ahci ahci_slow=1"
    expect_status 0
    expect_line 'pvguest: ahci: identify: model "QEMU HARDDISK"'
    expect_line 'pvguest: ahci: read on a disk that answers in 10 s: -110 after at least 5 s, port recovered yes (ok)'
    expect_regex 'pvguest: ahci: stats: .* 1 timeouts, [1-9][0-9]* recoveries'
    expect_line 'pvguest: test ahci: passed'
done
finish
