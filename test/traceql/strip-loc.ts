/**
 * Test helper: a copy of an AST without the `from`/`to` offsets, so trees parsed
 * from differently formatted text can be compared with deepStrictEqual.
 */
export function stripLoc(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripLoc);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (key !== 'from' && key !== 'to') out[key] = stripLoc(v);
    }
    return out;
  }
  return value;
}
