import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/db-command.js'
import {conflict, usage} from '../../src/errors.js'
import {yesFlag} from '../../src/cli/flags.js'
import {CONFLICT_COLUMNS, openMaster} from '../../src/cli/master.js'
import {confirmOrRefuse, isInteractive, promptPassword} from '../../src/cli/prompt.js'
import {readStdinSecret} from '../../src/cli/stdin.js'
import {defaultBackupPath} from '../../src/admin/paths.js'
import {refuseCnames, systemCnameResolver} from '../../src/integration/dns.js'
import {crashAfterStepHook, withCnameOverrides} from '../../src/test-hooks.js'
import {preflight, runSetup} from '../../src/integration/setup.js'
import {keepMasterPassword} from '../../src/db/profiles.js'
import {maskedUrl, parseDbUrl} from '../../src/db/url.js'
import {checkEmail, plural} from '../../src/text.js'

export default class IntegrationSetup extends DbCommand<typeof IntegrationSetup> {
  static override summary = 'Join this platform to a master: copy its address space there, then delete it here'
  static override description = 'Checks first (not the same database; the master is no platform; this is no master with platforms; EMAIL is an @admin on the master with that password; the master host is no CNAME; no conflicts), confirms, backs up, copies networks, pools, ranges, pending requests and addresses (as ALLOCATED, without the assigned-to name), registers the platform on the master and deletes what moved. Interrupted at any point, running it again finishes the job.'
  static override examples = [
    '<%= config.bin %> integration setup --master mysql://ipam@master.example.com:3306/ipam --email admin@example.com',
    "printf '%s' \"$ADMIN_PW\" | <%= config.bin %> integration setup --master mysql://ipam@master:3306/ipam --email admin@example.com --password-stdin --yes",
  ]
  static override flags = {
    master: Flags.string({required: true, description: 'the master database URL (password in the URL, IPAM_MASTER_PASSWORD or the profile\'s master-password)'}),
    email: Flags.string({required: true, description: 'an @admin user on the master'}),
    'password-stdin': Flags.boolean({description: 'read that user\'s password from stdin'}),
    backup: Flags.string({description: 'where to back up this platform first (default: under the user data dir)'}),
    yes: yesFlag,
  }

  public async run() {
    const email = checkEmail(this.flags.email)
    let password: string
    if (this.flags['password-stdin']) password = await readStdinSecret('password')
    else if (isInteractive()) password = await promptPassword(`Password of ${email} on the master:`)
    else throw usage('the master admin\'s password is needed and there is no terminal to ask on', 'pass it with --password-stdin')
    this.addSecret(password)
    const db = await this.db()
    await refuseCnames(parseDbUrl(this.flags.master), withCnameOverrides(systemCnameResolver()))
    const master = await openMaster(this.flags.master, (s) => this.addSecret(s), await this.masterPassword(), {json: this.json})
    try {
      const pre = await preflight(db, master, {email, password})
      if (pre.alreadyJoined) {
        if (!this.json) this.out(`This database is already a platform of ${maskedUrl(master.url)}; nothing to do.`)
        return {alreadyJoined: true}
      }
      if (pre.conflicts.length > 0) {
        if (!this.json) this.note(this.table(CONFLICT_COLUMNS, pre.conflicts.map((c) => [c.kind, c.platform, c.master])))
        throw conflict('conflicts', `${plural(pre.conflicts.length, 'conflict')} between this platform and the master; nothing was changed`, 'see `ipam integration check`', {conflicts: pre.conflicts})
      }
      const p = pre.plan
      this.note(`${pre.resuming ? 'Resuming the join' : 'Joining'} ${db.url.database} to ${maskedUrl(master.url)}: ${plural(p.networks, 'network')}, ${plural(p.pools, 'pool')}, ${plural(p.ranges, 'range')}, ${plural(p.pendingRequests, 'pending request')} and ${plural(p.addresses, 'address', 'addresses')} move to the master (addresses as ALLOCATED, without assigned-to names), then this database's address space is deleted; from then on its commands work on the master.`)
      await confirmOrRefuse('Join this platform to the master?', {yes: this.flags.yes, what: 'integration setup'})
      const backupFile = this.flags.backup ?? defaultBackupPath(this.config.dataDir, db.url.database)
      const result = await this.withProgress('Step 1/4', (onProgress, line) => runSetup(db, master, pre, {
        email, backupFile, onProgress, afterStep: crashAfterStepHook(),
        onStep: (n, text) => {
          line.clear()
          this.note(`Step ${n}/4: ${text}`)
          line.label(`Step ${n}/4`)
        },
      }))
      if (result.backup) this.note(`Backup of this platform: ${result.backup}`)
      for (const c of result.settings?.copied ?? []) this.note(`Setting ${c.name} copied to the master (it had none): ${c.value}`)
      for (const k of result.settings?.masterKept ?? []) this.note(`Setting ${k.name}: the master's ${k.master} applies from now on (this platform's ${k.platform} is no longer read)`)
      // The master's password is not kept in the database: routed commands read it from the profile or IPAM_MASTER_PASSWORD.
      let masterPassword: string | null = null
      if (master.url.password !== undefined) {
        try {
          masterPassword = (await keepMasterPassword(this.config.configDir, (this.flags as {profile?: string}).profile, master.url.password)).where
          this.note(`The master's password is not kept in the database; this platform's commands read it from the ${masterPassword}. Other operators give it with \`ipam config set master-password\` or IPAM_MASTER_PASSWORD.`)
        } catch (error) {
          this.warnUser(`the master's password could not be saved in your profile (${(error as Error).message}); give it with \`ipam config set master-password\` or IPAM_MASTER_PASSWORD before working on this platform`)
        }
      }
      if (!this.json) this.out(`Joined: this database is now a platform of ${maskedUrl(master.url)}.`)
      return {master: maskedUrl(master.url), ...result, masterPassword}
    } finally {
      await master.close()
    }
  }
}
