// What conductor knows about each built-in provider without running it.
export interface BuiltinInfo {
  /** The CLI's executable; undefined for HTTP and replay providers. */
  binary?: string;
  /** Environment variables it reads credentials or endpoints from (passed through to it). */
  keys: readonly string[];
  /** Where it keeps a logged-in user's credentials, relative to HOME (copied into each call's private state). */
  credentialFiles: readonly string[];
  /** The npm package that installs the CLI. */
  npmPackage?: string;
  /**
   * The versions the real-CLI suite (test/integration/real-clis*.test.ts) has
   * run the whole pipeline through: `from` is the pinned release it installs
   * every time, `to` the newest release it last proved. docs/providers.md
   * lists the same ranges (a test keeps them in step).
   */
  proven?: ProvenRange;
}

export interface ProvenRange {
  from: string;
  to: string;
}

export const BUILTINS: Record<string, BuiltinInfo> = {
  opencode: {
    binary: 'opencode',
    keys: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'OPENROUTER_API_KEY', 'GROQ_API_KEY', 'OPENCODE_CONFIG', 'OPENCODE_CONFIG_CONTENT'],
    credentialFiles: ['.local/share/opencode/auth.json', '.config/opencode/opencode.json', '.config/opencode/opencode.jsonc'],
    npmPackage: 'opencode-ai',
    proven: { from: '1.18.33', to: '1.18.33' },
  },
  claude: {
    binary: 'claude',
    keys: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'AWS_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'CLOUD_ML_REGION', 'ANTHROPIC_VERTEX_PROJECT_ID', 'GOOGLE_APPLICATION_CREDENTIALS'],
    credentialFiles: ['.claude/.credentials.json'],
    npmPackage: '@anthropic-ai/claude-code',
    proven: { from: '2.1.197', to: '2.1.332' },
  },
  codex: {
    binary: 'codex',
    keys: ['OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENAI_BASE_URL'],
    credentialFiles: ['.codex/auth.json'],
    npmPackage: '@openai/codex',
    proven: { from: '0.169.0', to: '0.171.0' },
  },
  gemini: {
    binary: 'gemini',
    keys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GEMINI_BASE_URL', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_CLOUD_LOCATION', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_APPLICATION_CREDENTIALS'],
    credentialFiles: ['.gemini/oauth_creds.json', '.gemini/google_accounts.json'],
    npmPackage: '@google/gemini-cli',
    proven: { from: '0.61.0', to: '0.61.0' },
  },
  ollama: { keys: ['OLLAMA_HOST'], credentialFiles: [] },
  replay: { keys: [], credentialFiles: [] },
};

export const DEFAULT_PROVIDER_ORDER = ['opencode', 'claude', 'codex', 'gemini'] as const;
