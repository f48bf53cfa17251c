// Warning headers ("299 - \"text\"", RFC 7234) that the API server attaches to responses, e.g.
// for unknown fields under fieldValidation=Warn or deprecated APIs.

/** The texts of Warning header values; values not in the 299 form are returned whole. */
export function parseWarnings(values: string | string[] | undefined): string[] {
  if (values === undefined) return [];
  const list = Array.isArray(values) ? values : splitWarnings(values);
  const out: string[] = [];
  for (const v of list) {
    const m = /^\s*\d{3}\s+\S+\s+"((?:[^"\\]|\\.)*)"/.exec(v);
    if (!m) {
      if (v.trim() !== '') out.push(v.trim());
      continue;
    }
    try {
      out.push(JSON.parse(`"${m[1]}"`) as string);
    } catch {
      out.push(m[1]!);
    }
  }
  return out;
}

// Several warnings folded into one header line are separated by commas outside quotes.
function splitWarnings(header: string): string[] {
  const out: string[] = [];
  let start = 0;
  let quoted = false;
  for (let i = 0; i < header.length; i++) {
    const c = header[i];
    if (c === '\\' && quoted) i++;
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(header.slice(start, i));
      start = i + 1;
    }
  }
  out.push(header.slice(start));
  return out;
}
