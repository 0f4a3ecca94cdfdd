/**
 * How far a long operation has got, reported by domain functions through an
 * optional `onProgress` callback; the CLI draws it (src/cli/progress.ts) on a
 * terminal only. The domain calls it at natural steps (a batch, a table) and
 * the CLI throttles what it draws, so a callback may come often and costs little.
 */
export interface Progress {
  /** What is being worked on: a table ('ip'), or a step ('checking the file', 'deleting'). */
  stage?: string
  /** Rows (or addresses) done in this stage so far. */
  done?: number
  /** How many there are in this stage, when known. */
  total?: number
  /** What is counted: 'rows' unless said otherwise. */
  unit?: string
}

export type OnProgress = (progress: Progress) => void
