// Created by eventsmith from examples/shop/domain/inventory.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import { CommandRejectedError, handles } from '@eventsmith/runtime';
import {
  InventoryItemBase,
  type InventoryItemReceiveCommand,
  type InventoryItemReleaseCommand,
  type InventoryItemReserveCommand,
  type InventoryItemState,
  ItemDiscontinued,
  StockReceived,
  StockReleased,
  StockReserved,
} from '../../../../generated/shop/index.js';

/**
 * Stock of one SKU; the aggregate id is the SKU.
 *
 * Commands check the state and raise events; `@handles` methods return the next state.
 */
export class InventoryItem extends InventoryItemBase {
  /** The receive command. May raise StockReceived. */
  receive(command: InventoryItemReceiveCommand): void {
    if (command.quantity <= 0) throw new CommandRejectedError('Received quantities are positive.');
    this.raiseStockReceived({ quantity: command.quantity });
  }

  /** Fails when fewer than `quantity` units are free. May raise StockReserved. */
  reserve(command: InventoryItemReserveCommand): void {
    if (this.state.discontinued) throw new CommandRejectedError(`${this.id} is discontinued.`);
    const free = this.state.onHand - this.state.reserved;
    if (command.quantity > free)
      throw new CommandRejectedError(`Only ${free} of ${this.id} are free; ${command.quantity} were asked for.`, {
        free,
      });
    this.raiseStockReserved(command);
  }

  /** The release command. May raise StockReleased. */
  release(command: InventoryItemReleaseCommand): void {
    this.raiseStockReleased({ orderId: command.orderId, quantity: Math.min(command.quantity, this.state.reserved) });
  }

  /** The discontinue command. May raise ItemDiscontinued. */
  discontinue(): void {
    if (this.state.discontinued) return;
    this.raiseItemDiscontinued({ discontinuedAt: new Date() });
  }

  @handles(StockReceived)
  onStockReceived(event: StockReceived): InventoryItemState {
    return { ...this.state, onHand: this.state.onHand + event.data.quantity };
  }

  @handles(StockReserved)
  onStockReserved(event: StockReserved): InventoryItemState {
    return { ...this.state, reserved: this.state.reserved + event.data.quantity };
  }

  @handles(StockReleased)
  onStockReleased(event: StockReleased): InventoryItemState {
    return { ...this.state, reserved: this.state.reserved - event.data.quantity };
  }

  @handles(ItemDiscontinued)
  onItemDiscontinued(_event: ItemDiscontinued): InventoryItemState {
    return { ...this.state, discontinued: true };
  }
}
