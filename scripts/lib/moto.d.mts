export function freePort(): Promise<number>;
export function startMoto(opts?: {
  server?: string;
  timeoutMs?: number;
}): Promise<{ endpoint: string; port: number; stop: () => Promise<void> }>;
export function awsEnvFor(endpoint: string): Record<string, string>;
