// Keeps `npm ci` working on a clean clone. npm leaves optional platform packages it cannot fetch
// out of package-lock.json (the registry this project installs from lacks chdb's macOS and
// Linux-arm64 builds), and `npm ci` then calls the lock out of sync. This adds an entry for each
// missing one, marked with its os/cpu so that npm skips it on every other platform.
// Run after `npm install` changes the lock: `npm run lock:platforms`.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'

interface LockEntry {
  version?: string
  optionalDependencies?: Record<string, string>
  os?: string[]
  cpu?: string[]
  libc?: string[]
  optional?: boolean
  license?: string
}

const platform = (name: string) => ({
  os: ['darwin', 'linux', 'win32', 'freebsd'].filter((os) => name.includes(os)),
  cpu: ['arm64', 'x64', 'ia32', 'arm'].filter((cpu) => new RegExp(`-${cpu}(-|$)`).test(name)).slice(0, 1),
  libc: name.endsWith('-gnu') ? ['glibc'] : name.endsWith('-musl') ? ['musl'] : [],
})

/** Names of optional platform packages that the lock lacks. */
export function missingPlatformPackages(lock: { packages: Record<string, LockEntry> }): Array<{ key: string; version: string }> {
  const missing: Array<{ key: string; version: string }> = []
  for (const entry of Object.values(lock.packages)) {
    for (const [name, range] of Object.entries(entry.optionalDependencies ?? {})) {
      const key = `node_modules/${name}`
      if (!lock.packages[key] && platform(name).os.length > 0) missing.push({ key, version: range.replace(/^[\^~]/, '') })
    }
  }
  return missing
}

export function addPlatformPackages(path: string): string[] {
  const lock = JSON.parse(readFileSync(path, 'utf8')) as { packages: Record<string, LockEntry> }
  const missing = missingPlatformPackages(lock)
  for (const { key, version } of missing) {
    const { os, cpu, libc } = platform(key)
    lock.packages[key] = { version, optional: true, os, cpu, ...(libc.length > 0 ? { libc } : {}) }
  }
  writeFileSync(path, `${JSON.stringify(lock, null, 2)}\n`)
  return missing.map((entry) => entry.key)
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const added = addPlatformPackages(join(process.cwd(), 'package-lock.json'))
  console.log(added.length > 0 ? `added ${added.join(', ')}` : 'package-lock.json already lists every platform package')
}
