// Created by eventsmith from examples/shop/domain/orders.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import { CommandRejectedError, handles } from '@eventsmith/runtime';
import {
  OrderBase,
  type OrderCancelCommand,
  OrderCancelled,
  OrderDelivered,
  type OrderMarkPaidCommand,
  OrderPaid,
  type OrderPlaceCommand,
  OrderPlaced,
  type OrderShipCommand,
  OrderShipped,
  type OrderState,
} from '../../../../generated/shop/index.js';
import { add, compare } from '../../../decimal.js';

/**
 * A customer's order from placement to delivery.
 *
 * Commands check the state and raise events; `@handles` methods return the next state.
 */
export class Order extends OrderBase {
  /** The place command. May raise OrderPlaced. */
  place(command: OrderPlaceCommand): void {
    if (this.version > 0) throw new CommandRejectedError(`Order ${this.id} was already placed.`);
    if (command.lines.length === 0) throw new CommandRejectedError('An order needs at least one line.');
    const amount = command.lines.reduce((sum, line) => add(sum, multiply(line.unitPrice, line.quantity)), '0');
    this.raiseOrderPlaced({
      customerId: command.customerId,
      lines: command.lines,
      shippingAddress: command.shippingAddress,
      total: { amount, currency: command.currency },
    });
  }

  /** The markPaid command. May raise OrderPaid. */
  markPaid(command: OrderMarkPaidCommand): void {
    if (this.state.status !== 'placed')
      throw new CommandRejectedError(`Order ${this.id} is ${this.state.status}; only placed orders can be paid.`);
    if (!this.state.total || compare(command.amount.amount, this.state.total.amount) !== 0) {
      throw new CommandRejectedError(
        `The payment of ${command.amount.amount} does not match the total of ${this.state.total?.amount}.`,
      );
    }
    this.raiseOrderPaid(command);
  }

  /** The ship command. May raise OrderShipped. */
  ship(command: OrderShipCommand): void {
    if (this.state.status !== 'paid')
      throw new CommandRejectedError(`Order ${this.id} is ${this.state.status}; only paid orders ship.`);
    this.raiseOrderShipped(command);
  }

  /** The confirmDelivery command. May raise OrderDelivered. */
  confirmDelivery(): void {
    if (this.state.status !== 'shipped') throw new CommandRejectedError(`Order ${this.id} has not shipped.`);
    this.raiseOrderDelivered({});
  }

  /** Only orders that have not shipped can be cancelled. May raise OrderCancelled. */
  cancel(command: OrderCancelCommand): void {
    if (this.state.status !== 'placed' && this.state.status !== 'paid') {
      throw new CommandRejectedError(`Order ${this.id} is ${this.state.status}; it can no longer be cancelled.`);
    }
    this.raiseOrderCancelled(command);
  }

  @handles(OrderPlaced)
  onOrderPlaced(event: OrderPlaced): OrderState {
    return {
      ...this.state,
      status: 'placed',
      customerId: event.data.customerId,
      lines: event.data.lines,
      total: event.data.total,
    };
  }

  @handles(OrderPaid)
  onOrderPaid(event: OrderPaid): OrderState {
    return { ...this.state, status: 'paid', paymentId: event.data.paymentId };
  }

  @handles(OrderShipped)
  onOrderShipped(event: OrderShipped): OrderState {
    return { ...this.state, status: 'shipped', trackingNumber: event.data.trackingNumber };
  }

  @handles(OrderDelivered)
  onOrderDelivered(_event: OrderDelivered): OrderState {
    return { ...this.state, status: 'delivered' };
  }

  @handles(OrderCancelled)
  onOrderCancelled(_event: OrderCancelled): OrderState {
    return { ...this.state, status: 'cancelled' };
  }
}

function multiply(price: string, quantity: number): string {
  let total = '0';
  for (let i = 0; i < quantity; i++) total = add(total, price);
  return total;
}
