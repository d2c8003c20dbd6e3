#!/bin/bash
# The driver domain's network path alone (issue 11): pvguest test=net as dom0 on Debian's Xen
# 4.17 and on mica, with an e1000 on QEMU's user network (restrict=on: nothing leaves the
# machine). The guest takes the e1000 (EEPROM MAC, link up), gets 10.0.2.15 by DHCP and serves
# UDP echo on port 7. The host sends 1,000 datagrams of 1..1,400 bytes, one at a time, to a
# forwarded port on 127.0.0.1 chosen free at run time, and checks every echo byte for byte;
# then 1,000 messages of the same sizes over one TCP connection to a second forwarded port
# (TCP echo on port 7 too), read back on the host's socket and compared; then "quit" ends the
# guest's service and it prints its counters.
#
# Where the echoes are seen: QEMU's user network (libslirp 4.7, udp_input) drops every UDP
# datagram from the guest when restrict=on, hostfwd replies included, so they never reach the
# host's socket. The test therefore reads them where they leave the guest: a QEMU filter-dump
# on the user network's netdev writes each frame to a pcap file at once, and the client
# matches the guest's reply (from 10.0.2.15 port 7 to the forwarded flow) in that file. An echo
# arriving on the socket (a QEMU without that restriction) counts as well.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
check "$PV exists (make guest)" test -f "$PV"

# client PORT PCAP LOG: wait for the guest's ready line in LOG, then 1,000 datagrams and "quit".
client() {
    python3 - "$@" <<'EOF'
import os, socket, struct, sys, time

port, tport, pcap, log = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
GUEST_MAC = bytes.fromhex("525400123456")

def wait_ready(limit):
    end = time.time() + limit
    while time.time() < end:
        try:
            with open(log, "rb") as f:
                text = f.read()
            if b"pvguest: net: ready" in text:
                return True
            if b"\nmica-run: " in text:  # the run ended first
                return False
        except OSError:
            pass
        time.sleep(0.2)
    return False

class Pcap:
    """Frames appended to the filter-dump file, read as they arrive."""
    def __init__(self, path):
        self.path, self.off = path, 24
    def frames(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.off)
                data = f.read()
        except OSError:
            return
        i = 0
        while i + 16 <= len(data):
            incl = struct.unpack("<I", data[i + 8:i + 12])[0]
            if i + 16 + incl > len(data):
                break
            yield data[i + 16:i + 16 + incl]
            i += 16 + incl
        self.off += i

def guest_udp_payload(frame):
    """UDP payload of a frame the guest sent from port 7, or None."""
    if len(frame) < 42 or frame[6:12] != GUEST_MAC or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    if ip[9] != 17 or len(ip) < ihl + 8:
        return None
    sport, dport, ulen = struct.unpack(">HHH", ip[ihl:ihl + 6])
    if sport != 7 or ulen < 8:
        return None
    return bytes(ip[ihl + 8:ihl + ulen])

if not wait_ready(150):
    print("client: the guest never said it was ready")
    sys.exit(1)
time.sleep(0.5)
cap = Pcap(pcap)
list(cap.frames())  # skip DHCP and ARP
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)

def echo(data, limit=3.0):
    """Send `data` and wait for its echo (pcap or socket); returns how it came, or None."""
    s.sendto(data, ("127.0.0.1", port))
    end = time.time() + limit
    while time.time() < end:
        for fr in cap.frames():
            p = guest_udp_payload(fr)
            if p is not None and p == data:
                return "pcap"
        try:
            r = s.recv(2048)
            if r == data:
                return "socket"
        except BlockingIOError:
            pass
        time.sleep(0.002)
    return None

n, ok, retries, lost, via_socket, total = 1000, 0, 0, 0, 0, 0
t0 = time.time()
for i in range(n):
    size = 1 + i * 1399 // (n - 1)
    data = os.urandom(size)
    total += size
    how = None
    for attempt in range(3):
        how = echo(data)
        if how:
            break
        retries += 1
    if how:
        ok += 1
        via_socket += how == "socket"
    else:
        lost += 1
took = time.time() - t0
# TCP echo through a second forwarded port (TCP replies do reach the host under restrict=on).
tcp_ok, tcp_bytes = 0, 0
try:
    c = socket.create_connection(("127.0.0.1", tport), timeout=10)
    c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    for i in range(n):
        data = os.urandom(1 + i * 1399 // (n - 1))
        c.sendall(data)
        got = b""
        while len(got) < len(data):
            r = c.recv(len(data) - len(got))
            if not r:
                break
            got += r
        if got != data:
            break
        tcp_ok += 1
        tcp_bytes += len(data)
    c.close()
except OSError as e:
    print("client: TCP:", e)
print("client: TCP: %d/%d messages echoed byte for byte (%d bytes) over one connection" %
      (tcp_ok, n, tcp_bytes))
time.sleep(0.5)
quit_ok = any(echo(b"quit") for _ in range(3))
print("client: %d/%d echoes byte for byte (%d bytes, sizes 1..1400), %d lost, %d retries, "
      "%d via the socket, in %.1f s; quit echoed: %s" %
      (ok, n, total, lost, retries, via_socket, took, "yes" if quit_ok else "no"))
sys.exit(0 if ok == n and tcp_ok == n and quit_ok else 1)
EOF
}

for hv in xen mica; do
    port=$(python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    tport=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    pcap=$LOG_DIR/$TEST_NAME.$hv.pcap
    rm -f "$pcap"
    # shellcheck disable=SC2054 # commas belong to QEMU option values
    net_args=(--extra-qemu=-device --extra-qemu=e1000,netdev=n0
        --extra-qemu=-netdev
        "--extra-qemu=user,id=n0,restrict=on,hostfwd=udp:127.0.0.1:$port-:7,hostfwd=tcp:127.0.0.1:$tport-:7"
        --extra-qemu=-object "--extra-qemu=filter-dump,id=f0,netdev=n0,file=$pcap")
    hv_args=()
    [ "$hv" = xen ] && hv_args=(--xen)
    status_file=$LOG_DIR/$TEST_NAME.$hv.status
    rm -f "$status_file"
    LOG=$LOG_DIR/$TEST_NAME.$hv.log
    # As run_mica, but in the background and with the log written line by line (the client
    # watches it for the guest's ready line).
    (
        echo "# $(date -u +%FT%TZ) tools/mica-run ${hv_args[*]} ${net_args[*]}" >"$LOG"
        PYTHONUNBUFFERED=1 timeout -k 5 300 "$MICA_RUN" "${hv_args[@]}" --timeout 260 \
            "${net_args[@]}" "$PV test=net net_timeout=200" </dev/null 2>&1 |
            stdbuf -oL tr -d '\r' >>"$LOG"
        echo "${PIPESTATUS[0]}" >"$status_file"
    ) &
    runner=$!
    echo "  run ($hv): test=net, echo forwarded from 127.0.0.1 udp $port, tcp $tport; log $LOG"
    sleep 1
    check "$hv: 1,000 UDP echoes and 1,000 TCP echoes of 1..1,400 bytes, byte for byte" \
        client "$port" "$tport" "$pcap" "$LOG"
    wait "$runner"
    STATUS=$(cat "$status_file" 2>/dev/null || echo none)
    echo "  exit status $STATUS"
    expect_status 0
    expect_regex 'pvguest: net: e1000 MAC 52:54:00:12:34:56, link up$'
    expect_line 'pvguest: net: address 10.0.2.15 (DHCP)'
    expect_line 'pvguest: net: ready: ICMP echo, UDP and TCP echo on port 7'
    expect_regex 'pvguest: net: e1000: [0-9]+ interrupts, rx [0-9]+ frames [0-9]+ bytes 0 errors, tx [0-9]+ frames [0-9]+ bytes 0 ring full; '
    expect_regex 'pvguest: net: lwIP: rx [0-9]+ frames \(0 dropped\), tx [0-9]+ frames \(0 errors\), [0-9]+ UDP echoes, 1 TCP echo connections \(700001 bytes\)$'
    expect_line 'pvguest: test net: passed'
    expect_line 'mica-run: clean power-off'
done
finish
