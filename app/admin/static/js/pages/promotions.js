// Promotions (DESIGN.md §6): the list with an on/off switch, and the form that creates or edits one.
import { api, can } from '../api.js';
import { h, switchInput, toast, when, yuan } from '../dom.js';
import { PAYMENT_METHOD, PROMOTION_KIND, label } from '../labels.js';
import { pagedTable } from '../list.js';
import { renderForm } from './promotion_form.js';

export async function render(root, [id]) {
  if (id === 'new' && can.manage()) return renderForm(root, null);
  if (id) return renderForm(root, await api('GET', `/admin/v1/promotions/${encodeURIComponent(id)}`));
  return renderList(root);
}

function describeAmount(p) {
  if (p.kind === 'amount_off') return `立减 ${yuan(p.amount_off_fen)}`;
  if (p.kind === 'percent_off') return `减 ${p.percent_off}%（${(100 - p.percent_off) / 10} 折）`;
  if (p.kind === 'threshold') return `满 ${yuan(p.threshold_fen)} 减 ${yuan(p.amount_off_fen)}`;
  return label(PROMOTION_KIND, p.kind);
}

function describeConditions(c) {
  const parts = [];
  if (c.payment_method?.length) parts.push(`支付：${c.payment_method.map((m) => label(PAYMENT_METHOD, m)).join('、')}`);
  if (c.categories?.length) parts.push(`品类：${c.categories.join('、')}`);
  if (c.cities?.length) parts.push(`城市：${c.cities.join('、')}`);
  if (c.new_user_only) parts.push('仅新用户');
  if (c.hours) parts.push(`时段：${c.hours.from}–${c.hours.to}`);
  return parts.length ? parts.join('；') : '不限';
}

function describeWindow(p) {
  if (!p.starts_at && !p.ends_at) return '长期';
  return `${when(p.starts_at)} 至 ${p.ends_at ? when(p.ends_at) : '长期'}`;
}

// The switch PATCHes {"enabled"} at once; the row then shows what the server answered.
function enabledSwitch(promotion, onChange) {
  if (!can.manage()) return h('span', { class: promotion.enabled ? 'tag on' : 'tag' }, promotion.enabled ? '已启用' : '已停用');
  return switchInput(promotion.enabled, `启用 ${promotion.name}`, async (on) => {
    const updated = await api('PATCH', `/admin/v1/promotions/${encodeURIComponent(promotion.id)}`,
      { body: { enabled: on } });
    toast(`「${updated.name}」已${updated.enabled ? '启用' : '停用'}`);
    onChange(updated);
  });
}

function promotionRow(promotion) {
  const row = h('tr', { 'data-id': promotion.id, class: promotion.enabled ? null : 'off' },
    h('td', {}, h('a', { href: `#/promotions/${encodeURIComponent(promotion.id)}` }, promotion.name)),
    h('td', {}, describeAmount(promotion)),
    h('td', {}, describeConditions(promotion.conditions || {})),
    h('td', {}, describeWindow(promotion)),
    h('td', {}, `${promotion.priority}${promotion.stackable ? ' · 可叠加' : ''}`),
    h('td', {}, promotion.budget_fen ? `${yuan(promotion.budget_used_fen)} / ${yuan(promotion.budget_fen)}` : '不限'),
    h('td', {}, enabledSwitch(promotion, (updated) => row.replaceWith(promotionRow(updated)))));
  return row;
}

async function renderList(root) {
  const filter = h('select', { name: 'enabled' }, h('option', { value: '' }, '全部'),
    h('option', { value: 'true' }, '已启用'), h('option', { value: 'false' }, '已停用'));
  const holder = h('div');
  const show = async () => {
    const list = pagedTable({
      headers: ['名称', '优惠', '条件', '有效期', '优先级', '预算（已用/总额）', '启用'],
      load: (cursor) => api('GET', '/admin/v1/promotions', { query: { enabled: filter.value, cursor } }),
      row: promotionRow, empty: '暂无促销活动', testid: 'promotions',
    });
    holder.replaceChildren(list.view);
    await list.ready;
  };
  filter.addEventListener('change', show);
  root.append(h('div', { class: 'page-head' }, h('h1', {}, '促销活动'),
    h('div', { class: 'tools' }, h('label', {}, '状态 ', filter),
      can.manage() ? h('a', { class: 'button', href: '#/promotions/new' }, '新建活动') : null)), holder);
  await show();
}
