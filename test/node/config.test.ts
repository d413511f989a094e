/** A node's config: what libp2p could not use is refused up front, naming the field and its source. */
import { strict as assert } from 'node:assert'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/node/config.ts'
import { loopbackListenWarning } from '../../src/node/service.ts'

describe('node: config addresses and peer ids', () => {
  const base = { id: 'GB', data: '/tmp/x', charter: '/tmp/charter.json' }
  const refused = (flags: object, file?: string): ConfigError => {
    try {
      loadConfig(file, { ...base, ...flags })
    } catch (err) {
      if (err instanceof ConfigError) return err
      throw err
    }
    throw new Error('accepted')
  }

  it('a bootstrap with a malformed peer id, a malformed multiaddr, an observer that is no peer id: each named', () => {
    assert.match(refused({ bootstrap: ['/ip4/127.0.0.1/tcp/4301/p2p/notapeerid'] }).message, /^flag: bootstrap\.0: "notapeerid" is not a peer id/)
    assert.match(refused({ bootstrap: ['/ip4/127.0.0.1/tcp/4101', '/ip4/127.0.0.1/tcpx/4301'] }).message, /^flag: bootstrap\.1: "\/ip4\/127\.0\.0\.1\/tcpx\/4301" is not a multiaddr/)
    assert.match(refused({ observers: ['abc'] }).message, /^flag: observers\.0: "abc" is not a peer id/)
    assert.match(refused({ listen: ['/ip9/1.2.3.4/tcp/1'] }).message, /^flag: listen\.0: .* is not a multiaddr/)
  })

  it('names the file when the mistake is in it; good addresses pass', () => {
    const dir = mkdtempSync(join(tmpdir(), 'accord-config-'))
    try {
      const file = join(dir, 'gb.json')
      writeFileSync(file, JSON.stringify({ bootstrap: ['/ip4/127.0.0.1/tcp/4301/p2p/12D3KooWxyz'] }))
      assert.match(refused({}, file).message, new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: bootstrap\\.0: "12D3KooWxyz" is not a peer id`))
      const ok = loadConfig(undefined, { ...base, bootstrap: ['/ip4/127.0.0.1/tcp/4301/p2p/12D3KooWLcHjZ4Y3ZbD6ETnpm1u5KArAH4qQDMSFQvQiFsgDAJ2D', '/dns4/accord.example.org/tcp/4101'], observers: ['12D3KooWLcHjZ4Y3ZbD6ETnpm1u5KArAH4qQDMSFQvQiFsgDAJ2D'] })
      assert.equal(ok.bootstrap.length, 2)
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('node: a listen address other hosts cannot reach', () => {
  it('warns when the node listens on loopback only and its bootstrap members are on other hosts', () => {
    const peer = '12D3KooWLGMZaRgp8HJEeHcorwuaWJPj6mkQ3JcUBy2zD9hkKqcX'
    assert.match(loopbackListenWarning(['/ip4/127.0.0.1/tcp/0'], [`/ip4/10.77.0.11/tcp/4101/p2p/${peer}`]) ?? '', /listens on \/ip4\/127\.0\.0\.1\/tcp\/0 only, while its bootstrap members are on other hosts \(\/ip4\/10\.77\.0\.11\/tcp\/4101\/p2p\/.*--listen \/ip4\/0\.0\.0\.0\/tcp\/4101/)
    // One machine (the demo), a listen address others reach, or nobody to reach: nothing to say.
    assert.equal(loopbackListenWarning(['/ip4/127.0.0.1/tcp/0'], [`/ip4/127.0.0.1/tcp/4101/p2p/${peer}`]), undefined)
    assert.equal(loopbackListenWarning(['/ip4/0.0.0.0/tcp/4101'], [`/ip4/10.77.0.11/tcp/4101/p2p/${peer}`]), undefined)
    assert.equal(loopbackListenWarning(['/ip4/127.0.0.1/tcp/0'], []), undefined)
  })
})
