// Every benchmark, as docs/benchmarks.md runs it (`node dist/bench/NAME/main.js`, and the few
// with another name, which read their options the same way), answers --help with its usage and a
// mistaken option with the usage and exit status 2 — never a stack trace. The benchmarks are the
// built ones: `npm test` builds before it tests.

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '..');
const FOLDERS = readdirSync(join(ROOT, 'bench'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name);
/** "NAME/main" for each bench/NAME/main.ts, and "NAME/FILE" for another file that reads options. */
const BENCHES = FOLDERS.flatMap((folder) =>
  readdirSync(join(ROOT, 'bench', folder))
    .filter(
      (f) =>
        f === 'main.ts' ||
        (f.endsWith('.ts') && readFileSync(join(ROOT, 'bench', folder, f), 'utf8').includes('benchOptions(')),
    )
    .map((f) => `${folder}/${f.replace(/\.ts$/, '')}`),
).sort();

function bench(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const main = join(ROOT, 'dist', 'bench', `${name}.js`);
  if (!existsSync(main)) throw new Error(`${main} is missing: run npm run build (npm test builds first)`);
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('benchmarks on the command line', () => {
  it('include every bench/NAME/main.ts', () => {
    const mains = FOLDERS.filter((f) => existsSync(join(ROOT, 'bench', f, 'main.ts')));
    expect(mains.length).toBeGreaterThan(0);
    expect(BENCHES).toEqual(expect.arrayContaining(mains.map((f) => `${f}/main`)));
  });

  it.each(BENCHES)('bench/%s prints its usage for --help', async (name) => {
    const r = await bench(name, ['--help']);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(new RegExp(`^usage: node dist/bench/${name}\\.js `));
    expect(r.stdout).toContain('-h, --help');
  });

  // Every benchmark reads its options through bench/cli.ts: the lightest one shows what it does
  // with -h and with a mistake.
  it('answers -h alike, and an unknown option with the usage and exit status 2', async () => {
    expect((await bench('pki/main', ['-h'])).stdout).toMatch(/^usage: node dist\/bench\/pki\/main\.js /);
    const r = await bench('pki/main', ['--no-such-option']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Unknown option '--no-such-option'");
    expect(r.stderr).toContain('usage: node dist/bench/pki/main.js');
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});
