import Ajv from 'ajv';
import addFormats from 'ajv-formats';

/** Just what the OpenAPI tests read of the document. */
export interface OpenApiDoc {
  openapi: string;
  info: { description?: string; license?: { name: string; url?: string } };
  servers?: Array<{ url: string }>;
  tags?: Array<{ name: string; description?: string }>;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown> };
}

export interface MediaType {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { summary?: string; value: unknown }>;
}

export interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Array<Record<string, string[]>>;
  parameters?: Array<{ in: string; name: string; description?: string }>;
  requestBody?: { content: Record<string, MediaType> };
  responses: Record<string, { description: string; content?: Record<string, MediaType> }>;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation of the document, named `method path` as the tests report them. */
export function operations(
  doc: OpenApiDoc,
): Array<{ route: string; method: string; path: string; op: Operation }> {
  return Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => METHODS.includes(method))
      .map(([method, op]) => ({ route: `${method} ${path}`, method, path, op })),
  );
}

/**
 * Ajv over the document's own schemas (OpenAPI 3.0). Ajv knows OpenAPI 3.0's `nullable` (beside a `type`, as
 * the spec reads it); `example` is an annotation of OpenAPI's that JSON Schema lacks. Strict, so
 * a keyword neither knows fails loudly instead of being skipped.
 */
export function schemaValidator(doc: OpenApiDoc): (pointer: string, value: unknown) => string[] {
  const ajv = new Ajv({ strict: true, allErrors: true });
  ajv.addVocabulary(['example']);
  addFormats(ajv);
  // The components as one schema of definitions; refs into them rewritten to point there (the
  // document's root is no schema, and strict mode would refuse its keywords).
  const rebased = JSON.parse(
    JSON.stringify(doc).replaceAll('"#/components/schemas/', '"components#/definitions/'),
  ) as OpenApiDoc;
  // Objects closed (unless the schema says otherwise): a field the service sends that the
  // document does not name fails too. (No `allOf` is left to break: see nullableRefs.)
  close(rebased);
  ajv.addSchema({ $id: 'components', definitions: rebased.components.schemas });
  return (pointer, value) => {
    const schema = pointer
      .split('/')
      .slice(1)
      .reduce<unknown>(
        (node, segment) =>
          (node as Record<string, unknown> | undefined)?.[
            segment.replaceAll('~1', '/').replaceAll('~0', '~')
          ],
        rebased,
      );
    if (schema === undefined) return [`the document has no schema at ${pointer}`];
    const validate = ajv.compile(schema as object);
    return validate(value)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${e.instancePath || '/'} ${e.message} (${e.schemaPath})`,
        );
  };
}

function close(node: unknown): void {
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  if (schema.properties && schema.additionalProperties === undefined) {
    schema.additionalProperties = false;
  }
  Object.values(schema).forEach(close);
}

/** JSON Pointer escaping of one path segment. */
export const pointerSegment = (s: string): string => s.replace(/~/g, '~0').replace(/\//g, '~1');
