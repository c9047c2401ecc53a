// The environment an agent or gate gets: an allowlist, never the conductor's
// whole environment, so secrets the user did not route to an agent stay out.

/** Always passed through when set. */
const BASE_ALLOW = [
  'PATH', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'TERM', 'USER', 'LOGNAME', 'SHELL',
  'NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE', 'SSL_CERT_DIR',
  'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY', 'https_proxy', 'http_proxy', 'no_proxy',
];

const SECRET_NAME = /KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION_ID$/i;

export interface AgentEnvOptions {
  parent: NodeJS.ProcessEnv;
  /** Variables this provider needs from the parent, e.g. its API key names. */
  passThrough?: readonly string[];
  /** Values set by conductor (HOME, state dirs, CONDUCTOR_*, provider settings); they win. */
  set?: Record<string, string>;
}

export function buildAgentEnv(options: AgentEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of [...BASE_ALLOW, ...(options.passThrough ?? [])]) {
    const value = options.parent[name];
    if (value !== undefined) env[name] = value;
  }
  env.HOME = options.parent.HOME ?? '/';
  return { ...env, ...options.set };
}

/** Values worth masking in logs: those of secret-looking variables, long enough to be real. */
export function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (value && value.length >= 8 && SECRET_NAME.test(name) && !name.startsWith('CONDUCTOR_')) values.add(value);
  }
  return [...values].sort((a, b) => b.length - a.length);
}

const TOKEN_SHAPES = [/\bsk-[A-Za-z0-9_-]{20,}/g, /\bsk-ant-[A-Za-z0-9_-]{20,}/g, /\bgh[pousr]_[A-Za-z0-9]{30,}/g, /\bxox[abprs]-[A-Za-z0-9-]{10,}/g, /\bAKIA[0-9A-Z]{16}\b/g, /\bAIza[0-9A-Za-z_-]{35}\b/g];

/** A function that masks the given secret values and well-known token shapes. */
export function redactor(secrets: readonly string[]): (text: string) => string {
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    for (const shape of TOKEN_SHAPES) out = out.replace(shape, '[redacted]');
    return out;
  };
}
