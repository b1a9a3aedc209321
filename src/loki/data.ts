/**
 * @module loki/data
 * Stored log records as Loki entries: each resource's stream labels and metadata and each
 * scope's metadata made once and kept (resources and scopes are immutable once stored),
 * a record's own fields and attributes added per row (model.ts).
 */
import type { LogRow, StoreReader } from '../store/index.ts';
import { newLabels, selects, type LabelMatcher, type Labels } from '../logql/index.ts';
import { recordMetadata, resourceModel, scopeMetadata, type ResourceModel } from './model.ts';

export interface LokiEntry {
  readonly line: string;
  readonly stream: Labels;
  readonly metadata: Labels;
}

export class LokiData {
  private readonly resources = new Map<number, ResourceModel>();
  private readonly scopes = new Map<number, Labels>();

  constructor(readonly store: StoreReader) {}

  /** Every stored resource with its Loki labels (new resources are read as they appear). */
  allResources(): { readonly id: number; readonly model: ResourceModel }[] {
    const rows = this.store.search.resources();
    if (rows.length < this.resources.size) this.resources.clear(); // deleted by retention or a reset
    return rows.map((r) => ({ id: r.id, model: this.resourceOf(r.id, r.raw) }));
  }

  private resourceOf(id: number, raw: Uint8Array | null): ResourceModel {
    let model = this.resources.get(id);
    if (model === undefined) {
      model = resourceModel(raw);
      this.resources.set(id, model);
    }
    return model;
  }

  /** Resource ids whose stream labels satisfy `selector`. */
  resourceIds(selector: readonly LabelMatcher[]): number[] {
    return this.allResources().filter((r) => selects(selector, r.model.stream)).map((r) => r.id);
  }

  resource(id: number): ResourceModel {
    return this.resources.get(id) ?? this.resourceOf(id, this.store.search.resource(id)?.raw ?? null);
  }

  private scope(id: number): Labels {
    let labels = this.scopes.get(id);
    if (labels === undefined) {
      labels = id > 0 ? scopeMetadata(this.store.search.scope(id)?.raw ?? null) : newLabels();
      this.scopes.set(id, labels);
    }
    return labels;
  }

  /** A stored row as a Loki entry; without `withAttributes` the record's attributes are left out (no decode). */
  entry(row: LogRow, withAttributes: boolean): LokiEntry {
    const resource = this.resource(row.resourceId);
    return {
      line: row.body,
      stream: resource.stream,
      metadata: recordMetadata(row, resource.metadata, this.scope(row.scopeId), withAttributes),
    };
  }
}
