/**
 * Route schemas are written in zod and handed to Fastify as generated JSON
 * Schema: these pin the spellings the OpenAPI document and ajv's 400
 * messages depend on, so a zod upgrade cannot change them unnoticed.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { routeSchema } from '../../src/server/route-schema.js';
import { ErrorReplySchema } from '../../src/server/schemas.js';

test('objects stay open, nullable is anyOf, integers carry no bounds, and there is no $schema', () => {
  const json = routeSchema(z.object({ n: z.int().nullable().describe('n'), s: z.string().optional() }));
  assert.deepEqual(json, {
    type: 'object',
    properties: { n: { description: 'n', anyOf: [{ type: 'integer' }, { type: 'null' }] }, s: { type: 'string' } },
    required: ['n'],
  });
});

test('records, loose objects, patterns and intersections read as written', () => {
  const json = routeSchema(
    z.intersection(
      z.object({ media: z.string().regex(/^application\/vnd\.x/), extra: z.looseObject({}) }),
      z.object({ tags: z.record(z.string(), z.string()) }),
    ),
  );
  assert.deepEqual(json, {
    type: 'object',
    allOf: [
      {
        type: 'object',
        properties: {
          media: { type: 'string', pattern: '^application/vnd\\.x' },
          extra: { type: 'object', properties: {}, additionalProperties: true },
        },
        required: ['media', 'extra'],
      },
      { type: 'object', properties: { tags: { type: 'object', additionalProperties: { type: 'string' } } }, required: ['tags'] },
    ],
  });
});

test('the error reply keeps its $id', () => {
  assert.equal(ErrorReplySchema['$id'], 'Error');
  assert.deepEqual(ErrorReplySchema['required'], ['code', 'message']);
});
