/** Types of scripts/build-viewer.mjs (imported by the browser test). */
export interface ViewerFile {
  readonly name: string;
  readonly bytes: number;
  readonly gzip: number;
}
export function buildViewer(outdir: string, options?: { minify?: boolean }): Promise<{ files: ViewerFile[]; gzipTotal: number; entry: string }>;
