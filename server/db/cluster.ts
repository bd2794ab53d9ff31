// Generates the ClickHouse cluster variant of a single-node migration statement:
// MergeTree tables become ReplicatedMergeTree `<name>_local` tables plus a Distributed `<name>`
// over them, and every DDL statement runs ON CLUSTER. Reads and writes keep using `<name>`.
//
// The single-node files are the source. A table chooses its sharding key with a comment inside its
// CREATE statement: `-- shard key: <expression>` (rows that collapse together, such as a session's
// sign rows, must share a shard). Without one, rows are spread with rand().

const createTable =
  /^CREATE TABLE (IF NOT EXISTS )?([A-Za-z_][A-Za-z0-9_]*)\s*\(([\s\S]*)\)\s*ENGINE\s*=\s*(\w*)MergeTree(?:\(([^)]*)\))?([\s\S]*)$/
const createView = /^CREATE MATERIALIZED VIEW (IF NOT EXISTS )?([A-Za-z_][A-Za-z0-9_]*)\s+TO\s+([A-Za-z_][A-Za-z0-9_]*)([\s\S]*)$/
const alterTable = /^ALTER TABLE ([A-Za-z_][A-Za-z0-9_]*)\s+([\s\S]*)$/
const dropTable = /^DROP (TABLE|VIEW) (IF EXISTS )?([A-Za-z_][A-Za-z0-9_]*)([\s\S]*)$/

export function clusterStatements(statement: string, cluster: string, database: string): string[] {
  const on = `ON CLUSTER \`${cluster}\``
  const sql = statement.replace(/^(\s*--.*\n)+/, '').trim()

  const table = createTable.exec(sql)
  if (table) {
    const [, ifNotExists = '', name, columns, kind, args, rest = ''] = table
    const local = `${name}_local`
    const shardKey = /--\s*shard key:\s*(.+)$/m.exec(columns!)?.[1]?.trim() ?? 'rand()'
    const engineArgs = [`'/clickhouse/tables/{shard}/${database}/${local}'`, `'{replica}'`]
    if (args && args.trim()) engineArgs.push(args.trim())
    // Replicated tables deduplicate inserts by token natively (replicated_deduplication_window).
    const settings = rest
      .replace(/\bnon_replicated_deduplication_window\s*=\s*\d+\s*,\s*/, '')
      .replace(/,?\s*non_replicated_deduplication_window\s*=\s*\d+/, '')
      .replace(/SETTINGS\s*$/m, '')
    return [
      `CREATE TABLE ${ifNotExists}${local} ${on} (${columns}) ENGINE = Replicated${kind}MergeTree(${engineArgs.join(', ')})${settings}`,
      `CREATE TABLE ${ifNotExists}${name} ${on} AS ${local} ENGINE = Distributed(\`${cluster}\`, ${database}, ${local}, ${shardKey})`,
    ]
  }

  const view = createView.exec(sql)
  if (view) {
    const [, ifNotExists = '', name, target, rest = ''] = view
    // A view attached to the local source table fires on every replica's own inserts.
    const select = rest.replace(/\bFROM\s+([A-Za-z_][A-Za-z0-9_]*)\b/g, 'FROM $1_local')
    return [`CREATE MATERIALIZED VIEW ${ifNotExists}${name} ${on} TO ${target}_local${select}`]
  }

  const alter = alterTable.exec(sql)
  if (alter) {
    const [, name, change = ''] = alter
    const statements = [`ALTER TABLE ${name}_local ${on} ${change}`]
    // Column changes must reach the Distributed table too, or it cannot read the new columns.
    if (/^\s*(ADD|DROP|MODIFY|RENAME|COMMENT) COLUMN/i.test(change)) {
      statements.push(`ALTER TABLE ${name} ${on} ${change.replace(/\s+(CODEC|TTL)\b[\s\S]*$/i, '')}`)
    }
    return statements
  }

  const drop = dropTable.exec(sql)
  if (drop) {
    const [, kind, ifExists = '', name, rest = ''] = drop
    if (kind === 'VIEW') return [`DROP VIEW ${ifExists}${name} ${on}${rest}`]
    return [`DROP TABLE ${ifExists}${name} ${on}${rest}`, `DROP TABLE ${ifExists}${name}_local ${on}${rest}`]
  }

  throw new Error(`no cluster variant for statement: ${sql.slice(0, 80)}`)
}
