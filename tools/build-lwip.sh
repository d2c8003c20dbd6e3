#!/bin/sh
# build-lwip.sh BUILD_DIR — lwIP 2.1.3 for the guest kernel: BUILD_DIR/lwip/liblwip.a.
#
# lwIP comes from Debian's `lwip` source package (TOOLCHAIN.md, "Debian source packages"):
# LWIP_TARBALL names a local lwip_*.orig.tar.xz; otherwise `apt-get source --download-only lwip`
# fetches one into BUILD_DIR/lwip-dl (kept: later builds reuse it) with a private deb-src list
# derived from the machine's own; /etc/apt is not touched. Debian's binary liblwip-dev is a
# Linux port and cannot run bare-metal.
#
# The library is compiled with the guest kernel's flags, which the caller passes:
#   CC       the compiler
#   CFLAGS   pvguest's preprocessor and compiler flags (newlib's headers, -mcmodel=kernel...)
#            and -I for the port's directory (lwipopts.h, arch/cc.h: pvguest/net/include)
# It installs
#   BUILD_DIR/lwip/src/...          lwIP's unpacked tree (headers in src/include)
#   BUILD_DIR/lwip/liblwip.a        NO_SYS=1 core: IPv4, ARP, ICMP, DHCP, UDP, TCP, Ethernet
# The Makefile decides when to rerun it (pvguest/pvguest.mk: the port's headers, this script).
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi
: "${CC:=gcc}"
: "${CFLAGS:=}"
mkdir -p "$1"
build_dir=$(cd "$1" && pwd)
out=$build_dir/lwip
dl=$build_dir/lwip-dl

tarball=${LWIP_TARBALL:-}
if [ -z "$tarball" ]; then
    tarball=$(ls "$dl"/lwip_*.orig.tar.* 2>/dev/null | head -n 1 || true)
fi
if [ -z "$tarball" ]; then
    echo "build-lwip: fetching lwIP's source package" >&2
    mkdir -p "$dl/lists/partial"
    src_list=/etc/apt/sources.list.d/debian.sources
    if [ ! -r "$src_list" ]; then
        echo "build-lwip: no $src_list to derive a deb-src list from; set LWIP_TARBALL" >&2
        exit 1
    fi
    sed 's/^Types:.*deb$/Types: deb-src/' "$src_list" >"$dl/src.sources"
    apt_opts="-o Dir::Etc::SourceList=$dl/src.sources -o Dir::Etc::SourceParts=/nonexistent
        -o Dir::State::Lists=$dl/lists -o Debug::NoLocking=1"
    # shellcheck disable=SC2086 # option list
    (cd "$dl" && apt-get $apt_opts -qq update && apt-get $apt_opts -qq source --download-only lwip) \
        >"$dl/apt.log" 2>&1 || {
        echo "build-lwip: apt-get source lwip failed; see $dl/apt.log" >&2
        exit 1
    }
    tarball=$(ls "$dl"/lwip_*.orig.tar.* | head -n 1)
fi

stamp="$out/.unpacked"
want="$(basename "$tarball") $(stat -c %s "$tarball")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    rm -rf "$out"
    mkdir -p "$out/x"
    tar -xf "$tarball" -C "$out/x" --wildcards '*/src/*'
    top=$(find "$out/x" -mindepth 1 -maxdepth 1 -type d | head -n 1)
    mv "$top/src" "$out/src"
    rm -rf "$out/x"
    echo "$want" >"$stamp"
fi

# The core a NO_SYS=1 IPv4 stack needs (lwIP's src/Filelists.mk: COREFILES, CORE4FILES, the
# Ethernet part of NETIFFILES).
files="core/init.c core/def.c core/inet_chksum.c core/ip.c core/mem.c core/memp.c core/netif.c
    core/pbuf.c core/raw.c core/stats.c core/sys.c core/tcp.c core/tcp_in.c core/tcp_out.c
    core/timeouts.c core/udp.c core/ipv4/autoip.c core/ipv4/dhcp.c core/ipv4/etharp.c
    core/ipv4/icmp.c core/ipv4/igmp.c core/ipv4/ip4.c core/ipv4/ip4_addr.c core/ipv4/ip4_frag.c
    netif/ethernet.c"
rm -rf "$out/obj" "$out/liblwip.a"
mkdir -p "$out/obj"
objs=
for f in $files; do
    o=$out/obj/$(echo "$f" | tr / _ | sed 's/\.c$/.o/')
    # lwIP is third-party code: its own warnings are not ours to fix (-w).
    # shellcheck disable=SC2086 # flag lists
    $CC $CFLAGS -I"$out/src/include" -w -c "$out/src/$f" -o "$o"
    objs="$objs $o"
done
# shellcheck disable=SC2086 # object list
ar rcs "$out/liblwip.a" $objs
