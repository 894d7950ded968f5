/** The conversation bench: scenarios, the runner that plays them through the real bot, the checks and the report. */
export { CATEGORIES, loadScenarios, type Scenario, type ScenarioTurn, type Expectation, type Split, type Category } from './scenario.js';
export { checkTurn, inLanguage, isClarification, citedArticles, productHaystack, type TurnObservation, type SeenReply, type SeenCard } from './checks.js';
export { runScenarios, runScenario, startBenchServer, findButton, type ScenarioResult, type TurnResult, type BenchServer } from './runner.js';
export { summarize, formatTable, formatFailures, type BenchSummary, type Rate } from './report.js';
