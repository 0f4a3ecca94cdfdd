import {Flags} from '@oclif/core'

import {DbCommand} from '../../src/cli/base.js'
import {confirmationRequired, IpamError} from '../../src/errors.js'
import {Exit} from '../../src/cli/errors.js'
import {guardPrompt, loadPrompts, promptContext} from '../../src/cli/prompt.js'
import {osUser} from '../../src/admin/audit.js'
import {approveMany, decideOne, getRequest, listRequests, rejectMany, requestConflicts} from '../../src/requests/requests.js'
import {age, statusBadge} from '../../src/requests/render.js'
import {checkText} from '../../src/text.js'
import {renderStrip} from '../../src/cli/map.js'
import {unicodeTerminal} from '../../src/cli/output.js'
import {parseAddress} from '../../src/net/ip.js'
import {neighbourhood} from '../../src/space/map.js'

interface Outcome {
  id: number
  ip: string
  decision: 'approved' | 'rejected' | 'skipped' | 'refused' | 'already decided'
  note: string
}

export default class RequestsTriage extends DbCommand<typeof RequestsTriage> {
  static override summary = 'Decide PENDING requests one by one, oldest first: approve, reject (with a reason), skip or quit'
  static override description = 'Interactive: needs a terminal. In scripts use `ipam requests approve <id>` and `ipam requests reject <id>`.'
  static override examples = ['<%= config.bin %> requests triage', '<%= config.bin %> requests triage --network 192.0.2.0/24 --region eu-west']
  static override flags = {
    network: Flags.string({description: 'only this network (id or CIDR)'}),
    region: Flags.string({description: 'only this region'}),
    by: Flags.string({description: 'who decides (default: the OS user)'}),
  }

  public async run() {
    if (!this.interactive) {
      throw confirmationRequired('triage is interactive and there is no terminal', 'in scripts use `ipam requests approve <id>…` or `ipam requests reject <id>… --reason …`')
    }
    const by = checkText('--by', this.flags.by, 254) ?? osUser()
    const db = (await this.session()).target
    const pending = await listRequests(db.pool, {status: 'PENDING', network: this.flags.network, region: this.flags.region, sort: 'oldest'})
    if (pending.length === 0) {
      this.note('No PENDING requests. Nothing to triage.')
      return {outcomes: []}
    }
    const {input, select} = await loadPrompts()
    const c = this.c
    const outcomes: Outcome[] = []
    let interrupted = false
    try {
      for (const [index, listed] of pending.entries()) {
        const r = await getRequest(db.pool, listed.id)
        if (r.status !== 'PENDING') {
          outcomes.push({id: r.id, ip: r.ip, decision: 'already decided', note: `${r.status} by ${r.decidedBy}`})
          continue
        }
        const conflicts = await requestConflicts(db.pool, r)
        const lines = [
          '',
          c.bold(`Request #${r.id}  (${index + 1} of ${pending.length})`),
          `  IP           ${c.bold(r.ip)}`,
          `  Network      ${r.network ?? '-'}`,
          `  Region       ${r.region ?? '-'}`,
          `  Requester    ${r.email ?? r.requestedBy}`,
          `  Description  ${r.description ?? '-'}`,
          `  Age          ${age(r.requestedAt)} (since ${r.requestedAt.slice(0, 19)} UTC)`,
        ]
        const a = parseAddress(r.ip)
        const strip = r.networkId === null ? undefined : await neighbourhood(db.pool, r.networkId, a.family, a.value)
        if (strip) lines.push(`  Nearby       ${strip[0].first}  ${renderStrip(strip, r.ip, {ascii: !unicodeTerminal(), color: this.useColor})}`)
        if (conflicts.address) lines.push(c.red(`  Conflict     address already ${conflicts.address.status}${conflicts.address.assignedTo ? ` to ${conflicts.address.assignedTo}` : ''}`))
        if (conflicts.otherRequests.length > 0) lines.push(c.yellow(`  Also wanted  by request(s) ${conflicts.otherRequests.map((o) => `#${o.id}`).join(', ')}`))
        process.stderr.write(`${lines.join('\n')}\n`)
        const action = await guardPrompt(() => select({
          message: `Decide #${r.id}`,
          choices: [
            {name: 'approve', value: 'approve'},
            {name: 'reject', value: 'reject'},
            {name: 'skip', value: 'skip'},
            {name: 'quit', value: 'quit'},
          ],
        }, promptContext()))
        if (action === 'quit') break
        if (action === 'skip') {
          outcomes.push({id: r.id, ip: r.ip, decision: 'skipped', note: ''})
          continue
        }
        const mark = await this.outboxMark()
        try {
          if (action === 'approve') {
            await decideOne(() => approveMany(db.pool, [String(r.id)], by))
            outcomes.push({id: r.id, ip: r.ip, decision: 'approved', note: `USED by ${r.assignedTo}`})
          } else {
            const reason = await guardPrompt(() => input({message: 'Reason (optional):'}, promptContext()))
            await decideOne(() => rejectMany(db.pool, [String(r.id)], reason, by))
            outcomes.push({id: r.id, ip: r.ip, decision: 'rejected', note: reason})
          }
        } catch (error) {
          if (!(error instanceof IpamError) || error.kind === 'interrupted') throw error
          process.stderr.write(`${c.red('Refused:')} ${error.message}\n`)
          outcomes.push({id: r.id, ip: r.ip, decision: error.code === 'already_decided' ? 'already decided' : 'refused', note: error.message})
        }
        await this.sendQueued(mark)
      }
    } catch (error) {
      if (!(error instanceof IpamError && error.kind === 'interrupted')) throw error
      interrupted = true
    }
    const counts = (d: Outcome['decision']) => outcomes.filter((o) => o.decision === d).length
    const untouched = pending.length - outcomes.length
    if (!this.json) {
      this.out(`\n${c.bold('Triage summary')}: ${counts('approved')} approved, ${counts('rejected')} rejected, ${counts('skipped')} skipped, ${counts('refused') + counts('already decided')} not decided, ${untouched} left${interrupted ? ' (interrupted)' : ''}`)
      if (outcomes.length > 0) this.out(this.table(['ID', 'IP', 'Decision', 'Note'], outcomes.map((o) => [o.id, o.ip, o.decision === 'approved' ? statusBadge('APPROVED', c) : o.decision === 'rejected' ? statusBadge('REJECTED', c) : o.decision, o.note])))
    }
    if (interrupted) process.exitCode = Exit.INTERRUPTED
    return {outcomes, left: untouched}
  }
}
