/**
 * The paths of fields present in `input` that the schema dropped from `parsed` (zod objects strip
 * keys they do not know): a producer sending something its contract does not declare. Defaults the
 * schema added are not reported: only what the producer sent counts.
 */
export function undocumentedFields(input: unknown, parsed: unknown, path = ''): string[] {
  if (Array.isArray(input) && Array.isArray(parsed)) return input.flatMap((v, i) => undocumentedFields(v, parsed[i], `${path}[${i}]`));
  if (!isRecord(input) || !isRecord(parsed)) return [];
  return Object.keys(input).flatMap((key) => {
    const at = path ? `${path}.${key}` : key;
    if (input[key] !== undefined && !Object.hasOwn(parsed, key)) return [at];
    return undocumentedFields(input[key], parsed[key], at);
  });
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
