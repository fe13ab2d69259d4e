import { ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { extractTraceContext, injectTraceHeaders, stringHeaders } from './trace-headers.js';

// No global propagator is registered here, so these exercise the built-in W3C fallback.
const spanContext = {
  traceId: '0af7651916cd43dd8448eb211c80319c',
  spanId: 'b7ad6b7169203331',
  traceFlags: TraceFlags.SAMPLED,
};

describe('trace headers', () => {
  it('writes traceparent for the active span context even without a registered propagator', () => {
    const headers: Record<string, string> = {};
    injectTraceHeaders(headers, trace.setSpanContext(ROOT_CONTEXT, spanContext));
    expect(headers).toEqual({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
  });

  it('writes nothing outside a span', () => {
    const headers: Record<string, string> = {};
    injectTraceHeaders(headers, ROOT_CONTEXT);
    expect(headers).toEqual({});
  });

  it('reads the remote parent back, with tracestate', () => {
    const ctx = extractTraceContext({
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
      tracestate: 'vendor=abc',
    });
    const parent = trace.getSpanContext(ctx);
    expect(parent).toMatchObject({ ...spanContext, isRemote: true });
    expect(parent?.traceState?.get('vendor')).toBe('abc');
  });

  it('ignores malformed or all-zero traceparent values', () => {
    for (const traceparent of [
      'garbage',
      '00-00000000000000000000000000000000-b7ad6b7169203331-01',
      'ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    ]) {
      expect(trace.getSpanContext(extractTraceContext({ traceparent }))).toBeUndefined();
    }
  });

  it('turns broker header values into strings', () => {
    expect(stringHeaders({ a: 'x', b: Buffer.from('y'), c: 3, d: { nested: true }, e: undefined })).toEqual({
      a: 'x',
      b: 'y',
      c: '3',
    });
  });
});
