import { LAUNCHD_LABEL } from '../../service-manager.js'
import type { ServiceLayout } from './layout.js'

export function launchdLogDir(home: string): string {
  return `${home}/Library/Logs/opencode-multi-auth`
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

const str = (s: string): string => `<string>${esc(s)}</string>`

/**
 * The LaunchAgent: started at login (RunAtLoad), restarted only when it did
 * not exit cleanly (so `daemon stop` sticks), absolute paths only, stdout and
 * stderr under ~/Library/Logs, and only the environment the daemon needs.
 */
export function launchdPlist(layout: ServiceLayout): string {
  const logs = launchdLogDir(layout.home)
  const args = [layout.node, ...layout.args].map((a) => `    ${str(a)}`).join('\n')
  const env = [['HOME', layout.home] as [string, string], ...layout.env]
    .map(([k, v]) => `    <key>${esc(k)}</key>\n    ${str(v)}`)
    .join('\n')
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<!-- Written by \`opencode-multi-auth service install\`; re-run it rather than editing this file. -->
<plist version="1.0">
<dict>
  <key>Label</key>
  ${str(LAUNCHD_LABEL)}
  <key>ProgramArguments</key>
  <array>
${args}
  </array>
  <key>WorkingDirectory</key>
  ${str(layout.home)}
  <key>EnvironmentVariables</key>
  <dict>
${env}
  </dict>
  <key>RunAtLoad</key>
  <true/>
  <key>KeepAlive</key>
  <dict>
    <key>SuccessfulExit</key>
    <false/>
  </dict>
  <key>ProcessType</key>
  ${str('Background')}
  <key>Umask</key>
  <integer>63</integer>
  <key>StandardOutPath</key>
  ${str(`${logs}/daemon.out.log`)}
  <key>StandardErrorPath</key>
  ${str(`${logs}/daemon.err.log`)}
</dict>
</plist>
`
}
