import pg from 'pg';
import { beforeAll, expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { TenantMismatchError } from '../../errors.js';
import { collect, conformanceRegistry } from '../../testing/conformance.js';
import { newStream, noted } from '../../testing/store-conformance-context.js';
import { useRowLevelSecurityStores } from '../../test-support/row-level-security-stores.js';

await describeWithService('postgres', 'PostgresEventStore row-level security (opt-in)', () => {
  const stores = useRowLevelSecurityStores({
    registry: conformanceRegistry,
    role: 'es_app',
    grants: ['select, insert, update on eventsmith_events, eventsmith_streams, eventsmith_snapshots'],
  });
  const t1 = newStream();
  const t2 = newStream();

  beforeAll(async () => {
    const { owner } = stores();
    await owner.appendToStream(t1.streamId, noted(t1, 2, { tenantId: 't1' }), { expectedVersion: 'no_stream' });
    await owner.appendToStream(t2.streamId, noted(t2, 1, { tenantId: 't2' }), { expectedVersion: 'no_stream' });
  });

  it('lets the application role see nothing without a tenant, whatever SQL it runs', async () => {
    const { appUrl } = stores();
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
    const { owner, app } = stores();
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

  it("refuses an append to another tenant's stream inside a tenant view's transaction, which goes on and commits", async () => {
    const { owner, app } = stores();
    const mine = newStream();
    const version = await owner.getStreamVersion(t2.streamId);
    await app.forTenant('t1').transaction(async (tx) => {
      await tx.appendToStream(mine.streamId, noted(mine, 1), { expectedVersion: 'no_stream' });
      // The policies hide t2's stream row from t1: an 'any' append must not try to update it.
      for (const expectedVersion of ['any', 'stream_exists', version] as const) {
        await expect(
          tx.appendToStream(t2.streamId, noted(t2, 1, {}, version + 1), { expectedVersion }),
        ).rejects.toBeInstanceOf(TenantMismatchError);
      }
      await tx.appendToStream(mine.streamId, noted(mine, 1, {}, 2), { expectedVersion: 'any' });
    });
    expect(await owner.getStreamVersion(mine.streamId)).toBe(2);
    expect(await owner.getStreamVersion(t2.streamId)).toBe(version);
  });
});
