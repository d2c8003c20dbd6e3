#!/bin/bash
# FS/GS bases and FPU/SSE state survive switches to another domain that uses them (issue 4,
# mica only: two domains). tests/guests/sched_fsgs_fpu.c runs as dom0 and, with
# domu_copies=1, as d1; each domain sets its own FS and kernel GS bases and, per round, its
# own xmm0-15, x87 stack, x87 control word and MXCSR, then yields or spins until the timer
# preempts it, and checks everything afterwards.
. "$(dirname "$0")/lib.sh"

elf=$BUILD/tests/guests/sched_fsgs_fpu.elf
check "$elf exists (make guest)" test -f "$elf"

run_mica --timeout 60 --append "console=com1 domu_copies=1" "$elf"
expect_status 0
expect_line '(d0) fsgs-fpu: dom0, tag'
expect_line '(d1) fsgs-fpu: domU, tag'
expect_line '(d1) fsgs-fpu: all 60 rounds intact'
expect_line '(d0) fsgs-fpu: all 120 rounds intact'
expect_no_line 'FAIL'
expect_no_line 'crashed'
# d1 finished (and shut down) while dom0 still ran; dom0's power-off ended the machine.
expect_order '(d1) fsgs-fpu: all 60 rounds intact' 'mica: d1 shut down: poweroff'
expect_order 'mica: d1 shut down: poweroff' '(d0) fsgs-fpu: all 120 rounds intact'
expect_line 'mica: power off (clean)'

# The two domains used different bases.
bases() { grep -E "^\(d$1\) fsgs-fpu: dom" "$LOG" | sed -E 's/.*(fs base .*), [0-9]+ rounds$/\1/'; }
b0=$(bases 0)
b1=$(bases 1)
check "the domains' FS/GS bases differ ('$b0' vs '$b1')" test -n "$b0" -a -n "$b1" -a "$b0" != "$b1"

# The rounds really interleaved: the domain of consecutive round lines changed many times.
switches=$(grep -E '^\(d[01]\) fsgs-fpu: round ' "$LOG" | cut -c1-4 | uniq | wc -l)
check "round lines alternate between d0 and d1 at least 20 times (got $((switches - 1)))" \
    test "$switches" -gt 20

# Timer preemption in the middle of a spin round: in at least 3 spin rounds of each domain
# the guest saw a gap of 15 M TSC cycles or more (most of a 10 ms slice) between two of its
# rdtsc readings, i.e. the timer took the CPU away while its state was in the registers and
# the other domain spun through its slice.
for d in 0 1; do
    n=$(grep -cE "^\(d$d\) fsgs-fpu: round [0-9]+ spin: preempted " "$LOG")
    check "d$d: $n spin rounds (>= 3) were preempted for a time slice" test "$n" -ge 3
done
finish
