/**
 * Public API of the conformance suite, for tests and scripts elsewhere in the project
 * (e.g. running the catalogue over an adapter: `runSuite({ cases: selectCases(['1.*']), target: { kind: 'url', url } })`).
 */
export { allCases, compareCaseIds, matchesPattern, selectCases } from './cases/index.ts';
export type { CaseContext, CaseDef, CaseHooks, SendFrameSpec } from './cases/api.ts';
export { judge } from './judge.ts';
export type { JudgeInput } from './judge.ts';
export { runSuite } from './runner.ts';
export type { SuiteOptions, Target } from './runner.ts';
export { differences, expectationsOf, parseExpected, passes } from './expect.ts';
export type { Difference, ExpectedVerdicts } from './expect.ts';
export { buildIndex, renderHtml, writeReport } from './report.ts';
export { main as runCli, parseArgs } from './cli.ts';
export type { BehaviorVerdict, CaseResult, CloseFacts, CloseVerdict, ExpectedClose, Judgement, ObservedEvent } from './types.ts';
