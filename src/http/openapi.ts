/**
 * The OpenAPI 3.1 document, generated from the route declarations (their zod
 * schemas become JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 */
import { z, type ZodType } from 'zod';
import { PROBLEM_CODES } from './problem-types.js';
import type { AnyRoute } from './route.js';

type JsonSchema = Record<string, unknown>;

/** RFC 9457 problem details, with the codes of the one catalogue (problem-types.ts). */
const problemSchema: JsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail', 'code'],
  properties: {
    type: { type: 'string', format: 'uri-reference', description: 'the page that documents the code, /problems/<code> on this api' },
    title: { type: 'string', description: 'short human title of the code; the same for every answer with that code' },
    status: { type: 'integer' },
    detail: { type: 'string', description: 'what was wrong with this request, for a person to read' },
    code: { type: 'string', enum: PROBLEM_CODES, description: 'stable lower_snake error code; /problems lists them all' },
    request_id: { type: 'string', description: 'quote it when reporting the error' },
    errors: { type: 'array', items: { type: 'object' }, description: 'validation_failed: one entry per invalid field (in, path, message)' },
  },
};

function schemaOf(schema: ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parametersOf(schema: ZodType | undefined, where: 'path' | 'query'): JsonSchema[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
  }));
}

export function buildOpenApi(routes: AnyRoute[], info: { version: string }): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const route of routes) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, JsonSchema> = {};
    for (const [status, response] of Object.entries(route.responses)) {
      const contentType = response.contentType ?? 'application/json';
      const problem = Number(status) >= 400 && !response.schema;
      responses[status] = {
        description: response.description,
        ...(response.schema ? { content: { [contentType]: { schema: schemaOf(response.schema, 'output') } } } : {}),
        ...(problem ? { content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } } : {}),
      };
    }
    const problems = route.auth === 'public' ? ['400', '500'] : ['400', '401', '403', '404', '429', '500'];
    for (const status of problems) {
      responses[status] ??= { description: 'problem', content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } } };
    }
    (paths[path] ??= {})[route.method] = {
      operationId: route.operationId,
      summary: route.summary,
      tags: route.tags,
      ...(route.auth === 'public' ? { security: [] } : {}),
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } } : {}),
      ...(route.multipart
        ? {
            requestBody: {
              required: true,
              content: {
                'multipart/form-data': {
                  schema: { type: 'object', required: [route.multipart.fileField], properties: { [route.multipart.fileField]: { type: 'string', format: 'binary', description: route.multipart.description } } },
                },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Guardian API', version: info.version, description: 'Personal and family health records. Every request runs as its caller under row-level security.' },
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'A Supabase access token' } },
      schemas: { Problem: problemSchema },
    },
    paths,
  };
}
