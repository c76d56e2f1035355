/** Test helper: the process's open descriptors, for leak checks around real-fd tests. */
import { readdirSync } from 'node:fs';

export function openFdCount(): number {
  return readdirSync('/proc/self/fd').length;
}

/** True when the machine has an IPv6 loopback (containers may not). */
export function hasIPv6Loopback(): boolean {
  try {
    return readdirSync('/proc/sys/net/ipv6').length > 0;
  } catch {
    return false;
  }
}
