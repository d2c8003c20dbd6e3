/*
 * test_http_parse — host unit tests (Check) for pvguest/net/http_parse.c (issue 12): the
 * guest web server's incremental request parser (whole requests, requests fed in pieces and
 * byte by byte, every error and its status code) and its escaping and media-type helpers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pvguest/http_parse.h>

static struct http_request req;

/* Feed @s in one piece; returns the result, *used in @used_out if not NULL. */
static enum http_parse_result feed_all(const char *s, size_t len, size_t *used_out)
{
    size_t used;
    enum http_parse_result r;

    http_parse_init(&req);
    r = http_parse_feed(&req, s, len, &used);
    if (used_out)
        *used_out = used;
    return r;
}

static enum http_parse_result feed(const char *s)
{
    return feed_all(s, strlen(s), NULL);
}

/* Feed @s in pieces of @step bytes until the parser is done or fails; a complete request must
   end with the last piece. */
static enum http_parse_result feed_steps(const char *s, size_t len, size_t step)
{
    enum http_parse_result r = HTTP_PARSE_MORE;
    size_t off = 0, used;

    http_parse_init(&req);
    while (off < len && r == HTTP_PARSE_MORE) {
        size_t n = len - off < step ? len - off : step;

        r = http_parse_feed(&req, s + off, n, &used);
        if (r == HTTP_PARSE_MORE)
            ck_assert_uint_eq(used, n);
        off += n;
    }
    if (r == HTTP_PARSE_DONE)
        ck_assert_uint_eq(off, len);
    return r;
}

/* @s must fail with @status, fed whole and byte by byte. */
static void expect_error(const char *s, int status)
{
    ck_assert_msg(feed(s) == HTTP_PARSE_ERROR, "not an error: %s", s);
    ck_assert_msg(req.status == status, "status %d, expected %d: %s", req.status, status, s);
    ck_assert_int_eq(feed_steps(s, strlen(s), 1), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, status);
}

START_TEST(test_get)
{
    const char *s = "GET /index.html HTTP/1.0\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\n\r\n";
    size_t used;

    ck_assert_int_eq(feed_all(s, strlen(s), &used), HTTP_PARSE_DONE);
    ck_assert_uint_eq(used, strlen(s));
    ck_assert_int_eq(req.method, HTTP_METHOD_GET);
    ck_assert_str_eq(req.path, "/index.html");
    ck_assert_uint_eq(req.version_minor, 0);
    ck_assert(!req.has_host);
}
END_TEST

START_TEST(test_head_http11)
{
    ck_assert_int_eq(feed("HEAD /a/b/ HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_int_eq(req.method, HTTP_METHOD_HEAD);
    ck_assert_str_eq(req.path, "/a/b/");
    ck_assert_uint_eq(req.version_minor, 1);
    ck_assert(req.has_host);
}
END_TEST

START_TEST(test_minimal_and_root)
{
    ck_assert_int_eq(feed("GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/");
    /* A higher minor version is treated as HTTP/1.1. */
    ck_assert_int_eq(feed("GET / HTTP/1.7\r\nHost: x\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_uint_eq(req.version_minor, 1);
}
END_TEST

/* Every split of a request gives the same result; so does one byte at a time. */
START_TEST(test_split_feeds)
{
    const char *s = "GET /dir/some%20file.txt?x=1 HTTP/1.1\r\nHost: h\r\nX-Long: "
                    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    size_t len = strlen(s), step;

    for (step = 1; step <= len; step++) {
        ck_assert_int_eq(feed_steps(s, len, step), HTTP_PARSE_DONE);
        ck_assert_int_eq(req.method, HTTP_METHOD_GET);
        ck_assert_str_eq(req.path, "/dir/some file.txt");
        ck_assert_uint_eq(req.version_minor, 1);
    }
    /* A CRLF split between two feeds. */
    http_parse_init(&req);
    ck_assert_int_eq(http_parse_feed(&req, "GET / HTTP/1.0\r", 15, NULL), HTTP_PARSE_MORE);
    ck_assert_int_eq(http_parse_feed(&req, "\n\r", 2, NULL), HTTP_PARSE_MORE);
    ck_assert_int_eq(http_parse_feed(&req, "\n", 1, NULL), HTTP_PARSE_DONE);
}
END_TEST

/* Bytes after the header section (a body, a second request) are not used. */
START_TEST(test_used_and_after_done)
{
    const char *s = "GET /x HTTP/1.0\r\n\r\nGARBAGE";
    size_t used;

    ck_assert_int_eq(feed_all(s, strlen(s), &used), HTTP_PARSE_DONE);
    ck_assert_uint_eq(used, strlen(s) - 7);
    ck_assert_int_eq(http_parse_feed(&req, "more", 4, &used), HTTP_PARSE_DONE);
    ck_assert_uint_eq(used, 0);
    ck_assert_str_eq(req.path, "/x");

    ck_assert_int_eq(feed_all("BAD\r\nGET", 8, &used), HTTP_PARSE_ERROR);
    ck_assert_uint_eq(used, 5);
    ck_assert_int_eq(http_parse_feed(&req, "x", 1, &used), HTTP_PARSE_ERROR);
    ck_assert_uint_eq(used, 0);
}
END_TEST

START_TEST(test_incomplete)
{
    ck_assert_int_eq(feed(""), HTTP_PARSE_MORE);
    ck_assert_int_eq(feed("GET / HTTP/1.0"), HTTP_PARSE_MORE);
    ck_assert_int_eq(feed("GET / HTTP/1.0\r\n"), HTTP_PARSE_MORE);
    /* Headers without the empty line that ends them. */
    ck_assert_int_eq(feed("GET / HTTP/1.0\r\nA: b\r\nC: d\r\n"), HTTP_PARSE_MORE);
    ck_assert_int_eq(feed("GET / HTTP/1.0\r\nA: b\r\n\r"), HTTP_PARSE_MORE);
}
END_TEST

START_TEST(test_bare_lf)
{
    ck_assert_int_eq(feed("GET /lf HTTP/1.0\nA: b\n\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/lf");
    ck_assert_int_eq(feed("GET /mixed HTTP/1.1\r\nHost: h\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/mixed");
    /* A bare CR is not a line end. */
    expect_error("GET / HTTP/1.0\rA: b\r\n\r\n", 400);
    expect_error("GET / HTTP/1.0\r\nA: b\r\r\n", 400);
}
END_TEST

START_TEST(test_leading_empty_lines)
{
    ck_assert_int_eq(feed("\r\n\nGET /x HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/x");
}
END_TEST

START_TEST(test_percent_decoding)
{
    ck_assert_int_eq(feed("GET /a%20b/%41%62%2e%7E HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/a b/Ab.~");
    ck_assert_int_eq(feed("GET /%c3%a9t%C3%A9 HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/\xc3\xa9t\xc3\xa9");
    ck_assert_int_eq(feed("GET /a%2Fb HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/a/b");
    /* The query is dropped, undecoded. */
    ck_assert_int_eq(feed("GET /f?a=%00&b=..%2F HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/f");
    /* Single dots are left to the filesystem. */
    ck_assert_int_eq(feed("GET /./a/.../..b HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/./a/.../..b");

    expect_error("GET /a%2 HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a% HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a%g0 HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a%0g HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a%00b HTTP/1.0\r\n\r\n", 400);
}
END_TEST

START_TEST(test_dotdot)
{
    expect_error("GET /.. HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /../etc/passwd HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a/../../b HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a/.. HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a/%2e%2e/b HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a/.%2E HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a%2F..%2Fb HTTP/1.0\r\n\r\n", 400);
    expect_error("GET http://h/../x HTTP/1.0\r\n\r\n", 400);
}
END_TEST

START_TEST(test_target_forms)
{
    /* absolute-form: accepted, the authority ignored (RFC 9112 section 3.2.2). */
    ck_assert_int_eq(feed("GET http://example.org/a/b%21 HTTP/1.1\r\nHost: e\r\n\r\n"),
                     HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/a/b!");
    ck_assert_int_eq(feed("GET HTTP://10.0.2.15:80 HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/");
    ck_assert_int_eq(feed("GET http://h?q HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
    ck_assert_str_eq(req.path, "/");
    expect_error("GET http:///x HTTP/1.0\r\n\r\n", 400);
    expect_error("GET https://h/x HTTP/1.0\r\n\r\n", 400);
    /* Not a path: relative, asterisk-form, authority-form. */
    expect_error("GET index.html HTTP/1.0\r\n\r\n", 400);
    expect_error("GET * HTTP/1.0\r\n\r\n", 400);
    expect_error("GET h:80 HTTP/1.0\r\n\r\n", 400);
    /* Bytes a target cannot hold. */
    expect_error("GET /a#frag HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /\x7f HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /\xc3\xa9 HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /a\tb HTTP/1.0\r\n\r\n", 400);
}
END_TEST

START_TEST(test_methods)
{
    expect_error("POST /x HTTP/1.0\r\n\r\n", 501);
    expect_error("PUT /x HTTP/1.0\r\n\r\n", 501);
    expect_error("BREW /pot HTTP/1.0\r\n\r\n", 501);
    /* Methods are case-sensitive: "get" is a method this server does not know (RFC 9110
       section 9.1), hence 501 rather than 400. */
    expect_error("get /x HTTP/1.0\r\n\r\n", 501);
    expect_error("Head /x HTTP/1.0\r\n\r\n", 501);
    /* Not a token, no method. */
    expect_error("G(T /x HTTP/1.0\r\n\r\n", 400);
    expect_error(" GET /x HTTP/1.0\r\n\r\n", 400);
    expect_error("\x01GET /x HTTP/1.0\r\n\r\n", 400);
    /* A syntax error wins over an unknown method. */
    expect_error("POST /x\r\n\r\n", 400);
    /* The method is known as soon as the request line is read. */
    ck_assert_int_eq(feed("HEAD /x HTTP/1.0\r\nbad\r\n\r\n"), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.method, HTTP_METHOD_HEAD);
}
END_TEST

START_TEST(test_versions)
{
    expect_error("GET /x\r\n\r\n", 400); /* HTTP/0.9 */
    expect_error("GET\r\n\r\n", 400);
    expect_error("GET /x \r\n\r\n", 400);
    expect_error("GET  /x HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /x  HTTP/1.0\r\n\r\n", 400);
    expect_error("GET /x HTTP/1.0 \r\n\r\n", 400);
    expect_error("GET /x http/1.0\r\n\r\n", 400);
    expect_error("GET /x HTTP/1\r\n\r\n", 400);
    expect_error("GET /x HTTP/1.10\r\n\r\n", 400);
    expect_error("GET /x HTTP/x.0\r\n\r\n", 400);
    expect_error("GET /x FOO\r\n\r\n", 400);
    expect_error("GET /x HTTP/2.0\r\n\r\n", 505);
    expect_error("GET /x HTTP/0.9\r\n\r\n", 505);
}
END_TEST

START_TEST(test_headers)
{
    ck_assert_int_eq(feed("GET / HTTP/1.0\r\nA:\r\nB:  v  \r\nC:\tx\t\r\nD: \x80\xff\r\n\r\n"),
                     HTTP_PARSE_DONE);
    expect_error("GET / HTTP/1.0\r\nNoColon\r\n\r\n", 400);
    expect_error("GET / HTTP/1.0\r\n: empty name\r\n\r\n", 400);
    expect_error("GET / HTTP/1.0\r\nHost : h\r\n\r\n", 400);
    expect_error("GET / HTTP/1.0\r\nA(b: c\r\n\r\n", 400);
    expect_error("GET / HTTP/1.0\r\nA: b\r\n c\r\n\r\n", 400);  /* obs-fold */
    expect_error("GET / HTTP/1.0\r\nA: b\r\n\tc\r\n\r\n", 400); /* obs-fold */
    expect_error("GET / HTTP/1.0\r\nA: b\x01\r\n\r\n", 400);
    expect_error("GET / HTTP/1.0\r\nA: b\x7f\r\n\r\n", 400);
    /* Host: required by HTTP/1.1, once. */
    expect_error("GET / HTTP/1.1\r\n\r\n", 400);
    expect_error("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400);
    expect_error("GET / HTTP/1.0\r\nHost: a\r\nHOST: b\r\n\r\n", 400);
    ck_assert_int_eq(feed("GET / HTTP/1.1\r\nHOST: a\r\n\r\n"), HTTP_PARSE_DONE);
}
END_TEST

START_TEST(test_nul)
{
#define CASE(s)                                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1                                                                           \
    }
    static const struct {
        const char *s;
        size_t len;
    } cases[] = {
        CASE("GET /a\0b HTTP/1.0\r\n\r\n"),
        CASE("GET / HTTP/1.0\r\nA: \0\r\n\r\n"),
        CASE("\0GET / HTTP/1.0\r\n\r\n"),
        CASE("GET / HTTP/1.0\r\n\r\0"),
    };
#undef CASE
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        ck_assert_int_eq(feed_all(cases[i].s, cases[i].len, NULL), HTTP_PARSE_ERROR);
        ck_assert_int_eq(req.status, 400);
        ck_assert_int_eq(feed_steps(cases[i].s, cases[i].len, 1), HTTP_PARSE_ERROR);
        ck_assert_int_eq(req.status, 400);
    }
}
END_TEST

START_TEST(test_limits)
{
    char *s = malloc(3 * HTTP_REQUEST_MAX);
    size_t n;

    /* Exactly HTTP_REQUEST_MAX bytes pass; one more fails in the header section: 431. */
    n = (size_t)sprintf(s, "GET / HTTP/1.0\r\nX: ");
    memset(s + n, 'a', HTTP_REQUEST_MAX - n - 4);
    memcpy(s + HTTP_REQUEST_MAX - 4, "\r\n\r\n", 4);
    ck_assert_int_eq(feed_all(s, HTTP_REQUEST_MAX, NULL), HTTP_PARSE_DONE);
    memmove(s + n + 1, s + n, HTTP_REQUEST_MAX - n);
    ck_assert_int_eq(feed_all(s, HTTP_REQUEST_MAX + 1, NULL), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, 431);
    ck_assert_int_eq(feed_steps(s, HTTP_REQUEST_MAX + 1, 7), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, 431);

    /* Many short header lines add up too. */
    n = (size_t)sprintf(s, "GET / HTTP/1.0\r\n");
    while (n < 2 * HTTP_REQUEST_MAX)
        n += (size_t)sprintf(s + n, "A: b\r\n");
    ck_assert_int_eq(feed_all(s, n, NULL), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, 431);

    /* A request line that never ends: 414. */
    memset(s, 'a', 3 * HTTP_REQUEST_MAX);
    memcpy(s, "GET /", 5);
    ck_assert_int_eq(feed_all(s, 3 * HTTP_REQUEST_MAX, NULL), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, 414);
    ck_assert_int_eq(feed_steps(s, 3 * HTTP_REQUEST_MAX, 1), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, 414);

    /* A path longer than HTTP_PATH_MAX - 1 bytes decoded: 414; one byte less fits. */
    n = (size_t)sprintf(s, "GET /");
    memset(s + n, 'p', HTTP_PATH_MAX - 2);
    n += HTTP_PATH_MAX - 2;
    n += (size_t)sprintf(s + n, " HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(feed_all(s, n, NULL), HTTP_PARSE_DONE);
    ck_assert_uint_eq(strlen(req.path), HTTP_PATH_MAX - 1);
    n = (size_t)sprintf(s, "GET /");
    memset(s + n, 'p', HTTP_PATH_MAX - 1);
    n += HTTP_PATH_MAX - 1;
    n += (size_t)sprintf(s + n, " HTTP/1.0\r\n\r\n");
    ck_assert_int_eq(feed_all(s, n, NULL), HTTP_PARSE_ERROR);
    ck_assert_int_eq(req.status, 414);

    /* Endless empty lines before the request line count as well. */
    memset(s, '\n', HTTP_REQUEST_MAX + 1);
    ck_assert_int_eq(feed_all(s, HTTP_REQUEST_MAX + 1, NULL), HTTP_PARSE_ERROR);
    free(s);
}
END_TEST

START_TEST(test_reason)
{
    ck_assert_str_eq(http_reason(200), "OK");
    ck_assert_str_eq(http_reason(301), "Moved Permanently");
    ck_assert_str_eq(http_reason(400), "Bad Request");
    ck_assert_str_eq(http_reason(404), "Not Found");
    ck_assert_str_eq(http_reason(431), "Request Header Fields Too Large");
    ck_assert_str_eq(http_reason(501), "Not Implemented");
    ck_assert_str_eq(http_reason(505), "HTTP Version Not Supported");
    ck_assert_str_eq(http_reason(299), "Unknown");
}
END_TEST

START_TEST(test_html_escape)
{
    char buf[64];

    ck_assert_uint_eq(http_html_escape(buf, sizeof(buf), "plain name.txt"), 14);
    ck_assert_str_eq(buf, "plain name.txt");
    ck_assert_uint_eq(http_html_escape(buf, sizeof(buf), "<a href=\"x\">&'</a>"), 48);
    ck_assert_str_eq(buf, "&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;");
    /* Truncation: like snprintf. */
    ck_assert_uint_eq(http_html_escape(buf, 4, "a&b"), 7);
    ck_assert_str_eq(buf, "a&a");
    ck_assert_uint_eq(http_html_escape(NULL, 0, "<<"), 8);
    ck_assert_uint_eq(http_html_escape(buf, sizeof(buf), ""), 0);
    ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(test_url_escape)
{
    char buf[64];

    ck_assert_uint_eq(http_url_escape(buf, sizeof(buf), "/a b/<x>&\"'%", true), 26);
    ck_assert_str_eq(buf, "/a%20b/%3Cx%3E%26%22%27%25");
    ck_assert_uint_eq(http_url_escape(buf, sizeof(buf), "a/b-c.d_e~\xc3\xa9", false), 18);
    ck_assert_str_eq(buf, "a%2Fb-c.d_e~%C3%A9");
    ck_assert_uint_eq(http_url_escape(buf, 3, "%%", false), 6);
    ck_assert_str_eq(buf, "%2");
}
END_TEST

START_TEST(test_content_type)
{
    ck_assert_str_eq(http_content_type("/index.html"), "text/html");
    ck_assert_str_eq(http_content_type("/INDEX.HTM"), "text/html");
    ck_assert_str_eq(http_content_type("/notes.txt"), "text/plain");
    ck_assert_str_eq(http_content_type("/src/main.c"), "text/plain");
    ck_assert_str_eq(http_content_type("/README.md"), "text/plain");
    ck_assert_str_eq(http_content_type("/data.bin"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("/README"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("/dir.txt/file"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("/file."), "application/octet-stream");
    ck_assert_str_eq(http_content_type("/a.txt.gz"), "application/octet-stream");
    ck_assert_str_eq(http_content_type("/.txt"), "text/plain");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_parse");
    TCase *tc = tcase_create("parse");
    TCase *th = tcase_create("helpers");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_get);
    tcase_add_test(tc, test_head_http11);
    tcase_add_test(tc, test_minimal_and_root);
    tcase_add_test(tc, test_split_feeds);
    tcase_add_test(tc, test_used_and_after_done);
    tcase_add_test(tc, test_incomplete);
    tcase_add_test(tc, test_bare_lf);
    tcase_add_test(tc, test_leading_empty_lines);
    tcase_add_test(tc, test_percent_decoding);
    tcase_add_test(tc, test_dotdot);
    tcase_add_test(tc, test_target_forms);
    tcase_add_test(tc, test_methods);
    tcase_add_test(tc, test_versions);
    tcase_add_test(tc, test_headers);
    tcase_add_test(tc, test_nul);
    tcase_add_test(tc, test_limits);
    suite_add_tcase(s, tc);
    tcase_add_test(th, test_reason);
    tcase_add_test(th, test_html_escape);
    tcase_add_test(th, test_url_escape);
    tcase_add_test(th, test_content_type);
    suite_add_tcase(s, th);

    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
