// The per-IP rate limit of POST /api/event (its own file: one embedded ClickHouse per process).
import { expect, it } from 'vitest'
import { startTestApp } from '../helpers/app.ts'

it('answers 429 per client address past RATE_LIMIT_PER_MINUTE', async () => {
    const limited = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: '3' } })
    try {
      await limited.addSite('shop.test')
      const statuses: number[] = []
      for (let i = 0; i < 5; i++) statuses.push((await limited.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' }, { ip: '192.0.2.50' })).statusCode)
      expect(statuses).toEqual([202, 202, 202, 429, 429])
      const other = await limited.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' }, { ip: '192.0.2.51' })
      expect(other.statusCode).toBe(202)
      const refused = await limited.send({ n: 'pageview', u: 'https://shop.test/', d: 'shop.test' }, { ip: '192.0.2.50' })
      expect(refused.statusCode).toBe(429)
      expect(JSON.parse(refused.body)).toMatchObject({ error: 'rate_limited' })
      await limited.flush()
      expect((await limited.rows<{ n: number }>('SELECT count() AS n FROM events'))[0]!.n).toBe(4)
    } finally {
      await limited.close()
    }
  })
