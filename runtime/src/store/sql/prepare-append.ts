import { DuplicateEventError, InvalidArgumentError, TenantMismatchError } from '../../errors.js';
import { payloadJson, type DomainEvent } from '../../events/domain-event.js';
import { toEventRecordEnvelope, type EventRecordEnvelope } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { toJsonValue } from '../../events/json.js';
import type { AppendOptions } from '../event-store.js';
import type { ExpectedVersion } from '../expected-version.js';
import { checkAppendCall, checkAppendText, checkReadable } from '../store-input.js';

/** An append checked and serialised, ready for an adapter to write. */
export interface PreparedAppend {
  readonly streamId: string;
  readonly expected: ExpectedVersion;
  /** In batch order; `aggregateVersion` is left as the event had it, adapters number rows. */
  readonly records: readonly EventRecordEnvelope[];
  /** `JSON.stringify` of each event's metadata and of its payload's JSON form (`toJsonValue`), in batch order. */
  readonly metadataJson: readonly string[];
  readonly dataJson: readonly string[];
  /** The tenant every event of the batch carries, or `null` when they carry none or several. */
  readonly batchTenant: string | null;
  /** The tenant of the view appending (it owns the stream), if any. */
  readonly viewTenant: string | undefined;
}

/**
 * Everything an append checks before it touches the database, the same for every SQL store:
 * the arguments (`checkAppendCall`), ids and payloads a store can keep exactly (`store-input.ts`), a valid expected version, registered event types, no event id
 * twice in the batch and, in a tenant view, no event of another tenant (events without one get
 * the view's). `maxIdLength` bounds id columns that are VARCHARs (MariaDB).
 */
export function prepareAppend(
  registry: EventRegistry,
  streamId: string,
  events: readonly DomainEvent[],
  options: AppendOptions,
  viewTenant: string | undefined,
  maxIdLength = Infinity,
): PreparedAppend {
  checkAppendCall(streamId, events, options);
  checkLength('stream id', streamId, maxIdLength);
  // One event (most appends) cannot repeat an id within its batch: no set to build.
  const seen = events.length > 1 ? new Set<string>() : undefined;
  const records: EventRecordEnvelope[] = [];
  const metadataJson: string[] = [];
  const dataJson: string[] = [];
  let batchTenant: string | null | undefined;
  for (const event of events) {
    if (viewTenant !== undefined && event.tenantId !== undefined && event.tenantId !== viewTenant) {
      throw new TenantMismatchError(viewTenant, event.tenantId, [event.eventId]);
    }
    checkReadable(registry, event);
    if (seen) {
      if (seen.has(event.eventId)) throw new DuplicateEventError(event.eventId, 'batch');
      seen.add(event.eventId);
    }
    let record = toEventRecordEnvelope(event);
    // The payload's JSON form made when the event was built (its one walk of the payload), else
    // converted here, which also throws SerializationError for what JSON cannot carry.
    const data = JSON.stringify(payloadJson(event) ?? toJsonValue(event.data, 'data'));
    if (viewTenant !== undefined && record.tenantId === null) record = { ...record, tenantId: viewTenant };
    if (maxIdLength !== Infinity) {
      // One call per id rather than a loop over a list of pairs: no arrays to build for every event.
      checkLength('event id', record.eventId, maxIdLength);
      checkLength('aggregate id', record.aggregateId, maxIdLength);
      if (record.tenantId !== null) checkLength('tenant id', record.tenantId, maxIdLength);
      if (record.actorId !== null) checkLength('actor id', record.actorId, maxIdLength);
      checkLength('correlation id', record.correlationId, maxIdLength);
      if (record.causationId !== null) checkLength('causation id', record.causationId, maxIdLength);
    }
    records.push(record);
    metadataJson.push(isEmptyObject(record.metadata) ? '{}' : JSON.stringify(record.metadata));
    dataJson.push(data);
    batchTenant = batchTenant === undefined ? record.tenantId : batchTenant === record.tenantId ? batchTenant : null;
  }
  checkAppendText(streamId, records);
  return {
    streamId,
    expected: options.expectedVersion,
    records,
    metadataJson,
    dataJson,
    batchTenant: batchTenant ?? null,
    viewTenant,
  };
}

/**
 * Most events carry no metadata (the same frozen `{}`); its text needs no `JSON.stringify`. Only a
 * plain object qualifies: an empty array, say, is `[]`.
 */
function isEmptyObject(value: object): boolean {
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  for (const _key in value) return false;
  return true;
}

function checkLength(name: string, value: string, max: number): void {
  if (value.length > max)
    throw new InvalidArgumentError(
      `The ${name} "${value.slice(0, 40)}…" is ${value.length} characters long; this store allows at most ${max}.`,
    );
}

/**
 * The error for `append`, made through the tenant view `viewTenant`, meeting a stream of another
 * tenant (`streamTenant`; absent when the store cannot see whose stream it is).
 */
export function tenantMismatch(
  append: PreparedAppend,
  viewTenant: string,
  streamTenant?: string | null,
): TenantMismatchError {
  return new TenantMismatchError(
    viewTenant,
    streamTenant ?? undefined,
    append.records.map((r) => r.eventId),
  );
}

/**
 * {@link tenantMismatch} when `append` is a tenant view's and `stream`, the stream's row if it has
 * one, belongs to another tenant; otherwise undefined. Stores check it before the version, so
 * that a conflict does not reveal another tenant's stream.
 */
export function streamTenantMismatch(
  append: PreparedAppend,
  stream: { readonly tenant_id: string | null } | undefined,
): TenantMismatchError | undefined {
  const view = append.viewTenant;
  return view !== undefined && stream && stream.tenant_id !== view
    ? tenantMismatch(append, view, stream.tenant_id)
    : undefined;
}
