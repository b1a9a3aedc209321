/**
 * @module pages/others
 * The pages other than search, in one chunk fetched the first time one of them is shown
 * (one chunk, not four: fewer files for the first page to wait on).
 */
export { ComparePage } from './ComparePage.tsx';
export { LogsPage } from './LogsPage.tsx';
export { RunsPage } from './RunsPage.tsx';
export { ServicesPage } from './ServicesPage.tsx';
export { TracePage } from './TracePage.tsx';
export { openFiles, UploadPage } from './UploadPage.tsx';
