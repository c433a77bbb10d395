import { useApolloClient } from '@apollo/client/react';
import { useId, useState, type FormEvent } from 'react';
import { Link } from 'react-router';
import { useDeviceKey, useServices } from '../state.js';

/** Turns this browser into a station display: the board runs with an API key instead of a person's session. */
export function DevicePage() {
  const { deviceKeys, sessions } = useServices();
  const client = useApolloClient();
  const key = useDeviceKey();
  const [secret, setSecret] = useState('');
  const ids = { key: useId(), hint: useId() };

  function submit(event: FormEvent) {
    event.preventDefault();
    sessions.end('signed-out');
    deviceKeys.set(secret);
    setSecret('');
    void client.resetStore().catch(() => undefined);
  }

  return (
    <section className="card narrow" aria-labelledby="device-title">
      <h1 id="device-title">Station display</h1>
      {key ? (
        <>
          <p>This browser runs the board with an API key; nobody needs to sign in.</p>
          <p>
            <Link to="/board">Show the orders</Link>
          </p>
          <button
            type="button"
            onClick={() => {
              deviceKeys.set(null);
              void client.clearStore();
            }}
          >
            Forget this key
          </button>
        </>
      ) : (
        <form onSubmit={submit}>
          <label htmlFor={ids.key}>API key</label>
          <input
            id={ids.key}
            type="password"
            autoComplete="off"
            required
            value={secret}
            aria-describedby={ids.hint}
            onChange={(e) => setSecret(e.target.value)}
          />
          <p id={ids.hint} className="hint">
            An admin creates one on the Admin page with the <code>orders:manage</code> scope. It stays on this browser until forgotten.
          </p>
          <button type="submit">Use this key</button>
        </form>
      )}
    </section>
  );
}
