// Generates src/generated/openapi-definitions.json: the OpenAPI definitions of the built-in kinds,
// derived from the installed kubernetes-models and @kubernetes/client-node packages.
//   node --import tsx scripts/generate-openapi.ts          (npm run generate)
// ensureOpenAPIDefinitions() regenerates only when the file is missing or older than its inputs.

import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import {
  buildDefinitions,
  type ClientNodeAttribute,
  type ClientNodeModels,
} from '../src/apiserver/openapi/model-source.js';

const root = fileURLToPath(new URL('..', import.meta.url));
export const OUTPUT = join(root, 'src/generated/openapi-definitions.json');

const require = createRequire(import.meta.url);

function packageDir(name: string): string {
  // Walk up from the package's entry point to the folder holding its package.json.
  let dir = dirname(require.resolve(name));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = parent;
  }
  return dir;
}

function packageVersion(dir: string): string {
  return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

async function loadClientNodeModels(dir: string): Promise<ClientNodeModels> {
  const url = pathToFileURL(join(dir, 'dist/gen/models/all.js')).href;
  const mod = (await import(url)) as Record<string, { attributeTypeMap?: ClientNodeAttribute[] }>;
  const models: ClientNodeModels = new Map();
  for (const [name, cls] of Object.entries(mod)) {
    if (Array.isArray(cls?.attributeTypeMap)) models.set(name, cls.attributeTypeMap);
  }
  return models;
}

function inputs() {
  const models = packageDir('kubernetes-models');
  const apimachinery = packageDir('@kubernetes-models/apimachinery');
  const clientNode = packageDir('@kubernetes/client-node');
  return { models, apimachinery, clientNode };
}

export async function generateOpenAPIDefinitions(options: { quiet?: boolean } = {}): Promise<string> {
  const dirs = inputs();
  const clientNodeModels = await loadClientNodeModels(dirs.clientNode);
  const { definitions, warnings } = buildDefinitions({
    modelDirs: [dirs.models, dirs.apimachinery],
    clientNodeModels,
  });
  const doc = {
    source: {
      'kubernetes-models': packageVersion(dirs.models),
      '@kubernetes-models/apimachinery': packageVersion(dirs.apimachinery),
      '@kubernetes/client-node': packageVersion(dirs.clientNode),
    },
    definitions,
  };
  mkdirSync(dirname(OUTPUT), { recursive: true });
  // Write then rename, so that a concurrent reader never sees half a file.
  const tmp = `${OUTPUT}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(doc, null, 1)}\n`);
  renameSync(tmp, OUTPUT);
  if (!options.quiet) {
    for (const w of warnings) console.warn(`generate-openapi: ${w}`);
    console.log(`generate-openapi: ${Object.keys(definitions).length} definitions -> ${OUTPUT}`);
  }
  return OUTPUT;
}

/** Regenerates when the output is missing or older than the generator or the packages it reads. */
export async function ensureOpenAPIDefinitions(): Promise<void> {
  if (existsSync(OUTPUT)) {
    const built = statSync(OUTPUT).mtimeMs;
    const dirs = inputs();
    const sources = [
      fileURLToPath(import.meta.url),
      join(root, 'src/apiserver/openapi/model-source.ts'),
      join(root, 'src/apiserver/openapi/dts.ts'),
      join(root, 'src/apiserver/openapi/supplement.ts'),
      join(dirs.models, 'package.json'),
      join(dirs.apimachinery, 'package.json'),
      join(dirs.clientNode, 'package.json'),
    ];
    if (sources.every((s) => !existsSync(s) || statSync(s).mtimeMs <= built)) return;
  }
  await generateOpenAPIDefinitions({ quiet: true });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  generateOpenAPIDefinitions().catch((err: unknown) => {
    console.error(err);
    process.exitCode = 1;
  });
}
