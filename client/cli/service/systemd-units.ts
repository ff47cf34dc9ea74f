import { SERVICE_UNIT, SOCKET_UNIT } from '../../service-manager.js'
import type { ServiceLayout } from './layout.js'

/** %t is the user's runtime directory ($XDG_RUNTIME_DIR), as the clients resolve the socket by default. */
const RUNTIME_SOCKET = '%t/opencode-multi-auth/daemon.sock'

/** One word of a unit setting: specifiers and variables escaped, quoted when it holds blanks or quotes. */
export function unitWord(s: string): string {
  const escaped = s.replace(/%/g, '%%').replace(/\$/g, '$$$$')
  if (!/[\s"'\\;]/.test(escaped)) return escaped
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** Environment= assignment; no $ expansion applies there, only specifiers. */
function envWord(key: string, value: string): string {
  const v = `${key}=${value}`.replace(/%/g, '%%')
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`
}

/** ListenStream= takes the path verbatim (no quoting), so a path with blanks cannot be said there. */
export class UnitPathError extends Error {}

function listenPath(path: string): string {
  if (/\s/.test(path))
    throw new UnitPathError(
      `systemd cannot listen on a socket path with blanks in it (${path}): set OPENCODE_MULTI_AUTH_SOCKET to a path without, or unset it`,
    )
  return path.replace(/%/g, '%%')
}

export function socketUnit(layout: ServiceLayout): string {
  const listen = layout.listen.kind === 'runtime' ? RUNTIME_SOCKET : listenPath(layout.listen.path)
  return `# Written by \`opencode-multi-auth service install\`; re-run it rather than editing this file.
[Unit]
Description=opencode-multi-auth daemon socket
Documentation=man:systemd.socket(5)

[Socket]
ListenStream=${listen}
SocketMode=0600
DirectoryMode=0700
RemoveOnStop=yes

[Install]
WantedBy=sockets.target
`
}

/**
 * The service, hardened as far as Node allows: no MemoryDenyWriteExecute (V8's
 * JIT needs writable+executable pages) and the whole file system read-only but
 * the directories the daemon writes. docs/operations.md says why each line is there.
 */
export function serviceUnit(layout: ServiceLayout): string {
  const exec = [layout.node, ...layout.args].map(unitWord).join(' ')
  const runtimeDir = layout.listen.kind === 'runtime' ? ['%t/opencode-multi-auth'] : []
  const rw = [...layout.writable.map(unitWord), ...runtimeDir].map((p) => `ReadWritePaths=${p}`).join('\n')
  const env = [
    ...(layout.listen.kind === 'runtime' ? [`Environment=OPENCODE_MULTI_AUTH_SOCKET=${RUNTIME_SOCKET}`] : []),
    ...layout.env.map(([k, v]) => `Environment=${envWord(k, v)}`),
  ].join('\n')
  return `# Written by \`opencode-multi-auth service install\`; re-run it rather than editing this file.
[Unit]
Description=opencode-multi-auth daemon (ChatGPT/Codex accounts)
Documentation=man:systemd.service(5)
Requires=${SOCKET_UNIT}
After=${SOCKET_UNIT}

[Service]
Type=simple
ExecStart=${exec}
WorkingDirectory=${unitWord(layout.home)}
${env}
Restart=on-failure
RestartSec=2
UMask=0077
LimitCORE=0
NoNewPrivileges=yes
ProtectSystem=strict
ProtectHome=read-only
${rw}
PrivateTmp=yes
PrivateDevices=yes
PrivateUsers=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
KeyringMode=private
RemoveIPC=yes
DevicePolicy=closed
CapabilityBoundingSet=
AmbientCapabilities=
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged
SystemCallErrorNumber=EPERM

[Install]
WantedBy=default.target
`
}

export function systemdFiles(unitDir: string, layout: ServiceLayout): { path: string; text: string }[] {
  return [
    { path: `${unitDir}/${SERVICE_UNIT}`, text: serviceUnit(layout) },
    { path: `${unitDir}/${SOCKET_UNIT}`, text: socketUnit(layout) },
  ]
}
