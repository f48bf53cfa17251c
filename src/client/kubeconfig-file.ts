// Reading and writing kubeconfig files. File references inside a kubeconfig (certificate-authority,
// client-certificate, client-key, tokenFile) are relative to the kubeconfig's own folder, as
// client-go resolves them.

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import {
  KubeconfigError,
  parseKubeconfig,
  type ResolvedKubeconfig,
  resolveContext,
} from '../machinery/kubeconfig.js';

/** A context with every credential in hand: PEM texts and the token, read from their files. */
export interface LoadedKubeconfig extends ResolvedKubeconfig {
  /** The kubeconfig file it came from. */
  path: string;
}

async function readReferenced(kubeconfigPath: string, file: string, what: string): Promise<string> {
  const full = isAbsolute(file) ? file : resolve(dirname(kubeconfigPath), file);
  try {
    return await readFile(full, 'utf8');
  } catch (err) {
    throw new KubeconfigError(
      `kubeconfig ${kubeconfigPath}: unable to read ${what} ${full}: ${(err as Error).message}`,
    );
  }
}

/** Reads the kubeconfig at `path` and resolves `context` (default: its current-context). */
export async function loadKubeconfig(path: string, context?: string): Promise<LoadedKubeconfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new KubeconfigError(`kubeconfig ${path}: ${(err as Error).message}`);
  }
  let resolved: ResolvedKubeconfig;
  try {
    resolved = resolveContext(parseKubeconfig(text), context);
  } catch (err) {
    if (err instanceof KubeconfigError)
      throw new KubeconfigError(err.message.replace(/^kubeconfig/, `kubeconfig ${path}`));
    throw err;
  }
  const out: LoadedKubeconfig = { ...resolved, path };
  if (resolved.caFile && !out.caPem)
    out.caPem = await readReferenced(path, resolved.caFile, 'certificate-authority');
  if (resolved.certFile && !out.certPem)
    out.certPem = await readReferenced(path, resolved.certFile, 'client-certificate');
  if (resolved.keyFile && !out.keyPem)
    out.keyPem = await readReferenced(path, resolved.keyFile, 'client-key');
  if (resolved.tokenFile && !out.token) {
    // client-go trims the file's content; an empty file is no token.
    const token = (await readReferenced(path, resolved.tokenFile, 'tokenFile')).trim();
    if (!token) throw new KubeconfigError(`kubeconfig ${path}: tokenFile ${resolved.tokenFile} is empty`);
    out.token = token;
  }
  return out;
}

/** Writes a kubeconfig readable by its owner only (it holds credentials), replacing any old one at once. */
export async function writeKubeconfig(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, text, { mode: 0o600, flag: 'wx' });
  await rename(tmp, path);
}
