import type {ChalkInstance} from 'chalk'
import type {Pool} from 'mysql2/promise'

import {IpamError} from '../errors.js'
import {approveOne, type Decision, getRequest, listRequests, type RequestFilter, rejectOne, requestConflicts} from '../requests/requests.js'
import type {QueuedBatch} from '../requests/notify.js'
import {neighbourhood} from '../space/map.js'
import {readKey} from './keys.js'
import {renderStrip} from './map.js'
import {renderRequestCard, triageFooter} from './requests.js'
import {guardPrompt, loadPrompts, promptContext} from './prompt.js'

export interface TriageOutcome {
  id: number
  ip: string
  decision: 'approved' | 'rejected' | 'skipped' | 'refused' | 'already decided'
  note: string
}

export interface TriageSession {
  pool: Pool
  filter: Pick<RequestFilter, 'network' | 'region'>
  by: string
  c: ChalkInstance
  color: boolean
  unicode: boolean
  /** Sends what a decision queued, right after it (the CLI's notifier). */
  notify: (queued: QueuedBatch) => Promise<unknown>
}

const write = (text: string) => process.stderr.write(`${text}\n`)

/**
 * The interactive loop: one card per PENDING request, oldest first, decided by
 * a key (a approve · r reject · s skip · q quit). Enter alone decides nothing,
 * keys typed before a card is drawn are discarded, and each decision is
 * confirmed on its card in one line. Ctrl-C ends it: what was decided stands.
 */
export async function runTriage(s: TriageSession): Promise<{outcomes: TriageOutcome[]; total: number; interrupted: boolean}> {
  const {pool, c} = s
  const pending = await listRequests(pool, {status: 'PENDING', ...s.filter, sort: 'oldest'})
  const outcomes: TriageOutcome[] = []
  let interrupted = false
  try {
    for (const [index, listed] of pending.entries()) {
      const r = await getRequest(pool, listed.id)
      if (r.status !== 'PENDING') {
        outcomes.push({id: r.id, ip: r.ip, decision: 'already decided', note: `${r.status} by ${r.decidedBy}`})
        continue
      }
      const conflicts = await requestConflicts(pool, r)
      const cells = r.networkId === null ? undefined : await neighbourhood(pool, r.networkId, r.family, r.addr)
      const nearby = cells ? {first: cells[0].first, strip: renderStrip(cells, r.ip, {ascii: !s.unicode, color: s.color})} : undefined
      write(renderRequestCard(r, {index, total: pending.length, conflicts, nearby, c}).join('\n'))
      let enterNoted = false
      const key = await readKey(['a', 'r', 's', 'q'], {
        // the footer shows once keys typed ahead have been thrown away: from then on a key decides
        onReady: () => write(triageFooter(r, {unicode: s.unicode, c})),
        onEnter() {
          if (enterNoted) return
          enterNoted = true
          write(c.dim(`  Enter does not decide: press a, r, s or q${conflicts.address ? ' (this address is taken: approving will be refused)' : ''}.`))
        },
      })
      if (key === 'q') {
        write(`  → quit`)
        break
      }
      if (key === 's') {
        write(`  → skipped #${r.id}`)
        outcomes.push({id: r.id, ip: r.ip, decision: 'skipped', note: ''})
        continue
      }
      let result: {decision: Decision; queued: QueuedBatch}
      let reason = ''
      if (key === 'a') result = await approveOne(pool, r.id, s.by)
      else {
        const {input} = await loadPrompts()
        reason = await guardPrompt(() => input({message: 'Reason (optional):'}, promptContext()))
        result = await rejectOne(pool, r.id, reason, s.by)
      }
      const d = result.decision
      if (d.ok) {
        write(key === 'a' ? c.green(`  → approved #${r.id}: ${r.ip} is USED by ${r.assignedTo}`) : c.red(`  → rejected #${r.id}${reason.trim() ? `: ${reason.trim()}` : ''}`))
        outcomes.push({id: r.id, ip: r.ip, decision: key === 'a' ? 'approved' : 'rejected', note: key === 'a' ? `USED by ${r.assignedTo}` : reason})
      } else {
        write(c.red(`  → refused: ${d.message}`))
        outcomes.push({id: r.id, ip: r.ip, decision: d.code === 'already_decided' ? 'already decided' : 'refused', note: d.message})
      }
      await s.notify(result.queued)
    }
  } catch (error) {
    if (!(error instanceof IpamError && error.kind === 'interrupted')) throw error
    interrupted = true
  }
  return {outcomes, total: pending.length, interrupted}
}
