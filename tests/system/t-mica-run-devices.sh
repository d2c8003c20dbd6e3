#!/bin/bash
# tools/mica-run's device options (issue 9): --disk IMG (raw, AHCI port 0), --net (e1000 on
# QEMU's user network, restrict=on), --hostfwd (QEMU's rule, repeatable), --console-domain N
# (console_to=N), and the demo configuration they imply without --config. The QEMU command
# line (--dry-run), the refusals, then one boot in which mica enumerates both devices.
. "$(dirname "$0")/lib.sh"

RUN=dry run_mica --dry-run --hv HV --disk 'a,b.img' --net --hostfwd tcp:8080-:80 \
    --hostfwd udp:127.0.0.1:5353-10.0.2.15:53 --console-domain 2
expect_status 0
expect_line ' -drive file=a,,b.img,if=none,id=d0,format=raw -device ide-hd,drive=d0,bus=ide.0'
expect_line ' -device e1000,netdev=n0 -netdev user,id=n0,restrict=on,hostfwd=tcp::8080-:80,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53'
expect_line "-append 'console=com1 dom0_mem=128M console_to=2'"
# No --config: the demo configuration, its two kernels pvguest.
expect_regex "-initrd $BUILD/configs/demo\\.dtb,$BUILD/pvguest\\.elf,$BUILD/pvguest\\.elf( |\$)"

RUN=dry-config run_mica --dry-run --hv HV --net --config my.dtb k1 k2
expect_status 0
expect_regex '-initrd my\.dtb,k1,k2( |$)'
expect_no_line 'demo.dtb'
expect_no_line ' -drive '

RUN=dry-plain run_mica --dry-run --hv HV k
expect_status 0
expect_no_line 'e1000'
expect_no_line 'console_to'
expect_regex "-initrd k$"

RUN=bad-fwd run_mica --dry-run --net --hostfwd tcp:80
expect_status 2
expect_line '--hostfwd'
RUN=fwd-no-net run_mica --dry-run --hostfwd tcp::80-:80
expect_status 2
expect_line '--hostfwd needs --net'
RUN=bad-dom run_mica --dry-run --console-domain 40000
expect_status 2
expect_line '--console-domain must be a domain ID'
RUN=xen-dom run_mica --dry-run --xen --console-domain 1
expect_status 2
expect_line "--console-domain is mica's"

# A boot with both devices: mica enumerates them and the demo configuration gives them to d0.
disk=$LOG_DIR/$TEST_NAME.disk.img
rm -f "$disk"
truncate -s 1M "$disk"
check "$BUILD/pvguest.elf exists (make guest)" test -f "$BUILD/pvguest.elf"
# The demo boots; its guest finds no filesystem on the blank disk, says so, and runs --cmd.
RUN=boot run_mica --disk "$disk" --net --hostfwd tcp::0-:80 --cmd uptime --timeout 90
expect_status 0
expect_regex '^\(d1\) pvguest: mount: /: .*magic'
expect_line '(d1) pvguest: script: all commands succeeded'
expect_regex '^mica: command line: .*$'
expect_regex '^mica: pci 00:01\.0 8086:100e class 020000 INTA gsi 21$'
expect_regex '^mica: pci 00:1f\.2 8086:2922 class 010601 INTA gsi 16 msi@0x80$'
expect_line 'mica: config: d0 owns PCI 00:1f.2'
expect_line 'mica: config: d0 owns PCI 00:01.0'
expect_line 'mica: power off (clean)'
finish
