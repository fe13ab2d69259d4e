import {
  metrics,
  ValueType,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableGauge,
} from '@opentelemetry/api';

/**
 * The metrics the runtime records, by OpenTelemetry name. Durations are in seconds, as the
 * OpenTelemetry conventions ask; a Prometheus exporter shows `eventsmith.store.append.duration`
 * as `eventsmith_store_append_duration_seconds`.
 */
export const MetricNames = {
  /** Gauge: events in the feed after the subscription's checkpoint (capped by `lagCountLimit`). */
  subscriptionLag: 'eventsmith.subscription.lag',
  /** Gauge: age in seconds of the oldest event the subscription has not handled (0 when caught up). */
  subscriptionLagTime: 'eventsmith.subscription.lag_time',
  /** Counter: events handed to a subscription's handler and handled without an error. */
  subscriptionEventsHandled: 'eventsmith.subscription.events_handled',
  /** Histogram: one handler call (one event, or one batch for batch handlers), in seconds. */
  subscriptionHandlerDuration: 'eventsmith.subscription.handler.duration',
  /** Counter: events a subscription parked in its dead-letter queue. */
  subscriptionDeadLetters: 'eventsmith.subscription.dead_letters',
  /** Counter: repository loads that started from a usable snapshot. */
  snapshotHits: 'eventsmith.snapshot.hits',
  /** Counter: repository loads with a snapshot store that replayed from the start (none, outdated or unreadable). */
  snapshotMisses: 'eventsmith.snapshot.misses',
  /** Histogram: one append to an event store, in seconds. */
  storeAppendDuration: 'eventsmith.store.append.duration',
  /** Histogram: one read of a stream or of the global feed, to its last event, in seconds. */
  storeReadDuration: 'eventsmith.store.read.duration',
  /** Counter: events a bus published. */
  busPublished: 'eventsmith.bus.published',
  /** Counter: messages a bus consumer group handled. */
  busConsumed: 'eventsmith.bus.consumed',
  /** Counter: messages delivered again after a failed attempt. */
  busRedelivered: 'eventsmith.bus.redelivered',
  /** Counter: messages moved to a consumer group's dead-letter destination. */
  busDeadLettered: 'eventsmith.bus.dead_lettered',
} as const;

/** Metric attribute names the runtime uses. */
export const MetricAttributes = {
  subscription: 'eventsmith.subscription',
  aggregateType: 'eventsmith.aggregate_type',
  /** The store kind: `memory`, `sqlite`, `postgres` or `mysql`. */
  store: 'eventsmith.store',
  /** `stream` or `all` (the global feed). */
  read: 'eventsmith.read',
  /** The bus: `memory`, `redis`, `rabbitmq`, `nats` or `kafka`. */
  system: 'messaging.system',
  group: 'messaging.consumer.group.name',
  outcome: 'eventsmith.outcome',
} as const;

/** The runtime's instruments, made once per meter provider. */
export interface RuntimeInstruments {
  readonly meter: Meter;
  readonly subscriptionLag: ObservableGauge;
  readonly subscriptionLagTime: ObservableGauge;
  readonly subscriptionEventsHandled: Counter;
  readonly subscriptionHandlerDuration: Histogram;
  readonly subscriptionDeadLetters: Counter;
  readonly snapshotHits: Counter;
  readonly snapshotMisses: Counter;
  readonly storeAppendDuration: Histogram;
  readonly storeReadDuration: Histogram;
  readonly busPublished: Counter;
  readonly busConsumed: Counter;
  readonly busRedelivered: Counter;
  readonly busDeadLettered: Counter;
}

let current: { provider: MeterProvider; instruments: RuntimeInstruments } | undefined;

/**
 * The runtime's instruments on the global meter provider. Without an OpenTelemetry SDK they are
 * no-ops and recording costs a function call. They are made again when the provider changes
 * (an application registers its SDK after importing the runtime).
 */
export function instruments(): RuntimeInstruments {
  const provider = metrics.getMeterProvider();
  if (current?.provider !== provider)
    current = { provider, instruments: make(provider.getMeter('@eventsmith/runtime')) };
  return current.instruments;
}

function make(meter: Meter): RuntimeInstruments {
  const seconds = (name: string, description: string) =>
    meter.createHistogram(name, { description, unit: 's', valueType: ValueType.DOUBLE });
  const count = (name: string, unit: string, description: string) =>
    meter.createCounter(name, { description, unit, valueType: ValueType.INT });
  return {
    meter,
    subscriptionLag: meter.createObservableGauge(MetricNames.subscriptionLag, {
      description: 'Events in the feed after the subscription checkpoint (capped by lagCountLimit).',
      unit: '{event}',
      valueType: ValueType.INT,
    }),
    subscriptionLagTime: meter.createObservableGauge(MetricNames.subscriptionLagTime, {
      description: 'Age of the oldest event the subscription has not handled yet.',
      unit: 's',
      valueType: ValueType.DOUBLE,
    }),
    subscriptionEventsHandled: count(
      MetricNames.subscriptionEventsHandled,
      '{event}',
      'Events a subscription handler handled.',
    ),
    subscriptionHandlerDuration: seconds(
      MetricNames.subscriptionHandlerDuration,
      'Duration of one subscription handler call (one event, or one batch).',
    ),
    subscriptionDeadLetters: count(
      MetricNames.subscriptionDeadLetters,
      '{event}',
      'Events parked in the dead-letter queue.',
    ),
    snapshotHits: count(MetricNames.snapshotHits, '{load}', 'Repository loads that started from a snapshot.'),
    snapshotMisses: count(
      MetricNames.snapshotMisses,
      '{load}',
      'Repository loads with a snapshot store that replayed from the start.',
    ),
    storeAppendDuration: seconds(MetricNames.storeAppendDuration, 'Duration of one append to the event store.'),
    storeReadDuration: seconds(MetricNames.storeReadDuration, 'Duration of one read of a stream or of the feed.'),
    busPublished: count(MetricNames.busPublished, '{message}', 'Events published to the bus.'),
    busConsumed: count(MetricNames.busConsumed, '{message}', 'Messages a consumer group handled.'),
    busRedelivered: count(MetricNames.busRedelivered, '{message}', 'Messages delivered again after a failure.'),
    busDeadLettered: count(MetricNames.busDeadLettered, '{message}', 'Messages moved to the dead-letter destination.'),
  };
}

/** Seconds since `start` (a `performance.now()` reading). */
export function secondsSince(start: number): number {
  return (performance.now() - start) / 1000;
}

/**
 * Records one read of an event store (`eventsmith.store.read.duration`) that started at `start`
 * (a `performance.now()` reading), tagged with the store's id. Stores call it once per
 * `readStream`/`readAll`, when the read finishes, fails or is abandoned: never per event.
 *
 * @example
 * ```ts
 * const start = performance.now();
 * try {
 *   for (const row of rows) yield decode(row);
 * } finally {
 *   recordStoreRead(this.storeId, start);
 * }
 * ```
 */
export function recordStoreRead(storeId: string, start: number): void {
  instruments().storeReadDuration.record(secondsSince(start), { 'eventsmith.store_id': storeId });
}

/** Records the duration of `fn` in `histogram` with `attributes`, whether it succeeds or fails. */
export async function timed<T>(histogram: Histogram, attributes: Attributes, fn: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    histogram.record(secondsSince(start), attributes);
  }
}
