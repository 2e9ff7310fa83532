import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { exampleEnvelope } from '../asyncapi.js';
import { eventCatalog, type EventType } from '../catalog.js';
import { allVersionedSchemas, releasedSchemaFile } from '../json-schemas.js';
import { checkAgainstReleased } from '../schema-compat.js';

export const RELEASED_SCHEMAS_DIR = 'docs/events/schemas';
export const EVENT_FIXTURES_DIR = 'test/fixtures/events';

/** The stored example of one version of one type (test/fixtures/events/<Type>/v<N>.json). */
export const fixtureFile = (root: string, type: string, version: number) => join(root, EVENT_FIXTURES_DIR, type, `v${version}.json`);

/**
 * `events check`: compares the generated schemas with the released ones and fails (exit 1) on an
 * incompatible change without a version bump. `--release` records the versions not released yet
 * (a new type, a bumped version) and writes a fixture of each from the catalog's examples.
 */
export function contractsCheck(root: string, release: boolean): number {
  const dir = join(root, RELEASED_SCHEMAS_DIR);
  const { failures, unreleased } = checkAgainstReleased(dir);
  for (const f of failures) console.error(`INCOMPATIBLE ${f}`);
  if (failures.length > 0) return 1;
  if (unreleased.length > 0 && !release) {
    for (const u of unreleased) console.error(`UNRELEASED ${u.type} v${u.schemaVersion}: run \`npm run events -- check --release\` and commit docs/events/schemas`);
    return 1;
  }
  if (release) {
    const schemas = allVersionedSchemas();
    for (const u of unreleased) {
      const { schema } = schemas.find((s) => s.type === u.type && s.schemaVersion === u.schemaVersion)!;
      write(join(dir, releasedSchemaFile(u.type, u.schemaVersion)), schema);
      console.log(`released ${u.type} v${u.schemaVersion}`);
    }
    for (const type of Object.keys(eventCatalog) as EventType[]) {
      const file = fixtureFile(root, type, eventCatalog[type].schemaVersion);
      if (!existsSync(file)) write(file, exampleEnvelope(type));
    }
  }
  console.log(`event contracts: ${allVersionedSchemas().length} schemas compatible with ${RELEASED_SCHEMAS_DIR}`);
  return 0;
}

function write(file: string, value: unknown) {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}
