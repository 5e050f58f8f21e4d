import { z } from 'zod';

/** A JSON Schema object as Fastify's ajv, fast-json-stringify and @fastify/swagger take it. */
export type JsonSchema = Record<string, unknown>;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The JSON Schema of a zod wire schema, for a route's `body`, `querystring`,
 * `params` or `response`: zod is the one schema library, and Fastify validates
 * (ajv) and serializes (fast-json-stringify) from what this returns.
 *
 * Draft-07 because that is the dialect Fastify's default ajv speaks. `input`
 * because a route validates what a client sends, and there a plain
 * z.object() leaves `additionalProperties` open, as the API always has (zod
 * strips unknown keys on parse rather than refusing them; `output` would
 * close every object). `$id` names the schema where one is wanted (`Error`).
 */
export function routeSchema(schema: z.ZodType, options: { $id?: string } = {}): JsonSchema {
  const generated: JsonSchema = z.toJSONSchema(schema, {
    target: 'draft-07',
    io: 'input',
    unrepresentable: 'throw',
    reused: 'inline',
    override: ({ zodSchema, jsonSchema }) => tidy(zodSchema, jsonSchema),
  });
  delete generated['$schema'];
  spellUnionsAsAnyOf(generated);
  return options.$id === undefined ? generated : { $id: options.$id, ...generated };
}

/**
 * Drops what zod adds that says nothing on the wire, so the OpenAPI document
 * reads as the schemas were written: the safe-integer bounds every z.int()
 * carries (JSON numbers past them do not round-trip anyway), the
 * `propertyNames: {type: string}` of a record (every JSON key is a string)
 * and the `\/` a RegExp's source writes for `/` (a pattern has no slashes to
 * delimit it); spells a loose object's "anything else" as
 * `additionalProperties: true`; and says that an intersection of objects is
 * an object.
 */
function tidy(zodSchema: unknown, json: Record<string, unknown>): void {
  if (json['minimum'] === Number.MIN_SAFE_INTEGER && json['maximum'] === Number.MAX_SAFE_INTEGER) {
    delete json['minimum'];
    delete json['maximum'];
  }
  if (typeof json['pattern'] === 'string')
    json['pattern'] = json['pattern'].replace(/\\(.)/gsu, (escape, c: string) => (c === '/' ? c : escape));
  const names = json['propertyNames'];
  if (isRecord(names) && names['type'] === 'string' && Object.keys(names).length === 1) delete json['propertyNames'];
  if (zodSchema instanceof z.ZodObject && isRecord(json['additionalProperties']) && Object.keys(json['additionalProperties']).length === 0)
    json['additionalProperties'] = true;
  if (zodSchema instanceof z.ZodIntersection && zodSchema.def.left instanceof z.ZodObject && zodSchema.def.right instanceof z.ZodObject)
    json['type'] = 'object';
}

/** Keywords whose value is one subschema, and those whose value is a list or a map of them. */
const ONE_SCHEMA = ['items', 'additionalProperties', 'not'] as const;
const SCHEMA_LIST = ['anyOf', 'allOf', 'oneOf'] as const;
const SCHEMA_MAP = ['properties', 'patternProperties'] as const;

/**
 * zod writes `a | null` as `type: [a, "null"]`; ajv words a failure of that
 * differently ("must be string,null") from the `anyOf` the API has always
 * had, so 400 messages would change. Spelled back as `anyOf` of single
 * types, which is the same schema.
 */
function spellUnionsAsAnyOf(json: JsonSchema): void {
  const type = json['type'];
  if (Array.isArray(type)) {
    delete json['type'];
    json['anyOf'] = type.map((t: unknown) => ({ type: t }));
  }
  const children: unknown[] = [];
  for (const key of ONE_SCHEMA) children.push(json[key]);
  for (const key of SCHEMA_LIST) if (Array.isArray(json[key])) children.push(...(json[key] as unknown[]));
  for (const key of SCHEMA_MAP) if (isRecord(json[key])) children.push(...Object.values(json[key]));
  for (const child of children) if (isRecord(child)) spellUnionsAsAnyOf(child);
}
