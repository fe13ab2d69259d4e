// The testing kit: conformance suites and given/when/then helpers.
export {};
