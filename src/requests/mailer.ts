import {usage} from '../cli/errors.js'
import type {Mailer} from './outbox.js'

/** An SMTP mailer from IPAM_SMTP_URL / the profile's smtp-url; undefined when none is configured. */
export function smtpMailer(smtpUrl: string | undefined, from: string | undefined): Mailer | undefined {
  if (!smtpUrl) return undefined
  if (!/^smtps?:\/\//i.test(smtpUrl)) throw usage('the SMTP URL must look like smtp://user:password@host:port')
  return {
    from: from || 'ipam@localhost',
    async send(m) {
      // Loaded only when a message is sent: it is large, and most commands send none.
      const {default: nodemailer} = await import('nodemailer')
      const transport = nodemailer.createTransport(smtpUrl, {})
      // Bounded, so that a dead server cannot hold a decision's command for long.
      Object.assign((transport as any).options, {connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000})
      try {
        await transport.sendMail({from: m.from, to: m.to, subject: m.subject, text: m.text})
      } finally {
        transport.close()
      }
    },
  }
}
