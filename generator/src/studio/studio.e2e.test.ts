import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AggregateRepository,
  EventStoreUnavailableError,
  SqlCheckpointStore,
  type AggregateClass,
  type AggregateRoot,
} from '@eventsmith/runtime';
import { SqliteEventStore } from '@eventsmith/runtime/sqlite';
import { sql } from 'kysely';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isCI } from '@eventsmith/test/support/probe';
import { loadConfig } from '../config/config.js';
import { loadProjectCode, type ProjectCode } from '../ops/project-code.js';
import { StoreInspector } from '../ops/store-inspector.js';
import { loadDomainDiagrams } from './domain-diagram.js';
import { startStudio, type StudioServer } from './studio-server.js';
import { seedBankStore, seedLongAccount, type BankSeed } from './test-support/seed-bank-store.js';

// The studio in a real browser: Debian's chromium driven by playwright-core (no browser download).
// Every wait is on a condition in the page, with generous timeouts for a loaded machine.
const CHROMIUM = '/usr/bin/chromium';
const ROOT = join(import.meta.dirname, '../../..');
const WAIT = { timeout: 30_000 };
/** Per test: several waits may each take long on a loaded machine. */
const TEST_TIMEOUT = 180_000;
const suite = existsSync(CHROMIUM) || isCI ? describe : describe.skip;

suite(
  `eventsmith studio in chromium${existsSync(CHROMIUM) ? '' : ' [skipped: /usr/bin/chromium is not installed]'}`,
  () => {
    let dir: string;
    let file: string;
    let code: ProjectCode;
    let seed: BankSeed;
    let browser: Browser;
    const open: { studio: StudioServer; inspector: StoreInspector }[] = [];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'eventsmith-studio-'));
      file = join(dir, 'bank.sqlite');
      const config = await loadConfig(join(ROOT, 'eventsmith.config.yaml'));
      if (Array.isArray(config)) throw new Error(config.map((e) => e.message).join('\n'));
      code = await loadProjectCode(config);
      seed = await seedBankStore(file, code, ROOT);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
      domain = () => loadDomainDiagrams(config);
    }, 120_000);

    let domain: () => ReturnType<typeof loadDomainDiagrams>;

    afterAll(async () => {
      await browser?.close();
      for (const { studio, inspector } of open) {
        await studio.close();
        await inspector.close();
      }
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    async function studio(
      options: {
        allowWrites?: boolean;
        tenantId?: string;
        token?: string;
        file?: string;
        /** What the studio is given in place of the inspector (which is closed after the tests). */
        wrap?: (inspector: StoreInspector) => StoreInspector;
      } = {},
    ): Promise<{ page: Page; url: string }> {
      const inspector = await StoreInspector.open({
        url: `sqlite:${options.file ?? file}`,
        cwd: dir,
        code,
        ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
      });
      const server = await startStudio({
        inspector: options.wrap ? options.wrap(inspector) : inspector,
        allowWrites: options.allowWrites ?? false,
        port: 0,
        domain,
        ...(options.token !== undefined ? { token: options.token } : {}),
      });
      open.push({ studio: server, inspector });
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      page.setDefaultTimeout(WAIT.timeout);
      return { page, url: server.url };
    }

    const stateText = (page: Page) => page.getByTestId('state').innerText();

    /** A fresh seed in its own file, where AccountSummary also runs for tenant acme (its own checkpoint). */
    async function seedWithTenantCheckpoint(name: string): Promise<string> {
      const scoped = join(dir, name);
      await seedBankStore(scoped, code, ROOT);
      const store = await SqliteEventStore.open({ filename: scoped, registry: code.registry });
      try {
        for await (const stored of store.forTenant('acme').readAll({ limit: 1 }))
          await new SqlCheckpointStore(store.db).forTenant('acme').save('AccountSummary', stored.position);
      } finally {
        await store.close();
      }
      return scoped;
    }

    it(
      'opens an aggregate from the stream list: its timeline, payloads and causation links',
      async () => {
        const { page, url } = await studio();
        await page.goto(url);
        await expect.poll(() => page.getByTestId('stream-row').count(), WAIT).toBe(4);
        await page.getByTestId('stream-search').fill('alice');
        await page.getByTestId('stream-search').press('Enter');
        await expect.poll(() => page.getByTestId('stream-row').count(), WAIT).toBe(1);
        await page.getByRole('link', { name: seed.alice }).click();

        await expect.poll(() => page.getByTestId('stream-title').innerText(), WAIT).toBe(seed.alice);
        await expect
          .poll(() => page.getByTestId('event-type').allInnerTexts(), WAIT)
          .toEqual(['AccountOpened', 'MoneyDeposited', 'MoneyDeposited', 'MoneyWithdrawn']);
        const withdrawal = page.getByTestId('event').nth(3);
        await withdrawal.getByRole('button', { name: /Show payload/ }).click();
        await expect.poll(() => withdrawal.innerText(), WAIT).toContain('transfer to bob');

        // The withdrawal caused Bob's deposit: follow the link, and back through "Caused by".
        await withdrawal.getByTestId('caused').getByRole('link').click();
        await expect.poll(() => page.getByTestId('stream-title').innerText(), WAIT).toBe(seed.bob);
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('2');
        await page.getByRole('link', { name: /MoneyWithdrawn \(BankAccount-alice v4\)/ }).click();
        await expect.poll(() => page.getByTestId('stream-title').innerText(), WAIT).toBe(seed.alice);
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('4');
      },
      TEST_TIMEOUT,
    );

    it(
      'steps through the versions of an aggregate, with the state from its class and a diff',
      async () => {
        const { page, url } = await studio();
        await page.goto(`${url}#/stream?id=${encodeURIComponent(seed.alice)}`);
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('4');
        await page.getByTestId('first-version').click();
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('0');
        await expect.poll(() => stateText(page), WAIT).toContain('"status": "pending"');

        await page.getByTestId('next-version').click();
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('1');
        await expect.poll(() => stateText(page), WAIT).toContain('"ownerName": "Alice"');
        const diff = () => page.getByTestId('state-diff').innerText();
        await expect.poll(diff, WAIT).toMatch(/^\+ .*"status": "open"/m);
        await expect.poll(diff, WAIT).toMatch(/^- .*"status": "pending"/m);

        await page.getByTestId('next-version').click();
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('2');
        await expect.poll(diff, WAIT).toMatch(/^\+ .*"balance": "125\.5/m);
        await expect.poll(diff, WAIT).toMatch(/^- .*"balance": "100/m);

        await page.getByTestId('last-version').click();
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('4');
        await expect.poll(() => stateText(page), WAIT).toMatch(/"balance": "95\.5/);
        await page.getByTestId('previous-version').click();
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('3');
        await expect.poll(() => stateText(page), WAIT).toMatch(/"balance": "135\.5/);
      },
      TEST_TIMEOUT,
    );

    it(
      'retries a dead letter through its projection and it leaves the list',
      async () => {
        const { page, url } = await studio({ allowWrites: true });
        await page.goto(`${url}#/dead-letters`);
        const row = page.locator(`[data-testid="dead-letter-row"][data-id="${seed.deadLetters[seed.bob]}"]`);
        await expect.poll(() => page.getByTestId('dead-letter-row').count(), WAIT).toBe(3);
        await row.getByRole('button', { name: 'Inspect' }).click();
        await expect
          .poll(() => page.getByTestId('dead-letter-details').innerText(), WAIT)
          .toContain('connection to the reporting database was reset');
        await row.getByTestId('retry').click();
        await expect.poll(() => page.getByTestId('action-result').innerText(), WAIT).toContain('resolved');
        await expect.poll(() => row.count(), WAIT).toBe(0);
        await expect.poll(() => page.getByTestId('dead-letter-row').count(), WAIT).toBe(2);

        await page.getByTestId('status-filter').selectOption('resolved');
        await expect.poll(() => row.count(), WAIT).toBe(1);
        await expect.poll(() => row.innerText(), WAIT).toContain('resolved');
      },
      TEST_TIMEOUT,
    );

    it(
      "opens from each Subscriptions row the dead letters that row counts: its tenant's, or the unscoped store's",
      async () => {
        const { page, url } = await studio({ file: await seedWithTenantCheckpoint('scoped.sqlite') });
        await page.goto(`${url}#/subscriptions`);
        const row = (tenant: string) =>
          page.getByTestId('subscription-row').filter({
            has: page.getByTestId('subscription-tenant').getByText(tenant, { exact: true }),
            hasText: 'AccountSummary',
          });
        // acme's dead letter counts in acme's row; Bob's (no tenant) and globex's in the unscoped one.
        await expect.poll(() => row('acme').getByTestId('dead-letters-link').innerText(), WAIT).toBe('1 pending');
        await expect.poll(() => row('—').getByTestId('dead-letters-link').innerText(), WAIT).toBe('2 pending');
        const listed = () =>
          page.getByTestId('dead-letter-row').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));

        await row('acme').getByTestId('dead-letters-link').click();
        await expect.poll(listed, WAIT).toEqual([seed.deadLetters[seed.acme]]);
        await expect.poll(() => page.getByTestId('scope-filter').inputValue(), WAIT).toBe('acme');

        await page.goBack();
        await row('—').getByTestId('dead-letters-link').click();
        await expect.poll(listed, WAIT).toEqual([seed.deadLetters[seed.bob], seed.deadLetters[seed.globex]]);
        await expect.poll(() => page.getByTestId('scope-filter').inputValue(), WAIT).toBe('Unscoped subscriptions');

        // The filter changes the scope of the list: every tenant's again.
        await page.getByTestId('scope-filter').selectOption('Every tenant');
        await expect.poll(() => listed().then((ids) => ids.length), WAIT).toBe(3);
      },
      TEST_TIMEOUT,
    );

    it(
      'refuses a write in read-only mode, in the page and at the API',
      async () => {
        const { page, url } = await studio();
        await page.goto(`${url}#/dead-letters`);
        await expect.poll(() => page.getByTestId('mode-badge').innerText(), WAIT).toBe('read-only');
        const row = page.locator(`[data-testid="dead-letter-row"][data-id="${seed.deadLetters[seed.acme]}"]`);
        await row.getByTestId('retry').click();
        await expect.poll(() => page.getByTestId('error').innerText(), WAIT).toContain('Studio is read-only');
        await expect.poll(() => page.getByTestId('error').innerText(), WAIT).toContain('--allow-writes');
        await page.reload();
        await expect.poll(() => row.count(), WAIT).toBe(1);
        await expect.poll(() => row.innerText(), WAIT).toContain('pending');

        const response = await fetch(new URL(`/api/dead-letters/${seed.deadLetters[seed.acme]}/resolve`, url), {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        });
        expect(response.status).toBe(403);
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('STUDIO.READ_ONLY');
      },
      TEST_TIMEOUT,
    );

    it(
      "keeps a tenant's view within its tenant: streams, timelines, the feed and dead letters",
      async () => {
        const { page, url } = await studio({ tenantId: 'acme', allowWrites: true });
        await page.goto(url);
        await expect.poll(() => page.getByTestId('tenant-badge').innerText(), WAIT).toBe('tenant acme');
        await expect
          .poll(() => page.getByTestId('stream-row').allInnerTexts(), WAIT)
          .toEqual([expect.stringContaining(seed.acme)]);
        await expect.poll(() => page.getByTestId('tenant-filter').count(), WAIT).toBe(0);

        for (const other of [seed.globex, seed.alice]) {
          await page.goto(`${url}#/stream?id=${encodeURIComponent(other)}`);
          await expect
            .poll(() => page.getByTestId('error').innerText(), WAIT)
            .toContain(`There is no stream "${other}"`);
          expect(await page.getByTestId('event').count()).toBe(0);
        }

        await page.goto(`${url}#/feed?from=start`);
        await expect.poll(() => page.getByTestId('feed-row').count(), WAIT).toBe(1);
        await expect.poll(() => page.getByTestId('feed').innerText(), WAIT).toContain(seed.acme);

        await page.goto(`${url}#/dead-letters?status=all`);
        await expect.poll(() => page.getByTestId('dead-letter-row').count(), WAIT).toBe(1);
        await expect.poll(() => page.getByTestId('dead-letters').innerText(), WAIT).toContain(seed.acme);
        // Another tenant's entry is not found, even when its id is known.
        const response = await page.evaluate(async (id) => {
          const r = await fetch(`/api/dead-letters/${id}/resolve`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: '{}',
          });
          return r.status;
        }, seed.deadLetters[seed.globex]!);
        expect(response).toBe(404);
      },
      TEST_TIMEOUT,
    );

    it(
      'tails the global feed live: an event appended while the page is open appears',
      async () => {
        const { page, url } = await studio();
        await page.goto(`${url}#/feed`);
        await page.locator('.dot.live').waitFor(WAIT); // the server has read the feed up to its head
        expect(await page.getByTestId('feed-row').count()).toBe(0);
        const { SqliteEventStore } = await import('@eventsmith/runtime/sqlite');
        const writer = await SqliteEventStore.open({ filename: file, registry: code.registry });
        try {
          const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<
            AggregateRoot<unknown> & { deposit(c: { amount: string; reference: string }): void }
          >;
          await new AggregateRepository(writer, BankAccount).update('alice', (a) =>
            a.deposit({ amount: '1.00', reference: 'live' }),
          );
        } finally {
          await writer.close();
        }
        await expect.poll(() => page.getByTestId('feed-row').count(), WAIT).toBe(1);
        await expect.poll(() => page.getByTestId('feed').innerText(), WAIT).toContain('"reference":"live"');
        await expect.poll(() => page.getByTestId('feed').innerText(), WAIT).toContain(`${seed.alice} v5`);
      },
      TEST_TIMEOUT,
    );

    it(
      'shows the store error on the live feed page when the store fails while the page is open',
      async () => {
        const broken = join(dir, 'broken.sqlite');
        await seedBankStore(broken, code, ROOT);
        const { page, url } = await studio({ file: broken });
        await page.goto(`${url}#/feed?from=start`);
        await expect.poll(() => page.getByTestId('feed-row').count(), WAIT).toBe(8);
        await page.locator('.dot.live').waitFor(WAIT);
        expect(await page.getByTestId('error').count()).toBe(0);

        // Another process drops the events table: the feed's next read fails.
        const other = await SqliteEventStore.open({ filename: broken, registry: code.registry, migrate: false });
        try {
          await sql`DROP TABLE eventsmith_events`.execute(other.db);
        } finally {
          await other.close();
        }
        await expect.poll(() => page.getByTestId('error').count(), WAIT).toBe(1);
        const problem = await page.getByTestId('error').innerText();
        expect(problem).toContain('is not migrated');
        expect(problem).toContain('reconnects by itself');
        expect(problem).not.toMatch(/no such table|SqliteError|\n\s+at /);
        expect(await page.getByTestId('feed-row').count()).toBe(8); // what it showed stays
      },
      TEST_TIMEOUT,
    );

    it(
      'after a passing store failure, the live feed reconnects by itself and goes on after the last event shown',
      async () => {
        const flaky = join(dir, 'flaky.sqlite');
        await seedBankStore(flaky, code, ROOT);
        let down = false;
        // The inspector, except that its feed reads fail while `down`, as with a database restarting.
        const wrap = (inspector: StoreInspector) =>
          new Proxy(inspector, {
            get(target, property) {
              if (property === 'feed')
                return (after: string | null, limit?: number) =>
                  down
                    ? Promise.reject(new EventStoreUnavailableError(`sqlite:${flaky}`, { reason: 'unreachable' }))
                    : target.feed(after, limit);
              const value = Reflect.get(target, property, target) as unknown;
              return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
            },
          });
        const { page, url } = await studio({ file: flaky, wrap });
        await page.goto(`${url}#/feed?from=start`);
        await expect.poll(() => page.getByTestId('feed-row').count(), WAIT).toBe(8);
        await page.locator('.dot.live').waitFor(WAIT);

        down = true;
        await expect.poll(() => page.getByTestId('error').count(), WAIT).toBe(1);
        expect(await page.getByTestId('error').innerText()).toContain('is unavailable');
        expect(await page.getByTestId('error').innerText()).toContain('reconnects by itself in 5 s');
        // An event stored while the feed is down, then the store is back.
        const writer = await SqliteEventStore.open({ filename: flaky, registry: code.registry });
        try {
          const BankAccount = code.aggregates.get('BankAccount') as AggregateClass<
            AggregateRoot<unknown> & { deposit(c: { amount: string; reference: string }): void }
          >;
          await new AggregateRepository(writer, BankAccount).update('alice', (a) =>
            a.deposit({ amount: '2.00', reference: 'while down' }),
          );
        } finally {
          await writer.close();
        }
        down = false;

        // The reconnect resumes after the 8th event (Last-Event-ID): the new one, once, and not
        // the first 8 again (?from=start) nor nothing (the head).
        await expect.poll(() => page.getByTestId('error').count(), WAIT).toBe(0);
        await expect.poll(() => page.getByTestId('feed-row').count(), WAIT).toBe(9);
        await expect.poll(() => page.getByTestId('feed').innerText(), WAIT).toContain('"reference":"while down"');
        await page.locator('.dot.live').waitFor(WAIT);
        expect(await page.getByTestId('feed-row').count()).toBe(9);
      },
      TEST_TIMEOUT,
    );

    it(
      'loads a long timeline in windows and moves the window with the selected version',
      async () => {
        await seedLongAccount(file, code, 'long', 249);
        const { page, url } = await studio();
        await page.goto(`${url}#/stream?id=BankAccount-long&v=10`);
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('10');
        await expect.poll(() => page.getByTestId('event').count(), WAIT).toBe(200);
        await expect.poll(() => page.locator('#event-200').count(), WAIT).toBe(1);
        await page.getByRole('button', { name: /Later events \(versions 201–250\)/ }).click();
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('201');
        await expect.poll(() => page.locator('#event-201').count(), WAIT).toBe(1);
        await expect.poll(() => stateText(page), WAIT).toMatch(/"balance": "200"/);
        await expect.poll(() => page.locator('#event-10').count(), WAIT).toBe(0); // the window is versions 51–250 now
        await page.getByRole('button', { name: /Earlier events \(versions 1–50\)/ }).click();
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('50');
        await expect.poll(() => page.locator('#event-1').count(), WAIT).toBe(1);
      },
      TEST_TIMEOUT,
    );

    it(
      'with a token: the printed URL opens the studio (live feed included), a URL without it is refused',
      async () => {
        const { page, url } = await studio({ token: 'open sesame' });
        expect(url).toContain('?token=open%20sesame');
        await page.goto(url);
        await expect.poll(() => page.getByTestId('stream-row').count(), WAIT).toBeGreaterThanOrEqual(4);
        expect(new URL(page.url()).search).toBe(''); // the token left the address bar for a cookie
        await page.goto(`${new URL(url).origin}/#/feed?from=start`);
        await expect.poll(() => page.getByTestId('feed-row').count(), WAIT).toBeGreaterThan(0);

        const stranger = await browser.newPage();
        try {
          const response = await stranger.goto(new URL(url).origin);
          expect(response?.status()).toBe(401);
          expect(await stranger.locator('body').innerText()).toContain('needs its access token');
        } finally {
          await stranger.close();
        }
      },
      TEST_TIMEOUT,
    );

    // STUDIO_SCREENSHOTS=1 npx vitest run studio.e2e: the README's pictures, into docs/studio/.
    it.runIf(process.env['STUDIO_SCREENSHOTS'])(
      'takes screenshots of the main pages',
      async () => {
        const out = join(ROOT, 'docs/studio');
        await mkdir(out, { recursive: true });
        // AccountSummary runs on the unscoped store and for tenant acme: the pages show both scopes.
        const { page, url } = await studio({ allowWrites: true, file: await seedWithTenantCheckpoint('shots.sqlite') });
        const shoot = (name: string) => page.screenshot({ path: join(out, `${name}.png`) });
        await page.goto(url);
        await expect.poll(() => page.getByTestId('stream-row').count(), WAIT).toBe(4);
        await shoot('streams');
        await page.goto(`${url}#/stream?id=${encodeURIComponent(seed.alice)}&v=2`);
        await expect.poll(() => page.getByTestId('state-version').innerText(), WAIT).toBe('2');
        await page
          .getByTestId('event')
          .nth(1)
          .getByRole('button', { name: /Show payload/ })
          .click();
        await shoot('aggregate');
        await page.goto(`${url}#/dead-letters?status=all`);
        await expect.poll(() => page.getByTestId('dead-letter-row').count(), WAIT).toBeGreaterThan(0);
        await page.getByTestId('dead-letter-row').first().getByRole('button', { name: 'Inspect' }).click();
        await shoot('dead-letters');
        await page.goto(`${url}#/subscriptions`);
        await page.getByTestId('lag-chart').waitFor(WAIT);
        await shoot('subscriptions');
        await page.goto(`${url}#/feed?from=start`);
        await expect.poll(() => page.getByTestId('feed-row').count(), WAIT).toBeGreaterThan(0);
        await shoot('feed');
        await page.goto(`${url}#/domain`);
        await page.getByTestId('domain-diagram').first().waitFor(WAIT);
        await shoot('domain');
      },
      TEST_TIMEOUT,
    );
  },
);
