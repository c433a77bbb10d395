import { useMutation } from '@apollo/client/react';
import { useId, useState, type FormEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { ErrorMessage } from '../components/feedback.js';
import { LogInDocument, SignUpDocument } from '../graphql/generated.js';
import { useServices } from '../state.js';

function useAfterSignIn() {
  const { deviceKeys } = useServices();
  const navigate = useNavigate();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from;
  return () => {
    // A person signing in on a device that ran with an API key takes it over: never a token and a key together.
    deviceKeys.set(null);
    navigate(from ?? '/', { replace: true });
  };
}

export function SignInPage() {
  const { sessions } = useServices();
  const done = useAfterSignIn();
  const [logIn, { loading, error }] = useMutation(LogInDocument);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const emailId = useId();
  const passwordId = useId();

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await logIn({ variables: { input: { email, password } } }).catch(() => null);
    if (result?.data) {
      sessions.start(result.data.logIn);
      done();
    }
  }

  return (
    <section className="card narrow" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Sign in</h1>
      <form onSubmit={submit} aria-busy={loading}>
        <label htmlFor={emailId}>Email</label>
        <input id={emailId} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor={passwordId}>Password</label>
        <input
          id={passwordId}
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorMessage error={error} />
        <button type="submit" disabled={loading}>
          Sign in
        </button>
      </form>
      <p>
        New here? <Link to="/sign-up">Create an account</Link>
      </p>
    </section>
  );
}

export function SignUpPage() {
  const { sessions } = useServices();
  const done = useAfterSignIn();
  const [signUp, { loading, error }] = useMutation(SignUpDocument);
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const ids = { name: useId(), email: useId(), password: useId(), hint: useId() };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const result = await signUp({ variables: { input: { name, email, password } } }).catch(() => null);
    if (result?.data) {
      sessions.start(result.data.signUp);
      done();
    }
  }

  return (
    <section className="card narrow" aria-labelledby="sign-up-title">
      <h1 id="sign-up-title">Sign up</h1>
      <form onSubmit={submit} aria-busy={loading}>
        <label htmlFor={ids.name}>Name</label>
        <input id={ids.name} autoComplete="name" required value={name} onChange={(e) => setName(e.target.value)} />
        <label htmlFor={ids.email}>Email</label>
        <input id={ids.email} type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        <label htmlFor={ids.password}>Password</label>
        <input
          id={ids.password}
          type="password"
          autoComplete="new-password"
          required
          minLength={8}
          aria-describedby={ids.hint}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <p id={ids.hint} className="hint">
          At least 8 characters.
        </p>
        <ErrorMessage error={error} />
        <button type="submit" disabled={loading}>
          Sign up
        </button>
      </form>
      <p>
        Already have an account? <Link to="/sign-in">Log in with it</Link>
      </p>
    </section>
  );
}
