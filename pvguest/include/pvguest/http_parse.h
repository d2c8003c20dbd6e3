/*
 * http_parse — the guest's HTTP/1.0 request parser and the small text helpers of its web
 * server (issue 12; pvguest/net/httpd.c serves ext2 files with it). Portable C: no lwIP and
 * no guest calls, so tests/unit/test_http_parse.c runs it on the host.
 *
 * The parser is incremental: http_parse_feed() takes the bytes of a connection as they
 * arrive, in pieces of any size (one byte at a time works), and says whether it needs more,
 * has a complete request, or found an error with the status code to answer.
 *
 * What it accepts (RFC 1945, HTTP/1.0; RFC 9112, HTTP/1.1 message syntax; RFC 9110,
 * semantics):
 *  - Empty lines before the request line are skipped (RFC 9112 section 2.2).
 *  - Request line: method SP request-target SP HTTP-version, one space each (RFC 9112
 *    section 3). The line ends with CRLF or a bare LF (RFC 9112 section 2.2); a CR elsewhere
 *    is an error (400).
 *  - Method: a token (RFC 9110 section 5.6.2), case-sensitive (RFC 9110 section 9.1). GET
 *    and HEAD are served; any other token, lowercase "get" included, is a method this server
 *    does not implement: 501 (RFC 9110 section 15.6.2). A method that is not a token: 400.
 *  - Request target: origin-form "/path[?query]" (RFC 9112 section 3.2.1), or the
 *    absolute-form "http://authority/path[?query]" that a server must accept (RFC 9112
 *    section 3.2.2; the scheme is case-insensitive, the authority is ignored, an empty path
 *    is "/"). The query is dropped. Percent-encoded octets (%XX, RFC 3986 section 2.1) are
 *    decoded. 400 for: a target starting otherwise (asterisk- and authority-form included),
 *    a byte outside visible ASCII, a '#', a bad %-escape, a decoded NUL, and a ".." path
 *    segment after decoding (no escape from the filesystem's root). 414 when the decoded
 *    path does not fit HTTP_PATH_MAX.
 *  - Version: "HTTP/" DIGIT "." DIGIT, case-sensitive (RFC 9112 section 2.3). 1.0 and 1.x
 *    are accepted (a higher minor version is treated as the highest one known, RFC 9110
 *    section 6.2); another major version: 505. A missing or malformed version: 400 (the
 *    HTTP/0.9 "GET /path" form is not served).
 *  - Header fields: field-name ":" OWS field-value OWS (RFC 9112 section 5). 400 for a name
 *    that is not a token or is followed by whitespace (RFC 9112 section 5.1), a line folded
 *    with leading whitespace (obs-fold, RFC 9112 section 5.2), a control character in a value
 *    other than HTAB, and for HTTP/1.1 a missing or repeated Host field (RFC 9112
 *    section 3.2). Other fields are only checked, not kept. A request body is not read: the
 *    server answers and closes.
 *  - Size: the request line and the header section together, line ends included, are at
 *    most HTTP_REQUEST_MAX bytes; beyond: 414 while still in the request line, 431 in the
 *    header section (RFC 6585 section 5).
 *  - A NUL byte anywhere: 400.
 */
#ifndef PVGUEST_HTTP_PARSE_H
#define PVGUEST_HTTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/** The largest request (request line plus header section, line ends included) accepted. */
#define HTTP_REQUEST_MAX 4096

/** The size of the decoded path buffer, its NUL included. */
#define HTTP_PATH_MAX 1024

/** Request methods the server implements (RFC 1945 section 8). */
enum http_method {
    HTTP_METHOD_NONE = 0, /* not (yet) known */
    HTTP_METHOD_GET,
    HTTP_METHOD_HEAD,
    HTTP_METHOD_OTHER, /* a well-formed method this server does not implement (501) */
};

/** What http_parse_feed() found. */
enum http_parse_result {
    HTTP_PARSE_MORE,  /* the request is not complete yet: feed more bytes */
    HTTP_PARSE_DONE,  /* a complete, valid request: see method, path, version_minor */
    HTTP_PARSE_ERROR, /* a bad request: answer with `status` (400, 414, 431, 501, 505) */
};

/** One request's parser state and result. Initialise with http_parse_init(). */
struct http_request {
    /* Results. */
    enum http_method method;    /* set as soon as the method is read, also on later errors */
    unsigned int version_minor; /* 0 for HTTP/1.0, 1 for HTTP/1.1 (and higher minors) */
    int status;                 /* with HTTP_PARSE_ERROR: the status code to answer */
    char path[HTTP_PATH_MAX];   /* the decoded absolute path, NUL-terminated (query dropped) */
    bool has_host;              /* a Host header field was seen */

    /* Parser state (private). */
    enum http_parse_result result;
    bool in_headers;             /* the request line was read */
    bool cr;                     /* the previous byte was a CR */
    size_t total;                /* bytes consumed so far */
    size_t line_len;             /* bytes of the current line in `line` */
    char line[HTTP_REQUEST_MAX]; /* the current line, without its line end */
};

/** Reset @req for a new request. */
void http_parse_init(struct http_request *req);

/**
 * Feed @len bytes of the connection to the parser. Returns HTTP_PARSE_MORE until the request
 * is complete. On HTTP_PARSE_DONE or HTTP_PARSE_ERROR, *@used (if not NULL) is the number of
 * bytes of @data that belonged to the request (the rest, e.g. a body, is not looked at); on
 * HTTP_PARSE_MORE it is @len. Once done or failed, further calls return the same result and
 * use nothing.
 */
enum http_parse_result http_parse_feed(struct http_request *req, const char *data, size_t len,
                                       size_t *used);

/** The reason phrase of a status code this server sends ("OK", "Not Found"...), or
 *  "Unknown" (RFC 9110 section 15). */
const char *http_reason(int status);

/**
 * Write @src to @dst (@size bytes) with HTML's special characters replaced by character
 * references (& < > " '), so that it is safe as element text and in a quoted attribute.
 * Like snprintf: always NUL-terminates when @size > 0, returns the length the full result
 * has (not counting the NUL); the output was truncated if that is >= @size.
 */
size_t http_html_escape(char *dst, size_t size, const char *src);

/**
 * Write @src percent-encoded (RFC 3986 section 2.1) to @dst (@size bytes): every byte but
 * the unreserved characters (ALPHA DIGIT - . _ ~) and, if @keep_slash, '/'. The result is
 * safe in a URL path and, containing no HTML special character, in an HTML attribute.
 * Returns as http_html_escape().
 */
size_t http_url_escape(char *dst, size_t size, const char *src, bool keep_slash);

/**
 * The media type to send for a file, from its name's extension (case-insensitive):
 * "text/html" for .html and .htm, "text/plain" for .txt, .text, .md, .c, .h, .s, .sh,
 * .log, .conf, .cfg, .csv, .dts, and "application/octet-stream" for everything else.
 */
const char *http_content_type(const char *path);

#endif /* PVGUEST_HTTP_PARSE_H */
