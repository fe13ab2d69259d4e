import type { Position } from '../store/position.js';
import { checkAfterId } from './dead-letter-id.js';
import { DeadLetterEntryNotFoundError } from './subscription-errors.js';
import { checkTenantId, deadLetterTenant } from './tenant-view.js';
import {
  statusSet,
  type DeadLetterEntry,
  type DeadLetterFilter,
  type DeadLetterQueue,
  type DeadLetterStats,
  type DeadLetterStatus,
  type NewDeadLetter,
} from './dead-letter-queue.js';
import { sameTenantView } from '../tenancy/view-tenant.js';

/**
 * A dead-letter queue in process memory, for tests and single-process tools. Entries are lost on
 * restart, so the manager refuses it next to a durable checkpoint store. Tenant views made with
 * `forTenant` share the queue's memory.
 *
 * @example
 * ```ts
 * const manager = new SubscriptionManager({ store, deadLetters: new InMemoryDeadLetterQueue() });
 * ```
 */
export class InMemoryDeadLetterQueue implements DeadLetterQueue {
  readonly durable = false;
  readonly transactional = false;
  readonly #shared: { readonly entries: Map<string, DeadLetterEntry>; nextId: number };
  readonly #tenantId: string | undefined;

  constructor();
  /** @internal A tenant view over `shared`. */
  constructor(shared: { readonly entries: Map<string, DeadLetterEntry>; nextId: number }, tenantId: string);
  constructor(shared?: { readonly entries: Map<string, DeadLetterEntry>; nextId: number }, tenantId?: string) {
    this.#shared = shared ?? { entries: new Map(), nextId: 1 };
    this.#tenantId = tenantId;
  }

  async add(entry: NewDeadLetter): Promise<DeadLetterEntry> {
    const tenantId = deadLetterTenant(entry, this.#tenantId);
    const now = new Date();
    const existing = [...this.#shared.entries.values()].find(
      (e) => e.subscription === entry.subscription && e.eventId === entry.eventId,
    );
    const stored: DeadLetterEntry = {
      id: existing?.id ?? String(this.#shared.nextId++),
      tenantId,
      subscription: entry.subscription,
      eventId: entry.eventId,
      eventType: entry.eventType,
      streamId: entry.streamId,
      position: entry.position,
      storedAt: entry.storedAt,
      record: entry.record,
      error: entry.error,
      stack: entry.stack ?? null,
      attempts: (existing?.attempts ?? 0) + entry.attempts,
      status: 'pending',
      firstFailedAt: existing?.firstFailedAt ?? now,
      lastFailedAt: now,
      resolvedAt: null,
      resolvedBy: null,
    };
    this.#shared.entries.set(stored.id, stored);
    return stored;
  }

  async get(id: string): Promise<DeadLetterEntry | undefined> {
    const entry = this.#shared.entries.get(id);
    return entry && this.#sees(entry) ? entry : undefined;
  }

  async list(filter: DeadLetterFilter = {}): Promise<DeadLetterEntry[]> {
    const statuses = statusSet(filter.status);
    const afterId = checkAfterId(filter.afterId);
    const after = afterId === undefined ? 0 : Number(afterId);
    return this.#visible()
      .filter((e) => Number(e.id) > after)
      .filter((e) => filter.subscription === undefined || e.subscription === filter.subscription)
      .filter((e) => !statuses || statuses.has(e.status))
      .sort((a, b) => Number(a.id) - Number(b.id))
      .slice(0, filter.limit ?? 100);
  }

  async markRetrying(id: string): Promise<boolean> {
    const entry = this.#require(id);
    if (entry.status !== 'pending') return false;
    this.#shared.entries.set(id, { ...entry, status: 'retrying' });
    return true;
  }

  async release(id: string): Promise<void> {
    const entry = this.#require(id);
    if (entry.status === 'retrying') this.#shared.entries.set(id, { ...entry, status: 'pending' });
  }

  async resolve(id: string, options: { by?: string } = {}): Promise<void> {
    const entry = this.#require(id);
    this.#shared.entries.set(id, {
      ...entry,
      status: 'resolved',
      resolvedAt: new Date(),
      resolvedBy: options.by ?? null,
    });
  }

  async firstUnresolved(subscription: string, upTo: Position): Promise<DeadLetterEntry | undefined> {
    const rank = (e: DeadLetterEntry) => (e.status === 'pending' ? 0 : 1);
    return this.#visible()
      .filter((e) => e.subscription === subscription && e.status !== 'resolved')
      .filter((e) => e.position.storeId === upTo.storeId && !e.position.isAfter(upTo))
      .sort((a, b) => rank(a) - rank(b) || Number(a.id) - Number(b.id))[0];
  }

  async purgeResolved(options: { olderThan?: Date } = {}): Promise<number> {
    let purged = 0;
    for (const entry of this.#visible()) {
      if (entry.status !== 'resolved') continue;
      if (options.olderThan && entry.resolvedAt && entry.resolvedAt >= options.olderThan) continue;
      this.#shared.entries.delete(entry.id);
      purged++;
    }
    return purged;
  }

  async stats(): Promise<DeadLetterStats> {
    return computeStats(this.#visible());
  }

  forTenant(tenantId: string): InMemoryDeadLetterQueue {
    if (sameTenantView('dead-letter queue', this.#tenantId, checkTenantId(tenantId))) return this;
    return new InMemoryDeadLetterQueue(this.#shared, checkTenantId(tenantId));
  }

  #sees(entry: DeadLetterEntry): boolean {
    return this.#tenantId === undefined || entry.tenantId === this.#tenantId;
  }

  #visible(): DeadLetterEntry[] {
    return [...this.#shared.entries.values()].filter((e) => this.#sees(e));
  }

  #require(id: string): DeadLetterEntry {
    const entry = this.#shared.entries.get(id);
    if (!entry || !this.#sees(entry)) throw new DeadLetterEntryNotFoundError(id);
    return entry;
  }
}

/** Stats over a list of entries (also used to check SQL stats in tests). */
export function computeStats(
  entries: readonly Pick<DeadLetterEntry, 'subscription' | 'status' | 'firstFailedAt'>[],
): DeadLetterStats {
  const byStatus: Record<DeadLetterStatus, number> = { pending: 0, retrying: 0, resolved: 0 };
  const per = new Map<string, { subscription: string; pending: number; retrying: number; resolved: number }>();
  let oldest: Date | null = null;
  for (const entry of entries) {
    byStatus[entry.status]++;
    let row = per.get(entry.subscription);
    if (!row)
      per.set(entry.subscription, (row = { subscription: entry.subscription, pending: 0, retrying: 0, resolved: 0 }));
    row[entry.status]++;
    if (entry.status !== 'resolved' && (oldest === null || entry.firstFailedAt < oldest)) oldest = entry.firstFailedAt;
  }
  const bySubscription = [...per.values()].sort(
    (a, b) => b.pending + b.retrying - (a.pending + a.retrying) || (a.subscription < b.subscription ? -1 : 1),
  );
  return { total: entries.length, byStatus, bySubscription, oldestUnresolvedAt: oldest };
}
