#!/bin/bash
# Boot configuration (issue 9, docs/bootcfg.md): tools/configs/devtree-demo.dts boots the driver
# domain and one guest; each reads its generated device tree (pvguest test=devtree) and
# prints it: the guest its two frontends (vbd, vif: grant references from 8, ports 1 and 2,
# ring and control PFNs at the top of its memory, the MAC), the driver domain the two
# backends with the same references and ports. The machine powers off cleanly with the
# driver domain.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
# The demo's driver domain owns the AHCI (always on q35) and an e1000 (00:01.0).
e1000=(--extra-qemu=-device --extra-qemu=e1000,netdev=n0
    --extra-qemu=-netdev --extra-qemu=user,id=n0,restrict=on)
run_mica --config tools/configs/devtree-demo.dts "$PV" "$PV" "${e1000[@]}"
expect_status 0
expect_line 'mica: config: d0 owns PCI 00:1f.2'
expect_line 'mica: config: d0 owns PCI 00:01.0'
expect_line 'mica: module 0 is a boot configuration'
expect_regex '^mica: config: d0 "dom0": driver domain, kernel module 1, 65536 KiB, 2 PCI device\(s\), 0 virtual device\(s\), on poweroff/reboot/crash: machine-off/machine-off/machine-off$'
expect_regex '^mica: config: d1 "guest": guest, kernel module 2, 32768 KiB, 0 PCI device\(s\), 2 virtual device\(s\), on poweroff/reboot/crash: destroy/restart/destroy$'
expect_line 'mica: wired d1 vbd@0 (frontend; ring refs 9, control ref 8, port 1) to d0 (backend)'
expect_line 'mica: wired d1 vif@0 (frontend; ring refs 10+11, control ref 8, port 2) to d0 (backend)'
expect_line 'mica: starting 2 domain(s) from the boot configuration'
# The guest's tree.
expect_line '(d1) pvguest: devtree: / name = "guest"'
expect_line '(d1) pvguest: devtree: / domid = <0x1>'
expect_line '(d1) pvguest: devtree: /devices/vbd@0 compatible = "mica,vbd-frontend"'
expect_line '(d1) pvguest: devtree: /devices/vbd@0 ring-ref = <0x9>'
expect_line '(d1) pvguest: devtree: /devices/vbd@0 ring-pfn = <0 0x1ffe>'
expect_line '(d1) pvguest: devtree: /devices/vbd@0 control-pfn = <0 0x1fff>'
expect_line '(d1) pvguest: devtree: /devices/vbd@0 sector-size = <0x200>'
expect_line '(d1) pvguest: devtree: /devices/vif@0 tx-ring-ref = <0xa>'
expect_line '(d1) pvguest: devtree: /devices/vif@0 rx-ring-ref = <0xb>'
expect_line '(d1) pvguest: devtree: /devices/vif@0 mac = [00 16 3e 00 00 01]'
expect_line '(d1) pvguest: devtree: /devices/vif@0 control-offset = <0x40>'
expect_line '(d1) pvguest: devtree: frontend vbd@0: backend d0, port 1, control ref 8'
expect_line '(d1) pvguest: devtree: frontend vif@0: backend d0, port 2, control ref 8'
expect_line '(d1) pvguest: devtree: domid 1, 2 frontend(s), 0 backend(s)'
expect_line '(d1) pvguest: devtree: 4 page(s) taken by the wiring: 0x1ffe 0x1fff 0x1ffd 0x1ffc'
expect_line '(d0) pvguest: devtree: 0 page(s) taken by the wiring:'
# The driver domain's tree.
expect_line '(d0) pvguest: devtree: / mica,driver-domain = (empty)'
expect_line '(d0) pvguest: devtree: /backends/vbd-d1-0 frontend-id = <0x1>'
expect_line '(d0) pvguest: devtree: /backends/vbd-d1-0 ring-ref = <0x9>'
expect_line '(d0) pvguest: devtree: /backends/vif-d1-1 rx-ring-ref = <0xb>'
expect_line '(d0) pvguest: devtree: backend vbd-d1-0: frontend d1, port 1'
expect_line '(d0) pvguest: devtree: backend vif-d1-1: frontend d1, port 2'
expect_line '(d0) pvguest: devtree: domid 0, 0 frontend(s), 2 backend(s)'
expect_regex '^\(d0\) pvguest: devtree: PASS$'
expect_regex '^\(d1\) pvguest: devtree: PASS$'
expect_order '(d1) pvguest: devtree: PASS' 'mica: dom0 powered off'
expect_line 'mica: power off (clean)'

# Two guests (tools/configs/two-guests.dts): each frontend's references and ports count from
# its own table (8, 1); the second guest's boot module is a list: its tree, then its initrd.
dir=$LOG_DIR/$TEST_NAME.d
mkdir -p "$dir"
head -c 10000 /dev/zero >"$dir/initrd.bin"
RUN=two run_mica --config tools/configs/two-guests.dts "$PV" "$PV" "$PV" "$dir/initrd.bin"
expect_status 0
expect_regex '^mica: config: d2 "db": guest, kernel module 3 \+ initrd, 16384 KiB'
expect_line 'mica: wired d1 vif@0 (frontend; ring refs 9+10, control ref 8, port 1) to d0 (backend)'
expect_line 'mica: wired d2 vif@0 (frontend; ring refs 9+10, control ref 8, port 1) to d0 (backend)'
expect_line 'mica: wired d2 vbd@1 (frontend; ring refs 11, control ref 8, port 2) to d0 (backend)'
expect_regex '^\(d2\) pvguest: devtree: [0-9]+ bytes \(first of a module list\)$'
expect_regex '^\(d2\) pvguest: devtree: module list entry 1: 10000 bytes at offset 0x[0-9a-f]*000$'
expect_line '(d2) pvguest: devtree: /devices/vbd@1 read-only = (empty)'
expect_line '(d2) pvguest: devtree: /devices/vbd@1 sectors = <0 0x2000>'
expect_line '(d0) pvguest: devtree: /backends/vbd-d2-1 start-sector = <0 0x800>'
expect_line '(d0) pvguest: devtree: domid 0, 0 frontend(s), 3 backend(s)'
expect_regex '^\(d1\) pvguest: devtree: PASS$'
expect_regex '^\(d2\) pvguest: devtree: PASS$'
expect_line 'mica: power off (clean)'
finish
