/**
 * Linux constants the engine passes to libc, spelled as in C. The values are
 * the same on x86_64 and arm64 (both use the asm-generic socket and epoll
 * numbers); architectures with other values (mips, sparc, alpha) are refused
 * at load time in libc.ts.
 */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const SOCK_STREAM = 1;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;

export const SOL_SOCKET = 1;
export const SO_REUSEADDR = 2;
export const SO_ERROR = 4;
export const SO_SNDBUF = 7;
export const SO_RCVBUF = 8;
export const SO_LINGER = 13;

export const IPPROTO_TCP = 6;
export const TCP_NODELAY = 1;
export const IPPROTO_IPV6 = 41;
export const IPV6_V6ONLY = 26;

export const MSG_DONTWAIT = 0x40;
export const MSG_NOSIGNAL = 0x4000;

export const SHUT_RD = 0;
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

export const EPOLL_CLOEXEC = 0o2000000;
export const EPOLL_CTL_ADD = 1;
export const EPOLL_CTL_DEL = 2;
export const EPOLL_CTL_MOD = 3;
export const EPOLLIN = 0x001;
export const EPOLLOUT = 0x004;
export const EPOLLERR = 0x008;
export const EPOLLHUP = 0x010;
export const EPOLLRDHUP = 0x2000;

/** Largest backlog the kernel accepts is net.core.somaxconn; asking for more is clamped, not refused. */
export const SOMAXCONN_REQUEST = 4096;
