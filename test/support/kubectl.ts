// Finds a kubectl of a given minor version for tests that drive the real client. The Google Cloud
// SDK ships them side by side as kubectl.1.27 ... kubectl.1.33; PATH comes first so that a machine
// can provide its own.

import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';

export type KubectlVersion = '1.27' | '1.28' | '1.29' | '1.30' | '1.31' | '1.32' | '1.33';

const SDK_DIRS = [
  '/usr/lib/google-cloud-sdk/bin',
  '/usr/local/google-cloud-sdk/bin',
  '/google-cloud-sdk/bin',
];

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The minor version a kubectl binary reports, or undefined when it cannot say. */
function minorOf(path: string): string | undefined {
  try {
    const out = execFileSync(path, ['version', '--client', '-o', 'json'], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    const info = JSON.parse(out) as { clientVersion?: { major?: string; minor?: string } };
    const minor = info.clientVersion?.minor?.replace(/\D+$/, '');
    return info.clientVersion?.major && minor ? `${info.clientVersion.major}.${minor}` : undefined;
  } catch {
    return undefined;
  }
}

const found = new Map<KubectlVersion, string>();

/**
 * The path of `kubectl.<version>` (or a plain `kubectl` of that version) from PATH or the Google
 * Cloud SDK; throws with what to install when there is none.
 */
export function kubectlPath(version: KubectlVersion): string {
  const hit = found.get(version);
  if (hit) return hit;
  const pathDirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  const candidates: string[] = [];
  for (const dir of [...pathDirs, ...SDK_DIRS]) candidates.push(join(dir, `kubectl.${version}`));
  for (const dir of pathDirs) candidates.push(join(dir, 'kubectl'));
  for (const path of candidates) {
    if (!executable(path)) continue;
    // Versioned names are trusted; a plain kubectl must prove its version.
    if (path.endsWith(`kubectl.${version}`) || minorOf(path) === version) {
      found.set(version, path);
      return path;
    }
  }
  throw new Error(
    `kubectl ${version} not found: looked for kubectl.${version} in PATH and ${SDK_DIRS.join(', ')}, ` +
      `and for a kubectl ${version} in PATH. Install it with \`gcloud components install kubectl\` ` +
      `(which provides kubectl.1.27 ... kubectl.1.33) or put a kubectl.${version} in PATH.`,
  );
}

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs kubectl of `version` against a kubeconfig. HOME (where kubectl caches discovery) is
 * `home`, by default a folder beside the kubeconfig's own folder.
 */
export function runKubectl(
  version: KubectlVersion,
  kubeconfig: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number; home?: string } = {},
): Promise<KubectlResult> {
  return new Promise((resolve) => {
    const child = execFile(
      kubectlPath(version),
      args,
      {
        env: {
          ...process.env,
          KUBECONFIG: kubeconfig,
          HOME: opts.home ?? join(kubeconfig, '..', '..', 'home'),
        },
        timeout: opts.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}
