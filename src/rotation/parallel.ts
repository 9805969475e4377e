// Runs independent requests together and reports every failure, not just the first:
// a user fixing their configuration wants the whole list at once.
import { RotationError, errorMessage } from '../errors.js'

export async function allOrReport<T extends readonly unknown[]>(
  what: string,
  tasks: { readonly [K in keyof T]: Promise<T[K]> }
): Promise<T> {
  const settled = await Promise.allSettled(tasks as readonly Promise<unknown>[])
  const failures = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected').map((s) => s.reason as unknown)
  if (failures.length === 1) throw failures[0]
  if (failures.length > 1) {
    throw new RotationError(`${what}: ${failures.length} problems:\n${failures.map((f) => `- ${errorMessage(f)}`).join('\n')}`)
  }
  return settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) as unknown as T
}
