import { ApolloProvider } from '@apollo/client/react';
import type { ApolloClient } from '@apollo/client';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createApolloClient, refresherFor } from './api/client.js';
import { DeviceKeyStore } from './api/deviceKey.js';
import { SESSION_STORAGE_KEY, SessionStore } from './api/session.js';
import { App } from './App.js';
import { loadAppConfig } from './config.js';
import { ServicesProvider } from './state.js';
import './styles.css';

/** Web Locks keep two tabs from spending the same refresh token (which would revoke the whole family). */
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  if (!('locks' in navigator)) return task();
  return new Promise<T>((resolve, reject) => {
    void navigator.locks.request('brigade-session-refresh', () => task().then(resolve, reject));
  });
}

const config = await loadAppConfig();
let client: ApolloClient | undefined;
const sessions = new SessionStore({ refresh: refresherFor(() => client!), storage: window.localStorage, exclusive });
const deviceKeys = new DeviceKeyStore(window.localStorage);
client = createApolloClient({ graphqlUrl: config.graphqlUrl, session: sessions, deviceKey: deviceKeys });
window.addEventListener('storage', (event) => {
  if (event.key === SESSION_STORAGE_KEY) sessions.adoptStored();
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApolloProvider client={client}>
      <ServicesProvider services={{ client, sessions, deviceKeys }}>
        <App />
      </ServicesProvider>
    </ApolloProvider>
  </StrictMode>,
);
