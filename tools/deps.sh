#!/bin/bash
# Install the Debian packages mica needs to build, test and compare against Xen.
#
# Only missing packages are installed (apt-get --no-install-recommends), and
# `apt-get update` runs only when something is missing, so this is quick and
# silent on a machine that already has everything. Installing needs root.
set -euo pipefail

PACKAGES=(
    qemu-system-x86           # the machine mica runs on (TCG)
    qemu-utils                # qemu-img, for disk images
    check                     # unit-test framework
    libfdt-dev                # device-tree library (boot configuration)
    device-tree-compiler      # dtc, fdtget, fdtput (tools/mica-run --config, --cmd)
    e2fsprogs                 # mke2fs -d: ext2 images (make run's demo disk, tests)
    curl                      # HTTP tests of the guest's server
    newlib-source             # C library sources for the guest kernel
    libxen-dev                # Xen's public headers: the ABI mica implements
    xen-hypervisor-4.17-amd64 # the reference hypervisor (tools/mica-run --xen)
    pkg-config
    gdb
    python3                   # tools/mica-run
    xz-utils                  # unpacks newlib-source
    gnuplot-nox               # tools/mica-bench's plots (make bench)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$pkg")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
    echo "deps: error: missing packages: ${missing[*]}" >&2
    echo "deps: installing them needs root; run as root (or with sudo):" >&2
    echo "    apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
fi

echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"

# Verify: an install that "succeeded" without the package is still a failure.
for pkg in "${missing[@]}"; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != installed ]; then
        echo "deps: error: $pkg is still not installed" >&2
        exit 1
    fi
done
echo "deps: done" >&2
