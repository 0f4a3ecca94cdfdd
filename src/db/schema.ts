import {randomUUID} from 'node:crypto'
import {hostname} from 'node:os'
import type {Pool} from 'mysql2/promise'

import {databaseError, IpamError} from '../errors.js'
import {isRetryable} from './tx.js'

/** Addresses are split into blocks of this many for the used-address summary (see `ipam_ip_block`). */
export const BLOCK_SIZE = 4096n

/** Addresses are split into cells of this many (an IPv4 /24) for the per-status summary (see `ipam_ip_cell`). */
export const CELL_SIZE = 256n

/**
 * A session variable that, when set, turns the summary triggers off for that
 * session only: a bulk writer sets it and keeps both summaries itself, a batch
 * at a time, inside the same transaction (src/space/summaries.ts).
 */
export const SUMMARIES_DEFERRED = '@ipam_summaries_deferred'

/** `ipam_ip_block` gains one address of the row `r`. */
const blockGains = (r: string) => `INSERT INTO ipam_ip_block (family, block, used) VALUES (${r}.family, FLOOR(${r}.addr / ${BLOCK_SIZE}), 1)
  ON DUPLICATE KEY UPDATE used = used + 1`
/** `ipam_ip_block` loses one address of the row `r`. */
const blockLoses = (r: string) => `UPDATE ipam_ip_block SET used = used - 1 WHERE family = ${r}.family AND block = FLOOR(${r}.addr / ${BLOCK_SIZE})`

/** `ipam_ip_cell` gains one address of the row `r` (`NEW` or `OLD`) by its status. */
const cellGains = (r: string) => `INSERT INTO ipam_ip_cell (family, cell, allocated, reserved, used)
  VALUES (${r}.family, FLOOR(${r}.addr / ${CELL_SIZE}), ${r}.status = 'ALLOCATED', ${r}.status = 'RESERVED', ${r}.status = 'USED')
  ON DUPLICATE KEY UPDATE allocated = allocated + (${r}.status = 'ALLOCATED'), reserved = reserved + (${r}.status = 'RESERVED'), used = used + (${r}.status = 'USED')`
/** `ipam_ip_cell` loses one address of the row `r` by its status. */
const cellLoses = (r: string) => `UPDATE ipam_ip_cell
  SET allocated = allocated - (${r}.status = 'ALLOCATED'), reserved = reserved - (${r}.status = 'RESERVED'), used = used - (${r}.status = 'USED')
  WHERE family = ${r}.family AND cell = FLOOR(${r}.addr / ${CELL_SIZE})`

export interface Migration {
  version: number
  name: string
  /** Each statement is idempotent, so that two `db migrate` runs at once cannot corrupt anything. */
  statements: string[]
  /**
   * Secrets the statements are about to remove from the database, read first
   * and handed to the caller (`onSecret`), which keeps them where they belong;
   * when it fails, nothing is removed.
   */
  secrets?: (pool: Pool) => Promise<MovedSecret[]>
  /** Changes nothing a backup holds: a backup written before it restores after it. */
  backupCompatible?: boolean
}

/** A secret a migration takes out of the database. */
export interface MovedSecret {
  kind: 'master-password'
  value: string
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
  {
    version: 2,
    name: 'network edge points, for finding the next free subnet on an index',
    backupCompatible: true,
    statements: [
      // For every address where a network starts or the one after where a network
      // ends: how many start and end there. A point where networks end and none
      // starts is `open`: a run of adjacent networks stops there. Carving finds the
      // end of a run of 60,000 adjacent children with one index probe here instead
      // of reading the run (src/space/free.ts). Kept by triggers on ipnet, so that
      // hand-written SQL (DELETE FROM ipnet ...) keeps it true.
      table(`CREATE TABLE IF NOT EXISTS ipam_ipnet_point (
        family TINYINT UNSIGNED NOT NULL,
        point DECIMAL(39,0) NOT NULL,
        starts INT NOT NULL DEFAULT 0,
        ends INT NOT NULL DEFAULT 0,
        open_point DECIMAL(39,0) AS (IF(ends > 0 AND starts = 0, point, NULL)) STORED,
        PRIMARY KEY (family, point),
        KEY ix_ipnet_point_open (family, open_point)
      )`),
      `CREATE TRIGGER IF NOT EXISTS ipam_ipnet_after_insert AFTER INSERT ON ipnet FOR EACH ROW
        BEGIN
          INSERT INTO ipam_ipnet_point (family, point, starts, ends) VALUES (NEW.family, NEW.network, 1, 0) ON DUPLICATE KEY UPDATE starts = starts + 1;
          INSERT INTO ipam_ipnet_point (family, point, starts, ends) VALUES (NEW.family, NEW.broadcast + 1, 0, 1) ON DUPLICATE KEY UPDATE ends = ends + 1;
        END`,
      `CREATE TRIGGER IF NOT EXISTS ipam_ipnet_after_delete AFTER DELETE ON ipnet FOR EACH ROW
        BEGIN
          UPDATE ipam_ipnet_point SET starts = starts - 1 WHERE family = OLD.family AND point = OLD.network;
          UPDATE ipam_ipnet_point SET ends = ends - 1 WHERE family = OLD.family AND point = OLD.broadcast + 1;
        END`,
      `CREATE TRIGGER IF NOT EXISTS ipam_ipnet_after_update AFTER UPDATE ON ipnet FOR EACH ROW
        BEGIN
          IF NEW.family <> OLD.family OR NEW.network <> OLD.network OR NEW.broadcast <> OLD.broadcast THEN
            UPDATE ipam_ipnet_point SET starts = starts - 1 WHERE family = OLD.family AND point = OLD.network;
            UPDATE ipam_ipnet_point SET ends = ends - 1 WHERE family = OLD.family AND point = OLD.broadcast + 1;
            INSERT INTO ipam_ipnet_point (family, point, starts, ends) VALUES (NEW.family, NEW.network, 1, 0) ON DUPLICATE KEY UPDATE starts = starts + 1;
            INSERT INTO ipam_ipnet_point (family, point, starts, ends) VALUES (NEW.family, NEW.broadcast + 1, 0, 1) ON DUPLICATE KEY UPDATE ends = ends + 1;
          END IF;
        END`,
      // Networks that existed before: recomputed whole, so that running it again is harmless.
      'DELETE FROM ipam_ipnet_point',
      `INSERT INTO ipam_ipnet_point (family, point, starts, ends)
        SELECT family, point, SUM(s), SUM(e) FROM (
          SELECT family, network AS point, 1 AS s, 0 AS e FROM ipnet
          UNION ALL SELECT family, broadcast + 1, 0, 1 FROM ipnet
        ) x GROUP BY family, point`,
    ],
  },
  {
    version: 3,
    name: 'one PENDING request per address and network CIDR (also after a network is removed and added again)',
    backupCompatible: true,
    statements: [
      // A network removed by hand and added again got a new id, so the old key let a second PENDING
      // request in for the same address and CIDR. Keep the newest of each such set (the one in the
      // network as it exists now); the older ones are rejected, saying why.
      `UPDATE ip_request r JOIN (
         SELECT family, addr, network_cidr, MAX(id) AS keep FROM ip_request
         WHERE status = 'PENDING' AND network_cidr IS NOT NULL GROUP BY family, addr, network_cidr HAVING COUNT(*) > 1
       ) d ON d.family = r.family AND d.addr = r.addr AND d.network_cidr = r.network_cidr
       SET r.status = 'REJECTED', r.reason = 'network removed (a newer request for the same address and network is PENDING)',
           r.decided_by = 'ipam db migrate', r.decided_at = CURRENT_TIMESTAMP(6)
       WHERE r.status = 'PENDING' AND r.id < d.keep`,
      'ALTER TABLE ip_request ADD UNIQUE KEY uq_request_pending_cidr (family, pending_addr, network_cidr)',
      'ALTER TABLE ip_request DROP KEY uq_request_pending',
    ],
  },
  {
    version: 4,
    name: 'outbox claims expire (a message whose sender died mid-send is sent again)',
    backupCompatible: true,
    statements: [
      'ALTER TABLE ipam_outbox ADD COLUMN claim_expires_at DATETIME(6) NULL AFTER claimed_at',
      // claims taken before this step: give them the default send timeout and its margin
      "UPDATE ipam_outbox SET claim_expires_at = claimed_at + INTERVAL 35 SECOND WHERE status = 'SENDING' AND claim_expires_at IS NULL",
    ],
  },
  {
    version: 5,
    name: "the master's password leaves the platform's database (kept in the operator's profile or IPAM_MASTER_PASSWORD)",
    backupCompatible: true,
    secrets: async (pool) => {
      const [rows] = await pool.query<any[]>("SELECT JSON_UNQUOTE(JSON_EXTRACT(master_url, '$.password')) AS password FROM ipam_integration WHERE JSON_CONTAINS_PATH(master_url, 'one', '$.password')")
      return rows.filter((r) => r.password !== null).map((r) => ({kind: 'master-password' as const, value: String(r.password)}))
    },
    statements: [
      "UPDATE ipam_integration SET master_url = JSON_SET(JSON_REMOVE(master_url, '$.password'), '$.needsPassword', 1) WHERE JSON_CONTAINS_PATH(master_url, 'one', '$.password')",
    ],
  },
  {
    version: 6,
    name: 'hostname and MAC on addresses; search indexes; per-address audit spans for history',
    backupCompatible: true,
    statements: [
      'ALTER TABLE ip ADD COLUMN hostname VARCHAR(253) NULL AFTER description',
      'ALTER TABLE ip ADD COLUMN mac CHAR(17) NULL AFTER hostname',
      // Search matches these by prefix (`LIKE 'text%'`), which these indexes answer.
      'ALTER TABLE ip ADD KEY ix_ip_hostname (hostname)',
      'ALTER TABLE ip ADD KEY ix_ip_mac (mac)',
      'ALTER TABLE ip ADD KEY ix_ip_assigned_to (assigned_to)',
      'ALTER TABLE ip ADD KEY ix_ip_description (description(64))',
      'ALTER TABLE ipam_audit ADD KEY ix_audit_object (object_type, object_id, id)',
      // The addresses an audit row touched, as runs of consecutive addresses: a batch
      // of a million contiguous addresses is one row, and `ips history` finds it.
      table(`CREATE TABLE IF NOT EXISTS ipam_audit_span (
        id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
        audit_id BIGINT UNSIGNED NOT NULL,
        family TINYINT UNSIGNED NOT NULL,
        lo DECIMAL(39,0) NOT NULL,
        hi DECIMAL(39,0) NOT NULL,
        KEY ix_audit_span_addr (family, lo, hi),
        KEY ix_audit_span_audit (audit_id)
      )`),
    ],
  },
  {
    version: 7,
    name: 'addresses by status per cell of 256, for utilization without reading the addresses',
    backupCompatible: true,
    statements: [
      // How many addresses of each status every cell of 256 holds (the columns are the
      // statuses: `used` is the USED status here, not the total as in ipam_ip_block). Network,
      // pool and range counts sum whole cells here and count exactly only the cells a span
      // covers in part (src/space/counts.ts). Kept by triggers on ip, so that hand-written SQL
      // keeps it true.
      table(`CREATE TABLE IF NOT EXISTS ipam_ip_cell (
        family TINYINT UNSIGNED NOT NULL,
        cell DECIMAL(39,0) NOT NULL,
        allocated INT NOT NULL DEFAULT 0,
        reserved INT NOT NULL DEFAULT 0,
        used INT NOT NULL DEFAULT 0,
        PRIMARY KEY (family, cell)
      )`),
      // One trigger an event keeps both summaries (the block triggers of step 1 are replaced).
      // Bulk writers (import, batches, approvals, restore) turn them off for their own session
      // with @ipam_summaries_deferred and add a whole batch's counts at once (src/space/summaries.ts):
      // two upserts a batch instead of two a row. Any other writer, hand-written SQL included,
      // keeps them true row by row.
      'DROP TRIGGER IF EXISTS ipam_ip_after_insert',
      'DROP TRIGGER IF EXISTS ipam_ip_after_delete',
      'DROP TRIGGER IF EXISTS ipam_ip_after_update',
      `CREATE TRIGGER IF NOT EXISTS ipam_ip_summaries_after_insert AFTER INSERT ON ip FOR EACH ROW
        BEGIN
        IF ${SUMMARIES_DEFERRED} IS NULL THEN
          ${blockGains('NEW')};
          ${cellGains('NEW')};
        END IF;
        END`,
      `CREATE TRIGGER IF NOT EXISTS ipam_ip_summaries_after_delete AFTER DELETE ON ip FOR EACH ROW
        BEGIN
        IF ${SUMMARIES_DEFERRED} IS NULL THEN
          ${blockLoses('OLD')};
          ${cellLoses('OLD')};
        END IF;
        END`,
      `CREATE TRIGGER IF NOT EXISTS ipam_ip_summaries_after_update AFTER UPDATE ON ip FOR EACH ROW
        BEGIN
        IF ${SUMMARIES_DEFERRED} IS NULL THEN
          IF NEW.family <> OLD.family OR NEW.addr <> OLD.addr THEN
            ${blockLoses('OLD')};
            ${blockGains('NEW')};
          END IF;
          IF NEW.family <> OLD.family OR NEW.addr <> OLD.addr OR NEW.status <> OLD.status THEN
            ${cellLoses('OLD')};
            ${cellGains('NEW')};
          END IF;
        END IF;
        END`,
      // Both summaries recomputed whole (after the triggers, so that no address
      // written meanwhile is missed): a second run, or one after a run that stopped between
      // the triggers, puts it right. INSERT ... SELECT locks the addresses it reads, so a
      // write meanwhile waits for it; the upsert takes any row a trigger wrote first.
      'DELETE FROM ipam_ip_block',
      `INSERT INTO ipam_ip_block (family, block, used)
        SELECT * FROM (SELECT family, FLOOR(addr / ${BLOCK_SIZE}) AS b, COUNT(*) AS n FROM ip GROUP BY family, FLOOR(addr / ${BLOCK_SIZE})) x
        ON DUPLICATE KEY UPDATE used = x.n`,
      'DELETE FROM ipam_ip_cell',
      `INSERT INTO ipam_ip_cell (family, cell, allocated, reserved, used)
        SELECT * FROM (
          SELECT family, FLOOR(addr / ${CELL_SIZE}) AS c, SUM(status = 'ALLOCATED') AS a, SUM(status = 'RESERVED') AS r, SUM(status = 'USED') AS u
          FROM ip GROUP BY family, FLOOR(addr / ${CELL_SIZE})
        ) x
        ON DUPLICATE KEY UPDATE allocated = x.a, reserved = x.r, used = x.u`,
    ],
  },
]

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version

/** Whether a backup written at schema `version` restores into the current schema. */
export function backupSchemaReadable(version: number): boolean {
  if (!Number.isInteger(version) || version < 1 || version > LATEST_VERSION) return false
  return MIGRATIONS.filter((m) => m.version > version).every((m) => m.backupCompatible)
}

/** Errors that mean "this object is already there": another migrate run got there first. */
const ALREADY_DONE = new Set([1050 /* table exists */, 1060 /* dup column */, 1061 /* dup key */, 1091 /* key already dropped */, 1359 /* trigger exists */, 1826 /* dup FK */])

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
export interface MigrateOptions {
  onWait?: (holder: string) => void
  /** Keeps a secret a migration takes out of the database, and says where it went (see `Migration.secrets`). */
  onSecret?: (secret: MovedSecret) => Promise<string>
}

export interface MigrateResult {
  applied: number[]
  status: SchemaStatus
  /** What happened to each secret taken out of the database (never the secret itself). */
  secretsMoved: {kind: MovedSecret['kind']; where: string}[]
}

export async function migrate(pool: Pool, opts: MigrateOptions = {}): Promise<MigrateResult> {
  const current = await schemaStatus(pool)
  if (current.version >= LATEST_VERSION && current.instanceId) return {applied: [], status: current, secretsMoved: []}
  const holder = `${hostname().slice(0, 40)}:${process.pid}:${randomUUID().slice(0, 8)}`
  await takeMigrationLease(pool, holder, {onWait: opts.onWait})
  try {
    return await migrateHoldingLease(pool, opts)
  } finally {
    await releaseMigrationLease(pool, holder).catch(() => undefined)
  }
}

async function migrateHoldingLease(pool: Pool, opts: MigrateOptions): Promise<MigrateResult> {
  const before = await schemaStatus(pool)
  const applied: number[] = []
  const secretsMoved: MigrateResult['secretsMoved'] = []
  for (const m of MIGRATIONS) {
    if (m.version <= before.version) continue
    for (const secret of (await m.secrets?.(pool)) ?? []) {
      const where = opts.onSecret ? await opts.onSecret(secret) : 'nowhere: removed from the database (give it with `ipam config set master-password` or IPAM_MASTER_PASSWORD)'
      secretsMoved.push({kind: secret.kind, where})
    }
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
  return {applied, status: await schemaStatus(pool), secretsMoved}
}
