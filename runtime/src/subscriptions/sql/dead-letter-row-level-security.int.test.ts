import pg from 'pg';
import { expect, it } from 'vitest';
import { describeWithService } from '@eventsmith/test/support/services';
import { toEventRecord } from '../../events/event-record.js';
import { Position } from '../../store/position.js';
import { useRowLevelSecurityStores } from '../../test-support/row-level-security-stores.js';
import { Deposited, registry } from '../../test-support/subscription-fixtures.js';
import { SqlDeadLetterQueue } from './sql-dead-letter-queue.js';

function parked(tenantId: string) {
  const event = new Deposited({ amount: 1 }, { aggregateId: `${tenantId}-a`, aggregateVersion: 1, tenantId });
  return {
    subscription: 'mail',
    eventId: event.eventId,
    eventType: 'Deposited',
    streamId: `Account-${tenantId}-a`,
    position: Position.of('pg:test', 1),
    storedAt: new Date(),
    record: toEventRecord(event),
    error: `Error: ${tenantId}-secret`,
    attempts: 1,
  };
}

await describeWithService('postgres', 'dead letters under PostgreSQL row-level security (opt-in)', () => {
  const stores = useRowLevelSecurityStores({
    registry,
    role: 'es_dlq',
    grants: [
      'select, insert, update, delete on eventsmith_dead_letters',
      'usage on sequence eventsmith_dead_letters_id_seq',
    ],
    subscriptionTables: true,
  });

  it("lets a role under the policies see and write only the tenant it sets; the owner's queue sees every tenant", async () => {
    const { owner, app, appUrl } = stores();
    const queue = new SqlDeadLetterQueue(app.db);
    const [t1, t2] = [await queue.forTenant('t1').add(parked('t1')), await queue.forTenant('t2').add(parked('t2'))];
    expect(await queue.list()).toEqual([]); // no tenant set: nothing
    expect((await queue.forTenant('t1').list()).map((e) => e.id)).toEqual([t1.id]);
    expect((await queue.forTenant('t1').stats()).total).toBe(1);
    const client = new pg.Client({ connectionString: appUrl });
    await client.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('eventsmith.tenant_id', 't1', true)`);
      expect((await client.query('select id::text as id, tenant_id from eventsmith_dead_letters')).rows).toEqual([
        { id: t1.id, tenant_id: 't1' },
      ]);
      expect(
        (await client.query(`update eventsmith_dead_letters set status = 'resolved' where id = $1`, [t2.id])).rowCount,
      ).toBe(0);
      await expect(
        client.query(
          `insert into eventsmith_dead_letters (tenant_id, subscription, event_id, event_type, stream_id, position, stored_at, record,
             error, attempts, status, first_failed_at, last_failed_at) values ('t2', 'mail', 'x', 'Deposited', 's', 'p', 0, '{}', 'e', 1, 'pending', 0, 0)`,
        ),
      ).rejects.toThrow(/row-level security/);
      await client.query('rollback');
    } finally {
      await client.end();
    }
    const all = await new SqlDeadLetterQueue(owner.db).list();
    expect(all.map((e) => [e.tenantId, e.status])).toEqual([
      ['t1', 'pending'],
      ['t2', 'pending'],
    ]);
  });
});
