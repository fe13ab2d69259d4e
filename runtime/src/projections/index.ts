// Public API of projections/ (filled in by its issue).
export {};
