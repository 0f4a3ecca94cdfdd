import {usage} from '../errors.js'
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
      // Bounded, so that a dead or silent server cannot hold a decision's command for long;
      // the URL may set them (?connectionTimeout=5000&greetingTimeout=5000&socketTimeout=10000, in ms).
      const options = (transport as any).options as Record<string, unknown>
      options.connectionTimeout ??= 10_000
      options.greetingTimeout ??= 10_000
      options.socketTimeout ??= 20_000
      try {
        await transport.sendMail({from: m.from, to: m.to, subject: m.subject, text: m.text})
      } finally {
        transport.close()
      }
    },
  }
}
