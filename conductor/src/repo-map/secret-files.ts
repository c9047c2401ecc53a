// Files a repo map never names or reads: environment files, keys, credentials.
const SECRET_NAMES = [
  /^\.env(\..*)?$/i,
  /\.(pem|key|p12|pfx|jks|keystore|kdbx|gpg|asc)$/i,
  /^id_(rsa|dsa|ecdsa|ed25519)(\.pub)?$/i,
  /credential/i,
  /secret/i,
  /^\.(netrc|npmrc|pypirc|htpasswd)$/i,
  /^(service-account|serviceaccount).*\.json$/i,
  /\.tfstate(\.backup)?$/i,
];

export function isSecretFile(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return SECRET_NAMES.some((pattern) => pattern.test(name));
}
