import type { OpenAPIObject } from '@nestjs/swagger';
import { BANK_ID } from './bank-id';
import { problemExample } from './openapi-problem-examples';

// The spec's object types, reached through OpenAPIObject (the package exports no others).
type OperationObject = NonNullable<OpenAPIObject['paths'][string]['get']>;
type ParameterObject = Extract<NonNullable<OperationObject['parameters']>[number], { in: string }>;
type ResponseObject = Extract<OperationObject['responses'][string], { description: string }>;
type SchemaObject = Extract<
  NonNullable<NonNullable<OpenAPIObject['components']>['schemas']>[string],
  { type?: unknown }
>;

const PROBLEM_FIELD: SchemaObject = {
  type: 'object',
  required: ['field', 'message'],
  properties: { field: { type: 'string', example: 'amount_due' }, message: { type: 'string' } },
};

const PROBLEM: SchemaObject = {
  type: 'object',
  description: 'RFC 9457 problem details, sent as application/problem+json',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'A relative URI naming the kind of problem' },
    title: { type: 'string', description: "The status code's reason phrase" },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      description: 'On a 400: each invalid field',
      items: { $ref: '#/components/schemas/ProblemField' },
    },
    correlation_id: {
      type: 'string',
      description: "The request's id, in the service's log too: quote it when reporting",
    },
    retry_after: { type: 'integer', description: 'On a 429: seconds to wait (as Retry-After)' },
    running_run_id: {
      type: 'string',
      format: 'uuid',
      nullable: true,
      description: 'On run-in-progress: the run that holds the lock',
    },
    run_id: { type: 'string', format: 'uuid', description: 'On run-failed: the failed run' },
    existing_invoice_id: {
      type: 'string',
      format: 'uuid',
      nullable: true,
      description: 'On invoice-number-taken: the invoice that has the number',
    },
  },
};

const STANDARD_ERRORS: Record<number, string> = {
  400: 'Invalid input; `errors` lists each field',
  401: 'No valid staff API key (`Authorization: Bearer <key>`)',
  403: "The key's role may not call this route",
  404: 'No such resource',
};

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

/**
 * OpenAPI 3.0's `nullable` adds null only to the `type` beside it; the `allOf` Nest writes for a
 * nullable DTO property (`{ nullable, type: object, allOf: [$ref] }`) still requires the
 * referenced object, so a real `null` fails the document's own schema. Rewritten as "the object
 * or null": the second branch is the 3.0 spelling of JSON Schema's `type: 'null'`.
 */
function nullableRefs(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(nullableRefs);
  if (!node || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  const allOf = schema.allOf as Array<Record<string, unknown>> | undefined;
  if (schema.nullable === true && allOf?.length === 1 && typeof allOf[0].$ref === 'string') {
    delete schema.allOf;
    delete schema.type;
    delete schema.nullable;
    schema.oneOf = [allOf[0], { type: 'object', nullable: true, enum: [null] }];
  }
  Object.values(schema).forEach(nullableRefs);
}

function addError(op: OperationObject, status: number): void {
  op.responses[status] ??= { description: STANDARD_ERRORS[status] };
}

/**
 * What Nest's scanner does not write on its own, so that the document says what the service
 * does: every error answer as problem+json (the `Problem` schema), 401 and 403 on staff routes
 * with the least role that may call each one (from `@MinRole`, as `x-min-role` and in the
 * description; undecorated routes need admin), 400 where there is input, 404 where a path
 * names a resource, and path ids as uuids or bank slugs.
 */
export function completeDocument(doc: OpenAPIObject): OpenAPIObject {
  const schemas = (doc.components ??= {}).schemas ?? (doc.components.schemas = {});
  schemas.ProblemField = PROBLEM_FIELD;
  schemas.Problem = PROBLEM;
  nullableRefs(doc.components);
  nullableRefs(doc.paths);
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const params = (op.parameters ?? []) as ParameterObject[];
      const webhook = path.startsWith('/webhooks/');
      if ((op.security ?? []).length > 0) {
        const extended = op as OperationObject & { 'x-min-role'?: string };
        const role = extended['x-min-role'] ?? 'admin';
        extended['x-min-role'] = role;
        op.description = [`Role: \`${role}\` or above.`, op.description]
          .filter(Boolean)
          .join('\n\n');
        addError(op, 401);
        addError(op, 403);
      }
      if (op.requestBody || params.some((p) => p.in === 'query' || p.in === 'path')) {
        addError(op, 400);
      }
      if (!webhook && params.some((p) => p.in === 'path')) addError(op, 404);
      for (const p of params) {
        if (p.in !== 'path') continue;
        p.schema =
          p.name === 'bankId' || path.startsWith('/banks/')
            ? { type: 'string', pattern: BANK_ID.source, example: 'acme' }
            : { type: 'string', format: 'uuid' };
      }
      for (const [status, response] of Object.entries(op.responses)) {
        const res = response as ResponseObject;
        if (Number(status) >= 400 && !res.content) {
          // Its own example: the schema's alone made every error show one (the 400's) body.
          res.content = {
            'application/problem+json': {
              schema: { $ref: '#/components/schemas/Problem' },
              example: problemExample(Number(status), method, path),
            },
          };
        }
      }
    }
  }
  return doc;
}
