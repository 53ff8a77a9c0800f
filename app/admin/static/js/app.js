// The console's shell: login state, navigation by the URL's #fragment, and the pages it offers this role.
import { ROLE_NAMES, can, session, whenUnauthorized } from './api.js';
import { destroyCharts } from './charts.js';
import { errorBox, h, toast } from './dom.js';
import * as audit from './pages/audit.js';
import * as dashboard from './pages/dashboard.js';
import * as feedback from './pages/feedback.js';
import * as login from './pages/login.js';
import * as operators from './pages/operators.js';
import * as orders from './pages/orders.js';
import * as products from './pages/products.js';
import * as promotions from './pages/promotions.js';
import * as reconciliation from './pages/reconciliation.js';
import * as risk from './pages/risk.js';
import * as wallets from './pages/wallets.js';

// `offered` says whether this role sees the page at all (the API refuses the rest anyway, DESIGN.md §6).
const PAGES = [
  { path: 'dashboard', title: '概览', page: dashboard },
  { path: 'promotions', title: '促销活动', page: promotions },
  { path: 'products', title: '商品', page: products },
  { path: 'orders', title: '订单', page: orders },
  { path: 'wallets', title: '钱包充值', page: wallets, offered: can.manage },
  { path: 'feedback', title: '售后反馈', page: feedback },
  { path: 'risk', title: '风险事件', page: risk },
  { path: 'reconciliation', title: '对账', page: reconciliation },
  { path: 'audit', title: '审计日志', page: audit },
  { path: 'operators', title: '操作员', page: operators, offered: can.administer },
];

const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');

function offered(entry) {
  return !entry.offered || entry.offered();
}

function renderChrome(current) {
  const saved = session.read();
  who.replaceChildren();
  nav.replaceChildren();
  if (!saved) return;
  who.append(h('span', {}, saved.username || ''), h('span', { class: 'role' }, ROLE_NAMES[saved.role] || saved.role),
    h('button', { type: 'button', class: 'link', onclick: logout }, '退出'));
  for (const entry of PAGES.filter(offered)) {
    nav.append(h('a', { href: `#/${entry.path}`, class: entry.path === current ? 'active' : null }, entry.title));
  }
}

function go(hash) {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function logout() {
  session.clear();
  go('#/login');
}

let generation = 0;

async function route() {
  const [path = '', ...params] = window.location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  destroyCharts();
  const mine = ++generation;
  if (!session.read()) {
    renderChrome(null);
    const root = h('div', { class: 'page' });
    main.replaceChildren(root);
    // After logging in, the page the operator asked for (a link, or where the session expired).
    await login.render(root, { onLoggedIn: () => (path && path !== 'login' ? route() : go('#/dashboard')) });
    return;
  }
  const entry = PAGES.find((p) => p.path === path && offered(p));
  if (!entry) {
    go('#/dashboard');
    return;
  }
  renderChrome(entry.path);
  document.title = `${entry.title} · 一键运营后台`;
  const root = h('div', { class: 'page', 'data-page': entry.path });
  main.replaceChildren(root);
  try {
    await entry.page.render(root, params, { stale: () => mine !== generation });
  } catch (error) {
    if (mine === generation) root.append(errorBox(error));
  }
}

whenUnauthorized(() => {
  session.clear();
  toast('登录已失效，请重新登录', 'error');
  route();
});
window.addEventListener('hashchange', route);
route();
