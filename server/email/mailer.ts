// Sending mail: nodemailer over SMTP_URL, or over SMTP to the in-process capture server when
// SMTP_URL is unset (development and tests). Messages are multipart text + HTML.
import nodemailer, { type Transporter } from 'nodemailer'

export interface OutgoingMail {
  readonly to: string
  readonly subject: string
  readonly text: string
  readonly html: string
  readonly headers?: Readonly<Record<string, string>>
}

export interface Mailer {
  send(mail: OutgoingMail): Promise<void>
  close(): void
}

export function createMailer(smtpUrl: string, from: string): Mailer {
  const transport: Transporter = nodemailer.createTransport(smtpUrl)
  return {
    async send(mail) {
      await transport.sendMail({ from, to: mail.to, subject: mail.subject, text: mail.text, html: mail.html, headers: { ...mail.headers } })
    },
    close: () => transport.close(),
  }
}
