import { Writable } from 'node:stream';
import pino from 'pino';
import { chooseLogFormat, logDestination } from './log-format';

describe('log format', () => {
  it('pretty on a terminal, JSON otherwise, unless LOG_FORMAT says which', () => {
    expect(chooseLogFormat('auto', { isTTY: true })).toBe('pretty');
    expect(chooseLogFormat('auto', { isTTY: false })).toBe('json');
    expect(chooseLogFormat('auto', {})).toBe('json'); // a pipe or a file has no isTTY
    expect(chooseLogFormat('json', { isTTY: true })).toBe('json');
    expect(chooseLogFormat('pretty', {})).toBe('pretty');
  });

  it('json writes to pino’s own destination; pretty writes readable lines', () => {
    expect(logDestination('json')).toBeUndefined();
    let out = '';
    const terminal = new Writable({
      write(chunk: Buffer, _encoding, done) {
        out += chunk.toString();
        done();
      },
    });
    const pretty = logDestination('pretty', terminal)!;
    pino({ base: { pid: 1, hostname: 'h' } }, pretty).info({ context: 'Test' }, 'hello there');
    expect(out).toMatch(/INFO.*\[Test\] hello there/);
    expect(out).not.toMatch(/^\{/);
    expect(out).not.toContain('hostname');
  });
});
