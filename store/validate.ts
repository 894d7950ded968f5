import { z } from 'zod';

/**
 * `schema.safeParse(input)` that never throws. zod 4 still runs a string's or array's
 * length checks (`.min`, `.max`) on a value of the wrong type when it has a `length`, and
 * compares that length with a number: `{"length": [{"toString": null}]}`, one line of JSON,
 * made every door that validates a body with such a schema answer 500. Every check of
 * outside input goes through here (a lint rule forbids calling `.safeParse` directly), so
 * such input is an ordinary validation failure with a clear message.
 */
export function safeParse<S extends z.ZodType>(schema: S, input: unknown): z.ZodSafeParseResult<z.output<S>> {
  try {
    return schema.safeParse(input);
  } catch {
    return {
      success: false,
      error: new z.ZodError([{ code: 'custom', path: [], message: 'malformed value (a field is not of the expected type)', input }]),
    } as z.ZodSafeParseResult<z.output<S>>;
  }
}
