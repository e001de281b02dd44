// The auditor's own check, in the auditor's browser: nothing here trusts the server's word.
//
//   leaf hash   SHA-256(0x00 || leaf data)           RFC 6962 section 2.1
//   node hash   SHA-256(0x01 || left || right)
//   inclusion   RFC 9162 section 2.1.3.2 (any tree size, not only powers of two)
//   checkpoint  a C2SP tlog-checkpoint signed note: origin, size, base64 root, a blank line,
//               then "— <name> <base64(4-byte key ID || Ed25519 signature)>" lines;
//               key ID = SHA-256(name || 0x0A || 0x01 || public key)[:4]
//   leaf data   0x01 | u64 notification id | u32 len | originator id | u64 version
//               | u32 len | topic | u32 len | state   (big-endian, as the ledger encodes it)
//
// Hashing and Ed25519 use WebCrypto only (no dependency). Where WebCrypto is missing (a page
// served over plain http to a non-local address is not a secure context) `cryptoAvailable()`
// is false and the page must say it cannot verify here, never "verified".

const ENCODER = new TextEncoder();
const SIGNATURE_PREFIX = "\u2014 ";
const ED25519 = 0x01;
const SPKI_PREFIX = "302a300506032b6570032100";
const LEAF_VERSION = 1;

/** A proof, a note or a key that does not hold; its message says why, in words. */
export class VerifyError extends Error {}

export function cryptoAvailable() {
  return Boolean(globalThis.isSecureContext && globalThis.crypto && globalThis.crypto.subtle);
}

export function hexToBytes(hex) {
  if (typeof hex !== "string" || !/^([0-9a-f]{2})*$/i.test(hex)) {
    throw new VerifyError("a hash is not hexadecimal");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function bytesToHex(bytes) {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function base64ToBytes(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4) {
    throw new VerifyError("not base64");
  }
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function equal(a, b) {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

export function leafHash(data) {
  return sha256(concat(Uint8Array.of(0), data));
}

export function nodeHash(left, right) {
  return sha256(concat(Uint8Array.of(1), left, right));
}

function checkHash(h) {
  if (!(h instanceof Uint8Array) || h.length !== 32) {
    throw new VerifyError("a hash of the audit path is not 32 bytes");
  }
  return h;
}

/** RFC 9162 section 2.1.3.2: the root `path` proves `leaf` at `index` in a tree of `size`.
 * Integers are BigInt so that trees past 2^31 leaves compute as they should. */
export async function rootFromInclusion(index, size, leaf, path) {
  let fn = BigInt(index);
  let sn = BigInt(size) - 1n;
  if (fn < 0n || fn > sn) throw new VerifyError(`leaf ${index} is not in a tree of ${size}`);
  let r = checkHash(leaf);
  for (const p of path) {
    if (sn === 0n) throw new VerifyError("the audit path is longer than the tree is deep");
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(checkHash(p), r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, checkHash(p));
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) throw new VerifyError("the audit path is shorter than the tree is deep");
  return r;
}

/** The ledger's canonical leaf bytes of one stored event, as served in an entry's `event`. */
export function encodeLeaf(event) {
  const oid = ENCODER.encode(String(event.originator_id));
  const topic = ENCODER.encode(String(event.topic));
  const state = base64ToBytes(event.state);
  const head = new DataView(new ArrayBuffer(13));
  head.setUint8(0, LEAF_VERSION);
  head.setBigUint64(1, BigInt(event.notification_id));
  head.setUint32(9, oid.length);
  const middle = new DataView(new ArrayBuffer(12));
  middle.setBigUint64(0, BigInt(event.originator_version));
  middle.setUint32(8, topic.length);
  const stateLength = new DataView(new ArrayBuffer(4));
  stateLength.setUint32(0, state.length);
  return concat(
    new Uint8Array(head.buffer),
    oid,
    new Uint8Array(middle.buffer),
    topic,
    new Uint8Array(stateLength.buffer),
    state,
  );
}

/** A signed note: its text (through the last newline before the blank line) and signatures. */
export function parseNote(signed) {
  if (typeof signed !== "string" || !signed.endsWith("\n") || /[\u0000-\u0009\u000b-\u001f]/.test(signed)) {
    throw new VerifyError("the checkpoint note is not newline-terminated plain text");
  }
  const cut = signed.slice(0, -1).lastIndexOf("\n\n");
  if (cut <= 0) throw new VerifyError("the checkpoint note has no blank line before its signatures");
  const text = signed.slice(0, cut + 1);
  const signatures = signed
    .slice(cut + 2, -1)
    .split("\n")
    .map((line) => {
      const rest = line.startsWith(SIGNATURE_PREFIX) ? line.slice(SIGNATURE_PREFIX.length) : "";
      const [name, encoded, extra] = rest.split(" ");
      if (!name || !encoded || extra !== undefined) {
        throw new VerifyError("a signature line of the note is malformed");
      }
      return { name, blob: base64ToBytes(encoded) };
    });
  return { text, signatures };
}

/** (origin, size, root) of a checkpoint's note text. */
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length < 4 || lines[lines.length - 1] !== "" || lines.slice(0, -1).includes("")) {
    throw new VerifyError("the checkpoint is not three lines: origin, size, root");
  }
  const [origin, size, root] = lines;
  if (!/^(0|[1-9][0-9]{0,18})$/.test(size)) throw new VerifyError("the checkpoint's size is not a number");
  if (!/^[A-Za-z0-9+/]{43}=$/.test(root)) throw new VerifyError("the checkpoint's root is not 32 bytes");
  return { origin, size: BigInt(size), root: base64ToBytes(root) };
}

/** The note key ID of an Ed25519 key under a name. */
export async function noteKeyId(name, raw) {
  const digest = await sha256(concat(ENCODER.encode(name), Uint8Array.of(0x0a, ED25519), raw));
  return digest.slice(0, 4);
}

/** A pinned key: a note verifier key (`name+keyid+base64(0x01||key)`) or an Ed25519 PEM. */
export async function parsePublicKey(text) {
  const trimmed = String(text).trim();
  if (trimmed.includes("-----BEGIN PUBLIC KEY-----")) {
    const body = trimmed.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
    const der = base64ToBytes(body);
    if (der.length !== 44 || bytesToHex(der.slice(0, 12)) !== SPKI_PREFIX) {
      throw new VerifyError("the PEM is not an Ed25519 public key");
    }
    return { name: null, raw: der.slice(12) };
  }
  // the base64 key may hold '+' itself: the name has none, the key ID is 8 hex digits
  const parts = /^([^+\s]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(trimmed);
  if (!parts) {
    throw new VerifyError("a key is a PEM public key or a verifier key <name>+<8 hex digits>+<base64>");
  }
  const [, name, hexId, encoded] = parts;
  const blob = base64ToBytes(encoded);
  if (blob.length !== 33 || blob[0] !== ED25519) throw new VerifyError("the verifier key is not an Ed25519 key");
  const raw = blob.slice(1);
  if (bytesToHex(await noteKeyId(name, raw)) !== hexId) {
    throw new VerifyError("the verifier key's ID does not match its name and key");
  }
  return { name, raw };
}

/** A short fingerprint a person can compare out loud: SHA-256 of the raw key, in groups. */
export async function fingerprint(key) {
  const hex = bytesToHex(await sha256(key.raw));
  return hex.slice(0, 32).match(/.{4}/g).join(" ");
}

async function ed25519Verify(raw, signature, message) {
  const key = await crypto.subtle.importKey("raw", raw, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

/** The checkpoint's size and root, once its note is signed by the pinned key (else throws). */
export async function verifyCheckpoint(note, key) {
  const parsed = parseNote(note);
  const { origin, size, root } = parseCheckpoint(parsed.text);
  if (key.name !== null && key.name !== origin) {
    throw new VerifyError(`the checkpoint is of log "${origin}", the pinned key of "${key.name}"`);
  }
  const signature = parsed.signatures.find((s) => s.name === origin);
  if (!signature) throw new VerifyError("the checkpoint carries no signature of its log");
  const expectedId = await noteKeyId(origin, key.raw);
  if (signature.blob.length !== 68 || !equal(signature.blob.slice(0, 4), expectedId)) {
    throw new VerifyError("the checkpoint was not signed by the pinned key (another key ID)");
  }
  const good = await ed25519Verify(key.raw, signature.blob.slice(4), ENCODER.encode(parsed.text));
  if (!good) throw new VerifyError("the checkpoint's signature does not verify with the pinned key");
  return { origin, size, root };
}

/** Why one served entry does not hold against a verified checkpoint ([] when it holds):
 * its stored event hashes (here) to the leaf, and its audit path leads to the signed root. */
export async function verifyEntry(entry, checkpoint) {
  const { proof, event } = entry;
  if (!proof || !event) return ["no checkpoint covers this entry yet"];
  if (BigInt(proof.tree_size) !== checkpoint.size) {
    return ["the proof is against another tree size than the signed checkpoint"];
  }
  if (Number(event.notification_id) !== Number(entry.notification_id)) {
    return ["the stored event is not this entry's"];
  }
  try {
    const leaf = await leafHash(encodeLeaf(event));
    if (proof.leaf_hash !== undefined && proof.leaf_hash !== bytesToHex(leaf)) {
      return ["the stored event does not hash to the proof's leaf"];
    }
    const path = proof.audit_path.map(hexToBytes);
    const root = await rootFromInclusion(proof.leaf_index, proof.tree_size, leaf, path);
    if (!equal(root, checkpoint.root)) {
      return ["the stored event and its audit path do not lead to the signed root"];
    }
  } catch (error) {
    if (error instanceof VerifyError || error instanceof RangeError || error instanceof SyntaxError) {
      return [error.message];
    }
    throw error;
  }
  return [];
}
