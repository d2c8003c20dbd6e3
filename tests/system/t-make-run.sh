#!/bin/bash
# `make run` itself (issue 12, README, docs/running.md): the demo boots, its forwarded ports
# answer HTTP and UDP echo from the host, the guest's shell reads commands from the serial line
# (here standard input, as a user types them) and answers them, and `poweroff` ends the run
# with status 0. The commands: a file of the demo disk, an error in
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
# While the shell waits, the forwarded ports answer from the host: HTTP and UDP echo.
tcp_port=$(sed -n 's/^mica-run: host TCP port \([0-9]*\) forwards to TCP port 80 .*/\1/p' "$raw")
udp_port=$(sed -n 's/^mica-run: host UDP port \([0-9]*\) forwards to UDP port 7 .*/\1/p' "$raw")
# (The prompt comes before DHCP's answer: the guest's address, and HTTP, follow within a
# second or two.)
for _ in $(seq 1 40); do
    http_body=$(curl -sf --max-time 10 "http://127.0.0.1:$tcp_port/notes/hello.txt") && break
    sleep 0.5
done
udp_reply=$(python3 - "$udp_port" <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for _ in range(5):
    s.sendto(b"mica-make-run", ("127.0.0.1", int(sys.argv[1])))
    try:
        print(s.recv(100).decode())
        break
    except socket.timeout:
        pass
PY
)
printf '%s' "$input" >&3
wait "$runner"
STATUS=$?
tr -d '\r' <"$raw" >"$LOG"
exec 3>&-
rm -f "$fifo"
echo "  exit status $STATUS; log $LOG"
expect_status 0
check "HTTP through the printed TCP port: /notes/hello.txt (got '$http_body')" \
    test "$http_body" = "hello from the demo disk"
check "UDP echo through the printed UDP port (got '$udp_reply')" test "$udp_reply" = "mica-make-run"
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
