// The status poller with a PollCoordination, in one process: two pollers stand for two replicas.
import { afterEach, describe, expect, it } from 'vitest';
import type { SessionStatus } from '../../src/athena/port.js';
import {
  type PollCoordination,
  SessionStatusPoller,
  type StatusWatcher,
} from '../../src/subscriptions/status-poller.js';

/** What Redis does for the fleet: one lease holder per key, and a channel per key. */
class SharedBus {
  readonly holders = new Map<string, object>();
  readonly listeners = new Map<string, Set<{ owner: object; onStatus: (status: unknown) => void }>>();

  member(): PollCoordination {
    const owner = {};
    return {
      lead: async (key) => {
        const holder = this.holders.get(key);
        if (holder === undefined) this.holders.set(key, owner);
        return (holder ?? owner) === owner;
      },
      publish: (key, status) => {
        for (const listener of this.listeners.get(key) ?? []) if (listener.owner !== owner) listener.onStatus(status);
      },
      listen: (key, onStatus) => {
        const entry = { owner, onStatus };
        const set = this.listeners.get(key) ?? new Set();
        set.add(entry);
        this.listeners.set(key, set);
        return () => set.delete(entry);
      },
      resign: (key) => {
        if (this.holders.get(key) === owner) this.holders.delete(key);
      },
    };
  }
}

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const status = (state: SessionStatus['state'], modified: number): SessionStatus => ({
  state,
  lastModifiedDateTime: at(modified),
});

function recorder() {
  const seen: string[] = [];
  let completed = false;
  const watcher: StatusWatcher = {
    next: (s) => seen.push(s.state),
    complete: () => (completed = true),
    error: (e) => seen.push(`error ${String(e)}`),
  };
  return { watcher, seen, done: () => completed };
}

const pollers: SessionStatusPoller[] = [];
afterEach(() => {
  for (const poller of pollers.splice(0)) poller.close();
});

async function until(condition: () => boolean): Promise<void> {
  for (let tries = 0; tries < 200 && !condition(); tries += 1) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(condition()).toBe(true);
}

describe('one poll loop per key across pollers', () => {
  it('only the lease holder calls the port; the other hears every change; when it leaves, the other takes over', async () => {
    const bus = new SharedBus();
    let current = status('CREATING', 0);
    const calls = [0, 0];
    const portFor = (index: number) => ({
      getSessionStatus: async (sessionId: string) => {
        calls[index]! += 1;
        return { sessionId, status: current };
      },
    });
    const a = new SessionStatusPoller(portFor(0), { intervalMs: 10, coordination: bus.member() });
    const b = new SessionStatusPoller(portFor(1), { intervalMs: 10, coordination: bus.member() });
    pollers.push(a, b);
    const onA = recorder();
    const onB = recorder();
    const stopA = a.watch('s-1', current, onA.watcher);
    b.watch('s-1', current, onB.watcher);

    current = status('CREATED', 1);
    await until(() => onA.seen.includes('CREATED') && onB.seen.includes('CREATED'));
    expect(calls[1]).toBe(0);
    expect(calls[0]).toBeGreaterThan(0);

    stopA(); // A's last watcher leaves: it resigns, B leads from its next interval
    current = status('IDLE', 2);
    await until(() => onB.seen.includes('IDLE'));
    expect(calls[1]).toBeGreaterThan(0);
    current = status('TERMINATED', 3);
    await until(() => onB.done());
    expect(onB.seen).toEqual(['CREATED', 'IDLE', 'TERMINATED']);
    expect(onA.seen).toEqual(['CREATED']);
  });

  it('a status older than one already shown is never shown (a late replica cannot send a state backwards)', async () => {
    const bus = new SharedBus();
    const member = bus.member();
    const leader = bus.member();
    await leader.lead('session-status:s-2');
    const poller = new SessionStatusPoller(
      { getSessionStatus: async () => ({ sessionId: 's-2', status: status('IDLE', 10) }) },
      { intervalMs: 10, coordination: member },
    );
    pollers.push(poller);
    const watching = recorder();
    poller.watch('s-2', status('CREATED', 5), watching.watcher);
    await new Promise((resolve) => setTimeout(resolve, 5));
    leader.publish('session-status:s-2', status('BUSY', 20));
    leader.publish('session-status:s-2', status('IDLE', 10));
    leader.publish('session-status:s-2', status('BUSY', 20));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(watching.seen).toEqual(['BUSY']);
  });
});
