// Charts with the vendored Chart.js (window.Chart, loaded by index.html). A page's charts are destroyed
// when the operator leaves it.
import { h } from './dom.js';

const live = new Set();
const PALETTE = ['#1677ff', '#52c41a', '#fa8c16', '#eb2f96', '#722ed1', '#13c2c2', '#a0d911', '#8c8c8c'];

export function color(index) {
  return PALETTE[index % PALETTE.length];
}

// A canvas in a box of fixed height (Chart.js sizes itself to its parent). Call draw() once it is on screen.
export function chartBox(testid) {
  const canvas = h('canvas', { 'data-testid': testid, role: 'img' });
  return { box: h('div', { class: 'chart-box' }, canvas), canvas };
}

export function draw(canvas, { label, ...config }) {
  if (!window.Chart || !canvas.isConnected) return null;
  const chart = new window.Chart(canvas, {
    ...config,
    options: {
      animation: false, // a dashboard is read, not watched; and a drawn canvas is a finished one
      responsive: true,
      maintainAspectRatio: false,
      plugins: { legend: { position: 'bottom' } },
      ...config.options,
    },
  });
  canvas.setAttribute('aria-label', label || '图表');
  live.add(chart);
  return chart;
}

export function destroyCharts() {
  for (const chart of live) chart.destroy();
  live.clear();
}
