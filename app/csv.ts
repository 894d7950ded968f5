/** CSV for imports: the project's one reader lives with the other ingest code in knowledge/ingest. */
export { parseCsv, parseCsvRecords as parseCsvObjects, parseCsvRows, type CsvRow } from '../knowledge/ingest/index.js';
