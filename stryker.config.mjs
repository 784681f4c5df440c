// @ts-check
// Mutation testing of the pure modules (`npm run test:mutation`, docs/RELIABILITY.md). Each
// mutant is type-checked first (a mutant that does not compile is no test of the tests), then
// run against the unit specs of jest.mutation.config.js only.
/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: [
    'src/common/money.ts',
    'src/reconciliation/matcher.ts',
    'src/reconciliation/match-ledger.ts',
    'src/banks/signature/signature-schemes.ts',
  ],
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.mutation.json',
  coverageAnalysis: 'perTest',
  // The machines have 2 cores, shared with benchmarks and other runs.
  concurrency: 1,
  ignorePatterns: ['dist', 'coverage', '.data', 'bench/.work', 'reports'],
  tempDirName: '.stryker-tmp',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Below 90 % over all mutated files the run fails (docs/RELIABILITY.md lists the survivors).
  thresholds: { high: 90, low: 80, break: 90 },
};
