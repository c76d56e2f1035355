/** The native bridge: libc through koffi, nothing HTTP. */
export * from './constants';
export * from './syscall-error';
export * from './sockaddr';
export * from './epoll-event';
export * from './syscalls';
export * from './readiness';
