// The dashboard (DESIGN.md §6.2): today's figures, the last 30 days of GMV and paid orders, success rate and
// failure reasons per method, notification latency — all from the statistics API of §6.1.
import { api } from '../api.js';
import { chartBox, color, draw } from '../charts.js';
import { addDays, beijingDay, h, percent, section, table, yuan } from '../dom.js';
import { FAILURE_REASON, PAYMENT_METHOD, label } from '../labels.js';

const DAYS = 30;
const FIGURES = [
  ['quotes', '报价次数', String], ['orders', '下单数', String], ['paid', '支付成功', String],
  ['gmv_fen', '成交额', yuan], ['refunds_fen', '退款额', yuan], ['net_fen', '净收入', yuan],
];
const LATENCY = { success_to_received: '支付成功 → 收到通知', received_to_paid: '收到通知 → 订单已支付' };

async function statistics(today) {
  const from = addDays(today, -(DAYS - 1));
  const [todays, month, daily] = await Promise.all([
    api('GET', '/admin/v1/stats/summary', { query: { from: today, to: today } }),
    api('GET', '/admin/v1/stats/summary', { query: { from, to: today } }),
    api('GET', '/admin/v1/stats/daily', { query: { from, to: today } }),
  ]);
  return { todays, month, daily };
}

export async function render(root, params, { stale }) {
  root.append(h('h1', {}, '概览'));
  const today = beijingDay();
  const stats = await statistics(today);
  if (stale()) return;
  renderFigures(root, stats.todays, today);
  renderDaily(root, stats.daily.items || []);
  renderMethods(root, stats.month.by_method || {});
  renderLatency(root, stats.month.notify_latency_ms || {});
}

function renderFigures(root, summary, today) {
  const totals = summary.totals || {};
  const conversion = summary.conversion || {};
  const cards = FIGURES.map(([key, title, format]) => h('div', { class: 'figure', 'data-figure': key },
    h('small', {}, title), h('strong', {}, totals[key] === undefined ? '—' : format(totals[key]))));
  cards.push(h('div', { class: 'figure' }, h('small', {}, '下单率'), h('strong', {}, percent(conversion.order_rate))),
    h('div', { class: 'figure' }, h('small', {}, '支付率'), h('strong', {}, percent(conversion.pay_rate))));
  root.append(section(`今日（${today}）`, h('div', { class: 'figures' }, cards)));
}

function renderDaily(root, items) {
  const { box, canvas } = chartBox('chart-daily');
  root.append(section(`近 ${DAYS} 天成交额与支付订单`, box));
  draw(canvas, {
    type: 'bar',
    label: `近 ${DAYS} 天成交额与支付订单`,
    data: {
      labels: items.map((item) => item.date.slice(5)),
      datasets: [
        { type: 'line', label: '成交额（元）', data: items.map((item) => item.gmv_fen / 100), yAxisID: 'gmv',
          borderColor: color(0), backgroundColor: color(0) },
        { type: 'bar', label: '支付订单', data: items.map((item) => item.paid), yAxisID: 'paid',
          backgroundColor: color(1) },
      ],
    },
    options: {
      scales: {
        gmv: { position: 'left', beginAtZero: true, title: { display: true, text: '元' } },
        paid: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, ticks: { precision: 0 },
          title: { display: true, text: '单' } },
      },
    },
  });
}

function renderMethods(root, byMethod) {
  const methods = Object.keys(byMethod);
  const reasons = [...new Set(methods.flatMap((m) => Object.keys(byMethod[m].failures || {})))];
  const rows = methods.map((method) => {
    const figures = byMethod[method];
    return h('tr', {}, h('td', {}, label(PAYMENT_METHOD, method)), h('td', {}, String(figures.attempts ?? '—')),
      h('td', {}, String(figures.paid ?? '—')), h('td', {}, percent(figures.success_rate)));
  });
  const { box, canvas } = chartBox('chart-failures');
  root.append(section(`近 ${DAYS} 天各支付方式`,
    table(['支付方式', '尝试', '成功', '成功率'], rows, { testid: 'methods' }), box));
  draw(canvas, {
    type: 'bar',
    label: '失败原因',
    data: {
      labels: methods.map((method) => label(PAYMENT_METHOD, method)),
      datasets: reasons.map((reason, index) => ({
        label: label(FAILURE_REASON, reason), backgroundColor: color(index + 2),
        data: methods.map((method) => (byMethod[method].failures || {})[reason] || 0),
      })),
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
}

function renderLatency(root, latency) {
  const rows = Object.entries(latency).map(([stage, figures]) => h('tr', {},
    h('td', {}, LATENCY[stage] || stage), h('td', {}, figures?.p50 ?? '—'), h('td', {}, figures?.p95 ?? '—')));
  root.append(section(`近 ${DAYS} 天支付通知延迟（毫秒）`, table(['阶段', 'p50', 'p95'], rows, { testid: 'latency' })));
}
