// loadgen: a single-threaded epoll WebSocket / raw TCP echo load generator for the websock benchmarks.
//
// Why C: on a 2-core machine the generator must cost far less CPU than the server it measures. One thread,
// level-triggered epoll, frames pre-encoded and pre-masked once (a constant mask key: servers must accept any
// key, RFC 6455 §5.3), written from a block of repeated frames so a batch of pipelined messages is one syscall,
// replies parsed in place and never copied. It reports its own CPU time next to the server's so a reader can
// see which side was the limit.
//
// Build: gcc -O2 -o build/bench/loadgen bench/loadgen/loadgen.c -lssl -lcrypto -lz   (scripts/bench.mjs does this)
// Usage: loadgen --url ws://127.0.0.1:PORT/ | wss://… | tcp://127.0.0.1:PORT | tls://…
//          [--conns N] [--inflight K] [--size BYTES] [--text] [--deflate]
//          [--warmup SEC] [--duration SEC] [--pid SERVER_PID] [--idle] [--connect-concurrency C]
// --idle: open N connections, print {"ready":…} on one line, hold them until stdin closes (or --duration),
//         answering pings, then print the result line.
// Output: one JSON object on the last line of stdout.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

enum { ST_CONNECTING, ST_TLS, ST_HTTP_SEND, ST_HTTP_WAIT, ST_OPEN, ST_DEAD };
enum { MODE_WS, MODE_RAW };

typedef struct conn {
  int fd;
  int state;
  int epoll_out; // EPOLLOUT currently requested
  SSL *ssl;
  // handshake
  char hs[4096];
  size_t hs_len, hs_sent;
  // outgoing stream: an endless repetition of `frame`; pend bytes still owed, out_pos offset within a frame
  uint64_t pend;
  size_t out_pos;
  size_t tls_last_len; // OpenSSL: a retried SSL_write must not be shorter than the failed one
  // incoming frame parser (server frames are unmasked)
  uint8_t hdr[14];
  int hdr_have, hdr_need;
  uint64_t pay_left;
  int in_payload;
  int cur_op, cur_fin, cur_ctrl;
  uint8_t ctrl[125];
  int ctrl_len;
  uint64_t msg_len;
  int msg_compressed;
  z_stream *inf;
  // raw mode
  uint64_t raw_acc;
  int again; // queued in again_list: TLS has buffered bytes to read
  // latency FIFO of enqueue times (ns)
  uint64_t *ts;
  uint32_t ts_head, ts_count;
} conn;

// ---- options ----
static const char *opt_url = NULL;
static int opt_conns = 1, opt_inflight = 1, opt_text = 0, opt_deflate = 0, opt_idle = 0, opt_cc = 200;
static uint64_t opt_size = 16;
static double opt_warmup = 0.2, opt_duration = 1.0;
static int opt_pid = 0;

static int mode = MODE_WS, use_tls = 0;
static char host[256] = "127.0.0.1";
static int port = 0;
static char path[512] = "/";
static struct sockaddr_in addr;

static SSL_CTX *ssl_ctx;
static int epfd;
static conn *conns;
static int started = 0, connecting = 0, n_open = 0, n_dead = 0;
static int server_no_ctx = 0; // negotiated server_no_context_takeover
static conn **again_list;     // connections to read again without waiting for epoll
static int again_count = 0;
static char tls_cipher[64] = "";
static int deflate_negotiated_any = 0;

static uint8_t *block;          // frame repeated R times
static size_t frame_len, block_len;
static uint8_t pong_frame[6 + 125];
static uint8_t *rbuf;
#define RBUF_SIZE (256 * 1024)
static uint8_t *zscratch;
#define ZSCRATCH_SIZE (256 * 1024)

// counters
static int measuring = 0, running = 0;
static uint64_t msgs = 0, len_errors = 0, errors = 0, rx_bytes = 0, tx_bytes = 0, pings = 0, closes = 0;
static uint64_t inflated_bytes = 0;
static char last_error[256] = "";

// ---- time ----
static inline uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}
static uint64_t cached_now;

// ---- latency histogram: log-linear, 64 sub-buckets per power of two (~1.5 % resolution) ----
#define HBUCKETS (64 + 64 * 42)
static uint64_t hist[HBUCKETS];
static uint64_t hist_count = 0, hist_max = 0;
static inline int hbucket(uint64_t v) {
  if (v < 64) return (int)v;
  int e = 63 - __builtin_clzll(v);
  uint64_t m = v >> (e - 6); // 64..127
  int i = 64 + (e - 6) * 64 + (int)(m - 64);
  return i < HBUCKETS ? i : HBUCKETS - 1;
}
static double hvalue(int i) {
  if (i < 64) return (double)i;
  int e = (i - 64) / 64 + 6;
  uint64_t m = (uint64_t)((i - 64) % 64) + 64;
  return ((double)m + 0.5) * (double)(1ull << (e - 6));
}
static double hpercentile(double p) {
  if (!hist_count) return 0;
  uint64_t want = (uint64_t)(p * (double)hist_count);
  if (want >= hist_count) want = hist_count - 1;
  uint64_t seen = 0;
  for (int i = 0; i < HBUCKETS; i++) {
    seen += hist[i];
    if (seen > want) return hvalue(i);
  }
  return (double)hist_max;
}

// ---- CPU accounting ----
static double self_user_cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6;
}
static double self_cpu(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return (double)r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + (double)r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}
// utime+stime (clock ticks) of pid and all its descendants: run.mjs-style wrappers spawn the real server as a child.
static uint64_t tree_ticks(int pid, int depth) {
  if (pid <= 0 || depth > 6) return 0;
  char p[64], buf[2048];
  uint64_t total = 0;
  snprintf(p, sizeof p, "/proc/%d/stat", pid);
  FILE *f = fopen(p, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *s = strrchr(buf, ')');
  if (s) {
    unsigned long ut = 0, st = 0;
    // fields after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15)
    if (sscanf(s + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) == 2) total += ut + st;
  }
  snprintf(p, sizeof p, "/proc/%d/task", pid);
  DIR *d = opendir(p);
  if (!d) return total;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char cp[320];
    snprintf(cp, sizeof cp, "/proc/%d/task/%s/children", pid, e->d_name);
    FILE *cf = fopen(cp, "r");
    if (!cf) continue;
    int child;
    while (fscanf(cf, "%d", &child) == 1) total += tree_ticks(child, depth + 1);
    fclose(cf);
  }
  closedir(d);
  return total;
}
// System-wide CPU split over the window (all cores, in core-seconds): on loopback much of the TCP work runs
// in softirq context, which neither process's own CPU time includes.
typedef struct { double user, sys, softirq, idle, steal; } sys_cpu;
static sys_cpu read_sys_cpu(void) {
  sys_cpu r = {0};
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return r;
  unsigned long long u = 0, ni = 0, sy = 0, id = 0, io = 0, irq = 0, sirq = 0, st = 0;
  if (fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &u, &ni, &sy, &id, &io, &irq, &sirq, &st) == 8) {
    double hz = (double)sysconf(_SC_CLK_TCK) * (double)sysconf(_SC_NPROCESSORS_ONLN); // % of the whole machine
    r.user = (double)(u + ni) / hz;
    r.sys = (double)(sy + irq) / hz;
    r.softirq = (double)sirq / hz;
    r.idle = (double)(id + io) / hz;
    r.steal = (double)st / hz;
  }
  fclose(f);
  return r;
}
static double server_cpu(void) {
  if (!opt_pid) return 0;
  return (double)tree_ticks(opt_pid, 0) / (double)sysconf(_SC_CLK_TCK);
}

// ---- helpers ----
static void die(const char *m) {
  fprintf(stderr, "loadgen: %s\n", m);
  exit(2);
}
static void set_error(const char *m) {
  errors++;
  if (!last_error[0]) snprintf(last_error, sizeof last_error, "%s", m);
}
static void ep_mod(conn *c, int want_out) {
  if (c->epoll_out == want_out) return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->epoll_out = want_out;
}
static void conn_kill(conn *c, const char *why) {
  if (c->state == ST_DEAD) return;
  if (c->state != ST_OPEN) connecting--;
  else n_open--;
  if (why) set_error(why);
  c->state = ST_DEAD;
  n_dead++;
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  if (c->ssl) {
    SSL_free(c->ssl);
    c->ssl = NULL;
  }
  close(c->fd);
}

// ---- payload and frames ----
static uint64_t rng = 0x9E3779B97F4A7C15ull;
static inline uint64_t xrand(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}
// Word-like ASCII (valid UTF-8, compresses like prose) for text and deflate; random bytes for binary.
static void make_payload(uint8_t *p, uint64_t n, int wordy) {
  static const char *words[] = {"the ", "socket ", "frame ", "message ", "server ", "client ", "data ", "echo ",
                                "bench ", "deflate ", "window ", "buffer ", "mask ", "close ", "ping ", "pong ",
                                "{\"id\":", "42,", "\"ok\":true}", "\n", "lorem ", "ipsum ", "quick ", "brown "};
  if (!wordy) {
    for (uint64_t i = 0; i < n; i++) p[i] = (uint8_t)(xrand() >> 24);
    return;
  }
  uint64_t i = 0;
  while (i < n) {
    const char *w = words[xrand() % (sizeof words / sizeof *words)];
    for (; *w && i < n; w++) p[i++] = (uint8_t)*w;
  }
}
static size_t encode_header(uint8_t *h, int first_byte, uint64_t len, const uint8_t mask[4]) {
  size_t n = 0;
  h[n++] = (uint8_t)first_byte;
  if (len < 126) h[n++] = 0x80 | (uint8_t)len;
  else if (len < 65536) {
    h[n++] = 0x80 | 126;
    h[n++] = (uint8_t)(len >> 8);
    h[n++] = (uint8_t)len;
  } else {
    h[n++] = 0x80 | 127;
    for (int i = 7; i >= 0; i--) h[n++] = (uint8_t)(len >> (8 * i));
  }
  memcpy(h + n, mask, 4);
  return n + 4;
}
static void build_frames(void) {
  static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
  uint8_t *payload = malloc(opt_size ? opt_size : 1);
  make_payload(payload, opt_size, opt_text || opt_deflate);
  uint8_t *frame;
  if (mode == MODE_RAW) {
    frame = payload;
    frame_len = opt_size;
  } else {
    uint8_t *body = payload;
    uint64_t body_len = opt_size;
    int rsv1 = 0;
    if (opt_deflate) {
      // Compress once with a fresh context (no back-references), so it is valid under any context-takeover mode
      // (RFC 7692 §7.2.1): sync flush, then drop the trailing 00 00 ff ff.
      z_stream z = {0};
      if (deflateInit2(&z, 6, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK) die("deflateInit2");
      uLong cap = deflateBound(&z, opt_size) + 64;
      body = malloc(cap);
      z.next_in = payload;
      z.avail_in = (uInt)opt_size;
      z.next_out = body;
      z.avail_out = (uInt)cap;
      if (deflate(&z, Z_SYNC_FLUSH) != Z_OK) die("deflate");
      body_len = cap - z.avail_out;
      if (body_len >= 4 && body[body_len - 4] == 0 && body[body_len - 3] == 0 && body[body_len - 2] == 0xff &&
          body[body_len - 1] == 0xff)
        body_len -= 4;
      deflateEnd(&z);
      rsv1 = 0x40;
    }
    frame = malloc(body_len + 14);
    size_t h = encode_header(frame, 0x80 | rsv1 | (opt_text ? 1 : 2), body_len, mask);
    for (uint64_t i = 0; i < body_len; i++) frame[h + i] = body[i] ^ mask[i & 3];
    frame_len = h + body_len;
  }
  size_t reps = 1;
  while (reps < (size_t)opt_inflight && reps * frame_len < 64 * 1024) reps++;
  block_len = reps * frame_len;
  block = malloc(block_len);
  for (size_t r = 0; r < reps; r++) memcpy(block + r * frame_len, frame, frame_len);
  size_t ph = encode_header(pong_frame, 0x8A, 0, mask);
  (void)ph;
}

// ---- I/O primitives (plain or TLS); return >0 bytes, 0 would block, -1 error/EOF ----
static ssize_t io_write(conn *c, const uint8_t *p, size_t n) {
  if (!c->ssl) {
    ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
    if (w >= 0) return w;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  }
  // A retried SSL_write must not be shorter than the failed one; it never is, as pend only grows meanwhile.
  int w = SSL_write(c->ssl, p, (int)(n > 0x40000000 ? 0x40000000 : n));
  if (w > 0) {
    c->tls_last_len = 0;
    return w;
  }
  int e = SSL_get_error(c->ssl, w);
  if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
    c->tls_last_len = n;
    return 0;
  }
  return -1;
}
static ssize_t io_read(conn *c, uint8_t *p, size_t n) {
  if (!c->ssl) {
    ssize_t r = recv(c->fd, p, n, 0);
    if (r > 0) return r;
    if (r == 0) return -1;
    return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
  }
  int r = SSL_read(c->ssl, p, (int)n);
  if (r > 0) return r;
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
  return -1;
}

// ---- messages ----
static void enqueue(conn *c, int n) {
  for (int i = 0; i < n; i++) {
    c->ts[(c->ts_head + c->ts_count) % (uint32_t)opt_inflight] = cached_now;
    c->ts_count++;
  }
  c->pend += (uint64_t)n * frame_len;
}
static void flush_out(conn *c) {
  while (c->pend > 0) {
    size_t n = block_len - c->out_pos;
    if (n > c->pend) n = (size_t)c->pend;
    ssize_t w = io_write(c, block + c->out_pos, n);
    if (w < 0) {
      conn_kill(c, "write failed");
      return;
    }
    if (w == 0) {
      ep_mod(c, 1);
      return;
    }
    c->pend -= (uint64_t)w;
    c->out_pos = (c->out_pos + (size_t)w) % frame_len;
    if (measuring) tx_bytes += (uint64_t)w;
  }
  ep_mod(c, 0);
}
static void message_done(conn *c, uint64_t len) {
  if (len != opt_size) {
    len_errors++;
    if (!last_error[0]) snprintf(last_error, sizeof last_error, "echoed length %llu, expected %llu",
                                 (unsigned long long)len, (unsigned long long)opt_size);
  }
  uint64_t sent = 0;
  if (c->ts_count) {
    sent = c->ts[c->ts_head];
    c->ts_head = (c->ts_head + 1) % (uint32_t)opt_inflight;
    c->ts_count--;
  }
  if (measuring) {
    msgs++;
    if (sent) {
      uint64_t lat = cached_now - sent;
      hist[hbucket(lat)]++;
      hist_count++;
      if (lat > hist_max) hist_max = lat;
    }
  }
  if (running) enqueue(c, 1);
}
static void inflate_chunk(conn *c, const uint8_t *p, size_t n) {
  c->inf->next_in = (Bytef *)p;
  c->inf->avail_in = (uInt)n;
  do {
    c->inf->next_out = zscratch;
    c->inf->avail_out = ZSCRATCH_SIZE;
    int r = inflate(c->inf, Z_SYNC_FLUSH);
    if (r != Z_OK && r != Z_BUF_ERROR && r != Z_STREAM_END) {
      set_error("inflate failed");
      return;
    }
    uint64_t out = ZSCRATCH_SIZE - c->inf->avail_out;
    c->msg_len += out;
    inflated_bytes += out;
    if (r == Z_BUF_ERROR && out == 0) break;
  } while (c->inf->avail_out == 0 || c->inf->avail_in > 0);
}
static void frame_end(conn *c) {
  c->in_payload = 0;
  c->hdr_have = 0;
  if (c->cur_ctrl) {
    if (c->cur_op == 0x9) { // ping: answer when nothing else is mid-write (idle mode)
      pings++;
      if (c->pend == 0 && c->out_pos == 0 && c->ctrl_len <= 125) {
        static const uint8_t mask[4] = {0x37, 0xfa, 0x21, 0x3d};
        uint8_t f[6 + 125];
        size_t h = encode_header(f, 0x8A, (uint64_t)c->ctrl_len, mask);
        for (int i = 0; i < c->ctrl_len; i++) f[h + i] = c->ctrl[i] ^ mask[i & 3];
        io_write(c, f, h + (size_t)c->ctrl_len);
      }
    } else if (c->cur_op == 0x8) {
      closes++;
      conn_kill(c, "server sent close");
    }
    return;
  }
  if (!c->cur_fin) return;
  if (c->msg_compressed) {
    static const uint8_t tail[4] = {0, 0, 0xff, 0xff};
    inflate_chunk(c, tail, 4);
    if (server_no_ctx) inflateReset(c->inf);
  }
  message_done(c, c->msg_len);
}
static void feed_ws(conn *c, const uint8_t *p, size_t n) {
  while (n > 0 && c->state == ST_OPEN) {
    if (!c->in_payload) {
      if (c->hdr_have < 2) {
        c->hdr[c->hdr_have++] = *p++;
        n--;
        if (c->hdr_have == 2) {
          int l = c->hdr[1] & 0x7f;
          c->hdr_need = 2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + ((c->hdr[1] & 0x80) ? 4 : 0);
        } else continue;
      } else {
        size_t take = (size_t)(c->hdr_need - c->hdr_have);
        if (take > n) take = n;
        memcpy(c->hdr + c->hdr_have, p, take);
        c->hdr_have += (int)take;
        p += take;
        n -= take;
      }
      if (c->hdr_have < c->hdr_need) continue;
      int op = c->hdr[0] & 0x0f, l = c->hdr[1] & 0x7f;
      uint64_t len = (uint64_t)l;
      if (l == 126) len = ((uint64_t)c->hdr[2] << 8) | c->hdr[3];
      else if (l == 127) {
        len = 0;
        for (int i = 0; i < 8; i++) len = (len << 8) | c->hdr[2 + i];
      }
      c->cur_op = op;
      c->cur_fin = (c->hdr[0] & 0x80) != 0;
      c->cur_ctrl = op >= 8;
      c->ctrl_len = 0;
      if (!c->cur_ctrl && op != 0) { // first frame of a data message
        c->msg_len = 0;
        c->msg_compressed = (c->hdr[0] & 0x40) != 0;
        if (c->msg_compressed && !c->inf) {
          set_error("RSV1 without negotiated deflate");
          c->msg_compressed = 0;
        }
      }
      c->pay_left = len;
      c->in_payload = 1;
      if (len == 0) frame_end(c);
      continue;
    }
    size_t take = c->pay_left < n ? (size_t)c->pay_left : n;
    if (c->cur_ctrl) {
      size_t room = 125 - (size_t)c->ctrl_len;
      size_t k = take < room ? take : room;
      memcpy(c->ctrl + c->ctrl_len, p, k);
      c->ctrl_len += (int)k;
    } else if (c->msg_compressed) {
      inflate_chunk(c, p, take);
    } else {
      c->msg_len += take;
    }
    c->pay_left -= take;
    p += take;
    n -= take;
    if (c->pay_left == 0) frame_end(c);
  }
}
static void feed(conn *c, const uint8_t *p, size_t n) {
  if (measuring) rx_bytes += n;
  if (mode == MODE_RAW) {
    c->raw_acc += n;
    while (c->raw_acc >= opt_size && c->ts_count > 0) {
      c->raw_acc -= opt_size;
      message_done(c, opt_size);
    }
    return;
  }
  feed_ws(c, p, n);
}

// ---- connection setup ----
static void became_open(conn *c) {
  c->state = ST_OPEN;
  connecting--;
  n_open++;
  if (running) {
    enqueue(c, opt_inflight);
    flush_out(c);
  }
}
static void send_request(conn *c) {
  c->hs_len = (size_t)snprintf(c->hs, sizeof c->hs,
                               "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n%s\r\n",
                               path, host, port, opt_deflate ? "Sec-WebSocket-Extensions: permessage-deflate\r\n" : "");
  c->hs_sent = 0;
  c->state = ST_HTTP_SEND;
}
static void after_transport_ready(conn *c) {
  if (mode == MODE_RAW) {
    became_open(c);
    ep_mod(c, c->pend > 0);
    return;
  }
  send_request(c);
}
static int ci_find(const char *hay, const char *needle) {
  return strcasestr(hay, needle) != NULL;
}
static void handle_response(conn *c) {
  // c->hs holds at least a complete head; bytes after it are frame bytes
  char *end = memmem(c->hs, c->hs_len, "\r\n\r\n", 4);
  size_t head_len = (size_t)(end - c->hs) + 4;
  char save = c->hs[head_len - 1];
  c->hs[head_len - 1] = 0;
  if (strncmp(c->hs, "HTTP/1.1 101", 12) != 0) {
    char m[160];
    snprintf(m, sizeof m, "upgrade refused: %.100s", c->hs);
    for (char *q = m; *q; q++)
      if (*q == '\r' || *q == '\n') *q = ' ';
    conn_kill(c, m);
    return;
  }
  int has_deflate = ci_find(c->hs, "permessage-deflate");
  if (has_deflate) {
    deflate_negotiated_any = 1;
    if (ci_find(c->hs, "server_no_context_takeover")) server_no_ctx = 1;
    c->inf = calloc(1, sizeof(z_stream));
    if (inflateInit2(c->inf, -15) != Z_OK) die("inflateInit2");
  } else if (opt_deflate) {
    set_error("server did not accept permessage-deflate");
  }
  c->hs[head_len - 1] = save;
  size_t rest = c->hs_len - head_len;
  became_open(c);
  ep_mod(c, c->pend > 0);
  if (rest) feed(c, (uint8_t *)c->hs + head_len, rest);
}
static void start_conn(int i) {
  conn *c = &conns[i];
  memset(c, 0, sizeof *c);
  c->ts = calloc((size_t)opt_inflight, sizeof(uint64_t));
  c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->fd < 0) {
    c->state = ST_DEAD;
    n_dead++;
    set_error("socket() failed (ulimit -n?)");
    return;
  }
  int one = 1;
  setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  c->state = ST_CONNECTING;
  connecting++;
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  c->epoll_out = 1;
  epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev);
  if (connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0 && errno != EINPROGRESS) conn_kill(c, "connect failed");
}
static void tls_step(conn *c) {
  int r = SSL_do_handshake(c->ssl);
  if (r == 1) {
    if (!tls_cipher[0]) snprintf(tls_cipher, sizeof tls_cipher, "%s", SSL_get_cipher_name(c->ssl));
    after_transport_ready(c);
    return;
  }
  int e = SSL_get_error(c->ssl, r);
  if (e == SSL_ERROR_WANT_READ) ep_mod(c, 0);
  else if (e == SSL_ERROR_WANT_WRITE) ep_mod(c, 1);
  else conn_kill(c, "TLS handshake failed");
}

static void on_event(conn *c, uint32_t ev) {
  if (c->state == ST_DEAD) return;
  if (c->state == ST_CONNECTING) {
    if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t l = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
    if (err) {
      conn_kill(c, "connect refused");
      return;
    }
    if (use_tls) {
      c->ssl = SSL_new(ssl_ctx);
      SSL_set_fd(c->ssl, c->fd);
      SSL_set_tlsext_host_name(c->ssl, "localhost");
      SSL_set_connect_state(c->ssl);
      c->state = ST_TLS;
      tls_step(c);
      if (c->state == ST_TLS || c->state == ST_DEAD) return;
    } else {
      after_transport_ready(c);
    }
    if (c->state != ST_HTTP_SEND) return;
  }
  if (c->state == ST_TLS) {
    tls_step(c);
    if (c->state != ST_HTTP_SEND) return;
  }
  if (c->state == ST_HTTP_SEND) {
    while (c->hs_sent < c->hs_len) {
      ssize_t w = io_write(c, (uint8_t *)c->hs + c->hs_sent, c->hs_len - c->hs_sent);
      if (w < 0) {
        conn_kill(c, "request write failed");
        return;
      }
      if (w == 0) {
        ep_mod(c, 1);
        return;
      }
      c->hs_sent += (size_t)w;
    }
    c->state = ST_HTTP_WAIT;
    c->hs_len = 0;
    ep_mod(c, 0);
    return;
  }
  if (c->state == ST_HTTP_WAIT) {
    if (!(ev & (EPOLLIN | EPOLLERR | EPOLLHUP))) return;
    for (;;) {
      if (c->hs_len >= sizeof c->hs - 1) {
        conn_kill(c, "response head too long");
        return;
      }
      ssize_t r = io_read(c, (uint8_t *)c->hs + c->hs_len, sizeof c->hs - 1 - c->hs_len);
      if (r < 0) {
        conn_kill(c, "closed during handshake");
        return;
      }
      if (r == 0) return;
      c->hs_len += (size_t)r;
      if (memmem(c->hs, c->hs_len, "\r\n\r\n", 4)) {
        handle_response(c);
        return;
      }
    }
  }
  // ST_OPEN
  if (ev & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    // Bounded work per wake-up so one busy connection does not starve the others. TLS reads ahead, so bytes can
    // wait inside OpenSSL with the socket drained: such a connection is queued to be read again without epoll.
    int max_rounds = c->ssl ? 64 : 8;
    for (int round = 0; round < max_rounds && c->state == ST_OPEN; round++) {
      ssize_t r = io_read(c, rbuf, RBUF_SIZE);
      if (r < 0) {
        conn_kill(c, running || opt_idle ? "server closed the connection" : NULL);
        return;
      }
      if (r == 0) break;
      feed(c, rbuf, (size_t)r);
      if (!c->ssl && (size_t)r < RBUF_SIZE) break; // plain socket drained
    }
    if (c->state == ST_OPEN && c->ssl && SSL_has_pending(c->ssl) && !c->again) {
      c->again = 1;
      again_list[again_count++] = c;
    }
  }
  if (c->state == ST_OPEN && (c->pend > 0 || (ev & EPOLLOUT))) flush_out(c);
}

// ---- main ----
static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --url ws://127.0.0.1:PORT/|wss://…|tcp://127.0.0.1:PORT|tls://… [--conns N] [--inflight K]\n"
          "               [--size BYTES] [--text] [--deflate] [--warmup SEC] [--duration SEC] [--pid PID] [--idle]\n");
  exit(2);
}
static void parse_url(void) {
  const char *u = opt_url, *rest;
  if (!strncmp(u, "ws://", 5)) mode = MODE_WS, use_tls = 0, rest = u + 5;
  else if (!strncmp(u, "wss://", 6)) mode = MODE_WS, use_tls = 1, rest = u + 6;
  else if (!strncmp(u, "tcp://", 6)) mode = MODE_RAW, use_tls = 0, rest = u + 6;
  else if (!strncmp(u, "tls://", 6)) mode = MODE_RAW, use_tls = 1, rest = u + 6;
  else die("url must start with ws://, wss://, tcp:// or tls://");
  const char *colon = strchr(rest, ':');
  if (!colon) die("url needs a port");
  size_t hl = (size_t)(colon - rest);
  if (hl >= sizeof host) die("host too long");
  memcpy(host, rest, hl);
  host[hl] = 0;
  port = atoi(colon + 1);
  const char *slash = strchr(colon, '/');
  snprintf(path, sizeof path, "%s", slash ? slash : "/");
  memset(&addr, 0, sizeof addr);
  addr.sin_family = AF_INET;
  addr.sin_port = htons((uint16_t)port);
  const char *ip = strcmp(host, "localhost") == 0 ? "127.0.0.1" : host;
  if (inet_pton(AF_INET, ip, &addr.sin_addr) != 1) die("host must be an IPv4 address or localhost");
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define ARG(name) (!strcmp(a, name) && v && (i++, 1))
    if (ARG("--url")) opt_url = v;
    else if (ARG("--conns")) opt_conns = atoi(v);
    else if (ARG("--inflight")) opt_inflight = atoi(v);
    else if (ARG("--size")) opt_size = strtoull(v, NULL, 10);
    else if (ARG("--warmup")) opt_warmup = atof(v);
    else if (ARG("--duration")) opt_duration = atof(v);
    else if (ARG("--pid")) opt_pid = atoi(v);
    else if (ARG("--connect-concurrency")) opt_cc = atoi(v);
    else if (!strcmp(a, "--text")) opt_text = 1;
    else if (!strcmp(a, "--binary")) opt_text = 0;
    else if (!strcmp(a, "--deflate")) opt_deflate = 1;
    else if (!strcmp(a, "--idle")) opt_idle = 1;
    else usage();
  }
  if (!opt_url || opt_conns < 1 || opt_inflight < 1 || opt_size < 1 || opt_cc < 1) usage();
  parse_url();
  if (mode == MODE_RAW && opt_deflate) die("--deflate needs a ws:// or wss:// url");
  signal(SIGPIPE, SIG_IGN);

  // Room for N sockets: raise the soft fd limit to the hard one.
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    setrlimit(RLIMIT_NOFILE, &rl);
  }
  getrlimit(RLIMIT_NOFILE, &rl);
  if ((rlim_t)opt_conns + 16 > rl.rlim_cur) {
    fprintf(stderr, "loadgen: --conns %d exceeds the fd limit %llu\n", opt_conns, (unsigned long long)rl.rlim_cur);
    return 2;
  }

  if (use_tls) {
    ssl_ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_verify(ssl_ctx, SSL_VERIFY_NONE, NULL); // self-signed benchmark certificates
    SSL_CTX_set_mode(ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ssl_ctx, SSL_SESS_CACHE_OFF);
    // The cheapest common AEAD first (servers honour the client's order by default), and large reads, so that
    // the generator's half of the crypto stays well below the server's.
    SSL_CTX_set_ciphersuites(ssl_ctx, "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256");
    SSL_CTX_set_read_ahead(ssl_ctx, 1);
    SSL_CTX_set_default_read_buffer_len(ssl_ctx, 64 * 1024);
  }
  build_frames();
  rbuf = malloc(RBUF_SIZE);
  zscratch = malloc(ZSCRATCH_SIZE);
  conns = calloc((size_t)opt_conns, sizeof(conn));
  again_list = calloc((size_t)opt_conns, sizeof(conn *));
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (opt_idle) {
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
    epoll_ctl(epfd, EPOLL_CTL_ADD, 0, &ev);
  }

  double cpu0 = self_cpu();
  uint64_t t_start = now_ns();
  cached_now = t_start;
  uint64_t t_open = 0, t_measure = 0, t_end = 0, connect_deadline = t_start + 60ull * 1000000000ull;
  double cpu_m0 = 0, srv_m0 = 0, cpu_m1 = 0, srv_m1 = 0, user_m0 = 0, user_m1 = 0;
  sys_cpu sys0 = {0}, sys1 = {0};
  int stdin_closed = 0, ready_printed = 0;
  struct epoll_event evs[512];

  for (int loops = 0;; loops++) {
    while (started < opt_conns && connecting < opt_cc) start_conn(started++);
    int all_settled = started == opt_conns && connecting == 0;
    cached_now = now_ns();
    if (!t_open) {
      if (all_settled) {
        t_open = cached_now;
        if (n_open == 0) break;
        if (opt_idle) {
          printf("{\"ready\":true,\"open\":%d,\"failed\":%d,\"connect_ms\":%.1f}\n", n_open, n_dead,
                 (double)(t_open - t_start) / 1e6);
          fflush(stdout);
          ready_printed = 1;
          t_end = t_open + (uint64_t)(opt_duration * 1e9);
        } else {
          running = 1;
          for (int i = 0; i < opt_conns; i++)
            if (conns[i].state == ST_OPEN) {
              enqueue(&conns[i], opt_inflight);
              flush_out(&conns[i]);
            }
          t_measure = cached_now + (uint64_t)(opt_warmup * 1e9);
          t_end = t_measure + (uint64_t)(opt_duration * 1e9);
        }
      } else if (cached_now > connect_deadline) {
        set_error("connect phase timed out after 60 s");
        break;
      }
    } else if (!opt_idle) {
      if (!measuring && cached_now >= t_measure) {
        measuring = 1;
        t_measure = cached_now;
        cpu_m0 = self_cpu();
        user_m0 = self_user_cpu();
        srv_m0 = server_cpu();
        sys0 = read_sys_cpu();
      }
      if (cached_now >= t_end) {
        cpu_m1 = self_cpu();
        user_m1 = self_user_cpu();
        srv_m1 = server_cpu();
        sys1 = read_sys_cpu();
        break;
      }
      if (n_open == 0) break;
    } else {
      if (stdin_closed || cached_now >= t_end) break;
    }
    int n = epoll_wait(epfd, evs, 512, again_count ? 0 : 5);
    cached_now = now_ns();
    for (int k = again_count; k > 0; k--) { // connections queued before this wait
      conn *c = again_list[0];
      memmove(again_list, again_list + 1, (size_t)(--again_count) * sizeof(conn *));
      c->again = 0;
      on_event(c, EPOLLIN);
    }
    for (int i = 0; i < n; i++) {
      conn *c = evs[i].data.ptr;
      if (!c) {
        char b[256];
        ssize_t r = read(0, b, sizeof b);
        if (r == 0 || (r < 0 && errno != EAGAIN)) {
          stdin_closed = 1;
          epoll_ctl(epfd, EPOLL_CTL_DEL, 0, NULL);
        }
        continue;
      }
      on_event(c, evs[i].events);
    }
  }
  uint64_t t_done = now_ns();
  double window = measuring ? (double)(t_done - t_measure) / 1e9 : 0;
  double cpu_total = self_cpu() - cpu0;
  double ccpu = measuring ? cpu_m1 - cpu_m0 : 0, scpu = measuring ? srv_m1 - srv_m0 : 0;
  if (!measuring && !opt_idle) {
    // measuring never began (all connections failed)
  }
  printf("{\"mode\":\"%s\",\"tls\":%s,\"url\":\"%s\",\"conns\":%d,\"open\":%d,\"failed\":%d,\"inflight\":%d,"
         "\"size\":%llu,\"text\":%s,\"deflate\":%s,\"deflate_negotiated\":%s,\"idle\":%s,\"ready\":%s,"
         "\"window_s\":%.4f,\"messages\":%llu,\"msgs_per_s\":%.1f,\"mb_per_s\":%.2f,"
         "\"rx_wire_bytes\":%llu,\"tx_wire_bytes\":%llu,\"inflated_bytes\":%llu,"
         "\"p50_us\":%.2f,\"p99_us\":%.2f,\"p999_us\":%.2f,\"max_us\":%.2f,\"latency_samples\":%llu,"
         "\"len_errors\":%llu,\"errors\":%llu,\"pings\":%llu,\"closes\":%llu,"
         "\"client_cpu_s\":%.3f,\"client_user_s\":%.3f,\"server_cpu_s\":%.3f,\"client_cpu_pct\":%.1f,\"server_cpu_pct\":%.1f,"
         "\"sys_user_pct\":%.1f,\"sys_sys_pct\":%.1f,\"sys_softirq_pct\":%.1f,\"sys_idle_pct\":%.1f,"
         "\"sys_steal_pct\":%.1f,\"client_cpu_total_s\":%.3f,\"connect_ms\":%.1f,\"frame_bytes\":%zu,\"tls_cipher\":\"%s\",\"last_error\":\"%s\"}\n",
         mode == MODE_WS ? "ws" : "raw", use_tls ? "true" : "false", opt_url, opt_conns, n_open, n_dead, opt_inflight,
         (unsigned long long)opt_size, opt_text ? "true" : "false", opt_deflate ? "true" : "false",
         deflate_negotiated_any ? "true" : "false", opt_idle ? "true" : "false", ready_printed ? "true" : "false",
         window, (unsigned long long)msgs, window > 0 ? (double)msgs / window : 0,
         window > 0 ? (double)msgs * (double)opt_size / window / 1e6 : 0, (unsigned long long)rx_bytes,
         (unsigned long long)tx_bytes, (unsigned long long)inflated_bytes, hpercentile(0.5) / 1e3,
         hpercentile(0.99) / 1e3, hpercentile(0.999) / 1e3, (double)hist_max / 1e3, (unsigned long long)hist_count,
         (unsigned long long)len_errors, (unsigned long long)errors, (unsigned long long)pings,
         (unsigned long long)closes, ccpu, measuring ? user_m1 - user_m0 : 0, scpu, window > 0 ? 100 * ccpu / window : 0,
         window > 0 ? 100 * scpu / window : 0, window > 0 ? 100 * (sys1.user - sys0.user) / window : 0,
         window > 0 ? 100 * (sys1.sys - sys0.sys) / window : 0, window > 0 ? 100 * (sys1.softirq - sys0.softirq) / window : 0,
         window > 0 ? 100 * (sys1.idle - sys0.idle) / window : 0, window > 0 ? 100 * (sys1.steal - sys0.steal) / window : 0,
         cpu_total, t_open ? (double)(t_open - t_start) / 1e6 : -1, frame_len,
         tls_cipher, last_error);
  fflush(stdout);
  return 0;
}
