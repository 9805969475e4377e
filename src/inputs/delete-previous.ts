// `delete-previous`: when the replaced token goes. A grace period needs the journal, since the
// run that deletes the token is a later one and must learn from somewhere that it is due.
import { InputError } from '../errors.js'
import type { DeletePrevious } from './config.js'
import { booleanValue } from './booleans.js'
import { isDuration, parseDuration } from './durations.js'
import { quote } from './text.js'

/** Long enough for jobs that read the old pair just before the rotation to finish with it. */
export const DEFAULT_GRACE_SECONDS = 3600

const FORMS =
  'true (delete it in this run), false (keep it), or how long it stays valid before a later run deletes it, ' +
  'e.g. "1h", "30m", "2d" or a number of seconds'

/** @param journalOff `journal: none` on a command that would use it */
export function parseDeletePrevious(raw: string, journalOff: boolean): DeletePrevious {
  const value = raw.trim()
  if (value === '') return journalOff ? { kind: 'now' } : { kind: 'after', seconds: DEFAULT_GRACE_SECONDS }
  const flag = booleanValue(value)
  if (flag !== undefined) return flag ? { kind: 'now' } : { kind: 'never' }
  if (!isDuration(value)) throw new InputError('delete-previous', `${quote(value)} is not ${FORMS}`)
  const seconds = parseDuration('delete-previous', value)
  // No grace is no later run to wait for.
  if (seconds === 0) return { kind: 'now' }
  if (journalOff) {
    throw new InputError(
      'delete-previous',
      `${quote(value)} needs the journal, and journal is "none": the journal is what lets a later run ` +
        'delete the replaced token once that time has passed. Set journal (e.g. "repo:acme/api"), ' +
        'or use true (delete it in this run) or false (keep it)'
    )
  }
  return { kind: 'after', seconds }
}
