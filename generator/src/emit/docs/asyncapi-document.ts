import type { DomainModel, EventNode, FieldNode, FieldType, ScalarTypeName } from '@eventsmith/schema';

type JsonSchema = { readonly [key: string]: unknown };

/** The header key that marks the document as generated (the write stage recognises it). */
export const ASYNCAPI_MARKER_KEY = 'x-eventsmith';

/**
 * An AsyncAPI 3 document of the domain's bus: one channel every event is published to (as the
 * runtime's buses do, keyed by aggregate), and one message per event version, whose payload is the
 * stored event record with the version's fields as `data`.
 */
export function asyncApiDocument(model: DomainModel): Record<string, unknown> {
  const messages: Record<string, unknown> = {};
  const refs: { $ref: string }[] = [];
  for (const event of model.events) {
    for (let version = 1; version <= event.version; version++) {
      const key = `${event.name}V${version}`;
      messages[key] = message(model, event, version);
      refs.push({ $ref: `#/channels/events/messages/${key}` });
    }
  }
  const schemas: Record<string, JsonSchema> = {};
  for (const type of model.types) {
    schemas[type.name] =
      type.kind === 'EnumNode' ? { type: 'string', enum: [...type.values], ...describe(type.description) } : { ...objectSchema(type.fields), ...describe(type.description) };
  }
  return {
    asyncapi: '3.1.0',
    info: {
      title: `${model.name} events`,
      version: '1.0.0',
      description: `${model.description ? `${model.description}\n\n` : ''}Events of the ${model.name} domain as eventsmith's buses carry them. Each message is one event version; consumers built from an older version keep working while that version's shape is kept in events.lock.json.`,
    },
    channels: {
      events: {
        address: '{namespace}.events',
        title: `${model.name} events`,
        description: [
          'Every event of the domain, in order per aggregate: the message key is `<aggregateType>-<aggregateId>`. How each bus names it, for a bus configured with `namespace`:',
          '- Kafka: the topic you configure (for example `<namespace>.events`);',
          '- RabbitMQ: the topic exchange `<namespace>.events`, routing key `<partition>.<aggregateType>.<eventType>`;',
          '- NATS JetStream: stream `<namespace>`, subjects `<namespace>.events.<partition>.all.<aggregateType>.<aggregateId>`;',
          '- Redis Streams: the streams `<namespace>:stream:<partition>`.',
        ].join('\n'),
        parameters: { namespace: { description: "The bus's namespace, topic, stream name or key prefix." } },
        messages,
      },
    },
    operations: {
      publishEvents: {
        action: 'send',
        channel: { $ref: '#/channels/events' },
        summary: 'The event store (directly or through the outbox) publishes each committed event.',
        messages: refs,
      },
      receiveEvents: {
        action: 'receive',
        channel: { $ref: '#/channels/events' },
        summary: 'Subscribers (projections, process managers) receive them in order per aggregate; the registry upcasts older versions.',
        messages: refs,
      },
    },
    components: {
      schemas,
      messageTraits: {
        eventsmithHeaders: {
          headers: {
            type: 'object',
            properties: {
              'eventsmith-event-id': { type: 'string', format: 'uuid' },
              'eventsmith-event-type': { type: 'string' },
              'eventsmith-event-version': { type: 'string', pattern: '^[1-9][0-9]*$' },
              'eventsmith-aggregate-type': { type: 'string' },
              'eventsmith-aggregate-id': { type: 'string' },
              traceparent: { type: 'string', description: 'W3C trace context of the publishing code.' },
              tracestate: { type: 'string' },
            },
            required: ['eventsmith-event-id', 'eventsmith-event-type', 'eventsmith-event-version', 'eventsmith-aggregate-type', 'eventsmith-aggregate-id'],
          },
        },
      },
    },
  };
}

function message(model: DomainModel, event: EventNode, version: number): Record<string, unknown> {
  const fields = version === event.version ? event.fields : event.history.find((h) => h.version === version)!.fields;
  const current = version === event.version;
  const description = current ? event.description : event.history.find((h) => h.version === version)?.description;
  return {
    name: event.name,
    title: `${event.name} v${version}`,
    summary: `${current ? 'Current version' : `Older version, upcast to v${event.version} by the registry`} of ${event.name}, raised by ${event.aggregate}.`,
    ...describe(description),
    contentType: 'application/json',
    traits: [{ $ref: '#/components/messageTraits/eventsmithHeaders' }],
    payload: {
      type: 'object',
      properties: {
        eventId: { type: 'string', format: 'uuid' },
        eventType: { type: 'string', const: event.name },
        eventVersion: { type: 'integer', const: version },
        aggregateId: { type: 'string' },
        aggregateType: { type: 'string', const: event.aggregate },
        aggregateVersion: { type: 'integer', minimum: 1 },
        occurredAt: { type: 'string', format: 'date-time' },
        tenantId: { type: ['string', 'null'] },
        actorId: { type: ['string', 'null'] },
        correlationId: { type: 'string' },
        causationId: { type: ['string', 'null'] },
        metadata: { type: 'object' },
        data: objectSchema(fields),
      },
      required: ['eventId', 'eventType', 'eventVersion', 'aggregateId', 'aggregateType', 'aggregateVersion', 'occurredAt', 'correlationId', 'data'],
    },
  };
}

function objectSchema(fields: readonly FieldNode[]): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of fields) properties[f.name] = { ...schemaOf(f.type), ...describe(f.description), ...(f.default !== undefined ? { default: f.default } : {}) };
  const required = fields.filter((f) => !f.optional && f.default === undefined).map((f) => f.name);
  return { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false };
}

function schemaOf(type: FieldType): JsonSchema {
  switch (type.kind) {
    case 'ScalarType':
      return SCALARS[type.name];
    case 'EnumType':
      return { type: 'string', enum: [...type.values] };
    case 'ListType':
      return { type: 'array', items: schemaOf(type.items) };
    case 'ObjectType':
      return objectSchema(type.fields);
    case 'RefType':
      return { $ref: `#/components/schemas/${type.name}` };
  }
}

const SCALARS: Record<ScalarTypeName, JsonSchema> = {
  string: { type: 'string' },
  integer: { type: 'integer' },
  number: { type: 'number' },
  // The runtime's decimal rule (runtime/src/events/field-types.ts).
  decimal: { type: 'string', pattern: '^-?(0|[1-9][0-9]*)(\\.[0-9]+)?$', description: 'An exact decimal, as a string such as "10.25".' },
  boolean: { type: 'boolean' },
  uuid: { type: 'string', format: 'uuid' },
  datetime: { type: 'string', format: 'date-time' },
  date: { type: 'string', format: 'date' },
};

function describe(text: string | undefined): JsonSchema {
  return text ? { description: text } : {};
}
