// Addresses as Go's net.JoinHostPort writes them.

/** "host:port", with an IPv6 host in brackets ("[::1]:6443"). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
