#!/bin/sh
# build-newlib.sh BUILD_DIR — build newlib for mica's PV guest kernel.
#
# Builds newlib 3.3.0 from Debian's newlib-source package
# (/usr/src/newlib/newlib-3.3.0.tar.xz) with the host gcc and binutils,
# for code linked in the top 2 GiB (-mcmodel=kernel) without a red zone,
# and installs it as
#
#   BUILD_DIR/newlib/include/   newlib's headers
#   BUILD_DIR/newlib/lib/       libc.a, libm.a (libg.a, libnosys.a if built)
#
# The result is cached: BUILD_DIR/newlib/.stamp records the inputs (tarball,
# flags, this script), and a second run with the same inputs returns at once.
# Scratch files go to BUILD_DIR/newlib-src/ and BUILD_DIR/newlib-obj/.
#
# Flags and configure options: /work/shared/TOOLCHAIN.md ("newlib").
# Environment: NEWLIB_TARBALL overrides the tarball, JOBS the parallelism.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi

build_dir=$1
mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd)

tarball=${NEWLIB_TARBALL:-/usr/src/newlib/newlib-3.3.0.tar.xz}
jobs=${JOBS:-$(nproc 2>/dev/null || echo 2)}
prefix=$build_dir/newlib
src=$build_dir/newlib-src
obj=$build_dir/newlib-obj
stamp=$prefix/.stamp
target=x86_64-elf

# -mcmodel=kernel: the guest kernel lives in the top 2 GiB of the address space.
# No red zone: Xen PV delivers events and exceptions on the guest kernel's stack.
# -U__linux__ etc.: the host compiler's Linux defines would select newlib's
# Linux-specific paths.
target_cflags="-O2 -mcmodel=kernel -mno-red-zone -fno-pic -fno-pie -fno-stack-protector \
-fcf-protection=none -ffunction-sections -fdata-sections \
-U__linux__ -U__gnu_linux__ -Ulinux -U__linux"

configure_flags="--target=$target --disable-multilib --disable-nls \
--disable-newlib-supplied-syscalls --enable-newlib-io-long-long \
--enable-newlib-io-c99-formats --enable-newlib-nano-malloc"

if [ ! -r "$tarball" ]; then
    echo "build-newlib: $tarball not found (install Debian's newlib-source)" >&2
    exit 1
fi

# Everything that changes the output goes into the stamp.
script_sum=$(sha256sum "$0" | cut -d' ' -f1)
tar_id=$(stat -c '%s %Y' "$tarball")
gcc_id=$(gcc -dumpfullversion 2>/dev/null || gcc -dumpversion)
want="tarball=$tarball $tar_id gcc=$gcc_id script=$script_sum"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -f "$prefix/lib/libc.a" ] && [ -f "$prefix/lib/libm.a" ]; then
    exit 0
fi

echo "build-newlib: building newlib into $prefix (about a minute)"
start=$(date +%s)
rm -rf "$src" "$obj" "$prefix"
mkdir -p "$src" "$obj/bin" "$prefix"

# Wrappers named x86_64-elf-* that run the host tools: configure wants a
# cross toolchain, and the host's x86-64 gcc/binutils produce the same code.
for tool in gcc cc ar as ld nm ranlib objcopy objdump strip readelf; do
    host=$tool
    [ "$tool" = cc ] && host=gcc
    printf '#!/bin/sh\nexec %s "$@"\n' "$host" >"$obj/bin/$target-$tool"
    chmod +x "$obj/bin/$target-$tool"
done
PATH=$obj/bin:$PATH
export PATH

tar -xJf "$tarball" -C "$src"
topdir=$(find "$src" -mindepth 1 -maxdepth 1 -type d | head -n 1)
if [ ! -x "$topdir/configure" ]; then
    echo "build-newlib: no configure script in $tarball" >&2
    exit 1
fi

log=$obj/build.log
(
    cd "$obj"
    # shellcheck disable=SC2086 # the flags are word lists on purpose
    "$topdir/configure" $configure_flags --prefix="$obj/install" \
        CFLAGS_FOR_TARGET="$target_cflags" CC_FOR_TARGET="$target-gcc" \
        AR_FOR_TARGET="$target-ar" AS_FOR_TARGET="$target-as" \
        LD_FOR_TARGET="$target-ld" NM_FOR_TARGET="$target-nm" \
        RANLIB_FOR_TARGET="$target-ranlib" OBJCOPY_FOR_TARGET="$target-objcopy" \
        OBJDUMP_FOR_TARGET="$target-objdump" STRIP_FOR_TARGET="$target-strip" \
        READELF_FOR_TARGET="$target-readelf"
    make -j"$jobs" all-target-newlib
    make install-target-newlib
) >"$log" 2>&1 || {
    echo "build-newlib: build failed; last lines of $log:" >&2
    tail -n 30 "$log" >&2
    exit 1
}

cp -R "$obj/install/$target/include" "$prefix/include"
cp -R "$obj/install/$target/lib" "$prefix/lib"
for lib in libc.a libm.a; do
    if [ ! -f "$prefix/lib/$lib" ]; then
        echo "build-newlib: $lib missing after install" >&2
        exit 1
    fi
done

# The sources and objects are large and no longer needed.
rm -rf "$src" "$obj"
echo "$want" >"$stamp"
echo "build-newlib: done in $(($(date +%s) - start)) s"
