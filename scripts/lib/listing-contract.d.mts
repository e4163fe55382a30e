export function startListingContract(opts: { target: string; region: string }): Promise<{
  endpoint: string;
  counts: () => Record<string, number>;
  log: () => { target: string; params: Record<string, unknown> }[];
  reset: () => void;
  stop: () => Promise<void>;
}>;
