/*
 * test=blkbench (issue 10, "Performance"; docs/benchmarks.md "Block path"): sequential
 * write and read and 4 KiB random reads, timed with vcpu_info system time, printed as
 * `bench: name=... unit=MB/s|IOPS iters=N batches=B median=M min=m max=x` lines.
 */
#ifndef PVGUEST_BLKBENCH_H
#define PVGUEST_BLKBENCH_H

/**
 * With `disk=ahci` on the command line (the driver domain): the native pass on the AHCI
 * disk (ahci_submit, names ending in `_native`), then serve the vbds as test=blkback does.
 * Otherwise (a guest): the same pass through blkfront on vbd 0 (names ending in `_guest`).
 * Options: bench_mib=M (MiB per sequential direction, default 128), bench_ios=N (random
 * reads, default 16384), bench_depth=D (random reads in flight, default 16), bench_batches=B
 * (default 8), bench_tests=LIST (default w128,r128,w64,r64,rand; also scan: blkbench.c),
 * bench_serve=0 (the driver domain stops after its native pass instead of serving vbds:
 * dom0 on Xen). Returns 0, or 1 when an I/O failed.
 */
int blkbench_run(void);

#endif /* PVGUEST_BLKBENCH_H */
