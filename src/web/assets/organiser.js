// @ts-check
// The organiser's pages (role ADMIN): the live sales dashboard with the queue controls, and creating
// a concert with a seat-map preview. app.js loads this module only on these pages, so buyers never
// download it. Type-checked with app.js (tsconfig.web.json) against ./api.d.ts.
/** @typedef {import('./api').Schemas} Schemas */

/**
 * The organiser's pages, drawn with app.js's helpers (its `kit`).
 * @param {import('./app.js').Kit} kit
 */
export function organiserPages(kit) {
  const { lang, body, pageId, h, api, render, message, money, errorText, fieldErrorText, needLogin, uuid, tierClasses, contextOf, performanceOf } = kit;
  const T = { ...kit.T, ...STRINGS[lang] };

  // Organiser (ADMIN): live sales figures and the waiting room's controls for one performance.
  async function dashboardPage() {
    if (needLogin()) return;
    const scheduleId = pageId;
    document.title = `${T.dashboard} · ${T.title}`;
    const figures = h('dl', { id: 'sales', class: 'figures', 'aria-live': 'polite' });
    const field = (id, label, attrs = {}) => h('p', { class: 'field' }, h('label', { for: id }, label), h('input', { id, name: id, type: 'number', min: 1, step: 1, ...attrs }));
    const mode = h('select', { id: 'mode', name: 'mode' }, h('option', { value: 'auto' }, T.auto), h('option', { value: 'manual' }, T.manual));
    const controls = h('form', { id: 'queue-controls', onsubmit: async (e) => {
      e.preventDefault();
      const num = (name) => (controls[name].value === '' ? undefined : Number(controls[name].value));
      const change = { mode: mode.value, maxActive: num('maxActive'), admitRatePerSec: num('admitRatePerSec'), minAdmitRate: num('minAdmitRate'), maxAdmitRate: num('maxAdmitRate'), targetP99Ms: num('targetP99Ms') };
      for (const k of Object.keys(change)) if (change[k] === undefined) delete change[k];
      try {
        show(undefined, await api('PUT /api/v1/admin/schedules/{scheduleId}/queue', { path: { scheduleId }, body: change }), true);
        message(T.savedSettings, 'success');
      } catch (err) { message(errorText(err), 'error'); }
    } },
    h('p', { class: 'field' }, h('label', { for: 'mode' }, T.queueMode), mode),
    field('maxActive', T.maxActive), field('admitRatePerSec', T.admitRate),
    field('minAdmitRate', T.minAdmitRate), field('maxAdmitRate', T.maxAdmitRate), field('targetP99Ms', T.targetP99, { min: 10 }),
    h('button', { type: 'submit' }, T.save));
    const charts = liveCharts();
    render(
      h('h1', {}, T.dashboard),
      contextOf(scheduleId, { id: 'context', class: 'context' }),
      h('div', { id: 'message', role: 'alert' }),
      figures,
      charts.section,
      h('section', { 'aria-labelledby': 'exports-title', id: 'exports' }, h('h2', { id: 'exports-title' }, T.exports),
        h('ul', { class: 'facts' }, [['attendees', T.attendeeList], ['sales-ledger', T.salesLedger]].map(([name, label]) => h('li', {}, `${label}: `,
          ['csv', 'xlsx'].flatMap((f, i) => [i ? ' · ' : '', h('a', { href: `/api/v1/admin/schedules/${scheduleId}/exports/${name}?format=${f}`, download: '' }, f.toUpperCase())]))))),
      h('section', { 'aria-labelledby': 'controls-title' }, h('h2', { id: 'controls-title' }, T.queueControls), controls),
      ticketHolders(),
      performanceCancellation(scheduleId),
    );
    const fig = (k, v, id) => [h('dt', {}, k), h('dd', { 'data-figure': id }, v)];
    let filled = false;
    /** @type {Schemas['ScheduleSales'] | undefined} */
    let s;
    /** @type {Schemas['QueueSettings'] | undefined} */
    let q;
    /** @param {Schemas['ScheduleSales'] | undefined} sales @param {Schemas['QueueSettings'] | undefined} queue */
    function show(sales, queue, fill = !filled) {
      s = sales ?? s;
      q = queue ?? q;
      figures.replaceChildren(
        ...(s ? [...fig(T.sold, s.seatsSold.toLocaleString(), 'sold'), ...fig(T.held, s.seatsHeld.toLocaleString(), 'held'), ...fig(T.revenue, money(s.revenue), 'revenue'), ...fig(T.confirmed, s.reservationsConfirmed.toLocaleString(), 'confirmed')] : []),
        ...(q ? [...fig(T.queueLength, q.queue.waiting.toLocaleString(), 'waiting'), ...fig(T.activeBuyers, q.queue.active.toLocaleString(), 'active'), ...fig(T.admitRate, String(q.admitRatePerSec), 'rate'),
          ...fig(T.holdP99, q.controller.holdP99Ms === null ? '–' : `${q.controller.holdP99Ms} ms`, 'p99'), ...fig(T.queueMode, q.mode === 'auto' ? T.auto : T.manual, 'mode')] : []),
      );
      if (q && fill) {
        filled = true;
        mode.value = q.mode;
        controls.maxActive.value = q.overrides.maxActive ?? q.auto.maxActiveCeiling;
        controls.admitRatePerSec.value = q.admitRatePerSec;
        controls.minAdmitRate.value = q.auto.minAdmitRate;
        controls.maxAdmitRate.value = q.auto.maxAdmitRate;
        controls.targetP99Ms.value = q.auto.targetP99Ms;
      }
    }
    const refresh = async () => {
      try {
        const [sales, queue] = await Promise.all([api('GET /api/v1/admin/schedules/{scheduleId}/sales', { path: { scheduleId } }), api('GET /api/v1/admin/schedules/{scheduleId}/queue', { path: { scheduleId } })]);
        show(sales, queue);
        charts.sample(sales, queue);
      } catch (e) { message(errorText(e), 'error'); }
    };
    performanceOf(scheduleId).then((p) => { document.title = `${T.dashboard} · ${p.title} · ${T.title}`; }, () => {});
    await refresh();
    setInterval(refresh, 1000);
    await charts.timeline(scheduleId);
  }

  /**
   * The dashboard's charts (uPlot, served from node_modules, loaded on this page only): live series
   * sampled from the figures every second while the page is open (purchases per minute, seats held,
   * queue length, admission rate, hold and pay p99), and the performance's sales over time from
   * GET …/sales/timeline (every purchase by its confirmation minute), redrawn every 10 s. Each chart
   * has a text summary beside it, for screen readers and for a glance.
   */
  function liveCharts() {
    const loaded = loadChartLibrary();
    const box = (id, title) => {
      const summary = h('p', { class: 'chart-summary', id: `${id}-summary` });
      const plot = h('div', { class: 'chart', id, 'aria-hidden': 'true' });
      return { el: h('figure', {}, h('figcaption', {}, h('strong', {}, title), ' ', summary), plot), plot, summary };
    };
    const salesBox = box('chart-sales', T.salesOverTime);
    const liveBoxes = [box('chart-buying', T.chartBuying), box('chart-queue', T.chartQueue), box('chart-latency', T.chartLatency)];
    const section = h('section', { 'aria-labelledby': 'charts-title', class: 'charts' }, h('h2', { id: 'charts-title' }, T.charts), salesBox.el, ...liveBoxes.map((b) => b.el));
    /** @type {number[][]} time, purchases/min, held, waiting, admitted/s, hold p99, pay p99 */
    const live = [[], [], [], [], [], [], []];
    const confirmedAt = []; // [time, reservations confirmed] for the last minute
    const plots = [];
    const width = () => Math.max(280, Math.min(900, section.clientWidth || 600));
    const make = async (b, series, data) => {
      const uPlot = await loaded;
      const opts = { width: width(), height: 180, series: [{}, ...series.map(([label, stroke]) => ({ label, stroke, width: 2 }))], axes: [{}, { size: 60 }] };
      const plot = new uPlot(opts, data, b.plot);
      plots.push(plot);
      return plot;
    };
    let livePlots;
    async function sample(sales, queue) {
      const now = Date.now() / 1000;
      confirmedAt.push([now, sales.reservationsConfirmed]);
      while (confirmedAt.length > 1 && confirmedAt[0][0] < now - 60) confirmedAt.shift();
      const perMinute = sales.reservationsConfirmed - confirmedAt[0][1];
      const row = [now, perMinute, sales.seatsHeld, queue.queue.waiting, queue.admitRatePerSec, queue.controller.holdP99Ms, queue.controller.payP99Ms];
      row.forEach((v, i) => { live[i].push(v); if (live[i].length > 900) live[i].shift(); });
      livePlots ??= Promise.all([
        make(liveBoxes[0], [[T.perMinute, '#1d4ed8'], [T.held, '#b45309']], [live[0], live[1], live[2]]),
        make(liveBoxes[1], [[T.queueLength, '#7c3aed'], [T.admitRate, '#047857']], [live[0], live[3], live[4]]),
        make(liveBoxes[2], [[T.holdP99, '#b91c1c'], [T.payP99, '#0f766e']], [live[0], live[5], live[6]]),
      ]);
      const [buying, queueing, latency] = await livePlots;
      buying.setData([live[0], live[1], live[2]]);
      queueing.setData([live[0], live[3], live[4]]);
      latency.setData([live[0], live[5], live[6]]);
      liveBoxes[0].summary.textContent = `${T.perMinute} ${perMinute} · ${T.held} ${sales.seatsHeld}`;
      liveBoxes[1].summary.textContent = `${T.queueLength} ${queue.queue.waiting} · ${T.admitRate} ${queue.admitRatePerSec}`;
      const ms = (v) => (v === null ? '–' : `${v} ms`);
      liveBoxes[2].summary.textContent = `${T.holdP99} ${ms(queue.controller.holdP99Ms)} · ${T.payP99} ${ms(queue.controller.payP99Ms)}`;
    }
    async function timeline(scheduleId) {
      let plot;
      const draw = async () => {
        const { minutes } = await api('GET /api/v1/admin/schedules/{scheduleId}/sales/timeline', { path: { scheduleId } });
        let total = 0;
        const data = [minutes.map((m) => Date.parse(m.minute) / 1000), minutes.map((m) => m.seats), minutes.map((m) => (total += m.seats))];
        salesBox.plot.dataset.seats = String(total);
        salesBox.summary.textContent = T.salesSummary(total, minutes.length);
        if (plot) plot.setData(data);
        else plot = await make(salesBox, [[T.seatsPerMinute, '#1d4ed8'], [T.seatsTotal, '#111827']], data);
      };
      await draw().catch((e) => message(errorText(e), 'error'));
      setInterval(() => { draw().catch(() => {}); }, 10_000);
    }
    addEventListener('resize', () => { for (const p of plots) p.setSize({ width: width(), height: 180 }); });
    return { section, sample, timeline };
  }

  // Organiser (ADMIN): a new concert with its performances and a seat map of sections (rows x seats,
  // a tier and a price each), drawn live as the form changes, then POST /api/v1/admin/concerts.
  function newConcertPage() {
    if (needLogin()) return;
    document.title = `${T.newConcert} · ${T.title}`;
    if (body.dataset.role !== 'ADMIN') return render(h('h1', {}, T.newConcert), h('p', { class: 'message error', role: 'alert' }, T.err.FORBIDDEN));
    const field = (name, label, attrs = {}) => {
      const id = `${name}-${++field.n}`;
      return h('p', { class: 'field' }, h('label', { for: id }, label), h(attrs.rows ? 'textarea' : 'input', { id, name, required: !attrs.optional, ...attrs, optional: undefined }));
    };
    field.n = 0;
    const local = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16); // for datetime-local
    const inDays = (days, hour) => { const d = new Date(); d.setDate(d.getDate() + days); d.setHours(hour, 0, 0, 0); return local(d); };
    const removable = (item, list) => h('button', { type: 'button', class: 'remove', onclick: () => { if (list.children.length > 1) { item.remove(); update(); } } }, T.remove);

    const performances = h('ol', { id: 'performances', class: 'items' });
    const addPerformance = () => {
      const item = h('li', { class: 'performance' },
        field('startsAt', `${T.startsAt} ${T.localTime}`, { type: 'datetime-local', value: inDays(30, 19) }),
        field('saleOpensAt', `${T.saleOpensAt} ${T.localTime}`, { type: 'datetime-local', value: inDays(1, 20) }),
        field('saleClosesAt', `${T.saleClosesAt} ${T.localTime}`, { type: 'datetime-local', value: inDays(30, 18) }),
        field('maxSeatsPerReservation', T.maxPerHold, { type: 'number', min: 1, step: 1, optional: true }),
        field('maxTicketsPerUser', T.maxPerBuyer, { type: 'number', min: 1, step: 1, optional: true }));
      item.append(removable(item, performances));
      performances.append(item);
    };
    const sections = h('ol', { id: 'sections', class: 'items' });
    const addSection = (name = '', tier = '', price = '', rows = '5', seatsPerRow = '10') => {
      const item = h('li', { class: 'section' },
        field('name', T.sectionName, { value: name, maxlength: 20 }), field('tier', T.tier, { value: tier, maxlength: 20 }),
        field('price', T.price, { type: 'number', min: 0, step: 1, value: price }),
        field('rows', T.rows, { type: 'number', min: 1, step: 1, value: rows }), field('seatsPerRow', T.seatsPerRow, { type: 'number', min: 1, step: 1, value: seatsPerRow }));
      item.append(removable(item, sections));
      sections.append(item);
    };
    addPerformance();
    addSection('A', 'VIP', '150000', '4', '12');
    addSection('B', 'R', '110000', '6', '16');

    const summary = h('p', { id: 'preview-summary' });
    const tiersList = h('ul', { id: 'preview-tiers' });
    const svg = svgEl('svg', { id: 'preview-map', role: 'img', 'aria-labelledby': 'preview-summary', preserveAspectRatio: 'xMidYMin meet' });
    const submit = h('button', { type: 'submit', class: 'primary' }, T.create);
    const form = h('form', { id: 'concert-form', oninput: () => update(), onsubmit: (e) => { e.preventDefault(); create(); } },
      h('fieldset', {}, h('legend', {}, T.concertInfo),
        field('title', T.concertTitle, { maxlength: 200 }), field('artist', T.artist, { maxlength: 200 }), field('venue', T.venue, { maxlength: 200 }),
        field('description', T.description, { rows: 3, maxlength: 5000, optional: true })),
      h('fieldset', {}, h('legend', {}, T.performances), performances, h('button', { type: 'button', id: 'add-performance', onclick: () => addPerformance() }, T.addPerformance)),
      h('fieldset', {}, h('legend', {}, T.sections), sections, h('button', { type: 'button', id: 'add-section', onclick: () => { addSection(); update(); } }, T.addSection)),
      h('section', { id: 'preview', 'aria-labelledby': 'preview-title' }, h('h2', { id: 'preview-title' }, T.preview), summary, tiersList, svg),
      submit);
    render(h('h1', {}, T.newConcert), h('div', { id: 'message', role: 'alert' }), form);

    const values = (item) => Object.fromEntries([...item.querySelectorAll('input, textarea')].map((i) => [i.name, i.value.trim()]));
    /** The sections as the API will get them (it judges them); the preview draws those with whole positive counts. */
    const sectionValues = () => [...sections.children].map((li) => {
      const v = values(li);
      return { name: v.name, tier: v.tier, price: Number(v.price), rows: Number(v.rows), seatsPerRow: Number(v.seatsPerRow) };
    });

    let drawn = 0;
    function update() {
      cancelAnimationFrame(drawn);
      drawn = requestAnimationFrame(draw);
    }
    function draw() {
      const list = sectionValues().filter((x) => Number.isInteger(x.rows) && Number.isInteger(x.seatsPerRow) && x.rows > 0 && x.seatsPerRow > 0);
      const seats = list.reduce((n, x) => n + x.rows * x.seatsPerRow, 0);
      const tiers = new Map();
      for (const x of list) tiers.set(x.tier, { seats: (tiers.get(x.tier)?.seats ?? 0) + x.rows * x.seatsPerRow, price: x.price });
      const classes = tierClasses(list.map((x) => x.tier));
      summary.textContent = T.previewSummary(list.length, seats);
      tiersList.replaceChildren(...[...tiers].map(([tier, t]) => h('li', {}, h('span', { class: `swatch ${classes.get(tier)}`, 'aria-hidden': 'true' }), T.tierSeats(tier || '–', t.seats, money(t.price || 0)))));
      // Sections side by side under the stage, wrapping like a hall's blocks; each seat a square while
      // the map is small enough to draw cheaply, each row a bar beyond that.
      const U = 10;
      const perSeat = seats <= 4000;
      const width = Math.max(600, ...list.map((x) => x.seatsPerRow * U));
      /** @type {typeof list[]} */
      const lines = [[]];
      let x = 0;
      for (const sec of list) {
        const w = sec.seatsPerRow * U;
        if (x > 0 && x + w > width) { lines.push([]); x = 0; }
        lines[lines.length - 1].push(sec);
        x += w + 2 * U;
      }
      const parts = [svgEl('rect', { class: 'stage', x: width / 4, y: 0, width: width / 2, height: 2 * U, rx: 4 }), svgEl('text', { x: width / 2, y: 1.4 * U, 'text-anchor': 'middle', class: 'stage-label' }, T.stage)];
      let y = 4 * U;
      for (const line of lines) {
        const lineWidth = line.reduce((n, sec) => n + sec.seatsPerRow * U, 0) + 2 * U * (line.length - 1);
        let left = (width - lineWidth) / 2;
        let tallest = 0;
        for (const sec of line) {
          // The label stays outside the coloured group: the tier class also sets a background, which
          // draws nothing in SVG but is what contrast checkers take as the text's background.
          const g = svgEl('g', { class: classes.get(sec.tier) });
          parts.push(svgEl('g', { 'data-section': sec.name }, svgEl('text', { x: left, y: y + U, class: 'section-label' }, `${sec.name} · ${sec.tier}`), g));
          for (let r = 0; r < sec.rows; r++) {
            const top = y + 1.5 * U + r * U;
            if (perSeat) for (let c = 0; c < sec.seatsPerRow; c++) g.append(svgEl('rect', { class: 'place', x: left + c * U, y: top, width: U - 2, height: U - 2, rx: 2 }));
            else g.append(svgEl('rect', { class: 'row', x: left, y: top, width: sec.seatsPerRow * U - 2, height: U - 2 }));
          }
          left += sec.seatsPerRow * U + 2 * U;
          tallest = Math.max(tallest, 1.5 * U + sec.rows * U);
        }
        y += tallest + 2 * U;
      }
      svg.setAttribute('viewBox', `0 0 ${width} ${y}`);
      svg.replaceChildren(...parts);
    }
    draw();

    // One Idempotency-Key per attempt that reached the API: a double submit or a retry after a lost
    // answer creates the concert once; an answer (created or refused) starts a fresh attempt.
    let attempt = uuid();
    const iso = (v) => (Number.isNaN(Date.parse(v)) ? v : new Date(v).toISOString());
    async function create() {
      const info = values(form.querySelector('fieldset'));
      submit.disabled = true;
      clearRefusal();
      try {
        const created = await api('POST /api/v1/admin/concerts', {
          headers: { 'idempotency-key': attempt },
          body: {
            title: info.title, artist: info.artist, venue: info.venue, description: info.description,
            schedules: [...performances.children].map((li) => {
              const v = values(li);
              return {
                startsAt: iso(v.startsAt), saleOpensAt: iso(v.saleOpensAt), saleClosesAt: iso(v.saleClosesAt),
                ...(v.maxSeatsPerReservation ? { maxSeatsPerReservation: Number(v.maxSeatsPerReservation) } : {}),
                ...(v.maxTicketsPerUser ? { maxTicketsPerUser: Number(v.maxTicketsPerUser) } : {}),
              };
            }),
            sections: sectionValues(),
          },
        });
        attempt = uuid();
        message(T.created(created.seatCount), 'success');
        /** @type {HTMLElement} */ (document.getElementById('message')).append(' ', h('a', { href: `/concerts/${created.concertId}`, id: 'created-concert' }, T.viewConcert),
          ...created.scheduleIds.flatMap((id) => [' · ', h('a', { href: `/admin/schedules/${id}` }, `${T.dashboard} #${id}`)]));
      } catch (e) {
        if (e.status && e.status < 500) attempt = uuid();
        showRefusal(e);
      } finally {
        submit.disabled = false;
      }
    }

    function clearRefusal() {
      for (const old of form.querySelectorAll('.field-error')) old.remove();
      for (const old of form.querySelectorAll('[aria-invalid]')) { old.removeAttribute('aria-invalid'); old.removeAttribute('aria-describedby'); }
    }
    /** The form's field for an error's path (schedules.0.saleClosesAt), and how to name it. */
    function fieldOf(path) {
      const [list, index, name] = String(path ?? '').split('.');
      const items = list === 'schedules' ? performances : list === 'sections' ? sections : null;
      if (items && index !== undefined) {
        const item = items.children[Number(index)];
        const input = name ? item?.querySelector(`[name="${name}"]`) : null;
        const label = input ? form.querySelector(`label[for="${input.id}"]`)?.textContent : '';
        return { input, where: [`${list === 'schedules' ? T.performance : T.section} ${Number(index) + 1}`, label].filter(Boolean).join(' · ') };
      }
      if (items) return { input: null, where: items.closest('fieldset')?.querySelector('legend')?.textContent ?? '' };
      const input = list ? form.querySelector(`fieldset [name="${list}"]`) : null;
      return { input, where: input ? form.querySelector(`label[for="${input.id}"]`)?.textContent ?? '' : '' };
    }
    /**
     * A refusal in the page's language, never the API's English: each refused field is marked
     * (aria-invalid, its reason beside it) and named in the message next to the submit button.
     */
    function showRefusal(e) {
      clearRefusal();
      const errors = e.code === 'VALIDATION_FAILED' && Array.isArray(e.problem?.errors) ? e.problem.errors : [];
      const lines = errors.map((fieldError, i) => {
        const { input, where } = fieldOf(fieldError.path);
        const why = fieldErrorText(fieldError);
        if (input) {
          const id = `field-error-${i}`;
          input.setAttribute('aria-invalid', 'true');
          input.setAttribute('aria-describedby', id);
          input.closest('.field')?.append(h('span', { class: 'field-error', id }, why));
        }
        return where ? `${where}: ${why}` : why;
      });
      message([errorText(e), ...lines].join(' '), 'error');
    }
  }

  // A ticket's chain of holders (transfers, docs/tickets.md "Transfer"): the buyer, then each recipient.
  function ticketHolders() {
    const list = h('ol', { id: 'holders', 'aria-live': 'polite' });
    const form = h('form', { id: 'ticket-holders', onsubmit: async (e) => {
      e.preventDefault();
      try {
        const chain = await api('GET /api/v1/admin/tickets/{ticketId}/holders', { path: { ticketId: Number(form.ticketId.value) } });
        list.replaceChildren(...chain.holders.map((x) => h('li', {}, `${x.name} (#${x.userId}) · ${x.via === 'PURCHASE' ? T.viaPurchase : T.viaTransfer} · ${new Date(x.since).toLocaleString(lang)}`)));
      } catch (err) { list.replaceChildren(h('li', {}, errorText(err))); }
    } },
    h('p', { class: 'field' }, h('label', { for: 'ticketId' }, T.ticketId), h('input', { id: 'ticketId', name: 'ticketId', type: 'number', min: 1, step: 1, required: true })),
    h('button', { type: 'submit' }, T.showHolders));
    return h('section', { 'aria-labelledby': 'holders-title' }, h('h2', { id: 'holders-title' }, T.ticketHolders), form, list);
  }

  /**
   * The sale's state on the sales dashboard (issue 11, part 2): pause and resume the sale, and cancel
   * the performance (a reason, then a confirm step, since it cannot be undone) with a progress bar
   * polled from the cancellation's progress while its workflow releases holds and refunds purchases.
   * The status starts from the page (data-status) and follows what the API answers.
   * @param {number} scheduleId
   * @returns {Node}
   */
  function performanceCancellation(scheduleId) {
    /** @type {Schemas['AdminSchedule']['status']} */
    let status = /** @type {any} */ (body.dataset.status) || 'SCHEDULED';
    const state = h('p', { id: 'schedule-status', role: 'status' });
    const pause = h('button', { type: 'button', id: 'pause-sale', onclick: () => switchSale('pause') }, T.pauseSale);
    const resume = h('button', { type: 'button', id: 'resume-sale', onclick: () => switchSale('resume') }, T.resumeSale);
    const reason = h('input', { id: 'cancel-reason', name: 'reason', required: true, maxlength: 150 });
    const confirmBox = h('div', { id: 'cancel-confirm', class: 'confirm', hidden: true },
      h('p', { id: 'cancel-question' }, T.cancelQuestion),
      h('button', { type: 'button', id: 'confirm-cancel', class: 'danger', 'aria-describedby': 'cancel-question', onclick: () => cancel() }, T.confirmCancel),
      h('button', { type: 'button', id: 'keep-performance', onclick: () => { confirmBox.hidden = true; ask.disabled = false; ask.focus(); } }, T.keepPerformance));
    const ask = h('button', { type: 'submit', id: 'cancel-performance' }, T.cancelPerformance);
    const cancelTitle = h('h3', {}, T.cancelPerformance);
    const form = h('form', { id: 'cancel-form', onsubmit: (e) => {
      e.preventDefault();
      // A confirm step of its own: nothing is sent until the organiser says yes.
      ask.disabled = true;
      confirmBox.hidden = false;
      /** @type {HTMLElement} */ (confirmBox.querySelector('#confirm-cancel')).focus();
    } }, h('p', { class: 'field' }, h('label', { for: 'cancel-reason' }, T.cancelReason), reason), ask, confirmBox);
    const bar = h('progress', { id: 'cancellation-bar', max: 1, 'aria-labelledby': 'cancellation-title' });
    const phase = h('p', { id: 'cancellation-phase', role: 'status' });
    const figures = h('dl', { id: 'cancellation-figures', class: 'figures' });
    const progressBox = h('div', { id: 'cancellation', hidden: true }, h('h3', { id: 'cancellation-title' }, T.cancellationProgress), bar, phase, figures);

    const show = () => {
      state.textContent = `${T.saleStatus}: ${T.scheduleStatus[status] ?? status}`;
      pause.hidden = status !== 'SCHEDULED';
      resume.hidden = status !== 'PAUSED';
      form.hidden = cancelTitle.hidden = status === 'CANCELLING' || status === 'CANCELLED';
    };
    async function switchSale(action) {
      try {
        const op = action === 'pause' ? 'POST /api/v1/admin/schedules/{scheduleId}/pause' : 'POST /api/v1/admin/schedules/{scheduleId}/resume';
        status = (await api(op, { path: { scheduleId } })).status;
        show();
        message(action === 'pause' ? T.paused : T.resumed, 'success');
      } catch (e) { message(errorText(e), 'error'); }
    }
    /** @param {Schemas['CancellationProgress']} p */
    const showProgress = (p) => {
      progressBox.hidden = false;
      // Indeterminate until the workflow has counted the live reservations; full once DONE.
      if (p.phase === 'DONE') { bar.max = Math.max(1, p.liveAtStart); bar.value = bar.max; } else if (p.liveAtStart > 0) { bar.max = p.liveAtStart; bar.value = p.processed; } else bar.removeAttribute('value');
      phase.textContent = `${T.phase[p.phase]} · ${T.processed(p.processed, p.liveAtStart)}`;
      const fig = (k, v, id) => [h('dt', {}, k), h('dd', { 'data-figure': id }, v)];
      figures.replaceChildren(...fig(T.cancelReason, p.reason, 'reason'), ...fig(T.holdsReleased, p.holdsReleased.toLocaleString(), 'holds-released'),
        ...fig(T.purchasesRefunded, p.purchasesRefunded.toLocaleString(), 'purchases-refunded'), ...fig(T.amountRefunded, money(p.amountRefunded), 'amount-refunded'));
      status = p.phase === 'DONE' ? 'CANCELLED' : 'CANCELLING';
      show();
    };
    // Polls the progress once a second until the cancellation is DONE (the workflow survives restarts, so does this).
    const follow = async () => {
      try {
        const p = await api('GET /api/v1/admin/schedules/{scheduleId}/cancellation', { path: { scheduleId } });
        showProgress(p);
        if (p.phase === 'DONE') return message(T.cancelDone, 'success');
      } catch (e) { if (e.code !== 'NOT_FOUND') message(errorText(e), 'error'); }
      setTimeout(follow, 1000);
    };
    // One Idempotency-Key per confirmed cancellation: a double click starts (or joins) it once; a refusal starts afresh.
    let attempt = uuid();
    async function cancel() {
      const confirmButton = /** @type {HTMLButtonElement} */ (confirmBox.querySelector('#confirm-cancel'));
      confirmButton.disabled = true;
      try {
        showProgress(await api('POST /api/v1/admin/schedules/{scheduleId}/cancellation', { path: { scheduleId }, headers: { 'idempotency-key': attempt }, body: { reason: reason.value.trim() } }));
        confirmBox.hidden = true;
        message(T.cancelStarted, 'info');
        follow();
      } catch (e) {
        if (e.status && e.status < 500) attempt = uuid();
        message(errorText(e), 'error');
        confirmBox.hidden = true;
        confirmButton.disabled = false;
        ask.disabled = false;
      }
    }
    show();
    if (status === 'CANCELLING' || status === 'CANCELLED') follow();
    return h('section', { id: 'sale-state', 'aria-labelledby': 'sale-state-title' },
      h('h2', { id: 'sale-state-title' }, T.saleState), state, h('p', {}, pause, resume),
      cancelTitle, form, progressBox);
  }

  /** An SVG element (the preview draws with SVG presentation attributes and classes; the CSP allows no inline style). */
  function svgEl(tag, attrs = {}, ...children) {
    const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
    for (const [k, v] of Object.entries(attrs)) if (v !== undefined) el.setAttribute(k, String(v));
    el.append(...children);
    return el;
  }

  return { dashboard: dashboardPage, newConcert: newConcertPage };
}

/** uPlot's script (its published, minified build; a global, not a module), once. */
let chartLibrary;
function loadChartLibrary() {
  chartLibrary ??= new Promise((resolve, reject) => {
    const src = document.querySelector('meta[name="chart-script"]')?.getAttribute('content') ?? '/web/vendor/uplot.js';
    const script = document.createElement('script');
    script.src = src;
    script.onload = () => resolve(/** @type {any} */ (globalThis).uPlot);
    script.onerror = reject;
    document.head.append(script);
  });
  return chartLibrary;
}

const STRINGS = {
  ko: {
    ticketHolders: '티켓 보유 이력', ticketId: '티켓 번호', showHolders: '보기', viaPurchase: '구매', viaTransfer: '양도받음',
    exports: '내려받기', attendeeList: '관람객 명단', salesLedger: '판매 원장', charts: '차트', salesOverTime: '시간대별 판매', chartBuying: '분당 구매와 선점', chartQueue: '대기열과 입장', chartLatency: '선점·결제 p99', perMinute: '분당 구매', payP99: '결제 p99',
    seatsPerMinute: '분당 판매 좌석', seatsTotal: '누적 판매 좌석', salesSummary: (n, m) => `누적 ${n.toLocaleString()}석 (${m}분 동안)`,
    sold: '판매 좌석', held: '선점 좌석', revenue: '매출', started: '예매 시작',
    confirmed: '결제 완료 예매', queueMode: '대기열 모드', save: '저장', queueLength: '대기 인원', admitRate: '초당 입장', holdP99: '선점 p99',
    auto: '자동', manual: '수동', maxActive: '동시 입장 최대 인원', minAdmitRate: '자동: 최소 초당 입장', maxAdmitRate: '자동: 최대 초당 입장', targetP99: '자동: 목표 p99(ms)',
    queueControls: '대기열 제어', activeBuyers: '입장한 인원', savedSettings: '저장했습니다.',
    concertInfo: '공연 정보', concertTitle: '공연명', artist: '아티스트', venue: '공연장', description: '소개',
    startsAt: '공연 시작', saleOpensAt: '판매 시작', saleClosesAt: '판매 종료', localTime: '(현지 시각)', maxPerHold: '한 번에 최대 좌석 수(선택)', maxPerBuyer: '1인당 최대 매수(선택)',
    addPerformance: '회차 추가', sections: '구역', sectionName: '구역명', tier: '등급', price: '가격(원)', rows: '열 수', seatsPerRow: '열당 좌석 수',
    addSection: '구역 추가', remove: '삭제', preview: '좌석 배치도 미리보기', stage: '무대', create: '공연 등록하기',
    previewSummary: (sections, seats) => `${sections}개 구역, 총 ${seats.toLocaleString()}석`, tierSeats: (tier, n, price) => `${tier} ${n.toLocaleString()}석 (${price})`,
    created: (n) => `공연을 등록했습니다. 회차마다 좌석 ${n.toLocaleString()}석이 만들어졌습니다.`, viewConcert: '공연 페이지 보기',
    saleState: '판매 상태', saleStatus: '상태', pauseSale: '판매 일시 중지', resumeSale: '판매 재개', paused: '판매를 일시 중지했습니다. 새 선점은 거절되고 대기열은 입장시키지 않습니다.', resumed: '판매를 재개했습니다.',
    scheduleStatus: { SCHEDULED: '판매 중(또는 예정)', PAUSED: '일시 중지', CANCELLING: '취소 진행 중', CANCELLED: '공연 취소됨' },
    cancelPerformance: '이 회차 취소하기', cancelReason: '취소 사유(구매자에게 전달)', cancelQuestion: '정말 취소할까요? 판매가 멈추고, 모든 선점이 해제되며, 모든 구매가 환불됩니다. 되돌릴 수 없습니다.',
    confirmCancel: '예, 이 회차를 취소합니다', keepPerformance: '아니요, 유지합니다', cancellationProgress: '취소 진행 상황',
    phase: { STOPPING_SALES: '판매 중단 중', CANCELLING_RESERVATIONS: '예매 취소·환불 중', CLOSING: '마무리 중', DONE: '완료' },
    processed: (n, total) => `${total.toLocaleString()}건 중 ${n.toLocaleString()}건 처리`,
    holdsReleased: '해제한 선점', purchasesRefunded: '환불한 구매', amountRefunded: '환불 금액',
    cancelStarted: '취소를 시작했습니다. 진행 상황이 아래에 표시됩니다.', cancelDone: '공연 취소가 완료되었습니다. 모든 구매가 환불되었습니다.',
  },
  en: {
    ticketHolders: 'Ticket holders', ticketId: 'Ticket number', showHolders: 'Show', viaPurchase: 'bought', viaTransfer: 'received by transfer',
    exports: 'Downloads', attendeeList: 'Attendee list', salesLedger: 'Sales ledger', charts: 'Charts', salesOverTime: 'Sales over time', chartBuying: 'Purchases per minute and holds', chartQueue: 'Queue and admissions', chartLatency: 'Hold and pay p99', perMinute: 'Purchases/min', payP99: 'Pay p99',
    seatsPerMinute: 'Seats sold per minute', seatsTotal: 'Seats sold in all', salesSummary: (n, m) => `${n.toLocaleString()} seats sold in all (over ${m} minute${m === 1 ? '' : 's'})`,
    sold: 'Seats sold', held: 'Seats held', revenue: 'Revenue', started: 'Reservations started',
    confirmed: 'Confirmed reservations', queueMode: 'Queue mode', save: 'Save', queueLength: 'Queue length', admitRate: 'Admitted/s', holdP99: 'Hold p99',
    auto: 'Auto', manual: 'Manual', maxActive: 'Most buyers in at once', minAdmitRate: 'Auto: lowest admitted/s', maxAdmitRate: 'Auto: highest admitted/s', targetP99: 'Auto: target p99 (ms)',
    queueControls: 'Queue controls', activeBuyers: 'Buyers in', savedSettings: 'Saved.',
    concertInfo: 'Concert', concertTitle: 'Title', artist: 'Artist', venue: 'Venue', description: 'Description',
    startsAt: 'Starts', saleOpensAt: 'Sale opens', saleClosesAt: 'Sale closes', localTime: '(local time)', maxPerHold: 'Most seats per hold (optional)', maxPerBuyer: 'Most tickets per buyer (optional)',
    addPerformance: 'Add a performance', sections: 'Sections', sectionName: 'Section', tier: 'Tier', price: 'Price (KRW)', rows: 'Rows', seatsPerRow: 'Seats per row',
    addSection: 'Add a section', remove: 'Remove', preview: 'Seat map preview', stage: 'Stage', create: 'Create the concert',
    previewSummary: (sections, seats) => `${sections} section${sections === 1 ? '' : 's'}, ${seats.toLocaleString()} seats`, tierSeats: (tier, n, price) => `${tier}: ${n.toLocaleString()} seats (${price})`,
    created: (n) => `Concert created, with ${n.toLocaleString()} seats per performance.`, viewConcert: 'See the concert page',
    saleState: 'Sale', saleStatus: 'Status', pauseSale: 'Pause the sale', resumeSale: 'Resume the sale', paused: 'Sale paused: new holds are refused and the waiting room admits nobody.', resumed: 'Sale resumed.',
    scheduleStatus: { SCHEDULED: 'On sale (or scheduled)', PAUSED: 'Paused', CANCELLING: 'Being cancelled', CANCELLED: 'Cancelled' },
    cancelPerformance: 'Cancel this performance', cancelReason: 'Reason (buyers are told)', cancelQuestion: 'Cancel it for good? Sales stop, every hold is released and every purchase refunded. This cannot be undone.',
    confirmCancel: 'Yes, cancel this performance', keepPerformance: 'No, keep it', cancellationProgress: 'Cancellation progress',
    phase: { STOPPING_SALES: 'Stopping sales', CANCELLING_RESERVATIONS: 'Cancelling and refunding reservations', CLOSING: 'Closing', DONE: 'Done' },
    processed: (n, total) => `${n.toLocaleString()} of ${total.toLocaleString()} reservations done`,
    holdsReleased: 'Holds released', purchasesRefunded: 'Purchases refunded', amountRefunded: 'Refunded',
    cancelStarted: 'Cancellation started; its progress shows below.', cancelDone: 'The performance is cancelled; every purchase is refunded.',
  },
};
