// Kustomize and Helm sources, rendered by their own tools: `kubectl kustomize` (the Kustomize
// kubectl ships) and `helm template` where a helm binary is installed. The source's options
// (kustomize namePrefix, images ...; helm values, parameters, releaseName ...) are passed the
// way Argo CD passes them; the tool's error text is kept in the message.

import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import type { KubeObject } from '../../../machinery/object.js';
import type { ApplicationSourceHelm, ApplicationSourceKustomize } from '../../apis/argocd/index.js';
import { ManifestError, parseManifests } from './manifests.js';

/** The tool a source needs is not installed on the hub. */
export class ToolMissingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolMissingError';
  }
}

function runTool(cmd: string, args: string[], cwd: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      cmd,
      args,
      { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' },
      (err, stdout, stderr) => {
        if (err) {
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
            reject(new ToolMissingError(`${cmd} is not installed on the hub`));
            return;
          }
          reject(
            new ManifestError(
              `${cmd} ${args[0]} failed: ${(stderr || err.message).trim().split('\n').slice(-3).join('; ')}`,
            ),
          );
          return;
        }
        resolve(stdout);
      },
    );
  });
}

const KUSTOMIZE_OPTIONS = [
  'namePrefix',
  'nameSuffix',
  'images',
  'commonLabels',
  'commonAnnotations',
  'namespace',
] as const;

/** `kubectl kustomize DIR`; with options, through an overlay that names DIR as its resource. */
export async function renderKustomize(
  dir: string,
  opts: ApplicationSourceKustomize | undefined,
  label: string,
  timeoutMs = 60_000,
): Promise<KubeObject[]> {
  const used = KUSTOMIZE_OPTIONS.filter((k) => opts?.[k] !== undefined);
  if (used.length === 0)
    return parseManifests(await runTool('kubectl', ['kustomize', dir], dir, timeoutMs), label);
  const overlay = join(tmpdir(), `concord-kustomize-${randomUUID()}`);
  await mkdir(overlay, { recursive: true });
  try {
    const k: Record<string, unknown> = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      resources: [dir],
    };
    if (opts?.namePrefix) k.namePrefix = opts.namePrefix;
    if (opts?.nameSuffix) k.nameSuffix = opts.nameSuffix;
    if (opts?.namespace) k.namespace = opts.namespace;
    if (opts?.commonLabels) k.commonLabels = opts.commonLabels;
    if (opts?.commonAnnotations) k.commonAnnotations = opts.commonAnnotations;
    if (opts?.images) {
      // Argo CD's image overrides: name=newName:tag, name:tag, name@digest.
      k.images = opts.images.map((spec) => {
        const [name, target] = spec.includes('=') ? spec.split('=', 2) : [spec.replace(/[:@].*$/, ''), spec];
        const image: Record<string, string> = { name: name! };
        const at = target!.indexOf('@');
        const colon = target!.lastIndexOf(':');
        if (at >= 0) {
          image.digest = target!.slice(at + 1);
          if (target!.slice(0, at) !== name) image.newName = target!.slice(0, at);
        } else if (colon > target!.lastIndexOf('/')) {
          image.newTag = target!.slice(colon + 1);
          if (target!.slice(0, colon) !== name) image.newName = target!.slice(0, colon);
        } else if (target !== name) {
          image.newName = target!;
        }
        return image;
      });
    }
    await writeFile(join(overlay, 'kustomization.yaml'), stringify(k));
    return parseManifests(await runTool('kubectl', ['kustomize', overlay], overlay, timeoutMs), label);
  } finally {
    await rm(overlay, { recursive: true, force: true });
  }
}

/** `helm template` of the chart in DIR with the source's values; ToolMissingError without helm. */
export async function renderHelm(
  dir: string,
  opts: ApplicationSourceHelm | undefined,
  release: string,
  namespace: string | undefined,
  label: string,
  timeoutMs = 60_000,
): Promise<KubeObject[]> {
  const args = ['template', opts?.releaseName ?? release, '.'];
  if (namespace) args.push('--namespace', namespace);
  for (const f of opts?.valueFiles ?? []) args.push('--values', f);
  let valuesFile: string | undefined;
  const inline = opts?.valuesObject ?? (opts?.values ? opts.values : undefined);
  if (inline !== undefined) {
    valuesFile = join(tmpdir(), `concord-values-${randomUUID()}.yaml`);
    await writeFile(valuesFile, typeof inline === 'string' ? inline : stringify(inline));
    args.push('--values', valuesFile);
  }
  for (const p of opts?.parameters ?? []) {
    if (p.name) args.push(p.forceString ? '--set-string' : '--set', `${p.name}=${p.value ?? ''}`);
  }
  try {
    return parseManifests(await runTool('helm', args, dir, timeoutMs), label);
  } catch (err) {
    if (err instanceof ToolMissingError) {
      throw new ToolMissingError(
        `${label} is a Helm chart, but helm is not installed on the hub: install helm to render it`,
      );
    }
    throw err;
  } finally {
    if (valuesFile) await rm(valuesFile, { force: true });
  }
}
