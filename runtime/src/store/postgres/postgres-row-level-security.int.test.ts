import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createNonOwnerRole, type NonOwnerRole } from '@eventsmith/test/support/postgres-role';
import { describeWithService, freshPostgresDatabase } from '@eventsmith/test/support/services';
import { TenantMismatchError } from '../../errors.js';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { PostgresEventStore } from './postgres-event-store.js';

await describeWithService('postgres', 'PostgresEventStore row-level security (opt-in)', () => {
  let role: NonOwnerRole | undefined;
  let drop: () => Promise<void>;
  let owner: PostgresEventStore;
  let app: PostgresEventStore;
  let appUrl: string;
  const t1 = newStream();
  const t2 = newStream();

  beforeAll(async () => {
    const fresh = await freshPostgresDatabase();
    drop = fresh.drop;
    owner = await PostgresEventStore.open({ url: fresh.url, registry: conformanceRegistry, rowLevelSecurity: true });
    role = await createNonOwnerRole(fresh.url, 'es_app', [
      'select, insert, update on eventsmith_events, eventsmith_streams, eventsmith_snapshots',
    ]);
    appUrl = role.url;
    app = await PostgresEventStore.open({
      url: appUrl,
      registry: conformanceRegistry,
      rowLevelSecurity: true,
      migrate: false,
    });
    await owner.appendToStream(t1.streamId, noted(t1, 2, { tenantId: 't1' }), { expectedVersion: 'no_stream' });
    await owner.appendToStream(t2.streamId, noted(t2, 1, { tenantId: 't2' }), { expectedVersion: 'no_stream' });
  });

  afterAll(async () => {
    await app?.close();
    await owner?.close();
    await drop?.();
    await role?.drop();
  });

  it('lets the application role see nothing without a tenant, whatever SQL it runs', async () => {
    const client = new pg.Client({ connectionString: appUrl });
    await client.connect();
    try {
      expect((await client.query('select count(*)::int as n from eventsmith_events')).rows[0].n).toBe(0);
      await client.query('begin');
      await client.query(`select set_config('eventsmith.tenant_id', 't1', true)`);
      expect((await client.query('select count(*)::int as n from eventsmith_events')).rows[0].n).toBe(2);
      // Writing a row of another tenant is refused by the policy itself.
      await expect(
        client.query(
          `insert into eventsmith_events (stream_id, version, event_id, event_type, event_version, aggregate_type, aggregate_id, tenant_id,
             occurred_at, correlation_id, metadata, data) values ('X-1', 1, 'e', 'T', 1, 'X', '1', 't2', now(), 'c', '{}', '{}')`,
        ),
      ).rejects.toThrow(/row-level security/);
      await client.query('rollback');
    } finally {
      await client.end();
    }
  });

  it("reads only its tenant's events through a tenant view, and cannot write into another tenant's stream", async () => {
    const view = app.forTenant('t1');
    expect((await collect(view.readAll())).map((e) => e.streamId)).toEqual([t1.streamId, t1.streamId]);
    expect(await collect(view.readStream(t2.streamId))).toEqual([]);
    expect(await view.getStreamVersion(t2.streamId)).toBe(0);
    await expect(
      view.appendToStream(t2.streamId, noted(t2, 1, {}, 2), { expectedVersion: 'any' }),
    ).rejects.toBeInstanceOf(TenantMismatchError);
    const appended = await view.appendToStream(t1.streamId, noted(t1, 1, {}, 3), { expectedVersion: 2 });
    expect(appended.nextVersion).toBe(3);
    expect(await owner.getStreamVersion(t2.streamId)).toBe(1);
    // Without a tenant view the application role is blind.
    expect(await collect(app.readAll())).toEqual([]);
  });
});
