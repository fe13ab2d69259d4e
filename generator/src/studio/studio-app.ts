import { timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  DeadLetterEntryNotFoundError,
  EventsmithError,
  EventStoreUnavailableError,
  InvalidArgumentError,
  Position,
  PositionDecodeError,
  PositionForeignError,
  unavailableOr,
  type DeadLetterStatus,
} from '@eventsmith/runtime';
import { Hono, type Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { streamSSE } from 'hono/streaming';
import { redact } from '../ops/database-url.js';
import { OpsFailure } from '../ops/ops-failure.js';
import { NotRetryableError, StreamNotVisibleError, type StoreInspector } from '../ops/store-inspector.js';
import type { DomainDiagram } from './domain-diagram.js';

export interface StudioAppOptions {
  readonly inspector: StoreInspector;
  /** Retry and resolve dead letters; without it every change is refused with 403. */
  readonly allowWrites: boolean;
  /** Required on every request when set: `Authorization: Bearer <token>`, or `?token=` once (kept in a cookie). */
  readonly token?: string;
  /** Host names the browser may use (DNS-rebinding guard); absent: any. */
  readonly allowedHosts?: readonly string[];
  /** The domain diagrams, loaded from the YAML when first asked for. */
  readonly domain: () => Promise<DomainDiagram[]>;
  /** How often the live feed polls the store, in ms (default 1000). */
  readonly pollMs?: number;
  /** Where a failure the studio cannot explain is written, with its details (default: stderr). */
  readonly log?: (line: string) => void;
}

const UI_DIR = join(import.meta.dirname, 'ui');
const require = createRequire(import.meta.url);
/** The UI's libraries, served from the installed packages as ES modules (no build step). */
const VENDOR: Record<string, string> = {
  'preact.mjs': require.resolve('preact'),
  'hooks.mjs': require.resolve('preact/hooks'),
  'htm.mjs': join(require.resolve('htm').replace(/[\\/]dist[\\/].*$/, ''), 'dist', 'htm.module.js'),
};
const UI_FILES: Record<string, string> = {
  'app.js': 'text/javascript',
  'common.js': 'text/javascript',
  'streams-page.js': 'text/javascript',
  'stream-page.js': 'text/javascript',
  'feed-page.js': 'text/javascript',
  'subscriptions-page.js': 'text/javascript',
  'dead-letters-page.js': 'text/javascript',
  'domain-page.js': 'text/javascript',
  'api.js': 'text/javascript',
  'style.css': 'text/css',
};
const COOKIE = 'eventsmith_studio_token';
/** The `?status=` filters of the dead-letter list. */
const STATUSES: readonly string[] = ['pending', 'retrying', 'resolved', 'all'] satisfies (DeadLetterStatus | 'all')[];
/** Events of a timeline sent at once. */
const TIMELINE_WINDOW = 200;

/**
 * The studio's HTTP app: a JSON API over a {@link StoreInspector}, a server-sent-events feed, and
 * the static UI. Read-only unless `allowWrites`; with a `token`, every request must carry it.
 *
 * @example
 * ```ts
 * const app = createStudioApp({ inspector, allowWrites: false, domain: async () => [] });
 * serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 5555 });
 * ```
 */
export function createStudioApp(options: StudioAppOptions): Hono {
  const { inspector } = options;
  const app = new Hono();

  app.use(async (c, next) => {
    if (options.allowedHosts) {
      const host = hostName(c.req.header('host') ?? new URL(c.req.url).host);
      if (!options.allowedHosts.includes(host))
        return problem(
          c,
          403,
          'STUDIO.HOST',
          `Studio does not answer for host "${host}".`,
          'Open it at the address it printed.',
        );
    }
    if (options.token !== undefined) {
      const query = c.req.query('token');
      const given = bearer(c.req.header('authorization')) ?? getCookie(c, COOKIE) ?? query;
      if (given === undefined || !same(given, options.token))
        return problem(
          c,
          401,
          'STUDIO.TOKEN',
          'This studio needs its access token.',
          'Open the URL with ?token=<token> that `eventsmith studio` printed, or send Authorization: Bearer <token>.',
        );
      if (query !== undefined) setCookie(c, COOKIE, options.token, { httpOnly: true, sameSite: 'Strict', path: '/' });
    }
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      if (!options.allowWrites)
        return problem(
          c,
          403,
          'STUDIO.READ_ONLY',
          'Studio is read-only: retrying and resolving dead letters are turned off.',
          'Restart it with --allow-writes to retry or resolve dead letters.',
        );
      // A JSON body makes a cross-site request send a CORS preflight, which is never granted.
      if (!(c.req.header('content-type') ?? '').startsWith('application/json'))
        return problem(
          c,
          415,
          'STUDIO.CONTENT_TYPE',
          'Changes are sent as JSON.',
          'Send Content-Type: application/json.',
        );
    }
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    c.header('Referrer-Policy', 'no-referrer');
  });

  const storeName =
    inspector.target.dialect === 'sqlite' ? `sqlite:${inspector.target.filename}` : redact(inspector.target.url);
  const log = options.log ?? ((line: string) => void process.stderr.write(`${line}\n`));

  app.onError((thrown, c) => {
    const { status, code, message, fix } = explain(thrown, `${c.req.method} ${c.req.path}`);
    return problem(c, status, code, message, fix);
  });

  /**
   * What a request's failure tells the page: a status, code, message and fix, never a driver's
   * text, a stack or a password. A failure the studio cannot explain is written to the log.
   */
  function explain(thrown: unknown, request: string): Explained {
    // The inspector queries the tables with its own SQL: a driver's error that says the store is
    // gone (connection, database, tables) reads as the store's own failures do.
    const error = unavailableOr(thrown, storeName);
    if (error instanceof StreamNotVisibleError || error instanceof DeadLetterEntryNotFoundError)
      return {
        status: 404,
        code: 'STUDIO.NOT_FOUND',
        message: error.message,
        fix: 'Check the id; a tenant-scoped studio shows its tenant only.',
      };
    if (error instanceof NotRetryableError)
      return { status: 409, code: error.code, message: error.message, fix: 'Resolve it here, or retry it in the app.' };
    if (error instanceof PositionDecodeError || error instanceof PositionForeignError)
      return {
        status: 400,
        code: 'STUDIO.POSITION',
        message: error.message,
        fix: 'Pass a position token the feed returned.',
      };
    if (error instanceof InvalidArgumentError)
      return { status: 400, code: error.code, message: error.message, fix: 'Check the parameters of the request.' };
    if (error instanceof EventStoreUnavailableError)
      return {
        status: 503,
        code: error.code,
        message: error.message,
        fix: error.retryable
          ? 'The studio asks the store again on the next request: reload the page once it is back.'
          : 'Fix the store, then reload the page; the studio asks it again on every request.',
        retryable: error.retryable,
      };
    if (error instanceof OpsFailure) {
      const first = error.errors[0]!;
      return { status: 400, code: first.code, message: first.message, fix: first.fix };
    }
    // Unexplained: the details (a driver's message, a stack) go to the terminal, not the page.
    log(
      `eventsmith studio: ${request} failed: ${redact(error instanceof Error ? (error.stack ?? String(error)) : String(error))}`,
    );
    return {
      status: 500,
      code: 'STUDIO.INTERNAL',
      message:
        error instanceof EventsmithError
          ? error.message
          : `The studio could not answer ${request}: ${error instanceof Error ? error.name : 'a non-Error value was thrown'}.`,
      fix: "The details are in the studio's terminal; this may be a bug in eventsmith.",
    };
  }

  app.get('/', async (c) => c.html(await readFile(join(UI_DIR, 'index.html'), 'utf8')));
  app.get('/ui/:file', async (c) => {
    const type = UI_FILES[c.req.param('file')];
    if (!type) return c.notFound();
    c.header('Content-Type', `${type}; charset=utf-8`);
    return c.body(await readFile(join(UI_DIR, c.req.param('file')), 'utf8'));
  });
  app.get('/vendor/:file', async (c) => {
    const file = VENDOR[c.req.param('file')];
    if (!file) return c.notFound();
    c.header('Content-Type', 'text/javascript; charset=utf-8');
    c.header('Cache-Control', 'max-age=3600');
    return c.body(await readFile(file, 'utf8'));
  });

  app.get('/api/info', async (c) =>
    c.json({
      store: storeName,
      dialect: inspector.target.dialect,
      tenant: inspector.tenantId ?? null,
      allowWrites: options.allowWrites,
      aggregateTypes: inspector.aggregateTypes,
      tenants: await inspector.tenants(),
    }),
  );
  app.get('/api/streams', async (c) => {
    const q = c.req.query();
    return c.json(
      await inspector.streams({
        ...(q['search'] ? { search: q['search'] } : {}),
        ...(q['type'] ? { aggregateType: q['type'] } : {}),
        ...(q['tenant'] ? { tenantId: q['tenant'] } : {}),
        offset: Number(q['offset'] ?? 0) || 0,
        limit: Number(q['limit'] ?? 50) || 50,
      }),
    );
  });
  // A window of the timeline around ?around= (a version; default the last), so long streams stay light.
  app.get('/api/stream', async (c) => {
    const id = required(c, 'id');
    const version = await inspector.streamVersion(id);
    const around = Math.min(Math.max(Number(c.req.query('around') ?? version) || version, 1), Math.max(version, 1));
    const from = Math.max(1, Math.min(around - TIMELINE_WINDOW / 2, version - TIMELINE_WINDOW + 1));
    const to = Math.min(version, from + TIMELINE_WINDOW - 1);
    return c.json({ version, from, to, events: await inspector.timeline(id, { from, to }) });
  });
  app.get('/api/stream/state', async (c) => {
    const version = Number(required(c, 'v'));
    if (!Number.isInteger(version) || version < 0)
      throw new OpsFailure([
        {
          code: 'STUDIO.VERSION',
          message: `?v= must be a version number, not "${c.req.query('v')}".`,
          fix: 'Pass ?v=0 or more.',
        },
      ]);
    return c.json(await inspector.stateAt(required(c, 'id'), version));
  });
  app.get('/api/feed', async (c) => {
    const after = c.req.query('after') ?? null;
    return c.json({ events: await inspector.feed(after, 100), head: await inspector.head() });
  });
  app.get('/api/feed/live', (c) => {
    // A browser reconnecting on its own sends the id (position) of the last event it got: resume
    // after it, neither from the head (losing what came meanwhile) nor from ?from=start again.
    const resume = c.req.header('last-event-id') || undefined;
    const from = resume ?? c.req.query('from');
    if (from !== undefined && from !== 'start') Position.parse(from); // not a position: 400 before streaming
    return streamSSE(c, async (stream) => {
      // The position read up to (null: the start); undefined until the head is read.
      let after: string | null | undefined = from === 'start' ? null : from;
      try {
        if (after === undefined) after = await inspector.head();
        while (!stream.aborted && !stream.closed) {
          const events = await inspector.feed(after, 100);
          for (const event of events)
            await stream.writeSSE({ event: 'event', id: event.position, data: JSON.stringify(event) });
          if (events.length > 0) after = events[events.length - 1]!.position;
          else {
            await stream.writeSSE({ event: 'idle', data: JSON.stringify({ after }) });
            await stream.sleep(options.pollMs ?? 1000);
          }
        }
      } catch (thrown) {
        if (stream.aborted || stream.closed) return; // the page went away: nobody to tell
        await stream.writeSSE(liveFeedFailure(explain(thrown, 'GET /api/feed/live'), after));
        // The stream ends here (streamSSE closes it); the browser reconnects after `retry` ms.
      }
    });
  });
  app.get('/api/subscriptions', async (c) =>
    c.json({ subscriptions: await inspector.subscriptions(), at: new Date().toISOString() }),
  );
  app.get('/api/dead-letters', async (c) => {
    const status = c.req.query('status');
    // An unknown status would match no entry: an empty list that reads as "no dead letters".
    if (status !== undefined && status !== '' && !STATUSES.includes(status))
      throw new OpsFailure([
        {
          code: 'STUDIO.STATUS',
          message: `?status= must be ${STATUSES.join(', ')}, not "${status}".`,
          fix: 'For example ?status=pending.',
        },
      ]);
    const subscription = c.req.query('subscription');
    const tenantId = deadLetterScope(c.req.query('tenant') || undefined, c.req.query('unscoped') || undefined);
    return c.json({
      deadLetters: await inspector.deadLetters({
        ...(status && status !== 'all' ? { status: status as DeadLetterStatus } : {}),
        ...(subscription ? { subscription } : {}),
        ...(tenantId !== undefined ? { tenantId } : {}),
      }),
    });
  });

  /**
   * The scope of the dead letters asked for, as the Subscriptions page's rows count them:
   * `?tenant=<id>` that tenant's, `?unscoped=true` the unscoped store's rows' (null), neither:
   * every entry (undefined). A filter that could only match nothing is refused, not answered with
   * an empty list that reads as "no dead letters".
   */
  function deadLetterScope(tenant: string | undefined, unscoped: string | undefined): string | null | undefined {
    const refuse = (code: string, message: string, fix: string): never => {
      throw new OpsFailure([{ code, message, fix }]);
    };
    if (unscoped !== undefined && unscoped !== 'true')
      refuse('STUDIO.UNSCOPED', `?unscoped= must be true, not "${unscoped}".`, 'Pass ?unscoped=true, or leave it out.');
    if (tenant !== undefined && unscoped !== undefined)
      refuse(
        'STUDIO.TENANT',
        '?tenant= and ?unscoped=true ask for different rows; pass one of them.',
        "?tenant=<id> for a tenant's dead letters, ?unscoped=true for those of the unscoped store's subscriptions.",
      );
    const own = inspector.tenantId;
    if (own !== undefined && unscoped !== undefined)
      refuse(
        'STUDIO.TENANT',
        `This studio shows tenant "${own}" only: it has no unscoped subscriptions.`,
        'Leave ?unscoped= out, or start the studio without --tenant.',
      );
    if (own !== undefined && tenant !== undefined && tenant !== own)
      refuse(
        'STUDIO.TENANT',
        `This studio shows tenant "${own}" only, not "${tenant}".`,
        `Pass ?tenant=${encodeURIComponent(own)} or leave it out, or start the studio without --tenant.`,
      );
    return unscoped !== undefined ? null : tenant;
  }
  app.get('/api/dead-letters/:id', async (c) => c.json(await inspector.deadLetter(c.req.param('id'))));
  app.post('/api/dead-letters/:id/retry', async (c) =>
    c.json({ outcome: await inspector.retryDeadLetter(c.req.param('id'), 'studio') }),
  );
  app.post('/api/dead-letters/:id/resolve', async (c) => {
    await inspector.resolveDeadLetter(c.req.param('id'), 'studio');
    return c.json({ outcome: 'resolved' });
  });
  app.get('/api/domain', async (c) => c.json({ domains: await options.domain() }));
  app.all('/api/*', (c) => problem(c, 404, 'STUDIO.NOT_FOUND', `No API at ${c.req.path}.`, 'See the studio UI.'));
  return app;
}

/** A failure as the page is told it; `retryable` for the store's own failures. */
interface Explained {
  readonly status: 400 | 404 | 409 | 500 | 503;
  readonly code: string;
  readonly message: string;
  readonly fix: string;
  readonly retryable?: boolean;
}

/** How long a browser waits before it reconnects to the live feed after a failure, in ms. */
const LIVE_FEED_RETRY = { retryable: 5000, other: 30_000 } as const;

/**
 * The live feed's last message when reading the store fails: a named `error` event with the
 * problem as the API answers it, a `retry` for the browser's reconnect (sooner when the store's
 * failure may pass by itself), and the position of the last event sent as the id, so that the
 * reconnect resumes after it (Last-Event-ID) even when the stream began at the head and sent none.
 */
function liveFeedFailure(explained: Explained, after: string | null | undefined) {
  const retryable = explained.retryable === true;
  const retry = retryable ? LIVE_FEED_RETRY.retryable : LIVE_FEED_RETRY.other;
  const fix =
    explained.retryable === undefined
      ? explained.fix
      : `${retryable ? '' : 'Fix the store. '}The live feed reconnects by itself in ${retry / 1000} s and goes on after the last event it showed.`;
  return {
    event: 'error',
    data: JSON.stringify({ error: { code: explained.code, message: explained.message, fix }, retryable }),
    retry,
    ...(after ? { id: after } : {}),
  };
}

function problem(
  c: Context,
  status: 400 | 401 | 403 | 404 | 409 | 415 | 500 | 503,
  code: string,
  message: string,
  fix: string,
) {
  return c.json({ error: { code, message, fix } }, status);
}

function required(c: Context, name: string): string {
  const value = c.req.query(name);
  if (!value)
    throw new OpsFailure([
      { code: 'STUDIO.MISSING_PARAMETER', message: `?${name}= is missing.`, fix: `Pass ?${name}=<value>.` },
    ]);
  return value;
}

function bearer(header: string | undefined): string | undefined {
  return /^Bearer (.+)$/.exec(header ?? '')?.[1];
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function hostName(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.replace(/:\d+$/, '');
}
