/*
 * The guest's HTTP/1.0 server (API and responses in pvguest/httpd.h): lwIP's raw TCP API
 * (lwIP 2.1.3 src/include/lwip/tcp.h; doc/rawapi.txt) and the ext2 reader (pvguest/ext2.h).
 *
 * Threads. lwIP runs in whichever thread hands it a frame or a timer (net.h): the netfront
 * or e1000 thread delivers frames through net_input(), the "lwip" thread runs the timers,
 * so the TCP callbacks below run in those threads. Reading the filesystem may block (ext2
 * over blkfront sleeps until the backend answers), and blocking there would stall every
 * frame and timer of the stack. So the callbacks only record state and never block: accept
 * allocates the connection, recv feeds the request parser (pure computation), sent and poll
 * note progress; when there is something to do for the server, they set a flag and wake the
 * "httpd" thread (a wait queue). That thread does everything that can block -- path lookups,
 * stat, directory listings, file reads -- and all the writing: it builds the response, then
 * streams it with tcp_write(TCP_WRITE_FLAG_COPY) as far as tcp_sndbuf() and the segment
 * queue allow, refilling a per-connection buffer with ext2_read() between writes, and
 * continues when tcp_sent reports acknowledged data.
 *
 * Threads are cooperative, so lwIP needs no lock as long as nothing blocks inside an lwIP
 * call: the httpd thread blocks only between lwIP calls (ext2 reads, the wait queue), never
 * in one. While it is blocked, lwIP may run a callback that ends the connection (tcp_err:
 * reset; poll: idle timeout); the callback then clears conn->pcb and marks it dead, and the
 * thread checks conn->pcb after every call that may block before touching lwIP again. Only
 * the thread frees connections (at the end of a pass, when it holds no reference), so a
 * callback never frees memory the thread is using.
 *
 * Closing: callbacks are detached before tcp_close() (lwIP may free the pcb inside it) and
 * put back if it fails for lack of memory; the thread retries at the next wake-up (poll
 * wakes it every second). Every received byte is acknowledged to lwIP with tcp_recved(), so
 * tcp_close() ends with a FIN after the queued response, not with a reset.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <xen/errno.h>

#include <lwip/sys.h>
#include <lwip/tcp.h>

#include <pvguest/ext2.h>
#include <pvguest/http_parse.h>
#include <pvguest/httpd.h>
#include <pvguest/sched.h>

/* File data read per ext2_read(); more than TCP_SND_BUF, so a read fills the send buffer. */
#define HTTPD_CHUNK 16384
/* tcp_poll() interval in TCP coarse-timer ticks (500 ms each): every second. */
#define HTTPD_POLL_TICKS 2

struct httpd_stats httpd_stats;

enum conn_state {
    CONN_READING, /* collecting the request (recv callback) */
    CONN_PARSED,  /* request complete or refused: the thread answers */
    CONN_SENDING, /* the thread streams the response */
    CONN_CLOSING, /* all of it queued: the thread closes once tcp_close() succeeds */
    CONN_DEAD,    /* the pcb is gone or closed: the thread frees the connection */
};

/* One client connection. */
struct conn {
    struct conn *next;
    struct tcp_pcb *pcb; /* NULL once lwIP freed it or it was closed */
    enum conn_state state;
    u32_t last_ms;   /* sys_now() of the last progress, for the idle timeout */
    bool head;       /* HEAD: no body */
    bool out_static; /* `out` is a string constant, not malloc'ed */
    char *out;       /* the header and any in-memory body (error text, listing) */
    size_t out_len, out_off;
    uint32_t ino;                 /* a file body: its inode, */
    uint64_t file_off, file_size; /* the next offset to read and the size */
    char *buf;                    /* file data read, not yet written: buf[buf_off..buf_len) */
    size_t buf_len, buf_off;
    struct http_request req;
};

static struct {
    struct ext2_fs *fs;
    struct tcp_pcb *listen;
    struct conn *conns;
    struct wait_queue wq;
    bool kick;
} httpd;

/* The answer when there is no memory for a better one. */
static const char response_503[] = "HTTP/1.0 503 Service Unavailable\r\n"
                                   "Server: mica-pvguest\r\n"
                                   "Content-Type: text/plain\r\n"
                                   "Content-Length: 24\r\n"
                                   "Connection: close\r\n"
                                   "\r\n"
                                   "503 Service Unavailable\n";

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err);
static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len);
static void on_err(void *arg, err_t err);
static err_t on_poll(void *arg, struct tcp_pcb *pcb);

static void kick(void)
{
    httpd.kick = true;
    wake_up(&httpd.wq);
}

/* Attach @c's callbacks to @pcb, or detach them all (@c NULL). */
static void set_callbacks(struct tcp_pcb *pcb, struct conn *c)
{
    tcp_arg(pcb, c);
    tcp_recv(pcb, c ? on_recv : NULL);
    tcp_sent(pcb, c ? on_sent : NULL);
    tcp_err(pcb, c ? on_err : NULL);
    tcp_poll(pcb, c ? on_poll : NULL, HTTPD_POLL_TICKS);
}

/* The pcb is no longer ours: the thread frees the connection. */
static void conn_gone(struct conn *c)
{
    c->pcb = NULL;
    c->state = CONN_DEAD;
    kick();
}

/* Close gracefully (the queued response goes out first). False if lwIP had no memory for
   it: the connection stays as it was, to be tried again. */
static bool conn_close(struct conn *c)
{
    struct tcp_pcb *pcb = c->pcb;

    set_callbacks(pcb, NULL);
    if (tcp_close(pcb) != ERR_OK) {
        set_callbacks(pcb, c);
        return false;
    }
    conn_gone(c);
    return true;
}

/* Reset the connection. A callback that calls this must return ERR_ABRT. */
static void conn_abort(struct conn *c)
{
    struct tcp_pcb *pcb = c->pcb;

    set_callbacks(pcb, NULL);
    tcp_abort(pcb);
    conn_gone(c);
}

/* --- lwIP callbacks (never block) --- */

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err)
{
    struct conn *c;

    (void)arg;
    if (err != ERR_OK || !pcb)
        return ERR_VAL;
    c = calloc(1, sizeof(*c));
    if (!c)
        return ERR_MEM; /* lwIP aborts the connection */
    http_parse_init(&c->req);
    c->pcb = pcb;
    c->state = CONN_READING;
    c->last_ms = sys_now();
    c->next = httpd.conns;
    httpd.conns = c;
    tcp_nagle_disable(pcb);
    set_callbacks(pcb, c);
    httpd_stats.connections++;
    httpd_stats.active++;
    return ERR_OK;
}

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err)
{
    struct conn *c = arg;

    if (!p) {
        /* The client closed its side. Without a complete request there is nothing to
           answer; otherwise the response still goes out (a half-close). */
        if (c->state == CONN_READING && !conn_close(c)) {
            conn_abort(c);
            return ERR_ABRT;
        }
        return ERR_OK;
    }
    if (err == ERR_OK && c->state == CONN_READING) {
        enum http_parse_result r = HTTP_PARSE_MORE;

        for (struct pbuf *q = p; q && r == HTTP_PARSE_MORE; q = q->next)
            r = http_parse_feed(&c->req, q->payload, q->len, NULL);
        if (r != HTTP_PARSE_MORE) {
            httpd_stats.requests++;
            c->state = CONN_PARSED;
            kick();
        }
    }
    /* Bytes after the request (a body, pipelined requests) are read and dropped. */
    c->last_ms = sys_now();
    tcp_recved(pcb, p->tot_len);
    pbuf_free(p);
    return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len)
{
    struct conn *c = arg;

    (void)pcb;
    (void)len;
    c->last_ms = sys_now();
    if (c->state == CONN_SENDING || c->state == CONN_CLOSING)
        kick();
    return ERR_OK;
}

/* The pcb was freed by lwIP (a reset, or memory lost): only forget it. */
static void on_err(void *arg, err_t err)
{
    struct conn *c = arg;

    (void)err;
    if (!c)
        return;
    httpd_stats.aborted++;
    conn_gone(c);
}

static err_t on_poll(void *arg, struct tcp_pcb *pcb)
{
    struct conn *c = arg;

    (void)pcb;
    /* A request waiting for the thread is not the client's delay. */
    if (c->state != CONN_PARSED && (u32_t)(sys_now() - c->last_ms) > HTTPD_IDLE_MS) {
        httpd_stats.timeouts++;
        conn_abort(c);
        return ERR_ABRT;
    }
    if (c->state == CONN_SENDING || c->state == CONN_CLOSING)
        kick(); /* a write that found no memory is tried again */
    return ERR_OK;
}

/* --- building responses (the httpd thread) --- */

/* A growing text buffer; `failed` once an allocation failed. */
struct text {
    char *s;
    size_t len, cap;
    bool failed;
};

/* Room for @n more bytes (and a NUL). */
static bool text_reserve(struct text *t, size_t n)
{
    size_t cap = t->cap ? t->cap : 1024;
    char *s;

    if (t->failed)
        return false;
    if (t->len + n + 1 <= t->cap)
        return true;
    while (cap < t->len + n + 1)
        cap *= 2;
    s = realloc(t->s, cap);
    if (!s) {
        t->failed = true;
        return false;
    }
    t->s = s;
    t->cap = cap;
    return true;
}

static void text_printf(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void text_printf(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !text_reserve(t, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    t->len += (size_t)n;
}

/* Append @s HTML-escaped. */
static void text_html(struct text *t, const char *s)
{
    size_t n = http_html_escape(NULL, 0, s);

    if (text_reserve(t, n))
        t->len += http_html_escape(t->s + t->len, n + 1, s);
}

/* Append @s percent-encoded ('/' kept if @keep_slash). */
static void text_url(struct text *t, const char *s, bool keep_slash)
{
    size_t n = http_url_escape(NULL, 0, s, keep_slash);

    if (text_reserve(t, n))
        t->len += http_url_escape(t->s + t->len, n + 1, s, keep_slash);
}

static void count_status(int status)
{
    if (status < 300)
        httpd_stats.responses_2xx++;
    else if (status < 400)
        httpd_stats.responses_3xx++;
    else if (status < 500)
        httpd_stats.responses_4xx++;
    else
        httpd_stats.responses_5xx++;
}

/*
 * Make @c's response: the status line and header fields (RFC 1945 sections 6 and 10), then
 * @body (@body_len bytes, may be NULL) unless the request was HEAD. A file body follows
 * from c->buf and the file; @length is the Content-Length. @location, if not NULL, is the
 * decoded path of a redirect.
 */
static void respond(struct conn *c, int status, const char *type, uint64_t length,
                    const char *location, const char *body, size_t body_len)
{
    struct text t = {0};

    text_printf(&t,
                "HTTP/1.0 %d %s\r\nServer: mica-pvguest\r\nContent-Type: %s\r\n"
                "Content-Length: %llu\r\n",
                status, http_reason(status), type, (unsigned long long)length);
    if (location) {
        text_printf(&t, "Location: ");
        text_url(&t, location, true);
        text_printf(&t, "\r\n");
    }
    text_printf(&t, "Connection: close\r\n\r\n");
    if (body && !c->head && text_reserve(&t, body_len)) {
        memcpy(t.s + t.len, body, body_len);
        t.len += body_len;
    }
    if (t.failed) {
        free(t.s);
        free(c->buf);
        c->buf = NULL;
        c->buf_len = c->buf_off = 0;
        c->file_size = c->file_off = 0;
        c->out = (char *)response_503;
        c->out_len = sizeof(response_503) - 1;
        c->out_static = true;
        count_status(503);
        return;
    }
    c->out = t.s;
    c->out_len = t.len;
    count_status(status);
}

/* An error or redirect with a short text/plain body: "404 Not Found\n"; @detail, if not
   NULL, is added after a colon. */
static void respond_text(struct conn *c, int status, const char *detail, const char *location)
{
    char body[160];
    int n;

    if (location)
        n = snprintf(body, sizeof(body), "%d %s\n", status, http_reason(status));
    else
        n = snprintf(body, sizeof(body), "%d %s%s%s\n", status, http_reason(status),
                     detail ? ": " : "", detail ? detail : "");
    if (n < 0 || (size_t)n >= sizeof(body))
        n = (int)strlen(body);
    respond(c, status, "text/plain", (uint64_t)n, location, body, (size_t)n);
}

/* The status for an error of ext2_lookup() or ext2_stat(). */
static int lookup_status(int err)
{
    switch (-err) {
    case ENOENT:
    case ENOTDIR:
    case ELOOP:
    case ENAMETOOLONG:
        return 404;
    case EINVAL:
        return 400;
    case ENOMEM:
        return 503;
    default: /* EIO, EUCLEAN, ENOTSUP */
        return 500;
    }
}

/* A directory's entries, collected by ext2_readdir() before anything else reads the
   filesystem (the listing then stats each one). */
struct entry {
    char *name;
    uint32_t ino;
};

struct entries {
    struct entry *v;
    size_t n, cap;
    bool root;
};

static int collect(void *arg, const struct ext2_dirent *de)
{
    struct entries *es = arg;

    if (strcmp(de->name, ".") == 0 || (es->root && strcmp(de->name, "..") == 0))
        return 0;
    if (es->n == es->cap) {
        size_t cap = es->cap ? 2 * es->cap : 32;
        struct entry *v = realloc(es->v, cap * sizeof(*v));

        if (!v)
            return -ENOMEM;
        es->v = v;
        es->cap = cap;
    }
    es->v[es->n].name = strdup(de->name);
    if (!es->v[es->n].name)
        return -ENOMEM;
    es->v[es->n++].ino = de->ino;
    return 0;
}

/* By name, ".." first. */
static int entry_cmp(const void *a, const void *b)
{
    const char *x = ((const struct entry *)a)->name, *y = ((const struct entry *)b)->name;

    if (strcmp(x, "..") == 0)
        return -1;
    if (strcmp(y, "..") == 0)
        return 1;
    return strcmp(x, y);
}

/* 200 with an HTML listing of directory @ino, whose path (ending in '/') is @path. */
static void respond_listing(struct conn *c, uint32_t ino, const char *path)
{
    struct entries es = {.root = strcmp(path, "/") == 0};
    struct text t = {0};
    size_t i;
    int rc;

    rc = ext2_readdir(httpd.fs, ino, collect, &es);
    if (rc == 0 && es.n > 1)
        qsort(es.v, es.n, sizeof(es.v[0]), entry_cmp);
    if (rc == 0 && c->pcb) {
        text_printf(&t, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>Index of ");
        text_html(&t, path);
        text_printf(&t, "</title></head>\n<body>\n<h1>Index of ");
        text_html(&t, path);
        text_printf(&t, "</h1>\n<table>\n<tr><th>Name</th><th>Size</th></tr>\n");
        for (i = 0; i < es.n && c->pcb; i++) {
            struct ext2_stat st;
            bool dir;

            /* May block: the connection can go meanwhile (checked by the loop). */
            if (ext2_stat(httpd.fs, es.v[i].ino, &st) < 0)
                memset(&st, 0, sizeof(st));
            dir = S_ISDIR(st.mode);
            text_printf(&t, "<tr><td><a href=\"");
            text_url(&t, es.v[i].name, false);
            text_printf(&t, "%s\">", dir ? "/" : "");
            text_html(&t, es.v[i].name);
            text_printf(&t, "%s</a></td><td>", dir ? "/" : "");
            if (dir)
                text_printf(&t, "-");
            else
                text_printf(&t, "%llu", (unsigned long long)st.size);
            text_printf(&t, "</td></tr>\n");
        }
        text_printf(&t, "</table>\n</body></html>\n");
    }
    for (i = 0; i < es.n; i++)
        free(es.v[i].name);
    free(es.v);
    if (!c->pcb) {
        free(t.s);
        return;
    }
    if (rc < 0)
        respond_text(c, lookup_status(rc), ext2_strerror(rc), NULL);
    else if (t.failed)
        respond_text(c, 503, NULL, NULL);
    else
        respond(c, 200, "text/html", t.len, NULL, t.s, t.len);
    free(t.s);
}

/* 200 for regular file @ino of @st: the header and the first chunk of the body, read now so
   that a failing disk still gets a 500. */
static void respond_file(struct conn *c, uint32_t ino, const struct ext2_stat *st, const char *path)
{
    c->ino = ino;
    c->file_size = st->size;
    if (!c->head && st->size) {
        size_t want = st->size < HTTPD_CHUNK ? (size_t)st->size : HTTPD_CHUNK;
        ssize_t n;

        c->buf = malloc(HTTPD_CHUNK);
        if (!c->buf) {
            c->file_size = 0;
            respond_text(c, 503, NULL, NULL);
            return;
        }
        n = ext2_read(httpd.fs, ino, 0, c->buf, want);
        if (!c->pcb)
            return;
        if (n <= 0) {
            free(c->buf);
            c->buf = NULL;
            c->file_size = 0;
            respond_text(c, 500, n < 0 ? ext2_strerror((int)n) : "short read", NULL);
            return;
        }
        c->buf_len = (size_t)n;
        c->file_off = (uint64_t)n;
    }
    respond(c, 200, http_content_type(path), st->size, NULL, NULL, 0);
}

/* Answer the parsed request of @c (may block; c->pcb may be NULL afterwards). */
static void answer(struct conn *c)
{
    const struct http_request *r = &c->req;
    struct ext2_stat st;
    uint32_t ino;
    size_t len;
    int rc;

    c->head = r->method == HTTP_METHOD_HEAD;
    if (r->result == HTTP_PARSE_ERROR) {
        respond_text(c, r->status, NULL, NULL);
        return;
    }
    rc = ext2_lookup(httpd.fs, r->path, true, &ino);
    if (rc == 0)
        rc = ext2_stat(httpd.fs, ino, &st);
    if (!c->pcb)
        return;
    if (rc < 0) {
        int status = lookup_status(rc);

        respond_text(c, status, status >= 500 ? ext2_strerror(rc) : NULL, NULL);
        return;
    }
    len = strlen(r->path);
    if (S_ISDIR(st.mode)) {
        if (r->path[len - 1] != '/') {
            char *to = malloc(len + 2);

            if (!to) {
                respond_text(c, 503, NULL, NULL);
                return;
            }
            memcpy(to, r->path, len);
            memcpy(to + len, "/", 2);
            respond_text(c, 301, NULL, to);
            free(to);
            return;
        }
        respond_listing(c, ino, r->path);
        return;
    }
    if (!S_ISREG(st.mode)) {
        respond_text(c, 403, NULL, NULL);
        return;
    }
    respond_file(c, ino, &st, r->path);
}

/* --- streaming (the httpd thread) --- */

/* Write what the send buffer takes; read the file on when the buffer runs dry. */
static void pump(struct conn *c)
{
    while (c->pcb) {
        struct tcp_pcb *pcb = c->pcb;
        const char *src;
        size_t avail, n;
        err_t err;

        if (c->out_off < c->out_len) {
            src = c->out + c->out_off;
            avail = c->out_len - c->out_off;
        } else if (c->buf_off < c->buf_len) {
            src = c->buf + c->buf_off;
            avail = c->buf_len - c->buf_off;
        } else if (!c->head && c->file_off < c->file_size) {
            uint64_t left = c->file_size - c->file_off;
            ssize_t got;

            tcp_output(pcb); /* keep the wire busy while the disk works */
            got = ext2_read(httpd.fs, c->ino, c->file_off, c->buf,
                            left < HTTPD_CHUNK ? (size_t)left : HTTPD_CHUNK);
            if (!c->pcb)
                return;
            if (got <= 0) {
                /* The header is out: all that is left is to cut the body short. */
                printf("pvguest: httpd: %s: read at %llu: %s\n", c->req.path,
                       (unsigned long long)c->file_off,
                       got < 0 ? ext2_strerror((int)got) : "unexpected end of file");
                conn_abort(c);
                return;
            }
            c->buf_off = 0;
            c->buf_len = (size_t)got;
            c->file_off += (uint64_t)got;
            continue;
        } else {
            tcp_output(pcb);
            c->state = CONN_CLOSING;
            return;
        }
        n = tcp_sndbuf(pcb);
        if (n == 0 || tcp_sndqueuelen(pcb) + 2 > TCP_SND_QUEUELEN)
            break; /* on_sent continues */
        if (n > avail)
            n = avail;
        err = tcp_write(pcb, src, (u16_t)n, TCP_WRITE_FLAG_COPY);
        if (err == ERR_MEM)
            break; /* no memory now: on_sent or on_poll continues */
        if (err != ERR_OK) {
            conn_abort(c);
            return;
        }
        if (c->out_off < c->out_len)
            c->out_off += n;
        else
            c->buf_off += n;
        httpd_stats.bytes_sent += n;
        c->last_ms = sys_now();
    }
    if (c->pcb)
        tcp_output(c->pcb);
}

static void conn_free(struct conn *c)
{
    if (!c->out_static)
        free(c->out);
    free(c->buf);
    free(c);
    httpd_stats.active--;
}

static void httpd_thread(void *arg)
{
    (void)arg;
    for (;;) {
        struct conn **pp;

        wait_event(httpd.wq, httpd.kick);
        httpd.kick = false;
        for (struct conn *c = httpd.conns; c; c = c->next) {
            if (c->state == CONN_PARSED) {
                answer(c);
                if (c->pcb)
                    c->state = CONN_SENDING;
            }
            if (c->state == CONN_SENDING)
                pump(c);
            if (c->state == CONN_CLOSING)
                conn_close(c);
        }
        /* Nothing blocks from here on: no callback runs while the dead are freed. */
        for (pp = &httpd.conns; *pp;) {
            struct conn *c = *pp;

            if (c->state == CONN_DEAD) {
                *pp = c->next;
                conn_free(c);
            } else {
                pp = &c->next;
            }
        }
    }
}

long httpd_start(struct ext2_fs *fs, uint16_t port)
{
    struct tcp_pcb *pcb;

    if (httpd.listen)
        return -XEN_EBUSY;
    pcb = tcp_new();
    if (!pcb)
        return -XEN_ENOMEM;
    if (tcp_bind(pcb, IP4_ADDR_ANY, port) != ERR_OK) {
        tcp_close(pcb);
        return -XEN_EADDRINUSE;
    }
    httpd.listen = tcp_listen(pcb);
    if (!httpd.listen) {
        tcp_close(pcb);
        return -XEN_ENOMEM;
    }
    httpd.fs = fs;
    wait_queue_init(&httpd.wq);
    if (!thread_create("httpd", httpd_thread, NULL, 32768)) {
        tcp_close(httpd.listen);
        httpd.listen = NULL;
        return -XEN_ENOMEM;
    }
    tcp_accept(httpd.listen, on_accept);
    return 0;
}
