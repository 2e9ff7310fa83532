import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { allVersionedSchemas, releasedSchemaFile, type JsonSchema } from './json-schemas.js';
import { eventCatalog, type EventType } from './catalog.js';
import { pastVersions } from './past-versions.js';

/** Keywords that document a schema without changing what it accepts. */
const ANNOTATIONS = new Set(['description', 'title', 'examples', 'default', '$comment', 'deprecated', 'readOnly', 'writeOnly']);
/** Our consumers read with zod, which drops unknown fields: additionalProperties never breaks them. */
const IGNORED = new Set([...ANNOTATIONS, 'additionalProperties', 'properties', 'required', 'items', 'anyOf', 'oneOf', 'allOf']);

/**
 * Where `next` (a new schema at the SAME schemaVersion) breaks readers of `released`, in both
 * directions: a consumer built on `next` must read every stored event of the released shape, and a
 * consumer still on `released` must read the events `next` describes. So the only changes allowed
 * are adding an optional field and changing documentation; anything else needs a version bump and
 * an upcaster (docs/events.md "Versioning").
 */
export function incompatibilities(released: JsonSchema, next: JsonSchema, path = '$'): string[] {
  const problems: string[] = [];
  const keys = new Set([...Object.keys(released), ...Object.keys(next)].filter((k) => !IGNORED.has(k)));
  for (const key of keys) {
    if (!isDeepStrictEqual(released[key], next[key])) problems.push(`${path}: "${key}" changed from ${JSON.stringify(released[key])} to ${JSON.stringify(next[key])}`);
  }
  const oldProps = (released.properties ?? {}) as Record<string, JsonSchema>;
  const newProps = (next.properties ?? {}) as Record<string, JsonSchema>;
  const oldRequired = new Set((released.required ?? []) as string[]);
  const newRequired = new Set((next.required ?? []) as string[]);
  for (const [name, schema] of Object.entries(oldProps)) {
    const at = `${path}.${name}`;
    if (!(name in newProps)) {
      problems.push(`${at}: removed (consumers of the released version read it)`);
      continue;
    }
    if (oldRequired.has(name) && !newRequired.has(name)) problems.push(`${at}: required became optional (released consumers expect it)`);
    if (!oldRequired.has(name) && newRequired.has(name)) problems.push(`${at}: optional became required (stored events may lack it)`);
    problems.push(...incompatibilities(schema, newProps[name]!, at));
  }
  for (const name of Object.keys(newProps)) {
    if (!(name in oldProps) && newRequired.has(name)) problems.push(`${path}.${name}: added as required (stored events lack it); add it as optional, or bump the version`);
  }
  if (released.items || next.items) {
    if (!released.items || !next.items) problems.push(`${path}[]: items added or removed`);
    else problems.push(...incompatibilities(released.items as JsonSchema, next.items as JsonSchema, `${path}[]`));
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const a = (released[key] ?? []) as JsonSchema[];
    const b = (next[key] ?? []) as JsonSchema[];
    if (a.length !== b.length) problems.push(`${path}: ${key} has ${b.length} alternatives instead of ${a.length}`);
    else a.forEach((s, i) => problems.push(...incompatibilities(s, b[i]!, `${path}<${key}${i}>`)));
  }
  return problems;
}

export interface ReleaseCheck {
  /** Incompatible changes without a version bump, and edits to frozen past versions. */
  failures: string[];
  /** Versions with no released schema yet (a new type or a bump): `npm run events:check -- --release` records them. */
  unreleased: Array<{ type: EventType; schemaVersion: number }>;
}

/**
 * Compares every generated schema (every version of every type) with the released copy in `dir`
 * (docs/events/schemas). The current version may only change compatibly; a past version may not
 * change at all; a bumped type must ship an upcaster from every older version.
 */
export function checkAgainstReleased(dir: string, generated = allVersionedSchemas()): ReleaseCheck {
  const failures: string[] = [];
  const unreleased: ReleaseCheck['unreleased'] = [];
  for (const { type, schemaVersion, schema } of generated) {
    const file = join(dir, releasedSchemaFile(type, schemaVersion));
    if (!existsSync(file)) {
      unreleased.push({ type, schemaVersion });
      continue;
    }
    const released = JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
    const current = eventCatalog[type].schemaVersion === schemaVersion;
    if (!current && !isDeepStrictEqual(released, schema)) failures.push(`${type} v${schemaVersion}: a past version changed; past versions are frozen (src/events/past-versions.ts)`);
    if (current) for (const p of incompatibilities(released, schema)) failures.push(`${type} v${schemaVersion} ${p}: bump schemaVersion and add an upcaster`);
  }
  for (const type of Object.keys(eventCatalog) as EventType[]) {
    const have = new Set((pastVersions[type] ?? []).map((p) => p.schemaVersion));
    for (let v = 1; v < eventCatalog[type].schemaVersion; v++) {
      if (!have.has(v)) failures.push(`${type}: v${v} has no schema and upcaster in src/events/past-versions.ts`);
    }
  }
  return { failures, unreleased };
}
