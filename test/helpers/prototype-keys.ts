/**
 * Property names that a plain object answers for although nobody put them there: looked up
 * with a shopper's word (`lexicon[word]`, `word in table`), they return a function, a
 * prototype or `true`, and the NaN, crash or wrong branch follows. Tests put them into
 * shopper sentences (issue 14, point 6).
 */

/** Every own property name of Object.prototype, plus the keys named in the issue. */
export const PROTOTYPE_KEYS: readonly string[] = [
  ...new Set([
    ...Object.getOwnPropertyNames(Object.prototype),
    '__proto__',
    'prototype',
    'constructor',
    'toString',
    'hasOwnProperty',
    '__defineGetter__',
    'valueOf',
  ]),
];

/**
 * PROTOTYPE_KEYS plus what a function, an array or a string answers for (`length`, `name`,
 * `call`, `find`, `keys`, `values` …: ordinary English words too), in the lower-case form
 * most lookups use as well.
 */
export const DANGEROUS_KEYS: readonly string[] = [
  ...new Set(
    [
      ...PROTOTYPE_KEYS,
      ...Object.getOwnPropertyNames(Function.prototype),
      ...Object.getOwnPropertyNames(Array.prototype),
      ...Object.getOwnPropertyNames(String.prototype),
    ].flatMap((k) => [k, k.toLowerCase()]),
  ),
];
