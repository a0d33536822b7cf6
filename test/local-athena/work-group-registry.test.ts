import { describe, expect, it } from 'vitest';

import { DEFAULT_ENGINE_VERSION, WorkGroupRegistry } from '../../src/local-athena/work-group-registry.js';

describe('WorkGroupRegistry', () => {
  it('creates once with defaults, hands out copies, and pages by name', () => {
    const registry = new WorkGroupRegistry();
    const created = registry.create('b', {}, 1_000);
    expect(created).toMatchObject({
      name: 'b',
      state: 'ENABLED',
      creationTime: 1_000,
      engineVersion: DEFAULT_ENGINE_VERSION,
      outputLocation: 's3://local-athena-results/b/',
    });
    expect(registry.create('b', { state: 'DISABLED' }, 2_000)).toEqual(created);
    registry.create('a', { engineVersion: 'Athena engine version 3' }, 3_000);
    registry.create('c', {}, 3_000);
    const copy = registry.get('b')!;
    copy.state = 'DISABLED';
    expect(registry.get('b')!.state).toBe('ENABLED');
    expect(registry.has('a')).toBe(true);
    expect(registry.get('missing')).toBeUndefined();
    expect(registry.names()).toEqual(['b', 'a', 'c']);
    const first = registry.page(undefined, 2);
    expect(first.workGroups.map((group) => group.name)).toEqual(['a', 'b']);
    expect(first.hasMore).toBe(true);
    expect(registry.page('b', 2)).toMatchObject({ workGroups: [{ name: 'c' }], hasMore: false });
  });
});
