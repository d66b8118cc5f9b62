import { describe, expect, it } from 'vitest'
import { createAppOrigin, isExternalWebUrl, routeUrl } from './origin'

describe('app origin', () => {
  it('loads the renderer from app://inferadmin/ and trusts only that', () => {
    const origin = createAppOrigin()
    expect(origin.startUrl).toBe('app://inferadmin/')
    expect(origin.isAppUrl('app://inferadmin/settings?tab=1#x')).toBe(true)
    for (const url of [
      'app://inferadmin.evil/',
      'app://evil@inferadmin/',
      'app://other/',
      'https://inferadmin/',
      'http://localhost:5173/',
      '',
      'garbage',
    ]) {
      expect(origin.isAppUrl(url), url).toBe(false)
    }
  })

  it('in development also trusts the dev server, and only its exact origin', () => {
    const origin = createAppOrigin('http://localhost:5173')
    expect(origin.startUrl).toBe('http://localhost:5173/')
    expect(origin.isAppUrl('http://localhost:5173/models')).toBe(true)
    expect(origin.isAppUrl('http://localhost:5174/')).toBe(false)
    expect(origin.isAppUrl('https://localhost:5173/')).toBe(false)
  })

  it('refuses a dev server URL that is not http(s)', () => {
    expect(() => createAppOrigin('file:///tmp/index.html')).toThrow(/http/)
  })

  it('only http(s) links count as external web links', () => {
    expect(isExternalWebUrl('https://example.com')).toBe(true)
    expect(isExternalWebUrl('http://example.com')).toBe(true)
    for (const url of ['file:///etc/passwd', 'javascript:alert(1)', 'mailto:a@b.c', 'app://inferadmin/', 'x'])
      expect(isExternalWebUrl(url), url).toBe(false)
  })
})

describe('route URLs (hash router)', () => {
  it('puts the route after the hash of the start URL', () => {
    expect(routeUrl('app://inferadmin/', '/deployments')).toBe('app://inferadmin/#/deployments')
    expect(routeUrl('http://localhost:5173/#/old', '/models?repo=a')).toBe('http://localhost:5173/#/models?repo=a')
  })

  it('refuses anything that is not an app path', () => {
    for (const route of ['https://evil.example/', '//evil.example', 'models', '/a b', 'javascript:alert(1)']) {
      expect(() => routeUrl('app://inferadmin/', route)).toThrow(/Not a page of the app/)
    }
  })
})
