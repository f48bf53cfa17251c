// A real browser for the dashboard's tests: Debian's chromium, headless, driven by playwright-core
// (which never downloads a browser of its own). Every launch gets a fresh profile and trusts
// exactly the certificate key of the server under test (by its SPKI hash), nothing more.

import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { defaultDashboardDir } from '../../src/hub/dashboard/static.js';

export const CHROMIUM = '/usr/bin/chromium';

/** npm test builds the dashboard; a lone run of a test file builds it when it is missing. */
export function ensureDashboardBuilt(): void {
  if (!existsSync(join(defaultDashboardDir(), 'index.html'))) {
    execFileSync('npm', ['run', 'build:web'], { stdio: 'inherit' });
  }
}

/** base64(sha256(SubjectPublicKeyInfo)) of a certificate, as --ignore-certificate-errors-spki-list takes it. */
export function spkiHash(certPem: string): string {
  const spki = new X509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  return createHash('sha256').update(spki).digest('base64');
}

export interface TestBrowser {
  context: BrowserContext;
  close(): Promise<void>;
}

/** Chromium trusting the server whose serving certificate is `servingCertPem`. */
export async function launchBrowser(servingCertPem: string): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} not found: the dashboard tests need Debian's chromium package (scripts/install-test-deps.sh installs it)`,
    );
  }
  const profile = await mkdtemp(join(tmpdir(), 'concord-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1360, height: 900 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--ignore-certificate-errors-spki-list=${spkiHash(servingCertPem)}`,
    ],
  });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
