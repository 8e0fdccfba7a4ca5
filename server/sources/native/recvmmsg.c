/*
 * A UDP socket read with recvmmsg(2), for the receiver threads (udp-receiver-worker.ts). Node's
 * dgram reads one datagram per libuv callback and makes a Buffer and an rinfo object for each:
 * about 6 us per datagram on the 2-core bench machine, so one core saturates near 155,000/s. Here
 * one call fills a whole batch (up to 64 datagrams per system call) straight into the arrays the
 * batch crosses to the main thread in, and each distinct sender address becomes a string once.
 *
 * The calls block (poll) with a bound: the receiver thread runs nothing else, and between calls
 * its event loop takes the main thread's acknowledgements and the close.
 *
 * open(address, port, ipv6, receiveBufferBytes) -> [handle, boundPort, grantedBufferBytes]; throws
 *   an Error whose .code is the errno name (EADDRINUSE, EACCES, EAFNOSUPPORT...).
 * receive(handle, bytes, ends, from, ports, flushMs, idleMs, addresses) -> n. Fills datagram i into
 *   bytes[ends[i-1]..ends[i]] and its sender as addresses[from[i]]:ports[i] (each distinct address
 *   pushed once onto the given empty array); waits up to idleMs for a first datagram, then at most
 *   flushMs for more, and returns once the arrays are full. A datagram that does not fit in bytes
 *   stays for the next call. 0: nothing came within idleMs (or the socket is closed).
 * close(handle).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define VLEN 64
#define SLOT_BYTES 65536
#define ADDRESS_SLOTS 4096 /* open addressing, a power of two above a batch's 1024 datagrams */

/* A sender's key: IPv4 (plain or v4-mapped) as its 32 bits, IPv6 as 16 bytes, with the family. */
typedef struct { uint8_t family; uint8_t bytes[16]; } AddressKey;

/* The senders of one batch, each made a string once. */
typedef struct {
  AddressKey keys[ADDRESS_SLOTS];
  int32_t index[ADDRESS_SLOTS]; /* -1: empty */
  unsigned count;
} AddressTable;

typedef struct {
  int fd;
  /* Datagrams read from the kernel and not yet handed out: scratch[next .. got). */
  unsigned next, got;
  struct mmsghdr msgs[VLEN];
  struct iovec iov[VLEN];
  struct sockaddr_in6 addrs[VLEN];
  uint8_t *scratch;
  AddressTable table;
} Receiver;

#define CHECK(call) do { if ((call) != napi_ok) { napi_throw_error(env, NULL, "recvmmsg addon: N-API call failed"); return NULL; } } while (0)

static napi_value throw_errno(napi_env env, const char *what, int err) {
  napi_value msg, code, error;
  char text[160];
  const char *name = strerrorname_np(err);
  snprintf(text, sizeof text, "%s: %s", what, strerror(err));
  napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
  napi_create_string_utf8(env, name ? name : "EUNKNOWN", NAPI_AUTO_LENGTH, &code);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  Receiver *r = data;
  if (r->fd >= 0) close(r->fd);
  free(r->scratch);
  free(r);
}

static Receiver *unwrap(napi_env env, napi_value v) {
  void *data = NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == NULL) {
    napi_throw_type_error(env, NULL, "recvmmsg addon: not a receiver handle");
    return NULL;
  }
  return data;
}

static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char address[64];
  size_t len;
  int32_t port, rcvbuf;
  bool ipv6;
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  CHECK(napi_get_value_string_utf8(env, argv[0], address, sizeof address, &len));
  CHECK(napi_get_value_int32(env, argv[1], &port));
  CHECK(napi_get_value_bool(env, argv[2], &ipv6));
  CHECK(napi_get_value_int32(env, argv[3], &rcvbuf));

  int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int off = 0;
  if (ipv6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
  /* Asked for, not insisted on: the kernel caps it at net.core.rmem_max, and the caller reports what it granted. */
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_storage sa;
  socklen_t salen;
  memset(&sa, 0, sizeof sa);
  if (ipv6) {
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&sa;
    s6->sin6_family = AF_INET6;
    s6->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, address, &s6->sin6_addr) != 1) { close(fd); return throw_errno(env, "bind address", EINVAL); }
    salen = sizeof *s6;
  } else {
    struct sockaddr_in *s4 = (struct sockaddr_in *)&sa;
    s4->sin_family = AF_INET;
    s4->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, address, &s4->sin_addr) != 1) { close(fd); return throw_errno(env, "bind address", EINVAL); }
    salen = sizeof *s4;
  }
  if (bind(fd, (struct sockaddr *)&sa, salen) != 0) { int e = errno; close(fd); return throw_errno(env, "bind", e); }
  struct sockaddr_storage bound;
  socklen_t boundlen = sizeof bound;
  getsockname(fd, (struct sockaddr *)&bound, &boundlen);
  int bound_port = ntohs(ipv6 ? ((struct sockaddr_in6 *)&bound)->sin6_port : ((struct sockaddr_in *)&bound)->sin_port);
  int granted = 0;
  socklen_t glen = sizeof granted;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &granted, &glen);

  Receiver *r = calloc(1, sizeof *r);
  uint8_t *scratch = malloc((size_t)VLEN * SLOT_BYTES);
  if (!r || !scratch) { free(r); free(scratch); close(fd); return throw_errno(env, "allocate", ENOMEM); }
  r->fd = fd;
  r->scratch = scratch;
  for (int i = 0; i < VLEN; i++) {
    r->iov[i].iov_base = scratch + (size_t)i * SLOT_BYTES;
    r->iov[i].iov_len = SLOT_BYTES;
    r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
    r->msgs[i].msg_hdr.msg_iovlen = 1;
    r->msgs[i].msg_hdr.msg_name = &r->addrs[i];
  }
  napi_value handle, out, v;
  CHECK(napi_create_external(env, r, finalize, NULL, &handle));
  CHECK(napi_create_array_with_length(env, 3, &out));
  CHECK(napi_set_element(env, out, 0, handle));
  CHECK(napi_create_int32(env, bound_port, &v));
  CHECK(napi_set_element(env, out, 1, v));
  CHECK(napi_create_int32(env, granted, &v));
  CHECK(napi_set_element(env, out, 2, v));
  return out;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void key_of(const struct sockaddr_in6 *sa, AddressKey *k) {
  memset(k, 0, sizeof *k);
  if (sa->sin6_family == AF_INET) {
    k->family = 4;
    memcpy(k->bytes, &((const struct sockaddr_in *)sa)->sin_addr, 4);
  } else if (IN6_IS_ADDR_V4MAPPED(&sa->sin6_addr)) {
    k->family = 4;
    memcpy(k->bytes, &sa->sin6_addr.s6_addr[12], 4);
  } else {
    k->family = 6;
    memcpy(k->bytes, &sa->sin6_addr, 16);
  }
}

static uint16_t port_of(const struct sockaddr_in6 *sa) {
  return ntohs(sa->sin6_family == AF_INET ? ((const struct sockaddr_in *)sa)->sin_port : sa->sin6_port);
}

static uint32_t hash_key(const AddressKey *k) {
  uint32_t h = 2166136261u ^ k->family;
  for (int i = 0; i < (k->family == 4 ? 4 : 16); i++) h = (h ^ k->bytes[i]) * 16777619u;
  return h;
}

static napi_value js_receive(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Receiver *r = unwrap(env, argv[0]);
  if (!r) return NULL;
  void *p;
  size_t byte_cap, ends_cap, from_cap, ports_cap;
  napi_typedarray_type t;
  napi_value ab;
  size_t off;
  CHECK(napi_get_typedarray_info(env, argv[1], &t, &byte_cap, &p, &ab, &off));
  uint8_t *bytes = p;
  CHECK(napi_get_typedarray_info(env, argv[2], &t, &ends_cap, &p, &ab, &off));
  uint32_t *ends = p;
  CHECK(napi_get_typedarray_info(env, argv[3], &t, &from_cap, &p, &ab, &off));
  uint32_t *from = p;
  CHECK(napi_get_typedarray_info(env, argv[4], &t, &ports_cap, &p, &ab, &off));
  uint16_t *ports = p;
  int32_t flush_ms, idle_ms;
  CHECK(napi_get_value_int32(env, argv[5], &flush_ms));
  CHECK(napi_get_value_int32(env, argv[6], &idle_ms));
  size_t max_n = ends_cap < from_cap ? ends_cap : from_cap;
  if (ports_cap < max_n) max_n = ports_cap;

  napi_value addresses = argv[7];
  AddressTable *table = &r->table;
  memset(table->index, 0xff, sizeof table->index);
  table->count = 0;

  size_t n = 0, used = 0;
  int64_t deadline = -1;
  while (n < max_n) {
    if (r->next == r->got) {
      unsigned want = (unsigned)(max_n - n < VLEN ? max_n - n : VLEN);
      for (unsigned i = 0; i < want; i++) r->msgs[i].msg_hdr.msg_namelen = sizeof r->addrs[i];
      int got = recvmmsg(r->fd, r->msgs, want, MSG_DONTWAIT, NULL);
      if (got < 0) {
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) break; /* e.g. ECONNREFUSED bounced back: read on */
        int64_t now = now_ms();
        int wait;
        if (n == 0 && deadline < 0) { deadline = now + idle_ms; }
        wait = (int)(deadline - now);
        if (wait <= 0) break;
        struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
        int ready = poll(&pfd, 1, wait);
        if (ready <= 0) break;
        continue;
      }
      r->next = 0;
      r->got = (unsigned)got;
    }
    struct mmsghdr *m = &r->msgs[r->next];
    size_t len = m->msg_len;
    if (used + len > byte_cap && n > 0) break; /* stays for the next call */
    if (len > byte_cap) len = byte_cap;
    memcpy(bytes + used, r->scratch + (size_t)r->next * SLOT_BYTES, len);
    used += len;
    ends[n] = (uint32_t)used;
    const struct sockaddr_in6 *sa = &r->addrs[r->next];
    ports[n] = port_of(sa);
    AddressKey k;
    key_of(sa, &k);
    uint32_t slot = hash_key(&k) & (ADDRESS_SLOTS - 1);
    while (table->index[slot] >= 0 && memcmp(&table->keys[slot], &k, sizeof k) != 0) slot = (slot + 1) & (ADDRESS_SLOTS - 1);
    if (table->index[slot] < 0) {
      char text[INET6_ADDRSTRLEN];
      inet_ntop(k.family == 4 ? AF_INET : AF_INET6, k.bytes, text, sizeof text);
      napi_value s;
      CHECK(napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &s));
      CHECK(napi_set_element(env, addresses, table->count, s));
      table->keys[slot] = k;
      table->index[slot] = (int32_t)table->count++;
    }
    from[n] = (uint32_t)table->index[slot];
    n++;
    r->next++;
    /* The first datagram starts the flush clock: a batch waits at most flushMs for company. */
    if (n == 1) deadline = now_ms() + flush_ms;
  }
  napi_value out;
  CHECK(napi_create_uint32(env, (uint32_t)n, &out));
  return out;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  CHECK(napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  Receiver *r = unwrap(env, argv[0]);
  if (!r) return NULL;
  if (r->fd >= 0) close(r->fd);
  r->fd = -1;
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
    { "open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL },
    { "receive", NULL, js_receive, NULL, NULL, NULL, napi_default, NULL },
    { "close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL },
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
