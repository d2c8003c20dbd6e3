/*
 * The HTTP/1.0 request parser and text helpers of the guest's web server (API and the rules
 * it follows in pvguest/http_parse.h). Portable: only <string.h>, built for the host by
 * tests/unit/unit.mk.
 *
 * The parser collects one line at a time (the request line, then each header field line) in
 * the request's buffer and checks it when its line end arrives; the request's size limit
 * bounds the buffer.
 */
#include <string.h>

#include <pvguest/http_parse.h>

void http_parse_init(struct http_request *req)
{
    memset(req, 0, sizeof(*req));
    req->result = HTTP_PARSE_MORE;
}

static enum http_parse_result fail(struct http_request *req, int status)
{
    req->status = status;
    req->result = HTTP_PARSE_ERROR;
    return req->result;
}

/* tchar, RFC 9110 section 5.6.2. */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int hex_value(unsigned char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Whether @a (@n bytes) equals the NUL-terminated lowercase @b, ignoring ASCII case. */
static bool equal_nocase(const char *a, size_t n, const char *b)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (!b[i] || lower(a[i]) != b[i])
            return false;
    return b[n] == '\0';
}

/* Decode request target @t (@n bytes) into req->path; 0 or the status code to answer. */
static int decode_target(struct http_request *req, const char *t, size_t n)
{
    size_t i = 0, out = 0;
    const char *seg;

    if (n >= 7 && equal_nocase(t, 7, "http://")) {
        /* absolute-form: skip the authority (RFC 3986 section 3.2); it must not be empty. */
        i = 7;
        while (i < n && t[i] != '/' && t[i] != '?') {
            if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f || t[i] == '#')
                return 400;
            i++;
        }
        if (i == 7)
            return 400;
        if (i == n || t[i] == '?')
            req->path[out++] = '/';
    } else if (t[0] != '/') {
        return 400;
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)t[i];

        if (c <= 0x20 || c >= 0x7f || c == '#')
            return 400;
        if (c == '?') {
            /* The query: checked as visible ASCII, then dropped. */
            for (; i < n; i++)
                if ((unsigned char)t[i] <= 0x20 || (unsigned char)t[i] >= 0x7f || t[i] == '#')
                    return 400;
            break;
        }
        if (c == '%') {
            int hi = i + 2 < n ? hex_value((unsigned char)t[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value((unsigned char)t[i + 2]) : -1;

            if (lo < 0)
                return 400;
            c = (unsigned char)(hi << 4 | lo);
            if (!c)
                return 400;
            i += 2;
        }
        if (out + 1 >= HTTP_PATH_MAX)
            return 414;
        req->path[out++] = (char)c;
    }
    req->path[out] = '\0';

    /* No ".." segment, whether written as is or percent-encoded. */
    for (seg = req->path; *seg;) {
        const char *end = strchr(seg, '/');
        size_t len = end ? (size_t)(end - seg) : strlen(seg);

        if (len == 2 && seg[0] == '.' && seg[1] == '.')
            return 400;
        seg += len;
        if (*seg == '/')
            seg++;
    }
    return 0;
}

/* method SP request-target SP HTTP-version (RFC 9112 section 3). */
static enum http_parse_result request_line(struct http_request *req, const char *l, size_t n)
{
    const char *sp1 = memchr(l, ' ', n), *sp2, *v;
    size_t mlen, tlen, vlen, i;
    int status;

    if (!sp1 || sp1 == l)
        return fail(req, 400);
    mlen = (size_t)(sp1 - l);
    for (i = 0; i < mlen; i++)
        if (!is_tchar((unsigned char)l[i]))
            return fail(req, 400);
    if (mlen == 3 && memcmp(l, "GET", 3) == 0)
        req->method = HTTP_METHOD_GET;
    else if (mlen == 4 && memcmp(l, "HEAD", 4) == 0)
        req->method = HTTP_METHOD_HEAD;
    else
        req->method = HTTP_METHOD_OTHER;

    sp2 = memchr(sp1 + 1, ' ', n - mlen - 1);
    if (!sp2 || sp2 == sp1 + 1)
        return fail(req, 400);
    tlen = (size_t)(sp2 - sp1 - 1);
    v = sp2 + 1;
    vlen = n - (size_t)(v - l);

    /* HTTP-version = "HTTP" "/" DIGIT "." DIGIT (RFC 9112 section 2.3). */
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9')
        return fail(req, 400);
    status = decode_target(req, sp1 + 1, tlen);
    if (status)
        return fail(req, status);
    if (v[5] != '1')
        return fail(req, 505);
    req->version_minor = v[7] == '0' ? 0 : 1;
    if (req->method == HTTP_METHOD_OTHER)
        return fail(req, 501);
    req->in_headers = true;
    return HTTP_PARSE_MORE;
}

/* field-name ":" OWS field-value OWS (RFC 9112 section 5). */
static enum http_parse_result header_line(struct http_request *req, const char *l, size_t n)
{
    const char *colon = memchr(l, ':', n);
    size_t i, nlen;

    if (l[0] == ' ' || l[0] == '\t') /* obs-fold */
        return fail(req, 400);
    if (!colon || colon == l)
        return fail(req, 400);
    nlen = (size_t)(colon - l);
    for (i = 0; i < nlen; i++)
        if (!is_tchar((unsigned char)l[i]))
            return fail(req, 400);
    for (i = nlen + 1; i < n; i++) {
        unsigned char c = (unsigned char)l[i];

        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return fail(req, 400);
    }
    if (equal_nocase(l, nlen, "host")) {
        if (req->has_host)
            return fail(req, 400);
        req->has_host = true;
    }
    return HTTP_PARSE_MORE;
}

/* A complete line (without its line end) is in req->line. */
static enum http_parse_result end_of_line(struct http_request *req)
{
    size_t n = req->line_len;

    req->line_len = 0;
    if (!req->in_headers)
        return n ? request_line(req, req->line, n) : HTTP_PARSE_MORE;
    if (n)
        return header_line(req, req->line, n);
    if (req->version_minor >= 1 && !req->has_host)
        return fail(req, 400);
    req->result = HTTP_PARSE_DONE;
    return req->result;
}

enum http_parse_result http_parse_feed(struct http_request *req, const char *data, size_t len,
                                       size_t *used)
{
    size_t i;

    if (used)
        *used = 0;
    if (req->result != HTTP_PARSE_MORE)
        return req->result;
    for (i = 0; i < len; i++) {
        char c = data[i];

        if (++req->total > HTTP_REQUEST_MAX) {
            fail(req, req->in_headers ? 431 : 414);
            break;
        }
        if (c == '\0') {
            fail(req, 400);
            break;
        }
        if (req->cr) {
            req->cr = false;
            if (c != '\n') { /* a CR not followed by LF */
                fail(req, 400);
                break;
            }
            if (end_of_line(req) != HTTP_PARSE_MORE)
                break;
            continue;
        }
        if (c == '\r') {
            req->cr = true;
        } else if (c == '\n') {
            if (end_of_line(req) != HTTP_PARSE_MORE)
                break;
        } else {
            req->line[req->line_len++] = c; /* total <= HTTP_REQUEST_MAX bounds line_len */
        }
    }
    if (used)
        *used = i < len ? i + 1 : len;
    return req->result;
}

const char *http_reason(int status)
{
    static const struct {
        int status;
        const char *reason;
    } reasons[] = {
        {200, "OK"},
        {301, "Moved Permanently"},
        {400, "Bad Request"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {408, "Request Timeout"},
        {414, "URI Too Long"},
        {431, "Request Header Fields Too Large"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {503, "Service Unavailable"},
        {505, "HTTP Version Not Supported"},
    };
    size_t i;

    for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
        if (reasons[i].status == status)
            return reasons[i].reason;
    return "Unknown";
}

/* Append @s (@n bytes) to @dst at *@pos, as far as @size allows; *@pos counts all. */
static void put(char *dst, size_t size, size_t *pos, const char *s, size_t n)
{
    if (*pos < size) {
        size_t room = size - *pos;

        memcpy(dst + *pos, s, n < room ? n : room);
    }
    *pos += n;
}

static size_t terminate(char *dst, size_t size, size_t pos)
{
    if (size)
        dst[pos < size ? pos : size - 1] = '\0';
    return pos;
}

size_t http_html_escape(char *dst, size_t size, const char *src)
{
    size_t pos = 0;

    for (; *src; src++) {
        switch (*src) {
        case '&':
            put(dst, size, &pos, "&amp;", 5);
            break;
        case '<':
            put(dst, size, &pos, "&lt;", 4);
            break;
        case '>':
            put(dst, size, &pos, "&gt;", 4);
            break;
        case '"':
            put(dst, size, &pos, "&quot;", 6);
            break;
        case '\'':
            put(dst, size, &pos, "&#39;", 5);
            break;
        default:
            put(dst, size, &pos, src, 1);
        }
    }
    return terminate(dst, size, pos);
}

size_t http_url_escape(char *dst, size_t size, const char *src, bool keep_slash)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t pos = 0;

    for (; *src; src++) {
        unsigned char c = (unsigned char)*src;

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || (c == '/' && keep_slash)) {
            put(dst, size, &pos, src, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};

            put(dst, size, &pos, e, 3);
        }
    }
    return terminate(dst, size, pos);
}

const char *http_content_type(const char *path)
{
    static const char *const text[] = {"txt", "text", "md",  "c",   "h",   "s", "sh",
                                       "log", "conf", "cfg", "csv", "dts", NULL};
    const char *slash = strrchr(path, '/');
    const char *dot = strrchr(slash ? slash : path, '.');
    size_t i, n;

    if (!dot || !dot[1])
        return "application/octet-stream";
    dot++;
    n = strlen(dot);
    if (equal_nocase(dot, n, "html") || equal_nocase(dot, n, "htm"))
        return "text/html";
    for (i = 0; text[i]; i++)
        if (equal_nocase(dot, n, text[i]))
            return "text/plain";
    return "application/octet-stream";
}
