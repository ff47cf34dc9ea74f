import { readFileSync } from 'node:fs'
import type { Page } from 'playwright-core'

export interface StyleReport {
  smallText: string[]
  shortControls: string[]
  lowContrast: string[]
  overflow: boolean
  background: string
  color: string
}

// Plain browser JavaScript, evaluated in the page: the project's TypeScript has no DOM types, on purpose.
const STYLE_REPORT = readFileSync(new URL('./style-report.browser.js', import.meta.url), 'utf8')

/** The C1 size, contrast and overflow checks, measured with the page's computed styles. */
export function styleReport(page: Page): Promise<StyleReport> {
  return page.evaluate<StyleReport>(STYLE_REPORT)
}

/** The focused element's outline style (`none` means focus is invisible). */
export function focusOutline(page: Page): Promise<string> {
  return page.evaluate<string>('getComputedStyle(document.activeElement).outlineStyle')
}
