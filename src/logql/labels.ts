/**
 * @module logql/labels
 * Label sets as plain objects without a prototype (a label may be called `__proto__`),
 * and the text form Loki prints a series in.
 */

export type Labels = Readonly<Record<string, string>>;
export type MutableLabels = Record<string, string>;

export function newLabels(): MutableLabels {
  return Object.create(null) as MutableLabels;
}

export function copyLabels(from: Labels): MutableLabels {
  const out = newLabels();
  for (const k in from) out[k] = from[k];
  return out;
}

/** `{a="1", b="2"}` with names sorted: a series' identity and Loki's printed form. */
export function labelsKey(labels: Labels): string {
  const names = Object.keys(labels).sort();
  return `{${names.map((n) => `${n}=${JSON.stringify(labels[n])}`).join(', ')}}`;
}
