// Every benchmark, as docs/benchmarks.md runs it (`node dist/bench/NAME/main.js`), answers --help
// with its usage and a mistaken option with the usage and exit status 2 — never a stack trace.
// The benchmarks are the built ones: `npm test` builds before it tests.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const BENCHES = readdirSync(join(ROOT, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

function bench(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const main = join(ROOT, 'dist', 'bench', name, 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test builds first)`);
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('benchmarks on the command line', () => {
  it('are one folder each, started by its main.ts', () => {
    expect(BENCHES.length).toBeGreaterThan(0);
    expect(BENCHES.filter((name) => !existsSync(join(ROOT, 'bench', name, 'main.ts')))).toEqual([]);
  });

  it.each(BENCHES)('bench/%s prints its usage for --help and -h', async (name) => {
    for (const flag of ['--help', '-h']) {
      const r = await bench(name, [flag]);
      expect(r, flag).toMatchObject({ code: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: node dist/bench/${name}/main\\.js `));
      expect(r.stdout).toContain('-h, --help');
    }
  });

  it.each(BENCHES)('bench/%s answers an unknown option with the usage and exit status 2', async (name) => {
    const r = await bench(name, ['--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--no-such-option'");
    expect(r.stderr).toContain(`usage: node dist/bench/${name}/main.js`);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
