// Created by eventsmith from examples/shop/domain/payments.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import { CommandRejectedError, handles } from '@eventsmith/runtime';
import {
  PaymentAuthorized,
  type PaymentAuthorizeCommand,
  PaymentBase,
  PaymentCaptured,
  PaymentFailed,
  PaymentRefunded,
  type PaymentRefundCommand,
  type PaymentState,
} from '../../../../generated/shop/index.js';
import { add, compare, subtract } from '../../../decimal.js';

/**
 * A payment for an order, authorised then captured.
 *
 * Commands check the state and raise events; `@handles` methods return the next state.
 */
export class Payment extends PaymentBase {
  /** The authorize command. May raise PaymentAuthorized, PaymentFailed. */
  authorize(command: PaymentAuthorizeCommand): void {
    if (this.version > 0) throw new CommandRejectedError(`Payment ${this.id} already exists.`);
    if (compare(command.amount.amount, '0') <= 0) {
      this.raisePaymentFailed({ orderId: command.orderId, reason: 'The amount must be positive.' });
      return;
    }
    this.raisePaymentAuthorized(command);
  }

  /** The capture command. May raise PaymentCaptured. */
  capture(): void {
    if (this.state.status !== 'authorized' || !this.state.amount)
      throw new CommandRejectedError(
        `Payment ${this.id} is ${this.state.status}; only authorised payments are captured.`,
      );
    this.raisePaymentCaptured({ amount: this.state.amount });
  }

  /** The refund command. May raise PaymentRefunded. */
  refund(command: PaymentRefundCommand): void {
    if (this.state.status !== 'captured' && this.state.status !== 'refunded')
      throw new CommandRejectedError('Only captured payments can be refunded.');
    const left = subtract(this.state.amount?.amount ?? '0', this.state.refunded);
    if (compare(command.amount, left) > 0) throw new CommandRejectedError(`At most ${left} can still be refunded.`);
    this.raisePaymentRefunded(command);
  }

  @handles(PaymentAuthorized)
  onPaymentAuthorized(event: PaymentAuthorized): PaymentState {
    return {
      ...this.state,
      status: 'authorized',
      orderId: event.data.orderId,
      amount: event.data.amount,
      method: event.data.method,
    };
  }

  @handles(PaymentCaptured)
  onPaymentCaptured(_event: PaymentCaptured): PaymentState {
    return { ...this.state, status: 'captured' };
  }

  @handles(PaymentRefunded)
  onPaymentRefunded(event: PaymentRefunded): PaymentState {
    return { ...this.state, status: 'refunded', refunded: add(this.state.refunded, event.data.amount) };
  }

  @handles(PaymentFailed)
  onPaymentFailed(event: PaymentFailed): PaymentState {
    return { ...this.state, status: 'failed', orderId: event.data.orderId };
  }
}
