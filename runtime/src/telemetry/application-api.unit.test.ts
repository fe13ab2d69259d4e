import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { AggregateRepository } from '../aggregates/aggregate-repository.js';
import { InMemoryEventStore } from '../store/memory/in-memory-event-store.js';
import { Counter, counterRegistry } from '../test-support/counter-aggregate.js';

/** The repository root: an application of the runtime, with its own `@opentelemetry/api` and SDK. */
const appRoot = fileURLToPath(new URL('../../../', import.meta.url));
const appRequire = createRequire(`${appRoot}package.json`);
type Api = typeof import('@opentelemetry/api');

/**
 * An application registers its SDK through its own `@opentelemetry/api`. The OpenTelemetry SDK 2.x
 * packages need an API below 1.10, and an API copy refuses a global registered by an older minor
 * version: a runtime that brought its own newer copy recorded nothing at all.
 */
describe("the application's @opentelemetry/api", () => {
  const api = appRequire('@opentelemetry/api') as Api;
  afterAll(() => api.trace.disable());

  it('turns the runtime spans on when the application registers an SDK through it', async () => {
    const exporter = new InMemorySpanExporter();
    api.trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
    const counter = new Counter('c1');
    counter.open('x');
    await new AggregateRepository(new InMemoryEventStore({ registry: counterRegistry }), Counter).save(counter);
    expect(exporter.getFinishedSpans().map((s) => s.name)).toContain('eventsmith.repository.save');
  });

  it('is a range the API the OpenTelemetry SDK 2.x packages accept (below 1.10) satisfies', () => {
    const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      dependencies: Record<string, string>;
    };
    // A caret range from the lowest minor the runtime needs lets npm share the application's copy.
    const range = manifest.dependencies['@opentelemetry/api'];
    expect(range).toMatch(/^\^1\.\d+\.\d+$/);
    expect(Number(range!.split('.')[1])).toBeLessThanOrEqual(9);
  });
});
