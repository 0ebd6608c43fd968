// One config, three projects: unit tests need nothing running; int and e2e tests get real
// servers from the shared infrastructure setup (env URLs, else Testcontainers, else local
// processes), started once per jest run and stopped when it ends.
const swc = [
  '@swc/jest',
  {
    jsc: {
      target: 'es2023',
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
    },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const shared = {
  rootDir: __dirname,
  testEnvironment: 'node',
  // .js too: the spec's own JavaScript examples (gateway/src/spec-examples) run as written.
  transform: { '^.+\\.(ts|js)$': swc },
  moduleFileExtensions: ['ts', 'js', 'json'],
  // Tests run against the workspace sources, not against stale build output.
  moduleNameMapper: {
    '^@chat/(contracts|runtime)$': '<rootDir>/$1/src',
    '^@chat/(contracts|runtime)/(.*)$': '<rootDir>/$1/src/$2',
    '^@chat/projections/read-models$': '<rootDir>/services/projections/src/read-models/public',
  },
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  modulePathIgnorePatterns: ['<rootDir>/.*/dist/'],
};

const withInfrastructure = {
  globalSetup: '<rootDir>/runtime/src/testing/global-setup.ts',
  globalTeardown: '<rootDir>/runtime/src/testing/global-teardown.ts',
  setupFilesAfterEnv: ['<rootDir>/runtime/src/testing/integration-timeout.ts'],
};

module.exports = {
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['**/*.unit.spec.ts'] },
    { ...shared, ...withInfrastructure, displayName: 'int', testMatch: ['**/*.int.spec.ts'] },
    { ...shared, ...withInfrastructure, displayName: 'e2e', testMatch: ['**/*.e2e.spec.ts'] },
  ],
};
