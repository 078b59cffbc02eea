import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app/App.tsx';
import './app/app.css';

const rootElement = document.getElementById('root');
if (rootElement === null) throw new Error('index.html has no #root element to render Pastoral into');

createRoot(rootElement).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
