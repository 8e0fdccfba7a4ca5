/*
 * The bench's syslog sender: sends COUNT datagrams to 127.0.0.1:PORT at RATE per second, in
 * sendmmsg batches, paced against the clock, and prints {"sent":n,"elapsedMs":t}. Written in C so
 * that the sender costs a fraction of what the receiver under test costs (a Node sender used a
 * third of a core at 100k/s), the way users re-measure with their own blasters.
 *
 * Syslog lines come from POOL_FILE: NUL-separated templates, sent in turn; a 0x01 byte in a
 * template is replaced by the datagram's sequence number (START + k), so every line is distinct.
 * `acdr:CALLS` instead sends AudioCodes debug recordings of CALLS calls, two G.711 streams each
 * (the same datagrams bench/recordings-case.ts writes into its capture).
 *
 * usage: blast PORT COUNT RATE POOL_FILE|acdr:CALLS [START] [BATCH]
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH 256
#define MAX_LINE 2048

/* ACDR v9: 28-byte header, 9-byte media extension (IPv4), RTP header, 160 bytes of G.711. */
#define ACDR_RTP_AT 37
#define ACDR_BYTES (ACDR_RTP_AT + 12 + 160)

static void put32(unsigned char *p, uint32_t v) { p[0] = v >> 24; p[1] = v >> 16; p[2] = v >> 8; p[3] = v; }
static void put16(unsigned char *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }

/* Datagram k of the load: call (k/2) mod calls, receive/transmit by parity, 20 ms frames. */
static int acdr_datagram(unsigned char *b, long k, long calls) {
  memset(b, 0xff, ACDR_BYTES);
  memset(b, 0, ACDR_RTP_AT + 12);
  long call = (k >> 1) % calls;
  int rx = (k & 1) == 0;
  long n = k / (2 * calls);
  b[0] = 9;
  put32(b + 1, (uint32_t)((uint64_t)(n * 20000 + call * 7) & 0xffffffffu));
  put16(b + 5, (uint16_t)k);
  put32(b + 7, 3);
  put32(b + 11, 0xffffffffu);
  b[16] = rx ? 0 : 1;
  b[17] = 1;
  b[18] = 9;
  b[19] = 0xab; b[20] = 0xcd; b[21] = 0xef;
  b[22] = 1;
  uint64_t session = (uint64_t)call + 1;
  for (int i = 0; i < 5; i++) b[23 + i] = (unsigned char)(session >> (8 * (4 - i)));
  b[28] = 198; b[29] = 51; b[30] = (call >> 8) & 0xff; b[31] = call & 0xff;
  put16(b + 32, (uint16_t)(40000 + call % 20000));
  put16(b + 34, (uint16_t)(4000 + call % 20000));
  b[36] = 184;
  b[ACDR_RTP_AT] = 0x80;
  put16(b + ACDR_RTP_AT + 2, (uint16_t)n);
  put32(b + ACDR_RTP_AT + 4, (uint32_t)((uint64_t)n * 160));
  put32(b + ACDR_RTP_AT + 8, (uint32_t)((rx ? 0x10000000u : 0x20000000u) + call));
  return ACDR_BYTES;
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s PORT COUNT RATE POOL_FILE [START] [BATCH]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  long count = atol(argv[2]);
  double rate = atof(argv[3]);
  long start = argc > 5 ? atol(argv[5]) : 0;
  int batch = argc > 6 ? atoi(argv[6]) : 32;
  if (batch < 1 || batch > MAX_BATCH) batch = 32;

  long acdr_calls = strncmp(argv[4], "acdr:", 5) == 0 ? atol(argv[4] + 5) : 0;
  char **tpl = NULL;
  long lines = 0;
  if (!acdr_calls) {
    FILE *f = fopen(argv[4], "rb");
    if (!f) { perror("pool file"); return 2; }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *pool = malloc(size + 1);
    if (!pool || fread(pool, 1, size, f) != (size_t)size) { fprintf(stderr, "cannot read pool file\n"); return 2; }
    pool[size] = 0;
    fclose(f);
    for (long i = 0; i < size; i++) if (pool[i] == 0) lines++;
    if (size > 0 && pool[size - 1] != 0) lines++;
    if (lines == 0) { fprintf(stderr, "empty pool file\n"); return 2; }
    tpl = malloc(lines * sizeof *tpl);
    for (long i = 0, p = 0; i < lines; i++) { tpl[i] = pool + p; p += strlen(pool + p) + 1; }
  }

  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) { perror("socket"); return 1; }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);

  static char buf[MAX_BATCH][MAX_LINE];
  struct mmsghdr msgs[MAX_BATCH];
  struct iovec iov[MAX_BATCH];
  memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < MAX_BATCH; i++) {
    iov[i].iov_base = buf[i];
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
    msgs[i].msg_hdr.msg_name = &to;
    msgs[i].msg_hdr.msg_namelen = sizeof to;
  }

  double t0 = now_s();
  long sent = 0;
  while (sent < count) {
    long due = rate > 0 ? (long)((now_s() - t0) * rate) : count;
    if (due > count) due = count;
    if (sent >= due) {
      // Sleep to the next batch's due time instead of spinning: the receiver needs the cores.
      double wait = (double)batch / rate - (now_s() - t0 - (double)sent / rate);
      if (wait > 0) {
        struct timespec ts = { .tv_sec = 0, .tv_nsec = (long)(wait * 1e9) };
        if (ts.tv_nsec > 999999999) ts.tv_nsec = 999999999;
        nanosleep(&ts, NULL);
      }
      continue;
    }
    int n = (int)((due - sent) < batch ? (due - sent) : batch);
    for (int i = 0; i < n; i++) {
      long seq = start + sent + i;
      if (acdr_calls) { iov[i].iov_len = acdr_datagram((unsigned char *)buf[i], seq, acdr_calls); continue; }
      const char *t = tpl[seq % lines];
      const char *mark = strchr(t, 1);
      int len;
      if (mark) len = snprintf(buf[i], MAX_LINE, "%.*s%ld%s", (int)(mark - t), t, seq, mark + 1);
      else len = snprintf(buf[i], MAX_LINE, "%s", t);
      if (len >= MAX_LINE) len = MAX_LINE - 1;
      iov[i].iov_len = len;
    }
    int done = sendmmsg(fd, msgs, n, 0);
    if (done < 0) { perror("sendmmsg"); return 1; }
    sent += done;
  }
  printf("{\"sent\":%ld,\"elapsedMs\":%ld}\n", sent, (long)((now_s() - t0) * 1000));
  return 0;
}
