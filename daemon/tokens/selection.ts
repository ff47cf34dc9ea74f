import type { StoreData } from '../store/schema.js'

export interface SelectRequest {
  model?: string
  sessionKey?: string
  exclude?: string[]
}

/** Chooses which accounts may serve a request, best first. Rotation plugs its strategies in here. */
export interface Selector {
  /** Servable aliases in the order to try; a failure falls through to the next. */
  candidates(data: Readonly<StoreData>, req: SelectRequest, now: number): string[]
  /** When every candidate failed: a more specific error than NO_ELIGIBLE_ACCOUNTS, if any. */
  exhausted?(data: Readonly<StoreData>, req: SelectRequest, now: number): Error | undefined
  /** Called once an alias actually served the request. */
  served?(alias: string, req: SelectRequest, now: number): void
}
