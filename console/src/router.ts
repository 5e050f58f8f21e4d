import { useEffect, useState } from 'preact/hooks';

/** A page and its place: `#/review/ai-artifact-…` is { page: 'review', rest: ['ai-artifact-…'], params }. */
export interface Route {
  readonly page: string;
  readonly rest: readonly string[];
  readonly params: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const [path = '', query = ''] = text.split('?', 2);
  const parts = path
    .split('/')
    .filter((p) => p !== '')
    .map((p) => {
      try {
        return decodeURIComponent(p);
      } catch {
        return p; // a malformed escape is shown as typed, not a blank page
      }
    });
  return { page: parts[0] ?? 'review', rest: parts.slice(1), params: new URLSearchParams(query) };
}

export function href(page: string, rest: readonly string[] = [], params?: Record<string, string>): string {
  const path = [page, ...rest].map(encodeURIComponent).join('/');
  const query = params === undefined ? '' : `?${new URLSearchParams(params).toString()}`;
  return `#/${path}${query}`;
}

export function navigate(to: string): void {
  window.location.hash = to;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseHash(window.location.hash));
  useEffect(() => {
    const on = (): void => setRoute(parseHash(window.location.hash));
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}
