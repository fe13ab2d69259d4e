import { randomBytes } from 'node:crypto';
import { peekEnvelope } from '../bus-message.js';
import type { DeliveryOutcome } from '../deliver.js';

/** A message waiting in a retry set or a park list. */
export interface RetryEntry {
  readonly id: string;
  readonly key: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly attempt: number;
  readonly replay?: boolean;
  /** Makes equal entries distinct members of the sorted set. */
  readonly nonce?: string;
}

export function encodeEntry(entry: RetryEntry): string {
  return JSON.stringify({ ...entry, nonce: entry.nonce ?? randomBytes(4).toString('hex') });
}

/** `[name, value, name, value]` → object. */
export function toFields(list: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) out[list[i]!] = list[i + 1]!;
  return out;
}

/** A partition stream entry as published: the key, the body, and the headers next to them. */
export interface StreamEntry {
  readonly key: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** `[name, value, ...]` of a partition stream entry → key, body and the other fields as headers, in one pass. */
export function splitEntry(list: readonly string[]): StreamEntry {
  let key = '';
  let body = '';
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) {
    const name = list[i]!;
    if (name === 'key') key = list[i + 1]!;
    else if (name === 'body') body = list[i + 1]!;
    else headers[name] = list[i + 1]!;
  }
  return { key, body, headers };
}

/** Field/value pairs of a dead-letter stream entry. */
export function deadLetterFields(
  group: string,
  outcome: Extract<DeliveryOutcome, { kind: 'dead-letter' }>,
  entry: RetryEntry,
): string[] {
  const envelope = peekEnvelope(entry.body);
  return [
    'group',
    group,
    'reason',
    outcome.reason,
    'error',
    outcome.error,
    'attempts',
    String(entry.attempt),
    'at',
    String(Date.now()),
    'streamId',
    entry.id,
    'key',
    entry.key,
    'eventType',
    outcome.eventType ?? envelope.eventType ?? '',
    'eventId',
    envelope.eventId ?? '',
    'aggregateType',
    envelope.aggregateType ?? '',
    'aggregateId',
    envelope.aggregateId ?? '',
    'headers',
    JSON.stringify(entry.headers),
    'body',
    entry.body,
  ];
}
