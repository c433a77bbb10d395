import { useMutation, useQuery } from '@apollo/client/react';
import { useId, useState, type FormEvent } from 'react';
import { ErrorMessage, Loading } from '../components/feedback.js';
import { formatTime } from '../format.js';
import { ApiKeysDocument, CreateApiKeyDocument, RevokeApiKeyDocument } from '../graphql/generated.js';

/** The scopes a key can carry (an admin holds them all); a station display needs orders:manage. */
const SCOPES = [
  { scope: 'orders:manage', label: 'orders:manage — the board: see, advance and cancel orders' },
  { scope: 'stock:write', label: 'stock:write — restock items' },
  { scope: 'menu:write', label: 'menu:write — create and edit menu items' },
  { scope: 'users:manage', label: 'users:manage — roles and API keys' },
];

/** API keys for devices and integrations: list, create (its secret shown once, with a copy button), revoke. */
export function ApiKeys() {
  const ids = { name: useId(), days: useId() };
  const { data, loading, error } = useQuery(ApiKeysDocument);
  const [create, created] = useMutation(CreateApiKeyDocument, { refetchQueries: [ApiKeysDocument] });
  const [revoke] = useMutation(RevokeApiKeyDocument);
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<ReadonlySet<string>>(new Set(['orders:manage']));
  const [days, setDays] = useState('');
  const [secret, setSecret] = useState<{ name: string; secret: string } | null>(null);
  const [copied, setCopied] = useState(false);
  const [revokeError, setRevokeError] = useState<unknown>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setSecret(null);
    setCopied(false);
    const input = { name, scopes: [...scopes], ...(days ? { expiresInDays: Number(days) } : {}) };
    const result = await create({ variables: { input } }).catch(() => null);
    if (result?.data) {
      setSecret({ name: result.data.createApiKey.apiKey.name, secret: result.data.createApiKey.secret });
      setName('');
    }
  }

  async function copy() {
    if (!secret) return;
    try {
      await navigator.clipboard.writeText(secret.secret);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  }

  const keys = data?.apiKeys ?? [];
  return (
    <section className="card wide" aria-labelledby="keys-title">
      <h2 id="keys-title">API keys</h2>
      <form onSubmit={submit} aria-label="New API key">
        <label htmlFor={ids.name}>Key name</label>
        <input
          id={ids.name}
          required
          maxLength={100}
          placeholder="Kitchen display"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <fieldset>
          <legend>Scopes</legend>
          {SCOPES.map(({ scope, label }) => (
            <label key={scope} className="check">
              <input
                type="checkbox"
                checked={scopes.has(scope)}
                onChange={(e) =>
                  setScopes((current) => {
                    const next = new Set(current);
                    if (e.target.checked) next.add(scope);
                    else next.delete(scope);
                    return next;
                  })
                }
              />
              {label}
            </label>
          ))}
        </fieldset>
        <label htmlFor={ids.days}>Expires in days (empty: never)</label>
        <input id={ids.days} type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
        <ErrorMessage error={created.error} />
        <button type="submit" disabled={scopes.size === 0}>
          Create key
        </button>
      </form>
      {secret && (
        <div className="success" role="status">
          <p>
            The key <strong>{secret.name}</strong> is shown this once: copy it now and keep it on the device.
          </p>
          <p>
            <code className="secret" aria-label="New key's secret">
              {secret.secret}
            </code>
          </p>
          <button type="button" onClick={copy}>
            {copied ? 'Copied' : 'Copy key'}
          </button>
        </div>
      )}
      {loading && !data && <Loading what="the keys" />}
      <ErrorMessage error={error} />
      <ErrorMessage error={revokeError} />
      <ul className="keys">
        {keys.map((key) => (
          <li key={key.id} aria-label={`Key ${key.name}`}>
            <div>
              <strong>{key.name}</strong> <span className="muted">{key.scopes.join(' ')}</span>
              <p className="meta">
                created {formatTime(key.createdAt)}
                {key.expiresAt ? ` · expires ${formatTime(key.expiresAt)}` : ' · never expires'}
                {key.lastUsedAt ? ` · last used ${formatTime(key.lastUsedAt)}` : ' · never used'}
                {key.revokedAt ? ` · revoked ${formatTime(key.revokedAt)}` : ''}
              </p>
            </div>
            {!key.revokedAt && (
              <button
                type="button"
                onClick={() => {
                  setRevokeError(null);
                  revoke({ variables: { id: key.id } }).catch(setRevokeError);
                }}
              >
                Revoke {key.name}
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
