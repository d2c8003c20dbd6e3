/*
 * SHA-256 (NIST FIPS 180-4, "Secure Hash Standard", sections 4.1.2, 4.2.2, 5.1.1, 5.3.3 and
 * 6.2) for the shell's sha256sum (pvguest/shell/sha256.c). Portable C: tests/unit/test_sha256.c
 * checks it on the host against the standard's examples and the host's sha256sum.
 */
#ifndef PVGUEST_SHA256_H
#define PVGUEST_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_BLOCK_SIZE  64

/** A hash in progress. */
struct sha256_ctx {
    uint32_t h[8];                    /* the intermediate hash value H(i) */
    uint64_t bytes;                   /* message length so far */
    uint8_t block[SHA256_BLOCK_SIZE]; /* a partial block */
    size_t used;                      /* bytes in block[] */
};

/** Start a hash: H(0) of FIPS 180-4 section 5.3.3. */
void sha256_init(struct sha256_ctx *ctx);

/** Add @len bytes at @data to the message. */
void sha256_update(struct sha256_ctx *ctx, const void *data, size_t len);

/** Pad the message (section 5.1.1), process the last block(s) and write the 32-byte digest. */
void sha256_final(struct sha256_ctx *ctx, uint8_t digest[SHA256_DIGEST_SIZE]);

/** The digest of @len bytes at @data in one call. */
void sha256(const void *data, size_t len, uint8_t digest[SHA256_DIGEST_SIZE]);

/** Write @digest as 64 lower-case hex digits and a NUL to @hex (65 bytes). */
void sha256_hex(const uint8_t digest[SHA256_DIGEST_SIZE], char hex[2 * SHA256_DIGEST_SIZE + 1]);

#endif /* PVGUEST_SHA256_H */
