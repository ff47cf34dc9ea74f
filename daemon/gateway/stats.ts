/** Counters for gateway.status: requests, failovers, the last error (never a secret or prompt text). */
export class GatewayStats {
  requests = 0
  failovers = 0
  lastError: { at: number; message: string } | undefined

  constructor(private readonly now: () => number) {}

  request(): void {
    this.requests++
  }

  failover(): void {
    this.failovers++
  }

  error(message: string): void {
    this.lastError = { at: this.now(), message: message.slice(0, 300) }
  }
}
