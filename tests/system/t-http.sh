#!/bin/bash
# The guest's HTTP/1.0 server (issue 12, "Tests"; pvguest/net/httpd.c): the demo configuration
# (tools/configs/demo.dts) with an ext2 disk made here, the guest's port 80 forwarded to a
# free host port; the guest serves while its boot script sleeps, then powers the machine off.
# The host fetches files of several sizes (0 B, 1 B, 1000 B, 70 KiB, 3 MiB random; a symlink;
# a name that needs escaping) with curl and compares the bytes; HEAD gives the same
# Content-Length and no body; a missing file gives 404; malformed requests (raw bytes) give
# 400, an unknown method 501; a directory without its slash gives 301, with it a listing of
# its names (HTML-escaped); four parallel fetches of the 3 MiB file all complete and match; a
# connection idle mid-request is closed after about 10 s.
#
# SERVE_S (default 60) is how long the guest's script sleeps: the time the checks have.
# GUEST_IP (default empty: QEMU's 10.0.2.15) is the address the port is forwarded to.
. "$(dirname "$0")/lib.sh"

SERVE_S=${SERVE_S:-60}
GUEST_IP=${GUEST_IP:-}
PV=$BUILD/pvguest.elf
check "$PV exists (make guest)" test -f "$PV"
for tool in curl mke2fs python3; do
    check "$tool is installed" bash -c 'command -v "$1" >/dev/null' _ "$tool"
done

WORK=$LOG_DIR/$TEST_NAME.d
rm -rf "$WORK"
mkdir -p "$WORK/root/sub dir" "$WORK/root/docs" "$WORK/got"
ROOTDIR=$WORK/root
: >"$ROOTDIR/empty.bin"
printf 'x' >"$ROOTDIR/one.txt"
head -c 1000 /dev/urandom >"$ROOTDIR/k1.bin"
head -c $((70 * 1024)) /dev/urandom >"$ROOTDIR/k70.bin"
head -c $((3 * 1024 * 1024)) /dev/urandom >"$ROOTDIR/m3.bin"
printf '<html><body>hello</body></html>\n' >"$ROOTDIR/docs/index.html"
printf 'escaped\n' >"$ROOTDIR/sub dir/a&b <c>.txt"
ln -s m3.bin "$ROOTDIR/link-to-m3"
IMG=$WORK/disk.img
check "mke2fs -t ext2 -d makes the disk" mke2fs -q -F -t ext2 -d "$ROOTDIR" "$IMG" 16M

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
STATUS_FILE=$WORK/status
RUN_LOG=$LOG_DIR/$TEST_NAME.serve.log
rm -f "$STATUS_FILE" "$RUN_LOG"

(
    RUN=serve OUTER_TIMEOUT=$((SERVE_S + 200)) run_mica --disk "$IMG" --net \
        --hostfwd "tcp::$PORT-$GUEST_IP:80" --timeout $((SERVE_S + 150)) --cmd "sleep $SERVE_S; counters" \
        >/dev/null
    echo "$STATUS" >"$STATUS_FILE"
) &
RUNNER=$!
LOG=$RUN_LOG
echo "  run serve: host port $PORT to the guest's port 80; log $LOG"

# http_code PATH [curl options...] — the status code of one request ("000": no answer).
http_code() {
    local path=$1
    shift
    curl -s --max-time 30 -o /dev/null -w '%{http_code}' "$@" "$BASE$path"
}

# raw REQUEST-BYTES — send them as they are (printf escapes), print the response's status line.
raw() {
    python3 - "$PORT" "$1" <<'PYEOF'
import socket, sys
port, req = int(sys.argv[1]), sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
s = socket.create_connection(("127.0.0.1", port), timeout=20)
s.sendall(req)
data = b""
while True:
    try:
        chunk = s.recv(4096)
    except OSError:
        break
    if not chunk:
        break
    data += chunk
print(data.split(b"\r\n", 1)[0].decode("latin-1"))
PYEOF
}

# Ready: "/" answers 200 (QEMU accepts on the host port before the guest listens; the log
# is written through a pipe, so it is not polled).
ready=no
for _ in $(seq 1 600); do
    if [ -f "$STATUS_FILE" ]; then
        break
    fi
    if [ "$(http_code /)" = 200 ]; then
        ready=yes
        break
    fi
    sleep 0.2
done
check "the guest serves HTTP on the forwarded port" test "$ready" = yes

if [ "$ready" = yes ]; then
    # Files of several sizes, byte for byte; the symlink is followed.
    for f in empty.bin one.txt k1.bin k70.bin m3.bin docs/index.html; do
        rm -f "$WORK/got/x"
        check "GET /$f: $(stat -c %s "$ROOTDIR/$f") bytes, the same" \
            bash -c 'curl -sf --max-time 60 -o "$1" "$2" && cmp -s "$1" "$3"' _ \
            "$WORK/got/x" "$BASE/$f" "$ROOTDIR/$f"
    done
    check "GET /link-to-m3 (a symlink): m3.bin's bytes" \
        bash -c 'curl -sf --max-time 60 -o "$1" "$2" && cmp -s "$1" "$3"' _ \
        "$WORK/got/link" "$BASE/link-to-m3" "$ROOTDIR/m3.bin"
    check "GET /sub%20dir/a%26b%20%3Cc%3E.txt: the escaped name's file" \
        bash -c 'curl -sf --max-time 30 "$1" | cmp -s - "$2"' _ \
        "$BASE/sub%20dir/a%26b%20%3Cc%3E.txt" "$ROOTDIR/sub dir/a&b <c>.txt"

    # The header fields; HEAD: the same Content-Length, no body.
    curl -s --max-time 60 -D "$WORK/get.hdr" -o /dev/null "$BASE/one.txt"
    tr -d '\r' <"$WORK/get.hdr" >"$WORK/get.h"
    check "GET: HTTP/1.0 200 OK" grep -qx 'HTTP/1.0 200 OK' "$WORK/get.h"
    check "GET: Content-Length: 1" grep -qix 'Content-Length: 1' "$WORK/get.h"
    check "GET: Content-Type: text/plain" grep -qix 'Content-Type: text/plain' "$WORK/get.h"
    check "GET: Server: mica-pvguest" grep -qix 'Server: mica-pvguest' "$WORK/get.h"
    check "GET: Connection: close" grep -qix 'Connection: close' "$WORK/get.h"
    curl -s --max-time 30 -I -o "$WORK/head.hdr" "$BASE/m3.bin"
    tr -d '\r' <"$WORK/head.hdr" >"$WORK/head.h"
    check "HEAD /m3.bin: 200 with Content-Length: $((3 * 1024 * 1024))" \
        bash -c 'grep -qx "HTTP/1.0 200 OK" "$1" && grep -qix "Content-Length: 3145728" "$1"' _ \
        "$WORK/head.h"
    check "HEAD /m3.bin: no body" \
        bash -c '[ "$(curl -s --max-time 30 -I "$1" | wc -c)" -lt 400 ]' _ "$BASE/m3.bin"
    check "Content-Type: text/html for .html" \
        bash -c 'curl -sI --max-time 30 "$1" | tr -d "\r" | grep -qix "Content-Type: text/html"' _ \
        "$BASE/docs/index.html"

    # Errors.
    check "a missing file: 404" test "$(http_code /no-such-file)" = 404
    check "a missing directory: 404" test "$(http_code /no/such/dir/)" = 404
    check "a file as a directory: 404" test "$(http_code /one.txt/x)" = 404
    check "a malformed request line: 400" test "$(raw 'GARBAGE\r\n\r\n')" = 'HTTP/1.0 400 Bad Request'
    check "no version: 400" test "$(raw 'GET /one.txt\r\n\r\n')" = 'HTTP/1.0 400 Bad Request'
    check "a '..' segment: 400" test "$(raw 'GET /docs/../m3.bin HTTP/1.0\r\n\r\n')" = \
        'HTTP/1.0 400 Bad Request'
    check "a header without a colon: 400" \
        test "$(raw 'GET / HTTP/1.0\r\nno colon here\r\n\r\n')" = 'HTTP/1.0 400 Bad Request'
    check "POST: 501" test "$(raw 'POST / HTTP/1.0\r\nContent-Length: 0\r\n\r\n')" = \
        'HTTP/1.0 501 Not Implemented'
    check "bare LF line ends: 200" test "$(raw 'GET /one.txt HTTP/1.0\n\n')" = 'HTTP/1.0 200 OK'
    check "HTTP/1.1 with Host: answered" \
        test "$(raw 'GET /one.txt HTTP/1.1\r\nHost: x\r\n\r\n')" = 'HTTP/1.0 200 OK'

    # Directories: the slash, then the listing.
    curl -s --max-time 30 -D "$WORK/redir.hdr" -o /dev/null "$BASE/sub%20dir"
    tr -d '\r' <"$WORK/redir.hdr" >"$WORK/redir.h"
    check "a directory without its slash: 301 to /sub%20dir/" \
        bash -c 'grep -qx "HTTP/1.0 301 Moved Permanently" "$1" && grep -qix "Location: /sub%20dir/" "$1"' \
        _ "$WORK/redir.h"
    curl -sf --max-time 30 -o "$WORK/root.html" "$BASE/"
    for f in empty.bin one.txt k1.bin k70.bin m3.bin link-to-m3; do
        check "the listing of / links $f" grep -qF "<a href=\"$f\">$f</a>" "$WORK/root.html"
    done
    check "the listing of / links docs/ and sub dir/" \
        bash -c 'grep -qF "<a href=\"docs/\">docs/</a>" "$1" && grep -qF "<a href=\"sub%20dir/\">sub dir/</a>" "$1"' \
        _ "$WORK/root.html"
    check "the listing of / gives sizes" grep -qF '<td>3145728</td>' "$WORK/root.html"
    check "the listing of /sub dir/ escapes the name" \
        bash -c 'curl -sfL --max-time 30 "$1" | grep -qF "<a href=\"a%26b%20%3Cc%3E.txt\">a&amp;b &lt;c&gt;.txt</a>"' \
        _ "$BASE/sub%20dir"

    # Four clients at once.
    pids=()
    for i in 1 2 3 4; do
        curl -sf --max-time 120 -o "$WORK/got/par$i" "$BASE/m3.bin" &
        pids+=($!)
    done
    for i in 1 2 3 4; do
        check "parallel fetch $i of /m3.bin completes" wait "${pids[$((i - 1))]}"
        check "parallel fetch $i matches m3.bin" cmp -s "$WORK/got/par$i" "$ROOTDIR/m3.bin"
    done
    check "the server still answers after them" test "$(http_code /one.txt)" = 200

    # A client that stops half-way through its request is cut off after about 10 s.
    check "an idle connection is closed after 9..16 s (HTTPD_IDLE_MS)" python3 - "$PORT" <<'PYEOF'
import socket, sys, time
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=30)
s.sendall(b"GET /one.txt HTTP/1.0\r\n")
t0 = time.time()
try:
    data = s.recv(4096)
except OSError:
    data = b""
took = time.time() - t0
print("    closed after %.1f s, %d bytes" % (took, len(data)))
sys.exit(0 if 9 <= took <= 16 and not data else 1)
PYEOF
    echo "  the checks took $SECONDS s since the test started"
fi

echo "  waiting for the guest's script (sleep $SERVE_S) to end the run"
wait "$RUNNER"
STATUS=$(cat "$STATUS_FILE" 2>/dev/null || echo none)
LOG=$RUN_LOG
expect_status 0
expect_regex '^\(d[0-9]+\) pvguest: mounted ext2 .* on / from vbd 0'
expect_regex '^\(d[0-9]+\) pvguest: network: .*HTTP on port 80$'
expect_line 'pvguest: script: all commands succeeded'
expect_line 'mica: power off (clean)'
finish
