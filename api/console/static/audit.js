// The audit page: fetch entries and checkpoints, verify them here (verify.js), show why not.
//
// What a row shows is read from the stored event the page received and hashed itself, so
// the words on screen are the bytes that were verified; an entry whose served fields differ
// from its stored event is flagged. Nothing is "verified here" unless this browser computed
// it: without WebCrypto or without a pinned key, rows say they cannot be verified.

import * as v from "./verify.js";

const KEY_STORE = "trustpath.audit.pinned-key";
const KINDS = {
  "domain.audit:ContentAccessed": "access",
  "domain.audit:AccessDenied": "refusal",
  "domain.parties:ErasureExecuted": "erasure",
  "domain.audit:DisclosureMade": "disclosure",
};
const root = document.getElementById("audit");
const $ = (id) => document.getElementById(id);
const state = { key: null, keyError: null, checkpoint: null, checkpointError: null, treeSize: null };

const headers = new WeakMap();

/** A row of table `id`, whose cells know their column's name. */
function newRow(id) {
  const row = document.createElement("tr");
  headers.set(row, Array.from(document.querySelectorAll(`#${id} thead th`), (th) => th.textContent));
  return row;
}

function cell(row, text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  // the column's name, shown before the value when a narrow screen stacks the row (audit.css)
  td.dataset.label = (headers.get(row) || [])[row.children.length] || "";
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function unwrap(value) {
  return value && typeof value === "object" && "_data_" in value ? value._data_ : value;
}

/** The stored event's fields (what was hashed), or null when its state is not JSON. */
function storedFields(event) {
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(v.base64ToBytes(event.state));
    const s = JSON.parse(text);
    const actor = s.actor || {};
    const engagement = unwrap(s.engagement_id) ?? event.originator_id;
    return {
      kind: KINDS[event.topic] ?? `unknown (${event.topic})`,
      engagement_id: String(engagement).replaceAll("-", ""),
      occurred_at: unwrap(s.occurred_at),
      principal_id: s.principal_id ?? actor.id,
      role: s.role ?? actor.role,
      protagonist_id: s.protagonist_id,
      item: s.item,
      purpose: s.purpose,
      reason: s.reason,
      recipient: s.recipient,
    };
  } catch {
    return null;
  }
}

function mismatch(entry, fields) {
  const served = { ...entry, engagement_id: String(entry.engagement_id).replaceAll("-", "") };
  return Object.entries(fields).some(
    ([k, value]) => value !== undefined && k in served && k !== "occurred_at" && served[k] !== value,
  );
}

async function verdictOf(entry, fields) {
  if (!v.cryptoAvailable()) return { kind: "unknown", text: "Cannot verify here: this page has no WebCrypto (serve it over https)" };
  if (!state.key) return { kind: "unknown", text: "Cannot verify: pin the log's public key first" };
  if (!entry.proof) return { kind: "unknown", text: "Not yet covered by a signed checkpoint" };
  if (state.checkpointError) return { kind: "failed", text: `Not verified: ${state.checkpointError}` };
  const problems = await v.verifyEntry(entry, state.checkpoint);
  if (problems.length) return { kind: "failed", text: `Not verified: ${problems.join("; ")}` };
  if (fields === null) return { kind: "failed", text: "Not verified: the stored event is not readable" };
  if (mismatch(entry, fields)) return { kind: "failed", text: "Not verified: the entry's fields are not what its stored event says" };
  return { kind: "verified", text: "Verified here" };
}

async function entryRow(entry) {
  const fields = entry.event ? storedFields(entry.event) : null;
  const shown = { ...entry, ...(fields || {}), engagement_id: entry.engagement_id };
  const row = newRow("entries");
  row.dataset.position = String(entry.notification_id);
  cell(row, String(entry.notification_id));
  cell(row, String(shown.occurred_at || "").replace("T", " ").slice(0, 19));
  cell(row, shown.kind);
  cell(row, `${shown.principal_id || ""} (${shown.role || ""})`);
  cell(row, [shown.protagonist_id || shown.recipient, shown.item].filter(Boolean).join(": "));
  cell(row, shown.purpose || shown.reason || entry.basis || entry.request_reference || "");
  const where = cell(row, "");
  if (entry.engagement_id) {
    const a = document.createElement("a");
    a.href = `?engagement=${encodeURIComponent(entry.engagement_id)}`;
    a.textContent = entry.engagement_id.slice(0, 8);
    a.setAttribute("aria-label", `engagement ${entry.engagement_id}`);
    where.appendChild(a);
  }
  const verdict = await verdictOf(entry, fields);
  cell(row, verdict.text, `verdict ${verdict.kind}`);
  if (verdict.kind === "failed") row.classList.add("failed");
  return row;
}

async function fetchJson(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  const type = response.headers.get("Content-Type") || "";
  if (!type.includes("json")) throw new Error("signed out? the server did not answer JSON");
  const body = await response.json();
  if (!response.ok) throw new Error(body.detail || body.title || `HTTP ${response.status}`);
  return body;
}

async function checkCheckpoint(checkpoint) {
  state.checkpoint = null;
  state.checkpointError = null;
  if (!checkpoint || !v.cryptoAvailable() || !state.key) return;
  try {
    if (!checkpoint.note) throw new v.VerifyError("the checkpoint has no signed note to verify");
    state.checkpoint = await v.verifyCheckpoint(checkpoint.note, state.key);
  } catch (error) {
    if (!(error instanceof v.VerifyError)) throw error;
    state.checkpointError = error.message;
  }
}

function showCheckpoint(checkpoint) {
  $("checkpoint-size").textContent = checkpoint ? String(checkpoint.tree_size) : "none signed yet";
  $("checkpoint-root").textContent = checkpoint ? checkpoint.root_hash : "";
  $("checkpoint-signed").textContent = checkpoint ? checkpoint.signed_at : "";
  const status = $("checkpoint-status");
  status.className = "";
  if (!checkpoint) status.textContent = "no checkpoint to verify";
  else if (!v.cryptoAvailable()) status.textContent = "cannot verify here (no WebCrypto on this page)";
  else if (!state.key) status.textContent = "cannot verify: no key pinned";
  else if (state.checkpointError) {
    status.textContent = `NOT verified: ${state.checkpointError}`;
    status.className = "error";
  } else {
    status.textContent = "Verified here with the pinned key";
    status.className = "ok";
  }
}

async function loadEntries(cursor) {
  const url = new URL(root.dataset.entries, location.href);
  if (cursor) url.searchParams.set("cursor", cursor);
  if (state.treeSize) url.searchParams.set("tree_size", String(state.treeSize));
  const status = $("entries-status");
  try {
    const body = await fetchJson(url);
    if (!cursor) {
      await checkCheckpoint(body.checkpoint);
      showCheckpoint(body.checkpoint);
      // every later page is proved against this same checkpoint
      state.treeSize = body.checkpoint ? body.checkpoint.tree_size : null;
    }
    const tbody = $("entries").querySelector("tbody");
    for (const entry of body.items) tbody.appendChild(await entryRow(entry));
    const failed = tbody.querySelectorAll("tr.failed").length;
    const shown = tbody.querySelectorAll("tr").length;
    status.textContent = `${shown} entries shown; ${failed} failed verification.`;
    const more = $("more-entries");
    more.hidden = !body.next_cursor;
    more.dataset.cursor = body.next_cursor || "";
  } catch (error) {
    status.textContent = `The entries could not be loaded: ${error.message}`;
    status.className = "error";
  }
}

async function loadCheckpoints(cursor) {
  const url = new URL(root.dataset.checkpoints, location.href);
  if (cursor) url.searchParams.set("cursor", cursor);
  const body = await fetchJson(url);
  const tbody = $("checkpoints").querySelector("tbody");
  for (const c of body.items) {
    const row = newRow("checkpoints");
    cell(row, String(c.tree_size));
    cell(row, c.signed_at);
    cell(row, c.root_hash.slice(0, 16) + "…");
    let text = "Verified here";
    let kind = "verified";
    if (!v.cryptoAvailable() || !state.key) [text, kind] = ["Cannot verify here", "unknown"];
    else {
      try {
        if (!c.note) throw new v.VerifyError("no signed note");
        await v.verifyCheckpoint(c.note, state.key);
      } catch (error) {
        if (!(error instanceof v.VerifyError)) throw error;
        [text, kind] = [`Not verified: ${error.message}`, "failed"];
      }
    }
    cell(row, text, `verdict ${kind}`);
    if (kind === "failed") row.classList.add("failed");
    tbody.appendChild(row);
  }
  const more = $("more-checkpoints");
  more.hidden = !body.next_cursor;
  more.dataset.cursor = body.next_cursor || "";
}

async function showKey() {
  const pinned = Boolean(state.key);
  $("pin-form").hidden = pinned;
  $("change-key").hidden = !pinned;
  $("key-pinned").hidden = !pinned;
  if (pinned) {
    $("key-fingerprint").textContent = await v.fingerprint(state.key);
    $("key-origin").textContent = state.key.name || "any (a PEM key names no log)";
    $("key-status").textContent = "A key is pinned in this browser; signatures are verified against it.";
  } else if (state.keyError) {
    $("key-status").textContent = `The stored key is not usable: ${state.keyError}`;
  }
}

async function pin(event) {
  event.preventDefault();
  const error = $("pin-error");
  const input = $("pin-key");
  try {
    state.key = await v.parsePublicKey(input.value);
  } catch (e) {
    if (!(e instanceof v.VerifyError)) throw e;
    error.textContent = `Not pinned: ${e.message}`;
    error.hidden = false;
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  localStorage.setItem(KEY_STORE, input.value.trim());
  location.reload(); // re-verify everything against the new key, from a clean page
}

async function start() {
  if (!v.cryptoAvailable()) {
    $("crypto-status").textContent =
      "This browser cannot verify here: WebCrypto is not available on this page (it needs https or localhost). Nothing below is marked verified.";
    $("crypto-status").hidden = false;
  } else if (localStorage.getItem(KEY_STORE)) {
    try {
      state.key = await v.parsePublicKey(localStorage.getItem(KEY_STORE));
    } catch (e) {
      if (!(e instanceof v.VerifyError)) throw e;
      state.keyError = e.message;
    }
  }
  await showKey();
  $("pin-form").addEventListener("submit", pin);
  $("change-key").addEventListener("click", () => {
    $("pin-form").hidden = false;
    $("pin-key").focus();
  });
  $("more-entries").addEventListener("click", (e) => loadEntries(e.target.dataset.cursor));
  $("more-checkpoints").addEventListener("click", (e) => loadCheckpoints(e.target.dataset.cursor));
  await loadEntries(null);
  await loadCheckpoints(null).catch((error) => {
    $("checkpoints").insertAdjacentText("afterend", `The checkpoints could not be loaded: ${error.message}`);
  });
  root.dataset.ready = "true"; // tests wait for this
}

start();
