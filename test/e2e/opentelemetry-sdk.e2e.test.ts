import { metrics, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { afterAll, describe, expect, it } from 'vitest';
import { createBankRegistry } from '../../generated/bank/index.js';
import { BankAccount } from '../../examples/bank/src/aggregates/bank-account.js';
import { AggregateRepository, type AggregateClass, type AggregateRoot } from '@eventsmith/runtime';

// An app registers the OpenTelemetry SDK through its own `@opentelemetry/api`, the copy npm
// installs next to the SDK packages (whose peer range it must satisfy). The runtime must report
// to that registration: with a private copy of the API it would see none and stay silent.
describe('the runtime with the OpenTelemetry SDK an app registers', () => {
  afterAll(() => {
    trace.disable();
    metrics.disable();
  });

  it('records its spans and metrics', async () => {
    const spans = new InMemorySpanExporter();
    trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }));
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));

    const store = await SqliteEventStore.open({ filename: ':memory:', registry: createBankRegistry() });
    try {
      type Account = AggregateRoot<unknown> & { open(command: { ownerName: string; initialDeposit: string }): void };
      await new AggregateRepository(store, BankAccount as unknown as AggregateClass<Account>).update(
        'otel-1',
        (a) => a.open({ ownerName: 'Alice', initialDeposit: '1.00' }),
        { create: true },
      );
    } finally {
      await store.close();
    }
    await reader.forceFlush();

    expect(spans.getFinishedSpans().map((s) => s.name)).toContain('eventsmith.store.append');
    const names = exporter
      .getMetrics()
      .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics.map((metric) => metric.descriptor.name)));
    expect(names).toContain('eventsmith.store.append.duration');
  });
});
