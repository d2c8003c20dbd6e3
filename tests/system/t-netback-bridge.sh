#!/bin/bash
# The netif ring path between guests (issue 11; tools/configs/net-two.dts): the driver
# domain runs netback (test=netback), two guests (test=netfront) find each other with
# broadcast hellos, then each sends 300 data frames to the other's MAC (every tenth one
# 6000 bytes in 2 KiB TX slots, so several slots each way) and strays to a MAC no vif has.
# Each guest receives every data frame intact and nothing addressed to another MAC; netback
# counts no errors and the bridge forwards without drops.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
run_mica --config tools/configs/net-two.dts --timeout 120 "$PV" "$PV" "$PV"
expect_status 0
expect_line '(d0) pvguest: netback: vif-d1-0: d1, mac 00:16:3e:00:00:0a, bridge port 0, port 2'
expect_line '(d0) pvguest: netback: vif-d2-0: d2, mac 00:16:3e:00:00:0b, bridge port 1, port 3'
expect_regex '^\(d1\) pvguest: netfront: vif 0: mac 00:16:3e:00:00:0a, backend d0, port 1, features 0x3, 256 RX buffers posted$'
for d in 1 2; do
    expect_regex "^\(d$d\) pvguest: test netfront: data from the peer 300/300 \(bad 0, duplicates 0\), broadcasts [0-9]+, frames for other MACs 0, other frames 0 \(from others 0\), send errors 0, peer done yes$"
    expect_regex "^\(d$d\) pvguest: test netfront: tx packets [0-9]+ \(slots [0-9]+, errors 0, "
    expect_line "(d$d) pvguest: test netfront: passed"
    expect_regex "^\(d0\) pvguest: netback: vif-d$d-0: d$d closed: tx packets [0-9]+ \(slots [0-9]+, bytes [0-9]+\), tx errors 0 .*rx dropped: no buffers 0, bad grants 0, too long 0; .*ring error 0$"
done
# The strays (one per 16 data frames) go nowhere: no port without a fixed MAC.
expect_regex '^\(d0\) pvguest: bridge: port 0 vif-d1-0: in [0-9]+, out [0-9]+, dropped: spoofed 0, local 0, runts 0, storm 0$'
expect_line '(d0) pvguest: test netback: passed'
expect_order '(d1) pvguest: test netfront: passed' '(d0) pvguest: test netback: passed'
expect_line 'mica: power off (clean)'
finish
