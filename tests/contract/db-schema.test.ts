// server/src/db/schema.ts is written by hand (its column types say how the API reads and
// writes each column, which a generator cannot know). This test holds it to the database the
// migrations make: the same tables, the same columns, the same nullability, a TypeScript type
// that fits the SQL type, and a column that may be left out of an insert only where the
// database fills it in.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { testDatabase } from '../setup/database.js'

const schemaFile = fileURLToPath(new URL('../../server/src/db/schema.ts', import.meta.url))

interface DeclaredColumn {
  type: string
  nullable: boolean
  /** May be left out of an insert: `Generated<…>`, a defaulted or database-set column. */
  optionalOnInsert: boolean
}

/** Wrappers of schema.ts whose insert type admits `undefined` (or `never`: set by the database). */
const OPTIONAL_ON_INSERT = /^(Generated|Timestamp|DatabaseSet)\b/

/** The tables of the `DB` interface and their columns, as schema.ts declares them. */
function declaredTables(): Map<string, Map<string, DeclaredColumn>> {
  const source = ts.createSourceFile(schemaFile, readFileSync(schemaFile, 'utf8'), ts.ScriptTarget.Latest, true)
  const interfaces = new Map<string, ts.InterfaceDeclaration>()
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node)
  })
  const db = interfaces.get('DB')
  if (!db) throw new Error('schema.ts declares no DB interface')
  const tables = new Map<string, Map<string, DeclaredColumn>>()
  for (const member of db.members) {
    if (!ts.isPropertySignature(member) || !member.type) continue
    const table = interfaces.get(member.type.getText())
    if (!table) throw new Error(`schema.ts: no interface ${member.type.getText()}`)
    const columns = new Map<string, DeclaredColumn>()
    for (const column of table.members) {
      if (!ts.isPropertySignature(column) || !column.type) continue
      const type = column.type.getText()
      columns.set(column.name.getText(), {
        type,
        nullable: /\bnull\b/.test(type),
        optionalOnInsert: OPTIONAL_ON_INSERT.test(type) || /\bnull\b/.test(type),
      })
    }
    tables.set(member.name.getText(), columns)
  }
  return tables
}

/** The TypeScript types each SQL type may be declared as (timestamps are read as ISO strings). */
const FITS: Record<string, RegExp> = {
  // A string, or a union of the literals a check constraint allows.
  text: /\bstring\b|^'[^']*'( \| '[^']*')*$/,
  varchar: /\bstring\b/,
  uuid: /\bstring\b/,
  bool: /\bboolean\b/,
  int2: /\bnumber\b/,
  int4: /\bnumber\b/,
  int8: /\b(string|bigint)\b/,
  numeric: /\bstring\b/,
  date: /\bstring\b/,
  timestamptz: /^(Timestamp|DatabaseSet<string)/,
  _text: /\bstring\[\]/,
  tsvector: /\bstring\b|^DatabaseSet/,
  xid8: /\bstring\b/,
}

describe('server/src/db/schema.ts', () => {
  it('declares exactly the tables and columns the migrations make', async () => {
    const { db } = await testDatabase()
    const actual = (await db.introspection.getTables()).filter((table) => table.schema === 'public')
    const declared = declaredTables()
    expect(actual.map((table) => table.name).sort()).toEqual([...declared.keys()].sort())
    for (const table of actual) {
      const columns = declared.get(table.name)!
      expect(table.columns.map((column) => column.name).sort(), table.name).toEqual([...columns.keys()].sort())
      for (const column of table.columns) {
        const where = `${table.name}.${column.name}`
        const mine = columns.get(column.name)!
        expect(mine.nullable, `${where} nullable`).toBe(column.isNullable)
        expect(FITS[column.dataType], `${where}: no rule for the SQL type ${column.dataType}`).toBeDefined()
        expect(mine.type, `${where} (${column.dataType})`).toMatch(FITS[column.dataType]!)
        // A column the database fills in (default, identity, trigger) may be optional on insert;
        // one it does not fill in must not be, or an insert could leave it out and fail.
        if (!column.hasDefaultValue && !column.isNullable && !column.isAutoIncrementing) {
          expect(mine.optionalOnInsert && !mine.type.startsWith('DatabaseSet'), `${where} has no default`).toBe(false)
        }
      }
    }
  })
})
