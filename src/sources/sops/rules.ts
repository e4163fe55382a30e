/** Which values sops encrypts (`sops.go` `shouldBeEncrypted`): a rule fires on ANY path component. */
import type { CryptRules } from "./metadata.js";
import { MetadataError } from "./metadata.js";

export type EncryptionRule = (path: readonly string[]) => boolean;

export function encryptionRule(rules: CryptRules): EncryptionRule {
  if (rules.unencryptedCommentRegex || rules.encryptedCommentRegex) {
    // Decided by (encrypted) comments, which the native decryptor does not track.
    throw new UnsupportedRuleError();
  }
  const { unencryptedSuffix, encryptedSuffix, unencryptedRegex, encryptedRegex } = rules;
  if (unencryptedSuffix) return (path) => !path.some((key) => key.endsWith(unencryptedSuffix));
  if (encryptedSuffix) return (path) => path.some((key) => key.endsWith(encryptedSuffix));
  if (unencryptedRegex) {
    const re = goRegex(unencryptedRegex);
    return (path) => !path.some((key) => re.test(key));
  }
  if (encryptedRegex) {
    const re = goRegex(encryptedRegex);
    return (path) => path.some((key) => re.test(key));
  }
  return () => true;
}

export class UnsupportedRuleError extends Error {
  override readonly name = "UnsupportedRuleError";
  constructor() {
    super("unencrypted_comment_regex/encrypted_comment_regex");
  }
}

/** Go RE2 `regexp.Match` is unanchored; a leading `(?flags)` group becomes JS flags. */
function goRegex(pattern: string): RegExp {
  const inline = /^\(\?([imsU]+)\)/.exec(pattern);
  const flags = inline?.[1]?.replace("U", "") ?? "";
  try {
    return new RegExp(inline ? pattern.slice(inline[0].length) : pattern, `u${flags}`);
  } catch {
    throw new MetadataError("the file's *_regex rule is not a regular expression JavaScript can evaluate");
  }
}
