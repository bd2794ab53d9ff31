// The email context. For now: the mail transport other contexts send through (the newsletter
// preferences and unsubscribe links come with the email issue).
import { join } from 'node:path'
import fp from 'fastify-plugin'
import type { Config } from '../config.ts'
import { startMailCapture, type MailCapture } from './capture.ts'
import { createMailer, type Mailer } from './mailer.ts'

export type { Mailer, OutgoingMail } from './mailer.ts'
export { escape, linkMail } from './render.ts'
export type { CapturedMail, MailCapture } from './capture.ts'

declare module 'fastify' {
  interface FastifyInstance {
    mailer: Mailer
    /** The in-process SMTP server mail goes to when SMTP_URL is unset; null otherwise. */
    mailCapture: MailCapture | null
  }
}

/** The mail transport for a configuration: SMTP_URL, or the local capture in DATA_DIR/mail. */
export async function openMail(config: Config): Promise<{ mailer: Mailer; capture: MailCapture | null; close(): Promise<void> }> {
  const capture = config.smtpUrl === null ? await startMailCapture(join(config.dataDir, 'mail')) : null
  const mailer = createMailer(config.smtpUrl ?? capture!.url, config.mailFrom)
  return {
    mailer,
    capture,
    async close() {
      mailer.close()
      await capture?.close()
    },
  }
}

export const emailPlugin = fp<{ config: Config }>(
  async (app, { config }) => {
    const mail = await openMail(config)
    if (mail.capture) app.log.info({ directory: join(config.dataDir, 'mail') }, 'SMTP_URL is unset: mail is kept locally')
    app.decorate('mailer', mail.mailer)
    app.decorate('mailCapture', mail.capture)
    app.addHook('onClose', () => mail.close())
  },
  { name: 'email' },
)
