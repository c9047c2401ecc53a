// Where conductor writes the documents a user may commit: the repo map and
// run reports, under `docsDir` (conductor.config.yaml; default docs/).

export const DEFAULT_DOCS_DIR = 'docs';

/** The repo map, relative to the repository. */
export const repoMapFile = (docsDir: string = DEFAULT_DOCS_DIR): string => `${docsDir}/repo-map.md`;

/** The folder of run reports, relative to the repository. */
export const runReportsDir = (docsDir: string = DEFAULT_DOCS_DIR): string => `${docsDir}/runs`;
