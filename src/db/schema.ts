import {randomUUID} from 'node:crypto'
import {hostname} from 'node:os'
import type {Pool} from 'mysql2/promise'

import {databaseError, IpamError} from '../errors.js'
import {isRetryable} from './tx.js'

/** Addresses are split into blocks of this many for the used-address summary (see `ipam_ip_block`). */
export const BLOCK_SIZE = 4096n

export interface Migration {
  version: number
  name: string
  /** Each statement is idempotent, so that two `db migrate` runs at once cannot corrupt anything. */
  statements: string[]
}

const table = (body: string) => `${body} ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    name: 'address space, requests, users and bookkeeping tables',
    statements: [
      table(`CREATE TABLE IF NOT EXISTS ipam_migrations (
        version INT NOT NULL PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ipam_settings (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        value TEXT NOT NULL,
        updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ipnet (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        family TINYINT UNSIGNED NOT NULL,
        network DECIMAL(39,0) NOT NULL,
        broadcast DECIMAL(39,0) NOT NULL,
        prefix TINYINT UNSIGNED NOT NULL,
        cidr VARCHAR(64) NOT NULL,
        name VARCHAR(255) NULL,
        gateway DECIMAL(39,0) NULL,
        vlan SMALLINT UNSIGNED NULL,
        note TEXT NULL,
        locations JSON NOT NULL DEFAULT ('[]'),
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        UNIQUE KEY uq_ipnet_cidr (family, network, prefix),
        KEY ix_ipnet_span (family, network, broadcast)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ippool (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        name VARCHAR(190) NOT NULL,
        note TEXT NULL,
        locations JSON NOT NULL DEFAULT ('[]'),
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        UNIQUE KEY uq_ippool_name (name)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ippool_range (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        pool_id BIGINT UNSIGNED NOT NULL,
        ipnet_id BIGINT UNSIGNED NOT NULL,
        family TINYINT UNSIGNED NOT NULL,
        start_addr DECIMAL(39,0) NOT NULL,
        end_addr DECIMAL(39,0) NOT NULL,
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        UNIQUE KEY uq_range_start (family, start_addr),
        KEY ix_range_pool (pool_id, start_addr),
        KEY ix_range_net (ipnet_id),
        CONSTRAINT fk_range_pool FOREIGN KEY (pool_id) REFERENCES ippool (id) ON DELETE CASCADE,
        CONSTRAINT fk_range_net FOREIGN KEY (ipnet_id) REFERENCES ipnet (id) ON DELETE CASCADE
      )`),
      table(`CREATE TABLE IF NOT EXISTS ip (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        family TINYINT UNSIGNED NOT NULL,
        addr DECIMAL(39,0) NOT NULL,
        status ENUM('ALLOCATED','RESERVED','USED') NOT NULL,
        assigned_to VARCHAR(255) NULL,
        assign_type VARCHAR(32) NULL,
        description TEXT NULL,
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        UNIQUE KEY uq_ip_addr (family, addr)
      )`),
      // Used-address count per block of 4096 addresses, kept by triggers on ip so
      // that hand-written SQL (DELETE FROM ip ...) keeps it true. Next-free skips
      // full blocks here instead of reading used addresses one by one.
      table(`CREATE TABLE IF NOT EXISTS ipam_ip_block (
        family TINYINT UNSIGNED NOT NULL,
        block DECIMAL(39,0) NOT NULL,
        used INT NOT NULL,
        PRIMARY KEY (family, block)
      )`),
      `CREATE TRIGGER IF NOT EXISTS ipam_ip_after_insert AFTER INSERT ON ip FOR EACH ROW
        INSERT INTO ipam_ip_block (family, block, used) VALUES (NEW.family, FLOOR(NEW.addr / ${BLOCK_SIZE}), 1)
        ON DUPLICATE KEY UPDATE used = used + 1`,
      `CREATE TRIGGER IF NOT EXISTS ipam_ip_after_delete AFTER DELETE ON ip FOR EACH ROW
        UPDATE ipam_ip_block SET used = used - 1 WHERE family = OLD.family AND block = FLOOR(OLD.addr / ${BLOCK_SIZE})`,
      `CREATE TRIGGER IF NOT EXISTS ipam_ip_after_update AFTER UPDATE ON ip FOR EACH ROW
        BEGIN
          IF NEW.family <> OLD.family OR NEW.addr <> OLD.addr THEN
            UPDATE ipam_ip_block SET used = used - 1 WHERE family = OLD.family AND block = FLOOR(OLD.addr / ${BLOCK_SIZE});
            INSERT INTO ipam_ip_block (family, block, used) VALUES (NEW.family, FLOOR(NEW.addr / ${BLOCK_SIZE}), 1)
              ON DUPLICATE KEY UPDATE used = used + 1;
          END IF;
        END`,
      table(`CREATE TABLE IF NOT EXISTS auth_user (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        email VARCHAR(254) NOT NULL,
        password_hash VARCHAR(255) NULL,
        roles JSON NOT NULL DEFAULT ('[]'),
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        updated_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
        UNIQUE KEY uq_user_email (email)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ip_request (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        family TINYINT UNSIGNED NOT NULL,
        addr DECIMAL(39,0) NOT NULL,
        ipnet_id BIGINT UNSIGNED NULL,
        network_cidr VARCHAR(64) NULL,
        email VARCHAR(254) NULL,
        ip_range VARCHAR(100) NULL,
        region VARCHAR(100) NULL,
        description TEXT NULL,
        requested_by VARCHAR(254) NOT NULL DEFAULT 'anonymous',
        assign_type VARCHAR(32) NOT NULL DEFAULT 'USER',
        status ENUM('PENDING','APPROVED','REJECTED') NOT NULL DEFAULT 'PENDING',
        reason TEXT NULL,
        decided_by VARCHAR(254) NULL,
        decided_at DATETIME(6) NULL,
        requested_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        pending_addr DECIMAL(39,0) AS (IF(status = 'PENDING', addr, NULL)) STORED,
        UNIQUE KEY uq_request_pending (family, pending_addr, ipnet_id),
        KEY ix_request_status (status, requested_at),
        KEY ix_request_addr (family, addr)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ipam_audit (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        os_user VARCHAR(128) NOT NULL,
        db_user VARCHAR(288) NOT NULL,
        action VARCHAR(64) NOT NULL,
        object_type VARCHAR(32) NOT NULL,
        object_id VARCHAR(128) NULL,
        detail JSON NULL,
        KEY ix_audit_action (action, id)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ipam_outbox (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        kind VARCHAR(32) NOT NULL,
        recipient VARCHAR(254) NOT NULL,
        subject VARCHAR(255) NOT NULL,
        body TEXT NOT NULL,
        status ENUM('PENDING','SENDING','SENT','FAILED') NOT NULL DEFAULT 'PENDING',
        attempts INT NOT NULL DEFAULT 0,
        last_error TEXT NULL,
        claimed_by VARCHAR(64) NULL,
        claimed_at DATETIME(6) NULL,
        sent_at DATETIME(6) NULL,
        KEY ix_outbox_status (status, id)
      )`),
      table(`CREATE TABLE IF NOT EXISTS ipam_integration (
        id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
        role ENUM('PLATFORM') NOT NULL,
        master_url VARCHAR(1024) NOT NULL,
        master_instance_id CHAR(36) NULL,
        state ENUM('SETUP','JOINED') NOT NULL,
        step INT NOT NULL DEFAULT 0,
        started_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        joined_at DATETIME(6) NULL
      )`),
      table(`CREATE TABLE IF NOT EXISTS ipam_platforms (
        instance_id CHAR(36) NOT NULL PRIMARY KEY,
        name VARCHAR(255) NOT NULL,
        joined_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
        joined_by VARCHAR(254) NULL
      )`),
      table(`CREATE TABLE IF NOT EXISTS ipam_locks (
        name VARCHAR(64) NOT NULL PRIMARY KEY,
        version BIGINT UNSIGNED NOT NULL DEFAULT 0
      )`),
      "INSERT IGNORE INTO ipam_locks (name, version) VALUES ('ranges', 0), ('networks', 0)",
    ],
  },
]

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/** Errors that mean "this object is already there": another migrate run got there first. */
const ALREADY_DONE = new Set([1050 /* table exists */, 1060 /* dup column */, 1061 /* dup key */, 1359 /* trigger exists */, 1826 /* dup FK */])

export interface SchemaStatus {
  version: number
  latest: number
  pending: {version: number; name: string}[]
  instanceId?: string
}

export async function schemaStatus(pool: Pool, opts: {instanceId?: boolean} = {}): Promise<SchemaStatus> {
  let version = 0
  let instanceId: string | undefined
  try {
    const [rows] = await pool.query<any[]>('SELECT COALESCE(MAX(version), 0) AS v FROM ipam_migrations')
    version = Number(rows[0].v)
    if (opts.instanceId !== false) {
      const [ids] = await pool.query<any[]>("SELECT value FROM ipam_settings WHERE name = 'instance-id'")
      instanceId = ids[0]?.value
    }
  } catch (error) {
    if ((error as {errno?: number}).errno !== 1146) throw error
  }
  return {
    version,
    latest: LATEST_VERSION,
    pending: MIGRATIONS.filter((m) => m.version > version).map(({version: v, name}) => ({version: v, name})),
    instanceId,
  }
}

/** Fails with exit 5 naming `ipam db migrate` unless the schema is current. */
export async function requireMigrated(pool: Pool): Promise<void> {
  // Every command runs this before its work: one round trip, not two (the instance id is not needed here).
  const status = await schemaStatus(pool, {instanceId: false})
  if (status.version === 0) throw databaseError('not_migrated', 'the database has no ipam schema yet', 'run `ipam db migrate` first')
  if (status.version < status.latest) {
    throw databaseError('not_migrated', `the database schema is at version ${status.version}; this ipam needs ${status.latest}`, 'run `ipam db migrate`')
  }
  if (status.version > status.latest) {
    throw databaseError('schema_too_new', `the database schema (version ${status.version}) is newer than this ipam understands (${status.latest})`, 'upgrade ipam')
  }
}

/**
 * One `db migrate` at a time, across a cluster too: a lease row taken by a
 * conditional UPDATE (on Galera, of two nodes taking it at once the later
 * commit fails certification, so one holder wins). Concurrent DDL from several
 * Galera nodes can deadlock the cluster's appliers (seen with CREATE TRIGGER),
 * so the statements themselves must not run side by side.
 */
const LEASE_SECONDS = 120

async function takeMigrationLease(pool: Pool, holder: string, opts: {waitMs?: number; onWait?: (holder: string) => void} = {}): Promise<void> {
  await pool.query(
    'CREATE TABLE IF NOT EXISTS ipam_migration_lock (id TINYINT UNSIGNED NOT NULL PRIMARY KEY, holder VARCHAR(64) NULL, expires_at DATETIME(6) NULL) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4',
  )
  await pool.query('INSERT IGNORE INTO ipam_migration_lock (id) VALUES (1)')
  const deadline = Date.now() + (opts.waitMs ?? (LEASE_SECONDS + 30) * 1000)
  let told = false
  for (;;) {
    try {
      const [res] = await pool.query<any>(
        'UPDATE ipam_migration_lock SET holder = ?, expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND WHERE id = 1 AND (holder IS NULL OR holder = ? OR expires_at < UTC_TIMESTAMP(6))',
        [holder, LEASE_SECONDS, holder],
      )
      // On Galera a second taker's commit fails certification (an error, or 0 rows when the server retries it).
      if (res.affectedRows === 1) return
    } catch (error) {
      if (!isRetryable(error)) throw error
    }
    if (!told) {
      const [rows] = await pool.query<any[]>('SELECT holder FROM ipam_migration_lock WHERE id = 1')
      opts.onWait?.(String(rows[0]?.holder ?? '?'))
      told = true
    }
    if (Date.now() > deadline) {
      throw new IpamError('conflict', 'busy', 'another `ipam db migrate` has held the migration lease for too long', {hint: `it expires ${LEASE_SECONDS} s after it was taken; run the command again`})
    }
    await new Promise((r) => setTimeout(r, 100 + Math.random() * 200))
  }
}

async function releaseMigrationLease(pool: Pool, holder: string): Promise<void> {
  await pool.query('UPDATE ipam_migration_lock SET holder = NULL, expires_at = NULL WHERE id = 1 AND holder = ?', [holder])
}

/**
 * Applies pending migrations under the migration lease. Each statement also
 * tolerates "already exists" and the version row is INSERT IGNORE, so a run
 * after a crashed one finishes its work.
 */
export async function migrate(pool: Pool, opts: {onWait?: (holder: string) => void} = {}): Promise<{applied: number[]; status: SchemaStatus}> {
  const current = await schemaStatus(pool)
  if (current.version >= LATEST_VERSION && current.instanceId) return {applied: [], status: current}
  const holder = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`
  await takeMigrationLease(pool, holder, {onWait: opts.onWait})
  try {
    return await migrateHoldingLease(pool)
  } finally {
    await releaseMigrationLease(pool, holder).catch(() => undefined)
  }
}

async function migrateHoldingLease(pool: Pool): Promise<{applied: number[]; status: SchemaStatus}> {
  const before = await schemaStatus(pool)
  const applied: number[] = []
  for (const m of MIGRATIONS) {
    if (m.version <= before.version) continue
    for (const sql of m.statements) {
      try {
        await pool.query(sql)
      } catch (error) {
        if (!ALREADY_DONE.has((error as {errno?: number}).errno ?? 0)) throw error
      }
    }
    const [res] = await pool.query<any>('INSERT IGNORE INTO ipam_migrations (version, name) VALUES (?, ?)', [m.version, m.name])
    if (res.affectedRows > 0) applied.push(m.version)
  }
  await pool.query("INSERT IGNORE INTO ipam_settings (name, value) VALUES ('instance-id', ?)", [randomUUID()])
  return {applied, status: await schemaStatus(pool)}
}
