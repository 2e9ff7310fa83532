import { z } from 'zod';
import { eventCatalog, type EventType } from './catalog.js';
import { pastVersions } from './past-versions.js';

export type JsonSchema = Record<string, unknown>;

/**
 * A payload contract as JSON Schema (draft-07, which AsyncAPI 3.0's schema format extends), as the
 * stored event reads it (`io: 'output'`: defaults applied, so a field with a default is required).
 */
export function payloadJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { target: 'draft-7', io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

export interface VersionedSchema {
  type: EventType;
  schemaVersion: number;
  schema: JsonSchema;
}

/** Every version of every event type: the current one from the catalog, older ones from past-versions.ts. */
export function allVersionedSchemas(): VersionedSchema[] {
  return (Object.keys(eventCatalog) as EventType[]).flatMap((type) => [
    ...(pastVersions[type] ?? []).map((p) => ({ type, schemaVersion: p.schemaVersion, schema: payloadJsonSchema(p.payload) })),
    { type, schemaVersion: eventCatalog[type].schemaVersion, schema: payloadJsonSchema(eventCatalog[type].payload) },
  ]);
}

/** The file a released schema is kept in (docs/events/schemas). */
export const releasedSchemaFile = (type: string, version: number) => `${type}.v${version}.json`;
