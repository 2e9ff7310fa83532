// The checkout's card payment (docs/payments.md, docs/web.md), kept out of app.js: the page shell
// loads this module on the checkout page only, before app.js, and it adds one entry to app.js's
// `paymentMethods` (through `window.checkoutPaymentMethods`). The flow:
//   1. POST /reservations/{id}/payment {method: card} answers 202 PAYMENT_PENDING with a client secret;
//   2. the card is confirmed with the provider, never through our API's payment routes. In production
//      that is Stripe.js (Elements + confirmCardPayment), which this app does not bundle or load from a
//      CDN; against the emulator (localstripe, whose confirm takes no card and needs the secret key)
//      the chosen TEST card goes to /web/payment-emulator/confirm, which exists only there;
//   3. a card that needs authentication is authenticated in the browser, with the provider directly
//      (publishable key + client secret), as localstripe's Stripe.js stand-in does;
//   4. the page shows the payment as pending until the provider's signed webhook has confirmed the
//      reservation (it asks GET /reservations/{id}), then app.js draws the confirmation; a decline
//      shows the provider's reason beside the form, and the wallet stays there to pay instead.
const lang = document.documentElement.lang === 'en' ? 'en' : 'ko';
const T = {
  ko: {
    card: '카드 결제', testCard: '테스트 카드', pay: '카드로 결제', success: '결제 성공', decline: '결제 거절', auth: '본인 인증 필요',
    pending: '카드 결제를 확인하는 중입니다… 결제사의 확인이 오면 예매가 확정됩니다.', slow: '결제사의 확인이 늦어지고 있습니다. 이 페이지에서 계속 확인합니다.',
    declined: (why) => `카드 결제가 거절되었습니다: ${why}. 지갑으로 결제할 수 있습니다.`, authTitle: '카드사 본인 인증', authDone: '인증 완료', authFail: '인증 실패',
    noStripe: '카드 결제에는 결제사의 Stripe.js가 필요합니다 (이 환경에는 없음).', failed: '카드 결제를 시작하지 못했습니다',
  },
  en: {
    card: 'Card payment', testCard: 'Test card', pay: 'Pay by card', success: 'Succeeds', decline: 'Declined', auth: 'Needs authentication',
    pending: 'Confirming your card payment… the booking is confirmed as soon as the provider tells us.', slow: 'The provider is taking a while; this page keeps checking.',
    declined: (why) => `Your card was declined: ${why}. You can pay from your wallet instead.`, authTitle: 'Card authentication', authDone: 'Complete authentication', authFail: 'Fail authentication',
    noStripe: 'Card payments need the provider\'s Stripe.js here (not available in this environment).', failed: 'The card payment could not be started',
  },
}[lang];

const provider = /** @type {HTMLMetaElement | null} */ (document.querySelector('meta[name="payment-provider"]'));
const emulator = provider?.dataset.emulator === 'true';
// The emulator's test cards (localstripe: 4000 0000 0000 0341 is declined when charged; Stripe's own
// 4000 0000 0000 0002 is refused by localstripe before any charge, so no webhook would tell us).
const CARDS = [['4242424242424242', T.success], ['4000000000000341', T.decline], ['4000002500003155', T.auth]];
const spaced = (n) => n.replace(/(\d{4})(?=\d)/g, '$1 ');

/** @param {string} tag @param {Record<string, any>} [attrs] @param {...(Node | string)} kids */
function el(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else if (v !== false) e.setAttribute(k, v === true ? '' : v);
  e.append(...kids);
  return e;
}

/** POST with JSON; a non-2xx answer is thrown with the problem's detail. */
async function post(url, body, init = {}) {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), ...init });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw Object.assign(new Error(data.detail ?? data.error?.message ?? res.statusText), { code: data.code });
  return data;
}

/** The provider's authentication step (3-D Secure), asked in a dialog and answered to the provider directly. */
async function authenticate(clientSecret) {
  const dialog = el('dialog', { id: 'card-auth', 'aria-labelledby': 'card-auth-title' }, el('h2', { id: 'card-auth-title' }, T.authTitle));
  const success = await new Promise((done) => {
    dialog.append(el('div', { class: 'bar' },
      el('button', { type: 'button', class: 'primary', id: 'card-auth-ok', onclick: () => done(true) }, T.authDone),
      el('button', { type: 'button', class: 'secondary', onclick: () => done(false) }, T.authFail)));
    document.body.append(dialog);
    /** @type {HTMLDialogElement} */ (dialog).showModal();
  });
  dialog.remove();
  const id = clientSecret.slice(0, clientSecret.indexOf('_secret_'));
  // A body without a content type: a simple request, no preflight (the emulator answers none).
  await post(`${provider?.content}/v1/payment_intents/${id}/_authenticate?success=${success}`, { key: provider?.dataset.key, client_secret: clientSecret });
}

/** @param {any} r the reservation @param {{ paid: () => void, pass: () => Promise<string | undefined>, api: Function, errorText: (e: unknown) => string }} done */
async function cardPayment(r, { paid, pass, api, errorText }) {
  const status = el('p', { id: 'card-status', role: 'status' });
  const error = el('p', { id: 'card-error', class: 'message error', role: 'alert', hidden: true });
  const radios = CARDS.map(([number, label], i) => el('label', { class: 'choice' },
    el('input', { type: 'radio', name: 'card', value: number, checked: i === 0 }), ` ${spaced(number)} · ${label}`));
  const button = /** @type {HTMLButtonElement} */ (el('button', { type: 'submit', id: 'pay-card', class: 'primary' }, T.pay));
  const failedBefore = r.payment?.failedAttempts ?? 0;
  const fail = (text) => { status.textContent = ''; error.textContent = text; error.hidden = false; };
  const watch = async () => {
    for (let i = 0; ; i++) {
      const now = await api('GET /api/v1/reservations/{reservationId}', { path: { reservationId: r.id } }).catch(() => undefined);
      if (now && now.status !== 'HELD') return paid();
      if (now?.payment?.status === 'FAILED' && now.payment.failedAttempts > failedBefore) return fail(T.declined(now.payment.lastError ?? T.decline));
      if (i === 30) status.textContent = T.slow;
      await new Promise((ok) => setTimeout(ok, i < 30 ? 1000 : 5000));
    }
  };
  const form = el('form', { id: 'card-form', 'aria-labelledby': 'card-title', onsubmit: async (e) => {
    e.preventDefault();
    button.disabled = true;
    error.hidden = true;
    try {
      const started = await api('POST /api/v1/reservations/{reservationId}/payment', { path: { reservationId: r.id }, body: { method: 'card' }, headers: { 'x-queue-token': await pass() } });
      if (!('clientSecret' in started)) return paid();
      status.textContent = T.pending;
      const card = /** @type {HTMLInputElement} */ (form.querySelector('input[name="card"]:checked')).value;
      const confirmed = await post('/web/payment-emulator/confirm', { clientSecret: started.clientSecret, card }, { headers: { 'content-type': 'application/json' }, credentials: 'same-origin' });
      if (confirmed.status === 'requires_action') await authenticate(started.clientSecret);
      await watch();
    } catch (err) {
      if (err.code === 'ALREADY_PAID' || err.code === 'RESERVATION_EXPIRED') return paid();
      // The API's refusals in the page's words (its detail is English); the provider's own reason as it gives it.
      fail(`${T.failed}: ${err.code ? errorText(err) : err.message}`);
      button.disabled = false;
    }
  } },
  el('h2', { id: 'card-title' }, T.card),
  el('fieldset', {}, el('legend', {}, T.testCard), ...radios),
  el('div', { class: 'bar' }, button), status, error);
  // The emulator's card step is all this app ships; elsewhere the form says what it lacks.
  if (!emulator) return el('div', { class: 'payment', 'data-method': 'card' }, el('h2', {}, T.card), el('p', {}, T.noStripe));
  // Declined before (localstripe cannot confirm the same payment again): say so, the wallet remains.
  if (r.payment?.method === 'CARD' && r.payment.status === 'FAILED') {
    button.disabled = true;
    fail(T.declined(r.payment.lastError ?? T.decline));
  } else if (r.payment?.method === 'CARD' && r.payment.status === 'PENDING') {
    // Started before (a reload): its webhook may still come; paying again rejoins the same payment.
    status.textContent = T.pending;
    void watch();
  }
  return el('div', { class: 'payment', 'data-method': 'card' }, form);
}

const registry = /** @type {any} */ (window);
if (provider) (registry.checkoutPaymentMethods ??= []).push({ id: 'card', label: T.card, mount: cardPayment });

export {}; // a module: its names stay its own
