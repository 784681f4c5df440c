// Jest for StrykerJS (`npm run test:mutation`): the unit project of jest.config.js (same swc
// transformer), restricted to the specs of the mutated modules. Every mutant is tested against
// these files only, so the run stays minutes long and never needs PostgreSQL.
const { projects } = require('./jest.config.js');

const unit = projects.find((project) => project.displayName === 'unit');

module.exports = {
  ...unit,
  displayName: 'mutation',
  testMatch: [
    '<rootDir>/src/common/money.spec.ts',
    '<rootDir>/src/reconciliation/matcher.spec.ts',
    '<rootDir>/src/reconciliation/match-ledger.spec.ts',
    '<rootDir>/src/banks/signature/signature-schemes.spec.ts',
    '<rootDir>/src/reconciliation/suggestions/*.spec.ts',
  ],
};
