// The read side of MysqlEventStore: stream pages and feed pages as packed rows, and their decode.
import type { CompiledQuery, Kysely } from 'kysely';
import type { Pool } from 'mysql2';
import { decodeAtCurrentVersion } from '../../events/decode-record.js';
import type { DomainEvent, EventInit } from '../../events/domain-event.js';
import type { EventRecord } from '../../events/event-record.js';
import type { EventRegistry } from '../../events/event-registry.js';
import { LastParsedTime, parseIsoTime } from '../../events/iso-time.js';
import type { ReadStreamOptions, StoredEvent } from '../event-store.js';
import { Position } from '../position.js';
import { storedEvent } from '../plain-objects.js';
import { EVENT_COLUMNS, storedEventFromRecord, type FeedFilter } from '../sql/event-rows.js';
import type { EventStoreTables } from '../sql/event-store-tables.js';
import { feedQuery } from '../sql/feed-query.js';
import { utcTimestampMillis } from '../sql/sql-time.js';
import { unavailableOr } from '../sql/store-errors.js';
import { pageStream, streamPageQuery } from '../sql/stream-queries.js';
import { MAX_STREAM_VERSION, streamRange } from '../store-input.js';

/**
 * The envelope of one event and its position as text, in the order of {@link STREAM_VALUES} (a
 * feed row adds its `stream_id` at the end): numbers and times as the server writes them, a
 * nullable column as `''` for NULL and its value after a `=` otherwise.
 */
type EventValues = string[];

/**
 * A packed row once read: the envelope's values, the metadata and payload texts, and the payload
 * as parsed when the row arrived (undefined when its text does not parse: the decode parses the
 * text again and reports it).
 *
 * An instance of a class, not an array literal: V8 decides once per process, per allocation site
 * (a literal, or `new Array`), whether that site allocates in the old generation, from how many of
 * its objects a scavenge finds alive. A page's rows all live until the page has been read, so a
 * scavenge that came while one was held found them all alive and tenured the site for good
 * (`--trace-pretenuring-statistics`: `(991, 991, 1.000000) undecided => tenure`, the tuple's
 * literal slot of the row handler by address): from then on every row's tuple went to the old
 * generation, dead after its page yet holding its young values, texts and payload through every
 * scavenge, which copied and promoted them (5-10 MB a scavenge instead of 15 KB) and brought
 * mark-compacts. That happened in about a quarter of processes, at 3.8-4.6 µs of client CPU per
 * event instead of 2.3-2.5 (W4). Objects from `new` of a class have no allocation site.
 */
export class PackedRow {
  constructor(
    readonly values: EventValues,
    readonly metadata: string,
    readonly data: string,
    readonly payload: unknown,
  ) {}
}

/** A row as mysql2 hands it over (`rowsAsArray`): the packed values, the metadata and payload texts. */
type DriverRow = [values: string, metadata: string, data: string];

/** What the packed text holds, in this order (metadata and payload are columns of their own). */
const STREAM_VALUES = [
  ...EVENT_COLUMNS.filter((column) => column !== 'stream_id' && column !== 'metadata' && column !== 'data'),
  'position',
];
const FEED_VALUES = [...STREAM_VALUES, 'stream_id'];
const OWN_COLUMNS = ['metadata', 'data'];
/** The columns that may be NULL (see {@link EventValues}). */
const NULLABLE = new Set(['tenant_id', 'actor_id', 'causation_id']);

/** Markers compiled in place of the values a read binds (see {@link Statement}). */
const STREAM = { bind: 'stream' } as const;
const FROM = { bind: 'from' } as const;
const TO = { bind: 'to' } as const;
const TENANT = { bind: 'tenant' } as const;
const AFTER = { bind: 'after' } as const;
const LIMIT = { bind: 'limit' } as const;
type Marker = typeof STREAM | typeof FROM | typeof TO | typeof TENANT | typeof AFTER | typeof LIMIT;

/**
 * A read compiled once: its text, the same read with the values as a JSON array instead (for a
 * page whose text does not split, see {@link packed}), and its parameters, with markers where each
 * read binds its own values.
 */
interface Statement {
  readonly sql: string;
  readonly json: string;
  readonly parameters: readonly unknown[];
  /** How many values the packed text holds. */
  readonly count: number;
  readonly nullable: readonly boolean[];
}

/** Compiled statements kept per store, at most this many (filter shapes of `readAll`); then it starts over. */
const STATEMENTS_MAX = 200;

/**
 * `query` with the select list of every `select <columns> from eventsmith_events` in it (one, or
 * one per branch of a union) replaced by three columns: `values` joined into one text by the server
 * (`concat_ws`, separated by U+0000), then `metadata` and `data` as they are. mysql2 reads each
 * column of a row into a JavaScript value on its own, and one text split in JavaScript costs less
 * than a dozen. No text a store accepts holds U+0000 (`checkText`), so the text splits into
 * exactly `values.length` parts; a row written around the store might hold one, and a page where a
 * text does not split so is read again with the values as a JSON array (`json_array`, which the
 * server escapes and which costs it more than the rest of the read: it is not the first choice).
 * The payload and the metadata stay columns of their own, as the driver returns them.
 *
 * The position is one of the values, as text: mysql2 writes a BIGINT column as text (what a JSON
 * number or a double would not keep exactly past 2^53) through 64-bit divisions, 0.15-0.3 µs a
 * row, and as a column of its own a DECIMAL cost the server as much as it saved the client. The
 * branches of a union select the column as well, for the union's outer `order by position` (their
 * rows carry it as a fourth column, unused).
 */
function packed(query: CompiledQuery, columns: readonly string[], values: readonly string[]): Statement {
  const quoted = (column: string) => `\`${column}\``;
  const plain = `select ${columns.map(quoted).join(', ')} from \`eventsmith_events\``;
  const parts = query.sql.split(plain);
  if (parts.length < 2) throw new Error(`MysqlEventStore: unexpected read statement: ${query.sql}`);
  const text = values.map((column) =>
    NULLABLE.has(column) ? `ifnull(concat('=', ${quoted(column)}), '')` : quoted(column),
  );
  const own = parts.length > 2 ? [...OWN_COLUMNS, 'position'] : OWN_COLUMNS;
  const rest = `, ${own.map(quoted).join(', ')} from \`eventsmith_events\``;
  // In JSON, the position is a string: a number past 2^53 would not parse exactly.
  const json = values.map((column) => (column === 'position' ? `cast(${quoted(column)} as char)` : quoted(column)));
  return {
    sql: parts.join(`select concat_ws(char(0 using utf8mb4), ${text.join(', ')}) as \`es_values\`${rest}`),
    json: parts.join(`select json_array(${json.join(', ')}) as \`es_values\`${rest}`),
    parameters: query.parameters,
    count: values.length,
    nullable: values.map((column) => NULLABLE.has(column)),
  };
}

/**
 * Epoch ms of a DATETIME text as the server writes it (`YYYY-MM-DD HH:MM:SS[.fff…]`, UTC), read
 * from its digits; a text `utcTimestampMillis` does not read (a year before 100, say) goes to the
 * general ISO parser.
 */
function datetimeMillis(text: string): number {
  const millis = utcTimestampMillis(text, '');
  return Number.isNaN(millis) ? parseIsoTime(isoOfDatetime(text)) : millis;
}

/** The ISO form of a DATETIME text (for the record of an event the general path decodes). */
function isoOfDatetime(text: string): string {
  // 23 characters: DATETIME(3), the store's column, whose ISO form has the same digits.
  if (text.length === 23) return `${text.slice(0, 10)}T${text.slice(11)}Z`;
  const millis = utcTimestampMillis(text, '');
  return Number.isNaN(millis)
    ? `${text.replace(' ', 'T')}${text.length === 19 ? '.000' : ''}Z`
    : new Date(millis).toISOString();
}

const occurredTimes = new LastParsedTime(datetimeMillis);
const storedTimes = new LastParsedTime(datetimeMillis);

/**
 * How `MysqlEventStore` reads events: each page is one prepared statement (mysql2's binary
 * protocol, prepared once per connection and kept by mysql2) whose rows come back as arrays of
 * three columns (see {@link packed}), the first split into the envelope's values: {@link PackedRow}s,
 * which {@link MysqlReads.decode} turns into stored events. Statements are compiled once per shape
 * (direction, tenant view, filter) with the shared query builders, and bound with each read's values.
 * Reads go to the pool directly rather than through Kysely, whose driver has no row arrays and no
 * prepared statements; like Kysely's reads before, they run outside any transaction of the store.
 *
 * Each row's values are split and its payload parsed as the row arrives (mysql2's row events),
 * while the server still sends the rows after it; the rest of the decode waits for the page. The
 * raw reference's driver parses each payload with its row, so its parsing overlaps the server's
 * part (1.6-1.8 µs of thread CPU per row); the store's had been the packets alone (0.7 µs), its
 * split and every payload's parse coming after the last row. W4 (a 1,000-event stream among
 * 17,000 other events), 10 pairs of processes alternating bundles of the previous code and this,
 * each 20 rounds of 10 loads alternating with the raw read (reader and its server threads reniced,
 * machine at load 2-3): raw ÷ store wall, median over the pairs, 0.83 -> 0.91 (higher in 8 of 10
 * pairs); store ÷ raw client CPU 1.11 -> 1.02, server thread CPU 1.17 -> 1.09. In one process
 * alternating the two ways: wall 4.10 -> 3.00 µs per event (lower in 20/20 rounds), client CPU
 * 3.15 -> 2.75 (16/20): a payload parsed at once, its text still in the cache, costs less than
 * 1,000 rows later. Decoding each row completely as it arrives costs more instead: client CPU
 * 3.00 -> 3.97 µs per event (lower in 9/20), the decoded events outliving the page's arrival.
 *
 * Handing the rows to the reader as they arrive (so the whole decode overlaps the server's
 * sending) was built and measured before, and not used:
 * W4-shaped reads (a 1,000-event stream among 3,000 other events, so the read walks the stream
 * index), 5 alternating process pairs at load 6-8 with the reader and its server thread reniced,
 * gave wall medians of 11.0/12.4/8.6/8.1/7.1 µs per event without it and 11.7/10.2/9.5/7.9/6.8
 * with it, client CPU 3.6-4.2 against 3.7-4.1 µs: no gain beyond the noise. The server's part,
 * 1.8-2.0 µs of thread CPU per row (raw's select 1.6-1.8), is what little there was to overlap;
 * when the stream is most of the table, the server sorts every row before it sends the first.
 * That event mode also needs the connection's own error event watched: a lost connection is
 * reported there, not on the statement. Measured again against the raw reference (W4, 1,000-event
 * stream alone in its table, 30 alternating rounds of 50 loads, server thread CPU from /proc): the
 * store costs less CPU than raw (client 3.9 against 4.7 µs per event, server 2.3 against 2.2) yet
 * takes longer (5.5 against 4.9 µs), because raw's driver parses its rows while the server still
 * sends (its wall is 2.0 µs below its client + server CPU, the store's 0.7). Decoding each row in
 * the row event raised that overlap to 1.4 µs but the client's CPU by 0.7 µs (lower in 2 of 24
 * rounds): no gain in wall (11 of 24).
 *
 * Also measured and not used (same-process rounds against this code): the page as one row
 * (`group_concat` of the packed texts in version order over a version range, so mysql2 parses one
 * row): server 2.53 -> 2.40 µs per event (28 of 40) but client 4.04 -> 4.29 (15 of 40), splitting
 * one large text and parsing payloads cut from it cost more than the rows did; mysql2's text
 * protocol (`query`) instead of the prepared statement: client 4.15 -> 4.95 (2 of 40), server
 * 2.40 -> 2.47; forcing the stream index where the server scans and sorts a stream that fills its
 * table: server 2.30 -> 2.29 (22 of 40), wall 20 of 40.
 */
export class MysqlReads {
  readonly #pool: Pool;
  readonly #db: Kysely<EventStoreTables>;
  readonly #storeId: string;
  readonly #registry: EventRegistry;
  readonly #target: string;
  readonly #statements = new Map<string, Statement>();

  constructor(options: {
    readonly pool: Pool;
    readonly db: Kysely<EventStoreTables>;
    readonly storeId: string;
    readonly registry: EventRegistry;
    readonly target: string;
  }) {
    this.#pool = options.pool;
    this.#db = options.db;
    this.#storeId = options.storeId;
    this.#registry = options.registry;
    this.#target = options.target;
  }

  /** A stream's rows page by page (`pageSize` at most each), in the order `options` asks for. */
  streamPages(
    streamId: string,
    options: ReadStreamOptions,
    pageSize: number,
    tenant: string | undefined,
  ): AsyncGenerator<PackedRow[]> {
    const range = streamRange(streamId, options);
    const statement = this.#streamStatement(range.direction === 'backward', tenant);
    return pageStream(
      range,
      range.limit,
      pageSize,
      (page) => this.#streamRows(statement, streamId, page, tenant),
      (row) => Number(row.values[0]),
    );
  }

  /**
   * The first page of a stream from `from` and the row after it, if any (`pageSize + 1` rows at
   * most): what {@link streamPages} reads first, with the same statement.
   */
  streamPage(streamId: string, from: number, pageSize: number, tenant: string | undefined): Promise<PackedRow[]> {
    const range = streamRange(streamId, { from });
    const page = { from: range.from ?? 1, to: MAX_STREAM_VERSION, limit: pageSize + 1 };
    return this.#streamRows(this.#streamStatement(false, tenant), streamId, page, tenant);
  }

  #streamStatement(backward: boolean, tenant: string | undefined): Statement {
    return this.#statement(`stream ${backward} ${tenant !== undefined}`, () =>
      packed(
        streamPageQuery(
          this.#db,
          [...STREAM_VALUES, ...OWN_COLUMNS],
          STREAM as never,
          { from: FROM as never, to: TO as never, limit: LIMIT as never, backward },
          tenant === undefined ? undefined : (TENANT as never),
        ),
        [...STREAM_VALUES, ...OWN_COLUMNS],
        STREAM_VALUES,
      ),
    );
  }

  #streamRows(
    statement: Statement,
    streamId: string,
    page: { readonly from: number; readonly to: number; readonly limit: number },
    tenant: string | undefined,
  ): Promise<PackedRow[]> {
    return this.#read(statement, (marker) =>
      marker === STREAM
        ? streamId
        : marker === FROM
          ? page.from
          : marker === TO
            ? page.to
            : marker === LIMIT
              ? page.limit
              : tenant,
    );
  }

  /** One page of the feed: at most `limit` rows after position `after` (0n: from the start) that `filter` matches. */
  feedPage(filter: Extract<FeedFilter, { none: false }>, after: bigint, limit: number): Promise<PackedRow[]> {
    const from = after !== 0n;
    const key = `feed ${from} ${JSON.stringify([filter.eventTypes, filter.aggregateTypes, filter.tenantId !== undefined])}`;
    const statement = this.#statement(key, () =>
      packed(
        feedQuery(this.#db, {
          filter,
          select: [...FEED_VALUES, ...OWN_COLUMNS],
          orderBy: ['position'],
          limit: LIMIT as never,
          ...(from ? { after: (eb) => eb('position', '>', AFTER) } : {}),
          value: (column, value) => (column === 'tenant_id' ? (TENANT as never) : value),
        }).compile(),
        [...FEED_VALUES, ...OWN_COLUMNS],
        FEED_VALUES,
      ),
    );
    return this.#read(statement, (marker) =>
      marker === AFTER ? after : marker === LIMIT ? limit : marker === TENANT ? filter.tenantId : marker,
    );
  }

  /**
   * The stored event of a packed row (upcast and validated by the registry as any read is): a
   * stream read passes its `streamId`, a feed read leaves it to the row. With `feed`, a decoding
   * failure is an `UndecodableEventError` at the row's position.
   */
  decode(row: PackedRow, streamId: string | undefined, feed: boolean): StoredEvent {
    const values = row.values;
    const version = Number(values[0]);
    const eventVersion = Number(values[3]);
    const stream = streamId ?? values[13]!;
    const position = Position.of(this.#storeId, positionValue(values[12]!));
    const storedAt = new Date(storedTimes.millis(values[11]!));
    const event = decodeAtCurrentVersion(this.#registry, values[2]!, eventVersion, row, payloadOf, envelopeOf);
    if (event !== undefined) return storedEvent(event, stream, version, position, storedAt);
    const metadata = row.metadata;
    const record: EventRecord = {
      eventId: values[1]!,
      eventType: values[2]!,
      eventVersion,
      aggregateId: values[5]!,
      aggregateType: values[4]!,
      aggregateVersion: version,
      occurredAt: isoOfDatetime(values[7]!),
      tenantId: nullable(values[6]!),
      actorId: nullable(values[8]!),
      correlationId: values[9]!,
      causationId: nullable(values[10]!),
      // Most events carry no metadata: a new empty object costs less than parsing one.
      metadata: metadata === '{}' ? {} : (JSON.parse(metadata) as EventRecord['metadata']),
      data: JSON.parse(row.data) as EventRecord['data'],
    };
    const location = { streamId: stream, streamVersion: version, position, storedAt };
    return storedEventFromRecord(this.#registry, record, location, feed, occurredTimes.millis(values[7]!));
  }

  /** The event of a stream row, as {@link decode} decodes it, without its location. */
  event(row: PackedRow, streamId: string): DomainEvent {
    const values = row.values;
    const event = decodeAtCurrentVersion(this.#registry, values[2]!, Number(values[3]), row, payloadOf, envelopeOf);
    return event ?? this.decode(row, streamId, false).event;
  }

  #statement(key: string, compile: () => Statement): Statement {
    let statement = this.#statements.get(key);
    if (!statement) {
      if (this.#statements.size >= STATEMENTS_MAX) this.#statements.clear();
      this.#statements.set(key, (statement = compile()));
    }
    return statement;
  }

  /** Runs `statement` with each marker bound to `bind(marker)`, and splits each row's values. */
  async #read(statement: Statement, bind: (marker: Marker) => unknown): Promise<PackedRow[]> {
    const parameters = statement.parameters.map((parameter) =>
      typeof parameter === 'object' && parameter !== null && 'bind' in parameter
        ? bind(parameter as Marker)
        : parameter,
    );
    const rows: PackedRow[] = [];
    let split = true;
    await this.#execute(statement.sql, parameters, (row) => {
      if (!split) return;
      const values = row[0].split('\0');
      if (values.length !== statement.count) {
        split = false;
        return;
      }
      // A new row (see PackedRow): a fourth element would grow the driver's array of three.
      rows.push(new PackedRow(values, row[1], row[2], parsedPayload(row[2])));
    });
    return split ? rows : this.#readJson(statement, parameters);
  }

  /** {@link #read} with the values as a JSON array, turned into the same texts. */
  async #readJson(statement: Statement, parameters: unknown[]): Promise<PackedRow[]> {
    const rows: PackedRow[] = [];
    await this.#execute(statement.json, parameters, (row) => {
      const values = JSON.parse(row[0]) as (string | number | null)[];
      const texts = values.map((value, i) =>
        statement.nullable[i] ? (value === null ? '' : `=${value}`) : String(value),
      );
      rows.push(new PackedRow(texts, row[1], row[2], undefined));
    });
    return rows;
  }

  /**
   * Runs `sql` as a prepared statement on a connection of the pool, handing each row to `take` as
   * it arrives. A lost connection is reported on the connection, not on a statement run without a
   * callback: it is watched while the statement runs.
   */
  #execute(sql: string, parameters: unknown[], take: (row: DriverRow) => void): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pool.getConnection((error, connection) => {
        if (error) return reject(unavailableOr(error, this.#target));
        let failure: unknown;
        let settled = false;
        const settle = () => {
          if (settled) return;
          settled = true;
          connection.removeListener('error', lost);
          connection.release();
          if (failure === undefined) resolve();
          else reject(unavailableOr(failure, this.#target));
        };
        const lost = (error: unknown) => {
          failure ??= error;
          settle();
        };
        connection.on('error', lost);
        try {
          connection
            .execute({ sql, rowsAsArray: true }, parameters as never)
            .on('result', (row) => {
              // Thrown here, it would be thrown inside the driver's packet handling.
              try {
                take(row as unknown as DriverRow);
              } catch (error) {
                failure ??= error;
              }
            })
            .on('error', (error: unknown) => void (failure ??= error))
            .on('end', settle);
        } catch (error) {
          lost(error);
        }
      });
    });
  }
}

/** The payload of a row's text, or undefined when it does not parse (see {@link PackedRow}). */
function parsedPayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The payload of a packed row, for {@link decodeAtCurrentVersion}. */
function payloadOf(row: PackedRow): unknown {
  return row.payload ?? JSON.parse(row.data);
}

/** The envelope of a packed row, for {@link decodeAtCurrentVersion}. */
function envelopeOf(row: PackedRow): EventInit {
  const values = row.values;
  const metadata = row.metadata;
  return {
    eventId: values[1]!,
    aggregateId: values[5]!,
    aggregateType: values[4]!,
    aggregateVersion: Number(values[0]),
    occurredAt: occurredTimes.immutableDate(values[7]!),
    tenantId: optional(values[6]!),
    actorId: optional(values[8]!),
    correlationId: values[9]!,
    causationId: optional(values[10]!),
    // Most events carry no metadata: absent gives them the shared empty object at once.
    metadata: metadata === '{}' ? undefined : (JSON.parse(metadata) as EventRecord['metadata']),
  };
}

/** A nullable column's value from its text (see {@link EventValues}). */
function nullable(text: string): string | null {
  return text === '' ? null : text.slice(1);
}

/** {@link nullable}, with undefined for NULL (an event's optional field). */
function optional(text: string): string | undefined {
  return text === '' ? undefined : text.slice(1);
}

/**
 * A position text as `Position.of` takes it: `BigInt` of a text costs several times what `BigInt`
 * of a number does, and a text of at most 15 digits is a number exactly (below 2^53).
 */
function positionValue(text: string): number | bigint {
  return text.length <= 15 ? Number(text) : BigInt(text);
}

/** The position value of a packed row, for the next page of the feed. */
export function positionOf(row: PackedRow): bigint {
  return BigInt(row.values[12]!);
}
