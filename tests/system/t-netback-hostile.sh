#!/bin/bash
# A hostile netfront is contained (issue 11, "Tests"; tools/configs/net-hostile.dts): guest
# c (test=netfront-hostile) posts no RX buffers, sends each malformed TX kind (a slot or
# fragment crossing its page, shorter than a header, over 64 KiB, 19 slots, fragments
# exceeding the size, a bad grant first or in a fragment, extra info), every slot of which
# netback answers NETIF_RSP_ERROR and counts, floods 5000 broadcasts (storm control lets
# about 1000 a second through) and 20000 unicast frames, and last moves its TX
# req_prod 1000 past the ring: netback stops serving that vif (ring error -75) only. Guests a and b
# exchange their 300 frames each way meanwhile, all intact; netback counts c's errors by
# kind and the frames dropped for want of c's RX buffers.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
run_mica --config tools/configs/net-hostile.dts --timeout 180 "$PV" "$PV" "$PV" "$PV"
expect_status 0
expect_regex '^\(d3\) pvguest: netfront: vif 0: mac 00:16:3e:00:00:0c, .* 0 RX buffers posted$'
for kind in 'slot crosses a page: 1' 'fragment crosses a page: 2' 'shorter than a header: 1' \
    'over 64 KiB: 18' 'too many slots (19): 19' 'fragments exceed the size: 2' 'bad grant: 1' \
    'bad grant in a fragment: 2' 'extra info: 1'; do
    expect_line "(d3) pvguest: test netfront-hostile: $kind slot(s), status -1 (ok)"
done
expect_line '(d3) pvguest: test netfront-hostile: well formed: 1 slot(s), status 0 (ok)'
expect_line '(d3) pvguest: test netfront-hostile: broadcast flood of 5000 frames, send errors 0'
expect_regex '^\(d3\) pvguest: test netfront-hostile: flood of 20000 frames in [0-9]+ ms, send errors 0, '
expect_line '(d3) pvguest: test netfront-hostile: passed'
expect_line '(d0) pvguest: netback: vif-d3-0: TX ring protocol error -75 from d3: no longer served'
expect_order '(d3) pvguest: test netfront-hostile: TX req_prod moved 1000 past the ring' '(d0) pvguest: netback: vif-d3-0: TX ring protocol error -75'
for d in 1 2; do
    expect_regex "^\(d$d\) pvguest: test netfront: data from the peer 300/300 \(bad 0, duplicates 0\), .*frames for other MACs 0, "
    expect_line "(d$d) pvguest: test netfront: passed"
done
expect_regex '^\(d0\) pvguest: netback: vif-d3-0: d3 closed: tx packets 25001 \(slots 25048, bytes 21000060\), tx errors 9 \(bad grants 2; shorter than an Ethernet header 1, longer than 64 KiB 1, slot crosses a page 2, too many slots 1, fragments exceed the packet size 1, extra info not offered 1\); rx packets 0 .*ring error -75$'
expect_number_between '^\(d0\) pvguest: netback: vif-d3-0: .*rx dropped: no buffers ([0-9]+),' 1 100000
expect_regex '^\(d0\) pvguest: netback: vif-d1-0: d1 closed: .*tx errors 0 .*rx dropped: no buffers 0, bad grants 0'
# Storm control: of c's 5000 broadcasts about 1000 per second (200 at once) reach the others.
expect_number_between '^\(d0\) pvguest: bridge: port 2 vif-d3-0: .*storm ([0-9]+)$' 1000 5000
expect_line '(d0) pvguest: test netback: passed'
expect_line 'mica: power off (clean)'
finish
