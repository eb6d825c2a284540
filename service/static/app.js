// The live page: recent events from /events, then every new message from /events/stream
// (EventSource resumes with Last-Event-ID by itself), on a list and a world map.
// Event text comes from news pages: it is only ever set as textContent, never as HTML.
"use strict";

const TYPES = ["Battles", "Explosions/Remote violence", "Violence against civilians", "Protests",
  "Riots", "Strategic developments", "Natural disaster", "Man-made disaster", "Organized crime",
  "Diplomacy"];
const MAX_EVENTS = 500;
const SVG = "http://www.w3.org/2000/svg";
const token = new URLSearchParams(location.search).get("access_token");
const shown = new Map(); // event id -> {event, kind, item, marker}
const filters = { type: "", country: "", minConfidence: 0 };

function api(path) {
  if (!token) return path;
  return path + (path.includes("?") ? "&" : "?") + "access_token=" + encodeURIComponent(token);
}

function el(tag, cls, text) {
  const node = document.createElement(tag);
  if (cls) node.className = cls;
  if (text !== undefined && text !== null) node.textContent = String(text);
  return node;
}

function matches(event) {
  const f = filters;
  if (f.type) {
    const t = f.type.toLowerCase();
    if (String(event.event_type).toLowerCase() !== t && String(event.sub_event_type).toLowerCase() !== t) return false;
  }
  const country = ((event.location || {}).country || "").toUpperCase();
  if (f.country && country !== f.country) return false;
  return (Number(event.confidence) || 0) >= f.minConfidence;
}

function place(event) {
  const loc = event.location || {};
  return [loc.name, loc.admin1, loc.country].filter(Boolean).join(", ") || "place unknown";
}

function renderItem(entry) {
  const { event, kind } = entry;
  const item = entry.item || el("li");
  item.replaceChildren();
  item.dataset.id = event.id;
  const head = el("div", "head");
  head.append(el("span", "kind " + kind, kind), el("span", "type", event.event_type + " / " + event.sub_event_type),
    el("span", "place", place(event)));
  const facts = [event.date || "date unknown", "confidence " + Number(event.confidence).toFixed(2)];
  if (event.fatalities !== null && event.fatalities !== undefined) facts.push(event.fatalities + " killed");
  if (event.injured !== null && event.injured !== undefined) facts.push(event.injured + " injured");
  const meta = el("div", "meta", facts.join(" · "));
  const summary = el("p", "summary", event.summary);
  item.append(head, meta, summary);
  const src = (event.sources || []).find((s) => s && /^https?:\/\//.test(s.url || ""));
  if (src) {
    const link = el("a", null, src.title || src.url);
    link.href = src.url;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    item.append(link);
  }
  return item;
}

function renderMarker(entry) {
  const loc = entry.event.location || {};
  if (typeof loc.lat !== "number" || typeof loc.lon !== "number") return null;
  const marker = entry.marker || document.createElementNS(SVG, "circle");
  marker.setAttribute("cx", (loc.lon + 180).toFixed(2));
  marker.setAttribute("cy", (90 - loc.lat).toFixed(2));
  marker.setAttribute("r", "1.4");
  marker.dataset.id = entry.event.id;
  marker.replaceChildren();
  const title = document.createElementNS(SVG, "title");
  title.textContent = entry.event.event_type + ": " + place(entry.event);
  marker.append(title);
  return marker;
}

function applyFilter(entry) {
  const visible = matches(entry.event);
  entry.item.hidden = !visible;
  if (entry.marker) entry.marker.style.display = visible ? "" : "none";
}

function upsert(event, kind, live) {
  if (!event || !event.id) return;
  const old = shown.get(event.id);
  if (old && Number(old.event.version || 1) > Number(event.version || 1)) return;
  const entry = old || { item: null, marker: null };
  entry.event = event;
  entry.kind = kind;
  entry.item = renderItem(entry);
  const marker = renderMarker(entry);
  if (marker && !entry.marker) document.getElementById("markers").append(marker);
  if (!marker && entry.marker) entry.marker.remove();
  entry.marker = marker;
  const list = document.getElementById("events");
  if (live) {
    list.prepend(entry.item);
    for (const node of [entry.item, entry.marker]) {
      if (!node) continue;
      node.classList.add("fresh");
      setTimeout(() => node.classList.remove("fresh"), 3000);
    }
  } else if (!old) {
    list.append(entry.item);
  }
  shown.set(event.id, entry);
  applyFilter(entry);
  trim();
  count();
}

function trim() {
  while (shown.size > MAX_EVENTS) {
    const oldest = shown.values().next().value; // first in, first out
    oldest.item.remove();
    if (oldest.marker) oldest.marker.remove();
    shown.delete(oldest.event.id);
  }
}

function count() {
  let visible = 0;
  for (const entry of shown.values()) if (!entry.item.hidden) visible += 1;
  document.getElementById("shown").textContent = visible + " of " + shown.size + " events shown";
}

function setStatus(text, live) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("live", live);
}

function connect() {
  const stream = new EventSource(api("events/stream"));
  stream.onopen = () => setStatus("live", true);
  stream.onerror = () => setStatus("reconnecting…", false);
  stream.onmessage = (msg) => {
    try {
      const data = JSON.parse(msg.data);
      upsert(data.event, data.kind, true);
    } catch (err) {
      console.warn("unreadable message", err);
    }
  };
}

async function loadMap() {
  const resp = await fetch("static/world.json");
  const world = await resp.json();
  const land = document.getElementById("land");
  for (const country of world.countries) {
    const path = document.createElementNS(SVG, "path");
    path.setAttribute("d", country.d);
    const title = document.createElementNS(SVG, "title");
    title.textContent = country.name;
    path.append(title);
    land.append(path);
  }
}

async function loadRecent() {
  const resp = await fetch(api("events?limit=200"));
  if (!resp.ok) {
    setStatus("cannot read events: HTTP " + resp.status, false);
    return;
  }
  const body = await resp.json();
  for (const event of body.events) upsert(event, "stored", false);
}

function setupFilters() {
  const type = document.getElementById("f-type");
  for (const t of TYPES) type.append(new Option(t, t));
  const country = document.getElementById("f-country");
  const conf = document.getElementById("f-conf");
  const update = () => {
    filters.type = type.value;
    filters.country = country.value.trim().toUpperCase();
    filters.minConfidence = Number(conf.value);
    document.getElementById("f-conf-value").textContent = filters.minConfidence.toFixed(2);
    for (const entry of shown.values()) applyFilter(entry);
    count();
  };
  for (const input of [type, country, conf]) input.addEventListener("input", update);
  document.getElementById("filters").addEventListener("submit", (e) => e.preventDefault());
}

setupFilters();
connect(); // first, so nothing committed while the recent events load is missed
loadRecent();
loadMap();
