// Prometheus' text exposition format, as far as federation needs it: members' answers read into
// families of samples, and the chosen families written back out with each sample's `cluster`
// label set to the member it came from. A member's own `cluster` label (the controller runtime's
// series carry one) becomes `exported_cluster`, as Prometheus renames a clashing label.

/** One sample line: its series name, labels in order, and what follows (value, timestamp). */
export interface Sample {
  name: string;
  labels: [string, string][];
  rest: string;
}

export interface Family {
  name: string;
  help?: string;
  type?: string;
  samples: Sample[];
}

export interface MemberScrape {
  cluster: string;
  /** Families by name, when the member answered. */
  samples?: Map<string, Family>;
  error?: string;
  seconds: number;
}

const SUFFIXES = ['_bucket', '_sum', '_count', '_created', '_total', '_info'];

/** Reads a label set starting at text[start] === '{'; returns the labels and the index after '}'. */
function readLabels(text: string, start: number): { labels: [string, string][]; end: number } | undefined {
  const labels: [string, string][] = [];
  let i = start + 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const nameMatch = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!nameMatch) return undefined;
    const name = nameMatch[0];
    i += name.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=') return undefined;
    i++;
    while (text[i] === ' ') i++;
    if (text[i] !== '"') return undefined;
    i++;
    let value = '';
    for (;;) {
      const ch = text[i];
      if (ch === undefined) return undefined;
      if (ch === '"') break;
      if (ch === '\\') {
        const next = text[i + 1];
        value += next === 'n' ? '\n' : (next ?? '');
        i += 2;
        continue;
      }
      value += ch;
      i++;
    }
    i++;
    labels.push([name, value]);
  }
}

/** The families of an exposition; lines that do not parse are left out. */
export function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let f = families.get(name);
    if (!f) {
      f = { name, samples: [] };
      families.set(name, f);
    }
    return f;
  };
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s?(.*)$/.exec(line);
      if (!m) continue;
      current = family(m[2]!);
      if (m[1] === 'HELP') current.help = m[3]!;
      else current.type = m[3]!;
      continue;
    }
    const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nameMatch) continue;
    const name = nameMatch[0];
    let labels: [string, string][] = [];
    let end = name.length;
    if (line[end] === '{') {
      const read = readLabels(line, end);
      if (!read) continue;
      labels = read.labels;
      end = read.end;
    }
    const rest = line.slice(end).trim();
    if (rest === '') continue;
    const owner =
      current &&
      (name === current.name ||
        (name.startsWith(current.name) && SUFFIXES.includes(name.slice(current.name.length))))
        ? current
        : family(name);
    owner.samples.push({ name, labels, rest });
  }
  return families;
}

function escapeValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function sampleLine(s: Sample, cluster: string): string {
  const labels = [`cluster="${escapeValue(cluster)}"`];
  for (const [k, v] of s.labels)
    labels.push(`${k === 'cluster' ? 'exported_cluster' : k}="${escapeValue(v)}"`);
  return `${s.name}{${labels.join(',')}} ${s.rest}`;
}

/** The chosen families of every member, each family once with all members' samples, then scrape health. */
export function exposition(scrapes: readonly MemberScrape[], series: ReadonlySet<string>): string {
  const out: string[] = [];
  for (const name of series) {
    let header = false;
    for (const scrape of scrapes) {
      const family = scrape.samples?.get(name);
      if (!family || family.samples.length === 0) continue;
      if (!header) {
        if (family.help !== undefined) out.push(`# HELP ${name} ${family.help}`);
        if (family.type !== undefined) out.push(`# TYPE ${name} ${family.type}`);
        header = true;
      }
      for (const s of family.samples) out.push(sampleLine(s, scrape.cluster));
    }
  }
  out.push(
    "# HELP concord_federation_member_up Whether the member's /metrics answered (1) or not (0).",
    '# TYPE concord_federation_member_up gauge',
  );
  for (const s of scrapes)
    out.push(`concord_federation_member_up{cluster="${escapeValue(s.cluster)}"} ${s.error ? 0 : 1}`);
  out.push(
    "# HELP concord_federation_member_scrape_duration_seconds How long scraping the member's /metrics took.",
    '# TYPE concord_federation_member_scrape_duration_seconds gauge',
  );
  for (const s of scrapes) {
    out.push(
      `concord_federation_member_scrape_duration_seconds{cluster="${escapeValue(s.cluster)}"} ${s.seconds.toFixed(6)}`,
    );
  }
  return `${out.join('\n')}\n`;
}
