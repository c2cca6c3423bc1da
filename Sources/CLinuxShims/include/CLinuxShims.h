// Linux calls that Swift's Glibc module does not export (epoll, eventfd) or hides behind
// _GNU_SOURCE (accept4, pthread_setname_np). _GNU_SOURCE is defined only in shims.c, never here,
// so that importing this header does not change how Glibc is seen by Swift.
#ifndef CLINUXSHIMS_H
#define CLINUXSHIMS_H

#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>

// Event bits, re-exported as plain constants (the <sys/epoll.h> enum imports awkwardly).
extern const uint32_t civic_EPOLLIN;
extern const uint32_t civic_EPOLLOUT;
extern const uint32_t civic_EPOLLERR;
extern const uint32_t civic_EPOLLHUP;
extern const uint32_t civic_EPOLLRDHUP;
extern const uint32_t civic_EPOLLET;

/// memmem(3), a GNU extension: the first occurrence of `needle` in `haystack`, or NULL.
const void *civic_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/// epoll_create1(EPOLL_CLOEXEC). Returns the fd or -1 (errno set).
int civic_epoll_create(void);

/// Allocates blocks for the first `length` bytes of a file without changing its size; 0 or an errno.
int civic_allocate_keep_size(int fd, long long length);

/// epoll_ctl ADD/MOD with `token` stored in event.data.u64. Returns 0 or -1 (errno set).
int civic_epoll_add(int epfd, int fd, uint32_t events, uint64_t token);
int civic_epoll_modify(int epfd, int fd, uint32_t events, uint64_t token);
/// epoll_ctl DEL. Returns 0 or -1 (errno set).
int civic_epoll_delete(int epfd, int fd);

/// epoll_wait that unpacks the (packed on x86_64) epoll_event array into two plain arrays.
/// Returns the number of events, or -1 (errno set, EINTR included).
int civic_epoll_wait(int epfd, uint32_t *events, uint64_t *tokens, int max_events, int timeout_ms);

/// eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC). Returns the fd or -1.
int civic_eventfd_create(void);
/// Adds 1 to the counter. Returns 0 or -1 (errno set; EAGAIN means the counter is saturated, still awake).
int civic_eventfd_signal(int fd);
/// Reads (resets) the counter. Returns 0 if it was readable, -1 otherwise (EAGAIN when empty).
int civic_eventfd_drain(int fd);

/// socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK? | SOCK_CLOEXEC, 0).
int civic_tcp_socket(int nonblocking);

/// accept4(fd, addr, len, SOCK_NONBLOCK | SOCK_CLOEXEC).
int civic_accept_nonblocking(int fd, struct sockaddr *addr, socklen_t *len);

/// send(fd, buf, len, MSG_NOSIGNAL): a closed peer gives EPIPE instead of SIGPIPE.
ssize_t civic_send(int fd, const void *buf, size_t len);

/// signal(SIGPIPE, SIG_IGN), as a second line of defence behind MSG_NOSIGNAL.
void civic_ignore_sigpipe(void);

/// pthread_setname_np(pthread_self(), name); names longer than 15 bytes are truncated.
void civic_set_thread_name(const char *name);

#endif
