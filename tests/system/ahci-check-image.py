#!/usr/bin/env python3
"""Check the pattern test=ahci (pvguest/selftest_ahci.c) leaves on its disk image.

usage: ahci-check-image.py IMAGE [FIRST_LBA [SECTORS]]

Byte i of sector s is s's little-endian bytes for i < 8, else (s*31 + i*7 + (i >> 8)) & 0xff.
Prints one line and exits 0 if every sector matches, 1 otherwise.
"""
import sys


def expected(lba):
    return bytes(((lba >> (8 * i)) & 0xff) if i < 8 else ((lba * 31 + i * 7 + (i >> 8)) & 0xff)
                 for i in range(512))


def main():
    image = sys.argv[1]
    first = int(sys.argv[2]) if len(sys.argv) > 2 else 2048
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    bad = []
    with open(image, 'rb') as f:
        f.seek(first * 512)
        data = f.read(count * 512)
    for k in range(count):
        if data[k * 512:(k + 1) * 512] != expected(first + k):
            bad.append(first + k)
    print(f"{image}: sectors {first}..{first + count - 1}: {count - len(bad)} match, "
          f"{len(bad)} differ{(' (first ' + str(bad[0]) + ')') if bad else ''}")
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
