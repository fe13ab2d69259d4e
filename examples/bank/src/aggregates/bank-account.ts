// Created by eventsmith from examples/bank/domain/bank-account.yaml.
// This file is yours: edit it freely. `eventsmith generate` only adds what is missing here (handler
// stubs, command methods, imports) and never changes code you wrote.

import { CommandRejectedError, handles } from '@eventsmith/runtime';
import {
  AccountClosed,
  AccountOpened,
  BankAccountBase,
  type BankAccountCloseCommand,
  type BankAccountDepositCommand,
  type BankAccountOpenCommand,
  type BankAccountState,
  type BankAccountWithdrawCommand,
  MoneyDeposited,
  MoneyWithdrawn,
} from '../../../../generated/bank/index.js';
import { add, compare, isPositive, subtract } from '../../../decimal.js';

/**
 * A customer's current account. The balance never goes below zero.
 *
 * Commands check the state and raise events; `@handles` methods return the next state.
 */
export class BankAccount extends BankAccountBase {
  /** Opens the account with an initial deposit. May raise AccountOpened. */
  open(command: BankAccountOpenCommand): void {
    if (this.state.status !== 'pending')
      throw new CommandRejectedError(`Account ${this.id} is already ${this.state.status}.`);
    if (compare(command.initialDeposit, '0') < 0)
      throw new CommandRejectedError('The initial deposit cannot be negative.');
    this.raiseAccountOpened({
      ownerName: command.ownerName,
      initialBalance: command.initialDeposit,
      currency: command.currency,
    });
  }

  /** The deposit command. May raise MoneyDeposited. */
  deposit(command: BankAccountDepositCommand): void {
    this.#mustBeOpen();
    if (!isPositive(command.amount))
      throw new CommandRejectedError('A deposit must be positive.', { amount: command.amount });
    this.raiseMoneyDeposited(command);
  }

  /** Fails when the balance would go below zero. May raise MoneyWithdrawn. */
  withdraw(command: BankAccountWithdrawCommand): void {
    this.#mustBeOpen();
    if (!isPositive(command.amount))
      throw new CommandRejectedError('A withdrawal must be positive.', { amount: command.amount });
    if (compare(command.amount, this.state.balance) > 0) {
      throw new CommandRejectedError(
        `Insufficient funds: the balance is ${this.state.balance}, the withdrawal ${command.amount}.`,
        {
          balance: this.state.balance,
          amount: command.amount,
        },
      );
    }
    this.raiseMoneyWithdrawn(command);
  }

  /** The close command. May raise AccountClosed. */
  close(command: BankAccountCloseCommand): void {
    this.#mustBeOpen();
    this.raiseAccountClosed(command);
  }

  @handles(AccountOpened)
  onAccountOpened(event: AccountOpened): BankAccountState {
    return {
      ...this.state,
      ownerName: event.data.ownerName,
      balance: event.data.initialBalance,
      currency: event.data.currency,
      status: 'open',
    };
  }

  @handles(MoneyDeposited)
  onMoneyDeposited(event: MoneyDeposited): BankAccountState {
    return { ...this.state, balance: add(this.state.balance, event.data.amount) };
  }

  @handles(MoneyWithdrawn)
  onMoneyWithdrawn(event: MoneyWithdrawn): BankAccountState {
    return { ...this.state, balance: subtract(this.state.balance, event.data.amount) };
  }

  @handles(AccountClosed)
  onAccountClosed(event: AccountClosed): BankAccountState {
    return { ...this.state, status: 'closed', closedAt: event.occurredAt };
  }

  #mustBeOpen(): void {
    if (this.state.status !== 'open')
      throw new CommandRejectedError(`Account ${this.id} is ${this.state.status}; open it first.`);
  }
}
