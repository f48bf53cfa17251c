// The official Python client as the README says the tests find it: Debian's python3-kubernetes,
// which installs for /usr/bin/python3 (not for other interpreters on PATH). Missing, it fails the
// test that needs it with what to install.

import { execFileSync } from 'node:child_process';

export const PYTHON = '/usr/bin/python3';

let checked = false;

/** /usr/bin/python3, once it is known to import `kubernetes`; throws naming what is missing. */
export function pythonWithKubernetes(): string {
  if (checked) return PYTHON;
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'pipe', timeout: 30_000 });
  } catch (err) {
    const stderr = (err as { stderr?: Buffer }).stderr?.toString().trim().split('\n').pop();
    const why = stderr || (err as Error).message;
    throw new Error(
      `the Python kubernetes client is not available to ${PYTHON} (${why}): ` +
        'run scripts/install-test-deps.sh, which installs Debian’s python3-kubernetes',
    );
  }
  checked = true;
  return PYTHON;
}
