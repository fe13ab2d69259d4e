/** How much of a thrown non-Error value's JSON a description keeps. */
const MAX_VALUE_TEXT = 500;

/**
 * A readable one-line description of anything a handler threw, as dead letters store it (the
 * subscription dead-letter queue's and the buses' `error`): an Error's name and message, or its
 * name alone when the message is empty; a string as it is; an object as its JSON (cut at 500
 * characters); anything else by its value. Never a stack trace: where one is kept, it has its own
 * field.
 *
 * @example
 * ```ts
 * describeThrown(new TypeError('cannot handle 3')); // 'TypeError: cannot handle 3'
 * describeThrown(new RangeError('')); // 'RangeError (no message)'
 * describeThrown({ code: 42 }); // '{"code":42}'
 * ```
 */
export function describeThrown(thrown: unknown): string {
  if (isError(thrown)) {
    const name = errorName(thrown);
    const message = typeof thrown.message === 'string' ? oneLine(thrown.message) : '';
    return message === '' ? `${name} (no message)` : `${name}: ${message}`;
  }
  if (typeof thrown === 'string') {
    const text = oneLine(thrown);
    return text === '' ? `${JSON.stringify(thrown)} (an empty string was thrown, not an Error)` : text;
  }
  if (typeof thrown === 'function') return `a function ${thrown.name || '(anonymous)'} was thrown, not an Error`;
  if (typeof thrown !== 'object' || thrown === null) {
    return `${typeof thrown === 'bigint' ? `${thrown}n` : String(thrown)} was thrown, not an Error`;
  }
  const className = (Object.getPrototypeOf(thrown) as { constructor?: { name?: string } } | null)?.constructor?.name;
  const prefix = className === undefined || className === 'Object' || className === 'Array' ? '' : `${className} `;
  let json: string | undefined;
  try {
    json = JSON.stringify(thrown, (_key, value: unknown) => (typeof value === 'bigint' ? `${value}n` : value));
  } catch {
    // Circular, or a toJSON that throws.
  }
  if (json === undefined) {
    const kind = className === undefined || className === 'Object' ? 'an object' : `a ${className}`;
    return `${kind} without a JSON form was thrown, not an Error`;
  }
  return prefix + truncate(json);
}

/** An Error, from this realm or another (a vm context, a worker's structured clone). */
function isError(value: unknown): value is Error {
  return value instanceof Error || Object.prototype.toString.call(value) === '[object Error]';
}

function errorName(error: Error): string {
  if (typeof error.name === 'string' && error.name !== '') return error.name;
  return error.constructor?.name || 'Error';
}

/** Line breaks (and the indentation around them) become one space. */
function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

function truncate(text: string): string {
  if (text.length <= MAX_VALUE_TEXT) return text;
  // Never cut a UTF-16 pair in half: a lone surrogate is not text a database keeps.
  const end = /[\uD800-\uDBFF]/.test(text[MAX_VALUE_TEXT - 1]!) ? MAX_VALUE_TEXT - 1 : MAX_VALUE_TEXT;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}
