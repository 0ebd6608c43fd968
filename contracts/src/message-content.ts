import { z } from 'zod';
import { FILENAME_MAX_CHARS, URL_MAX_CHARS } from './limits';

/**
 * Two vocabularies: what a client may ask for, and what can be stored and shown. Requests
 * include `audio` so that the decider, not the schema, answers "Audio messages are not
 * allowed" in its place in the order of checks; nothing audio ever reaches an event or a view.
 */
export const messageTypeSchema = z.enum(['text', 'image', 'video', 'file']);
export const requestedMessageTypeSchema = z.enum([...messageTypeSchema.options, 'audio']);
export const mediaTypeSchema = z.enum(['image', 'video', 'file']);
export const requestedMediaTypeSchema = z.enum([...mediaTypeSchema.options, 'audio']);

export type MessageType = z.output<typeof messageTypeSchema>;
export type RequestedMessageType = z.output<typeof requestedMessageTypeSchema>;
export type MediaType = z.output<typeof mediaTypeSchema>;
export type RequestedMediaType = z.output<typeof requestedMediaTypeSchema>;

/** Absolute http(s) only: clients render these, and a `javascript:` url would run there. */
export const urlSchema = z.url({ protocol: /^https?$/ }).max(URL_MAX_CHARS);

/** Absent and null mean the same on the wire; downstream sees one spelling, null. */
export function orNull<S extends z.ZodType>(schema: S) {
  return schema.nullish().transform((value): z.output<S> | null => value ?? null);
}

const mediaItemFields = {
  url: urlSchema,
  filename: orNull(z.string().max(FILENAME_MAX_CHARS)),
  size: orNull(z.int().min(0)),
};

/** A media item as a client sends it (`send:message`) and as a command carries it. */
export const mediaItemSchema = z.object({ ...mediaItemFields, type: requestedMediaTypeSchema });
/** A media item as stored in events and shown in views. */
export const storedMediaItemSchema = z.object({ ...mediaItemFields, type: mediaTypeSchema });

export type MediaItem = z.output<typeof mediaItemSchema>;
export type StoredMediaItem = z.output<typeof storedMediaItemSchema>;
