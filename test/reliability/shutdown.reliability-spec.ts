import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../support/database';
import { recordFigures } from './support/figures';
import { spawnService, tail, type ServiceProcess } from './support/service';

const CLIENTS = 4;

/** GET on a kept-alive connection; its status, or null when the connection failed. */
function ping(agent: Agent, url: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = get(`${url}/health`, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(null));
  });
}

describe('shutdown under steady keep-alive traffic', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bank-sync-shutdown-'));
  const logFile = join(dir, 'service.log');
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.kill9();
    rmSync(dir, { recursive: true, force: true });
  });

  it('finishes while clients keep their connections busy, and a second signal does not cut it', async () => {
    service = await spawnService({ databaseUrl: await createTestDatabase(), logFile });
    const { url } = service;
    // Clients that reuse their connections back to back, like a bank's or a proxy's pool: the
    // HTTP close must not wait for them to stop.
    const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
    let exited = false;
    let answered = 0;
    const client = async (): Promise<void> => {
      const until = Date.now() + 30_000;
      while (!exited && Date.now() < until) {
        const answer = await ping(agent, url);
        if (answer) answered++;
        if (!answer) await new Promise((r) => setTimeout(r, 5));
      }
    };
    const clients = Promise.all(Array.from({ length: CLIENTS }, client));
    await new Promise((r) => setTimeout(r, 300));
    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 50));
    service.child.kill('SIGTERM'); // a supervisor, or a second Ctrl-C
    const code = await service.exited;
    expect(answered).toBeGreaterThan(0); // the clients were busy when the signal came
    const stoppedIn = Date.now() - signalledAt;
    exited = true;
    await clients;
    agent.destroy();
    // Stopped by its own orderly shutdown (exit 0), not by the second signal's default action
    // (code null), and without waiting for the clients to stop (they would go on for 30 s).
    expect({ code, log: code === 0 ? '' : tail(logFile) }).toEqual({ code: 0, log: '' });
    expect(stoppedIn).toBeLessThan(10_000);
    recordFigures('shutdown-under-traffic', {
      stopped_in_ms: stoppedIn,
      answers: answered,
    });
  }, 60_000);
});
