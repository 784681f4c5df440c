import { mayAct } from './roles';

describe('mayAct', () => {
  it('lets a role do what it or a lower role may, never a higher one', () => {
    expect(mayAct('viewer', 'viewer')).toBe(true);
    expect(mayAct('viewer', 'operator')).toBe(false);
    expect(mayAct('operator', 'operator')).toBe(true);
    expect(mayAct('operator', 'admin')).toBe(false);
    expect(mayAct('admin', 'operator')).toBe(true);
    expect(mayAct(undefined, 'viewer')).toBe(false);
  });
});
