// The notes that mark a task no reviewer gave a usable verdict on: it waits in
// review for a human, and resume (recover-in-flight, then cutShortAt) has a new
// reviewer look at the same commit. Apart from verdict.ts, so `conductor status`
// reads them without loading the reply parser.

/** How the note of a task left in review starts (`status` and resume read it). */
export const NO_VERDICT = 'no usable verdict from the reviewer';
/** The note a resume gives such a task: its attempt's commit is reviewed again, with no new worker. */
export const REVIEW_AGAIN = "left in review without a verdict; resume reviews the attempt's commit again";
