import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { describeThrown } from './describe-thrown.js';

describe('describeThrown', () => {
  it('describes an Error by its name and message, on one line', () => {
    expect(describeThrown(new TypeError('cannot handle 3'))).toBe('TypeError: cannot handle 3');
    expect(describeThrown(new Error('first line\n    second line'))).toBe('Error: first line second line');
    class PaymentDeclined extends Error {
      override name = 'PaymentDeclined';
    }
    expect(describeThrown(new PaymentDeclined('card 4242'))).toBe('PaymentDeclined: card 4242');
  });

  it('names an Error with an empty message instead of showing its stack', () => {
    expect(describeThrown(new TypeError(''))).toBe('TypeError (no message)');
    expect(describeThrown(new Error())).toBe('Error (no message)');
    const nameless = new RangeError('');
    nameless.name = '';
    expect(describeThrown(nameless)).toBe('RangeError (no message)');
    // An Error of another realm (a vm context) is an Error too.
    expect(describeThrown(runInNewContext('new SyntaxError("bad token")'))).toBe('SyntaxError: bad token');
  });

  it('shows a string as it is and an object as its JSON, cut to a sane length', () => {
    expect(describeThrown('insufficient funds')).toBe('insufficient funds');
    expect(describeThrown('')).toBe('"" (an empty string was thrown, not an Error)');
    expect(describeThrown({ code: 42 })).toBe('{"code":42}');
    expect(describeThrown([1, 'two'])).toBe('[1,"two"]');
    expect(describeThrown({ big: 10n })).toBe('{"big":"10n"}');
    expect(describeThrown(new Map())).toBe('Map {}');
    const long = describeThrown({ text: 'x'.repeat(2000) });
    expect(long).toBe(`${`{"text":"${'x'.repeat(2000)}"}`.slice(0, 500)}… (2011 characters)`);
    // The pair would be cut after its first half: it is left out whole.
    const emoji = describeThrown({ t: `${'a'.repeat(493)}😀${'b'.repeat(600)}` });
    expect(emoji.startsWith(`{"t":"${'a'.repeat(493)}… (`)).toBe(true);
  });

  it('describes other values by their value, and what has no JSON by its kind', () => {
    expect(describeThrown(undefined)).toBe('undefined was thrown, not an Error');
    expect(describeThrown(null)).toBe('null was thrown, not an Error');
    expect(describeThrown(42)).toBe('42 was thrown, not an Error');
    expect(describeThrown(7n)).toBe('7n was thrown, not an Error');
    expect(describeThrown(function reject() {})).toBe('a function reject was thrown, not an Error');
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(describeThrown(circular)).toBe('an object without a JSON form was thrown, not an Error');
  });
});
