import type { ConversionName, JsonValue } from '@eventsmith/schema';

/**
 * The built-in `convert` conversions, twice: as the TypeScript emitted into
 * `upcasters/conversions.ts`, and as a generator-side implementation that computes the expected
 * output of the golden upcaster tests. The golden tests compare the two on every sample.
 */
export interface Conversion {
  /** TypeScript parameter and return types of the emitted function. */
  readonly signature: { readonly input: string; readonly output: string };
  /** The emitted function body; `value` is the parameter. */
  readonly body: string;
  /** A sample input the conversion accepts (used when the field is a plain string or number). */
  readonly sample: JsonValue;
  /** Generator-side implementation. */
  apply(value: JsonValue): JsonValue;
}

const fail = (name: string, expected: string) =>
  `throw new EventsmithError('UPCAST.CONVERSION', \`${name}: cannot convert \${JSON.stringify(value)}; expected ${expected}.\`);`;

const DECIMAL = String.raw`/^-?(0|[1-9]\d*)(\.\d+)?$/`;
const UUID = String.raw`/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/`;

export const CONVERSION_CODE: { readonly [K in ConversionName]: Conversion } = {
  numberToDecimal: {
    signature: { input: 'number', output: 'string' },
    body: `if (!Number.isFinite(value)) ${fail('numberToDecimal', 'a finite number')}
  const text = String(value);
  return /e/i.test(text) ? value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 }) : text === '-0' ? '0' : text;`,
    sample: 10.5,
    apply: (v) => {
      const n = v as number;
      const text = String(n);
      return /e/i.test(text)
        ? n.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 20 })
        : text === '-0'
          ? '0'
          : text;
    },
  },
  integerToDecimal: {
    signature: { input: 'number', output: 'string' },
    body: `if (!Number.isSafeInteger(value)) ${fail('integerToDecimal', 'a safe integer')}
  return String(value);`,
    sample: 42,
    apply: (v) => String(v),
  },
  stringToDecimal: {
    signature: { input: 'string', output: 'string' },
    body: `const text = value.trim();
  if (!${DECIMAL}.test(text)) ${fail('stringToDecimal', 'a decimal such as "10.50"')}
  return text;`,
    sample: ' 10.50 ',
    apply: (v) => (v as string).trim(),
  },
  centsToDecimal: {
    signature: { input: 'number', output: 'string' },
    body: `if (!Number.isSafeInteger(value)) ${fail('centsToDecimal', 'a whole number of cents')}
  const digits = String(Math.abs(value)).padStart(3, '0');
  return \`\${value < 0 ? '-' : ''}\${digits.slice(0, -2)}.\${digits.slice(-2)}\`;`,
    sample: 1050,
    apply: (v) => {
      const n = v as number;
      const digits = String(Math.abs(n)).padStart(3, '0');
      return `${n < 0 ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
    },
  },
  decimalToCents: {
    signature: { input: 'string', output: 'number' },
    body: `const match = /^(-?)(\\d+)(?:\\.(\\d+))?$/.exec(value.trim());
  if (!match) ${fail('decimalToCents', 'a decimal such as "10.50"')}
  const [, sign, whole, fraction = ''] = match;
  const padded = fraction.padEnd(3, '0');
  let cents = Number(whole) * 100 + Number(padded.slice(0, 2));
  if (Number(padded[2]) >= 5) cents += 1;
  if (!Number.isSafeInteger(cents)) ${fail('decimalToCents', 'an amount whose cents fit a safe integer')}
  return sign === '-' && cents !== 0 ? -cents : cents;`,
    sample: '10.50',
    apply: (v) => {
      const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec((v as string).trim())!;
      const [, sign, whole, fraction = ''] = match;
      const padded = fraction.padEnd(3, '0');
      let cents = Number(whole) * 100 + Number(padded.slice(0, 2));
      if (Number(padded[2]) >= 5) cents += 1;
      return sign === '-' && cents !== 0 ? -cents : cents;
    },
  },
  stringToInteger: {
    signature: { input: 'string', output: 'number' },
    body: `const text = value.trim();
  const parsed = Number(text);
  if (!/^-?\\d+$/.test(text) || !Number.isSafeInteger(parsed)) ${fail('stringToInteger', 'an integer such as "42"')}
  return parsed;`,
    sample: '42',
    apply: (v) => Number((v as string).trim()),
  },
  integerToString: {
    signature: { input: 'number', output: 'string' },
    body: 'return String(value);',
    sample: 42,
    apply: (v) => String(v),
  },
  numberToString: {
    signature: { input: 'number', output: 'string' },
    body: 'return String(value);',
    sample: 10.5,
    apply: (v) => String(v),
  },
  stringToNumber: {
    signature: { input: 'string', output: 'number' },
    body: `const parsed = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(parsed)) ${fail('stringToNumber', 'a number such as "10.5"')}
  return parsed;`,
    sample: '10.5',
    apply: (v) => Number((v as string).trim()),
  },
  integerToNumber: {
    signature: { input: 'number', output: 'number' },
    body: 'return value;',
    sample: 42,
    apply: (v) => v,
  },
  numberToInteger: {
    signature: { input: 'number', output: 'number' },
    body: `if (!Number.isFinite(value)) ${fail('numberToInteger', 'a finite number')}
  return Math.sign(value) * Math.round(Math.abs(value));`,
    sample: 10.5,
    apply: (v) => Math.sign(v as number) * Math.round(Math.abs(v as number)),
  },
  stringToBoolean: {
    signature: { input: 'string', output: 'boolean' },
    body: `return ['true', 'yes', '1'].includes(value.trim().toLowerCase());`,
    sample: 'yes',
    apply: (v) => ['true', 'yes', '1'].includes((v as string).trim().toLowerCase()),
  },
  dateToDatetime: {
    signature: { input: 'string', output: 'string' },
    body: `if (!/^\\d{4}-\\d{2}-\\d{2}$/.test(value)) ${fail('dateToDatetime', 'a date such as "2024-01-31"')}
  return \`\${value}T00:00:00.000Z\`;`,
    sample: '2024-01-15',
    apply: (v) => `${v as string}T00:00:00.000Z`,
  },
  datetimeToDate: {
    signature: { input: 'string', output: 'string' },
    body: `const at = new Date(value);
  if (Number.isNaN(at.getTime())) ${fail('datetimeToDate', 'an ISO-8601 date-time')}
  return at.toISOString().slice(0, 10);`,
    sample: '2024-01-15T09:30:00.000Z',
    apply: (v) => new Date(v as string).toISOString().slice(0, 10),
  },
  epochMillisToDatetime: {
    signature: { input: 'number', output: 'string' },
    body: `const at = new Date(value);
  if (!Number.isFinite(value) || Number.isNaN(at.getTime())) ${fail('epochMillisToDatetime', 'milliseconds since 1970')}
  return at.toISOString();`,
    sample: 1705311000000,
    apply: (v) => new Date(v as number).toISOString(),
  },
  epochSecondsToDatetime: {
    signature: { input: 'number', output: 'string' },
    body: `const at = new Date(value * 1000);
  if (!Number.isFinite(value) || Number.isNaN(at.getTime())) ${fail('epochSecondsToDatetime', 'seconds since 1970')}
  return at.toISOString();`,
    sample: 1705311000,
    apply: (v) => new Date((v as number) * 1000).toISOString(),
  },
  stringToUuid: {
    signature: { input: 'string', output: 'string' },
    body: `const text = value.trim().toLowerCase();
  if (!${UUID}.test(text)) ${fail('stringToUuid', 'a UUID')}
  return text;`,
    sample: ' 0190A0B4-4A4E-7C3D-8F2A-5B6C7D8E9F01 ',
    apply: (v) => (v as string).trim().toLowerCase(),
  },
};
