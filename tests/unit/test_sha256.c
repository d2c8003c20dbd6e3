/*
 * test_sha256 — host unit tests (Check) for the guest's SHA-256 (pvguest/shell/sha256.c,
 * issue 12's sha256sum): the examples of NIST FIPS 180-4 (csrc.nist.gov "SHA256.pdf" example
 * values: "abc", the 448-bit message, one million 'a') and the empty message, updates split
 * at every offset, and random buffers of many lengths compared with the host's sha256sum.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pvguest/sha256.h>

static void hex_of(const void *data, size_t len, char hex[65])
{
    uint8_t d[SHA256_DIGEST_SIZE];

    sha256(data, len, d);
    sha256_hex(d, hex);
}

static void check_str(const char *msg, const char *want)
{
    char hex[65];

    hex_of(msg, strlen(msg), hex);
    ck_assert_str_eq(hex, want);
}

START_TEST(test_nist_vectors)
{
    check_str("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_str("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_str("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
              "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    /* Two blocks exactly at the padding boundaries: 55, 56 and 64 bytes. */
    char buf[130];
    memset(buf, 'a', sizeof(buf));
    char hex[65];
    hex_of(buf, 55, hex);
    ck_assert_str_eq(hex, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    hex_of(buf, 56, hex);
    ck_assert_str_eq(hex, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    hex_of(buf, 64, hex);
    ck_assert_str_eq(hex, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}
END_TEST

START_TEST(test_million_a)
{
    struct sha256_ctx ctx;
    uint8_t d[SHA256_DIGEST_SIZE];
    char chunk[1000], hex[65];

    memset(chunk, 'a', sizeof(chunk));
    sha256_init(&ctx);
    for (int i = 0; i < 1000; i++)
        sha256_update(&ctx, chunk, sizeof(chunk));
    sha256_final(&ctx, d);
    sha256_hex(d, hex);
    ck_assert_str_eq(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}
END_TEST

START_TEST(test_split_updates)
{
    uint8_t msg[300], whole[SHA256_DIGEST_SIZE], parts[SHA256_DIGEST_SIZE];

    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (uint8_t)(i * 7 + 3);
    sha256(msg, sizeof(msg), whole);
    for (size_t cut = 0; cut <= sizeof(msg); cut++) {
        struct sha256_ctx ctx;
        sha256_init(&ctx);
        sha256_update(&ctx, msg, cut);
        sha256_update(&ctx, msg + cut, 0);
        sha256_update(&ctx, msg + cut, sizeof(msg) - cut);
        sha256_final(&ctx, parts);
        ck_assert_mem_eq(parts, whole, sizeof(whole));
    }
}
END_TEST

/* The host's sha256sum of @len bytes at @data (written to a temporary file). */
static void host_sha256sum(const void *data, size_t len, char hex[65])
{
    char path[] = "/tmp/test_sha256.XXXXXX", cmd[128], line[256];
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    snprintf(cmd, sizeof(cmd), "sha256sum %s", path);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
    ck_assert_int_eq(pclose(p), 0);
    unlink(path);
    /* coreutils: "<64 hex>  <path>" */
    ck_assert_int_eq(line[64], ' ');
    ck_assert_int_eq(line[65], ' ');
    memcpy(hex, line, 64);
    hex[64] = '\0';
}

START_TEST(test_against_host)
{
    static const size_t lens[] = {1, 63, 64, 65, 119, 120, 1000, 4096, 100003, 1 << 20};
    unsigned int seed = 12345;

    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        uint8_t *buf = malloc(lens[i]);
        char mine[65], host[65];
        ck_assert_ptr_nonnull(buf);
        for (size_t j = 0; j < lens[i]; j++)
            buf[j] = (uint8_t)(rand_r(&seed) >> 7);
        hex_of(buf, lens[i], mine);
        host_sha256sum(buf, lens[i], host);
        ck_assert_str_eq(mine, host);
        free(buf);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sha256");
    TCase *tc = tcase_create("sha256");
    SRunner *sr;
    int failed;

    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_nist_vectors);
    tcase_add_test(tc, test_million_a);
    tcase_add_test(tc, test_split_updates);
    tcase_add_test(tc, test_against_host);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
