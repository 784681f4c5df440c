/** The console's screens, addressed by the URL's hash (`#/invoices/<id>?…`): one page, no key. */
export const SCREENS = [
  'exceptions',
  'invoices',
  'transactions',
  'runs',
  'banks',
  'dead-letters',
] as const;
export type Screen = (typeof SCREENS)[number];

export interface Route {
  screen: Screen;
  id: string | null;
  params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#\/?/, '').split('?', 2);
  const [first, second] = path.split('/');
  const screen = (SCREENS as readonly string[]).includes(first) ? (first as Screen) : 'exceptions';
  return {
    screen,
    id: screen === first && second ? decodeURIComponent(second) : null,
    params: new URLSearchParams(query),
  };
}

/** `#/screen[/id][?params]`, leaving out empty parameters. */
export function href(screen: Screen, id?: string | null, params?: Record<string, string>): string {
  const q = new URLSearchParams(
    Object.entries(params ?? {}).filter(([, v]) => v !== '' && v !== undefined),
  ).toString();
  return `#/${screen}${id ? `/${encodeURIComponent(id)}` : ''}${q ? `?${q}` : ''}`;
}
