import { z } from 'zod';
import { currentEventVersions, DomainEvent, domainEventSchema, DomainEventType } from './events';
import { guarded, parseWith, ParseResult } from './parsing';

/** Reads an event's `data` as one version wrote it and returns it as the next version writes it. */
export type Upcaster = (data: unknown) => unknown;

/** Keyed by event type, then by the version the upcaster reads (it produces version + 1). */
export type UpcasterRegistry = { readonly [T in DomainEventType]?: Readonly<Partial<Record<number, Upcaster>>> };

/** Every event is still at its first version. */
export const eventUpcasters: UpcasterRegistry = {};

const rawDataSchema = guarded(z.unknown());

/** A reader of stored events that upgrades older versions through `upcasters` before validating. */
export function createEventParser(upcasters: UpcasterRegistry) {
  return function parseEvent(type: string, version: number, data: unknown): ParseResult<DomainEvent> {
    const current = currentEventVersions.get(type);
    if (current === undefined) return { success: false, message: `Unknown event type: ${type.slice(0, 100)}` };
    if (!Number.isInteger(version) || version < 0 || version > current) {
      return { success: false, message: `Unsupported version ${version} of ${type}` };
    }
    // Upcasters handle raw data, and a spread of an own "__proto__" key would reach a prototype.
    const checked = parseWith(rawDataSchema, data);
    if (!checked.success) return checked;
    let upcast = checked.data;
    for (let from = version; from < current; from += 1) {
      const upcaster = upcasters[type as DomainEventType]?.[from];
      if (!upcaster) return { success: false, message: `No upcaster from version ${from} of ${type}` };
      upcast = upcaster(upcast);
    }
    return parseWith(domainEventSchema, { type, version: current, data: upcast });
  };
}

export const parseEvent = createEventParser(eventUpcasters);
