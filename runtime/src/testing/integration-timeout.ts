// Integration and end-to-end tests talk to real servers: give each test a minute unless it
// says otherwise. (Jest reads `testTimeout` only from the top-level config, not per project.)
jest.setTimeout(60_000);
