#!/bin/bash
# Two guests behind the netback bridge answer UDP echo on their own forwarded ports (issue 11,
# "Tests"; tools/configs/net-echo.dts): the driver domain owns the e1000 (QEMU's user network,
# restrict=on) and bridges it with its own lwIP and the two vifs (test=netback-net); each
# guest runs lwIP on netfront at a fixed address (test=netfront-net ip=10.0.2.16 / .17) with
# UDP echo on port 7. The host sends datagrams of 1..1,400 bytes, one at a time, to each
# guest's forwarded port and checks every echo byte for byte, then "quit" ends each guest.
# A second run adds a hostile guest (tools/configs/net-echo-hostile.dts) flooding meanwhile:
# the echoes still all come back, its errors are counted, its broken ring stops only its vif.
#
# As in t-net-driver.sh: libslirp drops the guests' UDP with restrict=on, so the echoes are
# read where they leave the machine's e1000, from a QEMU filter-dump pcap; each must come from
# the right guest's MAC and address.
. "$(dirname "$0")/lib.sh"

PV=$BUILD/pvguest.elf
check "$PV exists (make guest)" test -f "$PV"

client() {
    python3 - "$@" <<'PYEOF'
import os, socket, struct, sys, time

log, pcap = sys.argv[1], sys.argv[2]
guests = [(int(sys.argv[3]), "10.0.2.16", bytes.fromhex("00163e00000a")),
          (int(sys.argv[4]), "10.0.2.17", bytes.fromhex("00163e00000b"))]
N = 1000

def log_has(*needles):
    try:
        with open(log, "rb") as f:
            text = f.read()
    except OSError:
        return False
    return all(n in text for n in needles)

end = time.time() + 150
while time.time() < end and not log_has(
        b"(d1) pvguest: test netfront-net: lwIP on netfront at 10.0.2.16",
        b"(d2) pvguest: test netfront-net: lwIP on netfront at 10.0.2.17",
        b"(d0) pvguest: test netback-net: serving 2 vif(s)"):
    if log_has(b"mica-run: "):
        print("client: the run ended before the guests were ready")
        sys.exit(1)
    time.sleep(0.2)
time.sleep(0.5)

offset = 24
def frames():
    global offset
    try:
        with open(pcap, "rb") as f:
            f.seek(offset)
            data = f.read()
    except OSError:
        return
    i = 0
    while i + 16 <= len(data):
        n = struct.unpack("<I", data[i + 8:i + 12])[0]
        if i + 16 + n > len(data):
            break
        yield data[i + 16:i + 16 + n]
        i += 16 + n
    offset += i

def reply(frame, mac, ip):
    """The UDP payload of a frame from (mac, ip) port 7, else None."""
    if len(frame) < 42 or frame[6:12] != mac or frame[12:14] != b"\x08\x00":
        return None
    h = frame[14:]
    ihl = (h[0] & 15) * 4
    if h[9] != 17 or socket.inet_ntoa(h[12:16]) != ip:
        return None
    sport, _, ulen = struct.unpack(">HHH", h[ihl:ihl + 6])
    return bytes(h[ihl + 8:ihl + ulen]) if sport == 7 and ulen >= 8 else None

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setblocking(False)
list(frames())

def echo(port, mac, ip, data, limit=3.0):
    s.sendto(data, ("127.0.0.1", port))
    end = time.time() + limit
    while time.time() < end:
        for fr in frames():
            if reply(fr, mac, ip) == data:
                return True
        try:
            if s.recv(2048) == data:
                return True
        except BlockingIOError:
            pass
        time.sleep(0.002)
    return False

failed = False
for port, ip, mac in guests:
    ok = lost = retries = 0
    t0 = time.time()
    for i in range(N):
        data = os.urandom(1 + i * 1399 // (N - 1))
        for attempt in range(3):
            if echo(port, mac, ip, data):
                ok += 1
                break
            retries += 1
        else:
            lost += 1
    quit_ok = any(echo(port, mac, ip, b"quit") for _ in range(3))
    print("client: %s: %d/%d echoes byte for byte, %d lost, %d retries, in %.1f s; quit echoed: %s"
          % (ip, ok, N, lost, retries, time.time() - t0, "yes" if quit_ok else "no"))
    failed |= ok != N or not quit_ok
sys.exit(1 if failed else 0)
PYEOF
}

free_port() {
    python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# echo_run NAME CONFIG KERNELS...: one boot with the e1000 and the two forwarded ports, the
# client against it; leaves LOG and STATUS for the expect_* checks.
echo_run() {
    local name=$1 config=$2
    shift 2
    local p1 p2 pcap status_file runner
    p1=$(free_port)
    p2=$(free_port)
    pcap=$LOG_DIR/$TEST_NAME.$name.pcap
    rm -f "$pcap"
    local net_args=(--extra-qemu=-device --extra-qemu=e1000,netdev=n0 --extra-qemu=-netdev
        "--extra-qemu=user,id=n0,restrict=on,hostfwd=udp:127.0.0.1:$p1-10.0.2.16:7,hostfwd=udp:127.0.0.1:$p2-10.0.2.17:7"
        --extra-qemu=-object "--extra-qemu=filter-dump,id=f0,netdev=n0,file=$pcap")
    status_file=$LOG_DIR/$TEST_NAME.$name.status
    rm -f "$status_file"
    (
        RUN=$name OUTER_TIMEOUT=400 run_mica --config "$config" --timeout 360 "${net_args[@]}" \
            "$@" >/dev/null
        echo "$STATUS" >"$status_file"
    ) &
    runner=$!
    LOG=$LOG_DIR/$TEST_NAME.$name.log
    echo "  run $name: $config, ports $p1 (10.0.2.16) and $p2 (10.0.2.17); log $LOG"
    sleep 1
    check "$name: each guest echoes 1,000 datagrams of 1..1,400 bytes on its own port" \
        client "$LOG" "$pcap" "$p1" "$p2"
    wait "$runner"
    STATUS=$(cat "$status_file" 2>/dev/null || echo none)
}

expect_echo_guests() {
    expect_status 0
    expect_regex '^\(d0\) pvguest: test netback-net: lwIP on the bridge at 10.0.2.15 \(DHCP\)'
    for d in 1 2; do
        expect_regex "^\(d$d\) pvguest: test netfront-net: echoes [0-9]+, rx [0-9]+ \(errors 0, early [0-9]+, oversize 0\), tx [0-9]+ \(errors 0\); passed$"
        expect_regex "^\(d0\) pvguest: netback: vif-d$d-0: d$d closed: .*tx errors 0 .*ring error 0$"
    done
    expect_line '(d0) pvguest: test netback-net: passed'
    expect_line 'mica: power off (clean)'
}

echo_run two tools/configs/net-echo.dts "$PV" "$PV" "$PV"
expect_echo_guests

# The same next to a hostile guest flooding for 40 s (broadcasts and unknown unicast, which
# the bridge sends to the e1000), after its malformed requests and before its broken ring.
echo_run hostile tools/configs/net-echo-hostile.dts "$PV" "$PV" "$PV" "$PV"
expect_echo_guests
expect_regex '^\(d3\) pvguest: test netfront-hostile: flooded [0-9]+ frames for 40 s, send errors 0$'
expect_line '(d3) pvguest: test netfront-hostile: passed'
expect_regex '^\(d0\) pvguest: netback: vif-d3-0: d3 closed: .*tx errors 9 \(bad grants 2; shorter than an Ethernet header 1, longer than 64 KiB 1, slot crosses a page 2, too many slots 1, fragments exceed the packet size 1, extra info not offered 1\); rx packets 0 .*ring error -75$'
expect_number_between '^\(d0\) pvguest: bridge: port 4 vif-d3-0: .*storm ([0-9]+)$' 1 100000000
finish
