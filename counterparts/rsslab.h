/*
 * rsslab counterpart protocol, version 1 — the C/C++ side.
 *
 * A real counterpart (the program a replay stands for) is run by rsslab's runner like a replay's
 * child: same knobs, cgroup, allocator preload and env, sampled from the parent. It only tells the
 * parent where it is; every measurement happens outside it (the observer stays outside).
 *
 *   fd 3  program -> parent, one ASCII line per message ('\n' terminated, tokens split by one space):
 *           mark <seq> <phase-id> <label...>     a phase boundary; then wait for "ack <seq>" on stdin
 *           tag <seq> <name> 0x<address> <bytes> measure this mapping on its own; wait for the ack
 *           untag <seq> <name>                   stop measuring it; wait for the ack
 *           report <key>=<int|null> ...          numbers about the program's own state (bytes), no ack
 *           log <text...>                        free text, no ack
 *           done                                 the program finished its work and is about to exit 0
 *   stdin parent -> program: "ack <seq>\n" once the parent sampled the boundary.
 *   seq starts at 1 and grows by one per mark/tag/untag.
 *
 * Phase ids are the replay's own, so marks, expectations (rss@end:idle) and reports line up.
 * When fd 3 is not open (the program run by hand), messages go to stderr and nothing waits.
 */
#ifndef RSSLAB_COUNTERPART_H
#define RSSLAB_COUNTERPART_H

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int rsslab_fd_ = -2; /* -2: not yet probed; -1: no parent (stderr) */
static unsigned long rsslab_seq_ = 0;

static int rsslab_out_fd(void) {
  if (rsslab_fd_ == -2) rsslab_fd_ = fcntl(3, F_GETFD) == -1 ? -1 : 3;
  return rsslab_fd_;
}

static void rsslab_write_line(const char *line) {
  int fd = rsslab_out_fd();
  if (fd < 0) fd = 2;
  size_t left = strlen(line);
  while (left > 0) {
    ssize_t n = write(fd, line, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return; /* parent gone: nothing to tell */
    }
    line += n;
    left -= (size_t)n;
  }
}

/* Blocks until the parent acks `seq` on stdin (a parent that vanished ends the wait: EOF). */
static void rsslab_wait_ack(unsigned long seq) {
  if (rsslab_out_fd() < 0) return;
  char buf[64];
  size_t used = 0;
  for (;;) {
    ssize_t n = read(0, buf + used, 1);
    if (n == 0) return;
    if (n < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (buf[used] == '\n') {
      buf[used] = '\0';
      unsigned long got = 0;
      if (sscanf(buf, "ack %lu", &got) == 1 && got == seq) return;
      used = 0;
      continue;
    }
    if (used + 1 < sizeof buf) used++;
  }
}

static void rsslab_mark(const char *phase, const char *label) {
  char line[512];
  unsigned long seq = ++rsslab_seq_;
  snprintf(line, sizeof line, "mark %lu %s %s\n", seq, phase, label ? label : phase);
  rsslab_write_line(line);
  rsslab_wait_ack(seq);
}

static void rsslab_tag(const char *name, const void *address, size_t bytes) {
  char line[256];
  unsigned long seq = ++rsslab_seq_;
  snprintf(line, sizeof line, "tag %lu %s 0x%" PRIxPTR " %zu\n", seq, name, (uintptr_t)address, bytes);
  rsslab_write_line(line);
  rsslab_wait_ack(seq);
}

static void rsslab_untag(const char *name) {
  char line[256];
  unsigned long seq = ++rsslab_seq_;
  snprintf(line, sizeof line, "untag %lu %s\n", seq, name);
  rsslab_write_line(line);
  rsslab_wait_ack(seq);
}

/* One number; a negative value is sent as null (unknown). */
static void rsslab_report(const char *key, long long value) {
  char line[256];
  if (value < 0) snprintf(line, sizeof line, "report %s=null\n", key);
  else snprintf(line, sizeof line, "report %s=%lld\n", key, value);
  rsslab_write_line(line);
}

static void rsslab_log(const char *fmt, ...) {
  char line[1024] = "log ";
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line + 4, sizeof line - 5, fmt, ap);
  va_end(ap);
  for (char *p = line; *p; p++) if (*p == '\n') *p = ' ';
  strcat(line, "\n");
  rsslab_write_line(line);
}

static void rsslab_done(void) { rsslab_write_line("done\n"); }

#endif
