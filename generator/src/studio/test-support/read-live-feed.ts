import type { Hono } from 'hono';

/** One server-sent event: its fields as sent (`data` lines joined with newlines). */
export interface SseMessage {
  readonly event: string | undefined;
  readonly data: string;
  readonly id: string | undefined;
  readonly retry: string | undefined;
}

/**
 * Requests `path` of the studio `app` and reads its server-sent events until the server ends the
 * stream, or, when `until` is given, until a message satisfies it (the request is then aborted).
 */
export async function readLiveFeed(
  app: Hono,
  path: string,
  options: { headers?: Record<string, string>; until?: (message: SseMessage) => boolean } = {},
): Promise<SseMessage[]> {
  const abort = new AbortController();
  const response = await app.request(path, { headers: options.headers ?? {}, signal: abort.signal });
  if (response.headers.get('content-type') !== 'text/event-stream')
    throw new Error(`${path} answered ${response.status}: ${await response.text()}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const messages: SseMessage[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return messages;
      buffer += value;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const message = parse(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        messages.push(message);
        if (options.until?.(message)) return messages;
      }
    }
  } finally {
    abort.abort();
    await reader.cancel().catch(() => undefined);
  }
}

function parse(block: string): SseMessage {
  const fields = new Map<string, string[]>();
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    fields.set(name, [...(fields.get(name) ?? []), line.slice(colon + 1).replace(/^ /, '')]);
  }
  return {
    event: fields.get('event')?.[0],
    data: (fields.get('data') ?? []).join('\n'),
    id: fields.get('id')?.[0],
    retry: fields.get('retry')?.[0],
  };
}
