// The reference front end: sign in through the Cognito hosted UI (authorization code + PKCE), list the
// cases the API lets the user see, open a case, work it (status moves, comments, documents, time logged,
// history). No build
// step, no dependencies, no inline script (the CSP allows scripts from this origin only). Settings come
// from /runtime-config.json, which CdnFrontend writes at deploy time:
// { apiBaseUrl, auth: { hostedUiUrl, clientId, scopes } }.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN = "accessToken";
let config;
let nextCursor = null;
let me = null; // GET /me: { sub, role, username, email }
let shown = null; // the case on screen and the ETag it was read with: { data, etag }
let workflow = null; // a promise of the status moves the API documents (x-transition in its OpenAPI)
const retries = new Map(); // form id -> { text, key }: the Idempotency-Key of a submission not yet done
const STALE =
  "This case was changed by someone else since you loaded it. It has been reloaded: check it and try again.";
const isStaff = () => Boolean(me) && me.role !== "client";

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/`;

async function signIn() {
  const verifier = randomString();
  const state = randomString();
  sessionStorage.setItem("pkce", JSON.stringify({ verifier, state }));
  const challenge = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  const params = new URLSearchParams({
    response_type: "code",
    client_id: config.auth.clientId,
    redirect_uri: redirectUri(),
    scope: config.auth.scopes.join(" "),
    state,
    code_challenge: base64url(challenge),
    code_challenge_method: "S256",
  });
  location.assign(`${config.auth.hostedUiUrl}/oauth2/authorize?${params}`);
}

async function completeSignIn(params) {
  const saved = JSON.parse(sessionStorage.getItem("pkce") || "null");
  sessionStorage.removeItem("pkce");
  history.replaceState(null, "", "/");
  // State first: a link anyone can craft must not get its words shown; and only our own messages.
  if (!saved || params.get("state") !== saved.state) throw new Error("Sign-in state mismatch: sign in again.");
  if (params.get("error")) throw new Error("Sign-in was refused or cancelled: sign in again.");
  const response = await fetch(`${config.auth.hostedUiUrl}/oauth2/token`, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      client_id: config.auth.clientId,
      code: params.get("code"),
      redirect_uri: redirectUri(),
      code_verifier: saved.verifier,
    }),
  });
  if (!response.ok) throw new Error(`Token exchange failed (HTTP ${response.status}).`);
  const tokens = await response.json();
  sessionStorage.setItem(TOKEN, tokens.access_token);
}

function signOut() {
  sessionStorage.removeItem(TOKEN);
  const params = new URLSearchParams({ client_id: config.auth.clientId, logout_uri: redirectUri() });
  location.assign(`${config.auth.hostedUiUrl}/logout?${params}`);
}

// Every failed call is an RFC 9457 problem: shown from its title, detail and validation errors only.
class Problem extends Error {
  constructor(status, body) {
    const title = typeof body.title === "string" ? body.title : `Request failed (HTTP ${status})`;
    super(typeof body.detail === "string" ? `${title}: ${body.detail}` : title);
    this.status = status;
    this.errors = Array.isArray(body.errors) ? body.errors : [];
  }
}

async function request(path, { method = "GET", body, headers = {} } = {}) {
  let response;
  try {
    response = await fetch(`${config.apiBaseUrl}${path}`, {
      method,
      headers: {
        Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}`,
        Accept: "application/json",
        ...(body === undefined ? {} : { "Content-Type": "application/json" }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new Error("The server could not be reached: check your connection and try again.");
  }
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN);
    render();
    throw new Error("Your session has ended: sign in again.");
  }
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new Problem(response.status, data && typeof data === "object" ? data : {});
  return { data, etag: response.headers.get("ETag") };
}

const api = async (path, options) => (await request(path, options)).data;

// Every item of a list under a case, page after page (the API sends items + next_cursor).
async function allPages(path) {
  const items = [];
  for (let cursor = ""; cursor !== null; ) {
    const page = await api(`${path}?limit=100${cursor && `&cursor=${encodeURIComponent(cursor)}`}`);
    items.push(...page.items);
    cursor = page.next_cursor;
  }
  return items;
}

// A POST that is safe to repeat: one Idempotency-Key per submission, reused when the same submission is
// sent again (after a lost response or any other failure), so the API creates the thing once.
async function postOnce(name, path, payload) {
  const text = `${path}\n${JSON.stringify(payload)}`;
  let attempt = retries.get(name);
  if (!attempt || attempt.text !== text) {
    attempt = { text, key: crypto.randomUUID() };
    retries.set(name, attempt);
  }
  const result = await request(path, {
    method: "POST",
    body: payload,
    headers: { "Idempotency-Key": attempt.key },
  });
  retries.delete(name);
  return result;
}

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  if (className) node.className = className;
  return node;
}

const when = (iso) => new Date(iso).toLocaleString();
const fieldName = (loc) => (Array.isArray(loc) ? loc : []).filter((part) => part !== "body").join(".");

function showError(error) {
  const box = $("error");
  box.hidden = !error;
  if (!error) return box.replaceChildren();
  box.replaceChildren(el("p", String(error.message || error)));
  if (error.errors && error.errors.length) {
    const list = el("ul");
    list.append(...error.errors.map((e) => el("li", `${fieldName(e.loc) || "request"}: ${e.msg}`)));
    box.append(list);
  }
}

function caseItem(c) {
  const li = document.createElement("li");
  const link = el("a", c.title);
  link.href = `#/cases/${encodeURIComponent(c.id)}`;
  li.append(link, el("span", c.status, "status"));
  return li;
}

async function loadCases(append) {
  const query = new URLSearchParams({ limit: "25", sort: "-updated_at" });
  if (append && nextCursor) query.set("cursor", nextCursor);
  const page = await api(`/cases?${query}`);
  if (!append) $("cases").replaceChildren();
  $("cases").append(...page.items.map(caseItem));
  nextCursor = page.next_cursor;
  $("more").hidden = !nextCursor;
  $("empty").hidden = $("cases").children.length > 0;
}

async function createCase() {
  const payload = {
    title: $("new-title").value,
    description: $("new-description").value,
    priority: $("new-priority").value,
  };
  if (isStaff()) {
    for (const [field, input] of [["assignee_id", "new-assignee"], ["requester_id", "new-requester"]]) {
      if ($(input).value.trim()) payload[field] = $(input).value.trim();
    }
  }
  const { data } = await postOnce("new-case", "/cases", payload);
  $("new-case").reset();
  location.hash = `#/cases/${encodeURIComponent(data.id)}`;
}

// The status moves the API documents on its transition endpoints (x-transition: action, from, to).
function loadWorkflow() {
  if (!workflow) {
    workflow = api("/openapi.json").then((doc) =>
      Object.values(doc.paths)
        .flatMap((item) => Object.values(item))
        .map((operation) => operation && operation["x-transition"])
        .filter(Boolean),
    );
    workflow.catch(() => {
      workflow = null; // fetched again next time
    });
  }
  return workflow;
}

async function renderTransitions() {
  const moves = isStaff() ? (await loadWorkflow()).filter((m) => m.from.includes(shown.data.status)) : [];
  $("transitions").replaceChildren(
    ...moves.map((move) => {
      const label = `${move.action[0].toUpperCase()}${move.action.slice(1)} (to ${move.to})`;
      const button = el("button", label);
      button.type = "button";
      button.addEventListener("click", () => transition(move));
      return button;
    }),
  );
}

async function transition(move) {
  const id = shown.data.id;
  showError(null);
  for (const button of $("transitions").children) button.disabled = true;
  try {
    await request(`/cases/${encodeURIComponent(id)}/${move.action}`, {
      method: "POST",
      headers: { "If-Match": shown.etag || `"${shown.data.version}"` }, // the ETag is the quoted version
    });
    await showCase(id);
  } catch (error) {
    if (error.status !== 412) {
      for (const button of $("transitions").children) button.disabled = false;
      return showError(error);
    }
    await showCase(id).catch(showError);
    showError(STALE);
  }
}

const shortValue = (v) => (Array.isArray(v) ? v.join(", ") : v == null ? "" : String(v)) || "none";

// One history entry in words: "status.hold: status open → pending", "updated: priority normal → high".
function describe(entry) {
  const before = entry.before || {};
  const after = entry.after || {};
  if (entry.action === "created") return "created the case";
  if (entry.action === "commented") return after.internal ? "added an internal comment" : "added a comment";
  const changes = Object.keys(after).map((k) => `${k} ${shortValue(before[k])} → ${shortValue(after[k])}`);
  return changes.length ? `${entry.action}: ${changes.join(", ")}` : entry.action;
}

function renderComments(comments) {
  $("comments").replaceChildren(
    ...comments.map((c) => {
      const li = el("li", undefined, c.internal ? "internal" : "");
      const meta = `${c.author_id}, ${when(c.created_at)}${c.internal ? " · internal" : ""}`;
      li.append(el("p", meta, "meta"), el("p", c.body, "body"));
      return li;
    }),
  );
}

function renderHistory(entries) {
  $("history").replaceChildren(
    ...entries.map((e) => {
      const li = el("li");
      const time = el("time", when(e.at));
      time.dateTime = e.at;
      li.append(time, el("span", e.actor_id, "actor"), el("span", describe(e), "what"));
      return li;
    }),
  );
}

const hours = (s) => `${Math.floor(s / 3600)} h ${String(Math.floor(s / 60) % 60).padStart(2, "0")} min`;

function renderTime(totals) {
  if (!totals) return;
  const people = totals.by_user.map((u) => `${u.user_id}: ${hours(u.total_s)}`).join(", ");
  const text = `${hours(totals.total_s)} logged, ${hours(totals.billable_s)} billable`;
  $("time-totals").textContent = people ? `${text} (${people})` : text;
}

async function logTime() {
  const id = shown.data.id;
  const payload = { duration_s: Number($("time-minutes").value) * 60, billable: $("time-billable").checked };
  if ($("time-note").value) payload.note = $("time-note").value;
  await postOnce("time", `/cases/${encodeURIComponent(id)}/time-entries`, payload);
  $("time-form").reset();
  await showCase(id);
}

function renderDocuments(documents) {
  $("documents").replaceChildren(
    ...documents.map((d) => {
      const state = d.status === "available" ? "" : `, ${d.status}`;
      const li = el("li", `${d.filename} (${d.size_bytes} bytes${state})`);
      if (d.status === "available") {
        const button = el("button", "Download");
        button.type = "button";
        button.addEventListener("click", () => download(d).catch(showError));
        li.append(" ", button);
      }
      return li;
    }),
  );
}

// The API hands out a short-lived presigned link; storage answers it with the file as an attachment.
async function download(d) {
  const link = el("a");
  link.href = (await api(`/documents/${encodeURIComponent(d.id)}/download`)).url;
  link.download = d.filename;
  link.click();
}

// Two steps around the file, which goes straight to storage and never through the API: the API records
// the declared name, type and size and presigns an upload form (key, type and exact size fixed, minutes
// to live); after it, the API checks what arrived.
async function uploadDocument() {
  const id = shown.data.id;
  const file = $("document-file").files[0];
  const declared = { filename: file.name, content_type: file.type || "application/octet-stream" };
  const path = `/cases/${encodeURIComponent(id)}/documents`;
  const { data } = await postOnce("document", path, { ...declared, size_bytes: file.size });
  const { method, url, fields } = data.upload;
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append("file", file); // last: storage ignores fields after the file
  const sent = await fetch(url, { method, body: form }).catch(() => null);
  if (!sent || !sent.ok) throw new Error(`${file.name} could not be uploaded: try again.`);
  await request(`/documents/${encodeURIComponent(data.document.id)}/confirm`, { method: "POST" });
  $("document-form").reset();
  await showCase(id);
}

async function showCase(id) {
  const path = `/cases/${encodeURIComponent(id)}`;
  const [read, comments, history, documents, totals] = await Promise.all([
    request(path),
    allPages(`${path}/comments`),
    isStaff() ? allPages(`${path}/history`) : [],
    allPages(`${path}/documents`),
    isStaff() ? api(`${path}/time-totals`) : null,
  ]);
  shown = read;
  const c = read.data;
  $("case-title").textContent = c.title;
  const fields = [
    ["Status", c.status],
    ["Priority", c.priority],
    ["Assignee", c.assignee_id || "nobody"],
    ["Team", c.team || "none"],
    ["Due", c.due_date || "none"],
    ["Tags", c.tags.join(", ") || "none"],
    ["Updated", when(c.updated_at)],
  ];
  $("case-fields").replaceChildren(...fields.flatMap(([name, value]) => [el("dt", name), el("dd", value)]));
  $("case-description").textContent = c.description;
  renderComments(comments);
  renderDocuments(documents);
  renderTime(totals);
  renderHistory(history);
  await renderTransitions();
  $("detail").hidden = false;
}

async function addComment() {
  const id = shown.data.id;
  const payload = { body: $("comment-body").value };
  if (isStaff()) payload.internal = $("comment-internal").checked;
  await postOnce("comment", `/cases/${encodeURIComponent(id)}/comments`, payload);
  $("comment-form").reset();
  await showCase(id);
}

// A form's submit button is disabled while its request runs: a double click sends one request.
function onSubmit(form, action) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button[type=submit]");
    if (button.disabled) return;
    button.disabled = true;
    showError(null);
    try {
      await action();
    } catch (error) {
      showError(error);
    } finally {
      button.disabled = false;
    }
  });
}

async function render() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  $("sign-in").hidden = signedIn;
  $("sign-out").hidden = !signedIn;
  const match = location.hash.match(/^#\/cases\/([^/]+)$/);
  const creating = location.hash === "#/new";
  $("list").hidden = !signedIn || Boolean(match) || creating;
  $("new").hidden = !signedIn || !creating;
  $("detail").hidden = true; // shown once the case has loaded
  if (!signedIn) {
    $("who").textContent = "";
    return;
  }
  try {
    showError(null);
    me = await api("/me");
    document.body.classList.toggle("staff", isStaff());
    $("who").textContent = `${me.email || me.username || me.sub} (${me.role})`;
    if (match) await showCase(decodeURIComponent(match[1]));
    else if (!creating) await loadCases(false);
  } catch (error) {
    showError(error);
  }
}

async function start() {
  $("sign-in").addEventListener("click", () => signIn().catch(showError));
  $("sign-out").addEventListener("click", signOut);
  $("more").addEventListener("click", () => loadCases(true).catch(showError));
  onSubmit($("new-case"), createCase);
  onSubmit($("comment-form"), addComment);
  onSubmit($("document-form"), uploadDocument);
  onSubmit($("time-form"), logTime);
  window.addEventListener("hashchange", render);
  try {
    config = await (await fetch("/runtime-config.json", { cache: "no-store" })).json();
    const params = new URLSearchParams(location.search);
    if (params.has("code") || params.has("error")) await completeSignIn(params);
  } catch (error) {
    showError(error);
  }
  await render();
}

start();
