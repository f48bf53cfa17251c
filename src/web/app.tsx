// The dashboard: sign-in, then the fleet, its workloads, Events and (when the hub serves them)
// Applications and recovery objects, all followed live through watches.

import { useCallback, useEffect, useMemo, useState } from 'react';
import type { Cluster } from '../hub/apis/karmada/cluster/types.js';
import type { Binding } from '../hub/apis/karmada/fleet.js';
import type { KubeObject } from '../machinery/object.js';
import { ApiClient, storedToken, storeToken, takeTokenFromFragment } from './api/client.js';
import { ApiContext, useDiscovered, useList } from './api/hooks.js';
import { EventsView } from './views/events.js';
import { ExtrasView, isRecoveryGroup } from './views/extras.js';
import { FleetView } from './views/fleet.js';
import { Login } from './views/login.js';
import { WorkloadsView } from './views/workloads.js';

export function App() {
  const [token, setToken] = useState<string | null>(() => {
    const fromUrl = takeTokenFromFragment();
    if (fromUrl) storeToken(fromUrl);
    return fromUrl ?? storedToken();
  });
  const [user, setUser] = useState<string | null>(null);
  const [loginError, setLoginError] = useState<string | null>(null);
  const signOut = useCallback((message: string | null) => {
    storeToken(null);
    setToken(null);
    setUser(null);
    setLoginError(message);
  }, []);
  const api = useMemo(
    () => (token ? new ApiClient(token, () => signOut('The hub did not accept the token.')) : null),
    [token, signOut],
  );
  useEffect(() => {
    if (!api) return;
    let current = true;
    api.whoami().then(
      (name) => current && setUser(name),
      (err: unknown) => current && signOut(err instanceof Error ? err.message : String(err)),
    );
    return () => {
      current = false;
    };
  }, [api, signOut]);

  if (!api) {
    return (
      <Login
        error={loginError}
        onToken={(t) => {
          storeToken(t);
          setLoginError(null);
          setToken(t);
        }}
      />
    );
  }
  if (!user) return <div className="loading">Signing in…</div>;
  return (
    <ApiContext.Provider value={api}>
      <Shell user={user} onSignOut={() => signOut(null)} />
    </ApiContext.Provider>
  );
}

const PAGES = ['fleet', 'workloads', 'events', 'applications', 'recovery'] as const;
type Page = (typeof PAGES)[number];

function currentPage(): Page {
  const name = window.location.hash.replace(/^#\/?/, '') as Page;
  return PAGES.includes(name) ? name : 'fleet';
}

const isArgo = (g: string) => g === 'argoproj.io';

function Shell({ user, onSignOut }: { user: string; onSignOut: () => void }) {
  const [page, setPage] = useState<Page>(currentPage);
  useEffect(() => {
    const onHash = () => setPage(currentPage());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const clusters = useList<Cluster>('/apis/cluster.karmada.io/v1alpha1/clusters');
  const bindings = useList<Binding>('/apis/work.karmada.io/v1alpha2/resourcebindings');
  const clusterBindings = useList<Binding>('/apis/work.karmada.io/v1alpha2/clusterresourcebindings');
  const deployments = useList<KubeObject>('/apis/apps/v1/deployments');
  const events = useList<KubeObject>('/api/v1/events');
  const argo = useDiscovered(isArgo);
  const recovery = useDiscovered(isRecoveryGroup);
  const allBindings = useMemo(
    () => [...bindings.items, ...clusterBindings.items],
    [bindings.items, clusterBindings.items],
  );
  const tabs: { page: Page; label: string }[] = [
    { page: 'fleet', label: 'Fleet' },
    { page: 'workloads', label: 'Workloads' },
    { page: 'events', label: 'Events' },
  ];
  if (argo.length > 0) tabs.push({ page: 'applications', label: 'Applications' });
  if (recovery.length > 0) tabs.push({ page: 'recovery', label: 'Recovery' });
  const error = clusters.error ?? bindings.error ?? events.error;

  return (
    <div className="shell">
      <header>
        <div className="brand">Concord</div>
        <nav>
          {tabs.map((t) => (
            <a key={t.page} href={`#/${t.page}`} className={t.page === page ? 'active' : ''}>
              {t.label}
            </a>
          ))}
        </nav>
        <div className="who">
          <span
            className={`live ${error ? 'down' : clusters.synced ? 'up' : ''}`}
            title={error ?? 'following'}
          >
            {error ? 'reconnecting' : clusters.synced ? 'live' : 'loading'}
          </span>
          <span data-testid="user">{user}</span>
          <button type="button" onClick={onSignOut}>
            Sign out
          </button>
        </div>
      </header>
      <main>
        {page === 'fleet' && <FleetView clusters={clusters} bindings={allBindings} events={events.items} />}
        {page === 'workloads' && (
          <WorkloadsView bindings={allBindings} deployments={deployments.items} clusters={clusters.items} />
        )}
        {page === 'events' && <EventsView events={events.items} />}
        {page === 'applications' && <ExtrasView resources={argo} title="Applications" />}
        {page === 'recovery' && <ExtrasView resources={recovery} title="Recovery" />}
      </main>
    </div>
  );
}
