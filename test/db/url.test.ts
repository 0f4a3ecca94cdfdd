import {describe, expect, it} from 'vitest'

import {openDatabase} from '../../src/db/connect.js'
import {maskedUrl, maskSecretsInText, parseDbUrl} from '../../src/db/url.js'

describe('database URLs', () => {
  it('parses user, password, host, port and database', () => {
    const url = parseDbUrl('mysql://ipam:s%40cret@db1.example.com:3307/ipam')
    expect(url).toMatchObject({user: 'ipam', password: 's@cret', hosts: [{host: 'db1.example.com', port: 3307}], database: 'ipam'})
  })

  it('lists several hosts in order, with the default port', () => {
    const url = parseDbUrl('mysql://u@h1:3306,h2,[::1]:3308/db')
    expect(url.hosts).toEqual([{host: 'h1', port: 3306}, {host: 'h2', port: 3306}, {host: '::1', port: 3308}])
  })

  it('takes a socket and TLS options', () => {
    expect(parseDbUrl('mysql://u@/db?socket=/run/mysqld/mysqld.sock')).toMatchObject({socket: '/run/mysqld/mysqld.sock', hosts: []})
    expect(parseDbUrl('mysql://u@h/db?ssl=true').ssl).toBe(true)
    expect(parseDbUrl('mysql://u@h/db?ssl=/etc/ca.pem').ssl).toBe('/etc/ca.pem')
  })

  it('takes a connect timeout in seconds, keeps it when shown, and refuses one out of range', () => {
    expect(parseDbUrl('mysql://u@h/db?connect-timeout=3').connectTimeoutMs).toBe(3000)
    expect(parseDbUrl('mysql://u@h/db?connect-timeout=0.5').connectTimeoutMs).toBe(500)
    expect(parseDbUrl('mysql://u@h/db').connectTimeoutMs).toBeUndefined()
    expect(maskedUrl(parseDbUrl('mysql://u:pw@h:1/db?connect-timeout=2.5'))).toBe('mysql://u:****@h:1/db?connect-timeout=2.5')
    for (const bad of ['0', '0.01', '601', '-1', '3s', '', 'Infinity', '1e3']) {
      expect(() => parseDbUrl(`mysql://u:pw@h/db?connect-timeout=${bad}`), bad).toThrow(/connect-timeout/)
    }
  })

  it('masks the password wherever a URL is shown', () => {
    expect(maskedUrl(parseDbUrl('mysql://ipam:hunter2@h:1/db'))).toBe('mysql://ipam:****@h:1/db')
    expect(maskSecretsInText('cannot reach mysql://ipam:hunter2@h:1/db now')).toBe('cannot reach mysql://ipam:****@h:1/db now')
  })

  it('refuses malformed URLs without echoing the password', () => {
    for (const bad of ['postgres://u:pw@h/db', 'mysql://u:pw@h:99999/db', 'mysql://u:pw@h/db?bogus=1', 'mysql://u:pw@h/bad;name']) {
      let message = ''
      try {
        parseDbUrl(bad)
      } catch (error) {
        message = (error as Error).message
      }
      expect(message).not.toBe('')
      expect(message).not.toContain('pw@')
    }
  })

  it('refuses a URL without a database name as a usage error saying to add /DBNAME, before connecting', async () => {
    for (const text of ['mysql://root@127.0.0.1:9', 'mysql://root:pw@127.0.0.1:9/']) {
      const refusal = await openDatabase(parseDbUrl(text)).catch((error) => error)
      expect(refusal).toMatchObject({kind: 'usage'})
      expect(refusal.message).toContain('add /DBNAME')
      expect(refusal.message).not.toContain('pw')
      expect(refusal.hint).toBe(text.includes('pw') ? 'e.g. mysql://root:****@127.0.0.1:9/ipam' : 'e.g. mysql://root@127.0.0.1:9/ipam')
    }
  })
})
