/** What the chaos phases share: the flags, the figures they print, the invariants they saw broken. */
export interface ChaosRun {
  readonly opts: { trials: number; frames: number; connections: number; json: boolean }
  readonly figures: Record<string, number | string | boolean>
  readonly broken: string[]
  readonly say: (line: string) => void
}
