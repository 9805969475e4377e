// Names that become URL path segments, and tokens that become HTTP headers: refused before any
// request when they could change the request, or can only be a mistake.
import { describe, expect, test } from '@jest/globals'
import { isDotSegment, pathSegmentProblem } from '../../src/inputs/path-segment.js'
import { describeCharacter } from '../../src/inputs/text.js'
import { GITHUB_TOKEN, inputError, parse, SERVICE_TOKEN } from './helpers.js'

describe('pathSegmentProblem: the one check', () => {
  test.each([
    ['', 'is empty'],
    ['.', 'is a path step ("." in a URL means here), not a name'],
    ['..', 'is a path step (".." in a URL means up one level), not a name'],
    ['a/b', 'has "/" at position 2, which separates URL path segments'],
    ['a\\b', 'has "\\\\" at position 2, which separates URL path segments'],
    ['a?b', 'has "?" at position 2, which starts a URL query'],
    ['ab#', 'has "#" at position 3, which starts a URL fragment'],
    ['a%2Fb', 'has "%" at position 2, which starts a URL escape: give the name itself, not URL-encoded'],
    ['a\nb', 'has "\\u000a" (a line break) at position 2, which cannot be part of a name'],
    ['a\u0000', 'has "\\u0000" (a control character) at position 2'],
    ['a\u0085', 'has "\\u0085" (a control character) at position 2'],
    ['a\ud800', 'has "\\ud800" (half of a UTF-16 surrogate pair) at position 2']
  ])('%j %s', (value, problem) => {
    expect(pathSegmentProblem(value)).toContain(problem)
  })

  test('positions count characters, not UTF-16 units', () => {
    expect(pathSegmentProblem('😀?')).toContain('has "?" at position 2')
  })

  test.each(['acme', 'a.b', '...', '.a', 'Prod West', 'produção', 'a-b_c'])('%j is a segment', (value) => {
    expect(pathSegmentProblem(value)).toBeUndefined()
  })

  test('a free-form name (an environment) may hold what the client encodes, not the rest', () => {
    for (const value of ['eu/prod', 'a\\b', 'q?', 'prod#2']) expect(pathSegmentProblem(value, true)).toBeUndefined()
    for (const value of ['..', '.', 'a%2Fb', 'a\tb', '']) expect(pathSegmentProblem(value, true)).toBeDefined()
  })

  test('isDotSegment is exactly "." and ".."', () => {
    expect(['.', '..', '...', '', 'a.'].map(isDotSegment)).toEqual([true, true, false, false, false])
  })

  test.each([
    ['a', '"a"'],
    ['"', '"\\""'],
    [' ', '"\\u0020" (a space)'],
    ['\u0430', '"\\u0430" (a non-ASCII character)'],
    ['\uff41', '"\\uff41" (a non-ASCII character)'],
    ['\u200b', '"\\u200b" (a zero-width space)'],
    ['\r', '"\\u000d" (a carriage return)'],
    ['😀', '"\\u{1f600}" (a non-ASCII character)']
  ])('describeCharacter(%j) is %s', (character, described) => {
    expect(describeCharacter(character)).toBe(described)
  })
})

describe('organization', () => {
  test.each(['acme', 'acme-corp', 'acme2', 'my_org', 'org.name', 'Acme', 'a'.repeat(100)])('%j is accepted', (name) => {
    expect(parse({ organization: name }).organization).toBe(name)
  })

  test.each([
    ['.', 'is a path step'],
    ['..', 'is a path step ("..'],
    ['acme/other', 'has "/" at position 5'],
    ['acme?x=1', 'has "?" at position 5, which starts a URL query'],
    ['acme#x', 'has "#" at position 5'],
    ['acme%2F..', 'has "%" at position 5'],
    ['acme corp', 'has "\\u0020" (a space) at position 5'],
    ['acme\tcorp', 'has "\\u0009" (a tab) at position 5'],
    // Look-alikes: Cyrillic "а" and "с", fullwidth "ａ", an invisible zero-width space.
    ['\u0430cme', 'has "\\u0430" (a non-ASCII character) at position 1'],
    ['a\u0441me', 'has "\\u0441" (a non-ASCII character) at position 2'],
    ['\uff41cme', 'has "\\uff41" (a non-ASCII character) at position 1'],
    ['acme\u200b', 'has "\\u200b" (a zero-width space) at position 5'],
    ['acme!', 'has "!" at position 5'],
    ['a'.repeat(101), 'is 101 characters long, at most 100']
  ])('%j is refused: %s', (name, problem) => {
    const error = inputError(() => parse({ organization: name }))
    expect(error.input).toBe('organization')
    expect(error.message).toContain('is not a PlanetScale organization name: it ')
    expect(error.message).toContain(problem)
  })

  test.each(['\u0430cme', '..'])('%j: the message says what to use instead', (name) => {
    expect(inputError(() => parse({ organization: name })).message).toContain(
      'app.planetscale.com/ORGANIZATION), made of ASCII letters, digits, "-", "_" and "."'
    )
  })
})

describe('token IDs (service-token-id and token-id)', () => {
  test.each(['service-token-id', 'token-id'])('%s: "." and ".." are refused', (input) => {
    for (const raw of ['.', '..']) {
      const error = inputError(() => parse({ [input]: raw }))
      expect(error.input).toBe(input)
      expect(error.message).toContain('the ID is a path step')
    }
  })

  test.each([
    ['abc/def', 'the ID has "/" at position 4'],
    ['abc?def', 'the ID has "?" at position 4'],
    ['abc#def', 'the ID has "#" at position 4'],
    ['abc%2e', 'the ID has "%" at position 4'],
    ['abcdéf', '"abcdéf" has "\\u00e9" (a non-ASCII character) at position 5'],
    ['abc\u0430ef', 'has "\\u0430" (a non-ASCII character) at position 4']
  ])('%j is refused: %s', (raw, problem) => {
    for (const input of ['service-token-id', 'token-id']) {
      const error = inputError(() => parse({ [input]: raw }))
      expect(error.input).toBe(input)
      expect(error.message).toContain(problem)
    }
  })

  test('a pasted ID:SECRET is refused without showing the value', () => {
    const secret = 'f'.repeat(40)
    for (const input of ['service-token-id', 'token-id']) {
      const error = inputError(() => parse({ [input]: `abcdefabcdef:${secret}` }))
      expect(error.input).toBe(input)
      expect(error.message).toContain('contains ":" (the value is not shown)')
      expect(error.message).not.toContain(secret)
      expect(error.message).not.toContain('abcdefabcdef')
    }
  })

  test.each(['xyz\r\nX-Injected: yes', 'xyz\nuvw', 'xyz\u0000uvw', 'xyz\tuvw'])(
    'a control character (%j) is refused without showing the value: it would go into a header',
    (raw) => {
      for (const input of ['service-token-id', 'token-id']) {
        const error = inputError(() => parse({ [input]: raw }))
        expect(error.input).toBe(input)
        expect(error.message).toMatch(/the ID has "\\u00(0d|0a|00|09)" \(.*\) at position 4/)
        expect(error.message).not.toContain('xyz')
        expect(error.message).not.toMatch(/uvw|Injected/)
      }
    }
  )
})

describe('secret inputs: control characters, whitespace and non-ASCII, by position and never by value', () => {
  const SECRETS = ['service-token', 'github-token'] as const
  const VALUE = { 'service-token': SERVICE_TOKEN, 'github-token': GITHUB_TOKEN }

  test.each(SECRETS)('%s with CR LF inside (header injection) is refused', (input) => {
    const secret = VALUE[input]
    const raw = `${secret}\r\nX-Injected: yes`
    const error = inputError(() => parse({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toBe(
      `Input "${input}": contains a control character (a carriage return) at position ${secret.length + 1} ` +
        '(the value is not shown): it would break the HTTP header the token is sent in; ' +
        'check that the secret holds only the token, on one line'
    )
  })

  test.each(SECRETS)('%s: the first bad character is reported, whatever its kind', (input) => {
    const secret = VALUE[input]
    const cases: [string, string][] = [
      [`${secret}\n`, ''], // trailing line break of a pasted secret: trimmed, accepted
      [`ab\u0000${secret}`, 'contains a control character at position 3 (the value is not shown)'],
      [`${secret.slice(0, 4)}\u007f${secret.slice(4)}`, 'contains a control character at position 5'],
      [`${secret}\u00a0x`, `contains whitespace (a no-break space) at position ${secret.length + 1}`],
      [
        `\u201c${secret}\u201d`,
        'contains a non-ASCII character at position 1 (the value is not shown): tokens are plain ASCII'
      ],
      [`${secret}\u200b`, `contains a zero-width space at position ${secret.length + 1}`]
    ]
    for (const [raw, problem] of cases) {
      if (problem === '') {
        expect(() => parse({ [input]: raw })).not.toThrow()
        continue
      }
      const error = inputError(() => parse({ [input]: raw }))
      expect(error.input).toBe(input)
      expect(error.message).toContain(problem)
      expect(error.message).not.toContain(secret.slice(0, 8))
      expect(error.message).not.toContain(secret.slice(-8))
    }
  })
})

describe('environment names (targets and journal)', () => {
  test.each(['.', '..'])('environment %j is refused: it would reach the repository scope', (name) => {
    const targets = inputError(() => parse({ targets: `environment:acme/api/${name}` }))
    expect(targets.input).toBe('targets')
    expect(targets.message).toContain(`environment name "${name}" is a path step`)
    const journal = inputError(() => parse({ journal: `environment:acme/api/${name}` }))
    expect(journal.input).toBe('journal')
    expect(journal.message).toContain(`environment name "${name}" is a path step`)
  })

  test.each([
    ['prod%2Feu', 'has "%" at position 5, which starts a URL escape: give the name itself, not URL-encoded'],
    ['prod\u0007', 'has "\\u0007" (a control character) at position 5']
  ])('environment %j is refused: %s', (name, problem) => {
    expect(inputError(() => parse({ targets: `environment:acme/api/${name}` })).message).toContain(problem)
    expect(inputError(() => parse({ journal: `environment:acme/api/${name}` })).message).toContain(problem)
  })

  test.each(['eu/prod', 'Prod West', 'prod#2', 'q?a', '...', 'produção'])(
    'environment %j is accepted: the client encodes it',
    (name) => {
      expect(parse({ targets: `environment:acme/api/${name}` }).targets[0]).toMatchObject({ environment: name })
      expect(parse({ journal: `environment:acme/api/${name}` }).journal).toMatchObject({ environment: name })
    }
  )
})

describe('other names that go into URL paths say which character is wrong', () => {
  test.each([
    ['targets', 'repo:\u0430cme/api', 'owner "\u0430cme" is not a GitHub account name', 'position 1 is "\\u0430"'],
    ['targets', 'repo:acme/ap\uff49', 'repository "ap\uff49"', 'position 3 is "\\uff49" (a non-ASCII character)'],
    ['targets', 'repo:acme/..', 'repository ".." is not a GitHub repository name', 'not "." or ".."'],
    ['targets', 'dependabot:acme/a%2e', 'repository "a%2e"', 'position 2 is "%"'],
    ['targets', 'org:acme?x', 'organization "acme?x" is not a GitHub account name', 'position 5 is "?"'],
    [
      'targets',
      'org:acme visibility=selected repositories=api,..',
      'repository ".." is not a GitHub repository name',
      'in repositories='
    ],
    ['journal', 'org:\u0430cme', 'organization "\u0430cme"', 'position 1 is "\\u0430"'],
    ['journal', 'repo:acme/api name=../X', 'in name=: "../X" is not a valid variable name', 'letters, digits and _']
  ])('%s %j', (input, raw, fragment, detail) => {
    const error = inputError(() => parse({ [input]: raw }))
    expect(error.input).toBe(input)
    expect(error.message).toContain(fragment)
    expect(error.message).toContain(detail)
  })
})
