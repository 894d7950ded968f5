export { parseFrontMatter, type IngestIssue } from './front-matter.js';
export { parseCsv, parseCsvRecords, parseCsvRows, type CsvRow, type CsvOptions } from './csv.js';
export {
  articleFrontMatterSchema,
  knowledgeInputSchema,
  ARTICLE_FILE_NAME,
  KNOWLEDGE_EXTENSIONS,
  validateKnowledgeRecords,
  parseMarkdownArticle,
  parseKnowledgeJson,
  parseJsonLines,
  parseKnowledgeCsv,
  loadKnowledgeFile,
  loadKnowledgeDir,
} from './loaders.js';
export { chunkArticle, CHUNKER_VERSION, DEFAULT_CHUNK_OPTIONS, type ArticleChunk, type ChunkOptions } from './chunk.js';
