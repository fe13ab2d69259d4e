import { v7 as uuidv7 } from 'uuid';

/** A new time-ordered UUID v7; ids created later sort after earlier ones. */
export function newEventId(): string {
  return uuidv7();
}
