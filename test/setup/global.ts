import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Runs once before the suite: installs the real components the tests use (etcd, the Python client)
// with the project's own script, so that a fresh machine needs nothing installed by hand.
export default function setup(): void {
  const script = fileURLToPath(new URL('../../scripts/install-test-deps.sh', import.meta.url));
  execFileSync('bash', [script], { stdio: 'inherit' });
}
