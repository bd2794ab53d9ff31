// `npm run candor -- <command>`: operator commands. When a server holds DATA_DIR, the CLI works
// through it (the operator token is in DATA_DIR/candor.lock); otherwise it opens the databases
// itself, holding the same lock, so the two never run beside each other.
import { parseArgs } from 'node:util'
import type { User } from '../accounts/index.ts'
import { ConfigError, loadConfig } from '../config.ts'
import { DataDirLockedError } from '../db/index.ts'
import { describePublished, parsePublishArgs, PUBLISH_USAGE, PublishUsageError } from '../documents/index.ts'
import { HttpError } from '../errors.ts'
import { checkSeedRequest, progressReporter, summaryLine } from '../seed/index.ts'
import type { Site } from '../sites/index.ts'
import { connect } from './backend.ts'
import { readPassword } from './password.ts'

const USAGE = `Usage: npm run candor -- <command>

  site add <domain> [--alias <host>]... [--timezone <IANA zone>] [--retention-days <N>]
  site set <domain> [--alias <host>]... [--timezone <IANA zone>] [--retention-days <N>]
  site list
  key create --site <domain>       prints a new Stats API key as the last line
  user create [--admin] --email <address> --login <login> [--first-name <name>] [--last-name <name>]
                                   the password is read from standard input, or asked for
  user list
  seed --site <domain> --events <N> --days <D> [--seed <n>]
                                   writes N synthetic events (and their visits) over the last D days
  ${PUBLISH_USAGE}

Environment: the same variables as the server (DATA_DIR, DATABASE_URL, CLICKHOUSE_URL, …).`

class UsageError extends Error {}

function siteOptions(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { alias: { type: 'string', multiple: true }, timezone: { type: 'string' }, 'retention-days': { type: 'string' } },
  })
  const retention = values['retention-days']
  if (retention !== undefined && !/^\d+$/.test(retention)) throw new UsageError('--retention-days takes a whole number of days')
  return {
    domain: positionals[0],
    extra: positionals.slice(1),
    changes: {
      ...(values.alias ? { aliases: values.alias } : {}),
      ...(values.timezone ? { timezone: values.timezone } : {}),
      ...(retention !== undefined ? { retentionDays: Number(retention) } : {}),
    },
  }
}

const describeSite = (site: Site) =>
  `${site.domain}\ttimezone ${site.timezone}\tretention ${site.retentionDays} days` +
  (site.aliases.length > 0 ? `\taliases ${site.aliases.join(', ')}` : '')

const describeUser = (user: User) =>
  `${user.login}\t${user.email}\t${user.role}\t${user.firstName} ${user.lastName}${user.emailVerified ? '' : '\t(email not confirmed)'}`

const COMMANDS = ['site add', 'site set', 'site list', 'key create', 'user create', 'user list', 'policy publish', 'seed']

/** A whole number option, or a usage error naming it. */
function wholeNumber(name: string, value: string | undefined): number {
  if (value === undefined || !/^\d+$/.test(value)) throw new UsageError(`seed needs --${name} <whole number>`)
  return Number(value)
}

async function run(argv: string[], out: (line: string) => void): Promise<void> {
  const [group, ...afterGroup] = argv
  if (!group || group === 'help' || group === '--help') return out(USAGE)
  // `seed` is a command of one word; the others name a group and an action.
  const [action, ...rest] = group === 'seed' ? ['', ...afterGroup] : afterGroup
  const command = `${group} ${action ?? ''}`.trim()
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"`)

  // Arguments are checked before anything is opened.
  let work: (backend: Awaited<ReturnType<typeof connect>>) => Promise<void>
  switch (command) {
    case 'site add': {
      const { domain, extra, changes } = siteOptions(rest)
      if (!domain || extra.length > 0) throw new UsageError('site add takes one domain')
      work = async (backend) => out(`added ${describeSite(await backend.addSite({ domain, ...changes }))}`)
      break
    }
    case 'site set': {
      const { domain, extra, changes } = siteOptions(rest)
      if (!domain || extra.length > 0 || Object.keys(changes).length === 0) {
        throw new UsageError('site set takes one domain and at least one of --alias, --timezone, --retention-days')
      }
      work = async (backend) => out(`updated ${describeSite(await backend.updateSite(domain, changes))}`)
      break
    }
    case 'site list':
      work = async (backend) => {
        const sites = await backend.listSites()
        if (sites.length === 0) out('no sites yet: npm run candor -- site add example.com')
        for (const site of sites) out(describeSite(site))
      }
      break
    case 'key create': {
      const { values } = parseArgs({ args: rest, options: { site: { type: 'string' } } })
      if (!values.site) throw new UsageError('key create needs --site <domain>')
      const domain = values.site
      work = async (backend) => {
        const { key, domain: site } = await backend.createKey(domain)
        out(`Stats API key for ${site} (shown once; only its hash is stored):`)
        out(key)
      }
      break
    }
    case 'user create': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          admin: { type: 'boolean' },
          email: { type: 'string' },
          login: { type: 'string' },
          'first-name': { type: 'string' },
          'last-name': { type: 'string' },
        },
      })
      if (positionals.length > 0 || !values.email || !values.login) throw new UsageError('user create needs --email and --login')
      const password = await readPassword('Password: ')
      const account = {
        email: values.email,
        login: values.login,
        firstName: values['first-name'] ?? values.login,
        lastName: values['last-name'] ?? '-',
        password,
        role: values.admin ? ('admin' as const) : ('customer' as const),
      }
      work = async (backend) => out(`created ${describeUser(await backend.createUser(account))}`)
      break
    }
    case 'user list':
      work = async (backend) => {
        const users = await backend.listUsers()
        if (users.length === 0) out('no accounts yet: npm run candor -- user create --admin --email … --login …')
        for (const user of users) out(describeUser(user))
      }
      break
    case 'policy publish': {
      const file = parsePublishArgs(rest)
      work = async (backend) => {
        out(describePublished(await backend.publish(file)))
      }
      break
    }
    case 'seed': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { site: { type: 'string' }, events: { type: 'string' }, days: { type: 'string' }, seed: { type: 'string' } },
      })
      if (positionals.length > 0 || !values.site) throw new UsageError('seed needs --site <domain>, --events <N> and --days <D>')
      const order = {
        site: values.site,
        events: wholeNumber('events', values.events),
        days: wholeNumber('days', values.days),
        ...(values.seed === undefined ? {} : { seed: wholeNumber('seed', values.seed) }),
      }
      const problem = checkSeedRequest(order)
      if (problem) throw new UsageError(problem)
      work = async (backend) => {
        const progress = progressReporter(process.stderr)
        const summary = await backend.seed(order, (update) => progress.update(update)).finally(() => progress.done())
        out(summaryLine(summary))
      }
      break
    }
    default:
      throw new UsageError(`unknown command "${command}"`)
  }

  const backend = await connect(loadConfig())
  try {
    await work(backend)
  } finally {
    await backend.close()
  }
}

try {
  await run(process.argv.slice(2), (line) => process.stdout.write(`${line}\n`))
} catch (error) {
  if (error instanceof UsageError || error instanceof PublishUsageError) {
    process.stderr.write(`candor: ${error.message}\n\n${USAGE}\n`)
    process.exitCode = 2
  } else if (error instanceof HttpError || error instanceof ConfigError || error instanceof DataDirLockedError) {
    process.stderr.write(`candor: ${error.message}\n`)
    process.exitCode = 1
  } else if (error instanceof TypeError && /parseArgs|Unknown option|ERR_PARSE_ARGS/.test(`${(error as NodeJS.ErrnoException).code} ${error.message}`)) {
    process.stderr.write(`candor: ${error.message}\n\n${USAGE}\n`)
    process.exitCode = 2
  } else {
    throw error
  }
}
