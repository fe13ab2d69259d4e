import { createRequire } from 'node:module';
import type { ConfirmChannel } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { publishConfirmed } from './rabbitmq-codec.js';

// amqplib's own ConfirmChannel (its confirm bookkeeping is what is under test), on a connection
// stand-in that accepts every frame.
const { ConfirmChannel: AmqplibConfirmChannel } = createRequire(import.meta.url)('amqplib/lib/channel_model.js') as {
  ConfirmChannel: new (connection: unknown) => ConfirmChannel;
};
const acceptingConnection = { sendMessage: () => true, sendMethod: () => true, releaseChannel: () => {} };
/** What amqplib does to each of a connection's channels when the connection is lost. */
const loseConnection = (channel: ConfirmChannel) =>
  (channel as unknown as { toClosed(stack: string): void }).toClosed('connection lost');

describe('publishConfirmed', () => {
  it('fails every unconfirmed publish when the channel closes, even after an out-of-order confirm', async () => {
    const channel = new AmqplibConfirmChannel(acceptingConnection);
    const outcomes = [1, 2, 3].map(() => {
      const outcome: { settled?: 'confirmed' | 'failed' } = {};
      const confirm = publishConfirmed(channel, 'events', 'key', Buffer.from('{}'), {});
      confirm.then(
        () => (outcome.settled = 'confirmed'),
        () => (outcome.settled = 'failed'),
      );
      return outcome;
    });
    // The broker confirms the second message alone, then the connection is lost before the others.
    channel.emit('ack', { deliveryTag: 2, multiple: false });
    loseConnection(channel);
    await new Promise((resolve) => setImmediate(resolve));
    expect(outcomes.map((o) => o.settled)).toEqual(['failed', 'confirmed', 'failed']);
  });

  it('fails at once on a channel that is already closed', async () => {
    const channel = new AmqplibConfirmChannel(acceptingConnection);
    loseConnection(channel);
    await expect(publishConfirmed(channel, 'events', 'key', Buffer.from('{}'), {})).rejects.toThrow();
  });
});
