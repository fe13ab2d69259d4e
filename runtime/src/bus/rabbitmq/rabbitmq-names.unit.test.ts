import { describe, expect, it } from 'vitest';
import { bindingKeys, partitionOf, rabbitMqNames, routingKey } from './rabbitmq-names.js';

describe('RabbitMQ topology', () => {
  it('names every resource under the namespace', () => {
    const names = rabbitMqNames('shop');
    expect(names.exchange).toBe('shop.events');
    expect(names.partitionQueue('billing', 3)).toBe('shop.billing.p3');
    expect(names.delayQueue('billing', 400)).toBe('shop.billing.delay.400ms');
    expect(names.deadLetterQueue('billing')).toBe('shop.billing.dead-letters');
  });

  it('hashes an aggregate to a stable partition and spreads aggregates over all partitions', () => {
    expect(partitionOf('Order-42', 8)).toBe(partitionOf('Order-42', 8));
    const counts = new Array<number>(8).fill(0);
    for (let i = 0; i < 8000; i++) counts[partitionOf(`Order-${i}`, 8)]!++;
    for (const count of counts) expect(count).toBeGreaterThan(800);
  });

  it('escapes dots and wildcards so each routing key has exactly three words', () => {
    expect(routingKey(2, 'Order', 'shop.OrderPlaced')).toBe('2.Order.shop%2EOrderPlaced');
    expect(routingKey(0, 'A#*', 'B')).toBe('0.A%23%2A.B');
  });

  it('binds a partition queue for every combination of filters', () => {
    expect(bindingKeys(1, undefined, undefined)).toEqual(['1.#']);
    expect(bindingKeys(1, ['x.Shipped'], undefined)).toEqual(['1.*.x%2EShipped']);
    expect(bindingKeys(1, undefined, ['Customer'])).toEqual(['1.Customer.*']);
    expect(bindingKeys(1, ['A', 'B'], ['Order'])).toEqual(['1.Order.A', '1.Order.B']);
  });
});
