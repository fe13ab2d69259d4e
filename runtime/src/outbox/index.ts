// Public API of outbox/ (filled in by its issue).
export {};
