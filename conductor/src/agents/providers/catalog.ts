// What conductor knows about each built-in provider without running it.
export interface BuiltinInfo {
  /** The CLI's executable; undefined for HTTP and replay providers. */
  binary?: string;
  /** Environment variables it reads credentials or endpoints from (passed through to it). */
  keys: readonly string[];
  /** Where it keeps a logged-in user's credentials, relative to HOME (copied into each call's private state). */
  credentialFiles: readonly string[];
}

export const BUILTINS: Record<string, BuiltinInfo> = {
  opencode: {
    binary: 'opencode',
    keys: ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY', 'GEMINI_API_KEY', 'GOOGLE_GENERATIVE_AI_API_KEY', 'OPENROUTER_API_KEY', 'GROQ_API_KEY', 'OPENCODE_CONFIG', 'OPENCODE_CONFIG_CONTENT'],
    credentialFiles: ['.local/share/opencode/auth.json', '.config/opencode/opencode.json', '.config/opencode/opencode.jsonc'],
  },
  claude: {
    binary: 'claude',
    keys: ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_BASE_URL', 'CLAUDE_CODE_USE_BEDROCK', 'CLAUDE_CODE_USE_VERTEX', 'AWS_REGION', 'AWS_PROFILE', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'CLOUD_ML_REGION', 'ANTHROPIC_VERTEX_PROJECT_ID', 'GOOGLE_APPLICATION_CREDENTIALS'],
    credentialFiles: ['.claude/.credentials.json'],
  },
  codex: { binary: 'codex', keys: ['OPENAI_API_KEY', 'CODEX_API_KEY', 'OPENAI_BASE_URL'], credentialFiles: ['.codex/auth.json'] },
  gemini: {
    binary: 'gemini',
    keys: ['GEMINI_API_KEY', 'GOOGLE_API_KEY', 'GOOGLE_GEMINI_BASE_URL', 'GOOGLE_CLOUD_PROJECT', 'GOOGLE_CLOUD_LOCATION', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_APPLICATION_CREDENTIALS'],
    credentialFiles: ['.gemini/oauth_creds.json', '.gemini/google_accounts.json'],
  },
  ollama: { keys: ['OLLAMA_HOST'], credentialFiles: [] },
  replay: { keys: [], credentialFiles: [] },
};

export const DEFAULT_PROVIDER_ORDER = ['opencode', 'claude', 'codex', 'gemini'] as const;

/** The npm package that installs each built-in CLI, for the hint when one is missing. */
export const INSTALL_PACKAGES: Record<string, string> = {
  opencode: 'opencode-ai',
  claude: '@anthropic-ai/claude-code',
  codex: '@openai/codex',
  gemini: '@google/gemini-cli',
};
