import { mkdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { addAccount } from '../helpers/accounts.js'
import { chromiumOrSkip, guardNetwork, launch } from './browser.js'
import { styleReport } from './checks.js'
import { axeViolations, ready, startWorld, type World } from './support.js'

const exe = chromiumOrSkip()
const DOCS = fileURLToPath(new URL('../../docs/', import.meta.url))

describe.skipIf(!exe)('dashboard look: sizes, contrast, accessibility, both schemes', () => {
  let world: World
  let browser: Browser
  const foreign: string[] = []

  beforeAll(async () => {
    ;[world, browser] = await Promise.all([startWorld(), launch(exe as string)])
    await addAccount(world.client, world.issuer, 1, undefined, 'work')
    await addAccount(world.client, world.issuer, 2, undefined, 'personal')
    await world.client.call('accounts.update', { alias: 'work', tags: ['team', 'primary'], notes: 'the team seat' })
    await world.client.call('rotation.force', { alias: 'work', ttlMs: 3_600_000 })
    // Real limit bars (from the fake backend's usage endpoint) so the bars are measured and pictured.
    const events = await world.daemon.connect()
    const probed = new Promise<void>((resolve) => {
      const seen = new Set<string>()
      void events.subscribe(['limits.updated'], (e) => {
        if ('alias' in e) seen.add(e.alias)
        if (seen.has('work') && seen.has('personal')) resolve()
      })
    })
    await events.call('limits.refresh', {})
    await probed
    events.close()
  }, 60_000)
  afterAll(async () => {
    await browser?.close()
    await world?.close()
  })

  for (const scheme of ['light', 'dark'] as const) {
    for (const width of [360, 1280]) {
      it(`${scheme} at ${width} px: text ≥ 11 px, controls ≥ 36 px, AA contrast, no axe serious/critical`, async () => {
        const context = await browser.newContext({ colorScheme: scheme, viewport: { width, height: 900 } })
        foreign.push(...(await guardNetwork(context)))
        const page = await context.newPage()
        const { url } = await world.client.call('dashboard.open', {})
        await page.goto(url)
        await ready(page)
        await page.getByRole('heading', { name: 'work' }).waitFor()
        // Open an edit form and the add panel's device code path so their controls are measured too.
        await page.locator('details.edit > summary').first().click()
        const report = await styleReport(page)
        expect(report.smallText).toEqual([])
        expect(report.shortControls).toEqual([])
        expect(report.lowContrast).toEqual([])
        expect(report.overflow).toBe(false)
        if (scheme === 'dark') {
          const [r, g, b] = (report.background.match(/\d+/g) ?? []).map(Number) as [number, number, number]
          expect(r === g && g === b && r >= 0x11 && r <= 0x1a).toBe(true)
          expect(report.color).toBe('rgb(232, 232, 232)')
        }
        const serious = (await axeViolations(page)).filter((v) => v.impact === 'serious' || v.impact === 'critical')
        expect(serious.map((v) => `${v.id}: ${v.help} ${JSON.stringify(v.nodes.map((n) => n.target))}`)).toEqual([])
        if (process.env.DASHBOARD_SCREENSHOTS === '1') {
          mkdirSync(DOCS, { recursive: true })
          await page.locator('details.edit > summary').first().click()
          await page.evaluate('window.scrollTo(0, 0)')
          await page.screenshot({
            path: `${DOCS}dashboard-${scheme}${width === 360 ? '-narrow' : ''}.png`,
            fullPage: width === 360 ? false : true,
          })
        }
        await context.close()
      })
    }
  }

  it('sent no request anywhere but 127.0.0.1', () => {
    expect(foreign).toEqual([])
  })
})
