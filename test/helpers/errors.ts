import { isShopError, type ShopError } from '../../store/index.js';

/** The ShopError a promise rejects with; any other error is rethrown, and fulfilment fails the test. */
export async function shopErrorOf(p: Promise<unknown>, what = 'the call'): Promise<ShopError> {
  try {
    await p;
  } catch (err) {
    if (isShopError(err)) return err;
    throw err;
  }
  throw new Error(`expected ${what} to fail`);
}
