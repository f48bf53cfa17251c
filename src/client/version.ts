// The client's own version, for the default User-Agent ("concord/0.1.0"). The API server derives
// default field managers from the User-Agent, so it must name this program, as kubectl's does.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function readVersion(): string {
  // The package.json above this file, whether run from src/ or from the compiled dist/src/.
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'concord' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one folder up
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return '0.0.0';
}

export const CLIENT_VERSION = readVersion();

/** "concord/<version>": the User-Agent both transports send unless told otherwise. */
export const DEFAULT_USER_AGENT = `concord/${CLIENT_VERSION}`;
