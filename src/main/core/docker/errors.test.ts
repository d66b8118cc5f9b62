import { describe, expect, it } from 'vitest'
import { AppError } from '../errors'
import { DOCKER_FIX, dockerUnreachable, dockerUnreachableText } from './errors'

describe('Docker is not reachable', () => {
  it('is a declared UNAVAILABLE error that says why and what to do', () => {
    const cause = Object.assign(new Error('connect ENOENT /var/run/docker.sock'), { code: 'ENOENT' })
    const e = dockerUnreachable(cause)
    expect(e).toBeInstanceOf(AppError)
    expect(e.code).toBe('UNAVAILABLE')
    expect(e.status).toBe(503)
    expect(e.message).toBe('Docker is not reachable: connect ENOENT /var/run/docker.sock')
    expect(e.data).toEqual({ fix: 'Start Docker, or check the Docker endpoint in Settings.' })
    expect(e.cause).toBe(cause)
  })

  it('takes another fix where the caller knows a better one, and words a reason given as text the same way', () => {
    expect(dockerUnreachable(new Error('x'), 'Fix the Docker check first.').data).toEqual({ fix: 'Fix the Docker check first.' })
    expect(dockerUnreachableText('no answer')).toBe('Docker is not reachable: no answer')
    expect(DOCKER_FIX).toMatch(/Start Docker/)
  })
})
