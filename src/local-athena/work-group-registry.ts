import type { WorkGroupSettings, WorkGroupView } from './session-model.js';
import { PYSPARK_3_ENGINE_VERSION } from './session-model.js';
import type { SessionRecord } from './session-record.js';

export const DEFAULT_ENGINE_VERSION = PYSPARK_3_ENGINE_VERSION;

export interface WorkGroupEntry {
  view: WorkGroupView;
  /** Kept sorted in ListSessions order (session-list-order.ts), so a page is a binary search plus a scan. */
  sessionsInListOrder: SessionRecord[];
}

/** The work groups and, per work group, its sessions in list order. */
export class WorkGroupRegistry {
  private readonly entries = new Map<string, WorkGroupEntry>();

  /** Creates the work group, or returns the existing one unchanged. `now` is its default creation time. */
  create(name: string, settings: WorkGroupSettings, now: number): WorkGroupView {
    const existing = this.entries.get(name);
    if (existing) return { ...existing.view };
    const view: WorkGroupView = {
      name,
      state: settings.state ?? 'ENABLED',
      description: settings.description,
      creationTime: settings.creationTime ?? now,
      engineVersion: settings.engineVersion ?? DEFAULT_ENGINE_VERSION,
      executionRole:
        settings.executionRole ?? `arn:aws:iam::123456789012:role/service-role/AWSAthenaSparkExecutionRole-${name}`,
      outputLocation: settings.outputLocation ?? `s3://local-athena-results/${name}/`,
      encryptionConfiguration: settings.encryptionConfiguration,
    };
    this.entries.set(name, { view, sessionsInListOrder: [] });
    return { ...view };
  }

  entry(name: string): WorkGroupEntry | undefined {
    return this.entries.get(name);
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  get(name: string): WorkGroupView | undefined {
    const entry = this.entries.get(name);
    return entry ? { ...entry.view } : undefined;
  }

  names(): string[] {
    return [...this.entries.keys()];
  }

  /** Work groups in ListWorkGroups order (GUESS: by name), after `afterName`, at most `limit`. */
  page(afterName: string | undefined, limit: number): { workGroups: WorkGroupView[]; hasMore: boolean } {
    const names = [...this.entries.keys()].sort().filter((name) => afterName === undefined || name > afterName);
    return {
      workGroups: names.slice(0, limit).map((name) => ({ ...(this.entries.get(name) as WorkGroupEntry).view })),
      hasMore: names.length > limit,
    };
  }
}
