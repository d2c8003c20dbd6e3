#!/bin/bash
# `make run` itself (issue 12, README, docs/running.md): the demo boots, the guest's shell reads
# commands from the serial line (here standard input, as a user types them), answers them, and
# `poweroff` ends the run with status 0. The commands: a file of the demo disk, an error in
# Unix form with a failing status, line editing (backspace, Ctrl-U), then poweroff.
. "$(dirname "$0")/lib.sh"

LOG=$LOG_DIR/$TEST_NAME.log
# "cat /READMX<DEL>E" is "cat /README"; "junk<Ctrl-U>" vanishes before "uptime".
input=$'cat /notes/hello.txt\ncat /nope\necho-nothing\njunk\x15uptime\ncat /READMX\x7fE\npoweroff\n'
echo "  run: make run RUN_ARGS='--timeout 120' (stdin: shell commands)"
# A user types once the prompt is there: standard input is a FIFO written when the guest's
# first prompt appears on the console (input sent earlier would be queued for the domain that
# held serial input then).
fifo=$LOG_DIR/$TEST_NAME.stdin
rm -f "$fifo" && mkfifo "$fifo"
# Straight to a raw log (a filter in between would hold the prompt back: it ends no line).
raw=$LOG.raw
timeout -k 5 180 make --no-print-directory run RUN_ARGS='--timeout 120' <"$fifo" >"$raw" 2>&1 &
runner=$!
exec 3>"$fifo"
for _ in $(seq 1 1200); do
    grep -qF 'mica:/$' "$raw" 2>/dev/null && break
    kill -0 "$runner" 2>/dev/null || break
    sleep 0.1
done
printf '%s' "$input" >&3
wait "$runner"
STATUS=$?
tr -d '\r' <"$raw" >"$LOG"
exec 3>&-
rm -f "$fifo"
echo "  exit status $STATUS; log $LOG"
expect_status 0
expect_regex '^mica-run: host TCP port [0-9]+ forwards to TCP port 80 of the guest'
expect_regex '^\(d1\) pvguest: mounted ext2 \(revision 1, .*label "mica-demo"'
expect_line '(d1) hello from the demo disk'
expect_line '(d1) cat: /nope: No such file or directory'
expect_line 'mica: echo-nothing: command not found'
expect_regex '^\(d1\) .*up .*'
expect_line '(d1) Welcome to mica'"'"'s demo disk.'
expect_no_line 'junkuptime'
expect_line 'mica: d1 shut down: poweroff'
expect_line 'mica: power off (clean)'
finish
