/** The drill room's public surface: load a scenario, run it, write its report. */
export { loadScenario, parseScenario, type LoadOptions } from './scenario-load.ts'
export { ScenarioError } from './scenario-schema.ts'
export type { Scenario, Step, DrillMember, ExpectationSpec } from './scenario-check.ts'
export { runDrill, type DrillOptions, type DrillResult, type DrillEvent, type StepResult } from './runner.ts'
export { writeReport, type WrittenReport } from './report.ts'
export type { ExpectationResult } from './expectations.ts'
export type { Figures } from './figures.ts'
