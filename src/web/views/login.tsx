import { useState } from 'react';

/** Sign-in with a bearer token: the admin token of DIR/hub.kubeconfig, or any token the hub knows. */
export function Login({ error, onToken }: { error: string | null; onToken: (token: string) => void }) {
  const [value, setValue] = useState('');
  return (
    <div className="login">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (value.trim()) onToken(value.trim());
        }}
      >
        <h1>Concord</h1>
        <p>Sign in to the hub with a bearer token.</p>
        <label htmlFor="token">Token</label>
        <input
          id="token"
          name="token"
          type="password"
          autoComplete="off"
          value={value}
          onChange={(e) => setValue(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit">Sign in</button>
        <p className="hint">
          <code>concord dashboard</code> prints a link that signs you in with the admin token of the hub's
          kubeconfig.
        </p>
      </form>
    </div>
  );
}
