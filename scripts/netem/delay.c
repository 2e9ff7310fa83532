/*
 * A fixed packet delay for kernels built without sch_netem (this machine's: CONFIG_NET_SCH_NETEM is
 * not set, so `tc qdisc ... netem` answers "Specified qdisc kind is unknown"). scripts/netem.sh
 * sends a tier's outgoing packets to NFQUEUE (iptables, in that tier's namespace); this program
 * holds each one for DELAY_US microseconds and then lets it go, in arrival order, which is what
 * netem's constant delay does. Built by scripts/netem.sh with libnetfilter-queue-dev.
 *
 *   netem-delay QUEUE_NUM DELAY_US
 *
 * Packets are never dropped for lack of room: when the ring is full, or the program is not running,
 * the kernel accepts them at once (a full ring, NFQA_CFG_F_FAIL_OPEN, --queue-bypass).
 */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/netfilter.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>

#define RING (1u << 18)

struct held {
  uint32_t id;
  int64_t due_ns;
};

static struct held ring[RING];
static uint32_t head, tail; /* head: oldest held packet; tail: next free slot */
static int64_t delay_ns;
static uint64_t released, passed_full;

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static int on_packet(struct nfq_q_handle *queue, struct nfgenmsg *msg, struct nfq_data *data, void *unused) {
  (void)msg;
  (void)unused;
  struct nfqnl_msg_packet_hdr *header = nfq_get_msg_packet_hdr(data);
  if (!header) return 0;
  uint32_t id = ntohl(header->packet_id);
  if (tail - head >= RING) {
    passed_full++;
    return nfq_set_verdict(queue, id, NF_ACCEPT, 0, NULL);
  }
  ring[tail % RING] = (struct held){id, now_ns() + delay_ns};
  tail++;
  return 0;
}

static volatile sig_atomic_t stopping;
static void on_signal(int sig) {
  (void)sig;
  stopping = 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s QUEUE_NUM DELAY_US\n", argv[0]);
    return 2;
  }
  uint16_t queue_num = (uint16_t)atoi(argv[1]);
  delay_ns = (int64_t)(atof(argv[2]) * 1000);
  /* The default timer slack (50 us) is a fifth of the delay: wake as close to the due time as the kernel can. */
  prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
  /* Real-time priority, as netem's kernel timer has: on a loaded machine an ordinary process wakes
   * late, and every packet would wait its delay plus the scheduler's. Best effort (needs root). */
  struct sched_param realtime = {.sched_priority = 10};
  if (sched_setscheduler(0, SCHED_FIFO, &realtime) < 0) perror("netem-delay: no real-time priority");
  signal(SIGTERM, on_signal);
  signal(SIGINT, on_signal);

  struct nfq_handle *handle = nfq_open();
  if (!handle) { perror("nfq_open"); return 1; }
  struct nfq_q_handle *queue = nfq_create_queue(handle, queue_num, on_packet, NULL);
  if (!queue) { perror("nfq_create_queue"); return 1; }
  /* Only the verdict is needed, never the payload; GSO packets stay whole. */
  if (nfq_set_mode(queue, NFQNL_COPY_META, 0) < 0) { perror("nfq_set_mode"); return 1; }
  nfq_set_queue_maxlen(queue, RING);
  nfq_set_queue_flags(queue, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO, NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_GSO);
  nfnl_rcvbufsiz(nfq_nfnlh(handle), 16 * 1024 * 1024);
  int fd = nfq_fd(handle);
  char buf[65536] __attribute__((aligned));
  fprintf(stderr, "netem-delay: queue %u, %.0f us\n", queue_num, delay_ns / 1000.0);

  while (!stopping) {
    int64_t now = now_ns();
    while (head != tail && ring[head % RING].due_ns <= now) {
      nfq_set_verdict(queue, ring[head % RING].id, NF_ACCEPT, 0, NULL);
      head++;
      released++;
    }
    struct timespec timeout, *wait = NULL;
    if (head != tail) {
      int64_t left = ring[head % RING].due_ns - now;
      timeout.tv_sec = left / 1000000000;
      timeout.tv_nsec = left % 1000000000;
      wait = &timeout;
    }
    struct pollfd p = {fd, POLLIN, 0};
    int ready = ppoll(&p, 1, wait, NULL);
    if (ready < 0 && errno != EINTR) { perror("ppoll"); break; }
    if (ready > 0) {
      for (;;) {
        ssize_t got = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
        if (got < 0) {
          if (errno == ENOBUFS) { fprintf(stderr, "netem-delay: receive buffer overrun\n"); continue; }
          break;
        }
        nfq_handle_packet(handle, buf, (int)got);
      }
    }
  }
  /* Let whatever is still held go before leaving. */
  while (head != tail) nfq_set_verdict(queue, ring[head++ % RING].id, NF_ACCEPT, 0, NULL);
  fprintf(stderr, "netem-delay: %llu packets delayed, %llu passed undelayed (ring full)\n", (unsigned long long)released, (unsigned long long)passed_full);
  nfq_destroy_queue(queue);
  nfq_close(handle);
  return 0;
}
