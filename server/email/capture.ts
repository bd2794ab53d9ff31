// A real SMTP server in-process, for development and tests: without SMTP_URL, mail goes to it
// over SMTP and is kept as .eml files (DATA_DIR/mail) and in memory, where tests read it.
// It listens on 127.0.0.1 only and relays nothing.
import { mkdirSync, writeFileSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { simpleParser } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface CapturedMail {
  readonly to: string[]
  readonly subject: string
  readonly text: string
  readonly html: string
  readonly headers: Record<string, string>
  readonly raw: string
}

export interface MailCapture {
  readonly url: string
  readonly messages: readonly CapturedMail[]
  /** Resolves with the first message (received already or later) that matches. */
  next(match: (mail: CapturedMail) => boolean, timeoutMs?: number): Promise<CapturedMail>
  close(): Promise<void>
}

export async function startMailCapture(directory: string | null): Promise<MailCapture> {
  const messages: CapturedMail[] = []
  const waiters = new Set<() => void>()
  if (directory) mkdirSync(directory, { recursive: true })
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    size: 5 * 1024 * 1024,
    onData(stream, session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8')
        simpleParser(raw)
          .then((parsed) => {
            const headers: Record<string, string> = {}
            for (const line of parsed.headerLines) headers[line.key] = line.line.slice(line.key.length + 1).trim()
            const mail: CapturedMail = {
              to: session.envelope.rcptTo.map((recipient) => recipient.address),
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              headers,
              raw,
            }
            messages.push(mail)
            if (directory) writeFileSync(join(directory, `${Date.now()}-${messages.length}.eml`), raw)
            for (const wake of waiters) wake()
            callback()
          })
          .catch((error: Error) => callback(error))
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.server.address() as AddressInfo
  return {
    url: `smtp://127.0.0.1:${port}`,
    messages,
    next(match, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = messages.find(match)
          if (!found) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve(found)
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`no matching mail within ${timeoutMs} ms (${messages.length} received)`))
        }, timeoutMs)
        waiters.add(check)
        check()
      })
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
