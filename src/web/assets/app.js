// @ts-check
// The web app's script: draws each page from the JSON API (/api/v1, cookie session) and keeps
// the live parts live (seat map, waiting room, countdown; the organiser's pages are in organiser.js).
// No framework, no build step.
// Type-checked (tsconfig.web.json) against ./api.d.ts, generated from the API's OpenAPI document.
/** @typedef {import('./api').Schemas} Schemas */
const body = document.body;
const page = body.dataset.page;
const pageId = Number(body.dataset.id ?? 0); // the page's concert or schedule id (0 on pages without one)
const signedIn = Boolean(body.dataset.user);
let csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const lang = document.documentElement.lang === 'en' ? 'en' : 'ko';
const main = /** @type {HTMLElement} */ (document.getElementById('main'));
// The sentences for the API's problem codes in the page's language, a module of their own (a unit
// test checks both languages) at this script's version, preloaded by the page.
const { problemMessages, validationMessages } = /** @type {typeof import('./problem-messages.en.js')} */ (await import(`./problem-messages.${lang}.js${new URL(import.meta.url).search}`));

const T = {
  ko: {
    title: '콘서트 예매', concerts: '공연', myReservations: '내 예매', login: '로그인', logout: '로그아웃', signup: '회원가입', switchLang: 'English',
    noConcerts: '예정된 공연이 없습니다.', performances: '공연 회차', available: '잔여', of: '/', book: '좌석 선택', status: '상태',
    seatMap: '좌석 배치도', legend: '범례', taken: '선택 불가', selected: '선택함', section: '구역', row: '열', seatNo: '번',
    seatAvailable: '선택 가능', seatHeld: '다른 분이 선점 중', seatSold: '판매 완료', seatUnavailable: '구매 불가', won: '원',
    pickHint: (n) => `좌석을 최대 ${n}석까지 선택하세요. 화살표 키로 이동하고 스페이스나 엔터로 선택합니다.`,
    selectedSeats: '선택한 좌석', none: '없음', hold: '선택한 좌석 선점하기', total: '합계',
    checkout: '결제', timeLeft: '남은 시간', pay: '지갑으로 결제', balance: '지갑 잔액', topUp: '충전하기', topUpAmount: '충전 금액(원)',
    paid: '결제가 완료되었습니다. 내 예매에서 확인하세요.', expired: '선점 시간이 만료되었습니다. 좌석이 해제되었으니 다시 선택해 주세요.',
    takenLive: (s) => `선택하신 좌석 ${s}을(를) 방금 다른 분이 선점했습니다. 다른 좌석을 선택해 주세요.`,
    tooMany: (n) => `한 번에 최대 ${n}석까지 선택할 수 있습니다.`,
    ticketLimit: (limit, held) => `(한도 ${limit}매, 이미 ${held}매 선점·구매)`,
    queueTitle: '대기실', position: '내 순서', estimate: '예상 대기 시간', seconds: '초', waiting: '순서를 기다리고 있습니다. 이 창을 닫지 마세요.',
    admitted: '입장했습니다. 좌석 선택으로 이동합니다…', preQueue: '판매 시작 전입니다. 시작 시 순서가 추첨됩니다.',
    soldOut: '매진되었습니다. 대기가 종료되었습니다.', closed: '판매가 종료되었습니다. 대기가 종료되었습니다.', queueEnded: '대기 시간이 끝났습니다. 다시 입장해 주세요.', rejoin: '다시 대기하기',
    progress: '대기 진행률', email: '이메일', password: '비밀번호', name: '이름', cancel: '취소', refund: '취소 및 환불', amount: '금액',
    reserved: '예매 일시', seats: '좌석', noReservations: '예매 내역이 없습니다.', cancelled: '취소되었습니다.', loginFirst: '로그인이 필요합니다.',
    signedUp: '가입되었습니다. 로그인해 주세요.',
    waitlist: '대기 명단', waitlistJoin: '매진 좌석 대기 명단에 등록', joinedWaitlist: (n) => `대기 명단 ${n}번째로 등록했습니다. 좌석이 나오면 내 예매에 선점으로 나타나니 시간 안에 결제하세요.`,
    waitEntry: (n, tier) => `${n}석${tier ? ` · ${tier}` : ''}`, waitPosition: (n) => `대기 ${n}번째`, offerMade: '좌석이 배정되었습니다. 아래 예매에서 결제하세요.', leaveWaitlist: '대기 취소', leftWaitlist: '대기 명단에서 빠졌습니다.',
    bestTitle: '좋은 좌석 자동 배정', freeSeats: '등급별 잔여 좌석', quantity: '매수', tier: '등급', anyTier: '모든 등급', bestHold: '좋은 좌석 선점하기',
    runs: (list) => `붙어 있는 좌석이 부족합니다. 구역별 가장 긴 연속 좌석: ${list || '없음'}`, splitOffer: (n, parts) => `떨어진 좌석으로 ${n}석 (${parts})`, fewerOffer: (n) => `붙어 있는 ${n}석만`,
    offered: (seats, together) => `배정된 좌석: ${seats}${together ? '' : ' (떨어진 좌석)'}`, decline: '다른 좌석 제안받기 (1회)', offerStands: '다른 좌석이 없어 지금 배정된 좌석을 유지합니다.', tickets: '티켓', ticketQr: (seat) => `${seat} 좌석 티켓 QR 코드`, ticketSt: { VALID: '사용 가능', USED: '입장 완료', VOID: '무효' }, dashboard: '판매 현황', newConcert: '공연 등록',
    st: { HELD: '선점', CONFIRMED: '결제 완료', EXPIRED: '만료', CANCELLED: '취소', FAILED: '실패', REFUNDED: '환불', ON_SALE: '판매 중', SCHEDULED: '판매 예정', CLOSED: '판매 종료', CANCELED: '취소', PAUSED: '판매 일시 중지', CANCELLING: '공연 취소', CANCELLED_SHOW: '공연 취소' },
    shows: (n) => `${n}회 공연`, priceFrom: (min, max) => (min === max ? min : `${min} ~ ${max}`),
    soldOutCard: '매진', joinWaitlist: '대기 명단 등록', mineHeld: '내가 선점한 좌석', myHold: (seats) => `선점 중인 좌석: ${seats}`, toCheckout: '결제 계속하기',
    skipToHold: '선점 버튼으로 건너뛰기', zoomIn: '좌석 배치도 확대', zoomOut: '좌석 배치도 축소', zoom: (p) => `${p}%`, stage: '무대', confirmed: '결제 완료', seeTickets: '티켓은 내 예매에서 언제든 볼 수 있습니다.', chooseAgain: '좌석 다시 선택',
    release: '선점 취소', released: '선점을 취소했습니다.', holdOver: (st) => `이 예매는 ${st} 상태입니다.`, lateRefunded: '선점이 끝난 뒤 도착한 카드 결제는 카드로 환불되었습니다.', refundAsk: '이 예매를 취소하고 환불할까요? 되돌릴 수 없습니다.', yes: '예, 환불합니다', no: '아니요',
    minutes: (m) => (m <= 1 ? '1분 이내' : `약 ${m}분`), ahead: (n) => `(앞에 ${n.toLocaleString()}명)`, loginAgain: '다시 로그인하기', payWith: '결제 수단', performance: '공연',
    err: problemMessages, invalid: validationMessages,
  },
  en: {
    title: 'Concert tickets', concerts: 'Concerts', myReservations: 'My reservations', login: 'Log in', logout: 'Log out', signup: 'Sign up', switchLang: '한국어',
    noConcerts: 'No concerts yet.', performances: 'Performances', available: 'available', of: 'of', book: 'Choose seats', status: 'Status',
    seatMap: 'Seat map', legend: 'Legend', taken: 'Unavailable', selected: 'Selected', section: 'Section', row: 'Row', seatNo: 'Seat',
    seatAvailable: 'available', seatHeld: 'held by someone', seatSold: 'sold', seatUnavailable: 'unavailable', won: 'KRW',
    pickHint: (n) => `Pick up to ${n} seats. Move with the arrow keys; select with Space or Enter.`,
    selectedSeats: 'Selected seats', none: 'none', hold: 'Hold the selected seats', total: 'Total',
    checkout: 'Checkout', timeLeft: 'Time left', pay: 'Pay from wallet', balance: 'Wallet balance', topUp: 'Top up', topUpAmount: 'Top-up amount (KRW)',
    paid: 'Paid. See My reservations.', expired: 'Your hold expired. The seats are free again; please choose again.',
    takenLive: (s) => `Seat ${s} you selected was just taken by someone else. Please choose another seat.`,
    tooMany: (n) => `You can pick at most ${n} seats at once.`,
    ticketLimit: (limit, held) => `(limit ${limit}, you already hold or own ${held})`,
    queueTitle: 'Waiting room', position: 'Your position', estimate: 'Estimated wait', seconds: 's', waiting: 'You are in line. Keep this window open.',
    admitted: 'You are in. Taking you to the seat map…', preQueue: 'The sale has not opened; the order is drawn when it opens.',
    soldOut: 'Sold out. The wait is over.', closed: 'The sale has closed. The wait is over.', queueEnded: 'Your turn ended. Join again.', rejoin: 'Join again',
    progress: 'Progress', email: 'Email', password: 'Password', name: 'Name', cancel: 'Cancel', refund: 'Cancel and refund', amount: 'Amount',
    reserved: 'Reserved', seats: 'Seats', noReservations: 'No reservations yet.', cancelled: 'Cancelled.', loginFirst: 'Please log in.',
    signedUp: 'Account created. Please log in.',
    waitlist: 'Waiting list', waitlistJoin: 'Join the waiting list for sold-out seats', joinedWaitlist: (n) => `You are number ${n} on the waiting list. Seats that come back appear as a hold in My reservations: pay before it expires.`,
    waitEntry: (n, tier) => `${n} seat${n === 1 ? '' : 's'}${tier ? ` · ${tier}` : ''}`, waitPosition: (n) => `Number ${n} in line`, offerMade: 'Seats offered: pay for them below.', leaveWaitlist: 'Leave the list', leftWaitlist: 'You left the waiting list.',
    bestTitle: 'Best available seats', freeSeats: 'Free seats per tier', quantity: 'Seats', tier: 'Tier', anyTier: 'Any tier', bestHold: 'Hold the best seats',
    runs: (list) => `Not enough seats together. Longest run per section: ${list || 'none'}`, splitOffer: (n, parts) => `${n} seats, split (${parts})`, fewerOffer: (n) => `Only ${n} together`,
    offered: (seats, together) => `Your seats: ${seats}${together ? '' : ' (split)'}`, decline: 'Offer me other seats (once)', offerStands: 'No other seats fit, so you keep the seats offered.', tickets: 'Tickets', ticketQr: (seat) => `QR code of the ticket for seat ${seat}`, ticketSt: { VALID: 'valid', USED: 'admitted', VOID: 'void' }, dashboard: 'Sales dashboard', newConcert: 'Create a concert',
    st: { HELD: 'Held', CONFIRMED: 'Confirmed', EXPIRED: 'Expired', CANCELLED: 'Cancelled', FAILED: 'Failed', REFUNDED: 'Refunded', ON_SALE: 'On sale', SCHEDULED: 'Scheduled', CLOSED: 'Closed', CANCELED: 'Cancelled', PAUSED: 'Sale paused', CANCELLING: 'Performance cancelled', CANCELLED_SHOW: 'Performance cancelled' },
    shows: (n) => `${n} performance${n === 1 ? '' : 's'}`, priceFrom: (min, max) => (min === max ? min : `${min} – ${max}`),
    soldOutCard: 'Sold out', joinWaitlist: 'Join the waiting list', mineHeld: 'held by you', myHold: (seats) => `You hold: ${seats}`, toCheckout: 'Continue to checkout',
    skipToHold: 'Skip to checkout', zoomIn: 'Zoom in on the seat map', zoomOut: 'Zoom out of the seat map', zoom: (p) => `${p}%`, stage: 'Stage', confirmed: 'Payment complete', seeTickets: 'Your tickets are always on My reservations.', chooseAgain: 'Choose seats again',
    release: 'Release the hold', released: 'Hold released.', holdOver: (st) => `This reservation is ${st}.`, lateRefunded: 'A card payment that arrived after the hold ended was refunded to the card.', refundAsk: 'Cancel this purchase and refund it? This cannot be undone.', yes: 'Yes, refund', no: 'No',
    minutes: (m) => (m <= 1 ? 'under a minute' : `about ${m} min`), ahead: (n) => `(${n.toLocaleString()} ahead of you)`, loginAgain: 'Log in again', payWith: 'Payment method', performance: 'Performance',
    err: problemMessages, invalid: validationMessages,
  },
}[lang];

// ---------- helpers ----------
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}
const money = (n) => (lang === 'en' ? `${n.toLocaleString('en')} KRW` : `${n.toLocaleString('ko')}원`);
const when = (iso) => new Date(iso).toLocaleString(lang === 'en' ? 'en-GB' : 'ko-KR', { dateStyle: 'medium', timeStyle: 'short' });
const uuid = () => (crypto.randomUUID ? crypto.randomUUID() : [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join(''));
const errorText = (e) => {
  // Only our own sentences: a code without one gets the general one, never the API's English detail.
  const text = T.err[e?.code] ?? T.err.default;
  // TICKET_LIMIT says how many the buyer may have and already has.
  if (e?.code === 'TICKET_LIMIT' && Number.isInteger(e.problem?.limit)) return `${text} ${T.ticketLimit(e.problem.limit, e.problem.held ?? 0)}`;
  if (e?.code === 'SOLD_OUT' && Number.isInteger(e.problem?.available)) return `${text} (${T.available} ${e.problem.available})`;
  return text;
};
/** Why one field was refused (an entry of a VALIDATION_FAILED's `errors`), in the page's language. */
const fieldErrorText = (fieldError) => (T.invalid[fieldError?.reason] ?? T.invalid.default)(fieldError ?? {});

// Tier colours (app.css): the usual tier names keep theirs; any other tier gets one of four more, in
// order of first appearance, so the organiser's preview and the buyers' map colour a map alike.
const NAMED_TIERS = ['VIP', 'R', 'S', 'A', 'B'];
/** @param {Iterable<string>} tiers @returns {Map<string, string>} tier → CSS class */
function tierClasses(tiers) {
  const classes = new Map();
  let other = 0;
  for (const t of tiers) if (!classes.has(t)) classes.set(t, NAMED_TIERS.includes(t) ? `tier-${t}` : `tier-x${other++ % 4}`);
  return classes;
}

// An expired access token: trade the refresh cookie for a new session once, then ask again.
let refreshing;
function refreshSession() {
  refreshing ??= fetch('/web/session/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}', credentials: 'same-origin' })
    .then(async (res) => { if (res.ok) csrf = (await res.json()).csrfToken; return res.ok; }, () => false)
    .finally(() => setTimeout(() => { refreshing = undefined; }, 1000));
  return refreshing;
}

// A busy server answers 503 + Retry-After when it could not decide in time (the request may still
// go through) and 409 IDEMPOTENCY_IN_PROGRESS while the first attempt runs: the same request, with
// the same Idempotency-Key, is asked again until the decision is known, for up to this long.
const RETRY_FOR_MS = 30_000;

// One request; an answer that is not 2xx is thrown as { status, code, detail, problem }.
async function send(method, path, body, headers = {}, retried = false) {
  const init = { method, headers: { ...headers }, credentials: /** @type {const} */ ('same-origin') };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (method !== 'GET') {
    init.headers['x-csrf-token'] = csrf;
    if (path.startsWith('/api/')) init.headers['idempotency-key'] ??= uuid();
  }
  const giveUpAt = Date.now() + RETRY_FOR_MS;
  let res;
  let data = null;
  for (;;) {
    res = await fetch(path, init);
    const text = await res.text();
    try { data = text ? JSON.parse(text) : null; } catch { data = null; }
    const undecided = res.status === 503 || data?.code === 'IDEMPOTENCY_IN_PROGRESS';
    if (!undecided || !path.startsWith('/api/') || Date.now() >= giveUpAt) break;
    const after = Number(res.headers.get('retry-after'));
    await new Promise((resolve) => setTimeout(resolve, Math.min(5, Math.max(0.5, Number.isFinite(after) ? after : 1)) * 1000));
  }
  if (res.status === 401 && signedIn && !retried && path.startsWith('/api/') && (await refreshSession())) return send(method, path, body, init.headers, true);
  if (!res.ok) throw Object.assign(new Error(data?.detail ?? res.statusText), { status: res.status, code: data?.code ?? 'default', detail: data?.detail, problem: data });
  return data;
}

/** @param {string} operation @param {{ path?: object, query?: object, body?: unknown, headers?: object }} [request] */
function call(operation, { path = {}, query = {}, body, headers = {} } = {}) {
  const [method, template] = operation.split(' ');
  const url = template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(path[name]));
  const given = (o) => Object.entries(o).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]);
  const search = new URLSearchParams(given(query)).toString();
  return send(method, search ? `${url}?${search}` : url, body, Object.fromEntries(given(headers)));
}
/**
 * The API, its operations named as in the OpenAPI document and typed from it:
 * `api('GET /api/v1/concerts/{concertId}', { path: { concertId } })` resolves to a Schemas['Concert'].
 * (The /web/* endpoints are not in the document and use `send`.)
 */
const api = /** @type {import('./api').ApiCall} */ (call);

/**
 * Says something in the page's live region, moved next to the control just used (a form, a card, a
 * section), so the answer shows where the eye is, not at the top of a long page.
 */
function message(text, kind = 'info') {
  const box = document.getElementById('message');
  if (box) {
    const near = text ? document.activeElement?.closest('form, li.card, section, .bar') : null;
    if (near && main.contains(near) && near !== box.parentElement) near.append(box);
    box.textContent = text;
    box.className = `message ${kind}`;
  } else {
    /** @type {HTMLElement} */ (document.getElementById('toast')).textContent = text;
  }
}

/** A refusal in words; a lost session also gets the way back in (and back here afterwards). */
function showError(e) {
  message(errorText(e), 'error');
  const box = document.getElementById('message');
  if (box && (e?.code === 'UNAUTHENTICATED' || e?.code === 'TOKEN_EXPIRED')) box.append(' ', h('a', { href: loginHref() }, T.loginAgain));
}
const loginHref = () => `/login?next=${encodeURIComponent(location.pathname)}`;

/** Replaces the page's content; null stands for a part with nothing to show (as in `h`). */
function render(...nodes) {
  main.replaceChildren(...nodes.filter((n) => n !== null && n !== undefined));
}

function needLogin() {
  if (signedIn) return false;
  location.assign(loginHref());
  return true;
}

/** The waiting-room pass of a schedule, shared by this browser's tabs. */
const passKey = (scheduleId) => `queue:${scheduleId}`;
const queuePass = (scheduleId) => localStorage.getItem(passKey(scheduleId)) ?? undefined;
/** A tab without the pass (a second tab, a new browser): asking the room again returns the same token, ACTIVE if admitted. */
async function recoverPass(scheduleId) {
  const view = await api('POST /api/v1/queue/tokens', { body: { scheduleId } });
  if (view.status === 'ACTIVE') localStorage.setItem(passKey(scheduleId), view.token);
  return view.status === 'ACTIVE';
}

/**
 * Which performance a page is about: concert title, date and venue (GET /web/schedules/{id}/context,
 * once per schedule per page). Fills `el` when it arrives and returns it.
 * @typedef {{ scheduleId: number, concertId: number, title: string, artist: string, venue: string, startsAt: string, status: string }} Performance
 */
const performances = new Map();
/** @returns {Promise<Performance>} */
const performanceOf = (scheduleId) => {
  if (!performances.has(scheduleId)) performances.set(scheduleId, send('GET', `/web/schedules/${scheduleId}/context`));
  return performances.get(scheduleId);
};
function contextOf(scheduleId, attrs = { class: 'context' }) {
  const el = h('p', attrs);
  performanceOf(scheduleId).then((p) => el.replaceChildren(h('a', { href: `/concerts/${p.concertId}` }, h('strong', {}, p.title)), ` · ${when(p.startsAt)} · ${p.venue}`), () => {});
  return el;
}

// ---------- navigation ----------
function nav() {
  const items = [h('li', {}, h('a', { href: '/' }, T.concerts))];
  if (signedIn) {
    items.push(h('li', {}, h('a', { href: '/me/reservations' }, T.myReservations)));
    if (body.dataset.role === 'ADMIN') items.push(h('li', {}, h('a', { href: '/admin/concerts/new' }, T.newConcert)));
    items.push(h('li', {}, h('button', { type: 'button', id: 'logout', onclick: async () => { await send('DELETE', '/web/session').catch(() => {}); location.assign('/'); } }, T.logout)));
  } else {
    items.push(h('li', {}, h('a', { href: `/login?next=${encodeURIComponent(location.pathname)}` }, T.login)));
    items.push(h('li', {}, h('a', { href: '/signup' }, T.signup)));
  }
  items.push(h('li', {}, h('button', {
    type: 'button', lang: lang === 'en' ? 'ko' : 'en', id: 'lang-switch',
    onclick: () => { document.cookie = `lang=${lang === 'en' ? 'ko' : 'en'}; path=/; max-age=31536000; samesite=strict`; location.reload(); },
  }, T.switchLang)));
  /** @type {HTMLElement} */ (document.getElementById('nav')).replaceChildren(h('a', { href: '/', class: 'brand' }, T.title), h('ul', {}, items));
}

// ---------- pages ----------
async function concertsPage() {
  document.title = T.title;
  const { items } = await api('GET /api/v1/concerts', { query: { pageSize: 50 } });
  render(
    h('h1', {}, T.concerts),
    items.length === 0 ? h('p', {}, T.noConcerts) : h('ul', { class: 'cards' }, items.map((c) => h('li', { class: 'card' },
      h('h2', {}, h('a', { href: `/concerts/${c.id}` }, c.title)),
      h('p', {}, c.artist, ' · ', c.venue),
      concertFacts(c)))),
  );
}

/** A concert's performances (count, first and last date), price range and seats left, where it has them. @param {Schemas['Concert']} c */
function concertFacts(c) {
  const { performances: p, priceRange: r, availability: a } = c;
  return h('ul', { class: 'facts' },
    p ? h('li', {}, `${T.shows(p.count)} · ${p.firstStartsAt === p.lastStartsAt ? when(p.firstStartsAt) : `${when(p.firstStartsAt)} – ${when(p.lastStartsAt)}`}`) : null,
    r ? h('li', {}, T.priceFrom(money(r.min), money(r.max))) : null,
    a ? h('li', {}, `${T.available} ${a.available.toLocaleString()} ${T.of} ${a.total.toLocaleString()}`) : null);
}

// A performance on sale between its opening and closing times, unless paused or cancelled.
/** @param {Schemas['Schedule']} s */
function saleState(s) {
  if (s.status === 'CANCELLED') return T.st.CANCELLED_SHOW;
  if (s.status !== 'SCHEDULED') return T.st[s.status] ?? s.status;
  const now = Date.now();
  if (now < Date.parse(s.saleOpensAt)) return `${T.st.SCHEDULED} (${when(s.saleOpensAt)})`;
  return now > Date.parse(s.saleClosesAt) ? T.st.CLOSED : T.st.ON_SALE;
}

async function concertPage() {
  const [concert, { items }] = await Promise.all([api('GET /api/v1/concerts/{concertId}', { path: { concertId: pageId } }), api('GET /api/v1/concerts/{concertId}/schedules', { path: { concertId: pageId } })]);
  document.title = `${concert.title} · ${T.title}`;
  // Seats left over the performances on sale only: a paused one's seats are not for sale now.
  const onSale = items.filter((s) => saleState(s) === T.st.ON_SALE);
  const left = onSale.reduce((n, s) => n + s.seats.available, 0);
  render(
    h('h1', {}, concert.title),
    h('p', {}, concert.artist, ' · ', concert.venue),
    concert.description ? h('p', {}, concert.description) : null,
    concertFacts({ ...concert, availability: onSale.length ? { available: left, total: onSale.reduce((n, s) => n + s.seats.total, 0) } : null }),
    h('h2', {}, T.performances),
    h('ul', { class: 'cards' }, items.map((s) => {
      const state = saleState(s);
      const soldOut = state === T.st.ON_SALE && s.seats.available === 0;
      return h('li', { class: 'card', 'data-schedule': s.id, 'data-status': soldOut ? 'SOLD_OUT' : s.status },
        h('h3', {}, when(s.startsAt)),
        h('p', {}, `${T.status}: `, h('strong', {}, soldOut ? T.soldOutCard : state)),
        h('p', {}, `${T.available} ${s.seats.available.toLocaleString()} ${T.of} ${s.seats.total.toLocaleString()}`),
        // Sold out: the waiting list in one click; a paused or cancelled performance offers no way in.
        soldOut ? joinWaitlistButton(s.id) : s.status === 'SCHEDULED' && state === T.st.ON_SALE ? h('a', { class: 'button', href: `/schedules/${s.id}/queue` }, T.book) : null,
        body.dataset.role === 'ADMIN' ? h('p', {}, h('a', { href: `/admin/schedules/${s.id}` }, T.dashboard)) : null);
    })),
  );
}

/** One click onto a sold-out performance's waiting list (one seat, any tier); the answer beside the button. */
function joinWaitlistButton(scheduleId) {
  const said = h('p', { role: 'status' });
  const button = h('button', { type: 'button', class: 'primary waitlist', onclick: async () => {
    if (needLogin()) return;
    button.disabled = true;
    try {
      const entry = await api('POST /api/v1/waitlist', { body: { scheduleId, quantity: 1 } });
      said.className = 'message success';
      said.textContent = T.joinedWaitlist(entry.position);
    } catch (e) {
      said.className = 'message error';
      said.textContent = errorText(e);
      button.disabled = false;
    }
  } }, T.joinWaitlist);
  return h('div', {}, button, said);
}

// The seat map: pick, hold, then on to the checkout's own address (/checkout/{id}).
async function seatsPage() {
  const scheduleId = pageId;
  const [map, mine] = await Promise.all([
    api('GET /api/v1/schedules/{scheduleId}/seats', { path: { scheduleId } }),
    signedIn ? myHolds(scheduleId) : [],
  ]);
  if (!('items' in map)) throw new Error('expected the full seat map');
  const maxSeats = Number(body.dataset.maxSeats) || 4; // the schedule's cap, from the page
  document.title = `${T.seatMap} · ${T.title}`;
  /** @type {Map<number, Schemas['Seat']>} */
  const seats = new Map(map.items.map((s) => [s.id, s]));
  const buttons = new Map();
  const selected = new Set();
  // Seats this buyer holds already (a checkout left open): shown as theirs, with the way back to it.
  const myHeld = new Set(mine.flatMap((r) => r.seats.map((x) => x.seatId)));
  const queueToken = () => queuePass(scheduleId);
  // Keyed by the Seat schema's status enum (booking's one list, api.d.ts): a status added there
  // later reads "unavailable" here, and its button is disabled like any seat not AVAILABLE.
  const seatStateText = { AVAILABLE: T.seatAvailable, HELD: T.seatHeld, SOLD: T.seatSold };
  const stateText = (s) => (myHeld.has(s.id) ? T.mineHeld : seatStateText[s.status] ?? T.seatUnavailable);

  const paint = (s) => {
    const b = buttons.get(s.id);
    const picked = selected.has(s.id);
    b.disabled = s.status !== 'AVAILABLE' && !picked;
    b.dataset.status = s.status;
    if (myHeld.has(s.id)) b.dataset.mine = 'true';
    b.setAttribute('aria-pressed', String(picked));
    // The visible number starts the accessible name; the rest is read out but not shown.
    b.lastChild.textContent = ` ${seatName(s)}, ${s.tier}, ${money(s.price)}, ${picked ? T.selected : stateText(s)}`;
  };
  const summary = h('p', { id: 'selection', 'aria-live': 'polite' });
  const holdButton = h('button', { type: 'button', id: 'hold', class: 'primary', disabled: true, onclick: () => hold() }, T.hold);
  const updateSummary = () => {
    const list = [...selected].map((id) => /** @type {Schemas['Seat']} */ (seats.get(id)));
    summary.textContent = `${T.selectedSeats}: ${list.length ? list.map(seatName).join(', ') : T.none}${list.length ? ` · ${T.total} ${money(list.reduce((a, s) => a + s.price, 0))}` : ''}`;
    holdButton.disabled = list.length === 0;
  };
  const toggle = (id) => {
    const s = /** @type {Schemas['Seat']} */ (seats.get(id));
    if (selected.has(id)) selected.delete(id);
    else if (s.status !== 'AVAILABLE') return;
    else if (selected.size >= maxSeats) return message(T.tooMany(maxSeats), 'error');
    else selected.add(id);
    paint(s);
    updateSummary();
  };

  // Rows of seats, grouped by section, under the stage.
  const bySection = new Map();
  for (const s of map.items) {
    const rows = bySection.get(s.section) ?? new Map();
    bySection.set(s.section, rows);
    const row = rows.get(s.row) ?? [];
    rows.set(s.row, row);
    row.push(s);
  }
  const tierClass = tierClasses(map.items.map((s) => s.tier));
  /** @type {HTMLButtonElement[][]} */
  const grid = [];
  const sectionEls = [];
  for (const [section, rows] of bySection) {
    const rowEls = [];
    for (const [row, list] of rows) {
      list.sort((a, b) => a.number - b.number);
      const line = list.map((s) => {
        const b = h('button', { type: 'button', class: `seat ${tierClass.get(s.tier)}`, 'data-seat': s.id, tabindex: -1, onclick: () => toggle(s.id) }, String(s.number), h('span', { class: 'sr-only' }));
        buttons.set(s.id, b);
        paint(s);
        return b;
      });
      grid.push(line);
      rowEls.push(h('div', { class: 'seat-row', role: 'group', 'aria-label': lang === 'en' ? `${T.section} ${section}, ${T.row} ${row}` : `${section}구역 ${row}열` },
        h('span', { class: 'row-label', 'aria-hidden': 'true' }, `${section}-${row}`), line));
    }
    sectionEls.push(h('div', { class: 'section', id: `section-${section}`, 'data-section': section }, rowEls));
  }
  // The overview: the stage, and one jump per section (a big map scrolls to it).
  const overview = bySection.size > 1 ? h('nav', { class: 'sections', 'aria-label': T.section },
    [...bySection.keys()].map((name) => h('a', { href: `#section-${name}` }, lang === 'en' ? `${T.section} ${name}` : `${name}구역`))) : null;
  const mapEl = h('div', { class: 'seat-map', id: 'seat-map' }, h('div', { class: 'stage', 'aria-hidden': 'true' }, T.stage), sectionEls);
  const zoomControls = seatMapZoom(mapEl);
  // One tab stop for the whole map (the last seat focused, else the first free one); the arrows
  // move over taken seats to the next free one, so Tab leaves the map for the hold button at once.
  const focusable = (b) => b && !b.disabled;
  const rove = (b) => { for (const x of buttons.values()) x.tabIndex = -1; b.tabIndex = 0; };
  const firstFree = grid.flat().find(focusable);
  if (firstFree) rove(firstFree);
  mapEl.addEventListener('focusin', (e) => { if (e.target instanceof HTMLButtonElement && e.target.classList.contains('seat')) rove(e.target); });
  mapEl.addEventListener('keydown', (e) => {
    const r = grid.findIndex((line) => line.includes(/** @type {HTMLButtonElement} */ (document.activeElement)));
    if (r < 0) return;
    const c = grid[r].indexOf(/** @type {HTMLButtonElement} */ (document.activeElement));
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: 1, ArrowUp: -1 }[e.key];
    if (!step) return;
    e.preventDefault();
    let next;
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      for (let i = c + step; i >= 0 && i < grid[r].length && !next; i += step) if (focusable(grid[r][i])) next = grid[r][i];
    } else {
      // The nearest free seat of the next row that has one.
      for (let i = r + step; i >= 0 && i < grid.length && !next; i += step) {
        const free = grid[i].filter(focusable).sort((x, y) => Math.abs(grid[i].indexOf(x) - c) - Math.abs(grid[i].indexOf(y) - c));
        next = free[0];
      }
    }
    next?.focus();
  });

  const tiers = [...new Map(map.items.map((s) => [s.tier, s.price])).entries()];
  const legend = h('section', { 'aria-labelledby': 'legend-title', class: 'legend' },
    h('h2', { id: 'legend-title' }, T.legend),
    h('ul', {},
      tiers.map(([tier, price]) => h('li', {}, h('span', { class: `swatch ${tierClass.get(tier)}`, 'aria-hidden': 'true' }), `${tier} · ${money(price)}`)),
      h('li', {}, h('span', { class: 'swatch selected', 'aria-hidden': 'true' }), T.selected),
      myHeld.size ? h('li', {}, h('span', { class: 'swatch mine', 'aria-hidden': 'true' }), T.mineHeld) : null,
      h('li', {}, h('span', { class: 'swatch taken', 'aria-hidden': 'true' }), T.taken)));
  const soldOut = map.items.every((s) => s.status !== 'AVAILABLE' || myHeld.has(s.id));
  const waitlist = waitlistForm(scheduleId, tiers.map(([tier]) => tier), maxSeats);
  if (soldOut) waitlist.setAttribute('open', '');
  render(
    h('h1', {}, T.seatMap),
    contextOf(scheduleId, { id: 'context', class: 'context' }),
    h('div', { id: 'message', role: 'alert' }),
    mine.length ? h('p', { id: 'my-hold', class: 'message success' }, mine.map((r) => h('span', {}, `${T.myHold(r.seats.map(seatName).join(', '))} `, h('a', { href: `/checkout/${r.id}` }, T.toCheckout)))) : null,
    soldOut ? h('p', { class: 'message error' }, T.soldOutCard) : null,
    h('p', { id: 'hint' }, T.pickHint(maxSeats), ' ', h('a', { href: '#hold' }, T.skipToHold)),
    bestAvailableForm({ scheduleId, tiers: tiers.map(([tier]) => tier), maxSeats, queueToken, onHeld: toCheckout }),
    waitlist,
    legend,
    h('div', { class: 'map-tools' }, overview, zoomControls),
    mapEl,
    h('div', { class: 'bar' }, summary, holdButton),
  );
  updateSummary();

  // Seats this page itself is claiming, or claimed in a hold the server refused (ticket limit, paused
  // sale): the server claims seats before it checks the rest, so the stream may show them HELD for a
  // moment. That echo of our own attempt is not someone else taking them; it fades after a few seconds.
  const ownClaim = new Set();
  let ownClaimFades = 0;
  const claimOwn = (ids) => {
    clearTimeout(ownClaimFades);
    ownClaim.clear();
    for (const id of ids) ownClaim.add(id);
    ownClaimFades = setTimeout(() => {
      ownClaim.clear();
      if (holdButton.isConnected) dropTaken();
    }, 5_000);
  };
  // Selected seats the stream shows taken leave the selection, and the buyer is told which.
  const dropTaken = () => {
    const lost = [];
    for (const id of selected) {
      const s = /** @type {Schemas['Seat']} */ (seats.get(id));
      if (s.status === 'AVAILABLE' || ownClaim.has(id)) continue;
      selected.delete(id);
      paint(s);
      lost.push(seatName(s));
    }
    if (lost.length) {
      message(T.takenLive(lost.join(', ')), 'error');
      updateSummary();
    }
  };

  // Live statuses: a seat someone else takes turns unavailable here without a reload.
  const live = new EventSource(`/web/schedules/${scheduleId}/seats/stream`);
  live.addEventListener('seats', (e) => {
    // /web/schedules/{id}/seats/stream (not in the API document): [seat id, status] pairs.
    for (const [id, status] of /** @type {Array<[number, Schemas['Seat']['status']]>} */ (JSON.parse(e.data))) {
      const s = seats.get(id);
      if (!s) continue;
      s.status = status;
      if (status === 'AVAILABLE') myHeld.delete(id);
      paint(s);
    }
    dropTaken();
  });

  async function hold() {
    if (needLogin()) return;
    holdButton.disabled = true;
    claimOwn(selected);
    try {
      toCheckout(await api('POST /api/v1/reservations', { body: { scheduleId, seatIds: [...selected] }, headers: { 'x-queue-token': queueToken() } }));
    } catch (e) {
      if (e.code === 'QUEUE_TOKEN_REQUIRED' || e.code === 'QUEUE_TOKEN_INVALID' || e.code === 'QUEUE_NOT_ACTIVE') {
        location.assign(`/schedules/${scheduleId}/queue`);
        return;
      }
      if (e.code === 'SEAT_UNAVAILABLE') {
        for (const id of e.problem?.unavailableSeatIds ?? e.problem?.seatIds ?? []) {
          selected.delete(id);
          const s = seats.get(id);
          if (s) { s.status = 'HELD'; paint(s); }
        }
      }
      showError(e);
      updateSummary();
    }
  }
}

/**
 * Zoom and pan for the seat map: the map scrolls inside its own box (one finger drags it, natively),
 * two fingers pinch its scale (and Ctrl + wheel, a trackpad's pinch), keeping the point between the
 * fingers in place; + and - buttons do the same for a mouse, a keyboard or a single finger. The scale
 * grows seats from their 32 px floor and never shrinks them below it (the section links give the
 * overview instead), and the page itself never zooms or scrolls sideways.
 * @param {HTMLElement} map @returns {HTMLElement} the zoom buttons
 */
function seatMapZoom(map) {
  const MIN = 1;
  const MAX = 3;
  let zoom = MIN;
  const label = h('span', { class: 'zoom-level', 'aria-live': 'polite' }, T.zoom(100));
  const setZoom = (wanted, at) => {
    const next = Math.round(Math.min(MAX, Math.max(MIN, wanted)) * 100) / 100;
    if (next === zoom) return;
    const box = map.getBoundingClientRect();
    const fx = (at?.x ?? box.left + box.width / 2) - box.left;
    const fy = (at?.y ?? box.top + box.height / 2) - box.top;
    const [x, y] = [map.scrollLeft + fx, map.scrollTop + fy];
    const ratio = next / zoom;
    zoom = next;
    map.style.setProperty('--zoom', String(zoom));
    map.dataset.zoom = String(zoom);
    map.scrollLeft = x * ratio - fx;
    map.scrollTop = y * ratio - fy;
    out.disabled = zoom <= MIN;
    inn.disabled = zoom >= MAX;
    label.textContent = T.zoom(Math.round(zoom * 100));
  };
  const out = h('button', { type: 'button', class: 'secondary zoom', 'aria-label': T.zoomOut, disabled: true, onclick: () => setZoom(zoom / 1.25) }, '−');
  const inn = h('button', { type: 'button', class: 'secondary zoom', 'aria-label': T.zoomIn, onclick: () => setZoom(zoom * 1.25) }, '+');

  // Two fingers: the distance between them sets the scale (one layout per frame); one finger scrolls the box.
  let pinch = null;
  let frame = 0;
  const spread = (t) => Math.hypot(t[0].clientX - t[1].clientX, t[0].clientY - t[1].clientY);
  map.addEventListener('touchstart', (e) => {
    if (e.touches.length !== 2) return;
    e.preventDefault();
    pinch = { from: spread(e.touches), zoom };
  }, { passive: false });
  map.addEventListener('touchmove', (e) => {
    if (!pinch || e.touches.length !== 2) return;
    e.preventDefault();
    const [a, b] = [e.touches[0], e.touches[1]];
    const wanted = (pinch.zoom * spread(e.touches)) / pinch.from;
    const at = { x: (a.clientX + b.clientX) / 2, y: (a.clientY + b.clientY) / 2 };
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => setZoom(wanted, at));
  }, { passive: false });
  map.addEventListener('touchend', (e) => { if (e.touches.length < 2) pinch = null; });
  map.addEventListener('touchcancel', () => { pinch = null; });
  map.addEventListener('wheel', (e) => {
    if (!e.ctrlKey) return;
    e.preventDefault();
    setZoom(zoom * Math.exp(-e.deltaY / 200), { x: e.clientX, y: e.clientY });
  }, { passive: false });
  return h('div', { class: 'zoom-controls' }, out, label, inn);
}

/** A card payment that landed after the hold closed was refunded (docs/payments.md, late payments). */
const lateRefund = () => h('p', { class: 'late-refund message info' }, T.lateRefunded);

const seatName = (s) => (lang === 'en' ? `${s.section}-${s.row}-${s.number}` : `${s.section}구역 ${s.row}열 ${s.number}번`);

/** This buyer's live holds on a schedule, with their seats. @returns {Promise<Schemas['Reservation'][]>} */
async function myHolds(scheduleId) {
  const { items } = await api('GET /api/v1/reservations', { query: { pageSize: 20 } });
  const held = items.filter((r) => r.status === 'HELD' && r.scheduleId === scheduleId && Date.parse(r.expiresAt) > Date.now());
  return Promise.all(held.map((r) => api('GET /api/v1/reservations/{reservationId}', { path: { reservationId: r.id } })));
}

/** A hold the API granted, by seat picking or best available: its checkout has an address of its own. */
function toCheckout(r) {
  if ('together' in r) sessionStorage.setItem(`offer:${r.id}`, JSON.stringify({ together: r.together !== false, declinable: true }));
  location.assign(`/checkout/${r.id}`);
}

/**
 * Ways to pay on the checkout. Each draws its own part and calls `paid()` when the API confirmed the
 * payment; the card form (card-payment.js, loaded before this module on the checkout) adds itself
 * through `window.checkoutPaymentMethods`, and gets `api` so it calls the API as this page does.
 * @typedef {{ id: string, label: string, mount: (r: Schemas['Reservation'], done: { paid: () => void, pass: () => Promise<string | undefined>, api: typeof api, errorText: typeof errorText }) => Promise<Node> }} PaymentMethod
 * @type {PaymentMethod[]}
 */
const paymentMethods = [{ id: 'wallet', label: T.pay, mount: walletPayment }, .../** @type {any} */ (window).checkoutPaymentMethods ?? []];

/** The wallet: its balance, a top-up when short, and the pay button. */
async function walletPayment(r, { paid, pass }) {
  const wallet = await api('GET /api/v1/wallet').catch(() => ({ balance: 0 }));
  const balance = h('p', { id: 'balance' }, `${T.balance}: ${money(wallet.balance)}`);
  const topUpInput = h('input', { id: 'topup-amount', type: 'number', min: 1, step: 1, value: Math.max(0, r.amount - wallet.balance) || r.amount, inputmode: 'numeric' });
  const topUp = h('form', { id: 'topup', class: 'inline', hidden: wallet.balance >= r.amount, onsubmit: async (e) => {
    e.preventDefault();
    try {
      const res = await api('POST /api/v1/wallet/charges', { body: { amount: Number(topUpInput.value) } });
      balance.textContent = `${T.balance}: ${money(res.balance)}`;
      topUp.hidden = res.balance >= r.amount;
      message('');
    } catch (err) { showError(err); }
  } }, h('label', { for: 'topup-amount' }, T.topUpAmount), topUpInput, h('button', { type: 'submit' }, T.topUp));
  const payButton = h('button', { type: 'button', id: 'pay', class: 'primary', onclick: async () => {
    payButton.disabled = true;
    try {
      await api('POST /api/v1/reservations/{reservationId}/payment', { path: { reservationId: r.id }, headers: { 'x-queue-token': await pass() } });
      paid();
    } catch (err) {
      if (err.code === 'INSUFFICIENT_BALANCE') topUp.hidden = false;
      // Paid or ended meanwhile (another tab): the checkout redraws from the server.
      if (err.code === 'ALREADY_PAID' || err.code === 'RESERVATION_EXPIRED' || err.code === 'RESERVATION_NOT_PAYABLE') return paid();
      showError(err);
      payButton.disabled = false;
    }
  } }, `${T.pay} (${money(r.amount)})`);
  return h('div', { class: 'payment', 'data-method': 'wallet' }, balance, topUp, h('div', { class: 'bar' }, payButton));
}

/**
 * The checkout at /checkout/{reservationId}, drawn from the server every time (the hold, its seats,
 * the time left, whether it is paid), so a reload, Back, a second tab or a new login finds it again.
 * Paid: the confirmation with the tickets. Expired or cancelled: says so, with the way back to the map.
 */
async function checkoutPage() {
  if (needLogin()) return;
  const reservationId = body.dataset.id ?? '';
  const load = () => api('GET /api/v1/reservations/{reservationId}', { path: { reservationId } });
  let r = await load();
  document.title = `${T.checkout} · ${T.title}`;
  const checkout = h('section', { id: 'checkout', 'aria-labelledby': 'checkout-title' });
  render(h('h1', { id: 'checkout-title' }, T.checkout), contextOf(r.scheduleId, { id: 'context', class: 'context' }), h('div', { id: 'message', role: 'alert' }), checkout);
  const seatList = () => h('ul', { class: 'seats' }, r.seats.map((s) => h('li', {}, `${seatName(s)} · ${s.tier ?? ''} · ${money(s.price)}`)));
  /** The pass to pay with: this browser's, or asked again from the waiting room (another tab, another browser). */
  const pass = async () => queuePass(r.scheduleId) ?? ((await recoverPass(r.scheduleId).catch(() => false)) ? queuePass(r.scheduleId) : undefined);
  let timer;
  let shown = '';
  const draw = async () => {
    if (shown === r.status) return;
    shown = r.status;
    clearInterval(timer);
    if (r.status === 'HELD') return drawHold();
    if (r.status === 'CONFIRMED') return drawConfirmation();
    checkout.replaceChildren(seatList(), h('p', {}, h('a', { class: 'button', href: `/schedules/${r.scheduleId}` }, T.chooseAgain)));
    message(r.status === 'EXPIRED' ? T.expired : T.holdOver(T.st[r.status] ?? r.status), 'error');
    if (r.payment?.status === 'LATE_REFUNDED') checkout.append(lateRefund());
  };
  const refresh = async () => {
    r = await load().catch(() => r);
    await draw();
  };
  async function drawHold() {
    const countdown = h('p', { id: 'countdown', role: 'timer', 'aria-atomic': 'true' });
    const offer = JSON.parse(sessionStorage.getItem(`offer:${r.id}`) ?? 'null');
    const release = h('button', { type: 'button', class: 'secondary', onclick: async () => {
      release.disabled = true;
      try { await api('DELETE /api/v1/reservations/{reservationId}', { path: { reservationId: r.id } }); message(T.released, 'success'); await refresh(); } catch (e) { showError(e); release.disabled = false; }
    } }, T.release);
    const done = { paid: () => { void refresh(); }, pass, api, errorText };
    const methods = await Promise.all(paymentMethods.map(async (m) => h('section', { class: 'method', 'aria-label': m.label }, await m.mount(r, done))));
    checkout.replaceChildren(
      seatList(),
      offer ? bestOffer(r, offer, pass) : '',
      h('p', {}, `${T.total}: `, h('strong', {}, money(r.amount))),
      h('div', { class: 'bar timer' }, countdown),
      ...methods,
      h('p', {}, h('a', { href: `/schedules/${r.scheduleId}` }, T.seatMap), ' ', release),
    );
    const end = Date.parse(r.expiresAt);
    const tick = () => {
      const left = Math.max(0, Math.ceil((end - Date.now()) / 1000));
      countdown.textContent = `${T.timeLeft} ${Math.floor(left / 60)}:${String(left % 60).padStart(2, '0')}`;
      if (left === 0) { clearInterval(timer); void eventuallyEnded(); }
    };
    tick();
    timer = setInterval(tick, 1000);
    /** @type {HTMLElement | null} */ (checkout.querySelector('#pay'))?.focus();
  }
  // The countdown is over: the workflow expires the hold; ask until it has.
  async function eventuallyEnded() {
    for (let i = 0; i < 30 && r.status === 'HELD'; i++) {
      await refresh();
      if (r.status === 'HELD') await new Promise((ok) => setTimeout(ok, 1000));
    }
  }
  function drawConfirmation() {
    localStorage.removeItem(passKey(r.scheduleId)); // paying ends the pass
    message(T.paid, 'success');
    checkout.replaceChildren(h('section', { id: 'confirmation', 'aria-labelledby': 'confirmation-title' },
      h('h2', { id: 'confirmation-title' }, T.confirmed), seatList(),
      h('p', {}, `${T.amount}: ${money(r.amount)}`),
      ticketsOf(r),
      r.payment?.status === 'LATE_REFUNDED' ? lateRefund() : '',
      h('p', {}, T.seeTickets, ' ', h('a', { href: '/me/reservations', id: 'to-reservations' }, T.myReservations))));
  }
  await draw();
  // Another tab may pay or release the same hold: look again now and then, and when this tab is shown.
  setInterval(() => { if (r.status === 'HELD') void refresh(); }, 5000);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) void refresh(); });
}

async function queuePage() {
  if (needLogin()) return;
  const scheduleId = pageId;
  document.title = `${T.queueTitle} · ${T.title}`;
  const position = h('p', { id: 'position' });
  const estimate = h('p', { id: 'estimate' });
  const bar = h('progress', { id: 'queue-progress', max: 100, value: 0, 'aria-label': T.progress });
  const state = h('p', { id: 'queue-state', role: 'status' }, T.waiting);
  render(h('h1', {}, T.queueTitle), contextOf(scheduleId, { id: 'context', class: 'context' }), h('div', { id: 'message', role: 'alert' }), state, position, estimate, bar);
  let first;
  let stream;
  /** @param {Schemas['QueueToken']} v */
  const show = (v) => {
    if (v.status === 'ACTIVE') {
      stream?.close();
      localStorage.setItem(passKey(scheduleId), v.token);
      bar.value = 100;
      state.textContent = T.admitted;
      // The waiting room is a transit step: replaced, so Back from the seat map goes to the concert.
      location.replace(`/schedules/${scheduleId}`);
      return;
    }
    if (v.status === 'EXPIRED') {
      stream?.close();
      position.textContent = '';
      estimate.textContent = '';
      const text = v.reason === 'SOLD_OUT' ? T.soldOut : v.reason === 'CLOSED' ? T.closed : T.queueEnded;
      state.textContent = text;
      message(text, 'error');
      if (v.reason !== 'SOLD_OUT' && v.reason !== 'CLOSED') main.append(h('button', { type: 'button', onclick: () => location.reload() }, T.rejoin));
      return;
    }
    if (v.position === null) {
      state.textContent = v.opensAt ? T.preQueue : T.waiting;
      return;
    }
    first ??= v.position;
    position.textContent = `${T.position}: ${v.position.toLocaleString()} ${T.ahead(v.position - 1)}`;
    estimate.textContent = v.estimatedWaitSeconds === null ? '' : `${T.estimate}: ${T.minutes(Math.ceil(v.estimatedWaitSeconds / 60))}`;
    // How much of the line ahead at joining has gone: 0 until someone moves.
    bar.value = first > 1 ? Math.round(((first - v.position) / (first - 1)) * 100) : 0;
  };
  try {
    const view = await api('POST /api/v1/queue/tokens', { body: { scheduleId } });
    show(view);
    if (view.status !== 'WAITING') return;
    const open = () => {
      stream = new EventSource(`/api/v1/queue/tokens/current/stream?token=${encodeURIComponent(view.token)}`);
      /** @typedef {import('./api').Events<'GET /api/v1/queue/tokens/current/stream'>} QueueEvents */
      stream.addEventListener('status', (e) => show(/** @type {QueueEvents['status']} */ (JSON.parse(e.data))));
      // Refused (the session expired): refresh it and listen again; other drops reconnect by themselves.
      stream.onerror = async () => { if (stream.readyState === EventSource.CLOSED && (await refreshSession())) open(); };
    };
    open();
  } catch (e) {
    showError(e);
  }
}

async function reservationsPage() {
  if (needLogin()) return;
  document.title = `${T.myReservations} · ${T.title}`;
  const { items } = await api('GET /api/v1/reservations', { query: { pageSize: 50 } });
  const rows = await Promise.all(items.map((r) => api('GET /api/v1/reservations/{reservationId}', { path: { reservationId: r.id } })));
  const { items: entries } = await api('GET /api/v1/waitlist');
  const live = entries.filter((e) => e.status === 'WAITING' || e.status === 'OFFERED');
  render(
    h('h1', {}, T.myReservations),
    h('div', { id: 'message', role: 'alert' }),
    live.length ? h('section', { 'aria-labelledby': 'waitlist-title' }, h('h2', { id: 'waitlist-title' }, T.waitlist), h('ul', { class: 'cards', id: 'waitlist' }, live.map((e) => {
      const leave = h('button', { type: 'button', onclick: async () => {
        leave.disabled = true;
        try { await api('DELETE /api/v1/waitlist/{entryId}', { path: { entryId: e.id } }); leave.closest('li')?.remove(); message(T.leftWaitlist, 'success'); } catch (err) { showError(err); leave.disabled = false; }
      } }, T.leaveWaitlist);
      return h('li', { class: 'card', 'data-entry': e.id, 'data-status': e.status }, contextOf(e.scheduleId), h('p', {}, T.waitEntry(e.quantity, e.tier)),
        h('p', { class: 'status' }, e.status === 'OFFERED' ? T.offerMade : T.waitPosition(e.position)), leave);
    }))) : null,
    rows.length === 0 ? h('p', {}, T.noReservations) : h('ul', { class: 'cards', id: 'reservations' }, rows.map((r) => {
      const status = h('p', { class: 'status' }, `${T.status}: ${T.st[r.status] ?? r.status}`);
      const doCancel = async () => {
        cancel.disabled = true;
        try {
          const after = await api('DELETE /api/v1/reservations/{reservationId}', { path: { reservationId: r.id } });
          status.textContent = `${T.status}: ${T.st[after.status] ?? after.status}`;
          card.querySelector('.tickets')?.remove(); // refunded: its tickets are void
          card.querySelector('.confirm')?.remove();
          cancel.remove();
          message(T.cancelled, 'success');
        } catch (e) { showError(e); cancel.disabled = false; }
      };
      // A refund asks first (nothing is sent before yes); letting a hold go does not.
      const ask = () => {
        if (card.querySelector('.confirm')) return;
        const no = h('button', { type: 'button', class: 'secondary', onclick: () => { box.remove(); cancel.focus(); } }, T.no);
        const box = h('div', { class: 'confirm', role: 'group', 'aria-label': T.refund }, h('p', {}, T.refundAsk),
          h('button', { type: 'button', class: 'danger confirm-yes', onclick: () => { box.remove(); void doCancel(); } }, T.yes), no);
        cancel.after(box);
        no.focus();
      };
      const cancel = r.status === 'HELD' || r.status === 'CONFIRMED'
        ? h('button', { type: 'button', class: 'secondary', onclick: r.status === 'CONFIRMED' ? ask : doCancel }, r.status === 'CONFIRMED' ? T.refund : T.cancel)
        : null;
      // A hold can be paid here too: a waiting-list offer needs no waiting-room pass; a hold made on the seat page sends its pass.
      const pay = r.status === 'HELD' ? h('button', { type: 'button', class: 'primary', onclick: async () => {
        pay.disabled = true;
        try {
          await api('POST /api/v1/reservations/{reservationId}/payment', { path: { reservationId: r.id }, headers: { 'x-queue-token': queuePass(r.scheduleId) } });
          location.reload();
        } catch (e) { showError(e); pay.disabled = false; }
      } }, `${T.pay} (${money(r.amount)} · ${when(r.expiresAt)})`) : null;
      // The list does not carry payments: a closed reservation asks whether a late card payment was refunded.
      if (r.status === 'EXPIRED' || r.status === 'CANCELLED') void api('GET /api/v1/reservations/{reservationId}', { path: { reservationId: r.id } }).then((d) => { if (d.payment?.status === 'LATE_REFUNDED') card.append(lateRefund()); }, () => undefined);
      const card = h('li', { class: 'card', 'data-reservation': r.id, 'data-status': r.status },
        contextOf(r.scheduleId),
        h('h2', {}, r.seats.map((s) => `${s.section}-${s.row}-${s.number}`).join(', ')),
        status,
        h('p', {}, `${T.amount}: ${money(r.amount)} · ${T.reserved}: ${when(r.createdAt)}`),
        r.status === 'CONFIRMED' ? ticketsOf(r) : null,
        r.status === 'HELD' ? h('p', {}, h('a', { href: `/checkout/${r.id}` }, T.toCheckout)) : null,
        pay, cancel);
      return card;
    })),
  );
  watchForOffers(live.filter((e) => e.status === 'WAITING').map((e) => e.id));
}

/** @type {EventSource | undefined} */
let offerStream;
/** While entries wait, a seat offered to one of them (WaitlistOfferMade on the buyer's stream) redraws the page with the offer. */
function watchForOffers(waiting) {
  offerStream?.close();
  if (waiting.length === 0) return;
  const stream = new EventSource('/api/v1/events/stream');
  offerStream = stream;
  const redraw = () => { stream.close(); void reservationsPage(); };
  // A live stream does not replay what came before it: look once more when it is ready.
  stream.addEventListener('ready', async () => {
    const { items } = await api('GET /api/v1/waitlist');
    if (items.some((e) => waiting.includes(e.id) && e.status !== 'WAITING')) redraw();
  });
  stream.addEventListener('WaitlistOfferMade', redraw);
}

function formField(id, label, attrs) {
  return h('p', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, required: true, ...attrs }));
}

function loginPage() {
  document.title = `${T.login} · ${T.title}`;
  const form = h('form', { id: 'login-form', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await send('POST', '/web/session', { email: form.email.value, password: form.password.value });
      const next = new URLSearchParams(location.search).get('next');
      location.assign(next && next.startsWith('/') && !next.startsWith('//') ? next : '/');
    } catch (err) { showError(err); }
  } },
  formField('email', T.email, { type: 'email', autocomplete: 'username' }),
  formField('password', T.password, { type: 'password', autocomplete: 'current-password' }),
  h('button', { type: 'submit', class: 'primary' }, T.login));
  render(h('h1', {}, T.login), h('div', { id: 'message', role: 'alert' }), form, h('p', {}, h('a', { href: '/signup' }, T.signup)));
}

function signupPage() {
  document.title = `${T.signup} · ${T.title}`;
  const form = h('form', { id: 'signup-form', onsubmit: async (e) => {
    e.preventDefault();
    try {
      await api('POST /api/v1/auth/signup', { body: { email: form.email.value, password: form.password.value, name: form.name.value } });
      location.assign('/login?signedUp=1');
    } catch (err) { showError(err); }
  } },
  formField('name', T.name, { autocomplete: 'name', maxlength: 100 }),
  formField('email', T.email, { type: 'email', autocomplete: 'username' }),
  formField('password', T.password, { type: 'password', autocomplete: 'new-password', minlength: 10 }),
  h('button', { type: 'submit', class: 'primary' }, T.signup));
  render(h('h1', {}, T.signup), h('div', { id: 'message', role: 'alert' }), form);
}

// ---------- places for what other capabilities bring next ----------
// Each returns the UI to put in its page, or null while the API it needs does not exist: no page
// shows a control that cannot work yet. Fill them in when the API lands (and run npm run web:types,
// so these calls are type-checked against it).

/**
 * Best available (issue 16), above the seat map: a quantity and a tier instead of picking seats, the
 * free seats per tier (GET …/availability, refreshed every 5 s and after each try), and what to do
 * when the API refuses: no run of that many together (409 NO_SEATS_TOGETHER) offers the split the
 * largest runs allow ("3 + 1", asked again with together: false) or fewer seats together; an offer
 * may be declined once for the next best seats. `onHeld` opens the same checkout as a picked hold.
 * @param {{ scheduleId: number, tiers: string[], maxSeats: number, queueToken: () => string | undefined, onHeld: (r: Schemas['HeldReservation']) => void }} seatPage
 * @returns {Node}
 */
function bestAvailableForm({ scheduleId, tiers, maxSeats, queueToken, onHeld }) {
  const counts = h('ul', { id: 'availability', class: 'facts', 'aria-label': T.freeSeats });
  const quantity = h('select', { id: 'best-quantity' }, Array.from({ length: maxSeats }, (_, i) => h('option', { value: i + 1 }, String(i + 1))));
  const tier = h('select', { id: 'best-tier' }, h('option', { value: '' }, T.anyTier), tiers.map((t) => h('option', { value: t }, t)));
  const offer = h('div', { id: 'best-offer', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, T.bestHold);
  const refresh = () => api('GET /api/v1/schedules/{scheduleId}/availability', { path: { scheduleId } })
    .then((a) => counts.replaceChildren(...a.tiers.map((t) => h('li', {}, `${t.tier} ${t.free.toLocaleString()} ${T.of} ${t.total.toLocaleString()}`))), () => {});
  // The offer's label ("3 + 1"): each section's longest run, longest first, then the rest anywhere
  // (the API names one run per section; enough seats are free, or it would have said SOLD_OUT).
  const split = (runs, n) => {
    const parts = [];
    for (const run of [...runs].sort((a, b) => b.seats - a.seats)) if (n > 0 && run.seats > 0) { parts.push(Math.min(run.seats, n)); n -= parts[parts.length - 1]; }
    if (n > 0) parts.push(n);
    return parts.join(' + ');
  };
  const refused = (e, n) => {
    if (e.code === 'QUEUE_TOKEN_REQUIRED' || e.code === 'QUEUE_TOKEN_INVALID' || e.code === 'QUEUE_NOT_ACTIVE') return location.assign(`/schedules/${scheduleId}/queue`);
    showError(e);
    if (e.code !== 'NO_SEATS_TOGETHER') return;
    /** @type {Array<{ section: string, seats: number }>} */
    const runs = e.problem?.largestRun ?? [];
    const longest = Math.max(0, ...runs.map((r) => r.seats));
    offer.replaceChildren(h('p', {}, T.runs(runs.filter((r) => r.seats > 0).map((r) => `${r.section} ${r.seats}`).join(', '))),
      h('button', { type: 'button', id: 'best-split', onclick: () => ask(n, false) }, T.splitOffer(n, split(runs, n))),
      longest > 0 ? h('button', { type: 'button', id: 'best-fewer', onclick: () => ask(longest, true) }, T.fewerOffer(longest)) : null);
  };
  /** @param {number} n @param {boolean} together */
  async function ask(n, together) {
    if (needLogin()) return;
    submit.disabled = true;
    offer.replaceChildren();
    try {
      const r = await api('POST /api/v1/reservations', {
        body: { scheduleId, quantity: n, ...(tier.value ? { tier: tier.value } : {}), ...(together ? {} : { together: false }) },
        headers: { 'x-queue-token': queueToken() },
      });
      onHeld(r);
    } catch (e) {
      refused(e, n);
    } finally {
      submit.disabled = false;
      refresh();
    }
  }
  refresh();
  setInterval(refresh, 5000);
  return h('section', { id: 'best', 'aria-labelledby': 'best-title' },
    h('h2', { id: 'best-title' }, T.bestTitle), counts,
    h('form', { id: 'best-form', class: 'inline', onsubmit: (e) => { e.preventDefault(); ask(Number(quantity.value), true); } },
      h('label', { for: 'best-quantity' }, T.quantity), quantity, h('label', { for: 'best-tier' }, T.tier), tier, submit),
    offer);
}

/**
 * A best-available offer on its checkout: the seats offered, and one decline for the next best
 * (a new hold, with its own checkout address; the API refuses a second: NOT_DECLINABLE).
 * @param {Schemas['Reservation']} r @param {{ together: boolean, declinable: boolean }} offer @param {() => Promise<string | undefined>} pass
 */
function bestOffer(r, offer, pass) {
  const seatList = r.seats.map((x) => `${x.section}-${x.row}-${x.number}`).join(', ');
  const decline = offer.declinable ? h('button', { type: 'button', id: 'best-decline', class: 'secondary', onclick: async () => {
    decline.disabled = true;
    try {
      const next = await api('POST /api/v1/reservations/{reservationId}/decline', { path: { reservationId: r.id }, headers: { 'x-queue-token': await pass() } });
      sessionStorage.setItem(`offer:${next.id}`, JSON.stringify({ together: next.together !== false, declinable: false }));
      location.replace(`/checkout/${next.id}`);
    } catch (e) {
      // Nothing else fits: the first offer stands, still held.
      message(e.code === 'NO_SEATS_TOGETHER' || e.code === 'SOLD_OUT' ? T.offerStands : errorText(e), 'error');
      sessionStorage.setItem(`offer:${r.id}`, JSON.stringify({ ...offer, declinable: false }));
      decline.remove();
    }
  } }, T.decline) : null;
  return h('div', { id: 'best-offer', 'aria-live': 'polite' }, h('p', {}, T.offered(seatList, offer.together)), decline);
}

/**
 * Tickets (issue 11, parts 3 and 4): a CONFIRMED reservation's tickets, one per seat, each with its
 * QR code (the API's SVG, shown as an image: a data: URL the CSP allows, and an <img> runs nothing),
 * seat, state and the code in text for the door staff to type if a scanner fails.
 * @param {Schemas['Reservation']} reservation
 * @returns {Node}
 */
function ticketsOf(reservation) {
  const list = h('ul', { class: 'tickets', 'aria-label': T.tickets });
  // Rotating codes (docs/tickets.md): the server signs each 15 s step; the list is fetched again when
  // the shown code's step ends, while the list is on the page (a screenshot is worth one step of skew).
  const draw = () => api('GET /api/v1/reservations/{reservationId}/tickets', { path: { reservationId: reservation.id } }).then(({ items }) => {
    list.replaceChildren(...items.map((t) => {
      const seat = `${t.seat.section}-${t.seat.row}-${t.seat.number}`;
      return h('li', { class: 'ticket', 'data-ticket': t.id, 'data-status': t.status },
        h('img', { src: `data:image/svg+xml,${encodeURIComponent(t.qrSvg)}`, alt: T.ticketQr(seat), width: 148, height: 148 }),
        h('p', {}, h('strong', {}, seat), ` · ${t.seat.tier} · ${T.ticketSt[t.status]}${t.admittedAt ? ` (${when(t.admittedAt)})` : ''}`),
        contextOf(reservation.scheduleId),
        h('p', { class: 'code' }, h('code', {}, t.code)));
    }));
    const next = Math.min(...items.filter((t) => t.status === 'VALID').map((t) => Date.parse(t.codeExpiresAt)));
    if (Number.isFinite(next)) setTimeout(() => { if (list.isConnected) void draw(); }, Math.max(1000, next - Date.now() + 200));
  }, (e) => list.replaceChildren(h('li', { class: 'message error' }, errorText(e))));
  void draw();
  return list;
}

/**
 * The waiting list (issue 11 part 1), under the seat map: wait for seats that come back after a
 * sell-out (quantity, tier). The API refuses while a matching seat is free (SEATS_AVAILABLE: hold it
 * instead). An offer becomes a hold of yours, paid or declined on My reservations.
 * @param {number} scheduleId @param {string[]} tiers @param {number} maxSeats
 */
function waitlistForm(scheduleId, tiers, maxSeats) {
  const quantity = h('select', { id: 'wait-quantity' }, Array.from({ length: maxSeats }, (_, i) => h('option', { value: i + 1 }, String(i + 1))));
  const tier = h('select', { id: 'wait-tier' }, h('option', { value: '' }, T.anyTier), tiers.map((t) => h('option', { value: t }, t)));
  return h('details', { id: 'waitlist-join' }, h('summary', {}, T.waitlistJoin),
    h('form', { class: 'inline', onsubmit: async (e) => {
      e.preventDefault();
      if (needLogin()) return;
      try {
        const entry = await api('POST /api/v1/waitlist', { body: { scheduleId, quantity: Number(quantity.value), ...(tier.value ? { tier: tier.value } : {}) } });
        message(T.joinedWaitlist(entry.position), 'success');
      } catch (err) { showError(err); }
    } }, h('label', { for: 'wait-quantity' }, T.quantity), quantity, h('label', { for: 'wait-tier' }, T.tier), tier, h('button', { type: 'submit' }, T.waitlistJoin)));
}

/** What the organiser's pages (organiser.js) use of this script. */
const kit = { lang, T, body, pageId, h, api, render, message, money, errorText, fieldErrorText, needLogin, uuid, tierClasses, contextOf, performanceOf };
/** @typedef {typeof kit} Kit */

/**
 * The organiser's pages live in their own module, fetched only on those pages (buyers never load
 * it), at this script's version so both stay cacheable for good.
 * @param {'dashboard' | 'newConcert'} name
 */
async function organiserPage(name) {
  const url = `./organiser.js${new URL(import.meta.url).search}`;
  const { organiserPages } = /** @type {typeof import('./organiser.js')} */ (await import(url));
  return organiserPages(kit)[name]();
}

const PAGES = {
  concerts: concertsPage, concert: concertPage, seats: seatsPage, queue: queuePage, checkout: checkoutPage, reservations: reservationsPage, login: loginPage, signup: signupPage,
  dashboard: () => organiserPage('dashboard'), newConcert: () => organiserPage('newConcert'),
};
nav();
Promise.resolve(PAGES[page]?.()).then(
  () => { main.dataset.ready = 'true'; },
  (e) => {
    render(h('h1', {}, T.title), h('p', { class: 'message error', role: 'alert' }, errorText(e)));
    if (e.code === 'UNAUTHENTICATED' || e.code === 'TOKEN_EXPIRED') location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
    main.dataset.ready = 'error';
  },
);
