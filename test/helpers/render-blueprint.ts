/**
 * render.yaml read as Render reads it: each service with its environment resolved
 * (the variables of every `fromGroup` group first, then the service's own, which win on
 * the same key), and the environment a deploy would give its processes once the
 * `sync: false` secrets are typed in and the `generateValue` ones are generated.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';

/** One entry of an `envVars` list (a `fromGroup` entry is resolved away). */
export interface EnvVarDeclaration {
  key: string;
  /** A literal value, committed in render.yaml. */
  value?: string;
  /** Render asks for the value when the Blueprint is created (secrets). */
  sync?: false;
  /** Render generates a random value (a base64-encoded 256-bit value). */
  generateValue?: true;
  /** The group it came from; undefined for the service's own. */
  group?: string;
}

export interface BlueprintService {
  type: string;
  name: string;
  region?: string;
  buildCommand?: string;
  preDeployCommand?: string;
  startCommand: string;
  healthCheckPath?: string;
  schedule?: string;
  /** The groups attached with `fromGroup`, in order. */
  groups: string[];
  /** Every variable the service gets, groups resolved; the service's own declaration wins on a key. */
  env: EnvVarDeclaration[];
  /** The service's own declarations, as written (to spot a key declared twice). */
  ownEnv: EnvVarDeclaration[];
}

export interface Blueprint {
  groups: Map<string, EnvVarDeclaration[]>;
  services: BlueprintService[];
}

type Yaml = Record<string, unknown>;

function isObject(value: unknown): value is Yaml {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function list(value: unknown, where: string): Yaml[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isObject)) throw new Error(`render.yaml: ${where} must be a list of mappings`);
  return value;
}

function optionalText(entry: Yaml, field: string, where: string): string | undefined {
  const value = entry[field];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new Error(`render.yaml: ${where}.${field} must be a string (quote numbers: Render reads values as text)`);
  return value;
}

function declaration(entry: Yaml, where: string, group?: string): EnvVarDeclaration {
  const key = optionalText(entry, 'key', where);
  if (!key) throw new Error(`render.yaml: ${where} has no key`);
  const sources = ['value', 'sync', 'generateValue'].filter((field) => entry[field] !== undefined);
  if (sources.length !== 1) throw new Error(`render.yaml: ${where} (${key}) needs exactly one of value, sync: false, generateValue: true`);
  if (entry.sync !== undefined && entry.sync !== false) throw new Error(`render.yaml: ${where} (${key}): sync may only be false`);
  if (entry.generateValue !== undefined && entry.generateValue !== true) throw new Error(`render.yaml: ${where} (${key}): generateValue may only be true`);
  return {
    key,
    ...(entry.value !== undefined ? { value: optionalText(entry, 'value', where) } : {}),
    ...(entry.sync === false ? { sync: false as const } : {}),
    ...(entry.generateValue === true ? { generateValue: true as const } : {}),
    ...(group ? { group } : {}),
  };
}

export function parseBlueprint(text: string): Blueprint {
  const document: unknown = parse(text);
  if (!isObject(document)) throw new Error('render.yaml: expected a mapping at the top');
  const groups = new Map<string, EnvVarDeclaration[]>();
  for (const [i, group] of list(document.envVarGroups, 'envVarGroups').entries()) {
    const name = optionalText(group, 'name', `envVarGroups[${i}]`);
    if (!name) throw new Error(`render.yaml: envVarGroups[${i}] has no name`);
    groups.set(name, list(group.envVars, `${name}.envVars`).map((entry, j) => declaration(entry, `${name}.envVars[${j}]`, name)));
  }
  const services = list(document.services, 'services').map((service, i): BlueprintService => {
    const where = `services[${i}]`;
    const name = optionalText(service, 'name', where);
    const type = optionalText(service, 'type', where);
    const startCommand = optionalText(service, 'startCommand', where);
    if (!name || !type || !startCommand) throw new Error(`render.yaml: ${where} needs a name, a type and a startCommand`);
    const attached: string[] = [];
    const ownEnv: EnvVarDeclaration[] = [];
    for (const [j, entry] of list(service.envVars, `${name}.envVars`).entries()) {
      if (entry.fromGroup !== undefined) {
        const group = entry.fromGroup;
        if (typeof group !== 'string' || !groups.has(group)) throw new Error(`render.yaml: ${name} uses fromGroup ${String(group)}, which is not declared in envVarGroups`);
        attached.push(group);
      } else {
        ownEnv.push(declaration(entry, `${name}.envVars[${j}]`));
      }
    }
    const resolved = new Map<string, EnvVarDeclaration>();
    for (const group of attached) for (const d of groups.get(group)!) resolved.set(d.key, d);
    for (const d of ownEnv) resolved.set(d.key, d);
    return {
      type,
      name,
      region: optionalText(service, 'region', where),
      buildCommand: optionalText(service, 'buildCommand', where),
      preDeployCommand: optionalText(service, 'preDeployCommand', where),
      startCommand,
      healthCheckPath: optionalText(service, 'healthCheckPath', where),
      schedule: optionalText(service, 'schedule', where),
      groups: attached,
      env: [...resolved.values()],
      ownEnv,
    };
  });
  return { groups, services };
}

export async function readBlueprint(file: string): Promise<Blueprint> {
  return parseBlueprint(await readFile(file, 'utf8'));
}

/**
 * The environment of one of the service's processes: the declared values as written, and
 * for each secret what `fill` returns (Render: what was typed in, or generated). Nothing
 * else: what Render adds itself (RENDER, PORT) and PATH are the caller's to add.
 */
export function deployedEnvironment(service: BlueprintService, fill: (declaration: EnvVarDeclaration) => string): Record<string, string> {
  return Object.fromEntries(service.env.map((d) => [d.key, d.value ?? fill(d)]));
}
