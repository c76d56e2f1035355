/**
 * struct epoll_event { uint32_t events; epoll_data_t data; }
 * x86_64 declares it __attribute__((packed)): 12 bytes, data at offset 4.
 * arm64 uses natural alignment: 16 bytes, data at offset 8.
 * The engine stores the file descriptor in the low 32 bits of data.
 */
export const EPOLL_EVENT_SIZE = process.arch === 'x64' ? 12 : 16;
export const EPOLL_EVENT_DATA_OFFSET = process.arch === 'x64' ? 4 : 8;

/** Write one event (mask and fd) at index i of an event array buffer. */
export function writeEpollEvent(buf: Buffer, i: number, events: number, fd: number): void {
  const at = i * EPOLL_EVENT_SIZE;
  buf.writeUInt32LE(events >>> 0, at);
  buf.writeInt32LE(fd, at + EPOLL_EVENT_DATA_OFFSET);
  buf.writeInt32LE(0, at + EPOLL_EVENT_DATA_OFFSET + 4);
}

export function epollEventMask(buf: Buffer, i: number): number {
  return buf.readUInt32LE(i * EPOLL_EVENT_SIZE);
}

export function epollEventFd(buf: Buffer, i: number): number {
  return buf.readInt32LE(i * EPOLL_EVENT_SIZE + EPOLL_EVENT_DATA_OFFSET);
}
