/**
 * The API reference as one HTML page, from the OpenAPI document (openapi.ts) and nothing
 * else, so it cannot drift from the routes: operations grouped by tag, each with its auth,
 * parameters, body fields and responses. Schemas are shown one level deep (name, type,
 * required, description); /openapi.json has the rest for tools.
 */
import { escapeHtml, inlineCode, renderPage } from './layout.js';

type Schema = Record<string, unknown>;

interface Operation {
  operationId: string;
  summary: string;
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string; in: string; required?: boolean; schema?: Schema; description?: string }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Schema }> }>;
}

export interface OpenApiDocument {
  info?: { title?: string; version?: string; description?: string };
  paths?: Record<string, Record<string, Operation>>;
  [key: string]: unknown;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** A JSON Schema's type in a few words: "string (uuid)", "array of object", "one of: a, b". */
function typeOf(schema: Schema | undefined): string {
  if (!schema) return '';
  if (typeof schema.$ref === 'string') return schema.$ref.split('/').pop() ?? '';
  if (Array.isArray(schema.enum)) return `one of: ${schema.enum.map(String).join(', ')}`;
  const variants = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (Array.isArray(variants)) return variants.map(typeOf).filter(Boolean).join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : String(schema.type ?? 'any');
  if (type === 'array') return `array of ${typeOf(schema.items as Schema | undefined) || 'any'}`;
  return typeof schema.format === 'string' ? `${type} (${schema.format})` : type;
}

function fieldTable(rows: { name: string; type: string; required: boolean; description: string }[]): string {
  if (rows.length === 0) return '';
  return [
    '<table><thead><tr><th>Name</th><th>Type</th><th>Description</th></tr></thead><tbody>',
    ...rows.map((r) => `<tr><td><code>${escapeHtml(r.name)}</code>${r.required ? '' : ' <span class="muted">optional</span>'}</td>`
      + `<td>${escapeHtml(r.type)}</td><td>${inlineCode(r.description)}</td></tr>`),
    '</tbody></table>',
  ].join('\n');
}

function propertiesOf(schema: Schema | undefined): { name: string; type: string; required: boolean; description: string }[] {
  const properties = (schema?.properties ?? {}) as Record<string, Schema>;
  const required = new Set((schema?.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name, type: typeOf(property), required: required.has(name), description: String(property.description ?? ''),
  }));
}

function operationHtml(method: string, path: string, op: Operation): string {
  const parts = [
    `<section class="operation" id="${escapeHtml(op.operationId)}">`,
    `<h3><span class="method method-${method}">${method}</span> <code>${escapeHtml(path)}</code></h3>`,
    `<p>${inlineCode(op.summary)}${Array.isArray(op.security) && op.security.length === 0 ? ' <span class="muted">(no sign-in needed)</span>' : ''}</p>`,
  ];
  const params = (op.parameters ?? []).map((p) => ({
    name: p.name, type: `${typeOf(p.schema)}, in ${p.in}`, required: p.required === true, description: p.description ?? '',
  }));
  if (params.length) parts.push('<h4>Parameters</h4>', fieldTable(params));
  for (const [type, { schema }] of Object.entries(op.requestBody?.content ?? {})) {
    parts.push(`<h4>Body <span class="muted">${escapeHtml(type)}</span></h4>`, fieldTable(propertiesOf(schema)));
  }
  // The problems every route may answer are one line; those a route describes itself get a row.
  const entries = Object.entries(op.responses);
  const generic = entries.filter(([status, r]) => Number(status) >= 400 && r.description === 'problem').map(([status]) => status);
  const responses = entries.filter(([status]) => !generic.includes(status)).map(([status, r]) => {
    const type = Object.keys(r.content ?? {})[0];
    return `<tr><td>${escapeHtml(status)}</td><td>${inlineCode(r.description)}</td><td class="muted">${escapeHtml(type ?? '')}</td></tr>`;
  });
  parts.push('<h4>Responses</h4>', '<table><tbody>', ...responses, '</tbody></table>');
  if (generic.length) parts.push(`<p class="muted">Also ${escapeHtml(generic.join(', '))} as <a href="/problems">problem+json</a>.</p>`);
  parts.push('</section>');
  return parts.join('\n');
}

export function renderApiReference(doc: OpenApiDocument): string {
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(doc.paths ?? {})) {
    for (const method of METHODS) {
      const op = operations[method];
      if (!op) continue;
      const tag = op.tags?.[0] ?? 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag)!.push(operationHtml(method, path, op));
    }
  }
  const title = `${doc.info?.title ?? 'API'} reference`;
  return renderPage(title, [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p>${escapeHtml(doc.info?.description ?? '')} Version ${escapeHtml(doc.info?.version ?? '')}.</p>`,
    '<p>Send <code>Authorization: Bearer &lt;access token&gt;</code> on every call unless it says otherwise. Errors are',
    '<code>application/problem+json</code>; <a href="/problems">every error code</a> has a page. The same reference for tools:',
    '<a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>',
    `<nav class="toc"><p>${[...byTag.keys()].map((tag) => `<a href="#tag-${escapeHtml(tag.replace(/\W+/g, '-'))}">${escapeHtml(tag)}</a>`).join(' · ')}</p></nav>`,
    ...[...byTag].map(([tag, ops]) => `<h2 id="tag-${escapeHtml(tag.replace(/\W+/g, '-'))}">${escapeHtml(tag)}</h2>\n${ops.join('\n')}`),
  ].join('\n'));
}
