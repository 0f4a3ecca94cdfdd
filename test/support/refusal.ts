import {IpamError} from '../../src/errors.js'

/** The IpamError a domain call refuses with (fails the test when it succeeds or throws anything else). */
export async function refusal(p: Promise<unknown>): Promise<IpamError> {
  try {
    await p
  } catch (error) {
    if (error instanceof IpamError) return error
    throw error
  }
  throw new Error('expected a refusal')
}
