#!/bin/bash
# Bad boot configurations stop the boot (docs/bootcfg.md): each run panics with a message
# naming the node and the problem, and the machine powers off with the failure status.
# The trees are written here and compiled by tools/mica-run --config.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
dir=$LOG_DIR/$TEST_NAME.d
mkdir -p "$dir"

driver='dom0 { compatible = "xen,domain"; mica,driver-domain; memory = <65536>;
    module@1 { compatible = "multiboot,kernel", "multiboot,module"; reg = <1>; }; };'
# guest NAME PROPERTIES [SUBNODES]
guest() {
    echo "$1 { compatible = \"xen,domain\"; memory = <32768>; $2
        module@2 { compatible = \"multiboot,kernel\", \"multiboot,module\"; reg = <2>; }; ${3:-} };"
}

# bad NAME MESSAGE [NR_KERNELS] — a tree from stdin; the run must stop with MESSAGE.
bad() {
    local name=$1 msg=$2 kernels=${3:-2}
    { echo '/dts-v1/; / { chosen {'; cat; echo '}; };'; } >"$dir/$name.dts"
    local mods=("$PV")
    [ "$kernels" = 2 ] && mods+=("$PV")
    RUN=$name run_mica --config "$dir/$name.dts" "${mods[@]}"
    expect_status 1
    expect_line "*** mica: PANIC: boot configuration: $msg"
    expect_line 'mica: power off (failure)'
    expect_no_line '(d0) pvguest'
}

bad missing-module '/chosen/guest/module@2: module 2 missing (the loader gave 2 modules)' 1 \
    <<<"$driver $(guest guest '')"
bad memory '/chosen/guest: memory: 1048576 KiB does not fit' \
    <<<"$driver $(guest guest '' | sed 's/<32768>/<0x100000>/')"
bad vcpus '/chosen/guest: cpus: 2 vCPUs; mica gives each domain exactly one in this round' \
    <<<"$driver $(guest guest 'cpus = <2>;')"
bad pci-syntax '/chosen/dom0: pci-devices: "00:20.0" is not a PCI address (BB:DD.F)' \
    <<<"${driver/memory/pci-devices = \"00:20.0\"; memory}"
bad pci-twice '/chosen/dom0: pci-devices: 0000:00:1f.2 listed twice' \
    <<<"${driver/memory/pci-devices = \"00:1f.2\", \"0000:00:1f.2\"; memory}"
bad pci-unknown '/chosen/dom0: pci-devices: 00:05.0: no such PCI function (error -19)' \
    <<<"${driver/memory/pci-devices = \"00:05.0\"; memory}"
bad pci-mica '/chosen/dom0: pci-devices: 00:00.0: kept by mica or owned by another domain' \
    <<<"${driver/memory/pci-devices = \"00:00.0\"; memory}"
bad pci-guest '/chosen/guest: pci-devices: only a driver domain (mica,driver-domain) owns PCI devices' \
    <<<"$driver $(guest guest 'pci-devices = "00:01.0";')"
bad backend '/chosen/a/vif@0: backend: b is not a driver domain' \
    <<<"$driver $(guest a '' 'vif@0 { compatible = "mica,vif"; backend = "b"; mac = [00 16 3e 00 00 02]; };') $(guest b '')"
bad action '/chosen/guest: on-crash: unknown action "reboot" (machine-off, restart, destroy)' \
    <<<"$driver $(guest guest 'on-crash = "reboot";')"
bad no-driver '/chosen: no driver domain (mica,driver-domain)' \
    <<<"$(guest guest '')"

# A malformed tree: the FDT magic, then garbage.
printf '\xd0\x0d\xfe\xed\x00\x00\x00\x40garbage-garbage-garbage-garbage-garbage-garbage-garbage' \
    >"$dir/malformed.dtb"
RUN=malformed run_mica --config "$dir/malformed.dtb" "$PV"
expect_status 1
expect_line '*** mica: PANIC: boot configuration: the tree: malformed device tree (bad header or size)'
finish
