import type { SubscriptionErrorInfo } from './subscription-options.js';

const RECENT_ERRORS = 10;

/** A subscription's errors: counted, the last few kept for its status, each told to `onError`. */
export class SubscriptionErrorLog {
  readonly #subscription: string;
  readonly #onError: ((subscription: string, error: SubscriptionErrorInfo) => void) | undefined;
  readonly #recent: SubscriptionErrorInfo[] = [];
  #count = 0;

  constructor(
    subscription: string,
    onError: ((subscription: string, error: SubscriptionErrorInfo) => void) | undefined,
  ) {
    this.#subscription = subscription;
    this.#onError = onError;
  }

  /** Errors recorded in all. */
  get count(): number {
    return this.#count;
  }

  /** The last ten, oldest first (a copy). */
  get recent(): SubscriptionErrorInfo[] {
    return [...this.#recent];
  }

  record(info: Omit<SubscriptionErrorInfo, 'at'>): void {
    const full = { ...info, at: new Date() };
    this.#count++;
    this.#recent.push(full);
    if (this.#recent.length > RECENT_ERRORS) this.#recent.shift();
    try {
      this.#onError?.(this.#subscription, full);
    } catch {
      // A faulty error reporter must not break the subscription.
    }
  }
}
