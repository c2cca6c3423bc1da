#define _GNU_SOURCE
#include "CLinuxShims.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <netinet/in.h>

const uint32_t civic_EPOLLIN = EPOLLIN;
const uint32_t civic_EPOLLOUT = EPOLLOUT;
const uint32_t civic_EPOLLERR = EPOLLERR;
const uint32_t civic_EPOLLHUP = EPOLLHUP;
const uint32_t civic_EPOLLRDHUP = EPOLLRDHUP;
const uint32_t civic_EPOLLET = EPOLLET;

int civic_epoll_create(void) { return epoll_create1(EPOLL_CLOEXEC); }

static int civic_epoll_ctl(int epfd, int op, int fd, uint32_t events, uint64_t token) {
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    ev.events = events;
    ev.data.u64 = token;
    return epoll_ctl(epfd, op, fd, &ev);
}

int civic_epoll_add(int epfd, int fd, uint32_t events, uint64_t token) {
    return civic_epoll_ctl(epfd, EPOLL_CTL_ADD, fd, events, token);
}

int civic_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token) {
    return civic_epoll_ctl(epfd, EPOLL_CTL_MOD, fd, events, token);
}

int civic_epoll_delete(int epfd, int fd) {
    // A non-NULL event keeps pre-2.6.9 kernels happy (epoll_ctl(2), BUGS).
    struct epoll_event ev;
    memset(&ev, 0, sizeof ev);
    return epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &ev);
}

int civic_epoll_wait(int epfd, uint32_t *events, uint64_t *tokens, int max_events, int timeout_ms) {
    struct epoll_event buffer[256];
    if (max_events > 256) max_events = 256;
    int n = epoll_wait(epfd, buffer, max_events, timeout_ms);
    for (int i = 0; i < n; i++) {
        events[i] = buffer[i].events;
        tokens[i] = buffer[i].data.u64;
    }
    return n;
}

int civic_eventfd_create(void) { return eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC); }

int civic_eventfd_signal(int fd) {
    uint64_t one = 1;
    ssize_t n;
    do { n = write(fd, &one, sizeof one); } while (n < 0 && errno == EINTR);
    return n == sizeof one ? 0 : -1;
}

int civic_eventfd_drain(int fd) {
    uint64_t value;
    ssize_t n;
    do { n = read(fd, &value, sizeof value); } while (n < 0 && errno == EINTR);
    return n == sizeof value ? 0 : -1;
}

int civic_tcp_socket(int nonblocking) {
    int type = SOCK_STREAM | SOCK_CLOEXEC | (nonblocking ? SOCK_NONBLOCK : 0);
    return socket(AF_INET, type, 0);
}

int civic_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len) {
    return accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

ssize_t civic_send(int fd, const void *buf, size_t len) {
    return send(fd, buf, len, MSG_NOSIGNAL);
}

void civic_ignore_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

void civic_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = '\0';
    pthread_setname_np(pthread_self(), truncated);
}

#include <fcntl.h>
int civic_allocate_keep_size(int fd, long long length) {
    return fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)length) == 0 ? 0 : errno;
}

const void *civic_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return memmem(haystack, haystack_length, needle, needle_length);
}
