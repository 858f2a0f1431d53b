// The reference front end: sign in through the Cognito hosted UI (authorization code + PKCE), list the
// cases the API lets the user see, show one. No build step, no dependencies, no inline script (the CSP
// allows scripts from this origin only). Settings come from /runtime-config.json, which CdnFrontend
// writes at deploy time: { apiBaseUrl, auth: { hostedUiUrl, clientId, scopes } }.
"use strict";

const $ = (id) => document.getElementById(id);
const TOKEN = "accessToken";
let config;
let nextCursor = null;

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
  if (params.get("error")) throw new Error(params.get("error_description") || params.get("error"));
  if (!saved || params.get("state") !== saved.state) throw new Error("Sign-in state mismatch: sign in again.");
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

async function api(path) {
  const response = await fetch(`${config.apiBaseUrl}${path}`, {
    headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN)}`, Accept: "application/json" },
  });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN);
    render();
    throw new Error("Your session has ended: sign in again.");
  }
  const body = await response.json().catch(() => ({}));
  // Errors are RFC 9457 problem documents: title, detail, request_id.
  if (!response.ok) throw new Error(body.detail || body.title || `HTTP ${response.status}`);
  return body;
}

function showError(error) {
  $("error").textContent = error ? String(error.message || error) : "";
  $("error").hidden = !error;
}

function caseItem(c) {
  const li = document.createElement("li");
  const link = document.createElement("a");
  link.href = `#/cases/${encodeURIComponent(c.id)}`;
  link.textContent = c.title;
  const status = document.createElement("span");
  status.className = "status";
  status.textContent = c.status;
  li.append(link, status);
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

async function showCase(id) {
  const c = await api(`/cases/${encodeURIComponent(id)}`);
  $("case-title").textContent = c.title;
  const fields = [
    ["Status", c.status],
    ["Priority", c.priority],
    ["Assignee", c.assignee_id || "nobody"],
    ["Team", c.team || "none"],
    ["Due", c.due_date || "none"],
    ["Tags", c.tags.join(", ") || "none"],
    ["Updated", new Date(c.updated_at).toLocaleString()],
  ];
  $("case-fields").replaceChildren(
    ...fields.flatMap(([name, value]) => {
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.textContent = value;
      return [dt, dd];
    }),
  );
  $("case-description").textContent = c.description;
}

async function render() {
  const signedIn = Boolean(sessionStorage.getItem(TOKEN));
  $("sign-in").hidden = signedIn;
  $("sign-out").hidden = !signedIn;
  const match = location.hash.match(/^#\/cases\/([^/]+)$/);
  $("list").hidden = !signedIn || Boolean(match);
  $("detail").hidden = !signedIn || !match;
  if (!signedIn) {
    $("who").textContent = "";
    return;
  }
  try {
    showError(null);
    const me = await api("/me");
    $("who").textContent = `${me.email || me.username || me.sub} (${me.role})`;
    if (match) await showCase(decodeURIComponent(match[1]));
    else await loadCases(false);
  } catch (error) {
    showError(error);
  }
}

async function start() {
  $("sign-in").addEventListener("click", () => signIn().catch(showError));
  $("sign-out").addEventListener("click", signOut);
  $("more").addEventListener("click", () => loadCases(true).catch(showError));
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
