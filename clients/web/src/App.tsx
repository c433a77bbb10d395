import { useApolloClient, useMutation } from '@apollo/client/react';
import { lazy, Suspense, useEffect, useRef, type ReactNode } from 'react';
import { BrowserRouter, Link, Navigate, NavLink, Route, Routes, useLocation, useNavigate } from 'react-router';
import { LogOutDocument } from './graphql/generated.js';
import { Loading } from './components/feedback.js';
import { SignInPage, SignUpPage } from './pages/AuthPages.js';
import { DevicePage } from './pages/DevicePage.js';
import { MenuPage } from './pages/MenuPage.js';
import { MyOrdersPage } from './pages/MyOrdersPage.js';
import { CartProvider, hasRole, useDeviceKey, useServices, useSession } from './state.js';

// Staff and admin screens load on first use: customers never download them.
const BoardPage = lazy(() => import('./pages/BoardPage.js').then((m) => ({ default: m.BoardPage })));
const AdminPage = lazy(() => import('./pages/AdminPage.js').then((m) => ({ default: m.AdminPage })));

export function App() {
  return (
    <BrowserRouter>
      <CartProvider>
        <Layout />
      </CartProvider>
    </BrowserRouter>
  );
}

function Layout() {
  const { session, endedBecause } = useSession();
  const deviceKey = useDeviceKey();
  const client = useApolloClient();
  const userId = session?.user.id ?? null;
  const previous = useRef(userId);
  // Another person's data must not stay in the cache: a change of user empties it and refetches what is shown.
  useEffect(() => {
    if (previous.current === userId) return;
    previous.current = userId;
    void client.resetStore().catch(() => undefined);
  }, [client, userId]);

  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="top">
        <Link to="/" className="brand" aria-label="Brigade home">
          Brigade
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end>
            Menu
          </NavLink>
          {session && <NavLink to="/orders">My orders</NavLink>}
          {(hasRole(session, 'STAFF', 'ADMIN') || (!session && deviceKey)) && <NavLink to="/board">Board</NavLink>}
          {hasRole(session, 'ADMIN') && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <div className="account">{session ? <SignOut name={session.user.name} /> : <SignInLinks />}</div>
      </header>
      {endedBecause === 'expired' && (
        <p className="notice" role="alert">
          Your session ended. Please sign in again.
        </p>
      )}
      <main id="main" tabIndex={-1}>
        <Routes>
          <Route path="/" element={<MenuPage />} />
          <Route path="/sign-in" element={<SignInPage />} />
          <Route path="/sign-up" element={<SignUpPage />} />
          <Route path="/device" element={<DevicePage />} />
          <Route path="/orders" element={<RequireSession>{<MyOrdersPage />}</RequireSession>} />
          <Route
            path="/board"
            element={
              <RequireSession roles={['STAFF', 'ADMIN']} orDeviceKey>
                {<BoardPage />}
              </RequireSession>
            }
          />
          <Route path="/admin" element={<RequireSession roles={['ADMIN']}>{<AdminPage />}</RequireSession>} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </>
  );
}

function SignInLinks() {
  const location = useLocation();
  return (
    <>
      <Link to="/sign-in" state={{ from: location.pathname }}>
        Sign in
      </Link>
      <Link to="/sign-up" state={{ from: location.pathname }} className="button-link">
        Sign up
      </Link>
    </>
  );
}

function SignOut({ name }: { name: string }) {
  const { sessions } = useServices();
  const navigate = useNavigate();
  const [logOut] = useMutation(LogOutDocument);
  async function signOut() {
    const refreshToken = sessions.current?.refreshToken;
    sessions.end('signed-out');
    navigate('/');
    // Revoke the refresh token too; the local session is gone whether or not the API can be reached.
    if (refreshToken) await logOut({ variables: { refreshToken } }).catch(() => undefined);
  }
  return (
    <>
      <span className="who">{name}</span>
      <button type="button" onClick={signOut}>
        Sign out
      </button>
    </>
  );
}

function RequireSession({ roles, orDeviceKey, children }: { roles?: ('STAFF' | 'ADMIN')[]; orDeviceKey?: boolean; children: ReactNode }) {
  const { session } = useSession();
  const deviceKey = useDeviceKey();
  const location = useLocation();
  // A station display runs the board with its API key; the API decides what the key may do.
  if (!session && orDeviceKey && deviceKey) return <Suspense fallback={<Loading what="the page" />}>{children}</Suspense>;
  if (!session) return <Navigate to="/sign-in" replace state={{ from: location.pathname }} />;
  if (roles && !hasRole(session, ...roles)) {
    return (
      <p className="error" role="alert">
        This page is for {roles.join(' or ').toLowerCase()} accounts. Ask an admin if you need access.
      </p>
    );
  }
  return <Suspense fallback={<Loading what="the page" />}>{children}</Suspense>;
}

function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        There is nothing here. <Link to="/">Back to the start</Link>
      </p>
    </section>
  );
}
