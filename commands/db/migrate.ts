import {DbCommand} from '../../src/cli/db-command.js'
import {createAndMigrate} from '../../src/db/admin.js'
import {resolveConnection} from '../../src/db/connect.js'
import {keepMasterPassword} from '../../src/db/profiles.js'
import {maskedUrl} from '../../src/db/url.js'

export default class DbMigrate extends DbCommand<typeof DbMigrate> {
  static override summary = 'Create or upgrade the ipam schema (idempotent; safe to run twice at once)'
  static override description = 'Creates the database named in the URL when it does not exist, then applies every pending migration. Running it again changes nothing.'
  static override examples = ['<%= config.bin %> db migrate', '<%= config.bin %> db migrate --db mysql://ipam@db1:3306/ipam --json']

  public async run() {
    const {url} = await resolveConnection({db: this.flags.db, profile: this.flags.profile, configDir: this.config.configDir})
    this.addSecret(url.password)
    const result = await createAndMigrate(url, {
      onWait: (holder) => this.note(`Waiting for another db migrate (${holder}) to finish…`),
      // A platform's master password leaves the database for the profile of whoever migrates it.
      onSecret: async (secret) => {
        this.addSecret(secret.value)
        return (await keepMasterPassword(this.config.configDir, this.flags.profile, secret.value)).where
      },
    })
    for (const s of result.secretsMoved) this.note(`The master's password was stored in this database; it now lives in the ${s.where}. Operators on other accounts give it with \`ipam config set master-password\` or IPAM_MASTER_PASSWORD.`)
    const out = {database: maskedUrl(url), applied: result.applied, version: result.status.version, instanceId: result.status.instanceId, secretsMoved: result.secretsMoved}
    if (!this.json) {
      this.out(result.applied.length > 0 ? `Migrated ${out.database} to schema version ${out.version} (applied ${result.applied.join(', ')}).` : `${out.database} is already at schema version ${out.version}; nothing to do.`)
    }
    return out
  }
}
