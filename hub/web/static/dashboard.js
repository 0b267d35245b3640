// The homevoice dashboard: satellites and their state, the runs as waterfalls of their stages,
// a latency chart, a command box and an announce box; live over /api/events.
// Plain script, no build step; every URL is relative so it works under Home Assistant ingress.
"use strict";

const MAX_RUNS = 20;
const CHART_RUNS = 30;
const state = { token: localStorage.getItem("homevoice-token") || "", runs: new Map(), satellites: new Map() };
const $ = (id) => document.getElementById(id);

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : String(child ?? ""));
  return node;
}

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    $("token-box").hidden = false;
    throw new Error("this hub wants its token");
  }
  const body = (response.headers.get("Content-Type") || "").includes("json") ? await response.json() : null;
  if (!response.ok) throw new Error(body ? `${body.code}: ${body.message}` : `HTTP ${response.status}`);
  return body;
}

// ---- satellites and the hub's state

function setHubState(value) {
  const badge = $("hub-state");
  badge.textContent = value;
  badge.dataset.state = value;
}

function renderSatellites() {
  const list = $("satellite-list");
  list.replaceChildren();
  for (const select of [$("converse-target"), $("announce-target")]) {
    for (const option of [...select.options]) if (option.dataset.satellite) option.remove();
  }
  if (!state.satellites.size) list.append(element("li", { className: "muted" }, "none yet"));
  for (const sat of state.satellites.values()) {
    const badge = element("span", { className: "state", dataset: { state: sat.state } }, sat.state);
    list.append(
      element("li", { dataset: { satellite: sat.id } },
        element("span", {}, element("strong", {}, sat.name), " ", element("span", { className: "muted" }, sat.area || "")),
        badge),
    );
    for (const select of [$("converse-target"), $("announce-target")]) {
      select.append(element("option", { value: sat.id, dataset: { satellite: sat.id } }, sat.name));
    }
  }
}

function satelliteState(message) {
  if (!("connected" in message)) {  // the hub's own state carries busy_runs instead
    setHubState(message.state);
    return;
  }
  const sat = state.satellites.get(message.node_id);
  if (!sat) {  // a satellite the page has not seen yet
    load().catch(() => {});
    return;
  }
  sat.state = message.state;
  sat.connected = message.connected;
  const item = document.querySelector(`#satellite-list li[data-satellite="${CSS.escape(sat.id)}"] .state`);
  if (item) { item.textContent = sat.state; item.dataset.state = sat.state; }
}

// ---- runs

function addEvent(event) {
  if (!event.run_id) return;
  let run = state.runs.get(event.run_id);
  if (!run) {
    run = { run_id: event.run_id, node_id: event.node_id, events: [], timings_ms: {} };
    state.runs.set(event.run_id, run);
    while (state.runs.size > MAX_RUNS) state.runs.delete(state.runs.keys().next().value);
  }
  run.events.push(event);
  if (event.type === "run-end") run.timings_ms = event.timings_ms || {};
  renderRun(run);
  if (event.type === "run-end") renderChart();
}

function summary(run) {
  const find = (type) => run.events.find((e) => e.type === type);
  const start = find("run-start") || {};
  const end = find("run-end");
  return {
    trigger: start.trigger || "",
    satellite: start.satellite || run.node_id,
    said: (find("stt-end") || find("intent-start") || {}).text,
    answer: (find("intent-end") || {}).answer,
    actions: run.events.filter((e) => e.type === "action").map((e) => `${e.topic} ← ${e.payload}`),
    error: (find("error") || {}).message,
    outcome: end ? end.outcome : "running",
  };
}

function renderRun(run) {
  const info = summary(run);
  const t0 = run.events[0].timestamp_ms;
  const last = run.events[run.events.length - 1].timestamp_ms;
  const span = Math.max(1, last - t0);
  const stages = element("div", { className: "stages" });
  for (const event of run.events) {
    const at = event.timestamp_ms - t0;
    const bar = element("span");
    bar.style.left = "0";
    bar.style.width = `${(100 * Math.max(at, span / 200)) / span}%`;
    stages.append(
      element("span", { className: "stage", dataset: { stage: event.type } }, event.type),
      element("div", { className: "stage-bar" }, bar),
      element("span", { className: "ms" }, `+${at} ms`),
    );
  }
  const head = element("div", { className: "run-head" },
    element("strong", {}, run.run_id),
    element("span", { className: "muted" }, `${info.satellite} · ${info.trigger}`),
    element("span", { className: "outcome", dataset: { outcome: info.outcome } }, info.outcome));
  const lines = [head];
  if (info.said) lines.push(element("p", { className: "run-said" }, "heard: ", element("em", {}, info.said)));
  for (const action of info.actions) lines.push(element("p", { className: "run-said" }, "did: ", action));
  if (info.answer) lines.push(element("p", { className: "run-said" }, "said: ", element("em", {}, info.answer)));
  if (info.error) lines.push(element("p", { className: "run-said result failed" }, info.error));
  lines.push(stages);
  const box = element("div", { className: "run", dataset: { runId: run.run_id, outcome: info.outcome } }, ...lines);
  const list = $("run-list");
  const old = list.querySelector(`.run[data-run-id="${CSS.escape(run.run_id)}"]`);
  if (old) old.replaceWith(box);
  else {
    list.querySelector("p.muted")?.remove();
    list.prepend(box);
    while (list.children.length > MAX_RUNS) list.lastChild.remove();
  }
}

function renderChart() {
  const svg = $("latency-chart");
  const ended = [...state.runs.values()].filter((r) => r.events.some((e) => e.type === "run-end"));
  const points = ended.slice(-CHART_RUNS).map((run) => ({
    run: run.run_id,
    ms: run.timings_ms["tts-first-audio"] ?? run.timings_ms["intent-end"] ?? run.timings_ms["stt-end"],
  })).filter((p) => typeof p.ms === "number" && p.ms >= 0);
  svg.replaceChildren();
  const ns = "http://www.w3.org/2000/svg";
  const top = Math.max(500, ...points.map((p) => p.ms));
  const width = 600 / CHART_RUNS;
  points.forEach((point, i) => {
    const height = (110 * point.ms) / top;
    const bar = document.createElementNS(ns, "rect");
    bar.setAttribute("x", String(i * width + 2));
    bar.setAttribute("y", String(120 - height));
    bar.setAttribute("width", String(width - 4));
    bar.setAttribute("height", String(height));
    bar.dataset.run = point.run;
    const title = document.createElementNS(ns, "title");
    title.textContent = `${point.run}: ${Math.round(point.ms)} ms`;
    bar.append(title);
    svg.append(bar);
  });
  const label = document.createElementNS(ns, "text");
  label.setAttribute("x", "2");
  label.setAttribute("y", "136");
  label.textContent = points.length ? `top ${Math.round(top)} ms · ${points.length} runs` : "no finished runs yet";
  svg.append(label);
}

// ---- live events, reconnecting by themselves

function connect(attempt = 0) {
  const url = new URL("api/events", location.href);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  if (state.token) url.searchParams.set("token", state.token);
  const socket = new WebSocket(url);
  const live = $("live");
  socket.onopen = () => { live.textContent = "live"; live.dataset.live = "true"; attempt = 0; };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    if (event.type === "state") satelliteState(event);
    else addEvent(event);
  };
  socket.onclose = () => {
    live.textContent = "reconnecting…";
    live.dataset.live = "false";
    const delay = Math.min(10000, 500 * 2 ** attempt);
    setTimeout(() => { load().catch(() => {}); connect(attempt + 1); }, delay);
  };
}

// ---- the forms

function say(result, text, failed) {
  result.textContent = text;
  result.classList.toggle("failed", failed);
}

$("converse-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const result = $("converse-result");
  const body = { text: $("converse-text").value, speak: $("converse-speak").checked };
  const target = $("converse-target").value;
  if (target) body.satellite = target;
  say(result, "…", false);
  try {
    const answer = await api("api/converse", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const did = answer.actions.length ? ` (${answer.actions.length} action${answer.actions.length > 1 ? "s" : ""})` : "";
    say(result, `${answer.answer}${did}`, !answer.handled);
  } catch (error) { say(result, error.message, true); }
});

$("announce-form").addEventListener("submit", async (submitted) => {
  submitted.preventDefault();
  const result = $("announce-result");
  const target = $("announce-target").value;
  try {
    const answer = await api(`api/satellites/${encodeURIComponent(target)}/announce`, {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: $("announce-text").value }),
    });
    say(result, `queued on ${answer.queued_on.join(", ") || "no satellite"}`, false);
  } catch (error) { say(result, error.message, true); }
});

$("token-form").addEventListener("submit", (submitted) => {
  submitted.preventDefault();
  state.token = $("token-input").value.trim();
  localStorage.setItem("homevoice-token", state.token);
  $("token-box").hidden = true;
  load().catch(() => {});
});

// ---- start

async function load() {
  const [health, listing, runs] = await Promise.all([
    api("health"), api("api/satellites"), api(`api/runs?limit=${MAX_RUNS}`),
  ]);
  setHubState(health.state);
  $("hub-models").textContent = [health.stt, ...(health.tts || [])].filter(Boolean).join(" · ");
  state.satellites = new Map(listing.satellites.map((s) => [s.id, s]));
  renderSatellites();
  for (const run of runs.runs.reverse()) {
    if (!state.runs.has(run.run_id)) {
      state.runs.set(run.run_id, run);
      renderRun(run);
    }
  }
  renderChart();
}

load().catch((error) => say($("converse-result"), error.message, true)).finally(() => connect());
