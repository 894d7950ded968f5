// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const PRODUCTION = ['recommender/**/*.ts', 'bots/**/*.ts', 'channels/**/*.ts', 'app/**/*.ts', 'store/**/*.ts', 'server.ts', 'cli.ts'];
const TEXT_LAYERS = ['skills/**/*.ts', 'knowledge/**/*.ts'];
const NO_IN_LOOKUP = {
  selector: "BinaryExpression[operator='in'][left.type!='Literal']",
  message: '`key in object` is true for constructor, toString, __proto__ …: use a Map (.has) or Object.hasOwn(object, key).',
};
// zod 4 runs .min/.max length checks on a value of the wrong type that has a `length`; an array
// of unprintable objects there throws inside safeParse (a 500). store/validate.ts catches it.
const NO_DIRECT_SAFE_PARSE = {
  selector: "CallExpression[callee.property.name='safeParse']",
  message: 'schema.safeParse can throw on hostile input (zod length checks on a wrong-typed value): use safeParse(schema, input) from store/index.ts.',
};
const STRING_RECORD = "TSTypeReference[typeName.name='Record'] > TSTypeParameterInstantiation > TSStringKeyword:first-child";
const DICTIONARY = 'a string-keyed plain object answers for constructor, toString, __proto__ …: use a Map, or Object.create(null) (read with Object.hasOwn).';
const NO_PLAIN_DICTIONARIES = [
  { selector: `VariableDeclarator[init.type='ObjectExpression'] > Identifier.id > TSTypeAnnotation ${STRING_RECORD}`, message: `Record<string, …> = {…}: ${DICTIONARY}` },
  { selector: "VariableDeclarator[init.type='ObjectExpression'] > Identifier.id > TSTypeAnnotation TSIndexSignature", message: `{ [key: string]: … } = {…}: ${DICTIONARY}` },
  { selector: `TSAsExpression[expression.type='CallExpression'][expression.callee.property.name='parse'] > ${STRING_RECORD}`, message: `JSON.parse(…) as Record<string, …>: ${DICTIONARY}` },
];

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/runtime/**', 'web/**/*.bundle.js', '.ci/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/ban-ts-comment': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': ['error', { allow: ['error'] }],
    },
  },
  {
    files: ['cli.ts', 'bench/**/*.ts', 'scripts/**/*.ts', 'test/**/*.ts'],
    rules: { 'no-console': 'off' },
  },
  // A plain object answers for `constructor`, `toString`, `__proto__` … too: looked up with a
  // shopper's word, an intent or category name from data, it returns a function and the turn
  // breaks (issue 14, "Is the constructor set included?"). Lookups keyed by such text use a Map,
  // an Object.create(null) object or Object.hasOwn; test/prototype-keys.test.ts runs every
  // understanding entry point over those names.
  {
    files: [...PRODUCTION, ...TEXT_LAYERS],
    rules: { 'no-restricted-syntax': ['error', NO_IN_LOOKUP, NO_DIRECT_SAFE_PARSE] },
  },
  {
    // Where shoppers' text is tokenised and looked up: no string-keyed plain-object tables at all.
    files: TEXT_LAYERS,
    rules: { 'no-restricted-syntax': ['error', NO_IN_LOOKUP, NO_DIRECT_SAFE_PARSE, ...NO_PLAIN_DICTIONARIES] },
  },
  {
    // The one place allowed to call zod's safeParse directly.
    files: ['store/validate.ts'],
    rules: { 'no-restricted-syntax': ['error', NO_IN_LOOKUP] },
  },
);
