// A small two-aggregate domain for the app tests: orders reserve stock through a reaction.
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import { AggregateRoot } from '../../aggregates/aggregate-root.js';
import { handles } from '../../aggregates/handles.js';
import { CommandRejectedError } from '../../errors.js';
import { defineEvent } from '../../events/domain-event.js';
import { EventRegistry } from '../../events/event-registry.js';
import { defineProjection } from '../../projections/projection.js';
import { defineApp, type Reaction } from '../app-definition.js';
import { dispatchOn } from '../reactions.js';

export class OrderPlaced extends defineEvent({
  type: 'OrderPlaced',
  aggregateType: 'Order',
  schema: z.object({ sku: z.string(), quantity: z.number().int() }),
}) {}
export class StockReceived extends defineEvent({
  type: 'StockReceived',
  aggregateType: 'Stock',
  schema: z.object({ quantity: z.number().int() }),
}) {}
export class StockReserved extends defineEvent({
  type: 'StockReserved',
  aggregateType: 'Stock',
  schema: z.object({ orderId: z.string(), quantity: z.number().int() }),
}) {}

export const registry = EventRegistry.create({ events: [OrderPlaced, StockReceived, StockReserved] });

export const orderPlaceSchema = z.object({
  sku: z.string().min(1),
  quantity: z.number().int().positive().default(1),
});
export const stockReceiveSchema = z.object({ quantity: z.number().int().positive() });
export const stockReserveSchema = z.object({ orderId: z.string(), quantity: z.number().int().positive() });

export class Order extends AggregateRoot<{ placed: boolean }> {
  static override readonly aggregateType = 'Order';
  protected initialState() {
    return { placed: false };
  }
  place(command: z.output<typeof orderPlaceSchema>): void {
    if (this.state.placed) throw new CommandRejectedError(`Order ${this.id} is already placed.`);
    this.raise(new OrderPlaced(command));
  }
  @handles(OrderPlaced)
  onPlaced(): { placed: boolean } {
    return { placed: true };
  }
}

export class Stock extends AggregateRoot<{ available: number }> {
  static override readonly aggregateType = 'Stock';
  /** Counts calls to `reserve`, to prove a redelivery does not run it again. */
  static reserveCalls = 0;
  protected initialState() {
    return { available: 0 };
  }
  receive(command: z.output<typeof stockReceiveSchema>): void {
    this.raise(new StockReceived(command));
  }
  reserve(command: z.output<typeof stockReserveSchema>): void {
    Stock.reserveCalls++;
    if (command.quantity > this.state.available)
      throw new CommandRejectedError(`Only ${this.state.available} of ${this.id} left.`);
    this.raise(new StockReserved(command));
  }
  @handles(StockReceived)
  onReceived(event: StockReceived) {
    return { available: this.state.available + event.data.quantity };
  }
  @handles(StockReserved)
  onReserved(event: StockReserved) {
    return { available: this.state.available - event.data.quantity };
  }
}

const aggregates = {
  order: { aggregateType: 'Order', commands: { place: orderPlaceSchema } },
  stock: { aggregateType: 'Stock', commands: { receive: stockReceiveSchema, reserve: stockReserveSchema } },
} as const;

/** The reaction under test: an order reserves its stock. */
export const reserveStock: Reaction<typeof aggregates> = dispatchOn<typeof aggregates>()({
  name: 'ReserveStockOnOrderPlaced',
  on: OrderPlaced,
  aggregate: 'stock',
  command: 'reserve',
  id: (event) => event.data.sku,
  params: (event) => ({ orderId: event.aggregateId, quantity: event.data.quantity }),
  retry: { maxAttempts: 2, initialDelayMs: 1, maxDelayMs: 5 },
});

export const stockLevels = defineProjection<Kysely<any>>({
  name: 'StockLevels',
  eventTypes: ['StockReceived', 'StockReserved'],
  tables: ['app_test_stock_levels'],
  async handle({ event }, { db }) {
    const delta = event instanceof StockReceived ? event.data.quantity : -(event as StockReserved).data.quantity;
    // Update, else insert: MariaDB has no `on conflict`, and one runner at a time writes the table.
    const updated = await db
      .updateTable('app_test_stock_levels')
      .set({ available: sql`available + ${delta}` })
      .where('sku', '=', event.aggregateId)
      .executeTakeFirst();
    if (Number(updated.numUpdatedRows) === 0)
      await db.insertInto('app_test_stock_levels').values({ sku: event.aggregateId, available: delta }).execute();
  },
});

export const shopApp = defineApp({
  domain: 'AppTestShop',
  aggregates,
  projectionMigrations: {
    '0001_create_app_test_stock_levels': {
      async up(db: Kysely<any>) {
        await db.schema
          .createTable('app_test_stock_levels')
          .addColumn('sku', 'varchar(100)', (c) => c.primaryKey())
          .addColumn('available', 'integer', (c) => c.notNull())
          .execute();
      },
    },
  },
  projections: () => [stockLevels],
  reactions: [reserveStock],
});

export const shopClasses = { order: Order, stock: Stock };
