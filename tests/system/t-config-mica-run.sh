#!/bin/bash
# tools/mica-run --config (docs/bootcfg.md): a .dts is compiled with dtc into
# $BUILD/configs/NAME.dtb and goes first among the modules; a .dtb goes as is; a missing
# or broken .dts stops mica-run before QEMU starts. Dry runs and fake QEMU only.
. "$(dirname "$0")/lib.sh"

RUN=dts run_mica --dry-run --hv HV --config tools/configs/demo.dts k1 "k2 arg=1"
expect_status 0
expect_line "-initrd '$BUILD/configs/demo.dtb,k1,k2 arg=1'"

RUN=dtb run_mica --dry-run --hv HV --config some/where.dtb k1
expect_status 0
expect_line "-initrd some/where.dtb,k1"

dir=$LOG_DIR/$TEST_NAME.d
mkdir -p "$dir"
FAKE=(--qemu "$ROOT/tests/system/fake-qemu" --hv "$ROOT/tests/system/fake-qemu")
rm -f "$BUILD/configs/demo.dtb"
FAKE_OUT='mica: power off (clean)\n' FAKE_STATUS=33 RUN=compile \
    run_mica "${FAKE[@]}" --config tools/configs/demo.dts "$ROOT/tools/mica-run" "$ROOT/tools/mica-run"
expect_status 0
check "$BUILD/configs/demo.dtb compiled, FDT magic" \
    sh -c "head -c 4 '$BUILD/configs/demo.dtb' | od -An -tx1 | grep -q 'd0 0d fe ed'"

printf '/dts-v1/; / { oops' >"$dir/broken.dts"
RUN=broken run_mica "${FAKE[@]}" --config "$dir/broken.dts"
expect_status 1
expect_line "mica-run: error: dtc could not compile $dir/broken.dts"

RUN=missing run_mica "${FAKE[@]}" --config "$dir/nothing.dts"
expect_status 1
expect_line "mica-run: error: configuration $dir/nothing.dts not found"
finish
