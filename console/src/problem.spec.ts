import { readProblem, unreachable } from './problem';

describe('readProblem', () => {
  it('reads a problem+json answer with its fields and correlation id', () => {
    const p = readProblem(400, {
      type: '/problems/validation',
      title: 'Bad Request',
      status: 400,
      detail: 'The request is not valid',
      errors: [{ field: 'note', message: 'note must be a string' }],
      correlation_id: 'c0ffee',
    });
    expect(p).toEqual({
      status: 400,
      title: 'Bad Request',
      detail: 'The request is not valid',
      fields: [{ field: 'note', message: 'note must be a string' }],
      correlationId: 'c0ffee',
      hint: null,
    });
  });

  it('says what to do for 401, 403 and 409', () => {
    expect(readProblem(401, {}).hint).toMatch(/sign in again/);
    expect(readProblem(403, {}).hint).toMatch(/role/);
    expect(readProblem(409, { detail: 'the money moved' })).toMatchObject({
      detail: 'the money moved',
      hint: expect.stringMatching(/reload/),
    });
  });

  it('takes the correlation id from the header when the body has none', () => {
    expect(readProblem(404, { title: 'Not Found' }, 'abc-123').correlationId).toBe('abc-123');
    expect(readProblem(404, { correlation_id: 'body' }, 'header').correlationId).toBe('body');
  });

  it('never shows a 5xx as the person’s fault, and survives a body that is not JSON', () => {
    const p = readProblem(502, '<html>Bad gateway</html>');
    expect(p.title).toBe('The service is unwell');
    expect(p.detail).toMatch(/Nothing was changed/);
    expect(readProblem(418, 'short and stout').detail).toBe('short and stout');
    expect(readProblem(400, null).detail).toBe('The service gave no reason.');
  });

  it('ignores malformed errors entries rather than throwing', () => {
    expect(readProblem(400, { errors: [null, 'x', { field: 'a' }] }).fields).toEqual([
      { field: 'a', message: '' },
    ]);
  });

  it('describes a request that got no answer', () => {
    expect(unreachable(new TypeError('Failed to fetch'))).toMatchObject({
      status: 0,
      detail: 'Failed to fetch',
    });
  });
});
