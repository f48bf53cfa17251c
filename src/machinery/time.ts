// Times as the Kubernetes API writes them.

/** metav1.Time: RFC 3339 in UTC, to the second (the fraction is dropped, not rounded). */
export function metaTime(t: Date | number): string {
  return `${(typeof t === 'number' ? new Date(t) : t).toISOString().slice(0, 19)}Z`;
}

/** metav1.MicroTime as the API writes it: 2024-05-01T10:00:00.123000Z. */
export function microTime(t: Date | number): string {
  return (typeof t === 'number' ? new Date(t) : t).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
