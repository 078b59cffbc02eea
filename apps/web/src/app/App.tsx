import { ApiStatusPanel } from '../features/api-status/ApiStatusPanel.tsx';

export function App() {
  return (
    <div className="page">
      <header className="site-header">
        <svg className="site-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">
          <rect width="32" height="32" rx="7" />
          <path d="M8 21c3-7 13-7 16 0" />
          <circle cx="16" cy="11" r="3.5" />
        </svg>
        <p className="site-name">Pastoral</p>
      </header>

      <main className="content">
        <h1>See who is slipping, early enough to help.</h1>
        <p className="lede">
          Pastoral is an early-warning and intervention platform for schools. It brings attendance, behaviour and
          coursework together, so form masters can spot the students who are starting to struggle and follow up before a
          bad week becomes a bad term.
        </p>

        <ApiStatusPanel />
      </main>
    </div>
  );
}
