// Times as the Kubernetes API writes them.

// The last second formatted: every write stamps times, mostly within the same second.
let lastSecond = Number.NaN;
let lastText = '';

/** metav1.Time: RFC 3339 in UTC, to the second (the fraction is dropped, not rounded). */
export function metaTime(t: Date | number): string {
  const second = Math.floor((typeof t === 'number' ? t : t.getTime()) / 1000);
  if (second !== lastSecond) {
    // An invalid time throws here (RangeError), as toISOString does.
    lastText = `${new Date(second * 1000).toISOString().slice(0, 19)}Z`;
    lastSecond = second;
  }
  return lastText;
}

/** metav1.MicroTime as the API writes it: 2024-05-01T10:00:00.123000Z. */
export function microTime(t: Date | number): string {
  return (typeof t === 'number' ? new Date(t) : t).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}
