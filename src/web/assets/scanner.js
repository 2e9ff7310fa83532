// The offline door scanner for STAFF (docs/tickets.md "Offline scanning"), /door/schedules/<id>.
// It downloads the performance's door list (public keys + every ticket's current serial and state)
// into IndexedDB, checks each code itself (Ed25519 in WebCrypto, the 15 s steps with one step of
// skew, the gates-open time of the PDF's code), admits at most once per ticket on this device, and
// queues every admission. Online, the queue is synced at once; offline, it waits for the network.
// The server applies the queue idempotently (scan ids) and decides conflicts: the first scan by
// scan time stands, every later one is reported on every gate after its next sync.
import { openDB } from '/door/vendor/idb.js';

const scheduleId = Number(document.body.dataset.id);
const lang = document.body.dataset.lang === 'en' ? 'en' : 'ko';
let csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const T = {
  ko: {
    title: '입장 스캐너', code: '티켓 코드', check: '확인', camera: '카메라로 스캔', sync: '지금 동기화', online: '온라인', offline: '오프라인',
    queued: (n) => `동기화 대기 ${n}건`, listAt: (at, n) => `티켓 목록 ${n}장 (${at} 기준)`, noList: '티켓 목록이 없습니다. 온라인에서 이 페이지를 열어 주세요.',
    staffOnly: '스태프 계정으로 로그인해 주세요.', conflicts: '중복 입장', none: '없음',
    conflict: (id, first, others) => `티켓 ${id}: ${first} 입장이 유효, 이후 ${others}건은 중복 입장입니다.`, thisGate: '이 게이트',
    ADMITTED: '입장 확인', ALREADY_USED: '이미 입장한 티켓입니다', TICKET_REFUNDED: '환불된 티켓입니다', TICKET_CANCELLED: '취소된 티켓입니다',
    CODE_EXPIRED: '만료된 코드입니다 (캡처 화면?)', CODE_NOT_YET_VALID: '아직 유효하지 않은 코드입니다', GATES_NOT_OPEN: '인쇄 티켓은 입장 시작 후 유효합니다',
    CODE_REISSUED: '재발급(양도)된 티켓의 예전 코드입니다', CODE_FORGED: '위조되었거나 다른 공연의 코드입니다', NOT_FOUND: '목록에 없는 티켓입니다',
  },
  en: {
    title: 'Door scanner', code: 'Ticket code', check: 'Check', camera: 'Scan with camera', sync: 'Sync now', online: 'online', offline: 'offline',
    queued: (n) => `${n} waiting to sync`, listAt: (at, n) => `Door list of ${n} tickets (as of ${at})`, noList: 'No door list yet: open this page once while online.',
    staffOnly: 'Please log in with a staff account.', conflicts: 'Admitted twice', none: 'none',
    conflict: (id, first, others) => `Ticket ${id}: the entry at ${first} stands; ${others} later entry(ies) were duplicates.`, thisGate: 'this gate',
    ADMITTED: 'Admitted', ALREADY_USED: 'Already used', TICKET_REFUNDED: 'Refunded ticket', TICKET_CANCELLED: 'Cancelled ticket',
    CODE_EXPIRED: 'Expired code (a screenshot?)', CODE_NOT_YET_VALID: 'Code not valid yet', GATES_NOT_OPEN: 'Printed tickets are valid once the gates open',
    CODE_REISSUED: 'An old code of a reissued (transferred) ticket', CODE_FORGED: 'Forged, or another performance\'s code', NOT_FOUND: 'Not on the door list',
  },
}[lang];

const main = /** @type {HTMLElement} */ (document.getElementById('main'));
/** @param {string} tag @param {Record<string, any>} [attrs] @param {...any} children */
const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== null && v !== undefined) el.setAttribute(k, String(v));
  }
  el.append(...children.flat().filter((c) => c !== null && c !== undefined));
  return el;
};
const time = (iso) => new Date(iso).toLocaleTimeString(lang === 'en' ? 'en-GB' : 'ko-KR');

const db = await openDB('door-scanner', 1, {
  upgrade(d) {
    d.createObjectStore('lists'); // scheduleId -> door list
    d.createObjectStore('queue', { keyPath: 'scanId' }); // admissions not yet synced
    d.createObjectStore('admitted'); // `${scheduleId}:${ticketId}` -> { scanId, at }: this device admits once
    d.createObjectStore('meta'); // deviceId, conflicts per schedule
  },
});
let deviceId = await db.get('meta', 'deviceId');
if (!deviceId) await db.put('meta', (deviceId = `dev-${crypto.randomUUID()}`), 'deviceId');

// ---- the API, with the cookie session (CSRF token on writes; one refresh on 401/403) ----
async function api(method, path, body) {
  const call = () => fetch(path, { method, credentials: 'same-origin', headers: { accept: 'application/json', ...(body ? { 'content-type': 'application/json', 'x-csrf-token': csrf, 'idempotency-key': crypto.randomUUID() } : {}) }, body: body ? JSON.stringify(body) : undefined });
  let res = await call();
  if (res.status === 401 || res.status === 403) {
    const refreshed = await fetch('/web/session/refresh', { method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' }, body: '{}' });
    if (refreshed.ok) {
      csrf = (await refreshed.json()).csrfToken;
      res = await call();
    }
  }
  if (!res.ok) throw Object.assign(new Error(`${method} ${path}: ${res.status}`), { status: res.status });
  return res.json();
}

// ---- checking a code, as the server does, without the network ----
const ROTATING = /^CR1\.([1-9][0-9]{0,15})\.([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{22})\.(0|[1-9][0-9]{0,11})\.([A-Za-z0-9_-]{86})$/;
const STATIC = /^CS1\.([1-9][0-9]{0,15})\.([1-9][0-9]{0,15})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{86})$/;
const b64url = (s) => Uint8Array.from(atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4)), (c) => c.charCodeAt(0));
let keys = /** @type {CryptoKey[]} */ ([]);

async function importKeys(list) {
  keys = await Promise.all(list.publicKeys.map((k) => crypto.subtle.importKey('raw', b64url(k), { name: 'Ed25519' }, false, ['verify'])));
}

/** @returns {Promise<{ ok: true, ticketId: number } | { ok: false, reason: string, ticketId?: number }>} */
async function check(code, list, now) {
  const r = ROTATING.exec(code);
  const m = r ?? STATIC.exec(code);
  if (!m || Number(m[1]) !== scheduleId) return { ok: false, reason: 'CODE_FORGED' };
  const body = new TextEncoder().encode(code.slice(0, code.lastIndexOf('.')));
  const signature = b64url(m[r ? 5 : 4]);
  let genuine = false;
  for (const key of keys) genuine ||= await crypto.subtle.verify({ name: 'Ed25519' }, key, signature, body);
  if (!genuine) return { ok: false, reason: 'CODE_FORGED' };
  const ticketId = Number(m[2]);
  if (r) {
    const step = Math.floor(now / 1000 / list.stepSeconds);
    if (Number(m[4]) < step - list.skewSteps) return { ok: false, reason: 'CODE_EXPIRED', ticketId };
    if (Number(m[4]) > step + list.skewSteps) return { ok: false, reason: 'CODE_NOT_YET_VALID', ticketId };
  } else if (now < Date.parse(list.gatesOpenAt)) return { ok: false, reason: 'GATES_NOT_OPEN', ticketId };
  const ticket = list.tickets.find((t) => t.id === ticketId);
  if (!ticket) return { ok: false, reason: 'NOT_FOUND', ticketId };
  if (ticket.serial !== m[3]) return { ok: false, reason: 'CODE_REISSUED', ticketId };
  if (ticket.state === 'VOID') return { ok: false, reason: ticket.voidReason ?? 'TICKET_CANCELLED', ticketId };
  if (ticket.state === 'USED' || (await db.get('admitted', `${scheduleId}:${ticketId}`))) return { ok: false, reason: 'ALREADY_USED', ticketId };
  return { ok: true, ticketId };
}

// ---- the page ----
const result = h('p', { id: 'result', role: 'status', 'aria-live': 'assertive' });
const state = h('p', { id: 'scanner-state' });
const queueInfo = h('p', { id: 'queue-count' });
const conflictList = h('ul', { id: 'conflicts', 'aria-label': T.conflicts });
const input = h('input', { id: 'code', name: 'code', autocomplete: 'off', autocapitalize: 'off', spellcheck: 'false', required: true });
const form = h('form', { id: 'scan-form', class: 'inline', onsubmit: (e) => { e.preventDefault(); void scan(input.value.trim()); } },
  h('label', { for: 'code' }, T.code), input, h('button', { type: 'submit' }, T.check));
const syncButton = h('button', { type: 'button', id: 'sync-now', onclick: () => void sync() }, T.sync);

async function scan(code) {
  if (!code) return;
  const list = await db.get('lists', scheduleId);
  if (!list) return show('NOT_FOUND', T.noList);
  const now = Date.now();
  const decided = await check(code, list, now);
  input.value = '';
  if (!decided.ok) return show(decided.reason, `${T[decided.reason] ?? decided.reason}${decided.ticketId ? ` · #${decided.ticketId}` : ''}`);
  const scanId = `scan-${crypto.randomUUID()}`;
  const tx = db.transaction(['admitted', 'queue'], 'readwrite');
  await Promise.all([tx.objectStore('admitted').put({ scanId, at: new Date(now).toISOString() }, `${scheduleId}:${decided.ticketId}`), tx.objectStore('queue').put({ scanId, scheduleId, code, scannedAt: new Date(now).toISOString(), ticketId: decided.ticketId }), tx.done]);
  show('ADMITTED', `${T.ADMITTED} · #${decided.ticketId}`);
  await refreshInfo();
  if (navigator.onLine) void sync();
}

function show(code, text) {
  result.textContent = text;
  result.dataset.result = code;
  result.className = code === 'ADMITTED' ? 'message ok' : 'message error';
}

let syncing = false;
async function sync() {
  if (syncing || !navigator.onLine) return;
  syncing = true;
  try {
    const queued = (await db.getAll('queue')).filter((s) => s.scheduleId === scheduleId);
    for (let i = 0; i < queued.length || i === 0; i += 500) {
      const batch = queued.slice(i, i + 500);
      const answer = batch.length
        ? await api('POST', `/api/v1/entry/schedules/${scheduleId}/scans/sync`, { deviceId, scans: batch.map((s) => ({ scanId: s.scanId, code: s.code, scannedAt: s.scannedAt })) })
        : { results: [], conflicts: (await api('GET', `/api/v1/entry/schedules/${scheduleId}/conflicts`)).items };
      const tx = db.transaction('queue', 'readwrite');
      await Promise.all([...answer.results.map((r) => tx.store.delete(r.scanId)), tx.done]);
      await db.put('meta', answer.conflicts, `conflicts:${scheduleId}`);
      const mine = answer.results.filter((r) => r.outcome === 'REFUSED');
      if (mine.length) show(mine[0].reason, `${T[mine[0].reason] ?? mine[0].reason} · #${mine[0].ticketId ?? '?'}`);
    }
    await download();
  } catch (e) {
    console.warn('sync failed; the queue stays for the next try', e);
  } finally {
    syncing = false;
    await refreshInfo();
  }
}

async function download() {
  const list = await api('GET', `/api/v1/entry/schedules/${scheduleId}/door-list`);
  await db.put('lists', list, scheduleId);
  await importKeys(list);
}

async function refreshInfo() {
  const list = await db.get('lists', scheduleId);
  const queued = (await db.getAll('queue')).filter((s) => s.scheduleId === scheduleId).length;
  state.textContent = `${navigator.onLine ? T.online : T.offline} · ${list ? T.listAt(time(list.generatedAt), list.tickets.length) : T.noList}`;
  state.dataset.online = String(navigator.onLine);
  queueInfo.textContent = T.queued(queued);
  queueInfo.dataset.count = String(queued);
  const conflicts = (await db.get('meta', `conflicts:${scheduleId}`)) ?? [];
  conflictList.replaceChildren(...(conflicts.length ? conflicts.map((c) => {
    const first = c.entries.find((e) => e.stands);
    const here = c.entries.some((e) => e.deviceId === deviceId);
    return h('li', { 'data-ticket': c.ticketId, 'data-here': String(here) }, `${T.conflict(c.ticketId, time(first.scannedAt), c.entries.length - 1)}${here ? ` (${T.thisGate})` : ''}`);
  }) : [h('li', { class: 'none' }, T.none)]));
}

/** Camera scanning where the browser has a QR decoder (BarcodeDetector); manual entry always works. */
function cameraButton() {
  if (!('BarcodeDetector' in window) || !navigator.mediaDevices?.getUserMedia) return null;
  return h('button', { type: 'button', id: 'camera', onclick: async () => {
    const video = h('video', { playsinline: true, muted: true, width: 320 });
    main.append(video);
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
    video.srcObject = stream;
    await video.play();
    const detector = new window.BarcodeDetector({ formats: ['qr_code'] });
    let last = '';
    const tick = async () => {
      if (!stream.active) return;
      const [found] = await detector.detect(video).catch(() => []);
      if (found && found.rawValue !== last) await scan((last = found.rawValue));
      setTimeout(tick, 250);
    };
    void tick();
  } }, T.camera);
}

if (!['STAFF', 'ADMIN'].includes(document.body.dataset.role ?? '') && !(await db.get('lists', scheduleId))) {
  main.replaceChildren(h('h1', {}, T.title), h('p', { class: 'message error' }, T.staffOnly));
} else {
  main.replaceChildren(h('h1', {}, `${T.title} · #${scheduleId}`), state, form, cameraButton(), result, queueInfo, syncButton, h('h2', {}, T.conflicts), conflictList);
  const stored = await db.get('lists', scheduleId);
  if (stored) await importKeys(stored);
  if (navigator.onLine) await sync().catch(() => undefined);
  await refreshInfo();
  window.addEventListener('online', () => void sync());
  window.addEventListener('offline', () => void refreshInfo());
  // While online: the queue and the door list (new refunds, transfers) every 15 s.
  setInterval(() => void sync(), 15_000);
  main.dataset.ready = 'true';
}

// Keep this page and its scripts for a reload without a network.
if ('serviceWorker' in navigator) {
  navigator.serviceWorker.register('/door/sw.js', { scope: '/door/' }).then(
    () => caches.open('door-scanner-v1')
      .then((cache) => cache.addAll([location.pathname, `/door/scanner.js?v=${document.body.dataset.version}`, '/door/vendor/idb.js', '/web/app.css']))
      .then(() => { document.body.dataset.offlineReady = 'true'; }),
    (e) => console.warn('no service worker', e),
  ).catch(() => undefined);
}
