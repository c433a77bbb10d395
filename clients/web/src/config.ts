/** Where the app finds the API: `/config.json` next to the app (written by whoever serves it), else this origin. */
export interface AppConfig {
  readonly graphqlUrl: string;
}

export async function loadAppConfig(): Promise<AppConfig> {
  const fallback = { graphqlUrl: new URL('/graphql', window.location.href).toString() };
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (!response.ok) return fallback;
    const config = (await response.json()) as Partial<AppConfig>;
    return typeof config.graphqlUrl === 'string' ? { graphqlUrl: config.graphqlUrl } : fallback;
  } catch {
    return fallback;
  }
}
