import {expect} from 'vitest'

import {BLOCK_SIZE, CELL_SIZE} from '../../src/db/schema.js'
import type {TestDatabase} from './db.js'

const C = CELL_SIZE

/** Both summaries hold what ip holds: addresses by status per cell of 256, and per block of 4096. */
export async function expectSummariesTrue(db: TestDatabase) {
  const actual = `SELECT family, FLOOR(addr / ${C}) AS cell, SUM(status = 'ALLOCATED') AS a, SUM(status = 'RESERVED') AS r, SUM(status = 'USED') AS u FROM ip GROUP BY family, FLOOR(addr / ${C})`
  const wrong = await db.sql(`
    SELECT c.family, c.cell, c.allocated, c.reserved, c.used, x.a, x.r, x.u FROM ipam_ip_cell c LEFT JOIN (${actual}) x ON x.family = c.family AND x.cell = c.cell
    WHERE c.allocated <> COALESCE(x.a, 0) OR c.reserved <> COALESCE(x.r, 0) OR c.used <> COALESCE(x.u, 0)
    UNION ALL
    SELECT x.family, x.cell, NULL, NULL, NULL, x.a, x.r, x.u FROM (${actual}) x LEFT JOIN ipam_ip_cell c ON c.family = x.family AND c.cell = x.cell WHERE c.cell IS NULL`)
  expect(wrong).toEqual([])
  await expectBlocksTrue(db)
}

/** The block summary (addresses per block of 4096, for next-free) holds what ip holds, too. */
async function expectBlocksTrue(db: TestDatabase) {
  const actual = `SELECT family, FLOOR(addr / ${BLOCK_SIZE}) AS block, COUNT(*) AS n FROM ip GROUP BY family, FLOOR(addr / ${BLOCK_SIZE})`
  const wrong = await db.sql(`
    SELECT b.family, b.block, b.used, x.n FROM ipam_ip_block b LEFT JOIN (${actual}) x ON x.family = b.family AND x.block = b.block WHERE b.used <> COALESCE(x.n, 0)
    UNION ALL
    SELECT x.family, x.block, NULL, x.n FROM (${actual}) x LEFT JOIN ipam_ip_block b ON b.family = x.family AND b.block = x.block WHERE b.block IS NULL`)
  expect(wrong).toEqual([])
}

