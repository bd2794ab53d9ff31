// Reading a password for the CLI: the first line of standard input when it is piped, or a prompt
// that does not echo what is typed on a terminal. Never from the command line (shell history, ps).
import { createInterface } from 'node:readline'

export async function readPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    const lines = createInterface({ input: process.stdin })
    for await (const line of lines) {
      lines.close()
      return line
    }
    return ''
  }
  process.stderr.write(prompt)
  const stdin = process.stdin
  stdin.setRawMode(true)
  stdin.resume()
  stdin.setEncoding('utf8')
  return new Promise((resolve, reject) => {
    let password = ''
    const onData = (chunk: string) => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n') {
          stdin.setRawMode(false)
          stdin.pause()
          stdin.off('data', onData)
          process.stderr.write('\n')
          resolve(password)
          return
        }
        if (char === '\u0003') {
          stdin.setRawMode(false)
          reject(new Error('cancelled'))
          return
        }
        password = char === '\u007f' ? password.slice(0, -1) : password + char
      }
    }
    stdin.on('data', onData)
  })
}
