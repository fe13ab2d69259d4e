import { GeneratedFile } from '../common/generated-file.js';
import type { Emitter } from '../emitter.js';
import { eventLockOf, serializeEventLock } from './event-lock.js';

export {
  checkEventLock,
  diffEventLock,
  type CheckEventLockOptions,
  type Impact,
  type LockChange,
} from './check-event-lock.js';
export {
  EventLockFormatError,
  eventLockOf,
  parseEventLock,
  serializeEventLock,
  type EventLock,
  type LockedEvent,
  type LockedField,
  type LockedType,
  type LockedVersion,
} from './event-lock.js';

/**
 * The lock target: `events.lock.json`, the shape of every event version of the model. The write
 * stage writes it with the code; the load stage checks the YAML against the previous one first.
 */
export const lockEmitter: Emitter = {
  name: 'lock',
  emit: (model, { layout }) => {
    if (model.events.length === 0) return [];
    const file = GeneratedFile.generated(
      layout.eventLock,
      model.sources.map((s) => s.path),
    );
    file.print(serializeEventLock(eventLockOf(model), file.sources).trimEnd());
    return [file];
  },
};
