// Brigade's lint: a few named rules that keep the architecture's boundaries (see ARCHITECTURE.md), not a style
// guide. `npm run lint`; `test/lint.test.ts` proves each boundary rule fails on a deliberate violation.
import importX from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

const SERVICES = ['auth', 'menu', 'orders', 'station'];
const packageOf = (name) => [`@brigade/${name}`, `@brigade/${name}/*`];

const NO_TEST_HELPERS = {
  group: [...packageOf('testing'), 'vitest', '**/test/**'],
  message: 'Production code never imports test helpers.',
};
const noOtherService = (self) => ({
  group: [...SERVICES.filter((n) => n !== self).flatMap((n) => [...packageOf(n), `**/${n}/src/**`]), ...packageOf('gateway')],
  message: 'A service never imports another service: call it over GraphQL, or move the mechanism to @brigade/platform.',
});
const NO_SUBGRAPH = {
  group: [...SERVICES.flatMap(packageOf), '**/subgraphs/**'],
  message: 'The gateway never imports a subgraph: it knows them only through the supergraph.',
};
const NO_SERVICE_IN_PLATFORM = {
  group: [...SERVICES.flatMap(packageOf), ...packageOf('gateway'), '**/subgraphs/**', '**/gateway/**'],
  message: 'The platform holds mechanisms and imports no service (nor the gateway).',
};
const PURE_DOMAIN = {
  group: ['graphql', 'graphql/*', 'graphql-tag', '@apollo/*', '../data/*', '../resolvers/*', '../clients/*', 'pg', '@electric-sql/*'],
  message: 'Domain code is pure: it imports neither graphql nor data access (name a port in domain/ instead).',
};
/** The boundaries that hold in a set of files, as one rule whose message names the boundary a violation crosses. */
const boundaries = (files, ...patterns) => ({ files, rules: { 'no-restricted-imports': ['error', { patterns }] } });

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/dist/**', '.data/**', 'bench/results/**', 'clients/web/src/gql/**'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin, 'import-x': importX },
    rules: {
      // Types vanish at run time; importing them as values drags modules (and their side effects) in.
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports', disallowTypeAnnotations: false }],
      // Every package names what it imports in its own package.json (npm workspaces hoist, so nothing else would).
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          devDependencies: ['**/test/**', '**/*.test.ts', '**/scripts/**', 'bench/**', 'vitest.config.ts', '**/vite.config.ts'],
        },
      ],
    },
  },
  boundaries(['packages/platform/src/**'], NO_SERVICE_IN_PLATFORM, NO_TEST_HELPERS),
  boundaries(['gateway/src/**'], NO_SUBGRAPH, NO_TEST_HELPERS),
  ...SERVICES.map((name) => boundaries([`subgraphs/${name}/src/**`], noOtherService(name), NO_TEST_HELPERS)),
  ...SERVICES.map((name) => boundaries([`subgraphs/${name}/src/domain/**`], noOtherService(name), NO_TEST_HELPERS, PURE_DOMAIN)),
);
