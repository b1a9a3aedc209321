/**
 * A loaded trace's spans with Zipkin's joined client/server halves apart (see
 * shared/joined-spans.ts): the server half gets its own id under the client half, and
 * the spans below the shared id move under the server half. Spans that do not change
 * are the same objects.
 */
import { joinedSpanIds } from '../shared/joined-spans.ts';
import type { QuerySpan } from '../shared/span.ts';

export function splitJoinedSpans(spans: QuerySpan[]): QuerySpan[] {
  const served = joinedSpanIds(spans);
  if (served === undefined) return spans;
  return spans.map((s, i) => {
    const ids = served.get(i);
    return ids === undefined ? s : { ...s, spanId: ids.spanId, parentId: ids.parentId };
  });
}
