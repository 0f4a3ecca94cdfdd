import {describe, expect, it} from 'vitest'

import {maskText} from '../src/mask.js'

describe('masking by structure, not by text', () => {
  const line = (pw: string) => `cannot reach mysql://root_${pw}:${pw}@127.0.0.1:3306/ipam_root_1 for x@example.com (3 addresses, 10.1.0.0/16)`
  for (const pw of ['1', 'x', 'ipam', 'root']) {
    it(`password "${pw}": only the URL's password field is masked`, () => {
      expect(maskText(line(pw), [pw])).toBe(`cannot reach mysql://root_${pw}:****@127.0.0.1:3306/ipam_root_1 for x@example.com (3 addresses, 10.1.0.0/16)`)
    })
  }

  it('masks a short secret too where it stands alone (the price of never missing an echoed one)', () => {
    expect(maskText('1 conflict on 127.0.0.1', ['1'])).toBe('**** conflict on 127.0.0.1')
  })

  it('masks a known secret where it stands as a whole word, as an echoed argument', () => {
    expect(maskText('Unexpected argument: hunter2', ['hunter2'])).toBe('Unexpected argument: ****')
    expect(maskText('network "hunter2" not found.', ['hunter2'])).toBe('network "****" not found.')
    expect(maskText('hunter2x and xhunter2 and hunter2@host stay', ['hunter2'])).toBe('hunter2x and xhunter2 and hunter2@host stay')
  })

  it('masks a password holding "@" or "/" whole', () => {
    expect(maskText('at mysql://u:p@ss/w0rd@db1:3306/ipam now')).toBe('at mysql://u:****@db1:3306/ipam now')
    expect(maskText('smtp://mailer:s3cret@smtp.example.com:587 and mariadb://a:b@h/d')).toBe('smtp://mailer:****@smtp.example.com:587 and mariadb://a:****@h/d')
  })
})
