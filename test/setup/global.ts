import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ensureOpenAPIDefinitions } from '../../scripts/generate-openapi.js';

// Runs once before the suite: installs the real components the tests use (etcd, the Python client)
// with the project's own script, so that a fresh machine needs nothing installed by hand.
export default async function setup(): Promise<void> {
  const script = fileURLToPath(new URL('../../scripts/install-test-deps.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
  // The OpenAPI definitions of the built-in kinds are generated, not committed.
  await ensureOpenAPIDefinitions();
}
