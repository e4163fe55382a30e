/**
 * Native sops decryption behind one entry, `decryptFile`, split like sops: formats/ parse a
 * store into an ordered tree, keysources/ recover the data key, walk.ts decrypts values and
 * feeds the MAC, mac.ts verifies it. Each file is decrypted at most once per process and key.
 */
import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { encodeText } from "./bytes.js";
import { cipherKey } from "./cipher.js";
import { decryptWithSopsBinary, SopsBinaryFailed, SopsBinaryMissing } from "./fallback.js";
import { BINARY_DATA_KEY } from "./formats/binary.js";
import { FormatError, formatOf, parseSopsFile, type SopsFormat, sopsText } from "./formats/index.js";
import { getDataKey, NeedsSopsBinary, NoUsableKey } from "./keysources/index.js";
import { clearKeyMaterial, type KeyMaterial, keyOptionsId, loadKeyMaterial } from "./keysources/material.js";
import { createMacHash, MacError, verifyMac } from "./mac.js";
import { remembered } from "./memo.js";
import { MetadataError, parseMetadata, type SopsMetadata } from "./metadata.js";
import { encryptionRule, UnsupportedRuleError } from "./rules.js";
import { type Branch, type MapNode, mapGet } from "./tree.js";
import { decryptBranches, LeafError } from "./walk.js";

export type DecryptedFile =
  | { format: "binary"; bytes: Buffer }
  | { format: Exclude<SopsFormat, "binary">; document: MapNode };

export interface DecryptOptions {
  /** Where key variables (SOPS_AGE_KEY…, AWS_*) are read; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Why a sops file could not be decrypted. Names the file's problem, never a value. */
export class SopsFileError extends Error {
  override readonly name = "SopsFileError";
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** Parsed files by path, mtime and size: reading them needs no key. */
const parsedFiles = new Map<string, Promise<ParsedSopsFile>>();
/** Decrypted files by path, mtime, size and the digest of the key material used. */
const decryptedFiles = new Map<string, Promise<DecryptedFile>>();
/** Requests for a file already being looked up with the same key options join that lookup. */
const inFlight = new Map<string, Promise<DecryptedFile>>();

interface ParsedSopsFile {
  format: SopsFormat;
  branches: Branch[];
  metadata: SopsMetadata;
}

/**
 * Decrypts a sops file (format from the extension, as sops does). Concurrent and repeated
 * calls for an unchanged file (same path, mtime and size) with the same key material share
 * one decryption; other keys (or wrong ones) get a decryption of their own.
 */
export function decryptFile(path: string, opts: DecryptOptions = {}): Promise<DecryptedFile> {
  const absolute = resolve(path);
  const env = opts.env ?? process.env;
  const joinKey = `${absolute}\0${keyOptionsId(env)}`;
  const joined = inFlight.get(joinKey);
  if (joined) return joined;
  const pending = cachedOrDecrypted(absolute, env);
  inFlight.set(joinKey, pending);
  const forget = () => inFlight.delete(joinKey);
  pending.then(forget, forget);
  return pending;
}

async function cachedOrDecrypted(absolute: string, env: NodeJS.ProcessEnv): Promise<DecryptedFile> {
  const info = await stat(absolute).catch(() => {
    throw new SopsFileError("file not found", "check the path; it is relative to the manifest file");
  });
  const fileKey = `${absolute}\0${info.mtimeMs}\0${info.size}`;
  try {
    const parsed = await remembered(parsedFiles, fileKey, () => parseFile(absolute));
    const material = await loadKeyMaterial(parsed.metadata, env);
    return await remembered(decryptedFiles, `${fileKey}\0${material.digest}`, () =>
      decryptParsed(absolute, parsed, material, env),
    );
  } catch (error) {
    throw asSopsFileError(error);
  }
}

/** Forgets every parsed and decrypted file and loaded key (tests and benchmarks measure cold decryption). */
export function clearDecryptCache(): void {
  parsedFiles.clear();
  decryptedFiles.clear();
  inFlight.clear();
  clearKeyMaterial();
}

async function parseFile(path: string): Promise<ParsedSopsFile> {
  const format = formatOf(path);
  const parsed = parseSopsFile(format, sopsText(format, await readFile(path)));
  return { format, branches: parsed.branches, metadata: parseMetadata(parsed.metadata) };
}

async function decryptParsed(
  path: string,
  { format, branches, metadata }: ParsedSopsFile,
  material: KeyMaterial,
  env: NodeJS.ProcessEnv,
): Promise<DecryptedFile> {
  try {
    return await decryptNatively(format, branches, metadata, material);
  } catch (error) {
    if (error instanceof NeedsSopsBinary || error instanceof UnsupportedRuleError) {
      return decryptWithBinary(path, format, env, error.message);
    }
    throw error;
  }
}

async function decryptNatively(
  format: SopsFormat,
  branches: Branch[],
  metadata: SopsMetadata,
  material: KeyMaterial,
): Promise<DecryptedFile> {
  const shouldBeEncrypted = encryptionRule(metadata.rules);
  const dataKey = cipherKey(await getDataKey(metadata, material));
  const mac = createMacHash(metadata.macOnlyEncrypted);
  const plain = decryptBranches(branches, {
    dataKey,
    shouldBeEncrypted,
    macOnlyEncrypted: metadata.macOnlyEncrypted,
    mac,
  });
  verifyMac(mac, metadata.mac, dataKey, metadata.lastModified);
  const document = plain[0] ?? { kind: "map", entries: [] };
  if (format !== "binary") return { format, document };
  const data = mapGet(document, BINARY_DATA_KEY);
  return {
    format,
    bytes: data?.kind === "scalar" ? (data.raw ?? encodeText(data.text)) : Buffer.alloc(0),
  };
}

async function decryptWithBinary(
  path: string,
  format: SopsFormat,
  env: NodeJS.ProcessEnv,
  reason: string,
): Promise<DecryptedFile> {
  try {
    const out = await decryptWithSopsBinary(path, format, env);
    if ("bytes" in out) return { format: "binary", bytes: out.bytes };
    return { format: format as Exclude<SopsFormat, "binary">, document: out.document };
  } catch (error) {
    if (error instanceof SopsBinaryMissing) {
      throw new SopsFileError(
        `the file is encrypted with ${reason}, which only the sops binary can decrypt, and sops is not on PATH`,
        "install sops (https://github.com/getsops/sops) or re-encrypt the file to an age or AWS KMS key",
      );
    }
    throw error;
  }
}

function asSopsFileError(error: unknown): Error {
  if (error instanceof SopsFileError) return error;
  if (error instanceof FormatError || error instanceof MetadataError) {
    return new SopsFileError(`not a usable sops file: ${error.message}`, "encrypt it with `sops encrypt`");
  }
  if (error instanceof NoUsableKey) {
    return new SopsFileError(
      `no key could decrypt the file's data key: ${error.attempts.join("; ")}`,
      "set SOPS_AGE_KEY_FILE (or SOPS_AGE_KEY) to an age identity the file is encrypted to, or AWS credentials for its KMS key",
    );
  }
  if (error instanceof LeafError) return leafError(error);
  if (error instanceof MacError) return macError(error);
  if (error instanceof SopsBinaryFailed) return new SopsFileError(error.message);
  return error instanceof Error ? error : new Error(String(error));
}

function leafError(error: LeafError): SopsFileError {
  const where = `the value at ${error.path.join(".")}`;
  switch (error.problem) {
    case "not-encrypted":
      return new SopsFileError(
        `${where} is not encrypted although the file's rules say it must be`,
        "re-encrypt the file with sops; values must not be added to an encrypted file by hand",
      );
    case "malformed":
      return new SopsFileError(`${where} is not a valid sops ENC[] string`, "re-encrypt the file with sops");
    case "bad-plaintext":
      return new SopsFileError(
        `${where} decrypts to text that is not a valid value of its type`,
        "re-encrypt the file with sops",
      );
    case "authentication":
      return new SopsFileError(
        `${where} failed authentication (tampered, moved to another key, or encrypted with another data key)`,
        "restore the file from version control or re-encrypt it with sops",
      );
  }
}

function macError(error: MacError): SopsFileError {
  const messages = {
    missing: "the file has no MAC",
    mismatch: "MAC mismatch: the file was modified after sops encrypted it",
    undecryptable: "the file's MAC cannot be decrypted (tampered MAC or lastmodified)",
  };
  return new SopsFileError(
    messages[error.problem],
    "restore the file from version control or re-encrypt it with sops",
  );
}
