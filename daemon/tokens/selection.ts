import type { StoreData } from '../store/schema.js'

export interface SelectRequest {
  model?: string
  sessionKey?: string
  exclude?: string[]
}

/**
 * Chooses which accounts may serve a request, best first, and says why none could.
 * The token engine knows nothing of strategies or eligibility; rotation
 * (RotationSelector, passed in by the composition root) implements this.
 */
export interface Selector {
  /**
   * Servable aliases in the order to try; a failure falls through to the next. Lazy: the
   * first one usually serves, so the rest of a large pool is never laid out.
   */
  candidates(data: Readonly<StoreData>, req: SelectRequest, now: number): Iterable<string>
  /**
   * Every candidate failed (or there was none): the error token.get answers with.
   * `tried` holds the failed refresh's message per alias that was tried.
   */
  exhausted(data: Readonly<StoreData>, req: SelectRequest, now: number, tried: ReadonlyMap<string, string>): Error
  /** Called once an alias actually served the request. */
  served(alias: string, req: SelectRequest, now: number): void
}
