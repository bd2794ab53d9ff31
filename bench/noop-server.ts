// The baseline for the ingest benchmark: Fastify doing nothing but what any JSON endpoint does.
// POST /noop parses the body as JSON (text/plain like the tracker sends, and application/json),
// reads the client address through the trusted proxy header, and answers 202 with a small JSON
// body, the same shape as /api/event's answer. Prints `listening <url>` once it listens.
import Fastify from 'fastify'

const app = Fastify({ logger: false, trustProxy: true })

app.addContentTypeParser('text/plain', { parseAs: 'string', bodyLimit: 8 * 1024 }, (_request, body, done) => {
  try {
    done(null, JSON.parse(body as string))
  } catch {
    done(Object.assign(new Error('the body must be a JSON object'), { statusCode: 400 }), undefined)
  }
})

let sink = 0
app.post('/noop', { bodyLimit: 8 * 1024 }, async (request, reply) => {
  // Touch what a real handler would read, so none of it can be skipped.
  sink ^= request.ip.length ^ (request.headers['user-agent']?.length ?? 0) ^ (typeof request.body === 'object' ? 1 : 0)
  return reply.status(202).send({ status: 'accepted' })
})

process.on('SIGTERM', () => {
  void app.close().then(() => process.exit(sink === -1 ? 1 : 0))
})

const url = await app.listen({ port: 0, host: '127.0.0.1' })
process.stdout.write(`listening ${url}\n`)
