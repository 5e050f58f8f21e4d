/**
 * The vendored OpenVEX 0.2.0 JSON schema (test/fixtures/openvex, see its
 * SOURCE.md) compiled once, for every test that checks an OpenVEX document.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsPlugin from 'ajv-formats';

// ajv-formats is CommonJS: its plugin is the module's `default` under NodeNext's interop.
const addFormats = addFormatsPlugin.default;
let compiled: { ajv: Ajv2020; validate: ReturnType<Ajv2020['compile']> } | undefined;

function schema(): NonNullable<typeof compiled> {
  if (compiled !== undefined) return compiled;
  const doc = JSON.parse(
    readFileSync(new URL('../../../test/fixtures/openvex/openvex_json_schema.json', import.meta.url), 'utf8'),
  ) as object;
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  // ajv-formats has no `iri`; the WHATWG URL parser accepts IRIs with a scheme (https:, pkg:, urn:).
  ajv.addFormat('iri', {
    type: 'string',
    validate: (s: string) => {
      try {
        new URL(s);
        return true;
      } catch {
        return false;
      }
    },
  });
  compiled = { ajv, validate: ajv.compile(doc) };
  return compiled;
}

/** Whether `doc` is valid against the schema (for tests that expect a refusal). */
export function isOpenVex(doc: unknown): boolean {
  return schema().validate(doc) === true;
}

/** Asserts `doc` is valid against the schema, printing the schema's errors and the document otherwise. */
export function assertOpenVex(doc: unknown): void {
  const { ajv, validate } = schema();
  assert.ok(validate(doc) === true, `OpenVEX schema: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(doc, null, 2)}`);
}
