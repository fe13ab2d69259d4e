// Public API of subscriptions/ (filled in by its issue).
export {};
