// Recommendations on the web pages (src/recommendations, docs/recommendations.md), kept out of app.js:
// the page shell loads this module beside app.js on the concert page and the seat page. It waits for
// app.js to draw the page, then adds one section: "people who booked this also booked" under a
// concert, and "for you" under a checkout once it is paid (the link to My reservations appears).
const lang = document.documentElement.lang === 'en' ? 'en' : 'ko';
const T = {
  ko: { also: '이 공연을 예매한 분들이 함께 예매한 공연', forYou: '추천 공연', popular: '인기' },
  en: { also: 'People who booked this also booked', forYou: 'You may also like', popular: 'Popular' },
}[lang];

/** @param {string} url */
async function items(url) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!res.ok) return [];
  const body = /** @type {{ items: Array<{ concertId: number, title: string, artist: string, venue: string, basis: string }> }} */ (await res.json());
  return body.items;
}

/** @param {string} id @param {string} title @param {Awaited<ReturnType<typeof items>>} list */
function section(id, title, list) {
  const box = document.createElement('section');
  box.id = id;
  box.setAttribute('aria-labelledby', `${id}-title`);
  const h2 = document.createElement('h2');
  h2.id = `${id}-title`;
  h2.textContent = title;
  const ul = document.createElement('ul');
  ul.className = 'cards';
  for (const r of list) {
    const li = document.createElement('li');
    li.className = 'card';
    li.dataset.concert = String(r.concertId);
    li.dataset.basis = r.basis;
    const a = document.createElement('a');
    a.href = `/concerts/${r.concertId}`;
    a.textContent = r.title;
    const p = document.createElement('p');
    p.textContent = `${r.artist} · ${r.venue}${r.basis === 'POPULAR' ? ` · ${T.popular}` : ''}`;
    li.append(a, p);
    ul.append(li);
  }
  box.append(h2, ul);
  return box;
}

/**
 * Adds the section once `ready(main)` holds, and again if app.js draws the page anew.
 * @param {(main: HTMLElement) => boolean} ready @param {string} id @param {string} title @param {() => ReturnType<typeof items>} load
 */
function whenReady(ready, id, title, load) {
  const main = document.getElementById('main');
  if (!main) return;
  /** @type {Promise<Awaited<ReturnType<typeof items>>> | undefined} */
  let loading;
  const place = async () => {
    if (!ready(main) || document.getElementById(id)) return;
    const list = await (loading ??= load());
    if (list.length > 0 && !document.getElementById(id) && ready(main)) main.append(section(id, title, list));
  };
  new MutationObserver(() => void place()).observe(main, { childList: true, subtree: true });
  void place();
}

const { page, id, user } = document.body.dataset;
if (page === 'concert' && id) {
  whenReady((main) => main.querySelector('h1') !== null, 'recommendations', T.also, () => items(`/api/v1/concerts/${id}/recommendations`));
} else if ((page === 'seats' || page === 'checkout') && user) {
  whenReady(() => document.getElementById('to-reservations') !== null, 'recommendations-for-you', T.forYou, () => items('/api/v1/me/recommendations'));
}
